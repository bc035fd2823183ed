import type { Command } from 'commander';
import { toHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { openReader, openSimulatedCard, type CardSource } from '../card-source.js';
import { amountArg, globals, integerArg, withTerminal } from '../cli-context.js';
import { emit, lines, money } from '../output.js';

/** `top-up <amount> (--reader <name> | --sim <card file>)`: an online load at this terminal, through the ledger. */
export function registerTopUp(program: Command): void {
  program
    .command('top-up')
    .description('load value onto a card online (the issuer authorises it through the ledger; resets the card\'s offline limits)')
    .argument('<amount>', 'amount in HKD, e.g. 200')
    .option('--reader <name>', 'PC/SC reader name (default: the first reader)')
    .option('--sim <card file>', 'top up a software card file (card-sim) instead of a real reader')
    .option('--timeout <seconds>', 'how long to wait for a card', '30')
    .action(async (amountText: string, opts: { reader?: string; sim?: string; timeout: string }, command: Command) => {
      const g = globals(command);
      const amount = amountArg(amountText);
      if (opts.reader !== undefined && opts.sim !== undefined) {
        throw new TerminalError(TerminalErrorCode.BadConfig, '--reader and --sim exclude each other', { action: 'Choose a real reader or a software card.' });
      }
      await withTerminal(g, async (terminal) => {
        const source: CardSource = opts.sim !== undefined ? openSimulatedCard(opts.sim) : await openReader(opts.reader, 3000);
        try {
          const report = await terminal.topUp(source.transport, amount, { timeoutMs: integerArg(opts.timeout, '--timeout', 1) * 1000 });
          emit(g.json, report, () => `LOADED  ${money(report.amount, terminal.currency)}\n${lines([
            ['card', toHex(report.cardId)],
            ['balance', money(report.balanceAfter, terminal.currency)],
            ['receipt', `${toHex(report.receiptId)} (card counter ${report.counter}${report.resumed ? "; the card left during LOAD, receipt read back from its log" : ''})`],
          ])}`);
        } finally {
          await source.close();
        }
      });
    });
}
