import {
  Currency,
  EVIDENCE_KIND_NAME,
  EvidenceKind,
  ReceiptStatus,
  Role,
  TrustStore,
  decodeCoseSign1,
  encodeBatchResult,
  encodeDenyList,
  encodeDoubleSpendEvidence,
  encodeUploadBatch,
  nobleVerifier,
  sha256,
  signCoseSign1,
  verifyBatchResult,
  verifyDenyList,
  verifyDoubleSpendEvidence,
  verifyLoadRequest,
  verifyPayReceipt,
  verifyUploadBatch,
  encodeCardChallenge,
  encodeLoadAuthorization,
  encodeLoadRequest,
  type Verification,
} from '@ehkd/core';
import { certifyLeaf, createDevScheme, devId } from '@ehkd/core/testing';
import { createNodeVerifier } from '@ehkd/core/node';
import { VECTOR_NOW, VECTOR_PROFILE, VectorChain, hex, vectorCard, vectorTerminal, vscheme } from './vector-scheme.js';
import { vectorFile, type VectorFile } from './vector-file.js';

const node = createNodeVerifier();

function outcome(a: Verification<unknown>, b: Verification<unknown>): string {
  const x = a.ok ? 'valid' : a.check;
  const y = b.ok ? 'valid' : b.check;
  if (x !== y) throw new Error(`verifiers disagree: noble ${x}, node ${y}`);
  return x;
}

function test(comment: string, expected: string, actual: string, fields: Record<string, unknown>) {
  if (expected !== actual) throw new Error(`vector '${comment}': expected ${expected}, verification said ${actual}`);
  return {
    comment,
    result: (expected === 'valid' ? 'valid' : 'invalid') as 'valid' | 'invalid',
    ...(expected !== 'valid' && { error: expected }),
    ...fields,
  };
}

/** test-vectors/verification.json: certificate chains, pay receipts, deny lists, batches and double-spend evidence. */
export function verificationVectors(): VectorFile {
  const trustOf = (v: Verification<TrustStore>) => {
    if (!v.ok) throw new Error(v.reason);
    return v.value;
  };
  const trust = trustOf(
    TrustStore.create(
      vscheme.root.certificate,
      [vscheme.issuer.certificate, vscheme.acquirer.certificate],
      nobleVerifier,
    ),
  );
  const anchors = {
    rootCertificate: hex(vscheme.root.certificate),
    issuerCertificate: hex(vscheme.issuer.certificate),
    acquirerCertificate: hex(vscheme.acquirer.certificate),
    now: VECTOR_NOW,
  };
  const rogue = createDevScheme(new Uint8Array(32).fill(0x66));
  const card = vectorCard(1);
  const terminal = vectorTerminal(1);

  const leaf = (
    comment: string,
    cert: Uint8Array,
    role: typeof Role.Card | typeof Role.Terminal,
    expected: string,
    now = VECTOR_NOW,
  ) =>
    test(
      comment,
      expected,
      outcome(trust.verifyLeaf(cert, role, nobleVerifier, now), trust.verifyLeaf(cert, role, node, now)),
      { certificate: hex(cert), role: role === Role.Card ? 'card' : 'terminal', now },
    );
  const chains = [
    leaf('card certificate signed by the issuer', card.certificate, Role.Card, 'valid'),
    leaf('terminal certificate signed by the acquirer', terminal.certificate, Role.Terminal, 'valid'),
    leaf('terminal certificate presented as a card', terminal.certificate, Role.Card, 'cert-role'),
    leaf(
      'card certified by an issuer of another root',
      certifyLeaf(rogue.issuer, {
        role: Role.Card,
        subject: devId(3, 2),
        publicKey: card.signer.publicKey,
        card: VECTOR_PROFILE,
      }),
      Role.Card,
      'cert-chain',
    ),
    leaf(
      'card certificate signed by the acquirer key under the issuer id',
      certifyLeaf(
        { ...vscheme.acquirer, id: vscheme.issuer.id },
        { role: Role.Card, subject: devId(3, 3), publicKey: card.signer.publicKey, card: VECTOR_PROFILE },
      ),
      Role.Card,
      'cert-chain',
    ),
    leaf('card certificate expired', vectorCard(4, VECTOR_NOW - 1).certificate, Role.Card, 'cert-expiry'),
    leaf('card certificate used before the root is valid', card.certificate, Role.Card, 'cert-expiry', 1_000_000_000),
    leaf('not a certificate', Uint8Array.of(0xd2, 0x80), Role.Card, 'structure'),
  ];

  const chain = new VectorChain(card);
  chain.loadAuthorized(50_000);
  const nonce = new Uint8Array(16).fill(0x3c);
  const receipt = chain.payTo(4_200, terminal.id, nonce);
  const cardCert = trust.verifyLeaf(card.certificate, Role.Card, nobleVerifier, VECTOR_NOW);
  if (!cardCert.ok) throw new Error(cardCert.reason);
  const expectation = { amount: 4_200, currency: Currency.HKD, nonce, payee: terminal.id };
  const other = new VectorChain(vectorCard(5));
  other.loadAuthorized(50_000);
  const pay = (comment: string, r: Uint8Array, exp: typeof expectation, expected: string) =>
    test(
      comment,
      expected,
      outcome(
        verifyPayReceipt(r, cardCert.value.payload, exp, nobleVerifier),
        verifyPayReceipt(r, cardCert.value.payload, exp, node),
      ),
      {
        receipt: hex(r),
        cardCertificate: hex(card.certificate),
        cardPublicKey: hex(card.signer.publicKey),
        expected: { amount: exp.amount, currency: exp.currency, nonce: hex(exp.nonce), payee: hex(exp.payee) },
      },
    );
  const tampered = Uint8Array.from(receipt);
  tampered[tampered.length - 67] ^= 1; // last byte of prevHash: just before the 2-byte head and 64 bytes of the signature
  const receipts = [
    pay('receipt of this tap', receipt, expectation, 'valid'),
    pay('receipt for another tap (nonce differs)', receipt, { ...expectation, nonce: new Uint8Array(16) }, 'nonce'),
    pay('amount differs from the amount asked', receipt, { ...expectation, amount: 4_201 }, 'amount'),
    pay('payee is another terminal', receipt, { ...expectation, payee: devId(5, 2) }, 'payee'),
    pay('receipt of another card', other.payTo(4_200, terminal.id, nonce), expectation, 'card'),
    pay('prevHash byte flipped after signing', tampered, expectation, 'signature'),
  ];

  const denyList = signCoseSign1(
    vscheme.acquirer.signer,
    encodeDenyList({ signer: vscheme.acquirer.id, sequence: 12, issuedAt: VECTOR_NOW, cardIds: [card.id] }),
  );
  const deny = (comment: string, bytes: Uint8Array, held: number | undefined, expected: string) =>
    test(
      comment,
      expected,
      outcome(verifyDenyList(bytes, trust, nobleVerifier, held), verifyDenyList(bytes, trust, node, held)),
      { denyList: hex(bytes), ...(held !== undefined && { heldSequence: held }) },
    );
  const denyLists = [
    deny('deny list signed by the acquirer', denyList, 11, 'valid'),
    deny('older than the list held', denyList, 13, 'deny-list-age'),
    deny(
      'signed by the issuer key under the acquirer id',
      signCoseSign1(
        vscheme.issuer.signer,
        encodeDenyList({ signer: vscheme.acquirer.id, sequence: 12, issuedAt: VECTOR_NOW, cardIds: [] }),
      ),
      undefined,
      'signature',
    ),
  ];

  const batchPayload = encodeUploadBatch({
    terminalId: terminal.id,
    sequence: 3,
    createdAt: VECTOR_NOW,
    terminalCertificate: terminal.certificate,
    cardCertificates: [card.certificate],
    receipts: [receipt],
  });
  const batch = (comment: string, bytes: Uint8Array, expected: string) =>
    test(
      comment,
      expected,
      outcome(
        verifyUploadBatch(bytes, trust, nobleVerifier, VECTOR_NOW),
        verifyUploadBatch(bytes, trust, node, VECTOR_NOW),
      ),
      { batch: hex(bytes) },
    );
  const batches = [
    batch('batch signed by its terminal', signCoseSign1(terminal.signer, batchPayload), 'valid'),
    batch('batch signed by another terminal', signCoseSign1(vectorTerminal(2).signer, batchPayload), 'signature'),
  ];

  const loadRequestPayload = (terminalId: Uint8Array) =>
    encodeLoadRequest({
      terminalId,
      terminalCertificate: terminal.certificate,
      cardCertificate: card.certificate,
      challenge: encodeCardChallenge({ challenge: new Uint8Array(16).fill(0x5a), cardId: card.id, counter: 1 }),
      amount: 20_000,
      currency: Currency.HKD,
      time: VECTOR_NOW,
    });
  const loadRequest = (comment: string, bytes: Uint8Array, expected: string) =>
    test(
      comment,
      expected,
      outcome(
        verifyLoadRequest(bytes, trust, nobleVerifier, VECTOR_NOW),
        verifyLoadRequest(bytes, trust, node, VECTOR_NOW),
      ),
      { loadRequest: hex(bytes) },
    );
  const loadRequests = [
    loadRequest(
      'load request signed by its load point',
      signCoseSign1(terminal.signer, loadRequestPayload(terminal.id)),
      'valid',
    ),
    loadRequest(
      'load request signed by another terminal',
      signCoseSign1(vectorTerminal(2).signer, loadRequestPayload(terminal.id)),
      'signature',
    ),
    loadRequest(
      "another terminal's id with this terminal's certificate",
      signCoseSign1(terminal.signer, loadRequestPayload(devId(5, 77))),
      'cert-chain',
    ),
  ];

  const t2 = vectorTerminal(2);
  const honestChain = new VectorChain(card);
  const loaded = honestChain.loadAuthorized(20_000);
  const clone = honestChain.fork();
  // A top-up at counter 1 that the card never executed: its receipt at counter 2 is a payment (it voids the load).
  const voidAuthorization = signCoseSign1(
    vscheme.issuer.signer,
    encodeLoadAuthorization({
      cardId: card.id,
      challenge: new Uint8Array(16).fill(0xd1),
      counter: 1,
      amount: 30_000,
      currency: Currency.HKD,
      loadId: new Uint8Array(16).fill(0xd2),
      time: VECTOR_NOW,
    }),
  );
  const honest = honestChain.payTo(15_000, terminal.id);
  const misplacedChain = honestChain.fork();
  // The first load's authorization (bound to counter 0) executed again, at counter 3.
  const misplaced = misplacedChain.load(20_000, sha256(decodeCoseSign1(loaded.authorization, 512).payload));
  const cloned = clone.payTo(15_000, t2.id);
  const cloneNext = clone.payTo(5_000, t2.id);
  const inflater = honestChain.fork();
  inflater.balance += 50_000; // what a card whose key was extracted could claim
  const inflated = inflater.payTo(1_000, t2.id);
  const wrongStart = new VectorChain(card);
  wrongStart.lastHash = new Uint8Array(32).fill(0xee);
  const badStart = wrongStart.loadAuthorized(1_000).receipt;
  const evidence = (kind: EvidenceKind, rs: Uint8Array[], auths: Uint8Array[] = []) =>
    encodeDoubleSpendEvidence({
      kind,
      cardCertificate: card.certificate,
      issuerCertificate: vscheme.issuer.certificate,
      receipts: rs,
      loadAuthorizations: auths,
    });
  const ev = (comment: string, bytes: Uint8Array, expected: string) => {
    const proven = verifyDoubleSpendEvidence(bytes, vscheme.root.certificate, nobleVerifier);
    // What valid evidence establishes, which an implementation's verifier must report too.
    const proves = proven.ok
      ? {
          kind: EVIDENCE_KIND_NAME[proven.value.kind],
          cardId: hex(proven.value.cardId),
          issuerId: hex(proven.value.issuerId),
          counters: proven.value.counters,
          ...(proven.value.paid !== undefined && { paid: proven.value.paid, authorized: proven.value.authorized }),
        }
      : undefined;
    return test(comment, expected, outcome(proven, verifyDoubleSpendEvidence(bytes, vscheme.root.certificate, node)), {
      evidence: hex(bytes),
      ...(proves !== undefined && { proves }),
    });
  };
  const evidences = [
    ev(
      'a clone spent counter 2 at another terminal',
      evidence(EvidenceKind.ConflictingCounter, [honest, cloned]),
      'valid',
    ),
    ev(
      "the clone's receipt 3 does not link to the honest receipt 2",
      evidence(EvidenceKind.ChainFork, [honest, cloneNext]),
      'valid',
    ),
    ev(
      'payments of 35,000 against authorized loads of 20,000',
      evidence(EvidenceKind.OverSpend, [honest, cloned, cloneNext], [loaded.authorization]),
      'valid',
    ),
    ev(
      'the same receipt twice is no conflict',
      evidence(EvidenceKind.ConflictingCounter, [honest, honest]),
      'evidence',
    ),
    ev('a linked chain is no fork', evidence(EvidenceKind.ChainFork, [cloned, cloneNext]), 'evidence'),
    ev(
      'receipt 3 links to receipt 2 but spends from a balance 50,000 higher',
      evidence(EvidenceKind.BalanceMismatch, [honest, inflated]),
      'valid',
    ),
    ev(
      'linked receipts whose balances add up are no mismatch',
      evidence(EvidenceKind.BalanceMismatch, [cloned, cloneNext]),
      'evidence',
    ),
    ev(
      'a first receipt that does not start from the genesis hash',
      evidence(EvidenceKind.BadGenesis, [badStart]),
      'valid',
    ),
    ev(
      'a first receipt from the genesis state is no bad genesis',
      evidence(EvidenceKind.BadGenesis, [loaded.receipt]),
      'evidence',
    ),
    ev(
      'payments of 35,000 against 20,000 executed: the 30,000 authorized for counter 1 is void (counter 2 is a payment)',
      evidence(EvidenceKind.OverSpend, [honest, cloned, cloneNext], [loaded.authorization, voidAuthorization]),
      'valid',
    ),
    ev(
      'the same payments against both loads when no receipt at counter 2 is shown: nothing is void',
      evidence(EvidenceKind.OverSpend, [cloneNext], [loaded.authorization, voidAuthorization]),
      'evidence',
    ),
    ev(
      'the load authorized for counter 0 executed again at counter 3',
      evidence(EvidenceKind.MisplacedLoad, [misplaced], [loaded.authorization]),
      'valid',
    ),
    ev(
      "a load executed at its authorization's counter + 1 is not misplaced",
      evidence(EvidenceKind.MisplacedLoad, [loaded.receipt], [loaded.authorization]),
      'evidence',
    ),
    ev(
      'a load receipt without its authorization proves no misplacement',
      evidence(EvidenceKind.MisplacedLoad, [misplaced]),
      'evidence',
    ),
  ];

  const resultPayload = encodeBatchResult({
    batchId: sha256(batchPayload),
    processedAt: VECTOR_NOW,
    outcomes: [{ receiptId: sha256(decodeCoseSign1(receipt, 512).payload), status: ReceiptStatus.Accepted }],
  });
  const result = (comment: string, bytes: Uint8Array, batchId: Uint8Array, expected: string) =>
    test(
      comment,
      expected,
      outcome(
        verifyBatchResult(bytes, trust, vscheme.acquirer.id, batchId, nobleVerifier),
        verifyBatchResult(bytes, trust, vscheme.acquirer.id, batchId, node),
      ),
      {
        batchResult: hex(bytes),
        batchId: hex(batchId),
        acquirerId: hex(vscheme.acquirer.id),
      },
    );
  const results = [
    result(
      'the acquirer answers this batch',
      signCoseSign1(vscheme.acquirer.signer, resultPayload),
      sha256(batchPayload),
      'valid',
    ),
    result(
      'an answer to another batch',
      signCoseSign1(vscheme.acquirer.signer, resultPayload),
      new Uint8Array(32),
      'structure',
    ),
    result(
      'an answer signed by a terminal key',
      signCoseSign1(terminal.signer, resultPayload),
      sha256(batchPayload),
      'signature',
    ),
  ];

  return vectorFile(
    'verification',
    'Verification with stable check ids (docs/protocol.md): trust anchors are given once; each case names its inputs and the check that must fail (or valid). Both reference verifiers (noble, node:crypto) agree on every case.',
    {
      error:
        'the stable check id that fails first (structure, cert-chain, cert-role, cert-expiry, signature, card, nonce, amount, currency, counter, payee, deny-list-age, evidence)',
      batchResult:
        'a BatchResult COSE_Sign1, verified with the acquirer key of acquirerId from the anchors, for the batch batchId',
      proves:
        'for valid evidence: what it establishes (kind name, card and issuer ids, the counters the proof rests on, and for over-spend the distinct signed payments paid and the non-void authorized total), which a verifier must report alike',
      role: 'the role the certificate must have (card or terminal)',
      now: 'the verification time, Unix seconds',
      heldSequence: 'the sequence of the deny list the receiver holds',
      expected: 'what the receiver asked for (amount, currency, nonce, payee)',
    },
    [
      { type: 'CertificateChain', fields: anchors, tests: chains },
      { type: 'PayReceipt', fields: anchors, tests: receipts },
      { type: 'DenyList', fields: anchors, tests: denyLists },
      { type: 'UploadBatch', fields: anchors, tests: batches },
      { type: 'LoadRequest', fields: anchors, tests: loadRequests },
      { type: 'DoubleSpendEvidence', fields: { rootCertificate: anchors.rootCertificate }, tests: evidences },
      { type: 'BatchResult', fields: anchors, tests: results },
    ],
  );
}
