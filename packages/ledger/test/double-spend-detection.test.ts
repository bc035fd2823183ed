import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import {
  CheckId,
  Currency,
  EvidenceKind,
  ReceiptStatus,
  TrustStore,
  bytesEqual,
  nobleVerifier,
  toHex,
  verifyDenyList,
  verifyDoubleSpendEvidence,
  type Verification,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import type { Ledger } from '../src/ledger.js';
import type { IngestedBatch } from '../src/ingest/batch-ingestor.js';
import { Disposition, Liability, type FraudCaseRecord } from '../src/store/ledger-store.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { valueAudit } from '../src/reports/value-audit.js';
import {
  TestCard,
  createTestScheme,
  enrolTerminal,
  loadCard,
  nowSeconds,
  openTestLedger,
  signBatch,
  type TestScheme,
  type TestTerminal,
  removeTempDirs,
} from './fixtures/test-scheme.js';

let scheme: TestScheme;
let ledger: Ledger;
let store: SqliteLedgerStore;
let shopA: TestTerminal;
let shopB: TestTerminal;
let clock: number;

beforeEach(async () => {
  scheme = createTestScheme();
  clock = nowSeconds();
  ({ ledger, store } = await openTestLedger(scheme, { clock: () => clock, graceSeconds: 3600 }));
  shopA = await enrolTerminal(ledger, undefined, 'Shop A');
  shopB = await enrolTerminal(ledger, undefined, 'Shop B');
});

afterEach(async () => {
  await ledger.close();
  await store.close();
});

async function ingest(batch: Uint8Array): Promise<IngestedBatch> {
  const r = await ledger.ingestBatch(batch, 'test');
  if (!r.ok) throw new Error(`batch refused: ${r.reason}`);
  return r;
}

// spec R12: every detection's evidence passes verifyDoubleSpendEvidence with nothing but the root certificate.
/** Verifies stored evidence with both verifiers and nothing but the root certificate. */
function proven(
  c: FraudCaseRecord,
): Verification<{ kind: number; cardId: Uint8Array; issuerId: Uint8Array; counters: readonly number[] }> {
  if (c.evidence === null) throw new Error('no evidence');
  const node = verifyDoubleSpendEvidence(c.evidence, scheme.root.certificate, createNodeVerifier());
  const noble = verifyDoubleSpendEvidence(c.evidence, scheme.root.certificate, nobleVerifier);
  expect(noble.ok).toBe(node.ok);
  return node;
}

async function expectRevokedOnSignedDenyList(cardId: Uint8Array, sequenceAtLeast: number): Promise<void> {
  const trust = TrustStore.create(
    scheme.root.certificate,
    [scheme.issuer.certificate, scheme.acquirer.certificate],
    nobleVerifier,
  );
  if (!trust.ok) throw new Error(trust.reason);
  const list = verifyDenyList(await ledger.denyList(), trust.value, nobleVerifier, sequenceAtLeast);
  if (!list.ok) throw new Error(list.reason);
  expect(list.value.payload.cardIds.some((id) => bytesEqual(id, cardId))).toBe(true);
}

afterAll(removeTempDirs);
describe('a card cloned and used at two terminals (ConflictingCounter)', () => {
  it('credits the first payment, flags the second, opens a case with evidence anyone can verify, and revokes the card', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    const clone = card.clone();
    const original = card.pay(6_000, shopA.id);
    const cloned = clone.pay(7_000, shopB.id);

    const a = await ingest(signBatch(shopA, [original], [card]));
    expect(a.counts.accepted).toBe(1);
    const b = await ingest(signBatch(shopB, [cloned], [clone]));
    expect(b.outcomes[0]).toMatchObject({ status: ReceiptStatus.DoubleSpend, check: 'conflicting-counter' });
    expect(b.denyList?.sequence).toBe(2);

    const [c] = await store.fraudCases();
    expect(c).toMatchObject({
      kind: EvidenceKind.ConflictingCounter,
      counters: [2],
      flaggedCount: 1,
      flaggedAmount: 7_000,
    });
    const proof = proven(c as FraudCaseRecord);
    if (!proof.ok) throw new Error(proof.reason);
    expect(toHex(proof.value.cardId)).toBe(toHex(card.id));
    expect(toHex(proof.value.issuerId)).toBe(toHex(scheme.issuer.id));
    await expectRevokedOnSignedDenyList(card.id, 2);

    const settlement = await store.merchantSettlement();
    expect(settlement.find((m) => bytesEqual(m.merchantId, shopA.merchantId))?.creditedAmount).toBe(6_000);
    // Shop B took the clone's payment before the revocation: a claim on the issuer, not credited.
    expect(settlement.find((m) => bytesEqual(m.merchantId, shopB.merchantId))).toMatchObject({
      creditedAmount: 0,
      issuerClaimAmount: 7_000,
      merchantLossAmount: 0,
    });
    expect((await valueAudit(store)).balanced).toBe(true);
  });

  it('refuses further loads of the revoked card', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    const clone = card.clone();
    await ingest(signBatch(shopA, [card.pay(100, shopA.id)], [card]));
    await ingest(signBatch(shopB, [clone.pay(200, shopB.id)], [clone]));
    const refused = await ledger.authorizeDeskLoad({
      challenge: card.challenge(),
      amount: 1_000,
      currency: Currency.HKD,
      cardCertificate: card.certificate,
    });
    expect(refused).toMatchObject({ ok: false, check: CheckId.DenyList, forbidden: true });
  });
});

describe('a fork in the hash chain (ChainFork)', () => {
  it("flags the clone's next receipt, which links to the clone's own branch, with verifiable evidence", async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 20_000);
    const clone = card.clone();
    const o2 = card.pay(1_000, shopA.id);
    const c2 = clone.pay(1_000, shopB.id);
    const c3 = clone.pay(500, shopB.id);
    await ingest(signBatch(shopA, [o2], [card]));
    const r = await ingest(signBatch(shopB, [c2, c3], [clone]));
    expect(r.outcomes.map((o) => o.check)).toEqual(['conflicting-counter', 'chain-fork']);
    const fork = (await store.fraudCases()).find((c) => c.kind === EvidenceKind.ChainFork) as FraudCaseRecord;
    expect(fork.counters).toEqual([2, 3]);
    expect(proven(fork).ok).toBe(true);
    expect((await valueAudit(store)).balanced).toBe(true);
  });
});

describe('balances that do not add up (BalanceMismatch)', () => {
  it('flags a linked receipt that spends from a balance the card never had', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 1_000);
    const honest = card.pay(400, shopA.id);
    // A card whose key leaked signs a receipt that continues the chain from an invented balance of 50,000.
    const forged = card.commit({
      kind: 'pay',
      cardId: card.id,
      counter: card.counter + 1,
      amount: 300,
      currency: Currency.HKD,
      payee: shopA.id,
      nonce: new Uint8Array(16),
      time: clock,
      balanceAfter: 49_700,
      prevHash: card.lastHash,
    });
    const r = await ingest(signBatch(shopA, [honest, forged], [card]));
    expect(r.outcomes.map((o) => o.status)).toEqual([ReceiptStatus.Accepted, ReceiptStatus.DoubleSpend]);
    expect(r.outcomes[1]?.check).toBe('balance-mismatch');
    const [c] = await store.fraudCases();
    expect(c?.counters).toEqual([2, 3]);
    expect(proven(c as FraudCaseRecord).ok).toBe(true);
    const audit = await valueAudit(store);
    expect(audit.balanced).toBe(true);
    expect(audit.exceptions[0]?.items).toEqual([
      { kind: 'balance-link', counters: [2, 3], amount: -49_400, caseIds: [c?.caseId] },
    ]);
  });
});

describe('spending beyond the authorized loads (OverSpend)', () => {
  it('flags payments above what the issuer authorized, with the authorizations in the evidence', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 5_000);
    // The leaked key signs a load receipt for a load the issuer never authorized; it never reaches the ledger.
    card.commit({
      kind: 'load',
      cardId: card.id,
      counter: card.counter + 1,
      amount: 50_000,
      currency: Currency.HKD,
      authorizationId: new Uint8Array(32),
      balanceAfter: card.balance + 50_000,
      prevHash: card.lastHash,
    });
    const pays = [card.pay(3_000, shopA.id), card.pay(3_000, shopA.id), card.pay(3_000, shopA.id)];
    const r = await ingest(signBatch(shopA, pays, [card]));
    expect(r.outcomes.map((o) => o.check ?? 'ok')).toEqual(['ok', 'over-spend', 'over-spend']);
    const cases = await store.fraudCases();
    expect(cases).toHaveLength(1);
    const proof = proven(cases[0] as FraudCaseRecord);
    if (!proof.ok) throw new Error(proof.reason);
    expect(proof.value).toMatchObject({ kind: EvidenceKind.OverSpend, paid: 6_000, authorized: 5_000 });
    expect(cases[0]).toMatchObject({ flaggedCount: 2, flaggedAmount: 6_000 });
    // The gap at counter 2 (the unauthorized load) shows as value moving in flight in the opposite direction.
    const audit = await valueAudit(store, { allCards: true });
    expect(audit.balanced).toBe(true);
    expect(audit.cards.find((c) => c.cardId === toHex(card.id))).toMatchObject({
      loaded: 5_000,
      settled: 3_000,
      flagged: 6_000,
      inFlight: -50_000,
      onCard: 46_000,
      difference: 0,
    });
  });
});

describe('a first receipt that does not start from the personalised state (BadGenesis)', () => {
  it('flags a counter-1 payment from a balance the card was never given, with single-receipt evidence', async () => {
    const card = TestCard.issue(scheme.issuer);
    // A leaked key signs the card's first receipt as if it had started with HK$50.
    const forged = card.commit({
      kind: 'pay',
      cardId: card.id,
      counter: 1,
      amount: 1_000,
      currency: Currency.HKD,
      payee: shopA.id,
      nonce: new Uint8Array(16),
      time: clock,
      balanceAfter: 4_000,
      prevHash: card.lastHash,
    });
    const r = await ingest(signBatch(shopA, [forged], [card]));
    expect(r.outcomes[0]).toMatchObject({ status: ReceiptStatus.DoubleSpend, check: 'bad-genesis' });
    const [c] = await store.fraudCases();
    expect(c).toMatchObject({ kind: EvidenceKind.BadGenesis, counters: [1] });
    expect(proven(c as FraudCaseRecord).ok).toBe(true);
    const audit = await valueAudit(store);
    expect(audit.balanced).toBe(true);
    expect(audit.exceptions[0]?.items).toEqual([
      { kind: 'balance-link', counters: [1], amount: -5_000, caseIds: [c?.caseId] },
    ]);
  });
});

describe('who carries the loss', () => {
  it('puts double spends taken after revocation plus grace on the merchant, and rejects later payments from the revoked card', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 10_000);
    const clone = card.clone();
    await ingest(signBatch(shopA, [card.pay(1_000, shopA.id, clock)], [card]));
    await ingest(signBatch(shopB, [clone.pay(1_000, shopB.id, clock)], [clone]));
    const revokedAt = clock;
    clock += 7_200;
    // The original card keeps paying at shop A, two hours after the revocation (grace: one hour).
    const late = card.pay(500, shopA.id, revokedAt + 7_000);
    const r = await ingest(signBatch(shopA, [late], [card]));
    expect(r.outcomes[0]).toMatchObject({ status: ReceiptStatus.Rejected, check: CheckId.DenyList });
    const history = await store.cardReceipts(card.id);
    expect(history.at(-1)).toMatchObject({ disposition: Disposition.Flagged, liability: Liability.Merchant });
    const shopASettlement = (await store.merchantSettlement()).find((m) => bytesEqual(m.merchantId, shopA.merchantId));
    expect(shopASettlement).toMatchObject({ creditedAmount: 1_000, merchantLossAmount: 500 });
    expect((await valueAudit(store)).balanced).toBe(true);
  });
});

describe('load receipts', () => {
  it('are recorded only for an authorization this ledger issued, for that amount', async () => {
    const card = TestCard.issue(scheme.issuer);
    await loadCard(ledger, card, 1_000);
    const forgedLoad = card.commit({
      kind: 'load',
      cardId: card.id,
      counter: card.counter + 1,
      amount: 99_000,
      currency: Currency.HKD,
      authorizationId: new Uint8Array(32),
      balanceAfter: card.balance + 99_000,
      prevHash: card.lastHash,
    });
    expect(await ledger.recordLoadReceipt(forgedLoad)).toMatchObject({ ok: false, check: CheckId.Structure });
  });
});
