import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Role,
  encodeDenyList,
  encodeUploadBatch,
  nobleVerifier,
  signCoseSign1,
  verifyDenyList,
  verifyPayReceipt,
  verifyUploadBatch,
  Currency,
  encodeCardChallenge,
  encodeLoadRequest,
  verifyLoadRequest,
  type Verification,
} from '../src/index.js';
import { createNodeVerifier } from '../src/node.js';
import { CardChain, NOW, makeCard, makeTerminal, scheme, trust, verifiedCardCertificate } from './support/fixture.js';

const node = createNodeVerifier();
const card = makeCard(1);
const terminal = makeTerminal(1);
const chain = new CardChain(card);
chain.loadAuthorized(5_000);
const nonce = new Uint8Array(16).fill(1);
const receipt = chain.payTo(700, terminal.id, nonce);
const cardCert = verifiedCardCertificate(card);
const batch = signCoseSign1(
  terminal.signer,
  encodeUploadBatch({
    terminalId: terminal.id,
    sequence: 1,
    createdAt: NOW,
    terminalCertificate: terminal.certificate,
    cardCertificates: [card.certificate],
    receipts: [receipt],
  }),
);
const loadRequest = signCoseSign1(
  terminal.signer,
  encodeLoadRequest({
    terminalId: terminal.id,
    terminalCertificate: terminal.certificate,
    cardCertificate: card.certificate,
    challenge: encodeCardChallenge({ challenge: nonce, cardId: card.id, counter: 2 }),
    amount: 2_000,
    currency: Currency.HKD,
    time: NOW,
  }),
);
const denyList = signCoseSign1(
  scheme.acquirer.signer,
  encodeDenyList({ signer: scheme.acquirer.id, sequence: 1, issuedAt: NOW, cardIds: [card.id] }),
);

/** Valid input, mutated: one byte replaced, a prefix, or bytes inserted. */
function mutations(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
      const b = Uint8Array.from(valid);
      b[i % b.length] = v;
      return b;
    }),
    fc.nat().map((i) => valid.subarray(0, i % valid.length)),
    fc
      .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }))
      .map(([i, x]) =>
        Uint8Array.of(...valid.subarray(0, i % valid.length), ...x, ...valid.subarray(i % valid.length)),
      ),
    fc.uint8Array({ maxLength: 400 }),
  );
}

/** Both back ends give the same outcome, and no input makes either throw. */
function sameOutcome(f: (v: typeof nobleVerifier) => Verification<unknown>): void {
  const a = f(nobleVerifier);
  const b = f(node);
  expect(a.ok ? 'valid' : a.check).toBe(b.ok ? 'valid' : b.check);
}

// spec R7: invalid points, scalars and lengths give "invalid", never an exception.
describe('verifiers: hostile input gives a failed check, never an exception, identically on both back ends', () => {
  it('card certificates', () => {
    fc.assert(
      fc.property(mutations(card.certificate), (b) => sameOutcome((v) => trust.verifyLeaf(b, Role.Card, v, NOW))),
      { numRuns: 300 },
    );
  });
  it('pay receipts', () => {
    const exp = { amount: 700, currency: Currency.HKD, nonce, payee: terminal.id };
    fc.assert(
      fc.property(mutations(receipt), (b) => sameOutcome((v) => verifyPayReceipt(b, cardCert, exp, v))),
      { numRuns: 300 },
    );
  });
  it('upload batches', () => {
    fc.assert(
      fc.property(mutations(batch), (b) => sameOutcome((v) => verifyUploadBatch(b, trust, v, NOW))),
      { numRuns: 200 },
    );
  });
  it('load requests', () => {
    fc.assert(
      fc.property(mutations(loadRequest), (b) => sameOutcome((v) => verifyLoadRequest(b, trust, v, NOW))),
      { numRuns: 200 },
    );
  });
  it('deny lists', () => {
    fc.assert(
      fc.property(mutations(denyList), (b) => sameOutcome((v) => verifyDenyList(b, trust, v))),
      { numRuns: 300 },
    );
  });
});
