import type { CheckId } from '@ehkd/core';
import type { ReceiptCheck } from './receipt-check.js';

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

/**
 * Worker side: the verdicts of a chunk, written straight into the transferable records buffer as they are
 * reached, so that the verified fields never become per-receipt objects.
 */
export class CheckRecords {
  readonly records: ArrayBuffer;
  readonly rejections: PackedRejection[] = [];
  private readonly view: DataView;
  private readonly bytes: Uint8Array;

  constructor(count: number) {
    this.records = new ArrayBuffer(count * RECORD);
    this.view = new DataView(this.records);
    this.bytes = new Uint8Array(this.records);
  }

  /** Records receipt `i` as rejected. */
  reject(i: number, check: CheckId, reason: string): void {
    this.rejections.push({ index: i, check, reason });
  }

  /**
   * Records receipt `i` as verified. `id` is the SHA-256 as a latin1 string (one character per byte), the form in
   * which node:crypto's one-shot hash returns it without allocating a buffer. The card id and previous hash are
   * copied from where they lie (`cardIdAt` in `cardIdIn`, `prevHashAt` in `prevHashIn`), often the received bytes.
   */
  accept(
    i: number,
    certIndex: number,
    counter: number,
    currency: number,
    amount: number,
    balanceAfter: number,
    time: number,
    id: string,
    cardIdIn: Uint8Array,
    cardIdAt: number,
    prevHashIn: Uint8Array,
    prevHashAt: number,
    issuerId: Uint8Array,
  ): void {
    const at = i * RECORD;
    const view = this.view;
    const bytes = this.bytes;
    view.setUint8(at, OK);
    view.setUint32(at + 4, certIndex);
    view.setUint32(at + 8, counter);
    view.setUint32(at + 12, currency);
    view.setFloat64(at + 16, amount);
    view.setFloat64(at + 24, balanceAfter);
    view.setUint32(at + 32, time);
    for (let k = 0; k < 32; k++) bytes[at + ID + k] = id.charCodeAt(k);
    for (let k = 0; k < 8; k++) bytes[at + CARD + k] = cardIdIn[cardIdAt + k] as number;
    for (let k = 0; k < 32; k++) bytes[at + PREV + k] = prevHashIn[prevHashAt + k] as number;
    for (let k = 0; k < 8; k++) bytes[at + ISSUER + k] = issuerId[k] as number;
  }
}

/** Main side: the verdicts of a chunk (byte fields are views into `records`). */
export function unpackChecks(records: ArrayBuffer, rejections: readonly PackedRejection[]): ReceiptCheck[] {
  const view = new DataView(records);
  const bytes = new Uint8Array(records);
  const out: ReceiptCheck[] = new Array<ReceiptCheck>(records.byteLength / RECORD);
  for (let i = 0; i < out.length; i++) {
    const at = i * RECORD;
    if (view.getUint8(at) !== OK) continue;
    out[i] = {
      ok: true,
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
  }
  for (const r of rejections) out[r.index] = { ok: false, check: r.check, reason: r.reason };
  return out;
}
