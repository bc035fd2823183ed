import { basename, join } from 'node:path';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { Limits, RECEIPT_STATUS_NAME, ReceiptStatus, toHex } from '@ehkd/core';
import { LedgerError } from '../errors/ledger-error.js';
import type { BatchRefusal, VerifiedBatch } from '../ingest/batch-ingestor.js';
import { openLedger, readBytes, writeOutput } from './cli-files.js';
import { EXIT_REFUSED } from './exit-codes.js';
import { dbOption, integer, print, printJson } from './cli-options.js';

/** Batch files verified ahead of the one being applied (applying stays in command-line order). */
const AHEAD = 3;
/** Batches at least this large get a progress bar (on a terminal). */
const PROGRESS_FROM = 2_000;

/** What `ingest` reports for one file. */
interface FileReport {
  readonly file: string;
  readonly ok: boolean;
  readonly batchId?: string;
  readonly terminalId?: string;
  readonly counts?: { accepted: number; duplicate: number; rejected: number; doubleSpend: number };
  readonly newCases?: readonly number[];
  readonly problems?: readonly { receiptId: string; status: string; check?: string; reason?: string }[];
  readonly refused?: { check: string; reason: string };
}

/** `ingest <file...>`: hand-carried batch files, each one batch COSE_Sign1, applied in order. */
export function ingestCommand(): Command {
  return dbOption(new Command('ingest'))
    .description('ingest hand-carried upload batch files (one batch COSE_Sign1 per file), each in one transaction')
    .argument('<files...>', 'batch files')
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file (signs results and deny lists)")
    .option('--results <dir>', 'write each BatchResult (COSE_Sign1, signed by the acquirer) to <dir>/<batch id>.cbor')
    .option('--workers <n>', 'verification workers (default: one per core)', integer)
    .option('--json', 'print JSON')
    .action(
      async (
        files: string[],
        o: { db: string; acquirerKey: string; results?: string; workers?: number; json?: boolean },
      ) => {
        const { ledger, close } = await openLedger(o);
        const reports: FileReport[] = [];
        try {
          const verifying: Promise<VerifiedBatch | BatchRefusal | LedgerError>[] = [];
          const bars = new Map<number, SingleBar>();
          const start = (i: number): void => {
            const file = files[i] as string;
            let bytes: Uint8Array;
            try {
              bytes = readBytes(file, Limits.batchBytes);
            } catch (e) {
              if (!(e instanceof LedgerError)) throw e;
              verifying[i] = Promise.resolve(e);
              return;
            }
            const progress = (done: number, total: number): void => {
              if (total < PROGRESS_FROM || process.stderr.isTTY !== true) return;
              let bar = bars.get(i);
              if (bar === undefined) {
                bar = new SingleBar(
                  { format: `${basename(file)} [{bar}] {value}/{total} receipts verified`, stream: process.stderr },
                  Presets.shades_classic,
                );
                bar.start(total, 0);
                bars.set(i, bar);
              }
              bar.update(done);
              if (done === total) bar.stop();
            };
            verifying[i] = ledger.verifyBatch(bytes, 'file', progress);
          };
          for (let i = 0; i < Math.min(AHEAD, files.length); i++) start(i);
          for (let i = 0; i < files.length; i++) {
            if (i + AHEAD < files.length) start(i + AHEAD);
            const file = files[i] as string;
            const verified = await verifying[i];
            let report: FileReport;
            if (verified instanceof LedgerError)
              report = { file, ok: false, refused: { check: 'file', reason: verified.message } };
            else if (!verified.ok)
              report = { file, ok: false, refused: { check: verified.check, reason: verified.reason } };
            else {
              const done = await ledger.applyBatch(verified);
              if (o.results !== undefined) writeOutput(join(o.results, `${toHex(done.batchId)}.cbor`), done.result);
              report = {
                file,
                ok: true,
                batchId: toHex(done.batchId),
                terminalId: toHex(done.terminalId),
                counts: done.counts,
                newCases: done.newCases,
                problems: done.outcomes
                  .filter((x) => x.status === ReceiptStatus.Rejected || x.status === ReceiptStatus.DoubleSpend)
                  .map((x) => ({
                    receiptId: toHex(x.receiptId),
                    status: RECEIPT_STATUS_NAME[x.status],
                    ...(x.check !== undefined && { check: x.check }),
                    ...(x.reason !== undefined && { reason: x.reason }),
                  })),
              };
            }
            reports.push(report);
            if (o.json !== true) print(describe(report));
          }
        } finally {
          await close();
        }
        if (o.json === true) printJson(reports);
        if (reports.some((r) => !r.ok)) process.exitCode = EXIT_REFUSED;
      },
    );
}

function describe(r: FileReport): string {
  if (!r.ok || r.counts === undefined) return `${r.file}: REFUSED (${r.refused?.check}): ${r.refused?.reason}`;
  const c = r.counts;
  const lines = [
    `${r.file}: batch ${r.batchId} of terminal ${r.terminalId}: ${c.accepted} accepted, ${c.duplicate} duplicate, ${c.rejected} rejected, ${c.doubleSpend} double-spend`,
  ];
  for (const p of r.problems ?? []) lines.push(`  ${p.receiptId.slice(0, 16)} ${p.status} (${p.check}): ${p.reason}`);
  if ((r.newCases ?? []).length > 0)
    lines.push(
      `  fraud case(s) opened: ${(r.newCases ?? []).join(', ')}; the cards are revoked and a new deny list is signed`,
    );
  return lines.join('\n');
}
