import { CborError } from '../cbor/cbor-error.js';
import { decodeCbor, type CborDecodeLimits } from '../cbor/strict-decode.js';
import { CodecError, CodecErrorCode } from '../codec/codec-error.js';

/**
 * Strictly decodes the CBOR of one message, after checking its size, mapping CBOR failures to CodecError.
 * @throws CodecError TOO_LARGE or MALFORMED_CBOR (with the CborError as `cause`)
 */
export function decodePayload(
  bytes: Uint8Array,
  maxBytes: number,
  path: string,
  limits: CborDecodeLimits = {},
): unknown {
  if (bytes.length > maxBytes) {
    throw new CodecError(CodecErrorCode.TooLarge, `${path}: ${bytes.length} bytes exceed the limit of ${maxBytes}`, {
      detail: { path },
    });
  }
  try {
    return decodeCbor(bytes, { maxBytes, maxDepth: 8, ...limits });
  } catch (e) {
    if (e instanceof CborError)
      throw new CodecError(CodecErrorCode.MalformedCbor, `${path}: ${e.message}`, { cause: e, detail: { path } });
    throw e;
  }
}
