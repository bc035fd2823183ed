import { sha256, type PayReceipt, type Signed } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { CrashPoint, type FaultHook } from '../faults/crash-point.js';
import type { ApprovedPayment } from '../tap/tap-result.js';
import { type IntentResolution, IntentState, ReceiptState, UNSETTLED_STATES } from './receipt-state.js';
import { blob, type TerminalDatabase } from './terminal-database.js';
import { NextStep } from '../errors/next-step.js';

/** A tap's intent: what the terminal is about to ask the card, persisted before PAY is sent. */
export interface Intent {
  readonly nonce: Uint8Array;
  readonly cardId: Uint8Array;
  /** The card certificate presented at SELECT (COSE_Sign1 bytes), kept for the receipt's upload. */
  readonly cardCertificate: Uint8Array;
  readonly amount: number;
  readonly currency: number;
  /** The card's counter in its SELECT answer: a higher counter later means the card committed something since. */
  readonly counterSeen: number;
  readonly createdAt: number;
}

/** A pending intent as stored. */
export interface PendingIntent extends Intent {
  readonly state: typeof IntentState.Pending;
}

/** A card-signed receipt the terminal holds: its identity and its exact COSE bytes. */
export interface HeldReceipt {
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
}

/** Totals the terminal's cumulative offline limits apply to. */
export interface OfflineExposure {
  /** Receipts without a verified ledger answer. */
  readonly receipts: number;
  readonly receiptAmount: number;
  /** Taps whose outcome is unknown (the card may have paid). */
  readonly pendingIntents: number;
  readonly pendingAmount: number;
}

/**
 * The journal of taps: intents before PAY and receipts after, each step one durable transaction.
 * The receipt and the closing of its intent share one transaction, so no crash can leave one without the other.
 */
export class TapJournal {
  constructor(
    private readonly database: TerminalDatabase,
    private readonly fault?: FaultHook,
  ) {}

  /** Persists a tap's intent (state pending) and the card certificate it was made with. One commit. */
  recordIntent(intent: Intent): void {
    const certId = sha256(intent.cardCertificate);
    this.database.write(() => {
      this.database.db
        .prepare('INSERT OR IGNORE INTO card_certificates (id, card_id, bytes) VALUES (?, ?, ?)')
        .run(certId, intent.cardId, intent.cardCertificate);
      this.database.db
        .prepare(
          'INSERT INTO intents (nonce, card_id, card_certificate_id, amount, currency, counter_seen, created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          intent.nonce,
          intent.cardId,
          certId,
          intent.amount,
          intent.currency,
          intent.counterSeen,
          intent.createdAt,
          IntentState.Pending,
        );
    });
  }

  /**
   * Persists a verified receipt (state queued) and completes its intent, in one commit.
   * @throws TerminalError STORAGE_UNAVAILABLE when the commit fails on a full, read-only or failing disk (nothing kept)
   */
  recordReceipt(
    nonce: Uint8Array,
    receipt: Signed<PayReceipt>,
    resolution: typeof IntentResolution.Approved | typeof IntentResolution.Recovered,
    now: number,
  ): void {
    this.database.write(() => {
      const intent = this.database.db
        .prepare('SELECT card_certificate_id FROM intents WHERE nonce = ? AND state = ?')
        .get(nonce, IntentState.Pending) as { card_certificate_id: Buffer } | undefined;
      if (intent === undefined) {
        throw new TerminalError(TerminalErrorCode.StoreFailed, 'this tap was already resolved by another process', {
          next: NextStep.CheckReceipts,
        });
      }
      const p = receipt.payload;
      this.database.db
        .prepare(
          `INSERT INTO receipts (id, bytes, card_id, counter, amount, currency, nonce, balance_after, time, card_certificate_id, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          receipt.id,
          receipt.cose.bytes,
          p.cardId,
          p.counter,
          p.amount,
          p.currency,
          p.nonce,
          p.balanceAfter,
          p.time,
          intent.card_certificate_id,
          ReceiptState.Queued,
          now,
          now,
        );
      this.database.db
        .prepare('UPDATE intents SET state = ?, resolution = ?, receipt_id = ?, resolved_at = ? WHERE nonce = ?')
        .run(IntentState.Completed, resolution, receipt.id, now, nonce);
      this.fault?.(CrashPoint.TapReceiptCommit);
    });
  }

  /** Voids a pending intent with the reason (status word, failed check, bytes received). One commit. */
  voidIntent(
    nonce: Uint8Array,
    resolution: Exclude<IntentResolution, 'approved' | 'recovered'>,
    detail: string,
    now: number,
  ): void {
    this.database.write(() => {
      this.database.db
        .prepare(
          'UPDATE intents SET state = ?, resolution = ?, detail = ?, resolved_at = ? WHERE nonce = ? AND state = ?',
        )
        .run(IntentState.Voided, resolution, detail, now, nonce, IntentState.Pending);
    });
  }

  /**
   * Marks a completed intent's approval as shown to the cashier. A relaxed commit: if a power cut loses it, the
   * next tap of the card shows the approval again instead of charging, which errs on the safe side.
   */
  markAnnounced(nonce: Uint8Array, now: number): void {
    this.database.writeRelaxed(() => {
      this.database.db
        .prepare('UPDATE intents SET announced_at = ? WHERE nonce = ? AND announced_at IS NULL')
        .run(now, nonce);
    });
  }

  /**
   * The newest payment of this card whose approval was never shown (the terminal stopped between persisting the
   * receipt and showing it): the next tap of the card shows it instead of charging again.
   */
  unannouncedFor(cardId: Uint8Array): ApprovedPayment | undefined {
    const row = this.database.db
      .prepare(
        `SELECT r.id, r.card_id, r.counter, r.amount, r.currency, r.balance_after, r.nonce, r.time FROM intents i JOIN receipts r ON r.nonce = i.nonce
         WHERE i.card_id = ? AND i.state = ? AND i.announced_at IS NULL ORDER BY r.seq DESC LIMIT 1`,
      )
      .get(cardId, IntentState.Completed) as PaymentRow | undefined;
    return row === undefined ? undefined : toPayment(row);
  }

  /** Payments whose approval was never shown, newest first (for status: the cashier must know of them). */
  allUnannounced(): ApprovedPayment[] {
    const rows = this.database.db
      .prepare(
        `SELECT r.id, r.card_id, r.counter, r.amount, r.currency, r.balance_after, r.nonce, r.time FROM intents i JOIN receipts r ON r.nonce = i.nonce
         WHERE i.state = ? AND i.announced_at IS NULL ORDER BY r.seq DESC`,
      )
      .all(IntentState.Completed) as PaymentRow[];
    return rows.map(toPayment);
  }

  /** Pending intents of one card, oldest first. */
  pendingFor(cardId: Uint8Array): PendingIntent[] {
    const rows = this.database.db
      .prepare(
        `SELECT i.nonce, i.card_id, c.bytes AS cert, i.amount, i.currency, i.counter_seen, i.created_at FROM intents i
         JOIN card_certificates c ON c.id = i.card_certificate_id WHERE i.card_id = ? AND i.state = ? ORDER BY i.created_at, i.rowid`,
      )
      .all(cardId, IntentState.Pending) as IntentRow[];
    return rows.map(toPending);
  }

  /** Every pending intent, oldest first (for status). */
  allPending(): PendingIntent[] {
    const rows = this.database.db
      .prepare(
        `SELECT i.nonce, i.card_id, c.bytes AS cert, i.amount, i.currency, i.counter_seen, i.created_at FROM intents i
         JOIN card_certificates c ON c.id = i.card_certificate_id WHERE i.state = ? ORDER BY i.created_at, i.rowid`,
      )
      .all(IntentState.Pending) as IntentRow[];
    return rows.map(toPending);
  }

  /**
   * The highest counter of any receipt of this card the terminal holds, whatever its settlement state (receipts are
   * never deleted): a genuine card's counter never goes back, so its counter at SELECT is at least this.
   */
  highestHeldCounter(cardId: Uint8Array): number | undefined {
    const row = this.database.db.prepare('SELECT MAX(counter) AS n FROM receipts WHERE card_id = ?').get(cardId) as {
      n: number | null;
    };
    return row.n ?? undefined;
  }

  /** The receipts of this card the terminal holds at one counter (one, unless the card already signed two there). */
  heldAt(cardId: Uint8Array, counter: number): HeldReceipt[] {
    const rows = this.database.db
      .prepare('SELECT id, bytes FROM receipts WHERE card_id = ? AND counter = ? ORDER BY seq')
      .all(cardId, counter) as { id: Buffer; bytes: Buffer }[];
    return rows.map((r) => ({ id: blob(r.id), bytes: blob(r.bytes) }));
  }

  /** Intent counts per state. */
  intentCounts(): Record<IntentState, number> {
    const out: Record<IntentState, number> = { pending: 0, completed: 0, voided: 0 };
    for (const r of this.database.db.prepare('SELECT state, COUNT(*) AS n FROM intents GROUP BY state').all() as {
      state: IntentState;
      n: number;
    }[])
      out[r.state] = r.n;
    return out;
  }

  /** What the cumulative offline limits count: unsettled receipts and pending intents. */
  exposure(): OfflineExposure {
    const marks = UNSETTLED_STATES.map(() => '?').join(', ');
    const r = this.database.db
      .prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM receipts WHERE state IN (${marks})`)
      .get(...UNSETTLED_STATES) as { n: number; total: number };
    const i = this.database.db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(amount), 0) AS total FROM intents WHERE state = ?')
      .get(IntentState.Pending) as { n: number; total: number };
    return { receipts: r.n, receiptAmount: r.total, pendingIntents: i.n, pendingAmount: i.total };
  }
}

interface PaymentRow {
  id: Buffer;
  card_id: Buffer;
  counter: number;
  amount: number;
  currency: number;
  balance_after: number;
  nonce: Buffer;
  time: number;
}

function toPayment(r: PaymentRow): ApprovedPayment {
  return {
    receiptId: blob(r.id),
    cardId: blob(r.card_id),
    counter: r.counter,
    amount: r.amount,
    currency: r.currency,
    balanceAfter: r.balance_after,
    nonce: blob(r.nonce),
    time: r.time,
  };
}

interface IntentRow {
  nonce: Buffer;
  card_id: Buffer;
  cert: Buffer;
  amount: number;
  currency: number;
  counter_seen: number;
  created_at: number;
}

function toPending(r: IntentRow): PendingIntent {
  return {
    state: IntentState.Pending,
    nonce: blob(r.nonce),
    cardId: blob(r.card_id),
    cardCertificate: blob(r.cert),
    amount: r.amount,
    currency: r.currency,
    counterSeen: r.counter_seen,
    createdAt: r.created_at,
  };
}
