import { describe, expect, it } from 'vitest';
import { CborError, CborErrorCode, CborTag, decodeCbor, encodeCbor } from '../src/cbor/index.js';
import type { CborValue } from '../src/cbor/index.js';

/** RFC 8949 Appendix A, Table 6. Hex is copied from the RFC; diagnostic notation in the names. */

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
const ALL_APPENDIX_TAGS = [0, 1, 2, 3, 23, 24, 32] as const;

/** Examples that are core deterministic (RFC 8949 4.2.1) and inside our data model: [diagnostic, value, hex]. */
const deterministic: ReadonlyArray<readonly [string, CborValue, string]> = [
  ['0', 0, '00'],
  ['1', 1, '01'],
  ['10', 10, '0a'],
  ['23', 23, '17'],
  ['24', 24, '1818'],
  ['25', 25, '1819'],
  ['100', 100, '1864'],
  ['1000', 1000, '1903e8'],
  ['1000000', 1000000, '1a000f4240'],
  ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
  ['18446744073709551615', 18446744073709551615n, '1bffffffffffffffff'],
  ['18446744073709551616 (bignum)', new CborTag(2, hex('010000000000000000')), 'c249010000000000000000'],
  ['-18446744073709551616', -18446744073709551616n, '3bffffffffffffffff'],
  ['-18446744073709551617 (bignum)', new CborTag(3, hex('010000000000000000')), 'c349010000000000000000'],
  ['-1', -1, '20'],
  ['-10', -10, '29'],
  ['-100', -100, '3863'],
  ['-1000', -1000, '3903e7'],
  ['false', false, 'f4'],
  ['true', true, 'f5'],
  ['null', null, 'f6'],
  ['0("2013-03-21T20:04:00Z")', new CborTag(0, '2013-03-21T20:04:00Z'), 'c074323031332d30332d32315432303a30343a30305a'],
  ['1(1363896240)', new CborTag(1, 1363896240), 'c11a514b67b0'],
  ["23(h'01020304')", new CborTag(23, bytes(1, 2, 3, 4)), 'd74401020304'],
  ["24(h'6449455446')", new CborTag(24, hex('6449455446')), 'd818456449455446'],
  [
    '32("http://www.example.com")',
    new CborTag(32, 'http://www.example.com'),
    'd82076687474703a2f2f7777772e6578616d706c652e636f6d',
  ],
  ["h''", new Uint8Array(0), '40'],
  ["h'01020304'", bytes(1, 2, 3, 4), '4401020304'],
  ['""', '', '60'],
  ['"a"', 'a', '6161'],
  ['"IETF"', 'IETF', '6449455446'],
  ['"\\"\\\\"', '"\\', '62225c'],
  ['"\\u00fc"', '\u00fc', '62c3bc'],
  ['"\\u6c34"', '\u6c34', '63e6b0b4'],
  ['"\\ud800\\udd51"', '\ud800\udd51', '64f0908591'],
  ['[]', [], '80'],
  ['[1, 2, 3]', [1, 2, 3], '83010203'],
  ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
  [
    '[1, 2, ..., 25]',
    Array.from({ length: 25 }, (_, i) => i + 1),
    '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
  ],
  ['{}', new Map(), 'a0'],
  [
    '{1: 2, 3: 4}',
    new Map([
      [1, 2],
      [3, 4],
    ]),
    'a201020304',
  ],
  [
    '{"a": 1, "b": [2, 3]}',
    new Map<CborValue, CborValue>([
      ['a', 1],
      ['b', [2, 3]],
    ]),
    'a26161016162820203',
  ],
  ['["a", {"b": "c"}]', ['a', new Map([['b', 'c']])], '826161a161626163'],
  [
    '{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}',
    new Map([
      ['a', 'A'],
      ['b', 'B'],
      ['c', 'C'],
      ['d', 'D'],
      ['e', 'E'],
    ]),
    'a56161614161626142616361436164614461656145',
  ],
];

/** Examples outside core deterministic encoding or our model: [diagnostic, hex, code, offset]. */
const rejected: ReadonlyArray<readonly [string, string, CborErrorCode, number]> = [
  ['0.0', 'f90000', CborErrorCode.Float, 0],
  ['-0.0', 'f98000', CborErrorCode.Float, 0],
  ['1.0', 'f93c00', CborErrorCode.Float, 0],
  ['1.1', 'fb3ff199999999999a', CborErrorCode.Float, 0],
  ['1.5', 'f93e00', CborErrorCode.Float, 0],
  ['65504.0', 'f97bff', CborErrorCode.Float, 0],
  ['100000.0', 'fa47c35000', CborErrorCode.Float, 0],
  ['3.4028234663852886e+38', 'fa7f7fffff', CborErrorCode.Float, 0],
  ['1.0e+300', 'fb7e37e43c8800759c', CborErrorCode.Float, 0],
  ['5.960464477539063e-8', 'f90001', CborErrorCode.Float, 0],
  ['0.00006103515625', 'f90400', CborErrorCode.Float, 0],
  ['-4.0', 'f9c400', CborErrorCode.Float, 0],
  ['-4.1', 'fbc010666666666666', CborErrorCode.Float, 0],
  ['Infinity (half)', 'f97c00', CborErrorCode.Float, 0],
  ['NaN (half)', 'f97e00', CborErrorCode.Float, 0],
  ['-Infinity (half)', 'f9fc00', CborErrorCode.Float, 0],
  ['Infinity (single)', 'fa7f800000', CborErrorCode.Float, 0],
  ['NaN (single)', 'fa7fc00000', CborErrorCode.Float, 0],
  ['-Infinity (single)', 'faff800000', CborErrorCode.Float, 0],
  ['Infinity (double)', 'fb7ff0000000000000', CborErrorCode.Float, 0],
  ['NaN (double)', 'fb7ff8000000000000', CborErrorCode.Float, 0],
  ['-Infinity (double)', 'fbfff0000000000000', CborErrorCode.Float, 0],
  ['1(1363896240.5)', 'c1fb41d452d9ec200000', CborErrorCode.Float, 1],
  ['undefined', 'f7', CborErrorCode.Unsupported, 0],
  ['simple(16)', 'f0', CborErrorCode.Unsupported, 0],
  ['simple(255)', 'f8ff', CborErrorCode.Unsupported, 0],
  ["(_ h'0102', h'030405')", '5f42010243030405ff', CborErrorCode.IndefiniteLength, 0],
  ['(_ "strea", "ming")', '7f657374726561646d696e67ff', CborErrorCode.IndefiniteLength, 0],
  ['[_ ]', '9fff', CborErrorCode.IndefiniteLength, 0],
  ['[_ 1, [2, 3], [_ 4, 5]]', '9f018202039f0405ffff', CborErrorCode.IndefiniteLength, 0],
  ['[_ 1, [2, 3], [4, 5]]', '9f01820203820405ff', CborErrorCode.IndefiniteLength, 0],
  ['[1, [2, 3], [_ 4, 5]]', '83018202039f0405ff', CborErrorCode.IndefiniteLength, 5],
  ['[1, [_ 2, 3], [4, 5]]', '83019f0203ff820405', CborErrorCode.IndefiniteLength, 2],
  [
    '[_ 1, 2, ..., 25]',
    '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff',
    CborErrorCode.IndefiniteLength,
    0,
  ],
  ['{_ "a": 1, "b": [_ 2, 3]}', 'bf61610161629f0203ffff', CborErrorCode.IndefiniteLength, 0],
  ['["a", {_ "b": "c"}]', '826161bf61626163ff', CborErrorCode.IndefiniteLength, 3],
  ['{_ "Fun": true, "Amt": -2}', 'bf6346756ef563416d7421ff', CborErrorCode.IndefiniteLength, 0],
];

function decodeError(input: Uint8Array, allowedTags: readonly number[] = ALL_APPENDIX_TAGS): CborError {
  try {
    decodeCbor(input, { allowedTags });
  } catch (error) {
    if (error instanceof CborError) return error;
    throw error;
  }
  throw new Error(`decoded without error: ${toHex(input)}`);
}

describe('RFC 8949 Appendix A: deterministic examples round-trip byte for byte', () => {
  it.each(deterministic)('%s', (_diag, value, expectedHex) => {
    expect(toHex(encodeCbor(value))).toBe(expectedHex);
    const decoded = decodeCbor(hex(expectedHex), { allowedTags: ALL_APPENDIX_TAGS });
    expect(decoded).toStrictEqual(value);
    expect(toHex(encodeCbor(decoded as CborValue))).toBe(expectedHex);
  });

  it('decodes integers as number when safe and bigint beyond', () => {
    expect(typeof decodeCbor(hex('1b000000e8d4a51000'))).toBe('number');
    expect(decodeCbor(hex('1bffffffffffffffff'))).toBe(18446744073709551615n);
    expect(decodeCbor(hex('3bffffffffffffffff'))).toBe(-18446744073709551616n);
  });
});

describe('RFC 8949 Appendix A: examples outside core deterministic encoding are rejected', () => {
  it.each(rejected)('%s', (_diag, input, code, offset) => {
    const error = decodeError(hex(input));
    expect(error.code).toBe(code);
    expect(error.detail?.offset).toBe(offset);
  });

  it('rejects the tagged examples when their tag is not allowed (the default)', () => {
    for (const [, value, h] of deterministic) {
      if (!(value instanceof CborTag)) continue;
      const error = decodeError(hex(h), []);
      expect(error.code).toBe(CborErrorCode.TagNotAllowed);
      expect(error.detail?.offset).toBe(0);
    }
  });
});
