import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CBOR_CONTENT_TYPE,
  LedgerApi,
  Limits,
  ReceiptStatus,
  decodeBatchResult,
  decodeCoseSign1,
  payloadId,
  toHex,
} from '@ehkd/core';
import type { Ledger } from '../src/ledger.js';
import { valueAudit } from '../src/reports/value-audit.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import {
  TestCard,
  createTestScheme,
  enrolTerminal,
  loadCard,
  signBatch,
  type TestScheme,
  type TestTerminal,
} from './fixtures/test-scheme.js';
import { startTestServer, type TestServer } from './fixtures/test-server.js';

let scheme: TestScheme;
let server: TestServer;
let ledger: Ledger;
let store: SqliteLedgerStore;
let base: string;

beforeAll(async () => {
  scheme = createTestScheme();
  server = await startTestServer(scheme);
  ({ ledger, store, base } = server);
});

afterAll(() => server.close());

describe('many terminals uploading overlapping batches at the same time over HTTP', () => {
  it('settles every receipt exactly once, whatever the order and however often it is sent', async () => {
    const terminals: TestTerminal[] = [];
    for (let t = 0; t < 8; t++) terminals.push(await enrolTerminal(ledger, undefined, `Shop ${t}`));
    const cards: TestCard[] = [];
    for (let c = 0; c < 12; c++) {
      const card = TestCard.issue(scheme.issuer);
      await loadCard(ledger, card, 200_000);
      cards.push(card);
    }
    // Cards pay at every terminal in turn, so each card's chain is spread over all terminals' uploads.
    const perTerminal = new Map<TestTerminal, { receipts: Uint8Array[]; cards: Set<TestCard> }>(
      terminals.map((t) => [t, { receipts: [], cards: new Set() }]),
    );
    const expected = new Map<string, number>();
    let unique = 0;
    let total = 0;
    for (let round = 0; round < 10; round++) {
      cards.forEach((card, c) => {
        const t = terminals[(round + c) % terminals.length] as TestTerminal;
        const amount = 100 + ((round * 31 + c * 17) % 900);
        const slot = perTerminal.get(t)!;
        slot.receipts.push(card.pay(amount, t.id));
        slot.cards.add(card);
        expected.set(toHex(t.merchantId), (expected.get(toHex(t.merchantId)) ?? 0) + amount);
        unique++;
        total += amount;
      });
    }
    // Each terminal re-cuts its queue into overlapping batches (as after a lost answer) and sends them all at once.
    const uploads: Uint8Array[] = [];
    for (const [t, slot] of perTerminal) {
      const r = slot.receipts;
      const third = Math.ceil(r.length / 3);
      for (const cut of [r.slice(0, 2 * third), r.slice(third), r.slice(0, third).concat(r.slice(2 * third)), r])
        uploads.push(signBatch(t, cut, [...slot.cards]));
    }
    uploads.sort(() => Math.random() - 0.5);
    const answers = await Promise.all(
      uploads.map(async (body) => {
        const res = await fetch(`${base}${LedgerApi.batches}`, {
          method: 'POST',
          headers: { 'content-type': CBOR_CONTENT_TYPE },
          body,
        });
        expect(res.status).toBe(200);
        return decodeBatchResult(
          decodeCoseSign1(new Uint8Array(await res.arrayBuffer()), Limits.batchResultBytes).payload,
        );
      }),
    );

    const accepted = new Map<string, number>();
    for (const a of answers) {
      for (const o of a.outcomes) {
        expect([ReceiptStatus.Accepted, ReceiptStatus.Duplicate]).toContain(o.status);
        if (o.status === ReceiptStatus.Accepted)
          accepted.set(toHex(o.receiptId), (accepted.get(toHex(o.receiptId)) ?? 0) + 1);
      }
    }
    expect(accepted.size).toBe(unique);
    expect([...accepted.values()].every((n) => n === 1)).toBe(true);
    for (const slot of perTerminal.values())
      for (const r of slot.receipts)
        expect(accepted.has(toHex(payloadId(decodeCoseSign1(r, Limits.receiptBytes))))).toBe(true);

    const settlement = await store.merchantSettlement();
    expect(settlement.reduce((s, m) => s + m.creditedAmount, 0)).toBe(total);
    for (const m of settlement) expect(m.creditedAmount).toBe(expected.get(toHex(m.merchantId)));
    expect(await store.fraudCases()).toHaveLength(0);
    expect((await valueAudit(store)).balanced).toBe(true);
  });
});
