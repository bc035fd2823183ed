import { describe, expect, it } from 'vitest';
import {
  type CborValue,
  CodecError,
  decodeBatchResult,
  decodeDenyList,
  encodeCbor,
  ID_LENGTH,
  Limits,
} from '../src/index.js';

// Locks the codec code of each rejection class that docs/protocol.md Appendix B tabulates, one row per case.
const hash = new Uint8Array(32);
const id = (fill: number): Uint8Array => new Uint8Array(ID_LENGTH).fill(fill);

type Field = [CborValue, CborValue];
type CborMap = Map<CborValue, CborValue>;
type Edit = (m: CborMap) => void;
const outcome = (...extra: Field[]): CborMap => new Map<CborValue, CborValue>([[1, hash], [2, 1], ...extra]);
const batchResult = (edit: Edit = () => {}): Uint8Array => {
  const m = new Map<CborValue, CborValue>([
    [0, 8],
    [1, hash],
    [2, 1_000],
    [3, [outcome()]],
  ]);
  edit(m);
  return encodeCbor(m);
};

function codecFailure(decode: () => unknown): { code: string; path?: string; cause?: string } {
  try {
    decode();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    const err = e as CodecError & { cause?: { code?: string } };
    return {
      code: err.code,
      ...(err.detail?.path !== undefined && { path: err.detail.path }),
      ...(err.cause?.code !== undefined && { cause: err.cause.code }),
    };
  }
  throw new Error('decoded without error');
}

// spec R1 (the message type is checked) and R2 (closed maps, required keys): rows 1-5 below.
describe('Appendix B: the codec code of every rejection class', () => {
  it('a valid BatchResult decodes (the baseline every row edits)', () => {
    expect(decodeBatchResult(batchResult()).outcomes).toHaveLength(1);
  });

  it.each<[string, Edit, string, string]>([
    ['another message type', (m) => m.set(0, 6), 'CODEC_WRONG_MESSAGE_TYPE', 'BatchResult.0'],
    ['a required key absent', (m) => m.delete(2), 'CODEC_MISSING_FIELD', 'BatchResult.2'],
    ['an undefined integer key', (m) => m.set(9, 1), 'CODEC_UNKNOWN_FIELD', 'BatchResult.9'],
    ['a negative integer key', (m) => m.set(-1, 1), 'CODEC_UNKNOWN_FIELD', 'BatchResult.-1'],
    ['a text key', (m) => m.set('a', 1), 'CODEC_UNKNOWN_FIELD', 'BatchResult.a'],
    ['a wrong major type', (m) => m.set(1, 'x'), 'CODEC_WRONG_TYPE', 'BatchResult.1'],
    ['a negative integer', (m) => m.set(2, -1), 'CODEC_OUT_OF_RANGE', 'BatchResult.2'],
    ['an integer above its bound', (m) => m.set(2, Limits.maxTime + 1), 'CODEC_OUT_OF_RANGE', 'BatchResult.2'],
    ['an integer above 2^53 - 1', (m) => m.set(2, 2n ** 60n), 'CODEC_WRONG_TYPE', 'BatchResult.2'],
    ['a negative integer below -2^53', (m) => m.set(2, -(2n ** 60n)), 'CODEC_WRONG_TYPE', 'BatchResult.2'],
    [
      'an undefined enumeration value',
      (m) =>
        m.set(3, [
          new Map<CborValue, CborValue>([
            [1, hash],
            [2, 9],
          ]),
        ]),
      'CODEC_OUT_OF_RANGE',
      'BatchResult.3[0].2',
    ],
    ['a byte string of the wrong length', (m) => m.set(1, new Uint8Array(31)), 'CODEC_WRONG_LENGTH', 'BatchResult.1'],
    ['a key-3 check that is not text', (m) => m.set(3, [outcome([3, 1])]), 'CODEC_WRONG_TYPE', 'BatchResult.3[0].3'],
    [
      'a key-3 check over 32 bytes',
      (m) => m.set(3, [outcome([3, 'x'.repeat(33)])]),
      'CODEC_WRONG_LENGTH',
      'BatchResult.3[0].3',
    ],
  ])('%s: %s', (_name, edit, code, path) => {
    expect(codecFailure(() => decodeBatchResult(batchResult(edit)))).toEqual({ code, path });
  });

  it('key 3 of an outcome is optional for every status', () => {
    for (const status of [1, 2, 3, 4]) {
      for (const extra of [[], [[3, 'signature']]] as Field[][]) {
        const m: Edit = (mm) => mm.set(3, [new Map<CborValue, CborValue>([[1, hash], [2, status], ...extra])]);
        expect(decodeBatchResult(batchResult(m)).outcomes[0]?.status).toBe(status);
      }
    }
  });

  it('an over-long payload is CODEC_TOO_LARGE before decoding', () => {
    expect(codecFailure(() => decodeBatchResult(new Uint8Array(Limits.batchResultBytes + 1))).code).toBe(
      'CODEC_TOO_LARGE',
    );
  });

  it('non-canonical CBOR is CODEC_MALFORMED_CBOR with the CBOR code as cause', () => {
    const nonShortest = new Uint8Array([0xb8, 0x01, 0x00, 0x08]); // map count 1 in a 1-byte argument
    expect(codecFailure(() => decodeBatchResult(nonShortest))).toMatchObject({
      code: 'CODEC_MALFORMED_CBOR',
      cause: 'CBOR_NON_SHORTEST',
    });
  });

  const denyList = (ids: Uint8Array[]): Uint8Array =>
    encodeCbor(
      new Map<CborValue, CborValue>([
        [0, 6],
        [1, id(9)],
        [2, 1],
        [3, 1_000],
        [4, ids],
      ]),
    );

  it('deny-list ids unsorted or repeated are CODEC_INCONSISTENT at the first offending index', () => {
    expect(decodeDenyList(denyList([id(1), id(2)])).cardIds).toHaveLength(2);
    expect(codecFailure(() => decodeDenyList(denyList([id(2), id(1)])))).toEqual({
      code: 'CODEC_INCONSISTENT',
      path: 'DenyList.4[1]',
    });
    expect(codecFailure(() => decodeDenyList(denyList([id(1), id(3), id(3)])))).toEqual({
      code: 'CODEC_INCONSISTENT',
      path: 'DenyList.4[2]',
    });
  });
});
