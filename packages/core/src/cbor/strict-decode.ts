import { CborError, CborErrorCode } from './cbor-error.js';
import { CborTag } from './cbor-value.js';
import type { CborValue } from './cbor-value.js';

/** Resource limits of {@link decodeCbor}; every limit is checked before anything is allocated for it. */
export interface CborDecodeLimits {
  /** Largest accepted input, in bytes. Default 65536. */
  maxBytes?: number;
  /**
   * Deepest nesting of arrays, maps and tags (a top-level array is depth 1, a scalar depth 0).
   * Default 16; values above 256 are treated as 256 so that no input can exhaust the call stack.
   */
  maxDepth?: number;
  /** Most elements in one array, or entries in one map. Default 4096. */
  maxItems?: number;
  /** Tag numbers that may appear. Default none: pass `[18]` to accept COSE_Sign1. */
  allowedTags?: readonly number[];
}

const DEFAULT_MAX_BYTES = 65_536;
const DEFAULT_MAX_DEPTH = 16;
const DEFAULT_MAX_ITEMS = 4_096;
/** Recursion is one JS frame per level; 256 stays far below any stack limit whatever the caller asks for. */
const MAX_DEPTH_CAP = 256;
const NO_TAGS: readonly number[] = [];
const EMPTY = new Uint8Array(0);

/** fatal: reject invalid UTF-8 instead of substituting U+FFFD; ignoreBOM: keep a leading U+FEFF, or re-encoding would differ. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// Decoder state for the current call. decodeCbor never calls out to user code, so calls cannot interleave;
// module-level state avoids allocating a reader object per call.
let src: Uint8Array = EMPTY;
let pos = 0;
let end = 0;
let maxDepth = DEFAULT_MAX_DEPTH;
let maxItems = DEFAULT_MAX_ITEMS;
let maxBytes = DEFAULT_MAX_BYTES;
let allowedTags: readonly number[] = NO_TAGS;

function fail(code: CborErrorCode, offset: number, message: string): never {
  throw new CborError(code, `${message} at offset ${offset}`, { detail: { offset } });
}

function need(n: number, start: number): void {
  if (end - pos < n) fail(CborErrorCode.Truncated, start, 'input ends inside a data item');
}

/** Major type 7 (RFC 8949 3.3): only false, true and null belong to our profile. */
function simple(ai: number, start: number): boolean | null {
  if (ai === 20) return false;
  if (ai === 21) return true;
  if (ai === 22) return null;
  if (ai >= 25 && ai <= 27) fail(CborErrorCode.Float, start, 'floating-point number');
  if (ai === 31) fail(CborErrorCode.IndefiniteLength, start, '"break" outside an indefinite-length item');
  return fail(CborErrorCode.Unsupported, start, ai === 23 ? 'undefined' : ai >= 28 ? 'reserved additional information' : 'unassigned simple value');
}

function text(start: number, length: number): string {
  const from = pos;
  const to = from + length;
  pos = to;
  // Short ASCII strings (all our map text) are cheaper to build by hand than through a native TextDecoder call.
  if (length <= 32) {
    let s = '';
    for (let i = from; i < to; i++) {
      const b = src[i]!;
      if (b >= 0x80) return textSlow(start, from, to);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return textSlow(start, from, to);
}

function textSlow(start: number, from: number, to: number): string {
  try {
    return utf8.decode(src.subarray(from, to));
  } catch {
    return fail(CborErrorCode.InvalidUtf8, start, 'text string is not valid UTF-8');
  }
}

/** Bytewise comparison of two encoded spans of the input (RFC 8949 4.2.1 key order). */
function compareSpans(aFrom: number, aTo: number, bFrom: number, bTo: number): number {
  const n = Math.min(aTo - aFrom, bTo - bFrom);
  for (let i = 0; i < n; i++) {
    const d = src[aFrom + i]! - src[bFrom + i]!;
    if (d !== 0) return d;
  }
  return aTo - aFrom - (bTo - bFrom);
}

/** Decodes one data item at `pos`; `depth` counts the arrays, maps and tags around it. */
function item(depth: number): unknown {
  const start = pos;
  if (pos >= end) fail(CborErrorCode.Truncated, start, 'input ends before a data item');
  const ib = src[pos++]!;
  const major = ib >> 5;
  const ai = ib & 0x1f;
  if (major === 7) return simple(ai, start);

  // The argument (RFC 8949 3.1). Each width must be needed: a value that fits a shorter head is not shortest form.
  let arg: number;
  if (ai < 24) {
    arg = ai;
  } else if (ai === 24) {
    need(1, start);
    arg = src[pos++]!;
    if (arg < 24) nonShortest(start);
  } else if (ai === 25) {
    need(2, start);
    arg = (src[pos]! << 8) | src[pos + 1]!;
    pos += 2;
    if (arg < 0x100) nonShortest(start);
  } else if (ai === 26) {
    need(4, start);
    arg = src[pos]! * 0x100_0000 + ((src[pos + 1]! << 16) | (src[pos + 2]! << 8) | src[pos + 3]!);
    pos += 4;
    if (arg < 0x1_0000) nonShortest(start);
  } else if (ai === 27) {
    need(8, start);
    const hi = src[pos]! * 0x100_0000 + ((src[pos + 1]! << 16) | (src[pos + 2]! << 8) | src[pos + 3]!);
    const lo = src[pos + 4]! * 0x100_0000 + ((src[pos + 5]! << 16) | (src[pos + 6]! << 8) | src[pos + 7]!);
    pos += 8;
    if (hi === 0) nonShortest(start);
    if (hi >= 0x20_0000) {
      // 2^53 or more: exact only as a bigint, and far beyond any length, count or tag we could accept.
      if (major === 0) return (BigInt(hi) << 32n) | BigInt(lo);
      if (major === 1) return -1n - ((BigInt(hi) << 32n) | BigInt(lo));
      if (major === 6) fail(CborErrorCode.TagNotAllowed, start, 'tag number beyond 2^53');
      return fail(CborErrorCode.TooLarge, start, 'declared length or count beyond 2^53');
    }
    arg = hi * 0x1_0000_0000 + lo;
  } else if (ai === 31) {
    return fail(
      major >= 2 && major <= 5 ? CborErrorCode.IndefiniteLength : CborErrorCode.Unsupported,
      start,
      major >= 2 && major <= 5 ? 'indefinite-length item' : 'additional information 31 is not well-formed here',
    );
  } else {
    return fail(CborErrorCode.Unsupported, start, 'reserved additional information');
  }

  switch (major) {
    case 0:
      return arg;
    case 1:
      // -1 - (2^53 - 1) = -2^53 is no longer a safe integer.
      return arg < Number.MAX_SAFE_INTEGER ? -1 - arg : -1n - BigInt(arg);
    case 2:
    case 3: {
      if (arg > end - pos) {
        fail(arg > maxBytes ? CborErrorCode.TooLarge : CborErrorCode.Truncated, start, `string of declared length ${arg} does not fit`);
      }
      if (major === 3) return text(start, arg);
      const bytes = src.slice(pos, pos + arg);
      pos += arg;
      return bytes;
    }
    case 4: {
      enterContainer(depth, start, arg, 1);
      const array: unknown[] = [];
      for (let i = 0; i < arg; i++) array.push(item(depth + 1));
      return array;
    }
    case 5: {
      enterContainer(depth, start, arg, 2);
      const map = new Map<unknown, unknown>();
      let prevFrom = 0;
      let prevTo = 0;
      for (let i = 0; i < arg; i++) {
        const keyFrom = pos;
        const key = item(depth + 1);
        if (i > 0) {
          const order = compareSpans(prevFrom, prevTo, keyFrom, pos);
          if (order === 0) fail(CborErrorCode.DuplicateKey, keyFrom, 'duplicate map key');
          if (order > 0) fail(CborErrorCode.KeyOrder, keyFrom, 'map key out of canonical order');
        }
        prevFrom = keyFrom;
        prevTo = pos;
        map.set(key, item(depth + 1));
      }
      return map;
    }
    default: {
      // Major type 6: a tag.
      if (!allowedTags.includes(arg)) fail(CborErrorCode.TagNotAllowed, start, `tag ${arg} is not allowed`);
      if (depth >= maxDepth) fail(CborErrorCode.TooDeep, start, `nesting deeper than ${maxDepth}`);
      return new CborTag(arg, item(depth + 1) as CborValue);
    }
  }
}

function nonShortest(start: number): never {
  return fail(CborErrorCode.NonShortestForm, start, 'argument not in shortest form');
}

/** Depth and size checks of an array (`minBytesPerItem` 1) or map (2), before anything is allocated for it. */
function enterContainer(depth: number, start: number, count: number, minBytesPerItem: number): void {
  if (depth >= maxDepth) fail(CborErrorCode.TooDeep, start, `nesting deeper than ${maxDepth}`);
  if (count > maxItems) fail(CborErrorCode.TooLarge, start, `${count} items exceed the limit of ${maxItems}`);
  if (count * minBytesPerItem > end - pos) fail(CborErrorCode.Truncated, start, `${count} declared items cannot fit in the remaining input`);
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`CborDecodeLimits.${name} must be a non-negative integer, got ${value}`);
  return value;
}

/**
 * Decodes exactly one CBOR data item and accepts only RFC 8949 section 4.2.1 core deterministic encoding
 * within our profile ({@link CborValue}); anything else is rejected rather than normalised, so the bytes a
 * signature covers are the only possible encoding of what is returned.
 *
 * Returns integers as `number` when safe and as `bigint` otherwise, byte strings as fresh plain `Uint8Array`
 * copies (never views of `bytes`), maps as `Map` in key order, tags as {@link CborTag}.
 *
 * @param limits See {@link CborDecodeLimits}; defaults maxBytes 65536, maxDepth 16, maxItems 4096, no tags.
 * @throws {CborError} for every malformed, non-canonical or over-limit input, never anything else:
 *   `CBOR_TRUNCATED`, `CBOR_TRAILING_BYTES`, `CBOR_NON_SHORTEST`, `CBOR_INDEFINITE_LENGTH`, `CBOR_KEY_ORDER`,
 *   `CBOR_DUPLICATE_KEY`, `CBOR_FLOAT`, `CBOR_UNSUPPORTED` (simple values other than false/true/null,
 *   reserved additional information), `CBOR_TAG_NOT_ALLOWED`, `CBOR_INVALID_UTF8`, `CBOR_TOO_DEEP`,
 *   `CBOR_TOO_LARGE`; `detail.offset` is where the offending item starts.
 * @throws {TypeError} if `bytes` is not a Uint8Array, {RangeError} if a limit is not a non-negative integer
 *   (programming errors, not input errors).
 * @example
 * const msg = decodeCbor(apduData, { allowedTags: [18] });
 * // Uint8Array a2 01 41 ff 02 61 62 => Map { 1 => Uint8Array [0xff], 2 => 'b' }
 */
export function decodeCbor(bytes: Uint8Array, limits?: CborDecodeLimits): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeCbor expects a Uint8Array');
  maxBytes = limit(limits?.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes');
  maxDepth = Math.min(limit(limits?.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth'), MAX_DEPTH_CAP);
  maxItems = limit(limits?.maxItems, DEFAULT_MAX_ITEMS, 'maxItems');
  allowedTags = limits?.allowedTags ?? NO_TAGS;
  if (bytes.length > maxBytes) fail(CborErrorCode.TooLarge, maxBytes, `input of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  // A plain view makes slice() return plain Uint8Array copies; Buffer#slice would return views of the input.
  src = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  end = src.length;
  try {
    const value = item(0);
    if (pos !== end) fail(CborErrorCode.TrailingBytes, pos, `${end - pos} bytes after the data item`);
    return value;
  } finally {
    // Do not keep the caller's buffer alive between calls.
    src = EMPTY;
  }
}
