import { hash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CheckId,
  CodecError,
  CoseError,
  Currency,
  Limits,
  TrustStore,
  bytesEqual,
  coseSigStructure,
  decodeCardReceipt,
  decodeCertificate,
  decodeCoseSign1,
  toHex,
  type SignatureVerifier,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { BatchReceiptVerifier } from '../src/ingest/batch-receipt-verifier.js';
import { unpackChecks } from '../src/ingest/checked-receipt-codec.js';
import { packBytes } from '../src/ingest/packed-bytes.js';
import type { ReceiptCheck } from '../src/ingest/receipt-check.js';
import { TestCard, createTestScheme, nowSeconds, type TestScheme } from './fixtures/test-scheme.js';

/**
 * The worker's verifier (in-place reading, packed verdicts, generic fallback) against a straightforward oracle on
 * core's generic decoders, the way every receipt used to be verified: same verdict, check, reason and fields for
 * valid receipts and for randomly edited ones (signature, payee, currency, time, structure, truncation).
 */

let scheme: TestScheme;
let verifier: SignatureVerifier;
let trust: TrustStore;
const payee = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
let cards: TestCard[];
let receipts: Uint8Array[];

beforeAll(() => {
  scheme = createTestScheme();
  verifier = createNodeVerifier();
  const t = TrustStore.create(
    scheme.root.certificate,
    [scheme.issuer.certificate, scheme.acquirer.certificate],
    verifier,
  );
  if (!t.ok) throw new Error(t.reason);
  trust = t.value;
  cards = Array.from({ length: 3 }, () => TestCard.issue(scheme.issuer));
  for (const c of cards)
    c.commit({
      kind: 'load',
      cardId: c.id,
      counter: 1,
      amount: 1_000_000,
      currency: Currency.HKD,
      authorizationId: new Uint8Array(32),
      balanceAfter: 1_000_000,
      prevHash: c.lastHash,
    });
  // Valid payments, and signed ones that fail a later check: another payee (differing in its first or last byte),
  // another currency.
  receipts = cards.flatMap((c, i) => [
    c.pay(100 + i, payee),
    c.pay(23, payee, nowSeconds() - 60),
    c.pay(70_000, Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1)),
    c.pay(5, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 9)),
    c.commit({
      kind: 'pay',
      cardId: c.id,
      counter: c.counter + 1,
      amount: 5,
      currency: 999,
      payee,
      nonce: new Uint8Array(16),
      time: nowSeconds(),
      balanceAfter: c.balance - 5,
      prevHash: c.lastHash,
    }),
  ]);
});

/** The oracle: one receipt verified with core's generic decoders against the batch's certificates. */
function oracle(bytes: Uint8Array, certificates: readonly Uint8Array[]): ReceiptCheck {
  let cose;
  let receipt;
  try {
    cose = decodeCoseSign1(bytes, Limits.receiptBytes);
    receipt = decodeCardReceipt(cose.payload);
  } catch (e) {
    if (e instanceof CoseError || e instanceof CodecError)
      return { ok: false, check: CheckId.Structure, reason: `receipt: ${e.message}` };
    throw e;
  }
  if (receipt.kind !== 'pay')
    return {
      ok: false,
      check: CheckId.Structure,
      reason: 'a load receipt in an upload batch (loads are recorded online)',
    };
  const certIndex = certificates.findIndex((c) =>
    bytesEqual(decodeCertificate(decodeCoseSign1(c, Limits.certificateBytes).payload).subject, receipt.cardId),
  );
  if (certIndex < 0)
    return {
      ok: false,
      check: CheckId.CertChain,
      reason: `no certificate of card ${toHex(receipt.cardId)} in the batch`,
    };
  const cert = decodeCertificate(
    decodeCoseSign1(certificates[certIndex] as Uint8Array, Limits.certificateBytes).payload,
  );
  const issuer = decodeCertificate(decodeCoseSign1(scheme.issuer.certificate, Limits.certificateBytes).payload);
  const root = decodeCertificate(decodeCoseSign1(scheme.root.certificate, Limits.certificateBytes).payload);
  for (const [c, what] of [
    [cert, `card ${toHex(cert.subject)}`],
    [issuer, `issuer ${toHex(cert.signer)}`],
    [root, 'root'],
  ] as const) {
    if (receipt.time < c.notBefore || receipt.time > c.notAfter) {
      return {
        ok: false,
        check: CheckId.CertExpiry,
        reason: `${what} certificate not valid at the payment time ${new Date(receipt.time * 1000).toISOString()}`,
      };
    }
  }
  if (receipt.currency !== cert.card?.currency)
    return { ok: false, check: CheckId.Currency, reason: `receipt currency ${receipt.currency} is not the card's` };
  if (receipt.amount > cert.card.maxPayment)
    return {
      ok: false,
      check: CheckId.Amount,
      reason: `amount ${receipt.amount} is above the card certificate's maximum payment ${cert.card.maxPayment}`,
    };
  if (!verifier.verify(cert.publicKey, coseSigStructure(cose.protectedBytes, cose.payload), cose.signature))
    return { ok: false, check: CheckId.Signature, reason: 'the card signature does not verify' };
  if (!bytesEqual(receipt.payee, payee))
    return {
      ok: false,
      check: CheckId.Payee,
      reason: `payee ${toHex(receipt.payee)} is not the uploading terminal ${toHex(payee)}`,
    };
  const { cardId, prevHash, counter, amount, currency, balanceAfter, time } = receipt;
  return {
    ok: true,
    id: new Uint8Array(hash('sha256', cose.payload, 'buffer')),
    cardId,
    prevHash,
    counter,
    amount,
    currency,
    balanceAfter,
    time,
    certIndex,
    issuerId: cert.signer,
  };
}

function plain(c: ReceiptCheck): unknown {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v instanceof Uint8Array ? toHex(v) : v]));
}

describe('the batch receipt verifier', () => {
  it('gives the verdicts of core generic decoding on valid and randomly edited receipts, in one packed chunk', () => {
    const edit = fc.record({
      which: fc.nat(),
      at: fc.nat(),
      value: fc.nat({ max: 255 }),
      op: fc.constantFrom('set', 'truncate', 'none'),
    });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 12 }), (edits) => {
        const chunk = edits.map((e) => {
          const r = Uint8Array.from(receipts[e.which % receipts.length] as Uint8Array);
          if (e.op === 'set') r[e.at % r.length] = e.value;
          return e.op === 'truncate' ? r.subarray(0, e.at % r.length) : r;
        });
        const certificates = cards.map((c) => c.certificate);
        const v = new BatchReceiptVerifier(trust, verifier);
        const out = v.verify(packBytes(chunk), v.cards(certificates), payee);
        const actual = unpackChecks(out.records, out.rejections);
        expect(actual.map(plain)).toEqual(chunk.map((r) => plain(oracle(r, certificates))));
      }),
      { numRuns: 300 },
    );
  });
});
