import { randomBytes } from 'node:crypto';
import {
  CheckId,
  CodecError,
  Limits,
  NONCE_LENGTH,
  Role,
  bytesEqual,
  decodeCardChallenge,
  decodeCardReceipt,
  decodeCertificate,
  encodeLoadAuthorization,
  fail,
  pass,
  sha256,
  signCoseSign1,
  toHex,
  verifyCardReceipt,
  type CardChallenge,
  type ReceiptOutcome,
  type Verification,
  openOrFail,
  verifyLoadRequest,
} from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import type { LedgerContext } from '../ledger-context.js';
import { applyReceipts } from '../detect/apply-receipts.js';
import { publishRevocations } from '../detect/deny-list-outbox.js';
import { enrolledMerchant } from './enrolled-merchant.js';
import { ReceiptKind, type CardTransaction, type LoadAuthorizationRecord } from '../store/ledger-store.js';

/** A load asked for at the issuer's own desk (`ehkd-ledger load authorize`): no load point, no merchant to debit. */
export interface DeskLoadRequest {
  /** The card's GET CHALLENGE answer (CardChallenge CBOR), as the desk read it. */
  readonly challenge: Uint8Array;
  /** Minor units. */
  readonly amount: number;
  readonly currency: number;
  /** The card's certificate (COSE_Sign1 bytes, from SELECT): the ledger verifies the load receipt against it. */
  readonly cardCertificate: Uint8Array;
}

/** Why a load was not authorized. `forbidden` (HTTP 403): the load point is not enrolled here, or the card is revoked. */
export type LoadRefusal = {
  readonly ok: false;
  readonly check: CheckId;
  readonly reason: string;
  readonly forbidden: boolean;
};

/** The LoadAuthorization COSE_Sign1 bytes to send to the card, or why not. */
export type LoadAuthorizationResult = { readonly ok: true; readonly value: Uint8Array } | LoadRefusal;

/** Who asked for a load and answers for its money: an enrolled load point and its merchant, or the issuer's desk (null). */
type LoadPoint = { readonly terminalId: Uint8Array; readonly merchantId: Uint8Array } | null;

/**
 * Authorizes a load a load point asked for with a signed LoadRequest (POST /v1/loads). The request must verify
 * (`verifyLoadRequest`: structure, terminal certificate valid now, signature) and come from a terminal enrolled
 * here with that key; its merchant is debited the amount in settlement. Then as `authorizeDeskLoad`. The same
 * request again (a retry) gets the same authorization; another request for an already authorized challenge is
 * refused (`nonce`).
 * @throws LedgerError UNKNOWN_ISSUER (no key of the card's issuer), STORAGE
 * @example const result = await authorizeLoad(ctx, signedLoadRequest); if (result.ok) await card.load(result.value);
 */
export async function authorizeLoad(ctx: LedgerContext, signedRequest: Uint8Array): Promise<LoadAuthorizationResult> {
  const verified = verifyLoadRequest(signedRequest, ctx.trust, ctx.verifier, ctx.clock());
  if (!verified.ok) return refusal(verified.check, verified.reason);
  const merchant = await enrolledMerchant(ctx, verified.value.terminal, 'load request');
  if (!merchant.ok) return refusal(merchant.check, merchant.reason, true);
  const q = verified.value.request.payload;
  return issue(
    ctx,
    { challenge: q.challenge, amount: q.amount, currency: q.currency, cardCertificate: q.cardCertificate },
    { terminalId: q.terminalId, merchantId: merchant.merchantId },
  );
}

/**
 * The issuer's online load authorization at its own desk (trusted: the operator runs it locally, and no merchant is
 * debited): verifies the card certificate (chain, validity now), refuses revoked cards and amounts above the card's
 * maximum balance, signs a LoadAuthorization bound to the card's challenge with the card's issuer key, and records
 * it (the card's authorized total grows by `amount`). One authorization per card challenge.
 * @throws LedgerError UNKNOWN_ISSUER (no key of the card's issuer), STORAGE
 */
export function authorizeDeskLoad(ctx: LedgerContext, request: DeskLoadRequest): Promise<LoadAuthorizationResult> {
  return issue(ctx, request, null);
}

async function issue(
  ctx: LedgerContext,
  request: DeskLoadRequest,
  loadPoint: LoadPoint,
): Promise<LoadAuthorizationResult> {
  const now = ctx.clock();
  const card = ctx.trust.verifyLeaf(request.cardCertificate, Role.Card, ctx.verifier, now);
  if (!card.ok) return refusal(card.check, card.reason);
  const cert = card.value.payload;
  let challenge: CardChallenge;
  try {
    challenge = decodeCardChallenge(request.challenge);
  } catch (e) {
    if (e instanceof CodecError) return refusal(CheckId.Structure, `challenge: ${e.message}`);
    throw e;
  }
  if (!bytesEqual(challenge.cardId, cert.subject))
    return refusal(
      CheckId.Card,
      `the challenge is from card ${toHex(challenge.cardId)}, the certificate is of card ${toHex(cert.subject)}`,
    );
  const profile = cert.card;
  if (profile === undefined || request.currency !== profile.currency)
    return refusal(CheckId.Currency, `currency ${request.currency} is not the card's`);
  if (request.amount > profile.maxBalance)
    return refusal(CheckId.Amount, `amount ${request.amount} exceeds the card's maximum balance ${profile.maxBalance}`);
  const issuer = ctx.issuers.get(toHex(cert.signer));
  const certificate = {
    cardId: cert.subject,
    issuerId: cert.signer,
    currency: profile.currency,
    certificate: request.cardCertificate,
  };
  try {
    // Under the card's lock: its last known state cannot change between these checks and the record.
    return await ctx.store.withCards([certificate], async (tx) => {
      const known = tx.card(cert.subject);
      const lastCounter = known.tail?.counter ?? 0;
      const lastBalance = known.tail?.balanceAfter ?? 0;
      if (known.revokedAt !== null)
        throw new Refused(refusal(CheckId.DenyList, `card ${toHex(cert.subject)} is revoked`, true));
      if (challenge.counter >= Limits.maxCounter)
        throw new Refused(
          refusal(
            CheckId.Counter,
            `the card's counter is at its maximum ${Limits.maxCounter}: it can execute no more loads`,
          ),
        );
      // The card's counter never goes back: a challenge behind a receipt the ledger holds is not the card's now (a
      // stale or invented one), and an authorization for it could never execute on a genuine card.
      if (challenge.counter < lastCounter)
        throw new Refused(
          refusal(
            CheckId.Counter,
            `the challenge says counter ${challenge.counter}, but the ledger holds the card's receipt at counter ${lastCounter}: read a new challenge from the card`,
          ),
        );
      if (request.amount > profile.maxBalance - lastBalance)
        throw new Refused(
          refusal(
            CheckId.Amount,
            `amount ${request.amount} would take the card's last known balance ${lastBalance} above its maximum ${profile.maxBalance}`,
          ),
        );
      const earlier = await tx.loadAuthorizationForChallenge(cert.subject, challenge.challenge);
      if (earlier !== undefined) {
        const again = sameLoadAgain(earlier, request, loadPoint);
        if (!again.ok) throw new Refused(again);
        return again;
      }
      if (issuer === undefined)
        throw new LedgerError(
          LedgerErrorCode.UnknownIssuer,
          `this ledger holds no key of issuer ${toHex(cert.signer)}`,
          {
            detail: { issuerId: toHex(cert.signer) },
          },
        );
      const loadId = new Uint8Array(randomBytes(NONCE_LENGTH));
      const payload = encodeLoadAuthorization({
        cardId: cert.subject,
        challenge: challenge.challenge,
        counter: challenge.counter,
        amount: request.amount,
        currency: request.currency,
        loadId,
        time: now,
      });
      const bytes = signCoseSign1(issuer.signer, payload);
      const authorizationId = sha256(payload);
      await recordAuthorization(tx, {
        authorizationId,
        loadId,
        cardId: cert.subject,
        amount: request.amount,
        currency: request.currency,
        time: now,
        bytes,
        challenge: challenge.challenge,
        terminalId: loadPoint?.terminalId ?? null,
        merchantId: loadPoint?.merchantId ?? null,
        cardCounter: challenge.counter,
      });
      return { ok: true, value: bytes };
    });
  } catch (e) {
    // A refusal rolls the transaction back: a refused request records nothing, not even the card.
    if (e instanceof Refused) return e.refusal;
    throw e;
  }
}

/**
 * Records an issued load authorization in a transaction holding its card: the authorization, and on the card's
 * state its amount (authorized) and its counter (pending until a receipt at counter + 1 executes or voids it).
 * @throws LedgerError CHALLENGE_USED (the card's challenge was already authorized), STORAGE
 * @example await store.withCards([card], (tx) => recordAuthorization(tx, authorization))
 */
export async function recordAuthorization(tx: CardTransaction, a: LoadAuthorizationRecord): Promise<void> {
  await tx.putLoadAuthorization(a);
  const card = tx.card(a.cardId);
  card.authorized += a.amount;
  card.pendingLoads.push({ authorizationId: a.authorizationId, counter: a.cardCounter, amount: a.amount });
  await tx.saveCards([card]);
}

/** Carries a refusal out of the card's transaction, which it rolls back. */
class Refused extends Error {
  constructor(readonly refusal: LoadRefusal) {
    super(refusal.reason);
  }
}

/** A challenge already authorized: the same load from the same load point again is a retry, anything else a refusal. */
function sameLoadAgain(
  earlier: LoadAuthorizationRecord,
  request: DeskLoadRequest,
  loadPoint: LoadPoint,
): LoadAuthorizationResult {
  const samePoint =
    loadPoint === null
      ? earlier.terminalId === null
      : earlier.terminalId !== null && bytesEqual(earlier.terminalId, loadPoint.terminalId);
  if (samePoint && earlier.amount === request.amount && earlier.currency === request.currency)
    return { ok: true, value: earlier.bytes };
  return refusal(
    CheckId.Nonce,
    'a load was already authorized for this card challenge: read a new challenge from the card',
  );
}

function refusal(check: CheckId, reason: string, forbidden = false): LoadRefusal {
  return { ok: false, check, reason, forbidden };
}

/**
 * Records a card's load receipt: it must be a load receipt of a card whose certificate the ledger holds, signed by
 * that card, for an authorization this ledger issued to that card with the same amount and currency. It then
 * goes through the same chain checks as payments (a load receipt can reveal a double spend too).
 */
export async function recordLoadReceipt(ctx: LedgerContext, bytes: Uint8Array): Promise<Verification<ReceiptOutcome>> {
  const opened = openOrFail(bytes, Limits.receiptBytes, decodeCardReceipt, 'load receipt');
  if (!opened.ok) return opened;
  const r = opened.value.payload;
  if (r.kind !== 'load') return fail(CheckId.Structure, 'not a load receipt (payments are uploaded in batches)');
  const card = await ctx.store.card(r.cardId);
  if (card === undefined)
    return fail(CheckId.CertChain, `card ${toHex(r.cardId)} is unknown: its certificate comes with the load request`);
  const stored = openOrFail(card.certificate, Limits.certificateBytes, decodeCertificate, 'stored card certificate');
  if (!stored.ok)
    throw new LedgerError(LedgerErrorCode.Storage, `a stored card certificate does not parse: ${stored.reason}`);
  const verified = verifyCardReceipt(bytes, stored.value.payload, ctx.verifier);
  if (!verified.ok) return verified;
  const authorization = await ctx.store.loadAuthorization(r.authorizationId);
  if (authorization === undefined)
    return fail(CheckId.Structure, `no load authorization ${toHex(r.authorizationId)} was issued by this ledger`);
  if (!bytesEqual(authorization.cardId, r.cardId))
    return fail(CheckId.Card, 'the authorization was issued to another card');
  if (authorization.amount !== r.amount)
    return fail(CheckId.Amount, `amount ${r.amount}, authorized ${authorization.amount}`);
  if (authorization.currency !== r.currency)
    return fail(CheckId.Currency, `currency ${r.currency}, authorized ${authorization.currency}`);
  const applied = await applyReceipts(
    ctx.store,
    {
      batch: null,
      cards: [],
      rejectedCount: 0,
      receipts: [
        {
          id: verified.value.id,
          bytes,
          kind: ReceiptKind.Load,
          cardId: r.cardId,
          counter: r.counter,
          amount: r.amount,
          currency: r.currency,
          balanceAfter: r.balanceAfter,
          prevHash: r.prevHash,
          time: authorization.time,
          authorizationId: r.authorizationId,
          authorizedCounter: authorization.cardCounter,
        },
      ],
    },
    { now: ctx.clock(), denyListGraceSeconds: ctx.denyListGraceSeconds },
  );
  if (applied.revoked.length > 0) await publishRevocations(ctx);
  const outcome = applied.outcomes[0];
  if (outcome === undefined)
    throw new LedgerError(LedgerErrorCode.Storage, 'the store answered no outcome for the load receipt');
  return pass(outcome);
}
