import { randomBytes } from 'node:crypto';
import { ID_LENGTH, Role, generatePrivateKey, issueCertificate, type KeyFile } from '@ehkd/core';
import { createNodeSigner } from '../crypto/node-signer.js';
import type { PartyKey } from './party-key.js';

/** Validity and naming of a new scheme key. */
export interface NewKeyOptions {
  readonly name: string;
  /** Entity id (8 bytes); random if absent. */
  readonly id?: Uint8Array;
  /** Unix seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Creates the scheme's root key and its self-signed certificate (development and pilots; production roots live in an HSM).
 * @example formatKeyFile(createRootKey({ name: 'e-HKD pilot root', notBefore: now, notAfter: now + 10 * YEAR }))
 */
export function createRootKey(options: NewKeyOptions): KeyFile {
  const id = options.id ?? new Uint8Array(randomBytes(ID_LENGTH));
  const privateKey = generatePrivateKey();
  const signer = createNodeSigner(privateKey);
  const certificate = issueCertificate(signer, {
    role: Role.Root,
    subject: id,
    signer: id,
    publicKey: signer.publicKey,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    name: options.name,
  });
  return { role: Role.Root, id, privateKey, certificate };
}

/**
 * Creates an issuer or acquirer key certified by the root. The validity is clipped to the root's.
 * @example createCertifiedKey(root, Role.Issuer, { name: 'Bank A', notBefore, notAfter })
 */
export function createCertifiedKey(
  root: PartyKey,
  role: typeof Role.Issuer | typeof Role.Acquirer,
  options: NewKeyOptions,
): KeyFile {
  const id = options.id ?? new Uint8Array(randomBytes(ID_LENGTH));
  const privateKey = generatePrivateKey();
  const publicKey = createNodeSigner(privateKey).publicKey;
  const certificate = issueCertificate(root.signer, {
    role,
    subject: id,
    signer: root.id,
    publicKey,
    notBefore: Math.max(options.notBefore, root.cert.notBefore),
    notAfter: Math.min(options.notAfter, root.cert.notAfter),
    name: options.name,
  });
  return { role, id, privateKey, certificate };
}
