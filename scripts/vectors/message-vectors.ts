import {
  CodecError,
  Currency,
  EvidenceKind,
  IssuerAction,
  ReceiptStatus,
  decodeBatchResult,
  decodeCardChallenge,
  decodeCardReceipt,
  decodeCardState,
  decodeCbor,
  decodeCertificate,
  decodeCoseSign1,
  decodeDenyList,
  decodeDoubleSpendEvidence,
  decodeIssuerCommand,
  decodeLoadAuthorization,
  decodeLoadRequest,
  decodePayCommand,
  decodeSelectResponse,
  decodeTrustAnchorBundle,
  decodeUploadBatch,
  encodeLoadRequest,
  encodeBatchResult,
  encodeCardChallenge,
  encodeCardState,
  encodeCbor,
  encodeDenyList,
  encodeDoubleSpendEvidence,
  encodeIssuerCommand,
  encodePayCommand,
  encodeSelectResponse,
  encodeTrustAnchorBundle,
  encodeUploadBatch,
  type CborValue,
} from '@ehkd/core';
import { devId } from '@ehkd/core/testing';
import { VECTOR_NOW, VECTOR_PROFILE, VectorChain, hex, vectorCard, vectorTerminal, vscheme } from './vector-scheme.js';
import { toJsonValue, vectorFile, type VectorFile } from './vector-file.js';

type Decoder = (b: Uint8Array) => unknown;

function edit(bytes: Uint8Array, f: (m: Map<CborValue, CborValue>) => void): Uint8Array {
  const m = decodeCbor(bytes, { maxBytes: 1 << 20 }) as Map<CborValue, CborValue>;
  f(m);
  return encodeCbor(m);
}

/** test-vectors/messages.json: every message's payload encoding, its decoded fields, and invalid variants. */
export function messageVectors(): VectorFile {
  const card = vectorCard(1);
  const terminal = vectorTerminal(1);
  const chain = new VectorChain(card);
  const load = chain.loadAuthorized(100_000);
  const pay = chain.payTo(3_800, terminal.id);
  const limits = {
    maxBalance: VECTOR_PROFILE.maxBalance,
    maxPayment: VECTOR_PROFILE.maxPayment,
    maxOfflineCount: VECTOR_PROFILE.maxOfflineCount,
    maxOfflineAmount: VECTOR_PROFILE.maxOfflineAmount,
  };
  const state = {
    balance: chain.balance,
    counter: chain.counter,
    flags: 0,
    offlineCount: 1,
    offlineAmount: 3_800,
    limits,
  };
  const nonce = new Uint8Array(16).fill(0x77);
  const payload = (cose: Uint8Array) => decodeCoseSign1(cose, 1024).payload;
  const messages: [string, Uint8Array, Decoder][] = [
    ['Certificate (card)', payload(card.certificate), decodeCertificate],
    ['Certificate (terminal)', payload(terminal.certificate), decodeCertificate],
    ['Certificate (root)', payload(vscheme.root.certificate), decodeCertificate],
    [
      'PayCommand',
      encodePayCommand({ amount: 3_800, currency: Currency.HKD, payee: terminal.id, nonce, time: VECTOR_NOW }),
      decodePayCommand,
    ],
    ['PayReceipt', payload(pay), decodeCardReceipt],
    ['LoadReceipt', payload(load.receipt), decodeCardReceipt],
    ['LoadAuthorization', payload(load.authorization), decodeLoadAuthorization],
    ['CardPublicState', encodeCardState(state), decodeCardState],
    ['SelectResponse', encodeSelectResponse({ certificate: card.certificate, state }), decodeSelectResponse],
    [
      'CardChallenge',
      encodeCardChallenge({ challenge: nonce, cardId: card.id, counter: chain.counter }),
      decodeCardChallenge,
    ],
    [
      'IssuerCommand (update limits)',
      encodeIssuerCommand({
        cardId: card.id,
        challenge: nonce,
        action: IssuerAction.UpdateLimits,
        limits: { ...limits, maxPayment: 20_000 },
        time: VECTOR_NOW,
      }),
      decodeIssuerCommand,
    ],
    [
      'IssuerCommand (lock)',
      encodeIssuerCommand({ cardId: card.id, challenge: nonce, action: IssuerAction.Lock, time: VECTOR_NOW }),
      decodeIssuerCommand,
    ],
    [
      'DenyList',
      encodeDenyList({
        signer: vscheme.acquirer.id,
        sequence: 7,
        issuedAt: VECTOR_NOW,
        cardIds: [devId(3, 42), card.id],
      }),
      decodeDenyList,
    ],
    [
      'UploadBatch',
      encodeUploadBatch({
        terminalId: terminal.id,
        sequence: 1,
        createdAt: VECTOR_NOW,
        terminalCertificate: terminal.certificate,
        cardCertificates: [card.certificate],
        receipts: [pay],
      }),
      decodeUploadBatch,
    ],
    [
      'LoadRequest',
      encodeLoadRequest({
        terminalId: terminal.id,
        terminalCertificate: terminal.certificate,
        cardCertificate: card.certificate,
        challenge: encodeCardChallenge({ challenge: nonce, cardId: card.id, counter: chain.counter }),
        amount: 20_000,
        currency: Currency.HKD,
        time: VECTOR_NOW,
      }),
      decodeLoadRequest,
    ],
    [
      'BatchResult',
      encodeBatchResult({
        batchId: new Uint8Array(32).fill(1),
        processedAt: VECTOR_NOW,
        outcomes: [
          { receiptId: new Uint8Array(32).fill(2), status: ReceiptStatus.Accepted },
          {
            receiptId: new Uint8Array(32).fill(3),
            status: ReceiptStatus.Rejected,
            check: 'payee',
            reason: 'receipt names another terminal',
          },
        ],
      }),
      decodeBatchResult,
    ],
    [
      'TrustAnchorBundle',
      encodeTrustAnchorBundle({
        root: vscheme.root.certificate,
        certificates: [vscheme.issuer.certificate, vscheme.acquirer.certificate],
      }),
      decodeTrustAnchorBundle,
    ],
    [
      'DoubleSpendEvidence',
      encodeDoubleSpendEvidence({
        kind: EvidenceKind.ConflictingCounter,
        cardCertificate: card.certificate,
        issuerCertificate: vscheme.issuer.certificate,
        receipts: [pay, pay],
        loadAuthorizations: [],
      }),
      decodeDoubleSpendEvidence,
    ],
  ];
  const groups = messages.map(([type, bytes, decode]) => {
    const variants: [string, Uint8Array][] = [
      ['unknown field 99', edit(bytes, (m) => m.set(99, 0))],
      ['field 1 missing', edit(bytes, (m) => m.delete(1))],
      ['field 1 as text', edit(bytes, (m) => m.set(1, 'x'))],
      ['map count in long form (non-canonical)', Uint8Array.of(0xb9, 0, bytes[0]! & 0x1f, ...bytes.subarray(1))],
      ['truncated by one byte', bytes.subarray(0, bytes.length - 1)],
      ['trailing zero byte', Uint8Array.of(...bytes, 0)],
    ];
    const tests = [
      { comment: 'valid', result: 'valid' as const, encoded: hex(bytes), decoded: toJsonValue(decode(bytes)) },
      ...variants.map(([comment, b]) => {
        let code = 'accepted';
        try {
          decode(b);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
          code = e.code;
        }
        if (code === 'accepted') throw new Error(`${type}: variant '${comment}' was accepted`);
        return { comment, result: 'invalid' as const, error: code, encoded: hex(b) };
      }),
    ];
    return { type, tests };
  });
  return vectorFile(
    'messages',
    'Every message payload of docs/protocol.md: the valid deterministic encoding with its decoded fields (byte strings as hex), and invalid variants with the CodecError code a strict decoder reports (CODEC_MALFORMED_CBOR wraps CBOR-level failures).',
    {
      encoded: 'hex of the payload (for signed messages: the COSE payload bytes)',
      decoded: 'the fields by name, byte strings in hex',
      error: 'stable CodecError code',
    },
    groups,
  );
}
