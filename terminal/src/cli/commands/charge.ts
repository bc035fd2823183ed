import { tapAdvice } from '../advice.js';
import type { Command } from 'commander';
import { statusWordName, toHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import type { TapResult } from '../../tap/tap-result.js';
import { openReader, openSimulatedCard, type CardSource } from '../card-source.js';
import { amountArg, globals, integerArg, withTerminal } from '../cli-context.js';
import { ExitCode, emitFlushed, lines, money, when } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

/** `charge <amount> (--reader <name> | --sim <card file>) [--timeout <s>]`: one tap. */
export function registerCharge(program: Command): void {
  program
    .command('charge')
    .description('take a payment: waits for a card and taps it (SELECT + PAY)')
    .argument('<amount>', 'amount in HKD, e.g. 12.50')
    .option('--reader <name>', 'PC/SC reader name (default: the first reader)')
    .option('--sim <card file>', 'charge a software card file (card-sim) instead of a real reader')
    .option('--timeout <seconds>', 'how long to wait for a card', '30')
    .action(async (amountText: string, opts: { reader?: string; sim?: string; timeout: string }, command: Command) => {
      const g = globals(command);
      const amount = amountArg(amountText);
      const timeoutMs = integerArg(opts.timeout, '--timeout', 1) * 1000;
      if (opts.reader !== undefined && opts.sim !== undefined) {
        throw new TerminalError(TerminalErrorCode.BadConfig, '--reader and --sim exclude each other', {
          next: NextStep.FixUsage,
        });
      }
      await withTerminal(g, async (terminal) => {
        const source: CardSource =
          opts.sim !== undefined ? await openSimulatedCard(opts.sim) : await openReader(opts.reader, 3000);
        // An approval is printed (and flushed) from inside the tap, so that it counts as shown only once it was.
        const show = (result: TapResult): Promise<void> => {
          const advice = tapAdvice(result, terminal.currency);
          return emitFlushed(g.json, advice === undefined ? result : { ...result, advice }, () =>
            describeTap(result, amount, terminal.currency),
          );
        };
        let result: TapResult;
        try {
          result = await terminal.charge(source.transport, amount, { timeoutMs, announce: show });
        } finally {
          await source.close();
        }
        if (result.outcome !== 'approved' && result.outcome !== 'recovered') await show(result);
        process.exitCode =
          result.outcome === 'approved' || result.outcome === 'recovered'
            ? ExitCode.Ok
            : result.outcome === 'interrupted'
              ? ExitCode.TapAgain
              : ExitCode.NotApproved;
      });
    });
}

/** The cashier's screen for a tap result. */
export function describeTap(result: TapResult, amount: number, currency: number): string {
  const earlier = result.resolved.map(
    (r) => `  (an earlier interrupted tap of ${money(r.amount, currency)} on this card was settled: ${r.resolution})`,
  );
  const tail = earlier.length > 0 ? `\n${earlier.join('\n')}` : '';
  switch (result.outcome) {
    case 'approved': {
      const p = result.payment;
      return `APPROVED  ${money(p.amount, currency)}\n${lines([
        ['card', toHex(p.cardId)],
        ['balance', `${money(p.balanceAfter, currency)} left on the card`],
        ['receipt', `${toHex(p.receiptId)} (card counter ${p.counter})`],
      ])}${tail}`;
    }
    case 'recovered': {
      const p = result.payment;
      const different = p.amount === amount ? '' : ` (this tap asked ${money(amount, currency)})`;
      return (
        `APPROVED (recovered)  ${money(p.amount, currency)}\n  The card had paid an interrupted payment of ${money(p.amount, currency)} at ${when(p.time)}; its receipt is now safe.\n` +
        `  No new payment was taken${different}: charge again only if this is another sale.\n${lines([
          ['card', toHex(p.cardId)],
          ['balance', `${money(p.balanceAfter, currency)} left on the card`],
          ['receipt', `${toHex(p.receiptId)} (card counter ${p.counter})`],
        ])}${tail}`
      );
    }
    case 'declined':
      return `DECLINED  ${result.reason}\n  What to do: ${tapAdvice(result, currency)}\n  (check: ${result.check})${tail}`;
    case 'card-refused':
      return `CARD REFUSED  ${result.reason}\n  What to do: ${tapAdvice(result, currency)}\n  (status word ${result.sw.toString(16).toUpperCase().padStart(4, '0')} ${statusWordName(result.sw)}, at ${result.stage})${tail}`;
    case 'interrupted':
      return `NOT FINISHED  ${result.reason}\n  What to do: ${tapAdvice(result, currency)}${result.pending ? '\n  The payment is pending until the same card is tapped again.' : ''}${tail}`;
  }
}
