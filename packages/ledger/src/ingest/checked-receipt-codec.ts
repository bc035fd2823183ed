import type { CheckId } from '@ehkd/core';
import type { CheckedFields, ReceiptCheck } from './receipt-check.js';

// One fixed-size record per receipt, so a chunk's results cross the thread boundary as one transferable buffer.
const RECORD = 120;
const OK = 1;
const ID = 40;
const CARD = 72;
const PREV = 80;
const ISSUER = 112;

/** A rejection travels beside the records (rare, variable-length). */
export interface PackedRejection {
  readonly index: number;
  readonly check: CheckId;
  readonly reason: string;
}

/** Worker side: packs the verdicts of a chunk. */
export function packChecks(checks: readonly ReceiptCheck[]): { records: ArrayBuffer; rejections: PackedRejection[] } {
  const records = new ArrayBuffer(checks.length * RECORD);
  const view = new DataView(records);
  const bytes = new Uint8Array(records);
  const rejections: PackedRejection[] = [];
  checks.forEach((c, i) => {
    const at = i * RECORD;
    if (!c.ok) {
      rejections.push({ index: i, check: c.check, reason: c.reason });
      return;
    }
    view.setUint8(at, OK);
    view.setUint32(at + 4, c.certIndex);
    view.setUint32(at + 8, c.counter);
    view.setUint32(at + 12, c.currency);
    view.setFloat64(at + 16, c.amount);
    view.setFloat64(at + 24, c.balanceAfter);
    view.setUint32(at + 32, c.time);
    bytes.set(c.id, at + ID);
    bytes.set(c.cardId, at + CARD);
    bytes.set(c.prevHash, at + PREV);
    bytes.set(c.issuerId, at + ISSUER);
  });
  return { records, rejections };
}

/** Main side: the verdicts of a chunk (byte fields are views into `records`). */
export function unpackChecks(records: ArrayBuffer, rejections: readonly PackedRejection[]): ReceiptCheck[] {
  const view = new DataView(records);
  const bytes = new Uint8Array(records);
  const out: ReceiptCheck[] = new Array<ReceiptCheck>(records.byteLength / RECORD);
  for (let i = 0; i < out.length; i++) {
    const at = i * RECORD;
    if (view.getUint8(at) !== OK) continue;
    const fields: CheckedFields = {
      certIndex: view.getUint32(at + 4),
      counter: view.getUint32(at + 8),
      currency: view.getUint32(at + 12),
      amount: view.getFloat64(at + 16),
      balanceAfter: view.getFloat64(at + 24),
      time: view.getUint32(at + 32),
      id: bytes.subarray(at + ID, at + ID + 32),
      cardId: bytes.subarray(at + CARD, at + CARD + 8),
      prevHash: bytes.subarray(at + PREV, at + PREV + 32),
      issuerId: bytes.subarray(at + ISSUER, at + ISSUER + 8),
    };
    out[i] = { ok: true, ...fields };
  }
  for (const r of rejections) out[r.index] = { ok: false, check: r.check, reason: r.reason };
  return out;
}
