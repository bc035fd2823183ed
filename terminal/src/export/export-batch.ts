import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toHex } from '@ehkd/core';
import { writeFileDurably } from '@ehkd/core/node';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { CrashPoint, type FaultHook } from '../faults/crash-point.js';
import { BatchPurpose, type ReceiptQueue } from '../store/receipt-queue.js';
import { ReceiptState } from '../store/receipt-state.js';
import { signBatch } from '../sync/batch-signer.js';
import { NextStep } from '../errors/next-step.js';

/** Receipts per export file: with card certificates the file stays well under the batch size limit. */
export const EXPORT_BATCH_RECEIPTS = 10_000;

/** Result of an export. */
export interface ExportReport {
  /** The file written, or undefined when nothing was waiting. */
  readonly file?: string;
  readonly batchId?: string;
  readonly sequence?: number;
  readonly receipts: number;
  readonly amount: number;
  /** Receipts still waiting for an export (more than one file's worth). */
  readonly remaining: number;
}

/** Options of an export. */
export interface ExportOptions {
  /** File to write; default `<dataDir>/exports/batch-<terminal id>-<sequence>.cose`. */
  readonly file?: string;
  /** Also export receipts exported before and not yet settled (a lost file is simply made again). */
  readonly again?: boolean;
}

/**
 * Writes receipts waiting for settlement to one terminal-signed batch file (the UploadBatch COSE_Sign1, the same
 * bytes an upload sends) for terminals that never get online, then marks them exported. The file is durable
 * before anything is marked: a crash in between leaves the receipts queued, to be exported again. Exported
 * receipts are still uploaded when the link returns (the ledger deduplicates), so none is ever lost.
 */
export function exportBatch(
  queue: ReceiptQueue,
  identity: EnrolledIdentity,
  dataDir: string,
  options: ExportOptions,
  now: number,
  fault?: FaultHook,
): ExportReport {
  const states = options.again === true ? [ReceiptState.Queued, ReceiptState.Exported] : [ReceiptState.Queued];
  const batch = queue.cutBatch(
    BatchPurpose.Export,
    states,
    EXPORT_BATCH_RECEIPTS,
    (c) => signBatch(identity, c, now),
    now,
  );
  if (batch === undefined) return { receipts: 0, amount: 0, remaining: 0 };
  let file: string;
  try {
    if (options.file === undefined) {
      const dir = join(dataDir, 'exports');
      mkdirSync(dir, { recursive: true });
      file = join(dir, `batch-${toHex(identity.terminalId)}-${batch.sequence}.cose`);
    } else {
      file = resolve(options.file);
    }
    writeFileDurably(file, batch.bytes);
  } catch (e) {
    throw new TerminalError(
      TerminalErrorCode.BadFile,
      `cannot write the export file: ${(e as Error).message}`,
      { next: NextStep.CheckDestination },
      e,
    );
  }
  fault?.(CrashPoint.ExportAfterFile);
  queue.markExported(batch.id, file, now);
  const counts = queue.counts();
  return {
    file,
    batchId: toHex(batch.id),
    sequence: batch.sequence,
    receipts: batch.receipts,
    amount: batch.amount,
    remaining: counts[ReceiptState.Queued].count,
  };
}
