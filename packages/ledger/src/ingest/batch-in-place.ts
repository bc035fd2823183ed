import { CborCursor, ES256_PROTECTED_HEADER, Limits, MessageType, type CoseSign1, type UploadBatch } from '@ehkd/core';

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

/** A byte string of `min`..`max` bytes at the cursor, as a view; null if it is not one. */
function bytesView(c: CborCursor, min: number, max: number): Uint8Array | null {
  const at = c.byteString(min, max);
  return at < 0 ? null : c.bytes.subarray(at, c.pos);
}

/** An array of at most `maxItems` byte strings of 1..`maxBytes` bytes each, as views; null if it is not one. */
function bytesArray(c: CborCursor, maxItems: number, maxBytes: number): Uint8Array[] | null {
  const count = c.argument(4, maxItems);
  if (count < 0) return null;
  const items = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const item = bytesView(c, 1, maxBytes);
    if (item === null) return null;
    items[i] = item;
  }
  return items;
}

/**
 * Reads an upload batch in place, for exactly the canonical encodings core's generic decoders accept (see
 * InPlaceBatch), with the same values. Returns null for anything else, without saying why: the caller then runs
 * core's decoders, which reject it with their usual reason (or accept the rare valid batch this reader leaves to
 * them, such as a sequence number of 2^32 or more).
 */
export function readBatchInPlace(bytes: Uint8Array): InPlaceBatch | null {
  if (bytes.length > Limits.batchBytes) return null;
  // A plain view, so that the byte strings handed out are plain Uint8Arrays even when `bytes` is a Buffer. The
  // cursor is per call (one per batch costs nothing) and holds the buffer only as long as the caller does.
  const c = new CborCursor(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (!c.skip(0xd2) || !c.skip(0x84)) return null;
  const protectedBytes = bytesView(c, ES256_PROTECTED_HEADER.length, ES256_PROTECTED_HEADER.length);
  if (protectedBytes === null) return null;
  for (let i = 0; i < ES256_PROTECTED_HEADER.length; i++)
    if (protectedBytes[i] !== ES256_PROTECTED_HEADER[i]) return null;
  if (!c.skip(0xa0)) return null;
  const payloadAt = c.byteString(0, Limits.batchBytes);
  if (payloadAt < 0) return null;
  const payloadEnd = c.pos;
  const signature = bytesView(c, 64, 64);
  if (signature === null || c.pos !== c.end) return null;
  const payload = c.bytes.subarray(payloadAt, payloadEnd);

  // The payload: {0: 7, 1: terminal id, 2: sequence, 3: createdAt, 4: terminal certificate, 5: [certificates], 6: [receipts]}.
  c.reset(c.bytes, payloadAt, payloadEnd);
  if (!c.skip(0xa7) || !c.skip(0) || c.argument(0, MessageType.UploadBatch) !== MessageType.UploadBatch || !c.skip(1))
    return null;
  const terminalId = bytesView(c, 8, 8);
  if (terminalId === null) return null;
  const sequence = c.skip(2) ? c.argument(0, 0xffff_ffff) : -1;
  const createdAt = c.skip(3) ? c.argument(0, Limits.maxTime) : -1;
  if (sequence < 0 || createdAt < 0 || !c.skip(4)) return null;
  const terminalCertificate = bytesView(c, 1, Limits.certificateBytes);
  if (terminalCertificate === null || !c.skip(5)) return null;
  const cardCertificates = bytesArray(c, Limits.batchCardCertificates, Limits.certificateBytes);
  if (cardCertificates === null || !c.skip(6)) return null;
  const receipts = bytesArray(c, Limits.batchReceipts, Limits.receiptBytes);
  if (receipts === null || c.pos !== c.end) return null;
  return {
    cose: { bytes, protectedBytes, payload, signature },
    batch: { terminalId, sequence, createdAt, terminalCertificate, cardCertificates, receipts },
  };
}
