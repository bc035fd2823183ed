import { CodecError, CodecErrorCode } from '../codec/codec-error.js';
import { fromHex, toHex } from '../ids/identifiers.js';
import { ROLE_NAME, type Role, decodeCertificate, type Certificate } from '../messages/certificate.js';
import { CoseError } from '../cose/cose-error.js';
import { decodeCoseSign1 } from '../cose/cose-sign1.js';
import { Limits } from '../messages/limits.js';
import { createSigner, type Signer } from '../crypto/signer.js';

/**
 * A party's key and certificate as stored in a development/pilot key file (JSON). Production deployments keep
 * private keys in an HSM or secure element; this format exists so that CLIs can hand keys to each other.
 * JSON shape: { "role": "issuer", "id": "<16 hex>", "privateKey": "<64 hex>", "certificate": "<hex COSE_Sign1>" }
 */
export interface KeyFile {
  readonly role: Role;
  readonly id: Uint8Array;
  readonly privateKey: Uint8Array;
  /** The party's certificate (COSE_Sign1 bytes). */
  readonly certificate: Uint8Array;
}

/** Serialises a key file to JSON text. */
export function formatKeyFile(k: KeyFile): string {
  return `${JSON.stringify({ role: ROLE_NAME[k.role], id: toHex(k.id), privateKey: toHex(k.privateKey), certificate: toHex(k.certificate) }, null, 2)}\n`;
}

/**
 * Parses a key file and checks that its certificate decodes, names this id and role, and certifies this key.
 * It does not verify the certificate's signature: that needs the signer's key (see TrustStore).
 * @throws CodecError on any inconsistency.
 */
export function parseKeyFile(text: string): KeyFile & { readonly cert: Certificate; readonly signer: Signer } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CodecError(CodecErrorCode.WrongType, 'key file is not JSON', { cause: e });
  }
  const o = raw as Record<string, unknown>;
  const roleEntry = Object.entries(ROLE_NAME).find(([, name]) => name === o['role']);
  if (
    roleEntry === undefined ||
    typeof o['id'] !== 'string' ||
    typeof o['privateKey'] !== 'string' ||
    typeof o['certificate'] !== 'string'
  ) {
    throw new CodecError(CodecErrorCode.WrongType, 'key file needs role, id, privateKey and certificate');
  }
  let id: Uint8Array, privateKey: Uint8Array, certificate: Uint8Array;
  try {
    id = fromHex(o['id']);
    privateKey = fromHex(o['privateKey']);
    certificate = fromHex(o['certificate']);
  } catch (e) {
    throw new CodecError(CodecErrorCode.WrongType, 'key file fields must be hex', { cause: e });
  }
  let cert: Certificate;
  try {
    cert = decodeCertificate(decodeCoseSign1(certificate, Limits.certificateBytes).payload);
  } catch (e) {
    if (e instanceof CoseError)
      throw new CodecError(CodecErrorCode.MalformedCbor, `key file certificate: ${e.message}`, { cause: e });
    throw e;
  }
  let signer: Signer;
  try {
    signer = createSigner(privateKey);
  } catch (e) {
    throw new CodecError(CodecErrorCode.OutOfRange, 'key file private key is not a P-256 key', { cause: e });
  }
  const role = Number(roleEntry[0]) as Role;
  if (cert.role !== role || toHex(cert.subject) !== toHex(id) || toHex(cert.publicKey) !== toHex(signer.publicKey)) {
    throw new CodecError(CodecErrorCode.Inconsistent, 'key file certificate does not match its role, id or key');
  }
  return { role, id, privateKey, certificate, cert, signer };
}
