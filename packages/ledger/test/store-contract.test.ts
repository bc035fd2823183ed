/**
 * The store contract: what every LedgerStore must do, run against each store (`describe.each` over STORES). The
 * detection rules themselves are domain code (detect/) and are proven case by case in double-spend-detection.test.ts;
 * here each store must show that it keeps the domain's decisions exactly once under concurrent writers (two ledger
 * instances, each with its own connection, as two processes would), rolls back a failed transaction whole, keeps
 * the deny-list outbox, and that the running state it keeps on each card agrees with the receipts it stores.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EvidenceKind, ReceiptStatus, bytesEqual, decodeCoseSign1, decodeDenyList } from '@ehkd/core';
import { Ledger } from '../src/ledger.js';
import { valueAudit } from '../src/reports/value-audit.js';
import type { LedgerStore } from '../src/store/ledger-store.js';
import { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import type { IngestedBatch } from '../src/ingest/batch-ingestor.js';
import {
  TestCard,
  createTestScheme,
  enrolTerminal,
  loadCard,
  removeTempDirs,
  signBatch,
  tempDir,
  type TestScheme,
} from './fixtures/test-scheme.js';

/** A store kind: how to make a fresh database and open a further connection (another process's) to it. */
interface StoreFactory {
  readonly name: string;
  /** A fresh, empty database; `connect` opens a connection to it (call it once per ledger instance). */
  fresh(): { connect: () => Promise<LedgerStore> };
}

const STORES: readonly StoreFactory[] = [
  {
    name: 'sqlite',
    fresh() {
      const path = join(tempDir('ehkd-contract-'), 'ledger.db');
      return { connect: async () => SqliteLedgerStore.open(path) };
    },
  },
];

afterAll(removeTempDirs);

/** Two ledger instances on one fresh database, initialised with the scheme. */
async function twoLedgers(factory: StoreFactory, scheme: TestScheme) {
  const db = factory.fresh();
  const stores = [await db.connect(), await db.connect()] as const;
  await Ledger.initialise(
    stores[0],
    scheme.root.certificate,
    [scheme.issuer.certificate, scheme.acquirer.certificate],
    scheme.acquirer,
  );
  const open = (store: LedgerStore): Promise<Ledger> =>
    Ledger.open({ store, acquirer: scheme.acquirer, issuers: [scheme.issuer], workers: 1 });
  const ledgers = [await open(stores[0]), await open(stores[1])] as const;
  return {
    db,
    stores,
    ledgers,
    close: async () => {
      for (const l of ledgers) await l.close();
      for (const s of stores) await s.close();
    },
  };
}

function accepted(r: IngestedBatch | { ok: false }): IngestedBatch {
  if (!r.ok) throw new Error('batch refused');
  return r;
}

describe.each(STORES)('the $name store', (factory) => {
  it('settles each receipt exactly once when overlapping batches of the same cards reach two ledgers at once', async () => {
    const scheme = createTestScheme();
    const { stores, ledgers, close } = await twoLedgers(factory, scheme);
    try {
      const shop = await enrolTerminal(ledgers[0], undefined, 'Shop');
      const cards = Array.from({ length: 12 }, () => TestCard.issue(scheme.issuer));
      for (const c of cards) await loadCard(ledgers[0], c, 10_000);
      const receipts = cards.flatMap((c) => [c.pay(100, shop.id), c.pay(250, shop.id), c.pay(50, shop.id)]);
      // The same receipts in three overlapping batches (a terminal retrying after a lost answer, and a copy carried
      // by hand), each uploaded to one ledger or the other, all at once.
      const whole = signBatch(shop, receipts, cards);
      const firstHalf = signBatch(shop, receipts.slice(0, 20), cards);
      const secondHalf = signBatch(shop, receipts.slice(14), cards);
      const results = (
        await Promise.all([
          ledgers[0].ingestBatch(whole, 'test'),
          ledgers[1].ingestBatch(firstHalf, 'test'),
          ledgers[1].ingestBatch(secondHalf, 'test'),
          ledgers[0].ingestBatch(whole, 'test'),
        ])
      ).map(accepted);
      const acceptedIds = results.flatMap((r) =>
        r.outcomes
          .filter((o) => o.status === ReceiptStatus.Accepted)
          .map((o) => Buffer.from(o.receiptId).toString('hex')),
      );
      expect(acceptedIds).toHaveLength(receipts.length);
      expect(new Set(acceptedIds).size).toBe(receipts.length);
      for (const r of results)
        expect(
          r.outcomes.every((o) => o.status === ReceiptStatus.Accepted || o.status === ReceiptStatus.Duplicate),
        ).toBe(true);
      const credited = (await stores[1].merchantSettlement()).reduce((sum, m) => sum + m.creditedAmount, 0);
      expect(credited).toBe(cards.length * 400);
      expect(await stores[0].fraudCases()).toHaveLength(0);
      expect((await valueAudit(stores[1])).balanced).toBe(true);
    } finally {
      await close();
    }
  });

  it('catches a clone spending at two terminals whose batches reach two ledgers at the same moment', async () => {
    const scheme = createTestScheme();
    const { stores, ledgers, close } = await twoLedgers(factory, scheme);
    try {
      const shopA = await enrolTerminal(ledgers[0], undefined, 'Shop A');
      const shopB = await enrolTerminal(ledgers[0], undefined, 'Shop B');
      const card = TestCard.issue(scheme.issuer);
      await loadCard(ledgers[0], card, 10_000);
      const clone = card.clone();
      const bystanders = Array.from({ length: 6 }, () => TestCard.issue(scheme.issuer));
      for (const c of bystanders) await loadCard(ledgers[0], c, 1_000);
      const a = signBatch(
        shopA,
        [card.pay(6_000, shopA.id), ...bystanders.map((c) => c.pay(10, shopA.id))],
        [card, ...bystanders],
      );
      const b = signBatch(
        shopB,
        [clone.pay(7_000, shopB.id), ...bystanders.map((c) => c.pay(20, shopB.id))],
        [clone, ...bystanders],
      );
      const [ra, rb] = (await Promise.all([ledgers[0].ingestBatch(a, 'test'), ledgers[1].ingestBatch(b, 'test')])).map(
        accepted,
      ) as [IngestedBatch, IngestedBatch];
      const statuses = [ra.outcomes[0]?.status, rb.outcomes[0]?.status].sort();
      expect(statuses).toEqual([ReceiptStatus.Accepted, ReceiptStatus.DoubleSpend].sort());
      const cases = await stores[0].fraudCases();
      expect(cases).toHaveLength(1);
      expect(cases[0]).toMatchObject({ kind: EvidenceKind.ConflictingCounter, counters: [2] });
      expect((await stores[1].card(card.id))?.revokedAt).not.toBeNull();
      // Every bystander's two payments are settled on both sides: the clone's card locked nobody else.
      const credited = (await stores[0].merchantSettlement()).reduce((sum, m) => sum + m.creditedAmount, 0);
      const list = decodeDenyList(decodeCoseSign1(await ledgers[1].denyList(), 100_000).payload);
      expect(list.cardIds.some((id) => bytesEqual(id, card.id))).toBe(true);
      expect(credited).toBe(bystanders.length * 30 + creditedFirst(ra, rb));
      expect((await valueAudit(stores[0])).balanced).toBe(true);
    } finally {
      await close();
    }
  });

  it('keeps nothing of a transaction whose work fails, not even a new card', async () => {
    const scheme = createTestScheme();
    const { stores, close } = await twoLedgers(factory, scheme);
    try {
      const card = TestCard.issue(scheme.issuer);
      const certificate = { cardId: card.id, issuerId: scheme.issuer.id, currency: 344, certificate: card.certificate };
      await expect(
        stores[0].withCards([certificate], async (tx) => {
          const state = tx.card(card.id);
          state.revokedAt = 1;
          await tx.denyCard(card.id, 1, 1);
          await tx.saveCards([state]);
          throw new Error('the domain refused');
        }),
      ).rejects.toThrow('the domain refused');
      expect(await stores[1].card(card.id)).toBeUndefined();
      expect(await stores[0].card(card.id)).toBeUndefined();
      expect(await stores[0].publishDenyList(() => Promise.reject(new Error('nothing should wait')))).toBeNull();
    } finally {
      await close();
    }
  });

  it('publishes a revocation committed by a ledger that stopped before signing, when the next ledger opens', async () => {
    const scheme = createTestScheme();
    const { db, stores, close } = await twoLedgers(factory, scheme);
    try {
      const card = TestCard.issue(scheme.issuer);
      const certificate = { cardId: card.id, issuerId: scheme.issuer.id, currency: 344, certificate: card.certificate };
      // The revocation commits; the process "dies" before publishing (nothing calls publishDenyList).
      await stores[0].withCards([certificate], async (tx) => {
        const state = tx.card(card.id);
        state.revokedAt = 1_000;
        await tx.denyCard(card.id, 1_000, 7);
        await tx.saveCards([state]);
      });
      expect((await stores[1].latestDenyList()).sequence).toBe(1);
      const later = await db.connect();
      const ledger = await Ledger.open({ store: later, acquirer: scheme.acquirer, workers: 1 });
      const latest = await later.latestDenyList();
      expect(latest.sequence).toBe(2);
      expect(decodeDenyList(decodeCoseSign1(latest.bytes, 100_000).payload).cardIds).toEqual([card.id]);
      // Published once: opening again signs nothing new.
      await ledger.close();
      const again = await Ledger.open({ store: later, acquirer: scheme.acquirer, workers: 1 });
      expect((await later.latestDenyList()).sequence).toBe(2);
      await again.close();
      await later.close();
    } finally {
      await close();
    }
  });

  it('keeps on each card a running state that agrees with the receipts it stores', async () => {
    const scheme = createTestScheme();
    const { stores, ledgers, close } = await twoLedgers(factory, scheme);
    try {
      const shop = await enrolTerminal(ledgers[0], undefined, 'Shop');
      const cards = Array.from({ length: 4 }, () => TestCard.issue(scheme.issuer));
      for (const c of cards) await loadCard(ledgers[0], c, 5_000);
      const early = cards.map((c) => c.pay(300, shop.id));
      const late = cards.map((c) => c.pay(200, shop.id));
      // The later receipts first (a gap), then the earlier ones fill it, through the other ledger.
      accepted(await ledgers[0].ingestBatch(signBatch(shop, late, cards), 'test'));
      accepted(await ledgers[1].ingestBatch(signBatch(shop, early, cards), 'test'));
      for (const c of cards) {
        const record = await stores[1].card(c.id);
        const receipts = (await stores[1].cardReceipts(c.id)).filter((r) => r.primary);
        const top = receipts[receipts.length - 1];
        expect(record).toMatchObject({
          authorized: 5_000,
          paid: 500,
          lastCounter: top?.counter,
          lastBalance: top?.balanceAfter,
        });
        expect(record?.lastBalance).toBe(4_500);
      }
      expect((await valueAudit(stores[0])).balanced).toBe(true);
    } finally {
      await close();
    }
  });
});

/** What the original card's first payment credits: 6,000 if the original's batch won, 7,000 if the clone's did. */
function creditedFirst(a: IngestedBatch, b: IngestedBatch): number {
  return a.outcomes[0]?.status === ReceiptStatus.Accepted
    ? 6_000
    : b.outcomes[0]?.status === ReceiptStatus.Accepted
      ? 7_000
      : 0;
}
