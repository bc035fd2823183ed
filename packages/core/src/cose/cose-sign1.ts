import { CborTag } from '../cbor/cbor-value.js';
import { CborError } from '../cbor/cbor-error.js';
import { decodeCbor } from '../cbor/strict-decode.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { sha256 } from '../crypto/hash.js';
import { bytesEqual } from '../ids/identifiers.js';
import { ES256_SIGNATURE_LENGTH, type SignatureVerifier } from '../crypto/signature-verifier.js';
import type { Signer } from '../crypto/signer.js';
import { CoseError, CoseErrorCode } from './cose-error.js';

/** COSE_Sign1_Tagged (RFC 9052 section 4.2). */
export const COSE_SIGN1_TAG = 18;
/** The only protected header of our profile: the deterministic encoding of {1: -7} (alg: ES256). */
export const ES256_PROTECTED_HEADER = Uint8Array.of(0xa1, 0x01, 0x26);

/** A COSE_Sign1 message as received: verification always runs over these bytes, never a re-encoding. */
export interface CoseSign1 {
  /** The whole tagged message, exactly as received or produced. */
  readonly bytes: Uint8Array;
  readonly protectedBytes: Uint8Array;
  /** The signed payload bytes (deterministic CBOR of a message). */
  readonly payload: Uint8Array;
  /** Raw r || s (64 bytes). */
  readonly signature: Uint8Array;
}

/**
 * The bytes that ES256 signs: Sig_structure = ["Signature1", protected, external_aad = h'', payload].
 * @example coseSigStructure(ES256_PROTECTED_HEADER, payload)
 */
export function coseSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/**
 * Signs `payload` as a tagged COSE_Sign1 with ES256 and an empty unprotected header.
 * @example const bytes = signCoseSign1(issuerSigner, encodeCertificate(cert))
 */
export function signCoseSign1(signer: Signer, payload: Uint8Array): Uint8Array {
  const signature = signer.sign(coseSigStructure(ES256_PROTECTED_HEADER, payload));
  return encodeCbor(new CborTag(COSE_SIGN1_TAG, [ES256_PROTECTED_HEADER, new Map(), payload, signature]));
}

/**
 * Parses a tagged COSE_Sign1 in our profile (ES256, protected {1: -7}, empty unprotected header, attached payload).
 * Does not verify the signature.
 * @throws CoseError for anything else; its `cause` is the CborError when the CBOR itself is bad.
 * @example const msg = decodeCoseSign1(receiptBytes, 512)
 */
export function decodeCoseSign1(bytes: Uint8Array, maxBytes: number): CoseSign1 {
  if (bytes.length > maxBytes) {
    throw new CoseError(
      CoseErrorCode.Structure,
      `COSE_Sign1 of ${bytes.length} bytes exceeds the limit of ${maxBytes}`,
      { detail: { size: bytes.length } },
    );
  }
  let item: unknown;
  try {
    item = decodeCbor(bytes, { maxBytes, maxDepth: 4, maxItems: 8, allowedTags: [COSE_SIGN1_TAG] });
  } catch (e) {
    if (e instanceof CborError)
      throw new CoseError(CoseErrorCode.MalformedCbor, `COSE_Sign1 is not acceptable CBOR: ${e.message}`, { cause: e });
    throw e;
  }
  if (!(item instanceof CborTag) || item.tag !== COSE_SIGN1_TAG)
    throw new CoseError(CoseErrorCode.Structure, 'not a tag-18 COSE_Sign1');
  const parts = item.value;
  if (!Array.isArray(parts) || parts.length !== 4)
    throw new CoseError(CoseErrorCode.Structure, 'COSE_Sign1 must be an array of 4 items');
  const [protectedBytes, unprotected, payload, signature] = parts as unknown[];
  if (!(protectedBytes instanceof Uint8Array) || !bytesEqual(protectedBytes, ES256_PROTECTED_HEADER)) {
    throw new CoseError(CoseErrorCode.UnsupportedHeader, 'protected header must be exactly {1: -7} (ES256)');
  }
  if (!(unprotected instanceof Map) || unprotected.size !== 0)
    throw new CoseError(CoseErrorCode.UnsupportedHeader, 'unprotected header must be an empty map');
  if (payload === null) throw new CoseError(CoseErrorCode.DetachedPayload, 'detached payloads are not supported');
  if (!(payload instanceof Uint8Array)) throw new CoseError(CoseErrorCode.Structure, 'payload must be a byte string');
  if (!(signature instanceof Uint8Array))
    throw new CoseError(CoseErrorCode.Structure, 'signature must be a byte string');
  if (signature.length !== ES256_SIGNATURE_LENGTH)
    throw new CoseError(CoseErrorCode.SignatureLength, `ES256 signature must be 64 bytes, got ${signature.length}`);
  return { bytes, protectedBytes, payload, signature };
}

/**
 * Verifies the ES256 signature of a parsed COSE_Sign1 over the bytes received.
 * @returns false for a wrong key, a tampered payload or a forged signature; never throws.
 */
export function verifyCoseSign1(message: CoseSign1, publicKey: Uint8Array, verifier: SignatureVerifier): boolean {
  return verifier.verify(publicKey, coseSigStructure(message.protectedBytes, message.payload), message.signature);
}

/**
 * Identity of a signed object: SHA-256 of its payload bytes. Never of the signature bytes, because ECDSA
 * signatures are malleable ((r, s) and (r, n - s) both verify): a re-encoded signature is the same object.
 */
export function payloadId(message: CoseSign1): Uint8Array {
  return sha256(message.payload);
}
