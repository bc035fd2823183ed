/**
 * Loads asked for by a load point (protocol 7.1, load flow): a terminal-signed LoadRequest, one authorization per
 * card challenge (a retry gets the same one, also when two arrive at once), the loaded value debited to the load
 * point's merchant in settlement, and databases of an older schema refused.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckId, Currency, generatePrivateKey, toHex } from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { signTerminalCertificate } from '../src/scheme/terminal-enrolment.js';
import type { Ledger } from '../src/ledger.js';
import { settlementReport } from '../src/reports/settlement-report.js';
import { valueAudit } from '../src/reports/value-audit.js';
import { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import {
  TestCard,
  createTestScheme,
  enrolTerminal,
  loadCard,
  openTestLedger,
  removeTempDirs,
  signBatch,
  signLoadRequest,
  type TestScheme,
} from './fixtures/test-scheme.js';

let scheme: TestScheme;
let ledger: Ledger;
let store: SqliteLedgerStore;

beforeAll(async () => {
  scheme = createTestScheme();
  ({ ledger, store } = await openTestLedger(scheme, { workers: 1 }));
});

afterAll(async () => {
  await ledger.close();
  await store.close();
  removeTempDirs();
});

describe('a load point pays for the loads it sells', () => {
  it("debits the load point's merchant what it loaded and credits it what it was paid: net settlement", async () => {
    const shop = await enrolTerminal(ledger);
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 30_000, shop);
    const ingested = await ledger.ingestBatch(signBatch(shop, [card.pay(1_200, shop.id)], [card]), 'http');
    expect(ingested.ok).toBe(true);
    const line = (await settlementReport(store)).find((m) => m.merchantId === toHex(shop.merchantId));
    expect(line).toMatchObject({
      creditedCount: 1,
      creditedAmount: 1_200,
      loadCount: 1,
      loadAmount: 30_000,
      netAmount: -28_800,
      terminals: 1,
    });
    await loadCard(ledger, TestCard.issue(scheme.issuer), 4_000);
    const audit = await valueAudit(store);
    expect(audit.totals).toMatchObject([
      { currency: Currency.HKD, authorized: 34_000, loadsSold: 30_000, settled: 1_200 },
    ]);
    expect(audit.balanced).toBe(true);
  });

  it('answers a retried request with the same authorization, also when both copies arrive at once, and debits once', async () => {
    const shop = await enrolTerminal(ledger);
    const card = TestCard.issue(scheme.issuer);
    const request = signLoadRequest(shop, card, card.challenge(), 5_000);
    const [a, b] = await Promise.all([ledger.authorizeLoad(request), ledger.authorizeLoad(request)]);
    expect(a.ok && b.ok && toHex(a.value) === toHex(b.value)).toBe(true);
    const again = await ledger.authorizeLoad(request);
    expect(again.ok && a.ok && toHex(again.value)).toBe(a.ok && toHex(a.value));
    expect((await store.card(card.id))?.authorized).toBe(5_000);
    const line = (await settlementReport(store)).find((m) => m.merchantId === toHex(shop.merchantId));
    expect(line).toMatchObject({ loadCount: 1, loadAmount: 5_000 });
  });

  it('refuses a second load on one challenge, from another load point, another amount or the desk (nonce)', async () => {
    const [first, second] = [await enrolTerminal(ledger), await enrolTerminal(ledger)];
    const card = TestCard.issue(scheme.issuer);
    const challenge = card.challenge();
    const results = await Promise.all([
      ledger.authorizeLoad(signLoadRequest(first, card, challenge, 1_000)),
      ledger.authorizeLoad(signLoadRequest(second, card, challenge, 1_000)),
      ledger.authorizeLoad(signLoadRequest(first, card, challenge, 2_000)),
      ledger.authorizeDeskLoad({ challenge, amount: 1_000, currency: Currency.HKD, cardCertificate: card.certificate }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((x) => !x.ok))
      expect(r).toMatchObject({ ok: false, check: CheckId.Nonce, forbidden: false });
    const authorized = (await store.card(card.id))?.authorized;
    expect([1_000, 2_000]).toContain(authorized);
  });

  it("refuses a request signed with another key than the load point's (signature), and an acquirer-certified key that is not the enrolled one (403)", async () => {
    const shop = await enrolTerminal(ledger);
    const card = TestCard.issue(scheme.issuer);
    const otherKey = createNodeSigner(generatePrivateKey());
    const forged = await ledger.authorizeLoad(
      signLoadRequest({ ...shop, signer: otherKey }, card, card.challenge(), 100),
    );
    expect(forged).toMatchObject({ ok: false, check: CheckId.Signature, forbidden: false });
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: otherKey.publicKey, terminalId: shop.id, merchantId: shop.merchantId, mcc: 5812, name: 'Twin' },
      Math.floor(Date.now() / 1000),
    );
    const twin = await ledger.authorizeLoad(
      signLoadRequest({ ...shop, signer: otherKey, certificate: record.certificate }, card, card.challenge(), 100),
    );
    expect(twin).toMatchObject({ ok: false, check: CheckId.CertChain, forbidden: true });
    expect((await store.card(card.id))?.authorized ?? 0).toBe(0);
  });
});

describe('a load the card never executed', () => {
  it("is void once the card's chain holds another receipt where the load would be: its load point is not debited", async () => {
    const shop = await enrolTerminal(ledger);
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000, shop);
    // Authorized for counter 2, but the card left before LOAD: it never executes it.
    expect((await ledger.authorizeLoad(signLoadRequest(shop, card, card.challenge(), 3_000))).ok).toBe(true);
    const line = async () => (await settlementReport(store)).find((m) => m.merchantId === toHex(shop.merchantId));
    expect(await line()).toMatchObject({ loadCount: 2, loadAmount: 13_000, voidLoadCount: 0 });

    // A new challenge at the same counter: this load is executed (counter 2), its receipt reported late. A payment at
    // counter 3 proves nothing about counter 2 yet; the late load receipt then shows the first load never happened.
    const late = card.challenge();
    const lateAuthorization = await ledger.authorizeLoad(signLoadRequest(shop, card, late, 2_000));
    if (!lateAuthorization.ok) throw new Error(lateAuthorization.reason);
    const lateReceipt = card.load(lateAuthorization.value);
    expect((await ledger.ingestBatch(signBatch(shop, [card.pay(1_000, shop.id)], [card]), 'http')).ok).toBe(true);
    expect(await line()).toMatchObject({ loadCount: 3, loadAmount: 15_000, voidLoadCount: 0 });
    expect(await ledger.recordLoadReceipt(lateReceipt)).toMatchObject({ ok: true });
    expect(await line()).toMatchObject({
      loadCount: 2,
      loadAmount: 12_000,
      voidLoadCount: 1,
      voidLoadAmount: 3_000,
      creditedAmount: 1_000,
      netAmount: -11_000,
    });
    const audit = await valueAudit(store);
    expect(audit.totals[0]).toMatchObject({ authorizedVoid: 3_000 });
    expect(audit.balanced).toBe(true);
    expect((await store.loadTotals()).find((l) => toHex(l.cardId) === toHex(card.id))).toMatchObject({
      authorizedAmount: 12_000,
      voidAmount: 3_000,
    });
  });
});

describe('a ledger database of another schema version', () => {
  it('of an earlier version (1 and 2: before load authorizations bound the card counter; 3: before card state and the deny-list outbox) is refused, not touched', async () => {
    const opened = await openTestLedger(scheme, { workers: 1 });
    await opened.ledger.close();
    await opened.store.close();
    for (const version of [1, 2, 3]) {
      const raw = new Database(opened.dbPath);
      raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(version);
      raw.close();
      expect(() => SqliteLedgerStore.open(opened.dbPath)).toThrow(new RegExp(`schema version ${version} is not 4`));
      const check = new Database(opened.dbPath, { readonly: true });
      expect(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(version);
      check.close();
    }
  });

  it('of an unknown version is refused, not touched', async () => {
    const opened = await openTestLedger(scheme, { workers: 1 });
    await opened.ledger.close();
    await opened.store.close();
    const raw = new Database(opened.dbPath);
    raw.prepare("UPDATE meta SET value = 99 WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => SqliteLedgerStore.open(opened.dbPath)).toThrow(/schema version 99/);
  });
});
