import { ES256_PROTECTED_HEADER, Limits, MessageType, type CoseSign1, type UploadBatch } from '@ehkd/core';

/**
 * An upload batch's COSE_Sign1 and payload read in place: the same values as core's
 * `decodeCoseSign1(bytes, Limits.batchBytes)` then `decodeUploadBatch(payload)`, but every byte string is a view of
 * `bytes` instead of a copy. A batch of 1,000 receipts otherwise costs about 2,000 small ArrayBuffers, whose
 * allocation and collection cost more CPU than the decoding itself.
 */
export interface InPlaceBatch {
  readonly cose: CoseSign1;
  readonly batch: UploadBatch;
}

// Decoder state of the current read, module-level so that the helpers below return plain numbers.
let src: Uint8Array = new Uint8Array(0);
let at = 0;
let end = 0;

/**
 * The argument of the head at `at` if it has major type `major` and is in shortest form, at most 2^32 - 1 (a
 * 4-byte argument); -1 otherwise. 8-byte arguments are declined: no length or field we read in place needs one.
 */
function head(major: number): number {
  if (at >= end) return -1;
  const ib = src[at] as number;
  if (ib >> 5 !== major) return -1;
  const ai = ib & 0x1f;
  if (ai < 24) {
    at += 1;
    return ai;
  }
  let v: number;
  let min: number;
  if (ai === 24 && end - at >= 2) {
    v = src[at + 1] as number;
    min = 24;
    at += 2;
  } else if (ai === 25 && end - at >= 3) {
    v = ((src[at + 1] as number) << 8) | (src[at + 2] as number);
    min = 0x100;
    at += 3;
  } else if (ai === 26 && end - at >= 5) {
    v = (src[at + 1] as number) * 0x100_0000 + (((src[at + 2] as number) << 16) | ((src[at + 3] as number) << 8) | (src[at + 4] as number));
    min = 0x1_0000;
    at += 5;
  } else {
    return -1;
  }
  return v >= min ? v : -1;
}

/** A byte string of `min`..`max` bytes at `at`, as a view; null if it is not one. */
function bytesView(min: number, max: number): Uint8Array | null {
  const length = head(2);
  if (length < min || length > max || length > end - at) return null;
  const view = src.subarray(at, at + length);
  at += length;
  return view;
}

/** An array of at most `maxItems` byte strings of 1..`maxBytes` bytes each, as views; null if it is not one. */
function bytesArray(maxItems: number, maxBytes: number): Uint8Array[] | null {
  const count = head(4);
  if (count < 0 || count > maxItems) return null;
  const items = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const item = bytesView(1, maxBytes);
    if (item === null) return null;
    items[i] = item;
  }
  return items;
}

/** The unsigned integer under key `key` at `at`, at most `max` (below 2^32); -1 if not there. */
function keyedUint(key: number, max: number): number {
  if (at >= end || src[at] !== key) return -1;
  at += 1;
  const v = head(0);
  return v <= max ? v : -1;
}

function key(k: number): boolean {
  if (at >= end || src[at] !== k) return false;
  at += 1;
  return true;
}

/**
 * Reads an upload batch in place, for exactly the canonical encodings core's generic decoders accept (see
 * InPlaceBatch), with the same values. Returns null for anything else, without saying why: the caller then runs
 * core's decoders, which reject it with their usual reason (or accept the rare valid batch this reader leaves to
 * them, such as a sequence number of 2^32 or more).
 */
export function readBatchInPlace(bytes: Uint8Array): InPlaceBatch | null {
  if (bytes.length > Limits.batchBytes) return null;
  // A plain view, so that the byte strings handed out are plain Uint8Arrays even when `bytes` is a Buffer.
  src = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  at = 0;
  end = src.length;
  try {
    return read(bytes);
  } finally {
    // Do not keep the caller's buffer alive between calls.
    src = new Uint8Array(0);
  }
}

function read(bytes: Uint8Array): InPlaceBatch | null {
  if (end < 7 || src[0] !== 0xd2 || src[1] !== 0x84) return null;
  at = 2;
  const protectedBytes = bytesView(ES256_PROTECTED_HEADER.length, ES256_PROTECTED_HEADER.length);
  if (protectedBytes === null) return null;
  for (let i = 0; i < ES256_PROTECTED_HEADER.length; i++) if (protectedBytes[i] !== ES256_PROTECTED_HEADER[i]) return null;
  if (src[at] !== 0xa0) return null;
  at += 1;
  const payload = bytesView(0, Limits.batchBytes);
  if (payload === null) return null;
  const signature = bytesView(64, 64);
  if (signature === null || at !== end) return null;

  // The payload: {0: 7, 1: terminal id, 2: sequence, 3: createdAt, 4: terminal certificate, 5: [certificates], 6: [receipts]}.
  at = payload.byteOffset - src.byteOffset;
  end = at + payload.length;
  if (src[at] !== 0xa7) return null;
  at += 1;
  if (keyedUint(0, MessageType.UploadBatch) !== MessageType.UploadBatch) return null;
  if (!key(1)) return null;
  const terminalId = bytesView(8, 8);
  if (terminalId === null) return null;
  const sequence = keyedUint(2, 0xffff_ffff);
  const createdAt = keyedUint(3, Limits.maxTime);
  if (sequence < 0 || createdAt < 0 || !key(4)) return null;
  const terminalCertificate = bytesView(1, Limits.certificateBytes);
  if (terminalCertificate === null || !key(5)) return null;
  const cardCertificates = bytesArray(Limits.batchCardCertificates, Limits.certificateBytes);
  if (cardCertificates === null || !key(6)) return null;
  const receipts = bytesArray(Limits.batchReceipts, Limits.receiptBytes);
  if (receipts === null || at !== end) return null;
  return {
    cose: { bytes, protectedBytes, payload, signature },
    batch: { terminalId, sequence, createdAt, terminalCertificate, cardCertificates, receipts },
  };
}
