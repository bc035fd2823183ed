import { decodeCoseSign1, payloadId, type CoseSign1 } from '../cose/cose-sign1.js';

/** A decoded, not yet verified, signed message: the COSE envelope, the typed payload and its identity. */
export interface Signed<T> {
  readonly cose: CoseSign1;
  readonly payload: T;
  /** SHA-256 of the payload bytes: the object's identity, independent of signature encoding. */
  readonly id: Uint8Array;
}

/**
 * Opens a COSE_Sign1 and decodes its payload with `decode`. The signature is NOT checked here.
 * @throws CoseError (envelope) or CodecError (payload)
 */
export function openSigned<T>(bytes: Uint8Array, maxBytes: number, decode: (payload: Uint8Array) => T): Signed<T> {
  const cose = decodeCoseSign1(bytes, maxBytes);
  return { cose, payload: decode(cose.payload), id: payloadId(cose) };
}
