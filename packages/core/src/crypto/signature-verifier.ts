/**
 * ES256 (ECDSA P-256 with SHA-256) signature verification, behind one interface so that the portable
 * back end (noble) and the fast one (node:crypto / OpenSSL) are interchangeable and can be compared.
 *
 * Contract, identical for every back end (proved by the differential test):
 * - `publicKey` is a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes), on P-256;
 * - `signature` is the raw 64-byte r || s form used by COSE (RFC 9053 section 2.1);
 * - high-S signatures are ACCEPTED (secure elements do not normalise S);
 * - anything malformed (wrong lengths, point not on the curve, r or s out of range) returns false; never throws.
 */
export interface SignatureVerifier {
  /** Stable name of the back end, e.g. 'noble' or 'node:crypto'. */
  readonly name: string;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Length of a raw ES256 signature (r || s). */
export const ES256_SIGNATURE_LENGTH = 64;
/** Length of a compressed SEC1 P-256 public key, the form every certificate carries. */
export const P256_COMPRESSED_KEY_LENGTH = 33;
