import { verifyCoseSign1 } from '../cose/cose-sign1.js';
import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { bytesEqual, toHex } from '../ids/identifiers.js';
import { GENESIS_HASH, balanceBefore, type CardReceipt } from '../messages/card-receipt.js';
import { Role, type Certificate } from '../messages/certificate.js';
import {
  EvidenceKind,
  EVIDENCE_KIND_NAME,
  decodeDoubleSpendEvidence,
  type DoubleSpendEvidence,
} from '../messages/double-spend-evidence.js';
import { decodeLoadAuthorization, type LoadAuthorization } from '../messages/issuer-messages.js';
import { Limits } from '../messages/limits.js';
import type { Signed } from '../messages/signed-message.js';
import { CodecError } from '../codec/codec-error.js';
import { CheckId, fail, pass, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';
import { TrustStore } from './trust-store.js';
import { verifyCardReceipt } from './verify-receipt.js';

/** What verified evidence establishes. */
export interface ProvenDoubleSpend {
  readonly kind: EvidenceKind;
  readonly cardId: Uint8Array;
  readonly issuerId: Uint8Array;
  /** The counter values the proof rests on. */
  readonly counters: readonly number[];
  /** For OverSpend: total paid and total authorized, in minor units. */
  readonly paid?: number;
  readonly authorized?: number;
}

/**
 * Verifies double-spend evidence with nothing but the root certificate: the issuer certificate chains to the
 * root, the card certificate to the issuer, every receipt is signed by that card, and the receipts prove the
 * claimed kind. Validity periods are ignored on purpose: fraud stays provable after certificates expire.
 * @example verifyDoubleSpendEvidence(evidenceBytes, rootCertificateBytes, nobleVerifier)
 */
export function verifyDoubleSpendEvidence(
  bytes: Uint8Array,
  rootCertificate: Uint8Array,
  verifier: SignatureVerifier,
): Verification<ProvenDoubleSpend> {
  let evidence: DoubleSpendEvidence;
  try {
    evidence = decodeDoubleSpendEvidence(bytes);
  } catch (e) {
    if (e instanceof CodecError) return fail(CheckId.Structure, `evidence: ${e.message}`, e);
    throw e;
  }
  const trustResult = TrustStore.create(rootCertificate, [evidence.issuerCertificate], verifier);
  if (!trustResult.ok) return trustResult;
  const card = trustResult.value.verifyLeaf(evidence.cardCertificate, Role.Card, verifier, undefined);
  if (!card.ok) return card;
  const receipts: Signed<CardReceipt>[] = [];
  for (const r of evidence.receipts) {
    const v = verifyCardReceipt(r, card.value.payload, verifier);
    if (!v.ok) return v;
    receipts.push(v.value);
  }
  const base = { kind: evidence.kind, cardId: card.value.payload.subject, issuerId: card.value.payload.signer };
  const claim = EVIDENCE_KIND_NAME[evidence.kind];
  const pairs = consecutivePairs(receipts);
  switch (evidence.kind) {
    case EvidenceKind.ConflictingCounter:
      for (let i = 0; i < receipts.length; i++) {
        for (let j = i + 1; j < receipts.length; j++) {
          const a = receipts[i] as Signed<CardReceipt>;
          const b = receipts[j] as Signed<CardReceipt>;
          if (a.payload.counter === b.payload.counter && !bytesEqual(a.id, b.id))
            return pass({ ...base, counters: [a.payload.counter] });
        }
      }
      return fail(CheckId.Evidence, `${claim}: no two different receipts share a counter value`);
    case EvidenceKind.ChainFork:
      for (const [a, b] of pairs)
        if (!bytesEqual(b.payload.prevHash, a.id))
          return pass({ ...base, counters: [a.payload.counter, b.payload.counter] });
      return fail(CheckId.Evidence, `${claim}: no receipt n+1 fails to link to receipt n`);
    case EvidenceKind.BalanceMismatch:
      for (const [a, b] of pairs) {
        if (bytesEqual(b.payload.prevHash, a.id) && balanceBefore(b.payload) !== a.payload.balanceAfter)
          return pass({ ...base, counters: [a.payload.counter, b.payload.counter] });
      }
      return fail(CheckId.Evidence, `${claim}: every linked pair of receipts adds up`);
    case EvidenceKind.OverSpend:
      return verifyOverSpend(evidence, trustResult.value, card.value.payload, receipts, verifier, base);
    case EvidenceKind.BadGenesis:
      // Cards are personalised with balance 0 and lastHash = GENESIS_HASH, so counter 1 must start from both.
      for (const r of receipts) {
        if (
          r.payload.counter === 1 &&
          (!bytesEqual(r.payload.prevHash, GENESIS_HASH) || balanceBefore(r.payload) !== 0)
        )
          return pass({ ...base, counters: [1] });
      }
      return fail(CheckId.Evidence, `${claim}: no receipt with counter 1 departs from the genesis state`);
    case EvidenceKind.MisplacedLoad:
      return verifyMisplacedLoad(evidence, trustResult.value, card.value.payload, receipts, verifier, base);
  }
}

/** The issuer-signed load authorizations of evidence, each checked to be for this card, in its currency. */
function openAuthorizations(
  evidence: DoubleSpendEvidence,
  trust: TrustStore,
  card: Certificate,
  verifier: SignatureVerifier,
  issuerId: Uint8Array,
): Verification<Signed<LoadAuthorization>[]> {
  const issuer = trust.get(Role.Issuer, issuerId);
  if (issuer === undefined) return fail(CheckId.CertChain, 'issuer certificate missing');
  const out: Signed<LoadAuthorization>[] = [];
  for (const bytes of evidence.loadAuthorizations) {
    const a = openOrFail(bytes, Limits.issuerMessageBytes, decodeLoadAuthorization, 'load authorization');
    if (!a.ok) return a;
    if (!bytesEqual(a.value.payload.cardId, card.subject))
      return fail(CheckId.Card, `load authorization for another card ${toHex(a.value.payload.cardId)}`);
    if (a.value.payload.currency !== card.card?.currency)
      return fail(CheckId.Currency, `load authorization in currency ${a.value.payload.currency}, not the card's`);
    if (!verifyCoseSign1(a.value.cose, issuer.payload.publicKey, verifier))
      return fail(CheckId.Signature, 'load authorization signature does not verify');
    out.push(a.value);
  }
  return pass(out);
}

// A genuine card executes an authorization only while its counter is the one the authorization binds, so the
// load receipt of an authorization for counter n has counter n + 1; one anywhere else is not a genuine card's.
function verifyMisplacedLoad(
  evidence: DoubleSpendEvidence,
  trust: TrustStore,
  card: Certificate,
  receipts: readonly Signed<CardReceipt>[],
  verifier: SignatureVerifier,
  base: Omit<ProvenDoubleSpend, 'counters'>,
): Verification<ProvenDoubleSpend> {
  const opened = openAuthorizations(evidence, trust, card, verifier, base.issuerId);
  if (!opened.ok) return opened;
  for (const r of receipts) {
    if (r.payload.kind !== 'load') continue;
    const load = r.payload;
    const a = opened.value.find((x) => bytesEqual(x.id, load.authorizationId));
    if (a !== undefined && load.counter !== a.payload.counter + 1) return pass({ ...base, counters: [load.counter] });
  }
  return fail(
    CheckId.Evidence,
    'misplaced-load: no load receipt executes one of the authorizations away from its counter + 1',
  );
}

/** Whether `receipts` hold the card's receipt at the authorization's counter + 1 and it is not that load. */
function voidedBy(a: Signed<LoadAuthorization>, receipts: readonly Signed<CardReceipt>[]): boolean {
  const at = a.payload.counter + 1;
  return receipts.some(
    (r) => r.payload.counter === at && !(r.payload.kind === 'load' && bytesEqual(r.payload.authorizationId, a.id)),
  );
}

function consecutivePairs(receipts: readonly Signed<CardReceipt>[]): [Signed<CardReceipt>, Signed<CardReceipt>][] {
  const out: [Signed<CardReceipt>, Signed<CardReceipt>][] = [];
  for (const a of receipts) for (const b of receipts) if (b.payload.counter === a.payload.counter + 1) out.push([a, b]);
  return out;
}

// Cards are personalised with a zero balance, so everything a card may ever pay is what its issuer authorized
// it to load and the card executed; signed payments above the authorized total are proof. An authorization for
// counter n is void, and counts for nothing, when the evidence holds the card's receipt at n + 1 and that receipt
// does not execute it: a genuine card executes it only at n + 1, where it now signed something else.
function verifyOverSpend(
  evidence: DoubleSpendEvidence,
  trust: TrustStore,
  card: Certificate,
  receipts: readonly Signed<CardReceipt>[],
  verifier: SignatureVerifier,
  base: Omit<ProvenDoubleSpend, 'counters'>,
): Verification<ProvenDoubleSpend> {
  const opened = openAuthorizations(evidence, trust, card, verifier, base.issuerId);
  if (!opened.ok) return opened;
  const loadIds = new Set<string>();
  let authorized = 0;
  for (const a of opened.value) {
    const id = toHex(a.payload.loadId);
    if (loadIds.has(id) || voidedBy(a, receipts)) continue;
    loadIds.add(id);
    authorized += a.payload.amount;
  }
  // Distinct payments are distinct payload identities: a genuine card never signs two for one counter,
  // so every distinct signed payment moved value to a merchant, clones' payments included.
  const seen = new Set<string>();
  const counters = new Set<number>();
  let paid = 0;
  for (const r of receipts) {
    const id = toHex(r.id);
    if (r.payload.kind !== 'pay' || seen.has(id)) continue;
    seen.add(id);
    counters.add(r.payload.counter);
    paid += r.payload.amount;
  }
  if (paid <= authorized)
    return fail(CheckId.Evidence, `over-spend: paid ${paid} does not exceed authorized loads ${authorized}`);
  return pass({ ...base, counters: [...counters].sort((a, b) => a - b), paid, authorized });
}
