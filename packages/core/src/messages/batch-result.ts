import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader, truncateUtf8 } from '../codec/map-reader.js';
import { HASH_LENGTH } from '../ids/identifiers.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/** The ledger's answer for one receipt. */
export const ReceiptStatus = { Accepted: 1, Duplicate: 2, Rejected: 3, DoubleSpend: 4 } as const;
export type ReceiptStatus = (typeof ReceiptStatus)[keyof typeof ReceiptStatus];

/** Stable names of receipt statuses for output. */
export const RECEIPT_STATUS_NAME: Readonly<Record<ReceiptStatus, string>> = {
  [ReceiptStatus.Accepted]: 'accepted',
  [ReceiptStatus.Duplicate]: 'duplicate',
  [ReceiptStatus.Rejected]: 'rejected',
  [ReceiptStatus.DoubleSpend]: 'double-spend',
};

/** One receipt's outcome. `receiptId` is the receipt's identity (SHA-256 of its payload). */
export interface ReceiptOutcome {
  readonly receiptId: Uint8Array;
  readonly status: ReceiptStatus;
  /** For rejected receipts the CheckId that failed; for double spends the evidence kind name (EVIDENCE_KIND_NAME). */
  readonly check?: string;
  readonly reason?: string;
}

/** Payload of the ledger's signed answer to a batch (message type 8): one outcome per receipt of the batch. */
export interface BatchResult {
  /** Identity of the batch answered (SHA-256 of its payload). */
  readonly batchId: Uint8Array;
  readonly processedAt: number;
  readonly outcomes: readonly ReceiptOutcome[];
}

/** Encodes a batch result payload. */
export function encodeBatchResult(b: BatchResult): Uint8Array {
  const outcomes = b.outcomes.map((o) => {
    const m = new Map<number, CborValue>([
      [1, o.receiptId],
      [2, o.status],
    ]);
    if (o.check !== undefined) m.set(3, o.check);
    if (o.reason !== undefined) m.set(4, truncateUtf8(o.reason, Limits.reasonLength));
    return m;
  });
  return encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.BatchResult],
      [1, b.batchId],
      [2, b.processedAt],
      [3, outcomes],
    ]),
  );
}

/** Decodes a batch result payload. @throws CodecError */
export function decodeBatchResult(payload: Uint8Array): BatchResult {
  const r = new MapReader(
    decodePayload(payload, Limits.batchResultBytes, 'BatchResult', { maxItems: Limits.batchReceipts }),
    'BatchResult',
  );
  r.messageType(MessageType.BatchResult);
  const batchId = r.bytes(1, HASH_LENGTH);
  const processedAt = r.uint(2, Limits.maxTime);
  const outcomes = r.array(3, Limits.batchReceipts, (v, path) => {
    const o = new MapReader(v, path);
    const out: ReceiptOutcome = {
      receiptId: o.bytes(1, HASH_LENGTH),
      status: o.uint(2, ReceiptStatus.DoubleSpend, ReceiptStatus.Accepted) as ReceiptStatus,
      ...(o.has(3) && { check: o.text(3, Limits.checkLength) }),
      ...(o.has(4) && { reason: o.text(4, Limits.reasonLength) }),
    };
    o.done();
    return out;
  });
  r.done();
  return { batchId, processedAt, outcomes };
}
