import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborCursor, CborError, CborErrorCode, decodeCbor } from '../src/cbor/index.js';
import { HeadFailure } from '../src/cbor/cbor-cursor.js';

/**
 * CborCursor, the one head reader of the strict decoder and the ledger's in-place readers: every head width and
 * edge against a hand encoder, agreement with decodeCbor on arbitrary heads, integers and byte strings, and that no
 * sequence of reads ever touches a byte outside [pos, end).
 */

type Width = 0 | 1 | 2 | 4 | 8;
const shortest = (v: bigint): Width => (v < 24n ? 0 : v < 0x100n ? 1 : v < 0x1_0000n ? 2 : v < 0x1_0000_0000n ? 4 : 8);

/** A head of major type `major` for `v` in `width` (possibly wider than needed), written independently of core. */
function head(major: number, v: bigint, width: Width): number[] {
  if (width === 0) return [(major << 5) | Number(v)];
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return [(major << 5) | { 1: 24, 2: 25, 4: 26, 8: 27 }[width], ...out];
}

const edges = [
  0n,
  1n,
  23n,
  24n,
  255n,
  256n,
  65_535n,
  65_536n,
  0xffff_ffffn,
  0x1_0000_0000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 64n - 1n,
];

describe('CborCursor', () => {
  it('reads every head at every width edge: the value in shortest form, NonShortest wider, Truncated when cut', () => {
    for (let major = 0; major <= 6; major++) {
      for (const v of edges) {
        for (const width of [0, 1, 2, 4, 8] as const) {
          if (width < shortest(v) || (width === 0 && v >= 24n)) continue;
          const bytes = Uint8Array.from([0xee, ...head(major, v, width), 0xee]);
          const c = new CborCursor(bytes, 1, bytes.length - 1);
          const r = c.head();
          expect(c.major).toBe(major);
          if (width !== shortest(v)) expect(r).toBe(HeadFailure.NonShortest);
          else if (v >= 2n ** 53n) expect([r, c.pos]).toEqual([HeadFailure.Beyond2To53, bytes.length - 1]);
          else expect([r, c.pos]).toEqual([Number(v), bytes.length - 1]);
          // Every strict prefix is truncated, whatever follows the window.
          for (let end = 1; end < bytes.length - 1; end++)
            expect(new CborCursor(bytes, 1, end).head()).toBe(HeadFailure.Truncated);
        }
      }
      for (const ai of [28, 29, 30])
        expect(new CborCursor(Uint8Array.of((major << 5) | ai, 0, 0, 0, 0, 0, 0, 0, 0)).head()).toBe(
          HeadFailure.Reserved,
        );
      expect(new CborCursor(Uint8Array.of((major << 5) | 31)).head()).toBe(HeadFailure.Indefinite);
    }
    expect(new CborCursor(new Uint8Array(0)).head()).toBe(HeadFailure.Truncated);
  });

  it('agrees with the strict decoder on arbitrary unsigned and negative integer heads', () => {
    const failureCode: Record<number, string> = {
      [HeadFailure.Truncated]: CborErrorCode.Truncated,
      [HeadFailure.NonShortest]: CborErrorCode.NonShortestForm,
      [HeadFailure.Indefinite]: CborErrorCode.Unsupported,
      [HeadFailure.Reserved]: CborErrorCode.Unsupported,
    };
    const headBytes = fc
      .tuple(fc.constantFrom(0, 1), fc.nat({ max: 31 }), fc.uint8Array({ maxLength: 9 }))
      .map(([major, ai, rest]) => Uint8Array.from([(major << 5) | ai, ...rest]));
    fc.assert(
      fc.property(headBytes, (bytes) => {
        const c = new CborCursor(bytes);
        const r = c.head();
        const complete = c.pos === bytes.length;
        let decoded: unknown;
        try {
          decoded = decodeCbor(bytes);
        } catch (e) {
          if (!(e instanceof CborError)) throw e;
          if (r < 0 && r !== HeadFailure.Beyond2To53) expect(e.code).toBe(failureCode[r]);
          else expect(e.code).toBe(CborErrorCode.TrailingBytes);
          return;
        }
        expect(complete).toBe(true);
        if (r === HeadFailure.Beyond2To53) expect(typeof decoded).toBe('bigint');
        else expect(decoded).toEqual(c.major === 0 ? r : r < Number.MAX_SAFE_INTEGER ? -1 - r : -1n - BigInt(r));
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads unsigned integers and byte strings exactly where the strict decoder decodes them', () => {
    const item = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(0, 2),
          fc.constantFrom(...edges.filter((v) => v < 300n)),
          fc.constantFrom<Width>(0, 1, 2, 4, 8),
        )
        .map(([major, v, w]) => [...head(major, v, w >= shortest(v) && (w > 0 || v < 24n) ? w : shortest(v))]),
      fc.uint8Array({ maxLength: 12 }).map((b) => [...b]),
    );
    fc.assert(
      fc.property(item, fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 0xffff_ffff }), (h, tail, max) => {
        const bytes = Uint8Array.from([...h, ...tail]);
        const decoded = (() => {
          try {
            return decodeCbor(bytes, { maxBytes: 1 << 20 });
          } catch {
            return undefined;
          }
        })();
        // A read that consumes the whole input is exactly what decodeCbor decodes it as, and the other way round.
        const asUint = new CborCursor(bytes);
        const v = asUint.argument(0, max);
        if (v >= 0 && asUint.pos === bytes.length) expect(decoded).toBe(v);
        if (typeof decoded === 'number' && decoded >= 0) expect(v).toBe(decoded <= max ? decoded : -1);
        const asBytes = new CborCursor(bytes);
        const at = asBytes.byteString(0, 1 << 20);
        if (at >= 0 && asBytes.pos === bytes.length) expect(decoded).toEqual(bytes.slice(at));
        if (decoded instanceof Uint8Array)
          expect([at >= 0, asBytes.pos, [...bytes.subarray(at, asBytes.pos)]]).toEqual([
            true,
            bytes.length,
            [...decoded],
          ]);
      }),
      { numRuns: 5_000 },
    );
  });

  it('never reads a byte outside [pos, end), and never moves pos past end, whatever the reads', () => {
    type Op =
      | { op: 'head' }
      | { op: 'argument'; major: number; max: number }
      | { op: 'byteString'; min: number; max: number }
      | { op: 'skip'; b: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ op: 'head' as const }),
      fc.record({
        op: fc.constant('argument' as const),
        major: fc.nat({ max: 7 }),
        max: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
      }),
      fc.record({
        op: fc.constant('byteString' as const),
        min: fc.nat({ max: 40 }),
        max: fc.oneof(fc.nat({ max: 300 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      }),
      fc.record({ op: fc.constant('skip' as const), b: fc.nat({ max: 255 }) }),
    );
    // Heads are more interesting than noise: bias the bytes towards initial bytes with arguments.
    const byte = fc.oneof(
      fc.nat({ max: 255 }),
      fc.constantFrom(0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x40, 0x41, 0x58, 0x59, 0x5b, 0x84, 0xa0, 0xd2),
    );
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.array(op, { maxLength: 12 }),
        (list, a, b, ops) => {
          const data = Uint8Array.from(list);
          const from = Math.min(a, b) % (data.length + 1);
          const to = from + ((Math.max(a, b) - Math.min(a, b)) % (data.length - from + 1));
          const read: number[] = [];
          const spy = new Proxy(data, {
            get(target, p) {
              if (typeof p === 'string' && /^\d+$/.test(p)) read.push(Number(p));
              return Reflect.get(target, p) as unknown;
            },
          });
          const c = new CborCursor(spy, from, to);
          for (const o of ops) {
            if (o.op === 'head') c.head();
            else if (o.op === 'argument') c.argument(o.major, o.max);
            else if (o.op === 'byteString') c.byteString(o.min, o.max);
            else c.skip(o.b);
            expect(c.pos).toBeGreaterThanOrEqual(from);
            expect(c.pos).toBeLessThanOrEqual(to);
          }
          for (const i of read) expect(i >= from && i < to).toBe(true);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('refuses a window outside its buffer', () => {
    const bytes = new Uint8Array(4);
    expect(() => new CborCursor(bytes, 0, 5)).toThrow(RangeError);
    expect(() => new CborCursor(bytes, 3, 2)).toThrow(RangeError);
    expect(() => new CborCursor(bytes, -1, 2)).toThrow(RangeError);
    expect(() => new CborCursor(bytes).reset(bytes, Number.NaN, 4)).toThrow(RangeError);
    expect(new CborCursor(bytes, 4, 4).head()).toBe(HeadFailure.Truncated);
  });
});
