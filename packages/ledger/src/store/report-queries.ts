import { Disposition, Liability, LoadState, ReceiptKind } from './ledger-store.js';

/**
 * The reports' SQL, the same for every SQL store (`?` placeholders; the PostgreSQL store numbers them). What the
 * queries sum are decisions the domain code recorded (a receipt's disposition and liability, an authorization's
 * state); the one rule here is settlement's: a void authorization is not debited to the load point that sold it,
 * unless the card has a fraud case (the proof that it never executed rests on the receipt at its counter + 1 being
 * a genuine card's, which a cloned card's chain no longer shows).
 * `insertOrder` is the column that orders a card's receipts of one counter as they were recorded.
 */
export function reportQueries(insertOrder: string) {
  const notDebited = `CASE WHEN a.state = ${LoadState.Void} AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.card_id = a.card_id) THEN 1 ELSE 0 END`;
  return {
    card: 'SELECT * FROM cards WHERE card_id = ?',
    cards: 'SELECT * FROM cards ORDER BY card_id',
    cardReceipts: `SELECT * FROM receipts WHERE card_id = ? ORDER BY counter, ${insertOrder}`,
    auditFirst: `SELECT ${insertOrder} AS seq_key, * FROM receipts ORDER BY card_id, counter, ${insertOrder} LIMIT ?`,
    auditAfter: `SELECT ${insertOrder} AS seq_key, * FROM receipts WHERE (card_id, counter, ${insertOrder}) > (?, ?, ?)
      ORDER BY card_id, counter, ${insertOrder} LIMIT ?`,
    // Payments (is_load 0) and the loads the merchant's load points sold (is_load 1), per merchant and currency.
    merchantSettlement: `WITH activity AS (
        SELECT merchant_id, currency, terminal_id, disposition, liability, amount, 0 AS is_load, 0 AS is_void
          FROM receipts WHERE kind = ${ReceiptKind.Pay} AND merchant_id IS NOT NULL
        UNION ALL
        SELECT a.merchant_id, a.currency, a.terminal_id, NULL, NULL, a.amount, 1, ${notDebited}
          FROM load_authorizations a WHERE a.merchant_id IS NOT NULL)
      SELECT r.merchant_id, r.currency, COUNT(DISTINCT r.terminal_id) AS terminals,
        COALESCE((SELECT m.name FROM merchants m WHERE m.merchant_id = r.merchant_id),
          (SELECT t.name FROM terminals t WHERE t.merchant_id = r.merchant_id ORDER BY t.enrolled_at DESC LIMIT 1)) AS name,
        SUM(CASE WHEN r.disposition = ${Disposition.Credited} THEN 1 ELSE 0 END) AS credited_count,
        SUM(CASE WHEN r.disposition = ${Disposition.Credited} THEN r.amount ELSE 0 END) AS credited_amount,
        SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Issuer} THEN 1 ELSE 0 END) AS issuer_count,
        SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Issuer} THEN r.amount ELSE 0 END) AS issuer_amount,
        SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Merchant} THEN 1 ELSE 0 END) AS merchant_count,
        SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Merchant} THEN r.amount ELSE 0 END) AS merchant_amount,
        SUM(r.is_load - r.is_void) AS load_count,
        SUM(CASE WHEN r.is_load = 1 AND r.is_void = 0 THEN r.amount ELSE 0 END) AS load_amount,
        SUM(r.is_void) AS void_count,
        SUM(CASE WHEN r.is_void = 1 THEN r.amount ELSE 0 END) AS void_amount
      FROM activity r GROUP BY r.merchant_id, r.currency ORDER BY r.merchant_id, r.currency`,
    loadTotals: `SELECT card_id, SUM(1 - dead) AS n, SUM(CASE WHEN dead = 0 THEN amount ELSE 0 END) AS amount,
        SUM(dead) AS void_n, SUM(CASE WHEN dead = 1 THEN amount ELSE 0 END) AS void_amount,
        SUM(CASE WHEN executed = 1 THEN amount ELSE 0 END) AS executed_amount
      FROM (SELECT a.card_id, a.amount,
          CASE WHEN a.state = ${LoadState.Void} THEN 1 ELSE 0 END AS dead,
          CASE WHEN a.state = ${LoadState.Executed} THEN 1 ELSE 0 END AS executed
        FROM load_authorizations a) l
      GROUP BY card_id ORDER BY card_id`,
    cases: `SELECT c.*, COALESCE(f.n, 0) AS flagged_count, COALESCE(f.amount, 0) AS flagged_amount FROM cases c
      LEFT JOIN (SELECT case_id, COUNT(*) AS n, SUM(amount) AS amount FROM receipts
        WHERE case_id IS NOT NULL AND kind = ${ReceiptKind.Pay} GROUP BY case_id) f ON f.case_id = c.case_id`,
    batches: 'SELECT * FROM batches ORDER BY first_received_at, batch_id',
    terminal:
      'SELECT t.*, v.revoked_at FROM terminals t LEFT JOIN terminal_revocations v ON v.terminal_id = t.terminal_id',
  } as const;
}

/** Receipts per page of the audit's walk over every receipt. */
export const AUDIT_PAGE = 5_000;
