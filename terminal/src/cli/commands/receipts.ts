import type { Command } from 'commander';
import { toHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { ReceiptState } from '../../store/receipt-state.js';
import { globals, integerArg, withTerminal } from '../cli-context.js';
import { emit, money, when } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

/** `receipts [--state <state...>] [--limit <n>]`: the receipts held, newest first. */
export function registerReceipts(program: Command): void {
  program
    .command('receipts')
    .description('list receipts, newest first')
    .option('--state <states...>', `only these states (${Object.values(ReceiptState).join(', ')})`)
    .option('--limit <n>', 'at most this many', '50')
    .action(async (opts: { state?: string[]; limit: string }, command: Command) => {
      const g = globals(command);
      const valid = Object.values(ReceiptState) as string[];
      for (const s of opts.state ?? []) {
        if (!valid.includes(s))
          throw new TerminalError(TerminalErrorCode.BadConfig, `unknown receipt state '${s}'`, {
            next: NextStep.FixUsage,
          });
      }
      const limit = integerArg(opts.limit, '--limit', 1);
      await withTerminal(g, (terminal) => {
        const list = terminal.receipts({
          ...(opts.state !== undefined && { states: opts.state as ReceiptState[] }),
          limit,
        });
        const rows = list.map((r) => ({
          id: toHex(r.id),
          state: r.state,
          amount: r.amount,
          currency: r.currency,
          cardId: toHex(r.cardId),
          counter: r.counter,
          time: r.time,
          ...(r.check !== undefined && { check: r.check }),
          ...(r.reason !== undefined && { reason: r.reason }),
        }));
        emit(g.json, rows, () =>
          list.length === 0
            ? 'No receipts.'
            : list
                .map(
                  (r) =>
                    `  ${when(r.time)}  ${money(r.amount, r.currency).padStart(12)}  ${r.state.padEnd(12)}  card ${toHex(r.cardId)} #${r.counter}  ${toHex(r.id).slice(0, 16)}${r.check === undefined ? '' : `  [${r.check}: ${r.reason ?? ''}]`}`,
                )
                .join('\n'),
        );
      });
    });
}
