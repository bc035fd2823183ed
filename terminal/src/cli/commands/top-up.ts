import type { Command } from 'commander';
import { toHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import type { TopUpReport } from '../../load/online-top-up.js';
import { openReader, openSimulatedCard, type CardSource } from '../card-source.js';
import { amountArg, globals, integerArg, withTerminal } from '../cli-context.js';
import { emit, lines, money } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

/**
 * `top-up <amount> (--reader <name> | --sim <card file>)`: an online load at this terminal, through the ledger.
 * `top-up --resolve`: settles the loads cut during LOAD for the card presented, from its log.
 */
export function registerTopUp(program: Command): void {
  program
    .command('top-up')
    .description(
      "load value onto a card online (the issuer authorizes it through the ledger; resets the card's offline limits)",
    )
    .argument('[amount]', 'amount in HKD, e.g. 200')
    .option('--resolve', "instead of loading: find out from the card's log whether loads cut during LOAD happened")
    .option('--reader <name>', 'PC/SC reader name (default: the first reader)')
    .option('--sim <card file>', 'top up a software card file (card-sim) instead of a real reader')
    .option('--timeout <seconds>', 'how long to wait for a card', '30')
    .action(
      async (
        amountText: string | undefined,
        opts: { resolve?: boolean; reader?: string; sim?: string; timeout: string },
        command: Command,
      ) => {
        const g = globals(command);
        if ((amountText === undefined) !== (opts.resolve === true)) {
          throw new TerminalError(TerminalErrorCode.BadConfig, 'give an amount, or --resolve (not both)', {
            next: NextStep.FixUsage,
          });
        }
        if (opts.reader !== undefined && opts.sim !== undefined) {
          throw new TerminalError(TerminalErrorCode.BadConfig, '--reader and --sim exclude each other', {
            next: NextStep.FixUsage,
          });
        }
        const amount = amountText === undefined ? undefined : amountArg(amountText);
        const timeoutMs = integerArg(opts.timeout, '--timeout', 1) * 1000;
        await withTerminal(g, async (terminal) => {
          const source: CardSource =
            opts.sim !== undefined ? await openSimulatedCard(opts.sim) : await openReader(opts.reader, 3000);
          const loaded = (report: TopUpReport): string =>
            `LOADED  ${money(report.amount, terminal.currency)}\n${lines([
              ['card', toHex(report.cardId)],
              ['balance', money(report.balanceAfter, terminal.currency)],
              [
                'receipt',
                `${toHex(report.receiptId)} (card counter ${report.counter}${report.resumed ? '; the card left during LOAD, receipt read back from its log' : ''})`,
              ],
              ...(report.receiptDelivered
                ? []
                : [
                    [
                      'ledger',
                      `not reached (${report.deliveryProblem?.message ?? 'unknown'}): the receipt is held and the next sync delivers it`,
                    ] as [string, string],
                  ]),
            ])}`;
          try {
            if (amount !== undefined) {
              const report = await terminal.topUp(source.transport, amount, { timeoutMs });
              emit(g.json, report, () => loaded(report));
            } else {
              const resolved = await terminal.resolveLoads(source.transport, { timeoutMs });
              emit(g.json, resolved, () =>
                [
                  ...resolved.loaded.map(loaded),
                  resolved.notLoaded > 0
                    ? `NOT LOADED  ${resolved.notLoaded} cut load(s) of card ${toHex(resolved.cardId)} never happened; nothing was loaded`
                    : '',
                  resolved.loaded.length === 0 && resolved.notLoaded === 0
                    ? `card ${toHex(resolved.cardId)} has no cut load at this terminal`
                    : '',
                ]
                  .filter((l) => l !== '')
                  .join('\n'),
              );
            }
          } finally {
            await source.close();
          }
        });
      },
    );
}
