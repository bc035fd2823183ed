import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  CodecErrorCode,
  Currency,
  IssuerAction,
  ReceiptStatus,
  EvidenceKind,
  encodeCbor,
  decodeBatchResult,
  decodeCardChallenge,
  decodeCardReceipt,
  decodeCardState,
  decodeCertificate,
  decodeDenyList,
  decodeDoubleSpendEvidence,
  decodeIssuerCommand,
  decodeLoadAuthorization,
  decodePayCommand,
  decodeSelectResponse,
  decodeTrustAnchorBundle,
  decodeUploadBatch,
  decodeLoadRequest,
  encodeLoadRequest,
  decodeCoseSign1,
  encodeBatchResult,
  encodeCardChallenge,
  encodeCardReceipt,
  encodeCardState,
  encodeDenyList,
  encodeDoubleSpendEvidence,
  encodeIssuerCommand,
  encodePayCommand,
  encodeSelectResponse,
  encodeTrustAnchorBundle,
  encodeUploadBatch,
  decodeCbor,
  type CborValue,
} from '../src/index.js';
import { devId } from '../src/testing.js';
import { CardChain, NOW, PROFILE, makeCard, makeTerminal, scheme } from './support/fixture.js';

const card = makeCard(1);
const terminal = makeTerminal(1);
const chain = new CardChain(card);
const load = chain.loadAuthorized(100_000);
const pay = chain.payTo(1_250, terminal.id);
const limits = {
  maxBalance: PROFILE.maxBalance,
  maxPayment: PROFILE.maxPayment,
  maxOfflineCount: PROFILE.maxOfflineCount,
  maxOfflineAmount: PROFILE.maxOfflineAmount,
};
const state = { balance: 98_750, counter: 2, flags: 0, offlineCount: 1, offlineAmount: 1_250, limits };
const nonce = new Uint8Array(16).fill(3);

/** Every message: a valid encoding and its decoder. */
const messages: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
  ['Certificate', decodeCoseSign1(card.certificate, 512).payload, decodeCertificate],
  [
    'PayCommand',
    encodePayCommand({ amount: 1250, currency: Currency.HKD, payee: terminal.id, nonce, time: NOW }),
    decodePayCommand,
  ],
  ['PayReceipt', decodeCoseSign1(pay, 512).payload, decodeCardReceipt],
  ['LoadReceipt', decodeCoseSign1(load.receipt, 512).payload, decodeCardReceipt],
  ['CardState', encodeCardState(state), decodeCardState],
  ['SelectResponse', encodeSelectResponse({ certificate: card.certificate, state }), decodeSelectResponse],
  ['CardChallenge', encodeCardChallenge({ challenge: nonce, cardId: card.id, counter: 2 }), decodeCardChallenge],
  ['LoadAuthorization', decodeCoseSign1(load.authorization, 512).payload, decodeLoadAuthorization],
  [
    'IssuerCommand',
    encodeIssuerCommand({ cardId: card.id, challenge: nonce, action: IssuerAction.UpdateLimits, limits, time: NOW }),
    decodeIssuerCommand,
  ],
  [
    'DenyList',
    encodeDenyList({
      signer: scheme.acquirer.id,
      sequence: 3,
      issuedAt: NOW,
      cardIds: [devId(3, 9), card.id, devId(3, 9)],
    }),
    decodeDenyList,
  ],
  [
    'UploadBatch',
    encodeUploadBatch({
      terminalId: terminal.id,
      sequence: 1,
      createdAt: NOW,
      terminalCertificate: terminal.certificate,
      cardCertificates: [card.certificate],
      receipts: [pay],
    }),
    decodeUploadBatch,
  ],
  [
    'BatchResult',
    encodeBatchResult({
      batchId: new Uint8Array(32),
      processedAt: NOW,
      outcomes: [
        { receiptId: new Uint8Array(32), status: ReceiptStatus.Rejected, check: 'payee', reason: 'not yours' },
      ],
    }),
    decodeBatchResult,
  ],
  [
    'TrustAnchors',
    encodeTrustAnchorBundle({
      root: scheme.root.certificate,
      certificates: [scheme.issuer.certificate, scheme.acquirer.certificate],
    }),
    decodeTrustAnchorBundle,
  ],
  [
    'LoadRequest',
    encodeLoadRequest({
      terminalId: terminal.id,
      terminalCertificate: terminal.certificate,
      cardCertificate: card.certificate,
      challenge: encodeCardChallenge({ challenge: nonce, cardId: card.id, counter: 2 }),
      amount: 20_000,
      currency: Currency.HKD,
      time: NOW,
    }),
    decodeLoadRequest,
  ],
  [
    'DoubleSpendEvidence',
    encodeDoubleSpendEvidence({
      kind: EvidenceKind.ConflictingCounter,
      cardCertificate: card.certificate,
      issuerCertificate: scheme.issuer.certificate,
      receipts: [pay, pay],
      loadAuthorizations: [],
    }),
    decodeDoubleSpendEvidence,
  ],
];

function mutateMap(bytes: Uint8Array, edit: (m: Map<CborValue, CborValue>) => void): Uint8Array {
  const m = decodeCbor(bytes, { maxBytes: 1 << 20 }) as Map<CborValue, CborValue>;
  edit(m);
  return encodeCbor(m);
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CodecError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('message codecs', () => {
  it.each(messages)('%s decodes and re-encodes to the same bytes', (_name, bytes, decode) => {
    expect(codeOf(() => decode(bytes))).toBe('accepted');
  });

  it('round-trips typed values', () => {
    expect(decodeCardReceipt(decodeCoseSign1(pay, 512).payload)).toMatchObject({
      kind: 'pay',
      counter: 2,
      amount: 1250,
      balanceAfter: 98_750,
    });
    expect(decodeDenyList(messages[9]![1]).cardIds).toHaveLength(2);
    expect(encodeCardReceipt(decodeCardReceipt(decodeCoseSign1(pay, 512).payload))).toEqual(
      decodeCoseSign1(pay, 512).payload,
    );
  });

  it.each(messages)('%s refuses an unknown field', (_name, bytes, decode) => {
    expect(codeOf(() => decode(mutateMap(bytes, (m) => m.set(99, 1))))).toBe(CodecErrorCode.UnknownField);
  });

  it.each(messages)('%s refuses a missing field', (_name, bytes, decode) => {
    expect(codeOf(() => decode(mutateMap(bytes, (m) => m.delete(1))))).toBe(CodecErrorCode.MissingField);
  });

  it.each(messages)('%s refuses a field of the wrong type', (_name, bytes, decode) => {
    expect(codeOf(() => decode(mutateMap(bytes, (m) => m.set(1, 'text'))))).toMatch(/CODEC_(WRONG_TYPE|OUT_OF_RANGE)/);
  });

  it.each(messages)('%s refuses non-canonical CBOR (a length in long form)', (_name, bytes, decode) => {
    // 0xb9 00 0n: a map head with its count in two bytes although it fits in the first.
    const count = bytes[0]! & 0x1f;
    const long = Uint8Array.of(0xb9, 0, count, ...bytes.subarray(1));
    expect(codeOf(() => decode(long))).toBe(CodecErrorCode.MalformedCbor);
  });

  it('refuses a signed payload of another message type (no cross-protocol confusion)', () => {
    const receiptPayload = decodeCoseSign1(pay, 512).payload;
    expect(codeOf(() => decodeCertificate(receiptPayload))).toBe(CodecErrorCode.WrongMessageType);
    expect(codeOf(() => decodeLoadAuthorization(receiptPayload))).toBe(CodecErrorCode.WrongMessageType);
    expect(codeOf(() => decodeLoadRequest(receiptPayload))).toBe(CodecErrorCode.WrongMessageType);
  });

  it('enforces ranges, lengths and role rules', () => {
    const payload = decodeCoseSign1(pay, 512).payload;
    expect(codeOf(() => decodeCardReceipt(mutateMap(payload, (m) => m.set(3, 0))))).toBe(CodecErrorCode.OutOfRange);
    expect(codeOf(() => decodeCardReceipt(mutateMap(payload, (m) => m.set(6, new Uint8Array(15)))))).toBe(
      CodecErrorCode.WrongLength,
    );
    expect(codeOf(() => decodeCardReceipt(mutateMap(payload, (m) => m.set(8, 2 ** 53 - 1))))).toBe(
      CodecErrorCode.OutOfRange,
    );
    const certPayload = decodeCoseSign1(card.certificate, 512).payload;
    expect(codeOf(() => decodeCertificate(mutateMap(certPayload, (m) => m.delete(10))))).toBe(
      CodecErrorCode.Inconsistent,
    );
    expect(codeOf(() => decodeCertificate(mutateMap(certPayload, (m) => m.set(6, 1))))).toBe(
      CodecErrorCode.Inconsistent,
    );
    const unsorted = mutateMap(messages[9]![1], (m) => m.set(4, [devId(3, 9), card.id]));
    expect(codeOf(() => decodeDenyList(unsorted))).toBe(CodecErrorCode.Inconsistent);
    expect(
      codeOf(() =>
        decodeIssuerCommand(
          encodeCbor(
            new Map<number, CborValue>([
              [0, 5],
              [1, card.id],
              [2, nonce],
              [3, IssuerAction.Lock],
              [
                4,
                new Map([
                  [2, 1],
                  [3, 1],
                  [4, 1],
                  [5, 1],
                ]),
              ],
              [5, NOW],
            ]),
          ),
        ),
      ),
    ).toBe(CodecErrorCode.Inconsistent);
  });

  it('load request: an amount of 0 or above a card amount, a short terminal id, a missing challenge', () => {
    const request = messages.find(([name]) => name === 'LoadRequest')![1];
    expect(codeOf(() => decodeLoadRequest(mutateMap(request, (m) => m.set(5, 0))))).toBe(CodecErrorCode.OutOfRange);
    expect(codeOf(() => decodeLoadRequest(mutateMap(request, (m) => m.set(5, 2 ** 32))))).toBe(
      CodecErrorCode.OutOfRange,
    );
    expect(codeOf(() => decodeLoadRequest(mutateMap(request, (m) => m.set(1, new Uint8Array(7)))))).toBe(
      CodecErrorCode.WrongLength,
    );
    expect(codeOf(() => decodeLoadRequest(mutateMap(request, (m) => m.delete(4))))).toBe(CodecErrorCode.MissingField);
  });

  it('refuses oversize input before decoding', () => {
    expect(codeOf(() => decodePayCommand(new Uint8Array(4096)))).toBe(CodecErrorCode.TooLarge);
  });

  it.each(messages)('%s: random and mutated input never throws anything but CodecError', (_name, bytes, decode) => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
            const b = Uint8Array.from(bytes);
            b[i % b.length] = v;
            return b;
          }),
          fc.nat().map((i) => bytes.subarray(0, i % bytes.length)),
          fc
            .tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }))
            .map(([i, ins]) =>
              Uint8Array.of(...bytes.subarray(0, i % bytes.length), ...ins, ...bytes.subarray(i % bytes.length)),
            ),
        ),
        (input) => {
          codeOf(() => decode(input));
        },
      ),
      { numRuns: 400 },
    );
  });
});
