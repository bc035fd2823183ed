import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/**
 * SHA-256 of `data` (32 bytes). Used for object identity (hash of a signed payload) and the card's hash chain.
 * @example sha256(new TextEncoder().encode('abc'))
 */
export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}
