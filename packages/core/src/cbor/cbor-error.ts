import { EhkdError } from '../errors/ehkd-error.js';

/** Stable codes of the CBOR layer. */
export const CborErrorCode = {
  /** Input ended inside a data item. */
  Truncated: 'CBOR_TRUNCATED',
  /** Bytes remain after the one top-level data item. */
  TrailingBytes: 'CBOR_TRAILING_BYTES',
  /** An integer, length or tag argument is not in its shortest form (RFC 8949 4.2.1). */
  NonShortestForm: 'CBOR_NON_SHORTEST',
  /** Indefinite-length string, array or map. */
  IndefiniteLength: 'CBOR_INDEFINITE_LENGTH',
  /** Map keys not in bytewise lexicographic order of their encodings. */
  KeyOrder: 'CBOR_KEY_ORDER',
  /** The same map key twice. */
  DuplicateKey: 'CBOR_DUPLICATE_KEY',
  /** Floating-point numbers are not part of our profile. */
  Float: 'CBOR_FLOAT',
  /** Simple values other than false, true, null; reserved additional-information values 28-30. */
  Unsupported: 'CBOR_UNSUPPORTED',
  /** A tag not in the caller's allowed set. */
  TagNotAllowed: 'CBOR_TAG_NOT_ALLOWED',
  /** Text string is not valid UTF-8. */
  InvalidUtf8: 'CBOR_INVALID_UTF8',
  /** Nesting deeper than the limit. */
  TooDeep: 'CBOR_TOO_DEEP',
  /** Input, a string, or an array/map count larger than the limit (checked before allocating). */
  TooLarge: 'CBOR_TOO_LARGE',
  /** Integer outside the 64-bit range our model supports (negative below -2^64). */
  IntegerRange: 'CBOR_INTEGER_RANGE',
  /** Encoding was asked for a value outside the data model (float, undefined, object, ...): misuse. */
  Unencodable: 'CBOR_UNENCODABLE',
} as const;
export type CborErrorCode = (typeof CborErrorCode)[keyof typeof CborErrorCode];

/** Error of the CBOR layer; `detail.offset` says where in the input the problem is. */
export class CborError extends EhkdError<CborErrorCode, { offset?: number }> {
  readonly layer = 'cbor';
}
