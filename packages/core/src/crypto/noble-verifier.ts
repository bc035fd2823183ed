import { p256 } from '@noble/curves/nist.js';
import { ES256_SIGNATURE_LENGTH, type SignatureVerifier } from './signature-verifier.js';

/**
 * Portable ES256 verifier on @noble/curves (pure JS, any runtime). Accepts high-S signatures.
 * @example nobleVerifier.verify(cert.publicKey, sigStructure, signature) // true or false
 */
export const nobleVerifier: SignatureVerifier = Object.freeze({
  name: 'noble',
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== ES256_SIGNATURE_LENGTH) return false;
    if (publicKey.length !== 33 && publicKey.length !== 65) return false;
    try {
      return p256.verify(signature, message, publicKey, { lowS: false, prehash: true, format: 'compact' });
    } catch {
      // noble throws on points off the curve and out-of-range scalars; the contract says "false".
      return false;
    }
  },
});
