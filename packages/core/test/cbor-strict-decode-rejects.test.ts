import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborError, CborErrorCode, CborTag, decodeCbor, encodeCbor } from '../src/cbor/index.js';
import type { CborDecodeLimits, CborValue } from '../src/cbor/index.js';

/**
 * decodeCbor accepts only RFC 8949 4.2.1 core deterministic encoding within our profile, and on any input
 * throws nothing but CborError: hand-made cases per rejection code, limits, and fuzzing by mutation.
 */

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function decodeError(input: Uint8Array, limits?: CborDecodeLimits): CborError {
  try {
    decodeCbor(input, limits);
  } catch (error) {
    if (error instanceof CborError) return error;
    throw error;
  }
  throw new Error(`decoded without error: ${toHex(input)}`);
}

type RejectCase = readonly [name: string, hex: string, code: CborErrorCode, offset: number, limits?: CborDecodeLimits];

const cases: readonly RejectCase[] = [
  // Truncation: the offset is where the item that runs out of input starts.
  ['empty input', '', CborErrorCode.Truncated, 0],
  ['uint8 head without its byte', '18', CborErrorCode.Truncated, 0],
  ['uint64 head with 7 of 8 bytes', '1b 00000001000000', CborErrorCode.Truncated, 0],
  ['byte string shorter than declared', '43 0102', CborErrorCode.Truncated, 0],
  ['text string shorter than declared', '62 61', CborErrorCode.Truncated, 0],
  ['array missing an element', '83 01 02', CborErrorCode.Truncated, 0],
  ['array whose last element is cut', '82 01 19 01', CborErrorCode.Truncated, 2],
  ['map missing a value', 'a1 01', CborErrorCode.Truncated, 0],
  ['tag without content', 'd2', CborErrorCode.Truncated, 1, { allowedTags: [18] }],

  ['trailing byte', '00 00', CborErrorCode.TrailingBytes, 1],
  ['two complete items', '82 0102 a0', CborErrorCode.TrailingBytes, 3],

  // RFC 8949 4.2.1: arguments in the shortest form, whatever they count.
  ['23 in a 1-byte argument', '18 17', CborErrorCode.NonShortestForm, 0],
  ['255 in a 2-byte argument', '19 00ff', CborErrorCode.NonShortestForm, 0],
  ['65535 in a 4-byte argument', '1a 0000ffff', CborErrorCode.NonShortestForm, 0],
  ['2^32-1 in an 8-byte argument', '1b 00000000ffffffff', CborErrorCode.NonShortestForm, 0],
  ['-24 in a 1-byte argument', '38 17', CborErrorCode.NonShortestForm, 0],
  ['-1 in an 8-byte argument', '3b 0000000000000000', CborErrorCode.NonShortestForm, 0],
  ['byte string length 0 in 1 byte', '58 00', CborErrorCode.NonShortestForm, 0],
  ['text string length 1 in 2 bytes', '79 0001 61', CborErrorCode.NonShortestForm, 0],
  ['array count in 1 byte', '98 01 00', CborErrorCode.NonShortestForm, 0],
  ['map count in 4 bytes', 'ba 00000001 0000', CborErrorCode.NonShortestForm, 0],
  ['tag 18 in 1 byte', 'd8 12 80', CborErrorCode.NonShortestForm, 0, { allowedTags: [18] }],
  ['non-shortest key inside a map', 'a1 18 01 00', CborErrorCode.NonShortestForm, 1],

  ['indefinite byte string', '5f 41 00 ff', CborErrorCode.IndefiniteLength, 0],
  ['indefinite text string', '7f ff', CborErrorCode.IndefiniteLength, 0],
  ['indefinite array', '9f ff', CborErrorCode.IndefiniteLength, 0],
  ['indefinite map', 'bf ff', CborErrorCode.IndefiniteLength, 0],
  ['lone break', 'ff', CborErrorCode.IndefiniteLength, 0],
  ['break inside a definite array', '81 ff', CborErrorCode.IndefiniteLength, 1],

  ['keys descending', 'a2 02 00 01 00', CborErrorCode.KeyOrder, 3],
  ['negative key before a positive one', 'a2 20 00 01 00', CborErrorCode.KeyOrder, 3],
  ['text key before an integer key', 'a2 61 61 00 01 00', CborErrorCode.KeyOrder, 4],
  // RFC 7049 "canonical" sorted shorter keys first; RFC 8949 4.2.1 is purely bytewise: 24 (18 18) < -1 (20).
  ['RFC 7049 length-first order', 'a2 20 00 18 18 00', CborErrorCode.KeyOrder, 3],
  ['text keys: "b" sorts before "aa" (the head holds the length)', 'a2 62 6161 00 61 62 00', CborErrorCode.KeyOrder, 5],

  ['same integer key twice', 'a2 01 00 01 00', CborErrorCode.DuplicateKey, 3],
  ['same text key twice', 'a2 61 61 00 61 61 01', CborErrorCode.DuplicateKey, 4],
  ['same array key twice', 'a2 81 01 00 81 01 00', CborErrorCode.DuplicateKey, 4],

  ['half float', 'f9 3c00', CborErrorCode.Float, 0],
  ['single float', 'fa 3f800000', CborErrorCode.Float, 0],
  ['double float', 'fb 3ff0000000000000', CborErrorCode.Float, 0],
  ['float as map value', 'a1 01 f9 0000', CborErrorCode.Float, 2],

  ['undefined', 'f7', CborErrorCode.Unsupported, 0],
  ['simple(0)', 'e0', CborErrorCode.Unsupported, 0],
  ['simple(19)', 'f3', CborErrorCode.Unsupported, 0],
  ['simple(32) in two bytes', 'f8 20', CborErrorCode.Unsupported, 0],
  ['simple(24) in two bytes (not well-formed)', 'f8 18', CborErrorCode.Unsupported, 0],
  ['reserved ai 28 (major 0)', '1c', CborErrorCode.Unsupported, 0],
  ['reserved ai 29 (major 2)', '5d', CborErrorCode.Unsupported, 0],
  ['reserved ai 30 (major 7)', 'fe', CborErrorCode.Unsupported, 0],
  ['ai 31 on an integer', '1f', CborErrorCode.Unsupported, 0],
  ['ai 31 on a tag', 'df', CborErrorCode.Unsupported, 0],

  ['any tag by default', 'd2 80', CborErrorCode.TagNotAllowed, 0],
  ['tag outside the allowed set', 'c0 60', CborErrorCode.TagNotAllowed, 0, { allowedTags: [18] }],
  ['nested tag outside the allowed set', 'd2 81 c1 00', CborErrorCode.TagNotAllowed, 2, { allowedTags: [18] }],
  // 2^53 + 1 must not be rounded to an allowed 2^53.
  [
    'tag 2^53+1 with 2^53 allowed',
    'db 0020000000000001 00',
    CborErrorCode.TagNotAllowed,
    0,
    { allowedTags: [2 ** 53] },
  ],

  ['invalid byte 0xff', '61 ff', CborErrorCode.InvalidUtf8, 0],
  ['lone continuation byte', '61 80', CborErrorCode.InvalidUtf8, 0],
  ['overlong NUL', '62 c080', CborErrorCode.InvalidUtf8, 0],
  ['UTF-8 encoded surrogate', '63 eda080', CborErrorCode.InvalidUtf8, 0],
  ['code point above U+10FFFF', '64 f4908080', CborErrorCode.InvalidUtf8, 0],
  ['sequence cut at the end', '62 61 c3', CborErrorCode.InvalidUtf8, 0],
  ['invalid byte in a long string (native decoder path)', `78 28 ${'61'.repeat(39)} ff`, CborErrorCode.InvalidUtf8, 0],
  ['invalid text as map key', 'a1 61 fe 00', CborErrorCode.InvalidUtf8, 1],

  ['17 nested arrays (default maxDepth 16)', `${'81'.repeat(17)}00`, CborErrorCode.TooDeep, 16],
  ['maxDepth 0 refuses any container', '80', CborErrorCode.TooDeep, 0, { maxDepth: 0 }],
  ['tags count as nesting', 'd2 d2 00', CborErrorCode.TooDeep, 1, { allowedTags: [18], maxDepth: 1 }],
  ['map nesting', 'a1 00 a1 00 a1 00 00', CborErrorCode.TooDeep, 4, { maxDepth: 2 }],

  ['input above maxBytes', '00'.repeat(11), CborErrorCode.TooLarge, 10, { maxBytes: 10 }],
  ['array count above maxItems', '99 1001', CborErrorCode.TooLarge, 0],
  ['map count above maxItems', 'a3 0000 0100 0200', CborErrorCode.TooLarge, 0, { maxItems: 2 }],
  ['byte string of 2^64-1 bytes', '5b ffffffffffffffff', CborErrorCode.TooLarge, 0],
  ['text string of 2^53-1 bytes', '7b 001fffffffffffff', CborErrorCode.TooLarge, 0],
  ['byte string of 4 GiB - 1', '5a ffffffff', CborErrorCode.TooLarge, 0],
  ['array of 2^64-1 items', '9b ffffffffffffffff', CborErrorCode.TooLarge, 0],
  ['map of 2^32-1 entries', 'ba ffffffff', CborErrorCode.TooLarge, 0],
];

// spec R3: non-canonical input is rejected, never normalised.
describe('decodeCbor rejects every non-canonical or out-of-profile input with its own code and offset', () => {
  for (const [name, input, code, offset, limits] of cases) {
    it(name, () => {
      const error = decodeError(hex(input), limits);
      expect(error.code).toBe(code);
      expect(error.detail?.offset).toBe(offset);
      expect(error.layer).toBe('cbor');
    });
  }

  it('covers every decoder error code (integer range cannot occur: 8 argument bytes reach exactly -2^64)', () => {
    const decoderCodes = Object.values(CborErrorCode).filter(
      (c) => c !== CborErrorCode.Unencodable && c !== CborErrorCode.IntegerRange,
    );
    expect(new Set(cases.map(([, , code]) => code))).toEqual(new Set(decoderCodes));
    expect(decodeCbor(hex('3b ffffffffffffffff'))).toBe(-(2n ** 64n));
  });

  it('accepts exactly maxDepth levels and exactly maxItems items', () => {
    expect(decodeCbor(hex(`${'81'.repeat(16)}00`))).toBeInstanceOf(Array);
    expect(decodeCbor(hex('82 0000'), { maxItems: 2 })).toEqual([0, 0]);
    expect(decodeCbor(hex('00'), { maxBytes: 1 })).toBe(0);
  });

  it('a declared length larger than the input but within limits is truncation', () => {
    expect(decodeError(hex('59 0100 00'), { maxBytes: 1000 }).code).toBe(CborErrorCode.Truncated);
    expect(decodeError(hex('9a 00ffffff 00'), { maxItems: 2 ** 30 }).code).toBe(CborErrorCode.Truncated);
    expect(decodeError(hex('ba 00ffffff 0000'), { maxItems: 2 ** 30 }).code).toBe(CborErrorCode.Truncated);
  });

  it('keeps a leading BOM in text (TextDecoder would strip it and break re-encoding)', () => {
    const input = hex('63 efbbbf');
    expect(decodeCbor(input)).toBe('\ufeff');
    expect(toHex(encodeCbor(decodeCbor(input) as CborValue))).toBe('63efbbbf');
    const long = hex(`78 23 efbbbf ${'61'.repeat(32)}`);
    expect(toHex(encodeCbor(decodeCbor(long) as CborValue))).toBe(toHex(long));
  });

  it('returns byte strings as fresh plain Uint8Array copies, also from a Buffer input', () => {
    const input = Buffer.from('a2 01 42 0a0b 02 41 0c'.replace(/\s+/g, ''), 'hex');
    const decoded = decodeCbor(input) as Map<number, Uint8Array>;
    const first = decoded.get(1)!;
    expect(first.constructor).toBe(Uint8Array);
    expect(first.buffer.byteLength).toBe(2);
    input.fill(0);
    expect([...first]).toEqual([0x0a, 0x0b]);
    expect([...decoded.get(2)!]).toEqual([0x0c]);
  });

  it('decodes from a view with a non-zero byteOffset', () => {
    const backing = hex('ff ff 82 01 41 07 ff');
    expect(decodeCbor(backing.subarray(2, 6))).toEqual([1, Uint8Array.of(7)]);
  });

  it('rejects invalid limits as a programming error', () => {
    expect(() => decodeCbor(hex('00'), { maxDepth: -1 })).toThrow(RangeError);
    expect(() => decodeCbor(hex('00'), { maxItems: Number.NaN })).toThrow(RangeError);
    expect(() => decodeCbor(hex('00'), { maxBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('decodeCbor resource exhaustion', () => {
  it.each([
    '5b ffffffffffffffff',
    '7b ffffffffffffffff',
    '9b ffffffffffffffff',
    'bb ffffffffffffffff',
    '5a ffffffff',
    '9a ffffffff',
  ])('huge declared length %s fails fast without allocating, even with generous limits', (input) => {
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    for (const limits of [undefined, { maxBytes: 2 ** 40, maxItems: 2 ** 40 }]) {
      const error = decodeError(hex(input), limits);
      expect([CborErrorCode.TooLarge, CborErrorCode.Truncated]).toContain(error.code);
    }
    expect(performance.now() - started).toBeLessThan(50);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  it.each([
    ['arrays', `${'81'.repeat(10_000)}00`, 1],
    ['maps', `${'a100'.repeat(10_000)}00`, 2],
    ['tags', `${'d2'.repeat(10_000)}00`, 1],
  ] as const)(
    '10,000 nested %s give CBOR_TOO_DEEP, not a stack overflow, even with maxDepth huge',
    (_kind, input, bytesPerLevel) => {
      const bytes = hex(input);
      const byDefault = decodeError(bytes, { allowedTags: [18] });
      expect(byDefault.code).toBe(CborErrorCode.TooDeep);
      expect(byDefault.detail?.offset).toBe(16 * bytesPerLevel);
      const capped = decodeError(bytes, { allowedTags: [18], maxDepth: 1_000_000_000, maxBytes: 1 << 20 });
      expect(capped.code).toBe(CborErrorCode.TooDeep);
      expect(capped.detail?.offset).toBe(256 * bytesPerLevel);
    },
  );
});

// Structures whose encodings are mutated below: every major type, integers at width boundaries, a few tags.
const TAGS = [0, 18, 24, 0x1_0000_0000] as const;
const FUZZ_LIMITS: CborDecodeLimits = { allowedTags: TAGS, maxDepth: 32 };
const { value: valueArb } = fc.letrec<{ value: CborValue; map: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    fc.oneof(
      fc.integer({ min: -70_000, max: 70_000 }),
      fc.constantFrom<CborValue>(
        23,
        24,
        255,
        256,
        0xffff_ffff,
        2 ** 32,
        Number.MAX_SAFE_INTEGER,
        -(2 ** 32) - 1,
        2n ** 64n - 1n,
        -(2n ** 64n),
      ),
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }),
    ),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom<CborValue>(true, false, null),
    fc.array(tie('value'), { maxLength: 5 }),
    tie('map'),
    fc.tuple(fc.constantFrom(...TAGS), tie('value')).map(([t, v]) => new CborTag(t, v)),
  ),
  map: fc
    .uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -30, max: 30 }), fc.string({ maxLength: 3 })), tie('value')), {
      maxLength: 6,
      selector: ([k]) => k,
    })
    .map((entries) => new Map<CborValue, CborValue>(entries)),
}));

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'replace'; at: number; byte: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0));
  switch (m.kind) {
    case 'flip':
      out[at] = out[at]! ^ (1 << m.bit);
      return out;
    case 'truncate':
      return out.subarray(0, at);
    case 'insert':
      return Uint8Array.from([...bytes.subarray(0, at), m.byte, ...bytes.subarray(at)]);
    case 'replace':
      out[at] = m.byte;
      return out;
  }
}

/** The core property: either a CborError, or a value whose deterministic encoding is exactly the input. */
function decodesCanonicallyOrRejects(input: Uint8Array): void {
  let value: unknown;
  try {
    value = decodeCbor(input, FUZZ_LIMITS);
  } catch (error) {
    if (!(error instanceof CborError)) throw error;
    expect(Number.isInteger(error.detail?.offset)).toBe(true);
    return;
  }
  expect(toHex(encodeCbor(value as CborValue))).toBe(toHex(input));
}

describe('decodeCbor never throws anything but CborError, and accepts only canonical encodings', () => {
  it('random bytes (10000 runs)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), decodesCanonicallyOrRejects), { numRuns: 10_000 });
  });

  it('random bytes starting with a container head (5000 runs)', () => {
    const head = fc.constantFrom(0x81, 0x82, 0x83, 0xa1, 0xa2, 0xa3, 0xd2, 0x98);
    fc.assert(
      fc.property(head, fc.uint8Array({ maxLength: 32 }), (h, rest) =>
        decodesCanonicallyOrRejects(Uint8Array.from([h, ...rest])),
      ),
      { numRuns: 5_000 },
    );
  });

  it('valid encodings decode and re-encode identically (2000 runs)', () => {
    fc.assert(
      fc.property(valueArb, (v) => decodesCanonicallyOrRejects(encodeCbor(v))),
      { numRuns: 2_000 },
    );
  });

  it('bit flips, truncations, insertions and byte replacements of valid encodings (5000 runs)', () => {
    fc.assert(
      fc.property(valueArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (v, mutations) => {
        const encoded = encodeCbor(v);
        if (encoded.length === 0) return;
        decodesCanonicallyOrRejects(
          mutations.reduce((bytes, m) => (bytes.length === 0 ? bytes : mutate(bytes, m)), encoded),
        );
      }),
      { numRuns: 5_000 },
    );
  });
});
