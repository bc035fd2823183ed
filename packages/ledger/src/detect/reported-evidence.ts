import {
  CheckId,
  EvidenceKind,
  Limits,
  Role,
  bytesEqual,
  decodeCertificate,
  decodeCoseSign1,
  decodeDoubleSpendEvidence,
  fail,
  pass,
  sha256,
  toHex,
  verifyDoubleSpendEvidence,
  type Verification,
} from '@ehkd/core';
import type { LedgerContext } from '../ledger-context.js';
import type { DenyListVersion } from '../store/ledger-store.js';
import { publishRevocations } from './deny-list-outbox.js';

/** What recording a reported case did. */
export interface RecordedCase {
  readonly caseId: number;
  /** False when a case over the same proof was already open (the delivery changed nothing). */
  readonly created: boolean;
  /** True when this delivery revoked the card. */
  readonly revoked: boolean;
  /** The deny list signed because of the revocation (null if another ledger process published it first). */
  readonly denyList: DenyListVersion | null;
}

/**
 * Records DoubleSpendEvidence someone delivered (a terminal that saw a card sign two receipts for one counter,
 * docs/protocol.md 6.2 and 7.1 `POST /v1/evidence`). The evidence must prove its claim with nothing but this
 * ledger's root (`verifyDoubleSpendEvidence`), and its issuer certificate must be this ledger's trust anchor for
 * that issuer (same key): then the card's own key signed what no genuine card signs, and the card is revoked with
 * a fraud case holding the evidence. Over-spend evidence is refused: it rests on the issuer's statement that the
 * authorizations shown are all it signed, which only the authorizing ledger can make. The receipts are not stored:
 * they are credited or flagged when the terminals they pay upload them, by the usual rules of 7.4.
 * @returns the recorded case, or the failed check (`structure`, `cert-role`, `cert-chain`, `card`, `currency`,
 *   `signature`, `evidence`).
 * @throws LedgerError STORAGE
 * @example const r = await recordReportedEvidence(ctx, bytes); if (r.ok) console.log('case', r.value.caseId)
 */
export async function recordReportedEvidence(
  ctx: LedgerContext,
  bytes: Uint8Array,
): Promise<Verification<RecordedCase>> {
  if (bytes.length > Limits.evidenceBytes)
    return fail(CheckId.Structure, `evidence of ${bytes.length} bytes exceeds ${Limits.evidenceBytes}`);
  const proven = verifyDoubleSpendEvidence(bytes, ctx.trust.root.cose.bytes, ctx.verifier);
  if (!proven.ok) return proven;
  const p = proven.value;
  if (p.kind === EvidenceKind.OverSpend)
    return fail(CheckId.Evidence, 'over-spend evidence is only built by the ledger that authorized the loads');
  // Decoding cannot fail now: the verifier decoded the same bytes.
  const evidence = decodeDoubleSpendEvidence(bytes);
  const issuer = ctx.trust.get(Role.Issuer, p.issuerId);
  const evidenceIssuer = decodeCertificate(
    decodeCoseSign1(evidence.issuerCertificate, Limits.certificateBytes).payload,
  );
  if (issuer === undefined || !bytesEqual(issuer.payload.publicKey, evidenceIssuer.publicKey)) {
    return fail(
      CheckId.CertChain,
      `issuer ${toHex(p.issuerId)} of the evidence is not one of this ledger's trust anchors`,
    );
  }
  const profile = decodeCertificate(decodeCoseSign1(evidence.cardCertificate, Limits.certificateBytes).payload).card;
  if (profile === undefined) return fail(CheckId.CertRole, 'the evidence names no card certificate');
  const last = evidence.receipts[evidence.receipts.length - 1] as Uint8Array;
  const receiptId = sha256(decodeCoseSign1(last, Limits.receiptBytes).payload);
  const now = ctx.clock();
  const card = {
    cardId: p.cardId,
    issuerId: p.issuerId,
    currency: profile.currency,
    certificate: evidence.cardCertificate,
  };
  const decided = await ctx.store.withCards([card], async (tx) => {
    const state = tx.card(p.cardId);
    const known = await tx.caseOfProof(p.cardId, p.kind, p.counters);
    const caseId =
      known ??
      (await tx.openCase({
        kind: p.kind,
        cardId: p.cardId,
        issuerId: p.issuerId,
        counters: p.counters,
        detectedAt: now,
        receiptId,
        batchId: null,
        evidence: bytes,
      }));
    if (state.revokedAt !== null) return { caseId, created: known === undefined, revoked: false };
    state.revokedAt = now;
    await tx.denyCard(p.cardId, now, caseId);
    await tx.saveCards([state]);
    return { caseId, created: known === undefined, revoked: true };
  });
  const recorded: RecordedCase = { ...decided, denyList: decided.revoked ? await publishRevocations(ctx) : null };
  return pass(recorded);
}
