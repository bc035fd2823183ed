import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CborTag,
  CodecError,
  CoseError,
  Limits,
  MessageType,
  decodeCardReceipt,
  decodeCoseSign1,
  encodeCardReceipt,
  encodeCbor,
  ES256_PROTECTED_HEADER,
  type CardReceipt,
} from '@ehkd/core';
import { inPlaceReceipt, readReceiptInPlace } from '../src/ingest/receipt-in-place.js';

/**
 * Differential test of the in-place receipt reader against core's generic path (decodeCoseSign1 with
 * Limits.receiptBytes, then decodeCardReceipt): on valid receipts, random mutations, truncations, extensions,
 * hand-made non-canonical encodings and arbitrary bytes, both must accept exactly the same inputs with the same values.
 */

type Outcome =
  | { readonly ok: false }
  | { readonly ok: true; readonly receipt: CardReceipt; readonly payload: string; readonly signature: string };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function generic(bytes: Uint8Array): Outcome {
  try {
    const cose = decodeCoseSign1(bytes, Limits.receiptBytes);
    return {
      ok: true,
      receipt: decodeCardReceipt(cose.payload),
      payload: hex(cose.payload),
      signature: hex(cose.signature),
    };
  } catch (e) {
    if (e instanceof CoseError || e instanceof CodecError) return { ok: false };
    throw e;
  }
}

/** The in-place reader on `bytes` placed at an offset inside a larger buffer (as in a worker's packed chunk). */
function inPlace(bytes: Uint8Array, before: Uint8Array, after: Uint8Array): Outcome {
  const buffer = Uint8Array.from([...before, ...bytes, ...after]);
  const r = inPlaceReceipt();
  if (!readReceiptInPlace(buffer, before.length, before.length + bytes.length, r)) return { ok: false };
  const at = (offset: number, length: number): Uint8Array => buffer.slice(offset, offset + length);
  const common = { cardId: at(r.cardIdAt, 8), counter: r.counter, amount: r.amount, currency: r.currency };
  const receipt: CardReceipt =
    r.type === MessageType.PayReceipt
      ? {
          kind: 'pay',
          ...common,
          payee: at(r.field5At, 8),
          nonce: at(r.nonceAt, 16),
          time: r.time,
          balanceAfter: r.balanceAfter,
          prevHash: at(r.prevHashAt, 32),
        }
      : {
          kind: 'load',
          ...common,
          authorizationId: at(r.field5At, 32),
          balanceAfter: r.balanceAfter,
          prevHash: at(r.prevHashAt, 32),
        };
  return {
    ok: true,
    receipt,
    payload: hex(buffer.subarray(r.payloadStart, r.payloadEnd)),
    signature: hex(at(r.signatureAt, 64)),
  };
}

function expectSame(
  bytes: Uint8Array,
  before: Uint8Array = new Uint8Array(0),
  after: Uint8Array = new Uint8Array(0),
): Outcome {
  const expected = generic(bytes);
  const actual = inPlace(bytes, before, after);
  // Compare as plain data: values, kinds and bytes must be identical.
  expect(normalise(actual)).toEqual(normalise(expected));
  return expected;
}

function normalise(o: Outcome): unknown {
  if (!o.ok) return o;
  const fields = Object.entries(o.receipt).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]);
  return { ...o, receipt: Object.fromEntries(fields.sort(([a], [b]) => String(a).localeCompare(String(b)))) };
}

function coseSign1(payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeCbor(new CborTag(18, [ES256_PROTECTED_HEADER, new Map(), payload, signature]));
}

// Integers around every CBOR head width and every limit the codec checks.
const uintEdge = fc.constantFrom(0, 1, 23, 24, 255, 256, 999, 1000, 65535, 65536, 0xffff_ffff);
const uint32 = fc.oneof(uintEdge, fc.nat({ max: 0xffff_ffff }));
const bytesOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const payReceipt = fc.record({
  kind: fc.constant('pay' as const),
  cardId: bytesOf(8),
  counter: uint32.filter((v) => v >= 1),
  amount: uint32.filter((v) => v >= 1),
  currency: fc.oneof(fc.constantFrom(0, 23, 24, 344, 999), fc.nat({ max: 999 })),
  payee: bytesOf(8),
  nonce: bytesOf(16),
  time: uint32,
  balanceAfter: uint32,
  prevHash: bytesOf(32),
});
const loadReceipt = fc.record({
  kind: fc.constant('load' as const),
  cardId: bytesOf(8),
  counter: uint32.filter((v) => v >= 1),
  amount: uint32.filter((v) => v >= 1),
  currency: fc.nat({ max: 999 }),
  authorizationId: bytesOf(32),
  balanceAfter: uint32,
  prevHash: bytesOf(32),
});
const validReceipt = fc
  .tuple(fc.oneof(payReceipt, loadReceipt), bytesOf(64))
  .map(([r, sig]) => coseSign1(encodeCardReceipt(r), sig));

/** A byte-level edit of a message: flip, set, insert, delete, truncate or extend. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
  fc.record({
    op: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.oneof(
      fc.constantFrom(0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x40, 0x48, 0x58, 0x59, 0xa0, 0xa8, 0xaa, 0xd2, 0xf6, 0xff),
      fc.nat({ max: 255 }),
    ),
  }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const b = [...bytes];
  if (m.op === 'extend') return Uint8Array.from([...b, ...m.tail]);
  const at = m.at % (b.length + 1);
  if (m.op === 'insert') b.splice(at, 0, m.value);
  else if (m.op === 'truncate') b.length = at;
  else if (at < b.length) {
    if (m.op === 'flip') b[at] = (b[at] as number) ^ (1 << m.bit);
    else if (m.op === 'set') b[at] = m.value;
    else b.splice(at, 1);
  }
  return Uint8Array.from(b);
}

/** A CBOR unsigned-integer head of major type `major` for `v`, in the given width (which may be longer than needed). */
function head(major: number, v: number, width: 0 | 1 | 2 | 4 | 8): number[] {
  const mt = major << 5;
  if (width === 0) return [mt | v];
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
  return [mt | { 1: 24, 2: 25, 4: 26, 8: 27 }[width], ...out];
}
const shortest = (v: number): 0 | 1 | 2 | 4 | 8 =>
  v < 24 ? 0 : v < 0x100 ? 1 : v < 0x1_0000 ? 2 : v < 0x1_0000_0000 ? 4 : 8;

describe('the in-place receipt reader', () => {
  it('reads every valid pay and load receipt exactly as core does, wherever it lies in a buffer', () => {
    fc.assert(
      fc.property(
        validReceipt,
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        (bytes, before, after) => {
          expect(expectSame(bytes, before, after).ok).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('rejects exactly what core rejects after random edits, truncations and extensions', () => {
    fc.assert(
      fc.property(
        validReceipt,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.uint8Array({ maxLength: 4 }),
        (bytes, edits, after) => {
          expectSame(edits.reduce(mutate, bytes), new Uint8Array(0), after);
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('rejects exactly what core rejects among hand-encoded variants (wide integers, other heads, keys, types and sizes)', () => {
    type Entry = {
      key: number;
      value:
        | { t: 'uint'; v: number; width: 0 | 1 | 2 | 4 | 8 | null }
        | { t: 'bytes'; v: Uint8Array; wide: boolean }
        | { t: 'other'; v: number[] };
    };
    const entry: fc.Arbitrary<Entry> = fc.record({
      key: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constantFrom(-1, 24)),
      value: fc.oneof(
        fc.record({
          t: fc.constant('uint' as const),
          v: fc.oneof(uintEdge, fc.nat({ max: 0xffff_ffff }), fc.constant(2 ** 40)),
          width: fc.constantFrom<0 | 1 | 2 | 4 | 8 | null>(null, null, null, 0, 1, 2, 4, 8),
        }),
        fc.record({
          t: fc.constant('bytes' as const),
          v: fc.oneof(bytesOf(8), bytesOf(16), bytesOf(32), fc.uint8Array({ maxLength: 33 })),
          wide: fc.boolean(),
        }),
        fc.record({
          t: fc.constant('other' as const),
          v: fc.constantFrom([0xf6], [0x20], [0x60], [0x80], [0xa0], [0xf4]).map((b) => [...b]),
        }),
      ),
    });
    let accepted = 0;
    const variant = fc.record({
      entries: fc.array(entry, { maxLength: 12 }),
      useTemplate: fc.boolean(),
      template: fc.oneof(payReceipt, loadReceipt),
      overrides: fc.array(fc.tuple(fc.nat({ max: 11 }), entry), { maxLength: 2 }),
      wideMapHead: fc.boolean(),
      sort: fc.boolean(),
      signatureLength: fc.constantFrom(64, 64, 64, 63, 65, 0),
      payloadHead: fc.constantFrom<'short' | 'wide'>('short', 'short', 'wide'),
    });
    fc.assert(
      fc.property(variant, (v) => {
        let entries = v.entries;
        if (v.useTemplate) {
          // Start from a valid payload's fields, then override some: mostly near-valid receipts.
          const r = v.template;
          const fields: [number, number | Uint8Array][] =
            r.kind === 'pay'
              ? [
                  [0, MessageType.PayReceipt],
                  [1, r.cardId],
                  [2, r.counter],
                  [3, r.amount],
                  [4, r.currency],
                  [5, r.payee],
                  [6, r.nonce],
                  [7, r.time],
                  [8, r.balanceAfter],
                  [9, r.prevHash],
                ]
              : [
                  [0, MessageType.LoadReceipt],
                  [1, r.cardId],
                  [2, r.counter],
                  [3, r.amount],
                  [4, r.currency],
                  [5, r.authorizationId],
                  [8, r.balanceAfter],
                  [9, r.prevHash],
                ];
          entries = fields.map(([key, value]): Entry => ({
            key,
            value:
              typeof value === 'number' ? { t: 'uint', v: value, width: null } : { t: 'bytes', v: value, wide: false },
          }));
          for (const [i, e] of v.overrides) entries[i % (entries.length + 1)] = e;
        }
        if (v.sort)
          entries = [...entries].sort((a, b) => (a.key < 0 ? 100 - a.key : a.key) - (b.key < 0 ? 100 - b.key : b.key));
        const payload: number[] = v.wideMapHead ? [0xb8, entries.length] : head(5, entries.length, 0);
        for (const e of entries) {
          payload.push(...(e.key < 0 ? head(1, -1 - e.key, 0) : head(0, e.key, shortest(e.key))));
          if (e.value.t === 'uint') payload.push(...head(0, e.value.v, e.value.width ?? shortest(e.value.v)));
          else if (e.value.t === 'bytes')
            payload.push(
              ...(e.value.wide ? head(2, e.value.v.length, 1) : head(2, e.value.v.length, shortest(e.value.v.length))),
              ...e.value.v,
            );
          else payload.push(...e.value.v);
        }
        const payloadHead =
          v.payloadHead === 'wide' ? head(2, payload.length, 2) : head(2, payload.length, shortest(payload.length));
        const message = Uint8Array.from([
          0xd2,
          0x84,
          0x43,
          ...ES256_PROTECTED_HEADER,
          0xa0,
          ...payloadHead,
          ...payload,
          ...head(2, v.signatureLength, shortest(v.signatureLength)),
          ...new Array<number>(v.signatureLength).fill(7),
        ]);
        if (expectSame(message).ok) accepted++;
      }),
      { numRuns: 10_000 },
    );
    // The variants must include valid receipts, or the comparison would only ever see rejections.
    expect(accepted).toBeGreaterThan(100);
  });

  it('agrees with core on every field of both kinds at every integer edge, integer width and byte-string length', () => {
    const pay = [
      [0, MessageType.PayReceipt],
      [1, 8],
      [2, 1],
      [3, 1],
      [4, 344],
      [5, 8],
      [6, 16],
      [7, 0],
      [8, 0],
      [9, 32],
    ] as const;
    const load = [
      [0, MessageType.LoadReceipt],
      [1, 8],
      [2, 1],
      [3, 1],
      [4, 344],
      [5, 32],
      [8, 0],
      [9, 32],
    ] as const;
    const uints = new Set([0, 2, 3, 4, 7, 8]);
    const edges = [0, 1, 2, 3, 23, 24, 255, 256, 998, 999, 1000, 65535, 65536, 0xffff_fffe, 0xffff_ffff, 0x1_0000_0000];
    let accepted = 0;
    let cases = 0;
    for (const fields of [pay, load]) {
      // `values[i]` replaces field i's value (as encoded bytes); the other fields keep valid values.
      const encode = (replace: number, value: number[]): Uint8Array => {
        const payload: number[] = head(5, fields.length, 0);
        fields.forEach(([key, v], i) => {
          payload.push(key);
          if (i === replace) payload.push(...value);
          else if (uints.has(key)) payload.push(...head(0, v, shortest(v)));
          else payload.push(...head(2, v, shortest(v)), ...new Array<number>(v).fill(i));
        });
        return Uint8Array.from([
          0xd2,
          0x84,
          0x43,
          ...ES256_PROTECTED_HEADER,
          0xa0,
          ...head(2, payload.length, shortest(payload.length)),
          ...payload,
          0x58,
          0x40,
          ...new Array<number>(64).fill(1),
        ]);
      };
      fields.forEach(([key, v], i) => {
        const variants: number[][] = [];
        if (uints.has(key)) {
          for (const e of edges)
            for (const width of [0, 1, 2, 4, 8] as const)
              if (width >= shortest(e) && (width !== 0 || e < 24)) variants.push(head(0, e, width));
        } else {
          for (const n of [v - 1, v, v + 1, 0])
            if (n >= 0)
              for (const width of [0, 1, 2] as const)
                if (width >= shortest(n)) variants.push([...head(2, n, width), ...new Array<number>(n).fill(9)]);
        }
        for (const value of variants) {
          cases++;
          if (expectSame(encode(i, value)).ok) accepted++;
        }
      });
    }
    expect(cases).toBeGreaterThan(500);
    expect(accepted).toBeGreaterThan(50);
  });

  it('rejects exactly what core rejects among arbitrary bytes and oversized messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => void expectSame(bytes)),
      { numRuns: 2_000 },
    );
    const big = coseSign1(new Uint8Array(Limits.receiptBytes), new Uint8Array(64));
    expect(expectSame(big).ok).toBe(false);
  });
});
