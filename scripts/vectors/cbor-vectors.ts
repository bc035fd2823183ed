import { CborError, CborTag, decodeCbor, encodeCbor, type CborValue } from '@ehkd/core';
import { vectorFile, type VectorFile } from './vector-file.js';

/** RFC 8949 diagnostic notation of a value of our data model. */
export function diagnostic(v: CborValue): string {
  if (v instanceof Uint8Array) return `h'${Buffer.from(v).toString('hex')}'`;
  if (v instanceof CborTag) return `${v.tag}(${diagnostic(v.value)})`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${diagnostic(k)}: ${diagnostic(x)}`).join(', ')}}`;
  if (Array.isArray(v)) return `[${v.map(diagnostic).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

const big = (x: bigint): CborValue =>
  x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x;

const VALID: CborValue[] = [
  0,
  1,
  10,
  23,
  24,
  25,
  100,
  255,
  256,
  1000,
  65535,
  65536,
  1000000,
  0xffffffff,
  0x100000000,
  1000000000000,
  Number.MAX_SAFE_INTEGER,
  big(18446744073709551615n),
  -1,
  -10,
  -24,
  -25,
  -100,
  -1000,
  -0x100000000,
  big(-18446744073709551616n),
  false,
  true,
  null,
  new Uint8Array(0),
  Uint8Array.of(1, 2, 3, 4),
  new Uint8Array(24).fill(0xee),
  '',
  'a',
  'IETF',
  '"\\',
  '\u00fc',
  '\u6c34',
  '\ud800\udd51',
  [],
  [1, 2, 3],
  [1, [2, 3], [4, 5]],
  Array.from({ length: 25 }, (_, i) => i + 1),
  new Map(),
  new Map<CborValue, CborValue>([
    [1, 2],
    [3, 4],
  ]),
  new Map<CborValue, CborValue>([
    ['a', 1],
    ['b', [2, 3]],
  ]),
  new Map<CborValue, CborValue>([
    [10, 1],
    [100, 2],
    [-1, 3],
    ['z', 4],
    ['aa', 5],
    [Uint8Array.of(0), 6],
    [false, 7],
  ]),
  new CborTag(18, [Uint8Array.of(0xa1, 0x01, 0x26), new Map(), Uint8Array.of(0xa0), new Uint8Array(64)]),
];

const INVALID: [string, string, string][] = [
  ['18', 'CBOR_TRUNCATED', 'uint8 head without its byte'],
  ['5818 00', 'CBOR_TRUNCATED', 'byte string of 24 bytes with 1 present'],
  ['1817', 'CBOR_NON_SHORTEST', '23 in two bytes'],
  ['1900ff', 'CBOR_NON_SHORTEST', '255 in three bytes'],
  ['1b00000000ffffffff', 'CBOR_NON_SHORTEST', '2^32-1 in nine bytes'],
  ['5801 00', 'CBOR_NON_SHORTEST', 'one-byte string with a one-byte length'],
  ['b90001 0102', 'CBOR_NON_SHORTEST', 'map count in long form'],
  ['a2 0304 0102', 'CBOR_KEY_ORDER', 'keys 3 then 1'],
  ['a2 0102 0103', 'CBOR_DUPLICATE_KEY', 'key 1 twice'],
  ['a2 6161 01 0a 02', 'CBOR_KEY_ORDER', 'text key before integer key'],
  ['5f 4101 ff', 'CBOR_INDEFINITE_LENGTH', 'indefinite byte string'],
  ['9f 01 ff', 'CBOR_INDEFINITE_LENGTH', 'indefinite array'],
  ['bf 0102 ff', 'CBOR_INDEFINITE_LENGTH', 'indefinite map'],
  ['f93c00', 'CBOR_FLOAT', 'half float 1.0'],
  ['fa47c35000', 'CBOR_FLOAT', 'single float 100000.0'],
  ['fb3ff199999999999a', 'CBOR_FLOAT', 'double 1.1'],
  ['f7', 'CBOR_UNSUPPORTED', 'undefined'],
  ['f0', 'CBOR_UNSUPPORTED', 'simple(16)'],
  ['1c', 'CBOR_UNSUPPORTED', 'reserved additional information 28'],
  ['d82001', 'CBOR_TAG_NOT_ALLOWED', 'tag 32 (URI)'],
  ['c249010000000000000000', 'CBOR_TAG_NOT_ALLOWED', 'bignum 2^64 (tag 2)'],
  ['0001', 'CBOR_TRAILING_BYTES', 'two items'],
  ['62c328', 'CBOR_INVALID_UTF8', 'truncated UTF-8 sequence'],
  ['5bffffffffffffffff', 'CBOR_TOO_LARGE', 'byte string of 2^64-1 bytes declared'],
  ['818181818181818181818181818181818181818101', 'CBOR_TOO_DEEP', 'nesting deeper than 16'],
];

/** test-vectors/cbor-deterministic.json */
export function cborVectors(): VectorFile {
  const valid = VALID.map((v) => ({
    comment: diagnostic(v),
    result: 'valid' as const,
    diagnostic: diagnostic(v),
    encoded: Buffer.from(encodeCbor(v)).toString('hex'),
  }));
  const invalid = INVALID.map(([h, code, comment]) => {
    const encoded = h.replace(/ /g, '');
    let actual = 'accepted';
    try {
      decodeCbor(Uint8Array.from(Buffer.from(encoded, 'hex')), { allowedTags: [18] });
    } catch (e) {
      if (!(e instanceof CborError)) throw e;
      actual = e.code;
    }
    if (actual !== code) throw new Error(`cbor vector ${comment}: decoder said ${actual}, vector says ${code}`);
    return { comment, result: 'invalid' as const, error: code, encoded };
  });
  return vectorFile(
    'cbor-deterministic',
    'RFC 8949 section 4.2.1 core deterministic encoding as profiled by docs/protocol.md: valid items give exactly `encoded`; a strict decoder rejects each invalid item with `error`. Limits: depth 16, only tag 18 allowed.',
    {
      diagnostic: 'RFC 8949 diagnostic notation of the value',
      encoded: 'hex of the only acceptable encoding (valid) or of the input to reject (invalid)',
      error: 'stable CborError code',
    },
    [
      { type: 'DeterministicEncoding', tests: valid },
      { type: 'StrictDecoding', tests: invalid },
    ],
  );
}
