import { ReceiptStatus, type ReceiptOutcome } from '@ehkd/core';
import { ReceiptState } from './receipt-state.js';
import { blob, type TerminalDatabase } from './terminal-database.js';

/** A stored receipt and where it is on its way to settlement. */
export interface ReceiptRecord {
  /** Local order of arrival. */
  readonly seq: number;
  /** SHA-256 of the receipt payload: its identity and the upload idempotency key. */
  readonly id: Uint8Array;
  /** The COSE_Sign1 bytes exactly as the card returned them. */
  readonly bytes: Uint8Array;
  readonly cardId: Uint8Array;
  readonly counter: number;
  readonly amount: number;
  readonly currency: number;
  readonly nonce: Uint8Array;
  readonly balanceAfter: number;
  /** Terminal time in the receipt. */
  readonly time: number;
  readonly state: ReceiptState;
  /** The last batch that carried it. */
  readonly batchId?: Uint8Array;
  /** For rejected and double-spend receipts: the ledger's failed check and reason. */
  readonly check?: string;
  readonly reason?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Why a batch was cut. */
export const BatchPurpose = { Upload: 'upload', Export: 'export' } as const;
export type BatchPurpose = (typeof BatchPurpose)[keyof typeof BatchPurpose];

/**
 * Batch states: pending (signed and stored; an upload batch is (re)sent until answered), answered (the ledger's
 * verified answer was applied), refused (the ledger refused the whole batch; its receipts went back to the queue),
 * exported (written to a file).
 */
export const BatchState = {
  Pending: 'pending',
  Answered: 'answered',
  Refused: 'refused',
  Exported: 'exported',
} as const;
export type BatchState = (typeof BatchState)[keyof typeof BatchState];

/** A stored batch. */
export interface BatchRecord {
  readonly id: Uint8Array;
  readonly sequence: number;
  readonly purpose: BatchPurpose;
  /** The terminal-signed UploadBatch COSE_Sign1, resent byte for byte. */
  readonly bytes: Uint8Array;
  readonly receipts: number;
  readonly amount: number;
  readonly state: BatchState;
  readonly createdAt: number;
  readonly attempts: number;
  readonly lastError?: string;
  readonly file?: string;
}

/** What goes into a new batch: the receipts and the certificates of their cards (each once). */
export interface BatchContent {
  readonly sequence: number;
  readonly receipts: readonly ReceiptRecord[];
  readonly cardCertificates: readonly Uint8Array[];
}

/** Per-state counts and totals. */
export type QueueCounts = Record<ReceiptState, { readonly count: number; readonly amount: number }>;

/** How a verified ledger answer changed the queue. */
export type AppliedOutcomes = Record<'accepted' | 'duplicate' | 'rejected' | 'doubleSpend' | 'requeued', number>;

const STATE_OF_STATUS: Readonly<Record<ReceiptStatus, ReceiptState>> = {
  [ReceiptStatus.Accepted]: ReceiptState.Accepted,
  [ReceiptStatus.Duplicate]: ReceiptState.Duplicate,
  [ReceiptStatus.Rejected]: ReceiptState.Rejected,
  [ReceiptStatus.DoubleSpend]: ReceiptState.DoubleSpend,
};

const RECEIPT_COLUMNS =
  'seq, id, bytes, card_id, counter, amount, currency, nonce, balance_after, time, state, batch_id, check_id, reason, created_at, updated_at';
const BATCH_COLUMNS = 'id, sequence, purpose, bytes, receipts, amount, state, created_at, attempts, last_error, file';

/**
 * The durable receipt queue and the batches cut from it. Every state change is one transaction; a batch is
 * stored (signed) before it is sent, so a crash at any point leaves something that is simply sent again.
 */
export class ReceiptQueue {
  constructor(private readonly database: TerminalDatabase) {}

  /** Receipts, newest first, optionally of some states only. */
  list(options: { states?: readonly ReceiptState[]; limit?: number } = {}): ReceiptRecord[] {
    const states = options.states ?? [];
    const where = states.length > 0 ? `WHERE state IN (${states.map(() => '?').join(', ')})` : '';
    const rows = this.database.db
      .prepare(`SELECT ${RECEIPT_COLUMNS} FROM receipts ${where} ORDER BY seq DESC LIMIT ?`)
      .all(...states, options.limit ?? -1) as ReceiptRow[];
    return rows.map(toReceipt);
  }

  /** Count and amount per state. */
  counts(): QueueCounts {
    const out = Object.fromEntries(Object.values(ReceiptState).map((s) => [s, { count: 0, amount: 0 }])) as QueueCounts;
    for (const r of this.database.db
      .prepare('SELECT state, COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM receipts GROUP BY state')
      .all() as { state: ReceiptState; n: number; total: number }[]) {
      out[r.state] = { count: r.n, amount: r.total };
    }
    return out;
  }

  /** How many receipts were taken at or after `since` (Unix seconds), whatever became of them. */
  countSince(since: number): number {
    return (
      this.database.db.prepare('SELECT COUNT(*) AS n FROM receipts WHERE created_at >= ?').get(since) as { n: number }
    ).n;
  }

  /** Upload batches stored but not yet answered, oldest first: they are resent byte for byte. */
  unansweredUploads(): BatchRecord[] {
    const rows = this.database.db
      .prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE purpose = ? AND state = ? ORDER BY sequence`)
      .all(BatchPurpose.Upload, BatchState.Pending) as BatchRow[];
    return rows.map(toBatch);
  }

  /** A batch by id. */
  batch(id: Uint8Array): BatchRecord | undefined {
    const row = this.database.db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`).get(id) as
      BatchRow | undefined;
    return row === undefined ? undefined : toBatch(row);
  }

  /**
   * Cuts and stores a batch in one transaction: takes up to `maxReceipts` receipts in `states` (oldest first),
   * lets `sign` build and sign it, stores it (state pending) with its membership, and for an upload moves the
   * receipts to `uploading`. An export leaves receipt states alone until the file is safely written.
   * @returns the batch, or undefined when no receipt is in those states.
   */
  cutBatch(
    purpose: BatchPurpose,
    states: readonly ReceiptState[],
    maxReceipts: number,
    sign: (content: BatchContent) => { readonly id: Uint8Array; readonly bytes: Uint8Array },
    now: number,
  ): BatchRecord | undefined {
    return this.database.write(() => {
      const db = this.database.db;
      const rows = db
        .prepare(
          `SELECT ${RECEIPT_COLUMNS} FROM receipts WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY seq LIMIT ?`,
        )
        .all(...states, maxReceipts) as ReceiptRow[];
      if (rows.length === 0) return undefined;
      const receipts = rows.map(toReceipt);
      const certRows = db
        .prepare(
          `SELECT c.bytes FROM card_certificates c WHERE c.id IN (
             SELECT card_certificate_id FROM receipts WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY seq LIMIT ?
           ) ORDER BY c.id`,
        )
        .all(...states, maxReceipts) as { bytes: Buffer }[];
      const sequence =
        ((db.prepare('SELECT MAX(sequence) AS s FROM batches').get() as { s: number | null }).s ?? 0) + 1;
      const signed = sign({ sequence, receipts, cardCertificates: certRows.map((c) => blob(c.bytes)) });
      const amount = receipts.reduce((n, r) => n + r.amount, 0);
      db.prepare(
        'INSERT INTO batches (id, sequence, purpose, bytes, receipts, amount, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(signed.id, sequence, purpose, signed.bytes, receipts.length, amount, BatchState.Pending, now);
      const member = db.prepare('INSERT INTO batch_receipts (batch_id, receipt_id) VALUES (?, ?)');
      const uploading = db.prepare('UPDATE receipts SET state = ?, batch_id = ?, updated_at = ? WHERE id = ?');
      for (const r of receipts) {
        member.run(signed.id, r.id);
        if (purpose === BatchPurpose.Upload) uploading.run(ReceiptState.Uploading, signed.id, now, r.id);
      }
      return toBatch(db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ?`).get(signed.id) as BatchRow);
    });
  }

  /** Counts a send attempt of a batch and what went wrong, if anything. */
  recordAttempt(batchId: Uint8Array, error: string | undefined): void {
    this.database.write(() => {
      this.database.db
        .prepare('UPDATE batches SET attempts = attempts + 1, last_error = ? WHERE id = ?')
        .run(error?.slice(0, 500) ?? null, batchId);
    });
  }

  /**
   * Applies the ledger's verified answer to an upload batch in one transaction. Only receipts still `uploading`
   * in this batch change; any the answer leaves out go back to `queued`. Applying the same answer twice
   * changes nothing the second time.
   */
  applyOutcomes(
    batchId: Uint8Array,
    resultBytes: Uint8Array,
    outcomes: readonly ReceiptOutcome[],
    now: number,
  ): AppliedOutcomes {
    return this.database.write(() => {
      const db = this.database.db;
      const applied: AppliedOutcomes = { accepted: 0, duplicate: 0, rejected: 0, doubleSpend: 0, requeued: 0 };
      const batch = db.prepare('SELECT state FROM batches WHERE id = ?').get(batchId) as
        { state: BatchState } | undefined;
      if (batch === undefined || batch.state !== BatchState.Pending) return applied;
      const update = db.prepare(
        'UPDATE receipts SET state = ?, check_id = ?, reason = ?, updated_at = ? WHERE id = ? AND batch_id = ? AND state = ?',
      );
      for (const o of outcomes) {
        const state = STATE_OF_STATUS[o.status];
        const changed = update.run(
          state,
          o.check ?? null,
          o.reason ?? null,
          now,
          o.receiptId,
          batchId,
          ReceiptState.Uploading,
        ).changes;
        if (changed === 0) continue;
        if (state === ReceiptState.DoubleSpend) applied.doubleSpend++;
        else applied[state as 'accepted' | 'duplicate' | 'rejected']++;
      }
      applied.requeued = db
        .prepare('UPDATE receipts SET state = ?, batch_id = NULL, updated_at = ? WHERE batch_id = ? AND state = ?')
        .run(ReceiptState.Queued, now, batchId, ReceiptState.Uploading).changes;
      db.prepare('UPDATE batches SET state = ?, result = ?, answered_at = ?, last_error = NULL WHERE id = ?').run(
        BatchState.Answered,
        resultBytes,
        now,
        batchId,
      );
      return applied;
    });
  }

  /**
   * Applies the ledger's verified answer to an exported batch (brought back by hand): every member of the batch
   * still unsettled takes its outcome, wherever it is now (queued, exported again, or in an upload awaiting an
   * answer, which then finds it settled). Members the answer leaves out keep their state. One transaction.
   */
  applyExportOutcomes(
    batchId: Uint8Array,
    resultBytes: Uint8Array,
    outcomes: readonly ReceiptOutcome[],
    now: number,
  ): AppliedOutcomes {
    return this.database.write(() => {
      const db = this.database.db;
      const applied: AppliedOutcomes = { accepted: 0, duplicate: 0, rejected: 0, doubleSpend: 0, requeued: 0 };
      const update = db.prepare(
        `UPDATE receipts SET state = ?, check_id = ?, reason = ?, updated_at = ?
         WHERE id = ? AND state IN (?, ?, ?) AND id IN (SELECT receipt_id FROM batch_receipts WHERE batch_id = ?)`,
      );
      for (const o of outcomes) {
        const state = STATE_OF_STATUS[o.status];
        const changed = update.run(
          state,
          o.check ?? null,
          o.reason ?? null,
          now,
          o.receiptId,
          ReceiptState.Queued,
          ReceiptState.Exported,
          ReceiptState.Uploading,
          batchId,
        ).changes;
        if (changed === 0) continue;
        if (state === ReceiptState.DoubleSpend) applied.doubleSpend++;
        else applied[state as 'accepted' | 'duplicate' | 'rejected']++;
      }
      db.prepare('UPDATE batches SET state = ?, result = ?, answered_at = ? WHERE id = ?').run(
        BatchState.Answered,
        resultBytes,
        now,
        batchId,
      );
      return applied;
    });
  }

  /** The ledger refused a whole batch (4xx): its receipts go back to the queue, the batch is closed. */
  refuseBatch(batchId: Uint8Array, reason: string, now: number): number {
    return this.database.write(() => {
      const db = this.database.db;
      db.prepare('UPDATE batches SET state = ?, last_error = ? WHERE id = ? AND state = ?').run(
        BatchState.Refused,
        reason.slice(0, 500),
        batchId,
        BatchState.Pending,
      );
      return db
        .prepare('UPDATE receipts SET state = ?, batch_id = NULL, updated_at = ? WHERE batch_id = ? AND state = ?')
        .run(ReceiptState.Queued, now, batchId, ReceiptState.Uploading).changes;
    });
  }

  /**
   * Marks an export batch as written to `file`: its receipts that are still queued become exported (receipts
   * that moved on meanwhile, e.g. into an upload, keep their state). One transaction.
   */
  markExported(batchId: Uint8Array, file: string, now: number): number {
    return this.database.write(() => {
      const db = this.database.db;
      db.prepare('UPDATE batches SET state = ?, file = ? WHERE id = ?').run(BatchState.Exported, file, batchId);
      return db
        .prepare(
          `UPDATE receipts SET state = ?, batch_id = ?, updated_at = ?
           WHERE state IN (?, ?) AND id IN (SELECT receipt_id FROM batch_receipts WHERE batch_id = ?)`,
        )
        .run(ReceiptState.Exported, batchId, now, ReceiptState.Queued, ReceiptState.Exported, batchId).changes;
    });
  }
}

interface ReceiptRow {
  seq: number;
  id: Buffer;
  bytes: Buffer;
  card_id: Buffer;
  counter: number;
  amount: number;
  currency: number;
  nonce: Buffer;
  balance_after: number;
  time: number;
  state: ReceiptState;
  batch_id: Buffer | null;
  check_id: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
}

interface BatchRow {
  id: Buffer;
  sequence: number;
  purpose: BatchPurpose;
  bytes: Buffer;
  receipts: number;
  amount: number;
  state: BatchState;
  created_at: number;
  attempts: number;
  last_error: string | null;
  file: string | null;
}

function toReceipt(r: ReceiptRow): ReceiptRecord {
  return {
    seq: r.seq,
    id: blob(r.id),
    bytes: blob(r.bytes),
    cardId: blob(r.card_id),
    counter: r.counter,
    amount: r.amount,
    currency: r.currency,
    nonce: blob(r.nonce),
    balanceAfter: r.balance_after,
    time: r.time,
    state: r.state,
    ...(r.batch_id !== null && { batchId: blob(r.batch_id) }),
    ...(r.check_id !== null && { check: r.check_id }),
    ...(r.reason !== null && { reason: r.reason }),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toBatch(r: BatchRow): BatchRecord {
  return {
    id: blob(r.id),
    sequence: r.sequence,
    purpose: r.purpose,
    bytes: blob(r.bytes),
    receipts: r.receipts,
    amount: r.amount,
    state: r.state,
    createdAt: r.created_at,
    attempts: r.attempts,
    ...(r.last_error !== null && { lastError: r.last_error }),
    ...(r.file !== null && { file: r.file }),
  };
}
