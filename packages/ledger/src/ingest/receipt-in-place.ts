import { ES256_PROTECTED_HEADER, Limits, MessageType } from '@ehkd/core';

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
  /** Field 5: the 8-byte payee of a payment, or the 32-byte authorisation id of a load. */
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
  return { type: 0, payloadStart: 0, payloadEnd: 0, signatureAt: 0, cardIdAt: 0, counter: 0, amount: 0, currency: 0, field5At: 0, nonceAt: -1, time: -1, balanceAfter: 0, prevHashAt: 0 };
}

// Heads of deterministic CBOR, spelt out: the only encodings of our receipt profile.
const TAG_18 = 0xd2;
const ARRAY_4 = 0x84;
const EMPTY_MAP = 0xa0;
const MAP_8 = 0xa8;
const MAP_10 = 0xaa;
const BSTR_0 = 0x40;
const BSTR_1BYTE_LENGTH = 0x58;
const UINT_1BYTE = 0x18;
const UINT_2BYTES = 0x19;
const UINT_4BYTES = 0x1a;
const PROTECTED_HEAD = 0x40 + ES256_PROTECTED_HEADER.length;

// Decoder state of the current read, module-level so that the helpers below return plain numbers (no tuples).
let src: Uint8Array = new Uint8Array(0);
let at = 0;

/**
 * Reads an unsigned integer in shortest form within [min, max] (max below 2^32) at `at`; -1 if it is not one.
 * Reads may run past the payload's end: the caller then finds `at` beyond it and declines the whole receipt.
 */
function uint(min: number, max: number): number {
  const head = src[at] as number;
  let v: number;
  if (head < UINT_1BYTE) {
    v = head;
    at += 1;
  } else if (head === UINT_1BYTE) {
    v = src[at + 1] as number;
    at += 2;
    if (!(v >= 24)) return -1;
  } else if (head === UINT_2BYTES) {
    v = ((src[at + 1] as number) << 8) | (src[at + 2] as number);
    at += 3;
    if (!(v >= 0x100)) return -1;
  } else if (head === UINT_4BYTES) {
    v = (src[at + 1] as number) * 0x100_0000 + (((src[at + 2] as number) << 16) | ((src[at + 3] as number) << 8) | (src[at + 4] as number));
    at += 5;
    if (!(v >= 0x1_0000)) return -1;
  } else {
    // 8-byte heads can only carry values beyond every limit or non-shortest ones; other heads are not integers.
    return -1;
  }
  return v >= min && v <= max ? v : -1;
}

/** Checks key `key` then a byte string head for `length` bytes at `at`; returns the content's offset, or -1. */
function keyedBytes(key: number, length: number): number {
  if (src[at] !== key) return -1;
  if (length < 24) {
    if (src[at + 1] !== BSTR_0 + length) return -1;
    at += 2;
  } else {
    if (src[at + 1] !== BSTR_1BYTE_LENGTH || src[at + 2] !== length) return -1;
    at += 3;
  }
  const content = at;
  at += length;
  return content;
}

/** Checks key `key` then reads an unsigned integer as `uint` does; -1 if either is not there. */
function keyedUint(key: number, min: number, max: number): number {
  if (src[at] !== key) return -1;
  at += 1;
  return uint(min, max);
}

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
  src = bytes;
  at = start;
  if (bytes[at] !== TAG_18 || bytes[at + 1] !== ARRAY_4 || bytes[at + 2] !== PROTECTED_HEAD) return false;
  for (let i = 0; i < ES256_PROTECTED_HEADER.length; i++) if (bytes[at + 3 + i] !== ES256_PROTECTED_HEADER[i]) return false;
  at += 3 + ES256_PROTECTED_HEADER.length;
  if (bytes[at] !== EMPTY_MAP) return false;
  const head = bytes[at + 1] as number;
  let length: number;
  if (head >= BSTR_0 && head < BSTR_0 + 24) {
    length = head - BSTR_0;
    at += 2;
  } else if (head === BSTR_1BYTE_LENGTH) {
    length = bytes[at + 2] as number;
    at += 3;
    if (!(length >= 24)) return false;
  } else {
    return false; // longer length heads cannot fit Limits.receiptBytes in shortest form
  }
  const payloadStart = at;
  const payloadEnd = at + length;
  // The signature: 64 bytes, ending the message exactly.
  if (payloadEnd + 66 !== end || bytes[payloadEnd] !== BSTR_1BYTE_LENGTH || bytes[payloadEnd + 1] !== 64) return false;

  const map = bytes[at];
  at += 1;
  let type: number;
  if (map === MAP_10 && bytes[at] === 0 && bytes[at + 1] === MessageType.PayReceipt) type = MessageType.PayReceipt;
  else if (map === MAP_8 && bytes[at] === 0 && bytes[at + 1] === MessageType.LoadReceipt) type = MessageType.LoadReceipt;
  else return false;
  at += 2;
  const pay = type === MessageType.PayReceipt;
  const cardIdAt = keyedBytes(1, 8);
  if (cardIdAt < 0) return false;
  const counter = keyedUint(2, 1, Limits.maxCounter);
  if (counter < 0) return false;
  const amount = keyedUint(3, 1, Limits.maxCardAmount);
  if (amount < 0) return false;
  const currency = keyedUint(4, 0, 999);
  if (currency < 0) return false;
  const field5At = keyedBytes(5, pay ? 8 : 32);
  if (field5At < 0) return false;
  let nonceAt = -1;
  let time = -1;
  if (pay) {
    nonceAt = keyedBytes(6, 16);
    if (nonceAt < 0) return false;
    time = keyedUint(7, 0, Limits.maxTime);
    if (time < 0) return false;
  }
  const balanceAfter = keyedUint(8, 0, Limits.maxCardAmount);
  if (balanceAfter < 0) return false;
  const prevHashAt = keyedBytes(9, 32);
  // `at` only grows, so ending exactly at the payload's end also proves that no read went past it.
  if (prevHashAt < 0 || at !== payloadEnd) return false;

  out.type = type;
  out.payloadStart = payloadStart;
  out.payloadEnd = payloadEnd;
  out.signatureAt = payloadEnd + 2;
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
