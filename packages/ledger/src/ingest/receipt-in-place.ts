import { CborCursor, ES256_PROTECTED_HEADER, ES256_SIGNATURE_LENGTH, Limits, MessageType } from '@ehkd/core';

/**
 * A card receipt (COSE_Sign1 around a PayReceipt or LoadReceipt payload) read where it lies: numbers as values,
 * byte fields as offsets into the source buffer. One instance is reused for every receipt of a worker, so the hot
 * path allocates nothing per receipt; the values are only valid until the next read.
 */
export interface InPlaceReceipt {
  /** MessageType.PayReceipt or MessageType.LoadReceipt. */
  type: number;
  /** The payload byte string's content (the bytes the identity hash and the signature cover). */
  payloadStart: number;
  payloadEnd: number;
  /** The 64-byte raw r || s signature. */
  signatureAt: number;
  /** The 8-byte card id. */
  cardIdAt: number;
  counter: number;
  amount: number;
  currency: number;
  /** Field 5: the 8-byte payee of a payment, or the 32-byte authorization id of a load. */
  field5At: number;
  /** The 16-byte nonce of a payment (-1 for a load). */
  nonceAt: number;
  /** Terminal time of a payment (-1 for a load). */
  time: number;
  balanceAfter: number;
  /** The 32-byte previous hash. */
  prevHashAt: number;
}

/** A fresh InPlaceReceipt to reuse across reads. */
export function inPlaceReceipt(): InPlaceReceipt {
  return {
    type: 0,
    payloadStart: 0,
    payloadEnd: 0,
    signatureAt: 0,
    cardIdAt: 0,
    counter: 0,
    amount: 0,
    currency: 0,
    field5At: 0,
    nonceAt: -1,
    time: -1,
    balanceAfter: 0,
    prevHashAt: 0,
  };
}

// Heads of deterministic CBOR, spelt out: the only encodings of our receipt profile's fixed items.
const TAG_18 = 0xd2;
const ARRAY_4 = 0x84;
const EMPTY_MAP = 0xa0;

/**
 * One cursor for every read: the reader never calls out, so reads cannot interleave, and a cursor per receipt
 * would be the hot path's only allocation.
 */
const cursor = new CborCursor();

/**
 * Reads the receipt at `bytes[start..end)` in place, for exactly the canonical encodings core's
 * `decodeCoseSign1(bytes, Limits.receiptBytes)` followed by `decodeCardReceipt(payload)` accepts, with the same
 * values. Returns false for anything else, without saying why: the caller then runs core's generic decoders,
 * which reject the receipt with their usual reason (or, should this reader ever be stricter than core, accept it).
 * Deterministic CBOR gives every value one encoding, so the accepted receipts are a fixed byte layout with a few
 * variable-width integers.
 */
export function readReceiptInPlace(bytes: Uint8Array, start: number, end: number, out: InPlaceReceipt): boolean {
  if (end - start > Limits.receiptBytes || end - start < 8) return false;
  const c = cursor.reset(bytes, start, end);
  if (!c.skip(TAG_18) || !c.skip(ARRAY_4)) return false;
  const protectedAt = c.byteString(ES256_PROTECTED_HEADER.length, ES256_PROTECTED_HEADER.length);
  if (protectedAt < 0) return false;
  for (let i = 0; i < ES256_PROTECTED_HEADER.length; i++)
    if (bytes[protectedAt + i] !== ES256_PROTECTED_HEADER[i]) return false;
  if (!c.skip(EMPTY_MAP)) return false;
  const payloadStart = c.byteString(0, Limits.receiptBytes);
  if (payloadStart < 0) return false;
  const payloadEnd = c.pos;
  // The signature: 64 bytes, ending the message exactly.
  const signatureAt = c.byteString(ES256_SIGNATURE_LENGTH, ES256_SIGNATURE_LENGTH);
  if (signatureAt < 0 || c.pos !== end) return false;

  // The payload, within its own bounds: {0: type, 1: card id, 2: counter, 3: amount, 4: currency, 5: payee or
  // authorization id, [6: nonce, 7: time,] 8: balanceAfter, 9: previous hash}.
  c.reset(bytes, payloadStart, payloadEnd);
  const entries = c.argument(5, 10);
  if (!c.skip(0)) return false;
  const type = c.argument(0, MessageType.LoadReceipt);
  const pay = type === MessageType.PayReceipt;
  if (!(pay ? entries === 10 : type === MessageType.LoadReceipt && entries === 8)) return false;
  const cardIdAt = c.skip(1) ? c.byteString(8, 8) : -1;
  if (cardIdAt < 0) return false;
  const counter = c.skip(2) ? c.argument(0, Limits.maxCounter) : -1;
  if (counter < 1) return false;
  const amount = c.skip(3) ? c.argument(0, Limits.maxCardAmount) : -1;
  if (amount < 1) return false;
  const currency = c.skip(4) ? c.argument(0, 999) : -1;
  if (currency < 0) return false;
  const field5At = c.skip(5) ? c.byteString(pay ? 8 : 32, pay ? 8 : 32) : -1;
  if (field5At < 0) return false;
  let nonceAt = -1;
  let time = -1;
  if (pay) {
    nonceAt = c.skip(6) ? c.byteString(16, 16) : -1;
    if (nonceAt < 0) return false;
    time = c.skip(7) ? c.argument(0, Limits.maxTime) : -1;
    if (time < 0) return false;
  }
  const balanceAfter = c.skip(8) ? c.argument(0, Limits.maxCardAmount) : -1;
  if (balanceAfter < 0) return false;
  const prevHashAt = c.skip(9) ? c.byteString(32, 32) : -1;
  if (prevHashAt < 0 || c.pos !== payloadEnd) return false;

  out.type = type;
  out.payloadStart = payloadStart;
  out.payloadEnd = payloadEnd;
  out.signatureAt = signatureAt;
  out.cardIdAt = cardIdAt;
  out.counter = counter;
  out.amount = amount;
  out.currency = currency;
  out.field5At = field5At;
  out.nonceAt = nonceAt;
  out.time = time;
  out.balanceAfter = balanceAfter;
  out.prevHashAt = prevHashAt;
  return true;
}
