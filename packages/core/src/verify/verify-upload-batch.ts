import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { Limits } from '../messages/limits.js';
import type { Signed } from '../messages/signed-message.js';
import { decodeUploadBatch, type UploadBatch } from '../messages/upload-batch.js';
import { pass, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';
import type { TrustStore, VerifiedCertificate } from './trust-store.js';
import { verifyTerminalSignature } from './verify-terminal-signature.js';

/** A batch whose terminal signature and terminal certificate chain verified (its receipts are checked one by one). */
export interface VerifiedBatch {
  readonly batch: Signed<UploadBatch>;
  readonly terminal: VerifiedCertificate;
}

/**
 * Verifies an upload batch's envelope: structure, the terminal certificate (role, chain, validity at `now`, or
 * expired less than `graceSeconds` ago), that it is this terminal's batch, and the terminal's signature.
 * Receipts inside are not verified here.
 * @example verifyUploadBatch(bytes, trust, verifier, Math.floor(Date.now() / 1000), 30 * 86400)
 */
export function verifyUploadBatch(
  bytes: Uint8Array,
  trust: TrustStore,
  verifier: SignatureVerifier,
  now: number,
  graceSeconds = 0,
): Verification<VerifiedBatch> {
  const r = openOrFail(bytes, Limits.batchBytes, decodeUploadBatch, 'upload batch');
  if (!r.ok) return r;
  const t = verifyTerminalSignature(
    r.value.cose,
    r.value.payload.terminalCertificate,
    r.value.payload.terminalId,
    'batch',
    trust,
    verifier,
    now,
    graceSeconds,
  );
  return t.ok ? pass({ batch: r.value, terminal: t.value }) : t;
}
