import { CodecError } from '../codec/codec-error.js';
import { CoseError } from '../cose/cose-error.js';
import { openSigned, type Signed } from '../messages/signed-message.js';
import { CheckId, fail, pass, type Verification } from './check-id.js';

/**
 * openSigned as a Verification: structural failures (COSE or codec) become the 'structure' check,
 * with the typed error as `cause`; anything else is a bug and propagates.
 */
export function openOrFail<T>(
  bytes: Uint8Array,
  maxBytes: number,
  decode: (payload: Uint8Array) => T,
  what: string,
): Verification<Signed<T>> {
  try {
    return pass(openSigned(bytes, maxBytes, decode));
  } catch (e) {
    if (e instanceof CoseError || e instanceof CodecError) return fail(CheckId.Structure, `${what}: ${e.message}`, e);
    throw e;
  }
}
