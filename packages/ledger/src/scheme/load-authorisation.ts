import { randomBytes } from 'node:crypto';
import {
  CheckId,
  CodecError,
  Limits,
  MAX_AMOUNT,
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
} from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import type { LedgerContext } from '../ledger-context.js';
import { ReceiptKind } from '../store/ledger-store.js';
import { RequestFields } from './request-fields.js';

/** A load request (HTTP body of POST /v1/loads). */
export interface LoadRequest {
  /** The card's GET CHALLENGE answer (CardChallenge CBOR), as the load station read it. */
  readonly challenge: Uint8Array;
  /** Minor units. */
  readonly amount: number;
  readonly currency: number;
  /** The card's certificate (COSE_Sign1 bytes, from SELECT): the ledger verifies the load receipt against it. */
  readonly cardCertificate: Uint8Array;
}

/**
 * Reads JSON { challenge: hex, amount, currency, cardCertificate: hex }.
 * @throws LedgerError BAD_REQUEST
 */
export function parseLoadRequest(body: unknown): LoadRequest {
  const f = new RequestFields(body, 'load request');
  return { challenge: f.hex('challenge'), amount: f.int('amount', 1, MAX_AMOUNT), currency: f.int('currency', 0, 999), cardCertificate: f.hex('cardCertificate') };
}

/**
 * The issuer's online load authorisation: verifies the card certificate (chain, validity now), refuses revoked
 * cards and amounts above the card's maximum balance, signs a LoadAuthorization bound to the card's challenge
 * with the card's issuer key, and records it (the card's authorised total grows by `amount`).
 * Card data failures are typed refusals; misuse (no key for that issuer) throws.
 * @returns the LoadAuthorization COSE_Sign1 bytes to send to the card.
 * @throws LedgerError UNKNOWN_ISSUER
 */
export async function authorizeLoad(ctx: LedgerContext, request: LoadRequest): Promise<Verification<Uint8Array>> {
  const now = ctx.clock();
  const card = ctx.trust.verifyLeaf(request.cardCertificate, Role.Card, ctx.verifier, now);
  if (!card.ok) return card;
  const cert = card.value.payload;
  let challenge: CardChallenge;
  try {
    challenge = decodeCardChallenge(request.challenge);
  } catch (e) {
    if (e instanceof CodecError) return fail(CheckId.Structure, `challenge: ${e.message}`, e);
    throw e;
  }
  if (!bytesEqual(challenge.cardId, cert.subject)) return fail(CheckId.Card, `the challenge is from card ${toHex(challenge.cardId)}, the certificate is of card ${toHex(cert.subject)}`);
  const profile = cert.card;
  if (profile === undefined || request.currency !== profile.currency) return fail(CheckId.Currency, `currency ${request.currency} is not the card's`);
  if (request.amount > profile.maxBalance) return fail(CheckId.Amount, `amount ${request.amount} exceeds the card's maximum balance ${profile.maxBalance}`);
  const known = await ctx.store.card(cert.subject);
  if (known !== undefined && known.revokedAt !== null) return fail(CheckId.DenyList, `card ${toHex(cert.subject)} is revoked`);
  const issuer = ctx.issuers.get(toHex(cert.signer));
  if (issuer === undefined) throw new LedgerError(LedgerErrorCode.UnknownIssuer, `this ledger holds no key of issuer ${toHex(cert.signer)}`, { detail: { issuerId: toHex(cert.signer) } });
  const loadId = new Uint8Array(randomBytes(NONCE_LENGTH));
  const payload = encodeLoadAuthorization({ cardId: cert.subject, challenge: challenge.challenge, amount: request.amount, currency: request.currency, loadId, time: now });
  const bytes = signCoseSign1(issuer.signer, payload);
  await ctx.store.putCard({ cardId: cert.subject, issuerId: cert.signer, currency: profile.currency, certificate: request.cardCertificate });
  await ctx.store.putLoadAuthorization({
    authorizationId: sha256(payload),
    loadId, cardId: cert.subject, amount: request.amount, currency: request.currency, time: now, bytes,
  });
  return pass(bytes);
}

/**
 * Records a card's load receipt: it must be a load receipt of a card whose certificate the ledger holds, signed by
 * that card, for an authorisation this ledger issued to that card with the same amount and currency. It then
 * goes through the same chain checks as payments (a load receipt can reveal a double spend too).
 */
export async function recordLoadReceipt(ctx: LedgerContext, bytes: Uint8Array): Promise<Verification<ReceiptOutcome>> {
  const opened = openOrFail(bytes, Limits.receiptBytes, decodeCardReceipt, 'load receipt');
  if (!opened.ok) return opened;
  const r = opened.value.payload;
  if (r.kind !== 'load') return fail(CheckId.Structure, 'not a load receipt (payments are uploaded in batches)');
  const card = await ctx.store.card(r.cardId);
  if (card === undefined) return fail(CheckId.CertChain, `card ${toHex(r.cardId)} is unknown: its certificate comes with the load request`);
  const stored = openOrFail(card.certificate, Limits.certificateBytes, decodeCertificate, 'stored card certificate');
  if (!stored.ok) throw new LedgerError(LedgerErrorCode.Storage, `a stored card certificate does not parse: ${stored.reason}`);
  const verified = verifyCardReceipt(bytes, stored.value.payload, ctx.verifier);
  if (!verified.ok) return verified;
  const authorization = await ctx.store.loadAuthorization(r.authorizationId);
  if (authorization === undefined) return fail(CheckId.Structure, `no load authorisation ${toHex(r.authorizationId)} was issued by this ledger`);
  if (!bytesEqual(authorization.cardId, r.cardId)) return fail(CheckId.Card, 'the authorisation was issued to another card');
  if (authorization.amount !== r.amount) return fail(CheckId.Amount, `amount ${r.amount}, authorised ${authorization.amount}`);
  if (authorization.currency !== r.currency) return fail(CheckId.Currency, `currency ${r.currency}, authorised ${authorization.currency}`);
  const applied = await ctx.store.applyReceipts(
    {
      batch: null,
      cards: [],
      rejectedCount: 0,
      receipts: [{
        id: verified.value.id, bytes, kind: ReceiptKind.Load, cardId: r.cardId, counter: r.counter, amount: r.amount, currency: r.currency,
        balanceAfter: r.balanceAfter, prevHash: r.prevHash, time: authorization.time,
      }],
    },
    { now: ctx.clock(), denyListGraceSeconds: ctx.denyListGraceSeconds, denyListSigner: { id: ctx.acquirer.id, signer: ctx.acquirer.signer } },
  );
  const outcome = applied.outcomes[0];
  if (outcome === undefined) throw new LedgerError(LedgerErrorCode.Storage, 'the store answered no outcome for the load receipt');
  return pass(outcome);
}
