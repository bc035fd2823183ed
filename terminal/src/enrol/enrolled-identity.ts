import { Limits, createSigner, decodeCertificate, decodeCoseSign1, type Certificate, type Signer } from '@ehkd/core';
import type { IdentityRecord } from '../store/config-store.js';

/** An enrolled terminal: its certificate (verified at installation) and the key that signs its batches. */
export interface EnrolledIdentity {
  readonly terminalId: Uint8Array;
  readonly merchantId: Uint8Array;
  /** The acquirer that certified the terminal (and signs the ledger's answers to it). */
  readonly acquirerId: Uint8Array;
  /** The terminal certificate (COSE_Sign1 bytes). */
  readonly certificate: Uint8Array;
  readonly cert: Certificate;
  readonly signer: Signer;
}

/**
 * The enrolled identity of a stored key and certificate, or undefined before enrolment.
 * @example const me = enrolledIdentity(config.identity())
 */
export function enrolledIdentity(record: IdentityRecord | undefined): EnrolledIdentity | undefined {
  if (record?.certificate === undefined) return undefined;
  const cert = decodeCertificate(decodeCoseSign1(record.certificate, Limits.certificateBytes).payload);
  if (cert.terminal === undefined) return undefined;
  return {
    terminalId: cert.subject,
    merchantId: cert.terminal.merchantId,
    acquirerId: cert.signer,
    certificate: record.certificate,
    cert,
    signer: createSigner(record.privateKey),
  };
}
