/**
 * The load edge under attack (issue "No value from nowhere"): a hostile load point that edits the card challenge
 * it forwards, a card cloner that spends authorizations the card never executed or executes one twice, and card
 * limits the ledger must hold against a clone. Each test names the attack and what stops it.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckId,
  EvidenceKind,
  ReceiptStatus,
  decodeCardChallenge,
  decodeCoseSign1,
  decodeLoadAuthorization,
  encodeCardChallenge,
  Limits,
  nobleVerifier,
  sha256,
  toHex,
  verifyDoubleSpendEvidence,
} from '@ehkd/core';
import type { Ledger } from '../src/ledger.js';
import { settlementReport } from '../src/reports/settlement-report.js';
import { valueAudit } from '../src/reports/value-audit.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { LoadState } from '../src/store/ledger-store.js';
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
  type TestTerminal,
} from './fixtures/test-scheme.js';

let scheme: TestScheme;
let ledger: Ledger;
let store: SqliteLedgerStore;
let dbPath: string;
let shop: TestTerminal;
let loadPoint: TestTerminal;

beforeAll(async () => {
  scheme = createTestScheme();
  ({ ledger, store, dbPath } = await openTestLedger(scheme, { workers: 1 }));
  shop = await enrolTerminal(ledger);
  loadPoint = await enrolTerminal(ledger);
});

afterAll(async () => {
  await ledger.close();
  await store.close();
  removeTempDirs();
});

/** A CardChallenge with its counter rewritten: the challenge is unsigned, so a load point can forward anything. */
function withCounter(challenge: Uint8Array, counter: number): Uint8Array {
  return encodeCardChallenge({ ...decodeCardChallenge(challenge), counter });
}

async function upload(receipts: readonly Uint8Array[], card: TestCard) {
  const result = await ledger.ingestBatch(signBatch(shop, receipts, [card]), 'http');
  if (!result.ok) throw new Error(`batch refused: ${result.reason}`);
  return result.outcomes;
}

async function loadPointLine() {
  return (await settlementReport(store)).find((m) => m.merchantId === toHex(loadPoint.merchantId));
}

function authorizationOf(bytes: Uint8Array) {
  const payload = decodeCoseSign1(bytes, Limits.issuerMessageBytes).payload;
  return { id: sha256(payload), ...decodeLoadAuthorization(payload) };
}

describe('a hostile load point', () => {
  it("cannot void a load by lowering the counter of the challenge it forwards: a challenge behind the card's chain is refused (counter)", async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    await upload([card.pay(1_000, shop.id)], card);
    const before = await loadPointLine();
    for (const forged of [0, 1]) {
      const refused = await ledger.authorizeLoad(
        signLoadRequest(loadPoint, card, withCounter(card.challenge(), forged), 50_000),
      );
      expect(refused).toMatchObject({ ok: false, check: CheckId.Counter });
    }
    expect((await store.card(card.id))?.authorized).toBe(10_000);
    expect(await loadPointLine()).toEqual(before);
  });

  it('gets an authorization bound to the counter it claimed, which the card refuses to execute; it is void once the card signs at that counter + 1, and counts for nothing', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    const claimed = card.counter + 5;
    const auth = await ledger.authorizeLoad(
      signLoadRequest(loadPoint, card, withCounter(card.challenge(), claimed), 50_000),
    );
    if (!auth.ok) throw new Error(auth.reason);
    expect(authorizationOf(auth.value).counter).toBe(claimed);
    expect(() => card.load(auth.value)).toThrow(/bound to counter/);
    // Pending: debited to the load point that asked for it, counted as authorized, until the chain shows otherwise.
    expect((await store.card(card.id))?.authorized).toBe(60_000);
    for (let i = 0; i < 5; i++) await upload([card.pay(100, shop.id)], card);
    expect((await store.card(card.id))?.authorized).toBe(60_000);
    await upload([card.pay(100, shop.id)], card);
    expect((await store.card(card.id))?.authorized).toBe(10_000);
    const totals = (await store.loadTotals()).find((l) => toHex(l.cardId) === toHex(card.id));
    expect(totals).toMatchObject({ authorizedAmount: 10_000, voidAmount: 50_000, voidCount: 1 });
    expect((await valueAudit(store)).balanced).toBe(true);
  });
});

describe('a card cloner', () => {
  it('cannot spend an authorization the card never executed: payments beyond the executed loads are an over-spend, and the audit does not balance them away', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    // A top-up cut before LOAD: the card never executes it, and its next payment proves that.
    const cut = await ledger.authorizeLoad(signLoadRequest(loadPoint, card, card.challenge(), 50_000));
    if (!cut.ok) throw new Error(cut.reason);
    await upload([card.pay(1_000, shop.id)], card);
    // The clone spends the void load's value: a payment past a gap, from a balance no load of the chain made.
    const clone = card.clone();
    const forged = clone.commit({
      kind: 'pay',
      cardId: card.id,
      counter: clone.counter + 2,
      amount: 20_000,
      currency: 344,
      payee: shop.id,
      nonce: new Uint8Array(16).fill(7),
      time: Math.floor(Date.now() / 1000),
      balanceAfter: clone.balance + 50_000 - 20_000,
      prevHash: new Uint8Array(32).fill(1),
    });
    const [outcome] = await upload([forged], card);
    expect(outcome).toMatchObject({ status: ReceiptStatus.DoubleSpend, check: 'over-spend' });
    const cases = (await store.fraudCases()).filter((c) => toHex(c.cardId) === toHex(card.id));
    expect(cases.map((c) => c.kind)).toContain(EvidenceKind.OverSpend);
    const evidence = cases.find((c) => c.kind === EvidenceKind.OverSpend)?.evidence;
    if (evidence === null || evidence === undefined) throw new Error('no evidence');
    expect(verifyDoubleSpendEvidence(evidence, scheme.root.certificate, nobleVerifier)).toMatchObject({
      ok: true,
      value: { authorized: 10_000 },
    });
    expect((await store.card(card.id))?.revokedAt).not.toBeNull();
    const audit = await valueAudit(store);
    const exception = audit.exceptions.find((e) => e.cardId === toHex(card.id));
    expect(exception).toMatchObject({ unfunded: 50_000 });
  });

  it('executing one authorization a second time, at another counter, is a misplaced-load double spend: evidence, revocation, a new deny list', async () => {
    const card = TestCard.issue(scheme.issuer);
    const auth = await ledger.authorizeLoad(signLoadRequest(loadPoint, card, card.challenge(), 20_000));
    if (!auth.ok) throw new Error(auth.reason);
    expect(await ledger.recordLoadReceipt(card.load(auth.value))).toMatchObject({
      ok: true,
      value: { status: ReceiptStatus.Accepted },
    });
    await upload([card.pay(500, shop.id)], card);
    const a = authorizationOf(auth.value);
    // A clone with the card's key and state executes the same authorization again, after a payment of its own.
    const clone = card.clone();
    clone.pay(100, shop.id);
    const replay = clone.commit({
      kind: 'load',
      cardId: card.id,
      counter: clone.counter + 1,
      amount: 20_000,
      currency: 344,
      authorizationId: a.id,
      balanceAfter: clone.balance + 20_000,
      prevHash: clone.lastHash,
    });
    const sequenceBefore = (await store.latestDenyList()).sequence;
    const recorded = await ledger.recordLoadReceipt(replay);
    expect(recorded).toMatchObject({ ok: true, value: { status: ReceiptStatus.DoubleSpend, check: 'misplaced-load' } });
    const found = (await store.fraudCases()).find(
      (c) => toHex(c.cardId) === toHex(card.id) && c.kind === EvidenceKind.MisplacedLoad,
    );
    if (found?.evidence == null) throw new Error('no misplaced-load case with evidence');
    expect(verifyDoubleSpendEvidence(found.evidence, scheme.root.certificate, nobleVerifier)).toMatchObject({
      ok: true,
      value: { kind: EvidenceKind.MisplacedLoad },
    });
    expect((await store.card(card.id))?.revokedAt).not.toBeNull();
    expect((await store.latestDenyList()).sequence).toBe(sequenceBefore + 1);
    const audit = await valueAudit(store);
    expect(audit.exceptions.find((e) => e.cardId === toHex(card.id))).toMatchObject({
      unauthorizedLoads: 20_000,
      loadsUnexplained: 0,
    });
    expect((await loadPointLine())?.loadAmount).toBeGreaterThanOrEqual(20_000);
  });

  it('a first execution away from the counter the authorization binds is a misplaced-load double spend, and leaves the authorization unexecuted', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 5_000);
    const auth = await ledger.authorizeLoad(signLoadRequest(loadPoint, card, card.challenge(), 7_000));
    if (!auth.ok) throw new Error(auth.reason);
    const a = authorizationOf(auth.value);
    const clone = card.clone();
    clone.pay(100, shop.id);
    const misplaced = clone.commit({
      kind: 'load',
      cardId: card.id,
      counter: clone.counter + 1,
      amount: 7_000,
      currency: 344,
      authorizationId: a.id,
      balanceAfter: clone.balance + 7_000,
      prevHash: clone.lastHash,
    });
    expect(await ledger.recordLoadReceipt(misplaced)).toMatchObject({
      ok: true,
      value: { status: ReceiptStatus.DoubleSpend, check: 'misplaced-load' },
    });
    expect((await store.loadTotals()).find((l) => toHex(l.cardId) === toHex(card.id))).toMatchObject({
      executedAmount: 5_000,
    });
  });
});

describe('card limits at the ledger', () => {
  it("rejects a payment above the card certificate's maximum payment (amount) and credits nothing for it", async () => {
    const card = TestCard.issue(scheme.issuer, {
      limits: { maxBalance: 300_000, maxPayment: 1_000, maxOfflineCount: 100, maxOfflineAmount: 100_000 },
    });
    await loadCard(ledger, card, 50_000);
    const over = card.pay(1_001, shop.id);
    const within = card.pay(1_000, shop.id);
    const outcomes = await upload([over, within], card);
    expect(outcomes.map((o) => [o.status, o.check])).toEqual([
      [ReceiptStatus.Rejected, CheckId.Amount],
      [ReceiptStatus.Accepted, undefined],
    ]);
  });

  it("refuses a load that would take the card's last known balance above its maximum balance (amount)", async () => {
    const card = TestCard.issue(scheme.issuer, {
      limits: { maxBalance: 10_000, maxPayment: 1_000, maxOfflineCount: 100, maxOfflineAmount: 100_000 },
    });
    await loadCard(ledger, card, 8_000);
    expect(await ledger.authorizeLoad(signLoadRequest(loadPoint, card, card.challenge(), 2_001))).toMatchObject({
      ok: false,
      check: CheckId.Amount,
    });
    expect(await ledger.authorizeLoad(signLoadRequest(loadPoint, card, card.challenge(), 2_000))).toMatchObject({
      ok: true,
    });
  });
});

describe('the value audit', () => {
  it('fails when a flagged load has no fraud case, or the recorded executions disagree with the load receipts', async () => {
    const card = TestCard.issue(scheme.issuer);
    const receipt = await loadCard(ledger, card, 3_000);
    expect((await valueAudit(store)).balanced).toBe(true);
    const raw = new Database(dbPath);
    try {
      raw.prepare(`UPDATE load_authorizations SET state = ${LoadState.Pending} WHERE card_id = ?`).run(card.id);
      const audit = await valueAudit(store);
      expect(audit.balanced).toBe(false);
      expect(audit.exceptions.find((e) => e.cardId === toHex(card.id))).toMatchObject({ loadsUnexplained: 3_000 });
      raw
        .prepare(`UPDATE load_authorizations SET state = ${LoadState.Executed}, receipt_id = ? WHERE card_id = ?`)
        .run(sha256(decodeCoseSign1(receipt, Limits.receiptBytes).payload), card.id);
      raw.prepare('UPDATE receipts SET disposition = 2 WHERE card_id = ?').run(card.id);
      expect((await valueAudit(store)).balanced).toBe(false);
      raw.prepare('UPDATE receipts SET disposition = 3 WHERE card_id = ?').run(card.id);
      expect((await valueAudit(store)).balanced).toBe(true);
    } finally {
      raw.close();
    }
  });
});
