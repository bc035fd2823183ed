import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CBOR_CONTENT_TYPE,
  CheckId,
  Currency,
  EvidenceKind,
  GENESIS_HASH,
  LedgerApi,
  Limits,
  ReceiptStatus,
  bytesEqual,
  encodeDoubleSpendEvidence,
} from '@ehkd/core';
import { valueAudit } from '../src/reports/value-audit.js';
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
let shopA: TestTerminal;
let shopB: TestTerminal;

beforeAll(async () => {
  scheme = createTestScheme();
  server = await startTestServer(scheme);
  shopA = await enrolTerminal(server.ledger, undefined, 'Shop A');
  shopB = await enrolTerminal(server.ledger, undefined, 'Shop B');
});
afterAll(() => server.close());

async function post(
  body: Uint8Array,
  type = CBOR_CONTENT_TYPE,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.base}${LedgerApi.evidence}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A card loaded at the ledger, a clone of it, and one payment of each at the same counter (to A, then to B). */
async function clonedCard(): Promise<{ card: TestCard; atA: Uint8Array; atB: Uint8Array }> {
  const card = TestCard.issue(scheme.issuer);
  await loadCard(server.ledger, card, 10_000);
  const clone = card.clone();
  return { card, atA: card.pay(3_000, shopA.id), atB: clone.pay(4_000, shopB.id) };
}

function evidence(
  card: TestCard,
  receipts: Uint8Array[],
  kind: EvidenceKind = EvidenceKind.ConflictingCounter,
  issuerCertificate = scheme.issuer.certificate,
): Uint8Array {
  return encodeDoubleSpendEvidence({
    kind,
    cardCertificate: card.certificate,
    issuerCertificate,
    receipts,
    loadAuthorizations: [],
  });
}

describe('POST /v1/evidence', () => {
  it("records a terminal's conflicting-counter proof: one case, the card revoked, a new deny list; again: the same case", async () => {
    const { card, atA, atB } = await clonedCard();
    const before = await server.store.latestDenyList();
    const first = await post(evidence(card, [atA, atB]));
    expect(first).toMatchObject({ status: 200, json: { created: true, revoked: true, caseId: expect.any(Number) } });
    const c = await server.store.fraudCase(first.json['caseId'] as number);
    expect(c).toMatchObject({ kind: EvidenceKind.ConflictingCounter, counters: [2], batchId: null, flaggedCount: 0 });
    expect((await server.store.card(card.id))?.revokedAt).not.toBeNull();
    expect((await server.store.latestDenyList()).sequence).toBe(before.sequence + 1);
    expect(await server.store.cardReceipts(card.id)).toHaveLength(1); // only the load: evidence stores no receipt

    const again = await post(evidence(card, [atA, atB]));
    expect(again).toMatchObject({
      status: 200,
      json: { caseId: first.json['caseId'], created: false, revoked: false },
    });
    expect((await server.store.latestDenyList()).sequence).toBe(before.sequence + 1);
  });

  it('the receipts of reported evidence settle by the usual rules when their terminals upload them; nothing is credited twice', async () => {
    const { card, atA, atB } = await clonedCard();
    expect((await post(evidence(card, [atA, atB]))).status).toBe(200);
    const a = await server.ledger.ingestBatch(signBatch(shopA, [atA], [card]), 'test');
    const b = await server.ledger.ingestBatch(signBatch(shopB, [atB], [card]), 'test');
    if (!a.ok || !b.ok) throw new Error('batch refused');
    expect(a.outcomes[0]?.status).toBe(ReceiptStatus.Accepted); // taken before the revocation: credited to A
    expect(b.outcomes[0]).toMatchObject({ status: ReceiptStatus.DoubleSpend, check: 'conflicting-counter' });
    const settlement = await server.store.merchantSettlement();
    expect(settlement.find((m) => bytesEqual(m.merchantId, shopB.merchantId))).toMatchObject({
      creditedAmount: 0,
      issuerClaimAmount: 4_000,
    });
    expect((await valueAudit(server.store)).balanced).toBe(true);
  });

  it('refuses what does not prove a double spend here (422 with the check), and bodies that are not CBOR evidence', async () => {
    const { card, atA } = await clonedCard();
    expect(await post(evidence(card, [atA, atA]))).toMatchObject({
      status: 422,
      json: { error: 'refused', check: CheckId.Evidence },
    });
    const other = TestCard.issue(scheme.issuer);
    await loadCard(server.ledger, other, 1_000);
    expect(await post(evidence(other, [atA, other.pay(10, shopA.id)]))).toMatchObject({
      status: 422,
      json: { check: CheckId.Card },
    });
    // A whole scheme of its own: its issuer does not chain to this ledger's root.
    const foreign = createTestScheme();
    const stranger = TestCard.issue(foreign.issuer);
    const load = (amount: number): Uint8Array =>
      stranger.clone().commit({
        kind: 'load',
        cardId: stranger.id,
        counter: 1,
        amount,
        currency: Currency.HKD,
        authorizationId: new Uint8Array(32),
        balanceAfter: amount,
        prevHash: GENESIS_HASH,
      });
    const forged = evidence(
      stranger,
      [load(100), load(200)],
      EvidenceKind.ConflictingCounter,
      foreign.issuer.certificate,
    );
    expect(await post(forged)).toMatchObject({ status: 422, json: { check: CheckId.CertChain } });
    // Over-spend rests on the issuer's full disclosure, which only the authorizing ledger can give.
    expect(await post(evidence(card, [atA], EvidenceKind.OverSpend))).toMatchObject({
      status: 422,
      json: { check: CheckId.Evidence },
    });
    expect(await post(Uint8Array.of(0xa0))).toMatchObject({ status: 422, json: { check: CheckId.Structure } });
    expect((await post(new TextEncoder().encode('{}'), 'application/json')).status).toBe(415);
    expect((await post(new Uint8Array(Limits.evidenceBytes + 1))).status).toBe(413);
    expect((await server.store.card(card.id))?.revokedAt).toBeNull();
  });
});
