import { CborTag } from '../cbor/cbor-value.js';
import { CodecError, CodecErrorCode } from './codec-error.js';

/**
 * Reads one CBOR map with small-integer keys field by field, with explicit types and limits,
 * and refuses keys that were not read (`done()`), so every message codec is closed and explicit.
 */
export class MapReader {
  private readonly seen = new Set<number>();
  private readonly map: ReadonlyMap<unknown, unknown>;

  constructor(
    value: unknown,
    private readonly path: string,
  ) {
    if (!(value instanceof Map))
      throw new CodecError(CodecErrorCode.WrongType, `${path}: expected a map`, { detail: { path } });
    this.map = value;
  }

  /** True if the optional field `key` is present. */
  has(key: number): boolean {
    return this.map.has(key);
  }

  /** The raw value of a required field. */
  any(key: number): unknown {
    this.seen.add(key);
    if (!this.map.has(key)) throw this.error(CodecErrorCode.MissingField, key, 'missing');
    return this.map.get(key);
  }

  /** Unsigned integer in [min, max] (both safe integers). */
  uint(key: number, max: number, min = 0): number {
    const v = this.any(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      throw this.error(CodecErrorCode.WrongType, key, 'expected an unsigned integer');
    if (v < min || v > max) throw this.error(CodecErrorCode.OutOfRange, key, `expected ${min}..${max}, got ${v}`);
    return v;
  }

  /** Byte string of exactly `length` bytes, or of `length.min`..`length.max` bytes. */
  bytes(key: number, length: number | { min: number; max: number }): Uint8Array {
    return checkBytes(this.any(key), length, `${this.path}.${key}`);
  }

  /** Text string of at most `maxBytes` bytes in UTF-8 (byte lengths are what every language agrees on). */
  text(key: number, maxBytes: number): string {
    const v = this.any(key);
    if (typeof v !== 'string') throw this.error(CodecErrorCode.WrongType, key, 'expected a text string');
    if (utf8Length(v) > maxBytes)
      throw this.error(CodecErrorCode.WrongLength, key, `longer than ${maxBytes} bytes of UTF-8`);
    return v;
  }

  /** An array of at most `maxItems` items, each read by `item`. */
  array<T>(key: number, maxItems: number, item: (value: unknown, path: string) => T, minItems = 0): T[] {
    const v = this.any(key);
    if (!Array.isArray(v)) throw this.error(CodecErrorCode.WrongType, key, 'expected an array');
    if (v.length > maxItems || v.length < minItems)
      throw this.error(CodecErrorCode.WrongLength, key, `expected ${minItems}..${maxItems} items`);
    return v.map((x, i) => item(x, `${this.path}.${key}[${i}]`));
  }

  /** A nested map read by `read`. */
  nested<T>(key: number, read: (reader: MapReader) => T): T {
    const reader = new MapReader(this.any(key), `${this.path}.${key}`);
    const out = read(reader);
    reader.done();
    return out;
  }

  /** Asserts that the message type field (key 0) equals `type`. */
  messageType(type: number): void {
    const v = this.any(0);
    if (v !== type)
      throw this.error(CodecErrorCode.WrongMessageType, 0, `expected message type ${type}, got ${String(v)}`);
  }

  /** Refuses any key not read: signed payloads are closed, unknown fields are not ignored. */
  done(): void {
    for (const key of this.map.keys()) {
      if (typeof key !== 'number' || !this.seen.has(key)) {
        throw new CodecError(CodecErrorCode.UnknownField, `${this.path}: unknown field ${String(key)}`, {
          detail: { path: `${this.path}.${String(key)}` },
        });
      }
    }
  }

  private error(code: CodecErrorCode, key: number, message: string): CodecError {
    const path = `${this.path}.${key}`;
    return new CodecError(code, `${path}: ${message}`, { detail: { path } });
  }
}

const utf8 = new TextEncoder();

/** Length of `text` in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

/** The longest prefix of `text`, cut between code points, that fits `maxBytes` bytes of UTF-8. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * Checks that `value` is a byte string of the given length (exact or range).
 * @throws CodecError WRONG_TYPE or WRONG_LENGTH
 */
export function checkBytes(value: unknown, length: number | { min: number; max: number }, path: string): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new CodecError(CodecErrorCode.WrongType, `${path}: expected a byte string`, { detail: { path } });
  const ok =
    typeof length === 'number' ? value.length === length : value.length >= length.min && value.length <= length.max;
  if (!ok)
    throw new CodecError(CodecErrorCode.WrongLength, `${path}: byte string of wrong length ${value.length}`, {
      detail: { path },
    });
  return value;
}

/** Reads a tagged item with the given tag. @throws CodecError WRONG_TYPE */
export function checkTag(value: unknown, tag: number, path: string): unknown {
  if (!(value instanceof CborTag) || value.tag !== tag)
    throw new CodecError(CodecErrorCode.WrongType, `${path}: expected tag ${tag}`, { detail: { path } });
  return value.value;
}
