import type { Command } from 'commander';
import type { TerminalLimits } from '../../config/terminal-limits.js';
import { formatAge } from '../../tap/risk-limits.js';
import { amountArg, globals, integerArg, withTerminal } from '../cli-context.js';
import { emit, lines, money } from '../output.js';

/** `config [--floor-limit <amount>] [--offline-amount <amount>] [--offline-count <n>] [--deny-list-max-age <hours>] [--ledger <url>]` */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('show or change the risk limits and the ledger URL')
    .option('--floor-limit <amount>', 'largest single offline payment, HKD')
    .option('--offline-amount <amount>', 'largest unsettled total between syncs, HKD')
    .option('--offline-count <n>', 'most unsettled payments between syncs')
    .option('--deny-list-max-age <hours>', 'oldest deny list to take payments with')
    .option('--ledger <url>', 'ledger base URL')
    .action(async (opts: { floorLimit?: string; offlineAmount?: string; offlineCount?: string; denyListMaxAge?: string; ledger?: string }, command: Command) => {
      const g = globals(command);
      const change: Partial<TerminalLimits> = {
        ...(opts.floorLimit !== undefined && { floorLimit: amountArg(opts.floorLimit, '--floor-limit') }),
        ...(opts.offlineAmount !== undefined && { maxOfflineAmount: amountArg(opts.offlineAmount, '--offline-amount') }),
        ...(opts.offlineCount !== undefined && { maxOfflineCount: integerArg(opts.offlineCount, '--offline-count') }),
        ...(opts.denyListMaxAge !== undefined && { maxDenyListAgeSeconds: integerArg(opts.denyListMaxAge, '--deny-list-max-age') * 3600 }),
      };
      await withTerminal(g, (terminal) => {
        if (opts.ledger !== undefined) terminal.setLedgerUrl(opts.ledger);
        const limits = Object.keys(change).length > 0 ? terminal.setLimits(change) : terminal.status().limits;
        const ledgerUrl = terminal.status().ledgerUrl;
        const m = (n: number): string => money(n, terminal.currency);
        emit(g.json, { limits, ...(ledgerUrl !== undefined && { ledgerUrl }) }, () => lines([
          ['floor limit', m(limits.floorLimit)],
          ['offline amount', m(limits.maxOfflineAmount)],
          ['offline count', String(limits.maxOfflineCount)],
          ['deny list max age', formatAge(limits.maxDenyListAgeSeconds)],
          ['ledger', ledgerUrl ?? '(none)'],
        ]));
      });
    });
}
