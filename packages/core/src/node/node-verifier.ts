import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ES256_SIGNATURE_LENGTH, type SignatureVerifier } from '../crypto/signature-verifier.js';

// DER prefixes of a SubjectPublicKeyInfo for id-ecPublicKey / prime256v1, before the BIT STRING's point.
const SPKI_PREFIX_COMPRESSED = Uint8Array.from(Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'));
const SPKI_PREFIX_UNCOMPRESSED = Uint8Array.from(Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'));

/**
 * Fast ES256 verifier on node:crypto (OpenSSL) with a bounded cache of parsed public keys; same contract as
 * every SignatureVerifier (high-S accepted, malformed input gives false, never throws).
 * Creating a KeyObject costs more than a verification, so hot paths (ledger ingest) keep one verifier per thread.
 * @example const v = createNodeVerifier(); v.verify(publicKey, message, signature)
 */
export function createNodeVerifier(options: { cacheSize?: number } = {}): SignatureVerifier {
  const cacheSize = options.cacheSize ?? 50_000;
  const cache = new Map<string, KeyObject | null>();

  function keyFor(publicKey: Uint8Array): KeyObject | null {
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    let key: KeyObject | null = null;
    const prefix = publicKey.length === 33 ? SPKI_PREFIX_COMPRESSED : publicKey.length === 65 ? SPKI_PREFIX_UNCOMPRESSED : null;
    if (prefix !== null && (publicKey[0] === 2 || publicKey[0] === 3 || (publicKey[0] === 4 && publicKey.length === 65))) {
      try {
        key = createPublicKey({ key: Buffer.concat([prefix, publicKey]), format: 'der', type: 'spki' });
      } catch {
        key = null; // not a point on P-256
      }
    }
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(id, key);
    return key;
  }

  return Object.freeze({
    name: 'node:crypto',
    verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
      if (signature.length !== ES256_SIGNATURE_LENGTH) return false;
      const key = keyFor(publicKey);
      if (key === null) return false;
      try {
        return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
      } catch {
        return false;
      }
    },
  });
}
