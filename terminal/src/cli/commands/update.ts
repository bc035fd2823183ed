import type { Command } from 'commander';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { globals, withTerminal } from '../cli-context.js';
import { readMessageFile } from '../input-file.js';
import { emit } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

/** `update [--trust-anchors <file>] [--deny-list <file>] [--batch-result <file>]`: what an offline terminal gets by hand. */
export function registerUpdate(program: Command): void {
  program
    .command('update')
    .description("install files brought by hand: trust anchors, a deny list, the ledger's result for an exported batch")
    .option('--trust-anchors <file>', 'trust-anchor bundle (must chain to the root already trusted)')
    .option('--deny-list <file>', 'signed deny list (never older than the one held)')
    .option('--batch-result <file>', "the ledger's signed result for one of this terminal's batches")
    .action(async (opts: { trustAnchors?: string; denyList?: string; batchResult?: string }, command: Command) => {
      const g = globals(command);
      if (opts.trustAnchors === undefined && opts.denyList === undefined && opts.batchResult === undefined) {
        throw new TerminalError(TerminalErrorCode.BadConfig, 'nothing to update', {
          next: NextStep.FixUsage,
        });
      }
      await withTerminal(g, (terminal) => {
        const out: Record<string, unknown> = {};
        const text: string[] = [];
        if (opts.trustAnchors !== undefined) {
          terminal.importTrustAnchors(readMessageFile(opts.trustAnchors, 'trust anchors'));
          out['trustAnchors'] = 'installed';
          text.push('Trust anchors installed.');
        }
        if (opts.denyList !== undefined) {
          const d = terminal.importDenyList(readMessageFile(opts.denyList, 'deny list'));
          out['denyList'] = d;
          text.push(
            d.updated
              ? `Deny list #${d.sequence} (${d.entries} cards) installed.`
              : `Deny list #${d.sequence} is not newer than the one held: kept the held one.`,
          );
        }
        if (opts.batchResult !== undefined) {
          const r = terminal.importBatchResult(readMessageFile(opts.batchResult, 'batch result'));
          out['batchResult'] = r;
          const a = r.applied;
          text.push(
            `Result of batch ${r.sequence} applied: accepted ${a.accepted}, duplicate ${a.duplicate}, rejected ${a.rejected}, double-spend ${a.doubleSpend}.`,
          );
        }
        emit(g.json, out, () => text.join('\n'));
      });
    });
}
