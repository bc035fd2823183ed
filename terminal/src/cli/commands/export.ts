import type { Command } from 'commander';
import { globals, withTerminal } from '../cli-context.js';
import { emit, money } from '../output.js';

/** `export [--out <file>] [--again]`: waiting receipts to a signed batch file for hand carriage. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write waiting receipts to a terminal-signed batch file (for terminals that never get online)')
    .option('--out <file>', 'file to write (default: <data dir>/exports/batch-<terminal>-<n>.cose)')
    .option('--again', 'also re-export receipts exported before and not yet settled (a lost file is made again)')
    .action(async (opts: { out?: string; again?: boolean }, command: Command) => {
      const g = globals(command);
      await withTerminal(g, (terminal) => {
        const r = terminal.export({ ...(opts.out !== undefined && { file: opts.out }), again: opts.again === true });
        emit(g.json, r, () =>
          r.file === undefined
            ? 'Nothing to export: no receipt is waiting.'
            : `Exported ${r.receipts} receipt(s), ${money(r.amount, terminal.currency)}, to ${r.file}\n  Give this file to your acquirer; the receipts stay on this terminal (state exported) until settled.` +
              (r.remaining > 0 ? `\n  ${r.remaining} more receipt(s) are waiting: run export again.` : ''),
        );
      });
    });
}
