import { TransportError, TransportErrorCode } from '../transport/transport-error.js';

/** A response APDU split into its data and its status word (SW1 << 8 | SW2). */
export interface ResponseApdu {
  readonly data: Uint8Array;
  /** Compare with `StatusWord` values: status words are numbers, never text. */
  readonly sw: number;
}

/** Most response data in a short R-APDU (Le = 00 asks for 256). */
export const MAX_SHORT_RESPONSE_DATA = 256;

/**
 * Splits an R-APDU into response data and status word. The data is a view into `bytes`.
 * @throws TransportError MALFORMED_RESPONSE if there are fewer than 2 bytes (no status word).
 * @example
 * const { data, sw } = parseResponseApdu(await connection.transmit(command));
 * if (sw !== StatusWord.Ok) ...
 */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu {
  const n = bytes.length;
  if (n < 2)
    throw new TransportError(TransportErrorCode.MalformedResponse, `an R-APDU ends with SW1 SW2, got ${n} byte(s)`);
  return { data: bytes.subarray(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}

/**
 * Builds an R-APDU: `data` followed by the status word.
 * @throws RangeError if `sw` is not 0x0000..0xFFFF or `data` exceeds 256 bytes (misuse).
 * @example buildResponseApdu(StatusWord.Ok, receipt) // receipt || 90 00
 */
export function buildResponseApdu(sw: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError(`a status word is 16 bits, got ${sw}`);
  if (data.length > MAX_SHORT_RESPONSE_DATA)
    throw new RangeError(`a short R-APDU carries at most ${MAX_SHORT_RESPONSE_DATA} data bytes, got ${data.length}`);
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >>> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}
