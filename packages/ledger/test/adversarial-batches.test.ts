import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckId,
  ReceiptStatus,
  TrustStore,
  bytesEqual,
  coseSigStructure,
  decodeCoseSign1,
  generatePrivateKey,
  Limits,
  nobleVerifier,
  payloadId,
  signCoseSign1,
  verifyBatchResult,
} from '@ehkd/core';
import type { Ledger } from '../src/ledger.js';
import type { IngestedBatch } from '../src/ingest/batch-ingestor.js';
import { signTerminalCertificate } from '../src/scheme/terminal-enrolment.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import {
  TestCard,
  YEAR,
  createTestScheme,
  enrolTerminal,
  loadCard,
  loadCardDirectly,
  nowSeconds,
  openTestLedger,
  removeTempDirs,
  signBatch,
  type TestScheme,
  type TestTerminal,
} from './fixtures/test-scheme.js';
import { forgeSignature, malleateSignature, stretchAmount } from './fixtures/wire-tampering.js';

let scheme: TestScheme;
let ledger: Ledger;
let store: SqliteLedgerStore;
let terminal: TestTerminal;

beforeAll(async () => {
  scheme = createTestScheme();
  ({ ledger, store } = await openTestLedger(scheme));
  terminal = await enrolTerminal(ledger);
});

afterAll(async () => {
  await ledger.close();
  await store.close();
  removeTempDirs();
});

async function loadedCard(amount = 50_000): Promise<TestCard> {
  const card = TestCard.issue(scheme.issuer);
  await loadCard(ledger, card, amount);
  return card;
}

async function ingest(batch: Uint8Array): Promise<IngestedBatch> {
  const r = await ledger.ingestBatch(batch, 'test');
  if (!r.ok) throw new Error(`batch refused: ${r.check} ${r.reason}`);
  return r;
}

function statusOf(r: IngestedBatch, receipt: Uint8Array): { status: number; check?: string } {
  const id = payloadId(decodeCoseSign1(receipt, 1024));
  const o = r.outcomes.find((x) => bytesEqual(x.receiptId, id));
  if (o === undefined) throw new Error('no outcome for the receipt');
  return { status: o.status, ...(o.check !== undefined && { check: o.check }) };
}

async function creditedTotal(): Promise<number> {
  return (await store.merchantSettlement()).reduce((sum, m) => sum + m.creditedAmount, 0);
}

describe('a batch with bad receipts settles the good ones and names the failed check of each bad one', () => {
  it('rejects a forged card signature with check "signature"', async () => {
    const card = await loadedCard();
    const good = card.pay(100, terminal.id);
    const forged = forgeSignature(card.pay(200, terminal.id));
    const r = await ingest(signBatch(terminal, [good, forged], [card]));
    expect(statusOf(r, good)).toEqual({ status: ReceiptStatus.Accepted });
    expect(statusOf(r, forged)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.Signature });
  });

  it('rejects a card certified by an issuer outside the trust anchors with check "cert-chain"', async () => {
    const foreign = TestCard.issue(createTestScheme().issuer);
    foreign.commit({
      kind: 'load',
      cardId: foreign.id,
      counter: 1,
      amount: 10_000,
      currency: 344,
      authorizationId: new Uint8Array(32),
      balanceAfter: 10_000,
      prevHash: foreign.lastHash,
    });
    const receipt = foreign.pay(500, terminal.id);
    const r = await ingest(signBatch(terminal, [receipt], [foreign]));
    expect(statusOf(r, receipt)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.CertChain });
  });

  it('rejects a payment made after the card certificate expired with check "cert-expiry", and honours one made before', async () => {
    const now = nowSeconds();
    const card = TestCard.issue(scheme.issuer, { notBefore: now - 2 * YEAR, notAfter: now - 3600 });
    // The online path refuses an expired card, so its load, made while it was valid, is recorded directly.
    await loadCardDirectly(store, scheme.issuer, card, 10_000, now - 7200);
    const early = card.pay(200, terminal.id, now - 7000);
    const late = card.pay(300, terminal.id, now);
    const r = await ingest(signBatch(terminal, [early, late], [card]));
    expect(statusOf(r, early)).toEqual({ status: ReceiptStatus.Accepted });
    expect(statusOf(r, late)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.CertExpiry });
  });

  it("rejects another terminal's receipt with check 'payee'", async () => {
    const other = await enrolTerminal(ledger);
    const card = await loadedCard();
    const theirs = card.pay(700, other.id);
    const mine = card.pay(800, terminal.id);
    const r = await ingest(signBatch(terminal, [theirs, mine], [card]));
    expect(statusOf(r, theirs)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.Payee });
    expect(statusOf(r, mine)).toEqual({ status: ReceiptStatus.Accepted });
  });

  it("rejects non-canonical CBOR inside a card's signed payload with check 'structure'", async () => {
    const card = await loadedCard();
    const honest = decodeCoseSign1(card.pay(150, terminal.id), Limits.receiptBytes);
    const stretched = signCoseSign1(card.signer, stretchAmount(honest.payload));
    const r = await ingest(signBatch(terminal, [stretched], [card]));
    expect(statusOf(r, stretched)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.Structure });
  });

  it("rejects a truncated receipt with check 'structure' and still settles the rest", async () => {
    const card = await loadedCard();
    const good = card.pay(120, terminal.id);
    const truncated = card.pay(130, terminal.id).subarray(0, 60);
    const before = await creditedTotal();
    const r = await ingest(signBatch(terminal, [truncated, good], [card]));
    expect(r.outcomes[0]).toMatchObject({ status: ReceiptStatus.Rejected, check: CheckId.Structure });
    expect(statusOf(r, good)).toEqual({ status: ReceiptStatus.Accepted });
    expect(await creditedTotal()).toBe(before + 120);
  });

  it("rejects a load receipt in an upload batch with check 'structure' (loads are recorded online)", async () => {
    const card = TestCard.issue(scheme.issuer);
    const loadReceipt = await loadCard(ledger, card, 5_000);
    const r = await ingest(signBatch(terminal, [loadReceipt], [card]));
    expect(statusOf(r, loadReceipt)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.Structure });
  });

  it('answers the same receipt twice in one batch as accepted, then duplicate', async () => {
    const card = await loadedCard();
    const receipt = card.pay(321, terminal.id);
    const r = await ingest(signBatch(terminal, [receipt, receipt], [card]));
    expect(r.outcomes.map((o) => o.status)).toEqual([ReceiptStatus.Accepted, ReceiptStatus.Duplicate]);
  });

  it('rejects a receipt whose card certificate is not in the batch', async () => {
    const card = await loadedCard();
    const receipt = card.pay(100, terminal.id);
    const r = await ingest(signBatch(terminal, [receipt], []));
    expect(statusOf(r, receipt)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.CertChain });
  });
});

describe('receipt identity is the hash of the payload', () => {
  it('answers a replayed batch with duplicates and credits nothing twice', async () => {
    const card = await loadedCard();
    const batch = signBatch(terminal, [card.pay(1_000, terminal.id), card.pay(2_000, terminal.id)], [card]);
    const first = await ingest(batch);
    const before = await creditedTotal();
    const replay = await ingest(batch);
    expect(first.counts).toEqual({ accepted: 2, duplicate: 0, rejected: 0, doubleSpend: 0 });
    expect(replay.counts).toEqual({ accepted: 0, duplicate: 2, rejected: 0, doubleSpend: 0 });
    expect(await creditedTotal()).toBe(before);
    expect((await store.batches()).find((b) => bytesEqual(b.batchId, first.batchId))?.submissions).toBe(2);
  });

  it('treats a re-encoded (malleated) signature as a duplicate, not as fraud', async () => {
    const card = await loadedCard();
    const receipt = card.pay(450, terminal.id);
    const malleated = malleateSignature(receipt);
    expect(bytesEqual(malleated, receipt)).toBe(false);
    // Both encodings verify: the malleated one is a valid signature of the card over the same payload.
    const cose = decodeCoseSign1(malleated, Limits.receiptBytes);
    expect(
      nobleVerifier.verify(card.signer.publicKey, coseSigStructure(cose.protectedBytes, cose.payload), cose.signature),
    ).toBe(true);
    await ingest(signBatch(terminal, [receipt], [card]));
    const r = await ingest(signBatch(terminal, [malleated], [card]));
    expect(r.counts).toEqual({ accepted: 0, duplicate: 1, rejected: 0, doubleSpend: 0 });
    expect(await store.fraudCases()).toHaveLength(0);
  });
});

describe('a batch whose envelope or terminal cannot be trusted is refused whole, changing nothing', () => {
  it('refuses a truncated batch', async () => {
    const card = await loadedCard();
    const batch = signBatch(terminal, [card.pay(100, terminal.id)], [card]);
    const r = await ledger.ingestBatch(batch.subarray(0, batch.length - 10), 'test');
    expect(r).toMatchObject({ ok: false, check: CheckId.Structure, enrolled: true });
  });

  it('refuses a batch with a forged terminal signature', async () => {
    const card = await loadedCard();
    const r = await ledger.ingestBatch(
      forgeSignature(signBatch(terminal, [card.pay(100, terminal.id)], [card])),
      'test',
    );
    expect(r).toMatchObject({ ok: false, check: CheckId.Signature });
  });

  it('refuses a batch from a terminal that is certified but not enrolled here', async () => {
    const signer = createNodeSigner(generatePrivateKey());
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: signer.publicKey, merchantId: new Uint8Array(8), mcc: 1, name: 'Rogue' },
      nowSeconds(),
    );
    const rogue = { id: record.terminalId, merchantId: record.merchantId, signer, certificate: record.certificate };
    const card = await loadedCard();
    const before = await creditedTotal();
    const r = await ledger.ingestBatch(signBatch(rogue, [card.pay(100, rogue.id)], [card]), 'test');
    expect(r).toMatchObject({ ok: false, check: CheckId.CertChain, enrolled: false });
    expect(await creditedTotal()).toBe(before);
  });

  it('refuses a batch whose terminal certificate has expired', async () => {
    const signer = createNodeSigner(generatePrivateKey());
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: signer.publicKey, merchantId: new Uint8Array(8), mcc: 1, name: 'Old' },
      nowSeconds() - YEAR / 2,
      YEAR / 4,
    );
    await store.putTerminal(record);
    const old = { id: record.terminalId, merchantId: record.merchantId, signer, certificate: record.certificate };
    const card = await loadedCard();
    const r = await ledger.ingestBatch(signBatch(old, [card.pay(100, old.id)], [card]), 'test');
    expect(r).toMatchObject({ ok: false, check: CheckId.CertExpiry });
  });

  it('still takes, within the grace, what a terminal took before its certificate expired, and nothing after', async () => {
    const signer = createNodeSigner(generatePrivateKey());
    const now = nowSeconds();
    // Certified for a day that ended an hour ago (the ledger allows uploads for 30 days after expiry).
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: signer.publicKey, merchantId: new Uint8Array(8), mcc: 1, name: 'Lapsed' },
      now - 86_400 - 3_600 + 300,
      86_400,
    );
    await store.putTerminal(record);
    const lapsed = { id: record.terminalId, merchantId: record.merchantId, signer, certificate: record.certificate };
    const card = await loadedCard();
    const before = card.pay(100, lapsed.id, now - 7_200);
    const after = card.pay(200, lapsed.id, now - 60);
    const r = await ingest(signBatch(lapsed, [before, after], [card]));
    expect(statusOf(r, before)).toEqual({ status: ReceiptStatus.Accepted });
    expect(statusOf(r, after)).toEqual({ status: ReceiptStatus.Rejected, check: CheckId.CertExpiry });
  });

  it('refuses bytes that are not CBOR at all', async () => {
    expect(await ledger.ingestBatch(new TextEncoder().encode('{"hello": "world"}'), 'test')).toMatchObject({
      ok: false,
      check: CheckId.Structure,
    });
  });
});

describe('the batch result', () => {
  it('is signed by the acquirer, answers this batch, and has exactly one outcome per receipt in batch order', async () => {
    const card = await loadedCard();
    const receipts = [card.pay(10, terminal.id), forgeSignature(card.pay(20, terminal.id)), card.pay(30, terminal.id)];
    const r = await ingest(signBatch(terminal, receipts, [card]));
    const trust = TrustStore.create(
      scheme.root.certificate,
      [scheme.issuer.certificate, scheme.acquirer.certificate],
      nobleVerifier,
    );
    if (!trust.ok) throw new Error(trust.reason);
    const result = verifyBatchResult(r.result, trust.value, scheme.acquirer.id, r.batchId, nobleVerifier);
    if (!result.ok) throw new Error(result.reason);
    expect(result.value.payload.outcomes.map((o) => o.status)).toEqual([
      ReceiptStatus.Accepted,
      ReceiptStatus.Rejected,
      ReceiptStatus.Accepted,
    ]);
  });
});
