import { CborError, CborErrorCode } from './cbor-error.js';
import { CborTag } from './cbor-value.js';
import type { CborValue } from './cbor-value.js';
import { CborCursor, HeadFailure } from './cbor-cursor.js';

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

/** fatal: reject invalid UTF-8 instead of substituting U+FFFD; ignoreBOM: keep a leading U+FEFF, or re-encoding would differ. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(code: CborErrorCode, offset: number, message: string): never {
  throw new CborError(code, `${message} at offset ${offset}`, { detail: { offset } });
}

/** Major type 7 (RFC 8949 3.3): only false, true and null belong to our profile. */
function simple(ai: number, start: number): boolean | null {
  if (ai === 20) return false;
  if (ai === 21) return true;
  if (ai === 22) return null;
  if (ai >= 25 && ai <= 27) fail(CborErrorCode.Float, start, 'floating-point number');
  if (ai === 31) fail(CborErrorCode.IndefiniteLength, start, '"break" outside an indefinite-length item');
  return fail(
    CborErrorCode.Unsupported,
    start,
    ai === 23 ? 'undefined' : ai >= 28 ? 'reserved additional information' : 'unassigned simple value',
  );
}

function nonShortest(start: number): never {
  return fail(CborErrorCode.NonShortestForm, start, 'argument not in shortest form');
}

/** The 8-byte argument of the head at `start`, which the cursor declined as 2^53 or more. */
function wideArgument(bytes: Uint8Array, start: number): bigint {
  const hi =
    (bytes[start + 1] as number) * 0x100_0000 +
    (((bytes[start + 2] as number) << 16) | ((bytes[start + 3] as number) << 8) | (bytes[start + 4] as number));
  const lo =
    (bytes[start + 5] as number) * 0x100_0000 +
    (((bytes[start + 6] as number) << 16) | ((bytes[start + 7] as number) << 8) | (bytes[start + 8] as number));
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** One decodeCbor call: the shared cursor over the input, and the call's limits. */
class StrictDecoder {
  readonly cursor: CborCursor;

  constructor(
    src: Uint8Array,
    private readonly maxBytes: number,
    private readonly maxDepth: number,
    private readonly maxItems: number,
    private readonly allowedTags: readonly number[],
  ) {
    this.cursor = new CborCursor(src);
  }

  /** Decodes one data item at the cursor; `depth` counts the arrays, maps and tags around it. */
  item(depth: number): unknown {
    const c = this.cursor;
    const start = c.pos;
    if (start >= c.end) fail(CborErrorCode.Truncated, start, 'input ends before a data item');
    const ib = c.bytes[start] as number;
    if (ib >> 5 === 7) {
      c.pos = start + 1;
      return simple(ib & 0x1f, start);
    }
    const arg = c.head();
    const major = c.major;
    if (arg < 0) {
      if (arg === HeadFailure.Truncated) fail(CborErrorCode.Truncated, start, 'input ends inside a data item');
      if (arg === HeadFailure.NonShortest) nonShortest(start);
      if (arg === HeadFailure.Beyond2To53) {
        // Exact only as a bigint, and far beyond any length, count or tag we could accept.
        if (major === 0) return wideArgument(c.bytes, start);
        if (major === 1) return -1n - wideArgument(c.bytes, start);
        if (major === 6) fail(CborErrorCode.TagNotAllowed, start, 'tag number beyond 2^53');
        return fail(CborErrorCode.TooLarge, start, 'declared length or count beyond 2^53');
      }
      if (arg === HeadFailure.Indefinite) {
        return fail(
          major >= 2 && major <= 5 ? CborErrorCode.IndefiniteLength : CborErrorCode.Unsupported,
          start,
          major >= 2 && major <= 5 ? 'indefinite-length item' : 'additional information 31 is not well-formed here',
        );
      }
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
        const from = c.pos;
        if (arg > c.end - from) {
          fail(
            arg > this.maxBytes ? CborErrorCode.TooLarge : CborErrorCode.Truncated,
            start,
            `string of declared length ${arg} does not fit`,
          );
        }
        c.pos = from + arg;
        if (major === 3) return this.text(start, from, c.pos);
        // A plain view (see decodeCbor) makes slice() return a plain Uint8Array copy.
        return c.bytes.slice(from, c.pos);
      }
      case 4: {
        this.enterContainer(depth, start, arg, 1);
        const array: unknown[] = [];
        for (let i = 0; i < arg; i++) array.push(this.item(depth + 1));
        return array;
      }
      case 5: {
        this.enterContainer(depth, start, arg, 2);
        const map = new Map<unknown, unknown>();
        let prevFrom = 0;
        let prevTo = 0;
        for (let i = 0; i < arg; i++) {
          const keyFrom = c.pos;
          const key = this.item(depth + 1);
          if (i > 0) {
            const order = this.compareSpans(prevFrom, prevTo, keyFrom, c.pos);
            if (order === 0) fail(CborErrorCode.DuplicateKey, keyFrom, 'duplicate map key');
            if (order > 0) fail(CborErrorCode.KeyOrder, keyFrom, 'map key out of canonical order');
          }
          prevFrom = keyFrom;
          prevTo = c.pos;
          map.set(key, this.item(depth + 1));
        }
        return map;
      }
      default: {
        // Major type 6: a tag.
        if (!this.allowedTags.includes(arg)) fail(CborErrorCode.TagNotAllowed, start, `tag ${arg} is not allowed`);
        if (depth >= this.maxDepth) fail(CborErrorCode.TooDeep, start, `nesting deeper than ${this.maxDepth}`);
        return new CborTag(arg, this.item(depth + 1) as CborValue);
      }
    }
  }

  /** The text string at `bytes[from..to)`, whose head starts at `start`. */
  private text(start: number, from: number, to: number): string {
    const src = this.cursor.bytes;
    // Short ASCII strings (all our map text) are cheaper to build by hand than through a native TextDecoder call.
    if (to - from <= 32) {
      let s = '';
      for (let i = from; i < to; i++) {
        const b = src[i] as number;
        if (b >= 0x80) return this.textSlow(start, from, to);
        s += String.fromCharCode(b);
      }
      return s;
    }
    return this.textSlow(start, from, to);
  }

  private textSlow(start: number, from: number, to: number): string {
    try {
      return utf8.decode(this.cursor.bytes.subarray(from, to));
    } catch {
      return fail(CborErrorCode.InvalidUtf8, start, 'text string is not valid UTF-8');
    }
  }

  /** Bytewise comparison of two encoded spans of the input (RFC 8949 4.2.1 key order). */
  private compareSpans(aFrom: number, aTo: number, bFrom: number, bTo: number): number {
    const src = this.cursor.bytes;
    const n = Math.min(aTo - aFrom, bTo - bFrom);
    for (let i = 0; i < n; i++) {
      const d = (src[aFrom + i] as number) - (src[bFrom + i] as number);
      if (d !== 0) return d;
    }
    return aTo - aFrom - (bTo - bFrom);
  }

  /** Depth and size checks of an array (`minBytesPerItem` 1) or map (2), before anything is allocated for it. */
  private enterContainer(depth: number, start: number, count: number, minBytesPerItem: number): void {
    if (depth >= this.maxDepth) fail(CborErrorCode.TooDeep, start, `nesting deeper than ${this.maxDepth}`);
    if (count > this.maxItems)
      fail(CborErrorCode.TooLarge, start, `${count} items exceed the limit of ${this.maxItems}`);
    if (count * minBytesPerItem > this.cursor.end - this.cursor.pos)
      fail(CborErrorCode.Truncated, start, `${count} declared items cannot fit in the remaining input`);
  }
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`CborDecodeLimits.${name} must be a non-negative integer, got ${value}`);
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
  const maxBytes = limit(limits?.maxBytes, DEFAULT_MAX_BYTES, 'maxBytes');
  const maxDepth = Math.min(limit(limits?.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth'), MAX_DEPTH_CAP);
  const maxItems = limit(limits?.maxItems, DEFAULT_MAX_ITEMS, 'maxItems');
  const allowedTags = limits?.allowedTags ?? NO_TAGS;
  if (bytes.length > maxBytes)
    fail(CborErrorCode.TooLarge, maxBytes, `input of ${bytes.length} bytes exceeds the limit of ${maxBytes}`);
  // A plain view makes slice() return plain Uint8Array copies; Buffer#slice would return views of the input.
  const src =
    bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // State per call (nothing module-level), so nothing keeps the caller's buffer alive afterwards.
  const decoder = new StrictDecoder(src, maxBytes, maxDepth, maxItems, allowedTags);
  const value = decoder.item(0);
  const c = decoder.cursor;
  if (c.pos !== c.end) fail(CborErrorCode.TrailingBytes, c.pos, `${c.end - c.pos} bytes after the data item`);
  return value;
}
