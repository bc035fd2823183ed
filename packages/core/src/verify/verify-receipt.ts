import { verifyCoseSign1 } from '../cose/cose-sign1.js';
import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { bytesEqual, toHex } from '../ids/identifiers.js';
import { decodeCardReceipt, type CardReceipt, type PayReceipt } from '../messages/card-receipt.js';
import type { Certificate } from '../messages/certificate.js';
import { Limits } from '../messages/limits.js';
import type { Signed } from '../messages/signed-message.js';
import { CheckId, fail, pass, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';

/** What the terminal asked for in this tap; a receipt must match it exactly. */
export interface PaymentExpectation {
  readonly amount: number;
  readonly currency: number;
  readonly nonce: Uint8Array;
  readonly payee: Uint8Array;
}

/**
 * Verifies a card-signed receipt (pay or load) against the card's (already verified) certificate:
 * structure, that it names this card, currency of the card, and the card's signature over the bytes received.
 * @example verifyCardReceipt(bytes, cardCert, verifier)
 */
export function verifyCardReceipt(
  bytes: Uint8Array,
  card: Certificate,
  verifier: SignatureVerifier,
): Verification<Signed<CardReceipt>> {
  const r = openOrFail(bytes, Limits.receiptBytes, decodeCardReceipt, 'receipt');
  if (!r.ok) return r;
  const receipt = r.value.payload;
  if (!bytesEqual(receipt.cardId, card.subject))
    return fail(
      CheckId.Card,
      `receipt of card ${toHex(receipt.cardId)} presented with the certificate of card ${toHex(card.subject)}`,
    );
  if (card.card === undefined || receipt.currency !== card.card.currency)
    return fail(CheckId.Currency, `receipt currency ${receipt.currency} is not the card's`);
  if (!verifyCoseSign1(r.value.cose, card.publicKey, verifier))
    return fail(CheckId.Signature, 'the card signature does not verify');
  return r;
}

/**
 * Verifies the pay receipt a card returned for a tap: everything `verifyCardReceipt` checks, then that it is a
 * payment with exactly the nonce, amount, currency and payee the terminal asked for.
 * @example verifyPayReceipt(bytes, cardCert, { amount, currency, nonce, payee: terminalId }, verifier)
 */
export function verifyPayReceipt(
  bytes: Uint8Array,
  card: Certificate,
  expected: PaymentExpectation,
  verifier: SignatureVerifier,
): Verification<Signed<PayReceipt>> {
  const r = verifyCardReceipt(bytes, card, verifier);
  if (!r.ok) return r;
  const p = r.value.payload;
  if (p.kind !== 'pay') return fail(CheckId.Structure, 'expected a pay receipt, got a load receipt');
  if (!bytesEqual(p.nonce, expected.nonce))
    return fail(CheckId.Nonce, 'the receipt is not for this tap (nonce differs)');
  if (p.currency !== expected.currency)
    return fail(CheckId.Currency, `currency ${p.currency}, asked ${expected.currency}`);
  if (p.amount !== expected.amount) return fail(CheckId.Amount, `amount ${p.amount}, asked ${expected.amount}`);
  if (!bytesEqual(p.payee, expected.payee)) return fail(CheckId.Payee, `payee ${toHex(p.payee)} is not this terminal`);
  return pass({ ...r.value, payload: p });
}
