import { Encoder, Tag } from 'cbor-x';
import type { Options as CborXOptions } from 'cbor-x';
import { CborError, CborErrorCode } from './cbor-error.js';
import { CborTag } from './cbor-value.js';
import type { CborValue } from './cbor-value.js';

/**
 * Deepest nesting of arrays, maps and tags the encoder accepts. It matches the decoder's hard cap, so
 * everything we encode can be decoded again, and it turns a cyclic value into a CborError instead of a
 * stack overflow.
 */
const MAX_ENCODE_DEPTH = 256;

const TWO_POW_64 = 1n << 64n;

/**
 * Every option that can change the bytes is pinned, even where it matches today's default, because cbor-x's
 * defaults shift with how it is constructed (`new Encoder({ useRecords: false })` tags every Map with 259,
 * `new Encoder()` does not but tags every Uint8Array with 64). Checked one by one against cbor-x 1.6.9:
 * - mapsAsObjects false + useTag259ForMaps false: no tag 259 around Maps;
 * - tagUint8Array false: no tag 64 on a plain Uint8Array (a Buffer is never tagged: its constructor differs);
 * - structuredClone false: a Uint8Array (or array) used twice would become tag 28/29 shared references;
 * - pack, bundleStrings false: repeated strings would become tag 51 / 0xdff9 string tables;
 * - useSelfDescribedHeader false: no 0xd9d9f7 prefix; alwaysUseFloat false: integers stay integers;
 * - useRecords false, variableMapSize true: only plain objects are affected, and we reject those before cbor-x.
 * `useTag259ForMaps` is honoured by cbor-x but missing from its typings, hence the widened type.
 * The options object is frozen; the Encoder instance cannot be, because cbor-x assigns `encoder.offset` on
 * every call (a frozen instance makes encode throw). It is never exported.
 */
const CBORX_OPTIONS: Readonly<CborXOptions & { useTag259ForMaps: boolean }> = Object.freeze({
  useRecords: false,
  mapsAsObjects: false,
  useTag259ForMaps: false,
  tagUint8Array: false,
  variableMapSize: true,
  pack: false,
  bundleStrings: false,
  structuredClone: false,
  useSelfDescribedHeader: false,
  alwaysUseFloat: false,
});
const cborx = new Encoder(CBORX_OPTIONS);

/**
 * A subtree cbor-x cannot write exactly: the integer -2^64 (cbor-x writes it as a tag-3 bignum) and tags
 * of 2^32 or more (cbor-x truncates the tag number to 32 bits). Its head is written here and its children
 * are encoded one by one; any container holding one is spliced the same way. Such values never reach cbor-x.
 */
class Spliced {
  constructor(
    readonly head: Uint8Array,
    readonly children: readonly unknown[],
  ) {}
}

function fail(code: CborErrorCode, message: string): never {
  throw new CborError(code, message);
}

/** Shortest-form head of major type `major` with argument `arg` (RFC 8949 4.2.1). Only used for spliced subtrees. */
function head(major: number, arg: bigint): Uint8Array {
  const mt = major << 5;
  if (arg < 24n) return Uint8Array.of(mt | Number(arg));
  const size = arg < 0x100n ? 1 : arg < 0x1_0000n ? 2 : arg < 0x1_0000_0000n ? 4 : 8;
  const out = new Uint8Array(1 + size);
  out[0] = mt | (size === 1 ? 24 : size === 2 ? 25 : size === 4 ? 26 : 27);
  for (let i = size, rest = arg; i >= 1; i--, rest >>= 8n) out[i] = Number(rest & 0xffn);
  return out;
}

/**
 * cbor-x writes numbers in [-2^32, 2^32-1] in shortest form but anything outside as float64, and writes
 * every bigint with an 8-byte argument. So: 32-bit values go to cbor-x as numbers, larger ones as bigints,
 * where the 8-byte argument is then the shortest form.
 */
function prepareNumber(n: number): number | bigint {
  // Non-integers, NaN, ±Infinity and integers past 2^53 (which may already have been rounded) are all misuse.
  // -0 passes: it is the integer zero, and cbor-x writes it as 0x00 (`-0 >>> 0 === -0`).
  if (!Number.isSafeInteger(n))
    fail(CborErrorCode.Unencodable, `${n} is not a safe integer (floats are not encodable)`);
  return n >= -0x1_0000_0000 && n <= 0xffff_ffff ? n : BigInt(n);
}

function prepareBigint(n: bigint): number | bigint | Spliced {
  if (n >= -0x1_0000_0000n && n <= 0xffff_ffffn) return Number(n);
  if (n > -TWO_POW_64 && n < TWO_POW_64) return n;
  if (n === -TWO_POW_64) return new Spliced(head(1, TWO_POW_64 - 1n), []);
  return fail(CborErrorCode.IntegerRange, `integer ${n} is outside -2^64..2^64-1`);
}

/** Canonical order of two integer keys: non-negative ascending, then negative by ascending magnitude. */
function compareIntKeys(a: number | bigint, b: number | bigint): number {
  const aNeg = a < 0;
  if (aNeg !== b < 0) return aNeg ? 1 : -1;
  // Relational operators compare number and bigint exactly, so mixed keys need no conversion.
  const less = a < b;
  if (!less && !(a > b)) return 0;
  return less !== aNeg ? -1 : 1;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function duplicateKey(): never {
  return fail(CborErrorCode.DuplicateKey, 'two map keys have the same encoding (for example 1 and 1n)');
}

function prepareArray(array: readonly unknown[], depth: number): unknown {
  const n = array.length;
  // A subclass of Array would reach cbor-x's iterable path and come out as an indefinite-length array.
  let out: unknown[] | undefined = array.constructor === Array ? undefined : [];
  let spliced = false;
  for (let i = 0; i < n; i++) {
    const item = array[i];
    const p = prepare(item, depth);
    if (p instanceof Spliced) spliced = true;
    if (out === undefined && p !== item) out = array.slice(0, i);
    if (out !== undefined) out.push(p);
  }
  if (spliced) return new Spliced(head(4, BigInt(n)), out ?? array);
  return out ?? array;
}

function prepareMap(map: ReadonlyMap<unknown, unknown>, depth: number): unknown {
  // Flat [k0, v0, k1, v1, ...] of prepared entries, created only once something has to change.
  // A subclass of Map would reach cbor-x's iterable path and come out as an indefinite-length array.
  let flat: unknown[] | undefined = map.constructor === Map ? undefined : [];
  let intKeys = true;
  let sorted = true;
  let spliced = false;
  let prev: number | bigint = 0;
  let i = 0;
  for (const [key, value] of map) {
    const pk = prepare(key, depth);
    const pv = prepare(value, depth);
    if (intKeys) {
      if (typeof pk === 'number' || typeof pk === 'bigint') {
        if (i > 0) {
          const c = compareIntKeys(prev, pk);
          if (c === 0) duplicateKey();
          if (c > 0) sorted = false;
        }
        prev = pk;
      } else {
        intKeys = false;
      }
    }
    if (pk instanceof Spliced || pv instanceof Spliced) spliced = true;
    if (flat === undefined && (pk !== key || pv !== value)) {
      flat = [];
      // Entries before this one were unchanged, so their originals are their prepared forms.
      let j = 0;
      for (const [k, v] of map) {
        if (j++ === i) break;
        flat.push(k, v);
      }
    }
    flat?.push(pk, pv);
    i++;
  }
  // Fast path, and the shape of all our messages: ascending integer keys, nothing to rewrite, no allocation.
  if (flat === undefined && intKeys && sorted && !spliced) return map;

  if (flat === undefined) {
    flat = [];
    for (const [k, v] of map) flat.push(k, v);
  }
  const n = flat.length / 2;
  const order: number[] = [];
  for (let e = 0; e < n; e++) order.push(e);
  if (intKeys) {
    if (!sorted) {
      const keys = flat;
      order.sort((a, b) => compareIntKeys(keys[2 * a] as number | bigint, keys[2 * b] as number | bigint));
      for (let e = 1; e < n; e++)
        if (compareIntKeys(keys[2 * order[e - 1]!] as number | bigint, keys[2 * order[e]!] as number | bigint) === 0)
          duplicateKey();
    }
  } else {
    // General case (RFC 8949 4.2.1): bytewise lexicographic order of the keys' deterministic encodings.
    const encodedKeys: Uint8Array[] = [];
    for (let e = 0; e < n; e++) encodedKeys.push(encodePrepared(flat[2 * e]));
    order.sort((a, b) => compareBytes(encodedKeys[a]!, encodedKeys[b]!));
    for (let e = 1; e < n; e++)
      if (compareBytes(encodedKeys[order[e - 1]!]!, encodedKeys[order[e]!]!) === 0) duplicateKey();
  }
  const entries = flat;
  if (spliced) {
    const children: unknown[] = [];
    for (const e of order) children.push(entries[2 * e], entries[2 * e + 1]);
    return new Spliced(head(5, BigInt(n)), children);
  }
  const out = new Map<unknown, unknown>();
  for (const e of order) out.set(entries[2 * e], entries[2 * e + 1]);
  return out;
}

function prepareTag(tag: CborTag, depth: number): Tag | Spliced {
  const t = tag.tag;
  if (!Number.isSafeInteger(t) || t < 0)
    fail(CborErrorCode.Unencodable, `tag number ${t} is not a non-negative safe integer`);
  const content = prepare(tag.value, depth);
  if (t <= 0xffff_ffff && !(content instanceof Spliced)) return new Tag(content, t);
  return new Spliced(head(6, BigInt(t)), [content]);
}

/** A lone UTF-16 surrogate has no UTF-8 encoding; cbor-x would write invalid UTF-8 or U+FFFD depending on length. */
const LONE_SURROGATE = /\p{Surrogate}/u;

function enter(depth: number): number {
  if (depth >= MAX_ENCODE_DEPTH) fail(CborErrorCode.TooDeep, `nesting deeper than ${MAX_ENCODE_DEPTH} (or a cycle)`);
  return depth + 1;
}

/**
 * Validates `value` against the data model and rewrites what cbor-x would get wrong, returning the original
 * object wherever nothing had to change. `depth` counts the containers around `value`.
 */
function prepare(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'number':
      return prepareNumber(value);
    case 'bigint':
      return prepareBigint(value);
    case 'string':
      if (LONE_SURROGATE.test(value)) fail(CborErrorCode.Unencodable, 'text string contains a lone surrogate');
      return value;
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      // Covers Buffer, which cbor-x writes untagged like a plain Uint8Array once tagUint8Array is false.
      if (value instanceof Uint8Array) return value;
      if (Array.isArray(value)) return prepareArray(value, enter(depth));
      if (value instanceof Map) return prepareMap(value, enter(depth));
      if (value instanceof CborTag) return prepareTag(value, enter(depth));
      return fail(
        CborErrorCode.Unencodable,
        `${value.constructor?.name ?? 'null-prototype object'} is not in the CBOR data model`,
      );
    default:
      return fail(CborErrorCode.Unencodable, `${typeof value} is not in the CBOR data model`);
  }
}

function encodePrepared(prepared: unknown): Uint8Array {
  if (!(prepared instanceof Spliced)) {
    // cbor-x returns a Buffer view into its module-global scratch buffer, shared with every other cbor-x user
    // in the process: copy into an owned plain Uint8Array (allocate + set measured faster than new Uint8Array(view)).
    const view = cborx.encode(prepared);
    const owned = new Uint8Array(view.length);
    owned.set(view);
    return owned;
  }
  const parts = [prepared.head];
  let length = prepared.head.length;
  for (const child of prepared.children) {
    const bytes = encodePrepared(child);
    parts.push(bytes);
    length += bytes.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Encodes a value with RFC 8949 section 4.2.1 core deterministic encoding: shortest-form heads, definite
 * lengths, map keys sorted bytewise by their encodings, no floats, byte strings untagged.
 *
 * Integers may be given as `number` (safe integers only; -0 is encoded as 0) or `bigint` (-2^64..2^64-1);
 * either way the shortest integer form is written, so `5` and `5n` give the same bytes.
 * A Node Buffer is written as a plain byte string. Subclasses of Array and Map are written as plain
 * (definite-length) arrays and maps. Map insertion order does not matter.
 *
 * @throws {CborError} `CBOR_UNENCODABLE` for anything outside {@link CborValue}: non-integer numbers, NaN,
 *   ±Infinity, unsafe integer numbers, `undefined`, plain objects, functions, symbols, other typed arrays,
 *   strings with lone surrogates, tag numbers that are not non-negative safe integers;
 *   `CBOR_INTEGER_RANGE` for a bigint outside -2^64..2^64-1;
 *   `CBOR_DUPLICATE_KEY` when two distinct Map keys have the same encoding (e.g. `1` and `1n`);
 *   `CBOR_TOO_DEEP` for more than 256 nested arrays/maps/tags (also what a cyclic value produces).
 * @returns A fresh plain `Uint8Array` owned by the caller (never a Buffer, never a view of a shared buffer).
 * @example
 * encodeCbor(new Map([[2, 'b'], [1, new Uint8Array([0xff])]]));
 * // => Uint8Array a2 01 41 ff 02 61 62
 */
export function encodeCbor(value: CborValue): Uint8Array {
  return encodePrepared(prepare(value, 0));
}
