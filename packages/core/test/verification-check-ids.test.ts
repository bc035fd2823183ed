import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CheckId,
  Currency,
  EvidenceKind,
  ReceiptStatus,
  Role,
  TrustStore,
  encodeBatchResult,
  encodeDenyList,
  encodeDoubleSpendEvidence,
  encodeUploadBatch,
  nobleVerifier,
  signCoseSign1,
  verifyBatchResult,
  verifyDenyList,
  verifyDoubleSpendEvidence,
  verifyPayReceipt,
  verifyUploadBatch,
  verifyLoadRequest,
  encodeLoadRequest,
  encodeCardChallenge,
  sha256,
  decodeCoseSign1,
  type Verification,
} from '../src/index.js';
import { certifyLeaf, createDevScheme, devId } from '../src/testing.js';
import { createNodeVerifier } from '../src/node.js';
import { CardChain, NOW, makeCard, makeTerminal, scheme, trust, verifiedCardCertificate } from './support/fixture.js';

const card = makeCard(1);
const terminal = makeTerminal(1);
const cardCert = verifiedCardCertificate(card);

function failedCheck(v: Verification<unknown>): string {
  return v.ok ? 'ok' : v.check;
}

describe('certificate chain verification', () => {
  it('accepts a card certificate chaining to the root', () => {
    expect(failedCheck(trust.verifyLeaf(card.certificate, Role.Card, nobleVerifier, NOW))).toBe('ok');
  });
  it('cert-role: a terminal certificate where a card is expected', () => {
    expect(failedCheck(trust.verifyLeaf(terminal.certificate, Role.Card, nobleVerifier, NOW))).toBe(CheckId.CertRole);
  });
  it('cert-chain: a card certified by an issuer of another scheme', () => {
    const rogue = createDevScheme(new Uint8Array(32).fill(7));
    expect(
      failedCheck(trust.verifyLeaf(makeCard(2, { issuer: rogue.issuer }).certificate, Role.Card, nobleVerifier, NOW)),
    ).toBe(CheckId.CertChain);
  });
  it('cert-chain: an acquirer (not an issuer) signing a card certificate', () => {
    const forged = certifyLeaf(
      { ...scheme.acquirer, id: scheme.issuer.id },
      { role: Role.Card, subject: devId(3, 7), publicKey: card.signer.publicKey, card: cardCert.card! },
    );
    expect(failedCheck(trust.verifyLeaf(forged, Role.Card, nobleVerifier, NOW))).toBe(CheckId.CertChain);
  });
  it('cert-expiry: outside the validity period', () => {
    const expired = makeCard(3, { notAfter: NOW - 1 });
    expect(failedCheck(trust.verifyLeaf(expired.certificate, Role.Card, nobleVerifier, NOW))).toBe(CheckId.CertExpiry);
  });
  it('structure: garbage bytes', () => {
    expect(failedCheck(trust.verifyLeaf(Uint8Array.of(1, 2, 3), Role.Card, nobleVerifier, NOW))).toBe(
      CheckId.Structure,
    );
  });
  it('a trust store refuses a non-root anchor and an issuer signed by another root', () => {
    expect(failedCheck(TrustStore.create(scheme.issuer.certificate, [], nobleVerifier))).toBe(CheckId.CertRole);
    const rogue = createDevScheme(new Uint8Array(32).fill(7));
    expect(failedCheck(TrustStore.create(scheme.root.certificate, [rogue.issuer.certificate], nobleVerifier))).toBe(
      CheckId.CertChain,
    );
  });
});

describe('pay receipt verification (the terminal checks)', () => {
  const chain = new CardChain(card);
  chain.loadAuthorized(100_000);
  const nonce = new Uint8Array(16).fill(0xab);
  const receipt = chain.payTo(2_000, terminal.id, nonce);
  const expected = { amount: 2_000, currency: Currency.HKD, nonce, payee: terminal.id };

  it('accepts the receipt of this tap', () => {
    expect(failedCheck(verifyPayReceipt(receipt, cardCert, expected, nobleVerifier))).toBe('ok');
  });
  it.each([
    ['nonce', { ...expected, nonce: new Uint8Array(16) }, CheckId.Nonce],
    ['amount', { ...expected, amount: 2_001 }, CheckId.Amount],
    ['payee', { ...expected, payee: devId(5, 99) }, CheckId.Payee],
  ] as const)('%s', (_n, exp, check) => {
    expect(failedCheck(verifyPayReceipt(receipt, cardCert, exp, nobleVerifier))).toBe(check);
  });
  it('signature: a receipt signed by another key', () => {
    const other = new CardChain({ ...makeCard(4), id: card.id });
    other.loadAuthorized(100_000);
    expect(
      failedCheck(verifyPayReceipt(other.payTo(2_000, terminal.id, nonce), cardCert, expected, nobleVerifier)),
    ).toBe(CheckId.Signature);
  });
  it('card: a receipt of another card', () => {
    const other = new CardChain(makeCard(5));
    other.loadAuthorized(100_000);
    expect(
      failedCheck(verifyPayReceipt(other.payTo(2_000, terminal.id, nonce), cardCert, expected, nobleVerifier)),
    ).toBe(CheckId.Card);
  });
});

describe('deny list, batch and batch result', () => {
  const deny = signCoseSign1(
    scheme.acquirer.signer,
    encodeDenyList({ signer: scheme.acquirer.id, sequence: 5, issuedAt: NOW, cardIds: [card.id] }),
  );
  it('deny list: valid, older than held, unknown signer, bad signature', () => {
    expect(failedCheck(verifyDenyList(deny, trust, nobleVerifier, 5))).toBe('ok');
    expect(failedCheck(verifyDenyList(deny, trust, nobleVerifier, 6))).toBe(CheckId.DenyListAge);
    const unknown = signCoseSign1(
      scheme.acquirer.signer,
      encodeDenyList({ signer: devId(4, 9), sequence: 5, issuedAt: NOW, cardIds: [] }),
    );
    expect(failedCheck(verifyDenyList(unknown, trust, nobleVerifier))).toBe(CheckId.CertChain);
    const byIssuer = signCoseSign1(
      scheme.issuer.signer,
      encodeDenyList({ signer: scheme.acquirer.id, sequence: 5, issuedAt: NOW, cardIds: [] }),
    );
    expect(failedCheck(verifyDenyList(byIssuer, trust, nobleVerifier))).toBe(CheckId.Signature);
  });

  const chain = new CardChain(card);
  chain.loadAuthorized(10_000);
  const batchPayload = encodeUploadBatch({
    terminalId: terminal.id,
    sequence: 1,
    createdAt: NOW,
    terminalCertificate: terminal.certificate,
    cardCertificates: [card.certificate],
    receipts: [chain.payTo(100, terminal.id)],
  });
  it('upload batch: valid, signed by another terminal, claiming another terminal id', () => {
    expect(
      failedCheck(verifyUploadBatch(signCoseSign1(terminal.signer, batchPayload), trust, nobleVerifier, NOW)),
    ).toBe('ok');
    expect(
      failedCheck(verifyUploadBatch(signCoseSign1(makeTerminal(2).signer, batchPayload), trust, nobleVerifier, NOW)),
    ).toBe(CheckId.Signature);
    const lying = encodeUploadBatch({
      terminalId: devId(5, 2),
      sequence: 1,
      createdAt: NOW,
      terminalCertificate: terminal.certificate,
      cardCertificates: [],
      receipts: [],
    });
    expect(failedCheck(verifyUploadBatch(signCoseSign1(terminal.signer, lying), trust, nobleVerifier, NOW))).toBe(
      CheckId.CertChain,
    );
  });
  it('load request: valid, signed by another terminal, claiming another terminal id, from an expired terminal', () => {
    const request = (terminalId = terminal.id) =>
      encodeLoadRequest({
        terminalId,
        terminalCertificate: terminal.certificate,
        cardCertificate: card.certificate,
        challenge: encodeCardChallenge({ challenge: new Uint8Array(16).fill(9), cardId: card.id, counter: 3 }),
        amount: 5_000,
        currency: Currency.HKD,
        time: NOW,
      });
    const v = verifyLoadRequest(signCoseSign1(terminal.signer, request()), trust, nobleVerifier, NOW);
    expect(v.ok && v.value.request.payload.amount).toBe(5_000);
    expect(
      failedCheck(verifyLoadRequest(signCoseSign1(makeTerminal(2).signer, request()), trust, nobleVerifier, NOW)),
    ).toBe(CheckId.Signature);
    expect(
      failedCheck(verifyLoadRequest(signCoseSign1(terminal.signer, request(devId(5, 2))), trust, nobleVerifier, NOW)),
    ).toBe(CheckId.CertChain);
    expect(
      failedCheck(verifyLoadRequest(signCoseSign1(terminal.signer, request()), trust, nobleVerifier, 0xfffffff0)),
    ).toBe(CheckId.CertExpiry);
    expect(failedCheck(verifyLoadRequest(request(), trust, nobleVerifier, NOW))).toBe(CheckId.Structure);
  });
  it('batch result: valid, for another batch, signed by a terminal', () => {
    const batchId = sha256(batchPayload);
    const result = encodeBatchResult({
      batchId,
      processedAt: NOW,
      outcomes: [{ receiptId: new Uint8Array(32), status: ReceiptStatus.Accepted }],
    });
    expect(
      failedCheck(
        verifyBatchResult(
          signCoseSign1(scheme.acquirer.signer, result),
          trust,
          scheme.acquirer.id,
          batchId,
          nobleVerifier,
        ),
      ),
    ).toBe('ok');
    expect(
      failedCheck(
        verifyBatchResult(
          signCoseSign1(scheme.acquirer.signer, result),
          trust,
          scheme.acquirer.id,
          new Uint8Array(32),
          nobleVerifier,
        ),
      ),
    ).toBe(CheckId.Structure);
    expect(
      failedCheck(
        verifyBatchResult(signCoseSign1(terminal.signer, result), trust, scheme.acquirer.id, batchId, nobleVerifier),
      ),
    ).toBe(CheckId.Signature);
  });
});

describe('verifyDoubleSpendEvidence (anyone, with only the root certificate)', () => {
  const t2 = makeTerminal(2);
  const original = new CardChain(card);
  const load = original.loadAuthorized(10_000);
  const first = original.payTo(1_000, terminal.id);
  const snapshot = { counter: original.counter, balance: original.balance, lastHash: original.lastHash };
  const honest = original.payTo(5_000, terminal.id);
  const clone = new CardChain(card);
  Object.assign(clone, snapshot);
  const cloned = clone.payTo(5_000, t2.id);
  const afterClone = clone.payTo(4_000, t2.id);

  const evidence = (kind: EvidenceKind, receipts: Uint8Array[], loadAuthorizations: Uint8Array[] = []): Uint8Array =>
    encodeDoubleSpendEvidence({
      kind,
      cardCertificate: card.certificate,
      issuerCertificate: scheme.issuer.certificate,
      receipts,
      loadAuthorizations,
    });
  const verify = (bytes: Uint8Array, verifier = nobleVerifier) =>
    verifyDoubleSpendEvidence(bytes, scheme.root.certificate, verifier);

  it('conflicting counter: a clone spent the same counter at another terminal', () => {
    const v = verify(evidence(EvidenceKind.ConflictingCounter, [honest, cloned]));
    expect(v.ok && v.value).toMatchObject({ kind: EvidenceKind.ConflictingCounter, counters: [3] });
    expect(failedCheck(verify(evidence(EvidenceKind.ConflictingCounter, [honest, honest])))).toBe(CheckId.Evidence);
  });
  it('chain fork: receipt n+1 of the clone does not link to the honest receipt n', () => {
    expect(failedCheck(verify(evidence(EvidenceKind.ChainFork, [honest, afterClone]), createNodeVerifier()))).toBe(
      'ok',
    );
    expect(failedCheck(verify(evidence(EvidenceKind.ChainFork, [cloned, afterClone])))).toBe(CheckId.Evidence);
  });
  it('balance mismatch: linked receipts whose balances do not add up', () => {
    const forger = new CardChain(card);
    Object.assign(forger, { counter: clone.counter, balance: clone.balance + 50_000, lastHash: clone.lastHash });
    const inflated = forger.payTo(1_000, t2.id);
    expect(failedCheck(verify(evidence(EvidenceKind.BalanceMismatch, [afterClone, inflated])))).toBe('ok');
    expect(failedCheck(verify(evidence(EvidenceKind.BalanceMismatch, [cloned, afterClone])))).toBe(CheckId.Evidence);
  });
  it('over-spend: a card whose key was extracted signs itself an unauthorized load and spends it', () => {
    const forger = new CardChain(card);
    Object.assign(forger, { counter: original.counter, balance: original.balance, lastHash: original.lastHash });
    forger.loadAuthorized(50_000); // no issuer authorization exists for this load
    const spend = forger.payTo(30_000, t2.id);
    const v = verify(evidence(EvidenceKind.OverSpend, [first, honest, spend], [load.authorization]));
    expect(v.ok && v.value).toMatchObject({ paid: 36_000, authorized: 10_000, counters: [2, 3, 5] });
    expect(failedCheck(verify(evidence(EvidenceKind.OverSpend, [first, honest], [load.authorization])))).toBe(
      CheckId.Evidence,
    );
  });
  it('refuses evidence from a card of another scheme, and a forged receipt', () => {
    const rogue = createDevScheme(new Uint8Array(32).fill(7));
    const bytes = encodeDoubleSpendEvidence({
      kind: EvidenceKind.ConflictingCounter,
      cardCertificate: card.certificate,
      issuerCertificate: rogue.issuer.certificate,
      receipts: [honest, cloned],
      loadAuthorizations: [],
    });
    expect(failedCheck(verify(bytes))).toBe(CheckId.CertChain);
    const forged = Uint8Array.from(cloned);
    forged[forged.length - 1] ^= 1;
    expect(failedCheck(verify(evidence(EvidenceKind.ConflictingCounter, [honest, forged])))).toBe(CheckId.Signature);
  });
  it('random mutations of evidence never throw: each gets a failed check or a proof', () => {
    const good = evidence(EvidenceKind.ConflictingCounter, [honest, cloned]);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 255 }), (i, v) => {
        const b = Uint8Array.from(good);
        b[i % b.length] = v;
        const r = verify(b);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
  });
  it('receipt identity ignores the signature bytes', () => {
    expect(sha256(decodeCoseSign1(honest, 512).payload)).not.toEqual(sha256(decodeCoseSign1(cloned, 512).payload));
  });
});
