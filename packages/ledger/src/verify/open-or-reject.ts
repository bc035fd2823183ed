import { CheckId, CodecError, CoseError, fail, openSigned, pass, type Signed, type Verification } from '@ehkd/core';

/**
 * openSigned as a Verification: COSE and codec failures become the 'structure' check (core has the same helper,
 * `openOrFail`, but does not export it).
 */
export function openOrReject<T>(bytes: Uint8Array, maxBytes: number, decode: (payload: Uint8Array) => T, what: string): Verification<Signed<T>> {
  try {
    return pass(openSigned(bytes, maxBytes, decode));
  } catch (e) {
    if (e instanceof CoseError || e instanceof CodecError) return fail(CheckId.Structure, `${what}: ${e.message}`, e);
    throw e;
  }
}
