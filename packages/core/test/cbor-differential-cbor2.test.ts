import { Encoder as CborXEncoder } from 'cbor-x';
import { Tag as Cbor2Tag, encode as cbor2Encode } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborError, CborErrorCode, CborTag, decodeCbor, encodeCbor } from '../src/cbor/index.js';
import type { CborValue } from '../src/cbor/index.js';

/**
 * Differential test of encodeCbor against cbor2's RFC 8949 4.2.1 encoder (`cde: true`), plus the places
 * where our encoder has to correct cbor-x (integer widths, -2^64, tags >= 2^32, Buffer, subclasses,
 * shared output buffer) and the inputs outside the data model it must refuse.
 */

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** cbor2 writes a Node Buffer as an object, and needs its own Tag class; everything else maps directly. */
function toCbor2(value: CborValue): unknown {
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map((v: CborValue) => toCbor2(v));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [toCbor2(k), toCbor2(v)]));
  if (value instanceof CborTag) return new Cbor2Tag(value.tag, toCbor2(value.value));
  return value;
}

const oracle = (value: CborValue): string => toHex(cbor2Encode(toCbor2(value), { cde: true }));

/** What decodeCbor returns for a value: safe integers as number, byte strings as plain Uint8Array. */
function normalise(value: CborValue): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) && BigInt(Number(value)) === value ? Number(value) : value;
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map((v: CborValue) => normalise(v));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [normalise(k), normalise(v)]));
  if (value instanceof CborTag) return new CborTag(value.tag, normalise(value.value) as CborValue);
  return value;
}

// Every width boundary of the CBOR head (24, 2^8, 2^16, 2^32), of cbor-x's number path (2^32) and of safe integers.
const POSITIVE_EDGES = [
  0n,
  23n,
  24n,
  255n,
  256n,
  65535n,
  65536n,
  0xffff_ffffn,
  0x1_0000_0000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 63n,
  2n ** 64n - 1n,
];
const EDGE_INTEGERS: readonly CborValue[] = POSITIVE_EDGES.flatMap((p) => {
  const negative = -1n - p; // the negative integer with the same head argument
  const out: CborValue[] = [p, negative];
  for (const v of [p, negative, p - 1n, p + 1n, negative - 1n, negative + 1n]) {
    if (v >= -(2n ** 64n) && v < 2n ** 64n) out.push(v);
    if (Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v) out.push(Number(v));
  }
  return out;
});

const integerArb: fc.Arbitrary<CborValue> = fc.oneof(
  fc.constantFrom(...EDGE_INTEGERS),
  fc.integer({ min: -0x1_0000_0000, max: 0xffff_ffff }),
  fc.maxSafeInteger(),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
  // Small bigints must come out in the same shortest form as numbers.
  fc.bigInt({ min: -(2n ** 34n), max: 2n ** 34n }),
);
const textArb: fc.Arbitrary<CborValue> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  // Crosses cbor-x's 0x40-character switch to Buffer#utf8Write and the 24/256-byte head widths.
  fc.string({ unit: 'binary', minLength: 20, maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 20, maxLength: 300 }),
);
const bytesArb: fc.Arbitrary<CborValue> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ minLength: 250, maxLength: 300 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
);
const tagNumberArb = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 18, 23, 24, 255, 256, 65535, 65536, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
  fc.maxSafeNat(),
);

/** Canonical identity of a key, so generated maps never hold two keys with the same encoding (1 and 1n). */
const keyId = (key: CborValue): string => oracle(key);

const { value: valueArb } = fc.letrec<{
  value: CborValue;
  key: CborValue;
  array: CborValue;
  map: CborValue;
  tag: CborValue;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    integerArb,
    textArb,
    bytesArb,
    fc.constantFrom<CborValue>(true, false, null),
    tie('array'),
    tie('map'),
    tie('tag'),
  ),
  key: fc.oneof(
    integerArb,
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.uint8Array({ maxLength: 6 }),
    fc.constantFrom<CborValue>(true, false, null),
    fc.array(integerArb, { maxLength: 2 }),
  ),
  array: fc.oneof(fc.array(tie('value'), { maxLength: 5 }), fc.array(integerArb, { minLength: 23, maxLength: 26 })),
  map: fc
    .uniqueArray(fc.tuple(tie('key'), tie('value')), { maxLength: 6, selector: ([k]) => keyId(k) })
    .map((entries) => new Map(entries)),
  tag: fc.tuple(tagNumberArb, tie('value')).map(([t, v]) => new CborTag(t, v)),
}));

/** Maps keyed only by integers: the fast path of all our messages. */
const intKeyMapArb = fc
  .uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -30, max: 30 }), fc.constantFrom(...EDGE_INTEGERS)), valueArb), {
    maxLength: 12,
    selector: ([k]) => keyId(k),
  })
  .map((entries) => new Map(entries));

function checkAgainstOracle(value: CborValue): void {
  const ours = encodeCbor(value);
  expect(toHex(ours)).toBe(oracle(value));
  const decoded = decodeCbor(ours, { allowedTags: collectTags(value), maxDepth: 64, maxBytes: 1 << 20 });
  expect(decoded).toStrictEqual(normalise(value));
  expect(toHex(encodeCbor(decoded as CborValue))).toBe(toHex(ours));
}

function collectTags(value: CborValue, out: number[] = []): number[] {
  if (value instanceof CborTag) {
    out.push(value.tag);
    collectTags(value.value, out);
  } else if (Array.isArray(value)) {
    for (const v of value as readonly CborValue[]) collectTags(v, out);
  } else if (value instanceof Map) {
    for (const [k, v] of value) collectTags(k, collectTags(v, out));
  }
  return out;
}

// spec R4: encoders produce the deterministic encoding (cbor2's cde mode is the oracle).
describe('encodeCbor equals cbor2 {cde: true} byte for byte, and decodeCbor inverts it', () => {
  it('random nested structures (3000 runs)', () => {
    fc.assert(fc.property(valueArb, checkAgainstOracle), { numRuns: 3000 });
  });

  it('integer-keyed maps, the shape of all protocol messages (2000 runs)', () => {
    fc.assert(fc.property(intKeyMapArb, checkAgainstOracle), { numRuns: 2000 });
  });

  it.each(EDGE_INTEGERS.map((v) => [typeof v === 'bigint' ? `${v}n` : String(v), v] as const))(
    'integer %s',
    (_name, v) => {
      checkAgainstOracle(v);
    },
  );
});

describe('encodeCbor closes the gaps of cbor-x', () => {
  it.each([
    [0xffff_ffff, '1affffffff'],
    [0x1_0000_0000, '1b0000000100000000'],
    [-0x1_0000_0000, '3affffffff'],
    [-0x1_0000_0001, '3b0000000100000000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-Number.MAX_SAFE_INTEGER, '3b001ffffffffffffe'],
    [5n, '05'],
    [-5n, '24'],
    [0xffff_ffffn, '1affffffff'],
    [-(2n ** 64n), '3bffffffffffffffff'],
    [2n ** 64n - 1n, '1bffffffffffffffff'],
  ] as const)('integer %s in shortest integer form, never float or bignum', (value, expected) => {
    expect(toHex(encodeCbor(value))).toBe(expected);
  });

  it('encodes -0 as the integer 0', () => {
    expect(toHex(encodeCbor(-0))).toBe('00');
    expect(toHex(encodeCbor(new Map([[-0, 1]])))).toBe('a10001');
  });

  it('writes byte strings untagged, a Node Buffer exactly like a Uint8Array', () => {
    expect(toHex(encodeCbor(Uint8Array.of(1, 2)))).toBe('420102');
    expect(toHex(encodeCbor(Buffer.from([1, 2])))).toBe('420102');
    expect(toHex(encodeCbor(new Map([[Buffer.from([1]), Buffer.from([2])]])))).toBe('a141014102');
  });

  it('sorts map keys whatever the insertion order, integer and mixed', () => {
    expect(
      toHex(
        encodeCbor(
          new Map([
            [-1, 0],
            [10, 0],
            [1, 0],
            [24, 0],
            [-25, 0],
          ]),
        ),
      ),
    ).toBe('a501000a001818002000381800');
    const mixed = new Map<CborValue, CborValue>([
      ['a', 1],
      [[1], 2],
      [Uint8Array.of(0), 3],
      [-1, 4],
      [100, 5],
    ]);
    expect(toHex(encodeCbor(mixed))).toBe(oracle(mixed));
    expect(toHex(encodeCbor(mixed))).toBe('a51864052004410003616101810102');
  });

  it('writes tag numbers of 2^32 and more exactly (cbor-x truncates them to 32 bits)', () => {
    expect(toHex(encodeCbor(new CborTag(0x1_0000_0000, 1)))).toBe('db000000010000000001');
    expect(toHex(encodeCbor(new CborTag(Number.MAX_SAFE_INTEGER, [])))).toBe('db001fffffffffffff80');
  });

  it('writes subclasses of Array and Map as definite-length arrays and maps', () => {
    class MyArray extends Array<CborValue> {}
    class MyMap extends Map<CborValue, CborValue> {}
    expect(toHex(encodeCbor(MyArray.from([1, 2])))).toBe('820102');
    expect(
      toHex(
        encodeCbor(
          new MyMap([
            [2, 0],
            [1, 0],
          ]),
        ),
      ),
    ).toBe('a201000200');
  });

  it('keeps -2^64 and big tags exact deep inside containers', () => {
    const value: CborValue = [
      1,
      new Map<CborValue, CborValue>([
        [-(2n ** 64n), new CborTag(2 ** 40, 'x')],
        [0, 0],
      ]),
    ];
    expect(toHex(encodeCbor(value))).toBe(oracle(value));
  });

  it('returns a fresh plain Uint8Array that no later encoding can overwrite', () => {
    const first = encodeCbor([1, 2, 3, Uint8Array.of(9, 9)]);
    expect(first.constructor).toBe(Uint8Array);
    expect(Buffer.isBuffer(first)).toBe(false);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(first.length);
    const snapshot = toHex(first);
    // cbor-x hands out views of one module-global scratch buffer: scribble over it through a raw encoder.
    const raw = new CborXEncoder({ useRecords: false }).encode([4, 5, 6]);
    new Uint8Array(raw.buffer).fill(0xaa);
    for (let i = 0; i < 5000; i++) encodeCbor(new Map([[i, Uint8Array.of(i & 0xff)]]));
    expect(toHex(first)).toBe(snapshot);
    expect(first.buffer).not.toBe(raw.buffer);
  });
});

describe('encodeCbor refuses values outside the data model', () => {
  const cycle: unknown[] = [];
  cycle.push(cycle);
  it.each([
    ['1.5', 1.5, CborErrorCode.Unencodable],
    ['NaN', Number.NaN, CborErrorCode.Unencodable],
    ['Infinity', Number.POSITIVE_INFINITY, CborErrorCode.Unencodable],
    ['-Infinity', Number.NEGATIVE_INFINITY, CborErrorCode.Unencodable],
    ['2^53 (unsafe number)', 2 ** 53, CborErrorCode.Unencodable],
    ['-2^53 (unsafe number)', -(2 ** 53), CborErrorCode.Unencodable],
    ['undefined', undefined, CborErrorCode.Unencodable],
    ['undefined in an array', [1, undefined], CborErrorCode.Unencodable],
    ['a sparse array', [, 1], CborErrorCode.Unencodable],
    ['a plain object', { a: 1 }, CborErrorCode.Unencodable],
    ['a null-prototype object', Object.create(null), CborErrorCode.Unencodable],
    ['a function', () => 1, CborErrorCode.Unencodable],
    ['a symbol', Symbol('s'), CborErrorCode.Unencodable],
    ['a Date', new Date(0), CborErrorCode.Unencodable],
    ['a Set', new Set([1]), CborErrorCode.Unencodable],
    ['a Uint16Array', new Uint16Array(1), CborErrorCode.Unencodable],
    ['an ArrayBuffer', new ArrayBuffer(1), CborErrorCode.Unencodable],
    ['a float as map value', new Map([[1, 0.5]]), CborErrorCode.Unencodable],
    ['a lone high surrogate', '\ud800', CborErrorCode.Unencodable],
    ['a lone low surrogate in a long string', `${'a'.repeat(80)}\udc00`, CborErrorCode.Unencodable],
    ['a negative tag number', new CborTag(-1, 0), CborErrorCode.Unencodable],
    ['a fractional tag number', new CborTag(1.5, 0), CborErrorCode.Unencodable],
    ['2^64', 2n ** 64n, CborErrorCode.IntegerRange],
    ['-2^64 - 1', -(2n ** 64n) - 1n, CborErrorCode.IntegerRange],
    [
      'keys 1 and 1n',
      new Map<CborValue, CborValue>([
        [1, 0],
        [1n, 0],
      ]),
      CborErrorCode.DuplicateKey,
    ],
    [
      'keys 2^40 and 2^40n',
      new Map<CborValue, CborValue>([
        [2 ** 40, 0],
        [2n ** 40n, 0],
      ]),
      CborErrorCode.DuplicateKey,
    ],
    [
      'two equal byte-string keys',
      new Map([
        [Uint8Array.of(1), 0],
        [Uint8Array.of(1), 0],
      ]),
      CborErrorCode.DuplicateKey,
    ],
    [
      'two equal array keys',
      new Map([
        [[1], 0],
        [[1], 0],
      ]),
      CborErrorCode.DuplicateKey,
    ],
    ['a cycle', cycle, CborErrorCode.TooDeep],
    ['257 nested arrays', Array.from({ length: 256 }).reduce<unknown>((inner) => [inner], []), CborErrorCode.TooDeep],
  ])('%s', (_name, value, code) => {
    let caught: unknown;
    try {
      encodeCbor(value as CborValue);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CborError);
    expect((caught as CborError).code).toBe(code);
  });

  it('accepts 256 nested arrays, the decoder cap', () => {
    const deep = Array.from({ length: 255 }).reduce<unknown>((inner) => [inner], []);
    const bytes = encodeCbor(deep as CborValue);
    expect(bytes.length).toBe(256);
    expect(decodeCbor(bytes, { maxDepth: 256 })).toStrictEqual(deep);
  });
});
