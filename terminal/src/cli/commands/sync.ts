import type { Command } from 'commander';
import { SYNC_RETRY } from '../../sync/backoff.js';
import type { SyncReport } from '../../sync/synchroniser.js';
import { globals, integerArg, withTerminal } from '../cli-context.js';
import { emit } from '../output.js';

/** `sync [--ledger <url>] [--attempts <n>]`: upload now, refresh the deny list and trust anchors. */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('upload queued receipts now and fetch the newest deny list and trust anchors')
    .option('--ledger <url>', 'ledger base URL (remembered)')
    .option(
      '--attempts <n>',
      'attempts before giving up (backoff with jitter in between)',
      String(SYNC_RETRY.maxAttempts),
    )
    .action(async (opts: { ledger?: string; attempts: string }, command: Command) => {
      const g = globals(command);
      const maxAttempts = integerArg(opts.attempts, '--attempts', 1);
      await withTerminal(g, async (terminal) => {
        const report = await terminal.sync({
          ...(opts.ledger !== undefined && { ledgerUrl: opts.ledger }),
          retry: { ...SYNC_RETRY, maxAttempts },
          onRetry: (e, delayMs, attempt) => {
            if (!g.json)
              process.stderr.write(`attempt ${attempt} failed (${(e as Error).message}); retrying in ${delayMs} ms\n`);
          },
        });
        emit(g.json, report, () => describeSync(report));
      });
    });
}

/** One paragraph about a sync. */
export function describeSync(r: SyncReport): string {
  const t = r.totals;
  const sent = r.batches.reduce((n, b) => n + b.receipts, 0);
  return [
    `Synced${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}: ${r.batches.length} batch(es), ${sent} receipt(s) sent (${r.batches.filter((b) => b.resent).length} resent after an unanswered upload).`,
    `  accepted ${t.accepted}, duplicate ${t.duplicate} (already credited), rejected ${t.rejected}, double-spend ${t.doubleSpend}, back in queue ${t.requeued}`,
    ...(r.evidence.delivered + r.evidence.refused + r.evidence.held === 0
      ? []
      : [
          `  double-spend evidence from declined cards: ${r.evidence.delivered} delivered, ${r.evidence.refused} refused by the ledger, ${r.evidence.held} held for a later sync`,
        ]),
    `  deny list #${r.denyList.sequence} (${r.denyList.entries} cards)${r.denyList.updated ? ' updated' : ''}; trust anchors ${r.trustAnchorsUpdated ? 'updated' : 'unchanged'}`,
  ].join('\n');
}
