/** Length of every entity identifier (root, issuer, acquirer, card, terminal, merchant): 8 bytes. */
export const ID_LENGTH = 8;
/** Length of a terminal nonce and of a card challenge: 16 bytes. */
export const NONCE_LENGTH = 16;
/** Length of a SHA-256 hash (receipt identity, hash chain links). */
export const HASH_LENGTH = 32;

/**
 * Lower-case hex of bytes, the one textual form of ids, hashes and keys in logs, JSON and databases.
 * @example toHex(Uint8Array.of(1, 171)) // '01ab'
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i] as number];
  return out;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Bytes of an even-length hex string.
 * @throws TypeError on odd length or non-hex characters (misuse, or validate user input before).
 * @example fromHex('01ab') // Uint8Array [1, 171]
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError(`not a hex string: ${hex.slice(0, 20)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Constant-length comparison of two byte strings. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Bytewise lexicographic order (for canonical sorting of ids). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** Concatenation of byte strings. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
