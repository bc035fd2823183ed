import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** Something that can produce ES256 signatures; the private key never leaves it. */
export interface Signer {
  /** Compressed SEC1 public key (33 bytes). */
  readonly publicKey: Uint8Array;
  /** Raw r || s signature (64 bytes) over SHA-256(message). */
  sign(message: Uint8Array): Uint8Array;
}

/**
 * An ES256 signer holding a P-256 private key in memory (noble, RFC 6979 deterministic nonces).
 * `normaliseS: false` (the default) behaves like a secure element: about half the signatures are high-S.
 * @throws Error if `privateKey` is not a valid 32-byte P-256 scalar (misuse).
 * @example const s = createSigner(privateKeyFromSeed(seed, 'issuer')); s.sign(bytes)
 */
export function createSigner(privateKey: Uint8Array, options: { normaliseS?: boolean } = {}): Signer {
  if (!p256.utils.isValidSecretKey(privateKey)) throw new Error('not a valid P-256 private key');
  const key = Uint8Array.from(privateKey);
  const lowS = options.normaliseS ?? false;
  return Object.freeze({
    publicKey: p256.getPublicKey(key, true),
    sign: (message: Uint8Array) => p256.sign(message, key, { lowS, prehash: true, format: 'compact' }),
  });
}

/**
 * Derives a P-256 private key deterministically from a seed and a label (for test vectors, the demo and
 * development schemes; production keys come from `generatePrivateKey`).
 * @example privateKeyFromSeed(new Uint8Array(32), 'root')
 */
export function privateKeyFromSeed(seed: Uint8Array, label: string): Uint8Array {
  const labelBytes = new TextEncoder().encode(label);
  const material = new Uint8Array(seed.length + labelBytes.length);
  material.set(seed);
  material.set(labelBytes, seed.length);
  // randomSecretKey(seed) reduces a 48-byte seed modulo n without measurable bias (FIPS 186-5 A.2.1).
  const first = sha256(material);
  const wide = new Uint8Array(48);
  wide.set(first);
  wide.set(sha256(first).subarray(0, 16), 32);
  return p256.utils.randomSecretKey(wide);
}

/**
 * A fresh random P-256 private key from the platform CSPRNG.
 * @example const key = generatePrivateKey();
 */
export function generatePrivateKey(): Uint8Array {
  return p256.utils.randomSecretKey();
}

/**
 * Compressed (33-byte) SEC1 form of a P-256 public key given in either SEC1 form.
 * @throws Error if the bytes are not a point on P-256 (misuse; decoders validate keys before this).
 */
export function compressPublicKey(publicKey: Uint8Array): Uint8Array {
  return p256.Point.fromBytes(publicKey).toBytes(true);
}

/** True if `publicKey` is a valid SEC1-encoded point on P-256 (compressed or uncompressed). */
export function isValidPublicKey(publicKey: Uint8Array): boolean {
  try {
    p256.Point.fromBytes(publicKey).assertValidity();
    return true;
  } catch {
    return false;
  }
}
