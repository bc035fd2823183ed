import { KeyObject, createPublicKey, verify, webcrypto } from 'node:crypto';
import { ES256_SIGNATURE_LENGTH, type SignatureVerifier } from '../crypto/signature-verifier.js';

// DER prefixes of a SubjectPublicKeyInfo for id-ecPublicKey / prime256v1, before the BIT STRING's point.
const SPKI_PREFIX_COMPRESSED = Uint8Array.from(
  Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
);
const SPKI_PREFIX_UNCOMPRESSED = Uint8Array.from(
  Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
);

/** A node:crypto verifier that can also build the key objects of many public keys ahead of their first use. */
export interface NodeVerifier extends SignatureVerifier {
  /**
   * Builds and caches the key objects of `publicKeys` not cached yet, through WebCrypto's raw-point import: about
   * half the CPU of the DER import that `verify` falls back to (which goes through OpenSSL 3's decoder framework).
   * Points not on P-256 are cached as invalid (their signatures then fail). Never rejects.
   * @example await v.prepare(cardKeys); v.verify(cardKeys[0], message, signature)
   */
  prepare(publicKeys: readonly Uint8Array[]): Promise<void>;
}

const RAW_IMPORT = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * Fast ES256 verifier on node:crypto (OpenSSL) with a bounded cache of parsed public keys; same contract as
 * every SignatureVerifier (high-S accepted, malformed input gives false, never throws).
 * Creating a KeyObject costs more than a verification, so hot paths (ledger ingest) keep one verifier per thread
 * and `prepare` the keys they are about to meet.
 * @example const v = createNodeVerifier(); v.verify(publicKey, message, signature)
 */
export function createNodeVerifier(options: { cacheSize?: number } = {}): NodeVerifier {
  const cacheSize = options.cacheSize ?? 50_000;
  const cache = new Map<string, KeyObject | null>();

  function cacheId(publicKey: Uint8Array): string {
    return Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
  }

  function remember(id: string, key: KeyObject | null): void {
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(id, key);
  }

  /** A SEC1 point of the form certificates carry (compressed) or the uncompressed one; anything else is no key. */
  function wellFormed(publicKey: Uint8Array): boolean {
    return (
      (publicKey.length === 33 && (publicKey[0] === 2 || publicKey[0] === 3)) ||
      (publicKey.length === 65 && publicKey[0] === 4)
    );
  }

  function keyFor(publicKey: Uint8Array): KeyObject | null {
    const id = cacheId(publicKey);
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    let key: KeyObject | null = null;
    if (wellFormed(publicKey)) {
      try {
        key = createPublicKey({
          key: Buffer.concat([publicKey.length === 33 ? SPKI_PREFIX_COMPRESSED : SPKI_PREFIX_UNCOMPRESSED, publicKey]),
          format: 'der',
          type: 'spki',
        });
      } catch {
        key = null; // not a point on P-256
      }
    }
    remember(id, key);
    return key;
  }

  async function prepareOne(publicKey: Uint8Array): Promise<void> {
    const id = cacheId(publicKey);
    if (cache.has(id)) return;
    let key: KeyObject | null = null;
    if (wellFormed(publicKey)) {
      try {
        key = KeyObject.from(await webcrypto.subtle.importKey('raw', publicKey, RAW_IMPORT, true, ['verify']));
      } catch {
        key = null; // not a point on P-256
      }
    }
    remember(id, key);
  }

  return Object.freeze({
    name: 'node:crypto',
    async prepare(publicKeys: readonly Uint8Array[]): Promise<void> {
      await Promise.all(publicKeys.map(prepareOne));
    },
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
