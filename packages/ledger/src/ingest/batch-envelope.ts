import { hash } from 'node:crypto';
import {
  CheckId,
  CodecError,
  CoseError,
  Limits,
  decodeCoseSign1,
  decodeUploadBatch,
  fail,
  pass,
  verifyTerminalSignature,
  type SignatureVerifier,
  type TrustStore,
  type UploadBatch,
  type Verification,
  type VerifiedCertificate,
} from '@ehkd/core';
import { readBatchInPlace } from './batch-in-place.js';

/** A batch whose envelope verified: the decoded batch, its identity and its terminal's certificate. */
export interface VerifiedEnvelope {
  /** SHA-256 of the batch payload. */
  readonly batchId: Uint8Array;
  readonly batch: UploadBatch;
  readonly terminal: VerifiedCertificate;
}

/**
 * Verifies an upload batch's envelope exactly as core's verifyUploadBatch does (structure, terminal certificate
 * role, chain and validity at `now` or expired less than `graceSeconds` ago, terminal id, terminal signature), but
 * computes the batch identity with
 * node:crypto: core's portable SHA-256 over a batch of thousands of receipts costs more main-thread time per
 * receipt than everything else in the envelope. The batch is read in place (readBatchInPlace: its receipts and
 * certificates are views of `bytes`); core's decoders only see what that reader declines.
 */
export function verifyBatchEnvelope(
  bytes: Uint8Array,
  trust: TrustStore,
  verifier: SignatureVerifier,
  now: number,
  graceSeconds: number,
): Verification<VerifiedEnvelope> {
  let cose;
  let batch;
  const inPlace = readBatchInPlace(bytes);
  if (inPlace !== null) ({ cose, batch } = inPlace);
  else {
    try {
      cose = decodeCoseSign1(bytes, Limits.batchBytes);
      batch = decodeUploadBatch(cose.payload);
    } catch (e) {
      if (e instanceof CoseError || e instanceof CodecError)
        return fail(CheckId.Structure, `upload batch: ${e.message}`, e);
      throw e;
    }
  }
  const terminal = verifyTerminalSignature(
    cose,
    batch.terminalCertificate,
    batch.terminalId,
    'batch',
    trust,
    verifier,
    now,
    graceSeconds,
  );
  if (!terminal.ok) return terminal;
  const digest = hash('sha256', cose.payload, 'buffer');
  return pass({
    batchId: new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength),
    batch,
    terminal: terminal.value,
  });
}
