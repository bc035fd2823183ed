import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import { toHex } from '@ehkd/core';
import type { Ledger } from '../src/ledger.js';
import { valueAudit } from '../src/reports/value-audit.js';
import { renderValueAudit } from '../src/reports/value-audit-text.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import {
  TestCard,
  createTestScheme,
  enrolTerminal,
  loadCard,
  openTestLedger,
  signBatch,
  type TestScheme,
  type TestTerminal,
  removeTempDirs,
} from './fixtures/test-scheme.js';

let scheme: TestScheme;
let ledger: Ledger;
let store: SqliteLedgerStore;
let dbPath: string;
let shop: TestTerminal;

beforeEach(async () => {
  scheme = createTestScheme();
  ({ ledger, store, dbPath } = await openTestLedger(scheme));
  shop = await enrolTerminal(ledger);
});

afterEach(async () => {
  await ledger.close();
  await store.close();
});

/** Pseudo-random but reproducible amounts in cents, including odd cents. */
function amount(i: number): number {
  return 1 + ((i * 7_919) % 2_999);
}

afterAll(removeTempDirs);
describe('the value-conservation audit', () => {
  it('balances to the cent with loads, payments, payments still on terminals (gaps) and a double spend', async () => {
    const cards = Array.from({ length: 6 }, () => TestCard.issue(scheme.issuer));
    let loaded = 0;
    let uploaded = 0;
    let i = 0;
    /** Per card, the payments still on the terminal: counter and amount. */
    const withheld = new Map<TestCard, { counter: number; amount: number }[]>();
    for (const card of cards) {
      withheld.set(card, []);
      for (const load of [20_001, 13_337]) {
        await loadCard(ledger, card, load);
        loaded += load;
        const receipts: Uint8Array[] = [];
        for (let k = 0; k < 4; k++) {
          const a = amount(i++);
          const receipt = card.pay(a, shop.id);
          // Every third payment stays on the terminal (not uploaded yet): the ledger sees a gap in the counters.
          if (i % 3 === 0) withheld.get(card)?.push({ counter: card.counter, amount: a });
          else {
            receipts.push(receipt);
            uploaded += a;
          }
        }
        const r = await ledger.ingestBatch(signBatch(shop, receipts, [card]), 'test');
        if (!r.ok) throw new Error(r.reason);
      }
    }
    // One card's last payment is also spent by a clone at another shop.
    const victim = cards[0] as TestCard;
    const clone = victim.clone();
    const other = await enrolTerminal(ledger);
    const last = victim.pay(1_001, shop.id);
    const cloned = clone.pay(2_002, other.id);
    for (const [t, receipt, c] of [
      [shop, last, victim],
      [other, cloned, clone],
    ] as const) {
      const r = await ledger.ingestBatch(signBatch(t, [receipt], [c]), 'test');
      if (!r.ok) throw new Error(r.reason);
    }
    uploaded += 1_001;

    const audit = await valueAudit(store, { allCards: true });
    expect(audit.balanced).toBe(true);
    const [t] = audit.totals;
    expect(t).toMatchObject({
      currency: 344,
      loaded,
      settled: uploaded,
      flagged: 2_002,
      difference: -2_002,
      explained: -2_002,
      unexplained: 0,
      merchantSettlement: uploaded,
    });
    // Payments still on terminals before a card's last recorded receipt are exactly what the ledger infers is in
    // flight; those after it are indistinguishable from value still on the card, and the audit counts them there.
    let inFlight = 0;
    let onCard = 0;
    for (const card of cards) {
      const receipts = await store.cardReceipts(card.id);
      const lastRecorded = Math.max(...receipts.map((r) => r.counter));
      const held = withheld.get(card) ?? [];
      inFlight += held.filter((w) => w.counter < lastRecorded).reduce((sum, w) => sum + w.amount, 0);
      onCard += card.balance + held.filter((w) => w.counter > lastRecorded).reduce((sum, w) => sum + w.amount, 0);
    }
    expect(inFlight).toBeGreaterThan(0);
    expect(t).toMatchObject({ inFlight, onCard });
    expect(t!.loaded - (t!.settled + t!.onCard + t!.inFlight + t!.flagged)).toBe(-2_002);
    expect(renderValueAudit(audit, await store.fraudCases())).toContain('AUDIT BALANCES');
    const victimAudit = audit.cards.find((c) => c.cardId === toHex(victim.id));
    expect(victimAudit?.items).toEqual([
      { kind: 'conflicting', counters: [victim.counter], amount: -2_002, caseIds: [1] },
    ]);
  });

  it('fails when a stored amount was altered behind the ledger', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    const r = await ledger.ingestBatch(
      signBatch(shop, [card.pay(1_234, shop.id), card.pay(766, shop.id)], [card]),
      'test',
    );
    if (!r.ok) throw new Error(r.reason);
    expect((await valueAudit(store)).balanced).toBe(true);
    const raw = new Database(dbPath);
    raw.prepare('UPDATE receipts SET amount = amount - 1 WHERE counter = 2').run();
    raw.close();
    const audit = await valueAudit(store);
    expect(audit.balanced).toBe(false);
    expect(audit.exceptions[0]).toMatchObject({ cardId: toHex(card.id), unexplained: 1 });
  });
});
