import { EhkdError } from '../errors/ehkd-error.js';

/** Stable codes of the COSE layer. */
export const CoseErrorCode = {
  /** Not CBOR acceptable to our strict decoder; `cause` is the CborError. */
  MalformedCbor: 'COSE_MALFORMED_CBOR',
  /** Not a tag-18 COSE_Sign1 array of four items of the right types. */
  Structure: 'COSE_STRUCTURE',
  /** The protected header is not exactly {1: -7} (ES256), or the unprotected header is not empty. */
  UnsupportedHeader: 'COSE_UNSUPPORTED_HEADER',
  /** The signature is not 64 bytes (raw r || s). */
  SignatureLength: 'COSE_SIGNATURE_LENGTH',
  /** Detached payloads (nil) are not part of our profile. */
  DetachedPayload: 'COSE_DETACHED_PAYLOAD',
} as const;
export type CoseErrorCode = (typeof CoseErrorCode)[keyof typeof CoseErrorCode];

/** Error of the COSE layer. */
export class CoseError extends EhkdError<CoseErrorCode, { size?: number }> {
  readonly layer = 'cose';
}
