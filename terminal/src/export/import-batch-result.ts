import {
  CodecError,
  CoseError,
  Limits,
  decodeBatchResult,
  openSigned,
  toHex,
  verifyBatchResult,
  type SignatureVerifier,
  type TrustStore,
} from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { BatchPurpose, type AppliedOutcomes, type ReceiptQueue } from '../store/receipt-queue.js';
import { NextStep } from '../errors/next-step.js';

/** What importing a batch result changed. */
export interface ImportedResult {
  readonly batchId: string;
  readonly sequence: number;
  readonly applied: AppliedOutcomes;
}

/**
 * Applies a BatchResult file the operator produced for one of this terminal's batches (normally an exported
 * one): the result must name a batch this terminal made and be signed by the terminal's acquirer.
 * This closes the offline loop: settled receipts stop counting against the offline limits.
 * @throws TerminalError BAD_FILE (not a result, or for another batch), TRUST_REJECTED (signature).
 */
export function importBatchResult(
  queue: ReceiptQueue,
  trust: TrustStore,
  identity: EnrolledIdentity,
  bytes: Uint8Array,
  verifier: SignatureVerifier,
  now: number,
): ImportedResult {
  let batchId: Uint8Array;
  try {
    batchId = openSigned(bytes, Limits.batchResultBytes, decodeBatchResult).payload.batchId;
  } catch (e) {
    if (e instanceof CodecError || e instanceof CoseError)
      throw new TerminalError(
        TerminalErrorCode.BadFile,
        `not a batch result: ${e.message}`,
        { next: NextStep.GetResultFile },
        e,
      );
    throw e;
  }
  const batch = queue.batch(batchId);
  if (batch === undefined)
    throw new TerminalError(
      TerminalErrorCode.BadFile,
      `the result answers batch ${toHex(batchId)}, which this terminal never made`,
      { next: NextStep.GetResultFile },
    );
  const v = verifyBatchResult(bytes, trust, identity.acquirerId, batchId, verifier);
  if (!v.ok)
    throw new TerminalError(
      TerminalErrorCode.TrustRejected,
      `the batch result does not verify (${v.check}): ${v.reason}`,
      { next: NextStep.GetResultFile, check: v.check },
    );
  const outcomes = v.value.payload.outcomes;
  const applied =
    batch.purpose === BatchPurpose.Upload
      ? queue.applyOutcomes(batchId, bytes, outcomes, now)
      : queue.applyExportOutcomes(batchId, bytes, outcomes, now);
  return { batchId: toHex(batchId), sequence: batch.sequence, applied };
}
