import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckId, Currency, Limits, decodeCoseSign1, payloadId, toHex } from '@ehkd/core';
import { VerifyPool } from '../src/ingest/verify-pool.js';
import { TestCard, createTestScheme, type TestScheme } from './fixtures/test-scheme.js';
import { forgeSignature } from './fixtures/wire-tampering.js';

let scheme: TestScheme;
let pool: VerifyPool;
const payee = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);

beforeAll(async () => {
  scheme = createTestScheme();
  pool = await VerifyPool.start(
    { root: scheme.root.certificate, certificates: [scheme.issuer.certificate, scheme.acquirer.certificate] },
    { size: 2 },
  );
});

afterAll(async () => {
  await pool.close();
});

function loaded(amount: number): TestCard {
  const card = TestCard.issue(scheme.issuer);
  card.commit({
    kind: 'load',
    cardId: card.id,
    counter: 1,
    amount,
    currency: Currency.HKD,
    authorizationId: new Uint8Array(32),
    balanceAfter: amount,
    prevHash: card.lastHash,
  });
  return card;
}

describe('the verification pool', () => {
  it('answers every receipt of a large one-card batch, in batch order', async () => {
    const card = loaded(10_000_000);
    const receipts = Array.from({ length: 2_500 }, (_, i) => card.pay(1 + (i % 50), payee));
    receipts[1_234] = forgeSignature(receipts[1_234] as Uint8Array);
    const progress: number[] = [];
    const checks = await pool.verify({ receipts, cardCertificates: [card.certificate], payee }, (n) =>
      progress.push(n),
    );
    expect(checks).toHaveLength(2_500);
    checks.forEach((c, i) => {
      if (i === 1_234) expect(c).toMatchObject({ ok: false, check: CheckId.Signature });
      else
        expect(c.ok && toHex(c.id)).toBe(
          toHex(payloadId(decodeCoseSign1(receipts[i] as Uint8Array, Limits.receiptBytes))),
        );
    });
    expect(progress.at(-1)).toBe(2_500);
  });

  it('matches receipts of many cards with their certificates whichever worker each lands on', async () => {
    const cards = Array.from({ length: 40 }, () => loaded(100_000));
    const receipts = cards.flatMap((c) => [c.pay(10, payee), c.pay(20, payee)]);
    const stranger = loaded(1_000);
    receipts.push(stranger.pay(5, payee));
    const checks = await pool.verify({ receipts, cardCertificates: cards.map((c) => c.certificate), payee });
    expect(checks.slice(0, 80).every((c) => c.ok)).toBe(true);
    expect(checks[80]).toMatchObject({ ok: false, check: CheckId.CertChain });
    checks.slice(0, 80).forEach((c, i) => expect(c.ok && c.amount).toBe(i % 2 === 0 ? 10 : 20));
  });
});
