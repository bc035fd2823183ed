import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader, checkBytes } from '../codec/map-reader.js';
import { ID_LENGTH } from '../ids/identifiers.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/**
 * Payload of a terminal-signed upload batch (message type 7). Receipts and certificates are carried as the
 * exact bytes the card produced, so the ledger verifies the card's signatures over the bytes it signed.
 * Idempotency is per receipt (its payload hash), never per batch: a batch may be resent or re-cut at will.
 */
export interface UploadBatch {
  readonly terminalId: Uint8Array;
  /** The terminal's own batch counter (for logs and support; not an idempotency key). */
  readonly sequence: number;
  readonly createdAt: number;
  /** The terminal's certificate (COSE_Sign1 bytes). */
  readonly terminalCertificate: Uint8Array;
  /** Certificates of the cards whose receipts are in the batch (COSE_Sign1 bytes, each once). */
  readonly cardCertificates: readonly Uint8Array[];
  /** Pay receipts (COSE_Sign1 bytes as the cards returned them). */
  readonly receipts: readonly Uint8Array[];
}

/** Encodes an upload batch payload. @throws CodecError on out-of-limit fields (misuse). */
export function encodeUploadBatch(b: UploadBatch): Uint8Array {
  const bytes = encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.UploadBatch],
      [1, b.terminalId],
      [2, b.sequence],
      [3, b.createdAt],
      [4, b.terminalCertificate],
      [5, [...b.cardCertificates]],
      [6, [...b.receipts]],
    ]),
  );
  decodeUploadBatch(bytes);
  return bytes;
}

/** Decodes an upload batch payload (the nested certificates and receipts are decoded by the verifier). @throws CodecError */
export function decodeUploadBatch(payload: Uint8Array): UploadBatch {
  const r = new MapReader(
    decodePayload(payload, Limits.batchBytes, 'UploadBatch', {
      maxItems: Math.max(Limits.batchReceipts, Limits.batchCardCertificates),
    }),
    'UploadBatch',
  );
  r.messageType(MessageType.UploadBatch);
  const b = {
    terminalId: r.bytes(1, ID_LENGTH),
    sequence: r.uint(2, Number.MAX_SAFE_INTEGER),
    createdAt: r.uint(3, Limits.maxTime),
    terminalCertificate: r.bytes(4, { min: 1, max: Limits.certificateBytes }),
    cardCertificates: r.array(5, Limits.batchCardCertificates, (v, p) =>
      checkBytes(v, { min: 1, max: Limits.certificateBytes }, p),
    ),
    receipts: r.array(6, Limits.batchReceipts, (v, p) => checkBytes(v, { min: 1, max: Limits.receiptBytes }, p)),
  };
  r.done();
  return b;
}
