import { EhkdError } from '../errors/ehkd-error.js';

/** Stable codes of the message codec layer (a well-formed CBOR item that is not a valid message). */
export const CodecErrorCode = {
  /** The bytes are not acceptable CBOR at all; `cause` is the CborError. */
  MalformedCbor: 'CODEC_MALFORMED_CBOR',
  /** Input longer than the message's limit (checked before decoding). */
  TooLarge: 'CODEC_TOO_LARGE',
  /** Expected a map/array/integer/... and found something else. */
  WrongType: 'CODEC_WRONG_TYPE',
  /** A required field is absent. */
  MissingField: 'CODEC_MISSING_FIELD',
  /** A field this message does not define (signed payloads are closed). */
  UnknownField: 'CODEC_UNKNOWN_FIELD',
  /** A byte or text string of the wrong length. */
  WrongLength: 'CODEC_WRONG_LENGTH',
  /** An integer outside its bounds, or an unknown enumeration value. */
  OutOfRange: 'CODEC_OUT_OF_RANGE',
  /** The message-type field names another message (cross-protocol confusion is refused). */
  WrongMessageType: 'CODEC_WRONG_MESSAGE_TYPE',
  /** Fields that are individually valid but contradict each other (e.g. notAfter before notBefore). */
  Inconsistent: 'CODEC_INCONSISTENT',
} as const;
export type CodecErrorCode = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];

/** Error of the codec layer; `detail.path` names the field, e.g. 'PayReceipt.3'. */
export class CodecError extends EhkdError<CodecErrorCode, { path?: string }> {
  readonly layer = 'codec';
}
