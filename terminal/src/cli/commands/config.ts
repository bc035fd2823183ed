import type { Command } from 'commander';
import type { TerminalLimits } from '../../config/terminal-limits.js';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { formatAge } from '../../tap/risk-limits.js';
import { amountArg, globals, integerArg, withTerminal } from '../cli-context.js';
import { ledgerTrustArgs } from '../input-file.js';
import { emit, lines, money } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

/**
 * `config [--floor-limit <amount>] [--offline-amount <amount>] [--offline-count <n>] [--deny-list-max-age <hours>]
 * [--ledger <url> [--ledger-ca <pem> | --insecure-http]]`: with --ledger-ca or --insecure-http the ledger's trust is
 * replaced too; with --ledger alone the trust held applies to the new URL.
 */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('show or change the risk limits and the ledger URL')
    .option('--floor-limit <amount>', 'largest single offline payment, HKD')
    .option('--offline-amount <amount>', 'largest unsettled total between syncs, HKD')
    .option('--offline-count <n>', 'most unsettled payments between syncs')
    .option('--deny-list-max-age <hours>', 'oldest deny list to take payments with')
    .option('--ledger <url>', 'ledger base URL (https://)')
    .option('--ledger-ca <file>', "with --ledger: the ledger's TLS CA or self-signed certificate (PEM) to pin")
    .option('--insecure-http', 'with --ledger: allow a plain http:// ledger URL')
    .action(
      async (
        opts: {
          floorLimit?: string;
          offlineAmount?: string;
          offlineCount?: string;
          denyListMaxAge?: string;
          ledger?: string;
          ledgerCa?: string;
          insecureHttp?: boolean;
        },
        command: Command,
      ) => {
        const g = globals(command);
        const change: Partial<TerminalLimits> = {
          ...(opts.floorLimit !== undefined && { floorLimit: amountArg(opts.floorLimit, '--floor-limit') }),
          ...(opts.offlineAmount !== undefined && {
            maxOfflineAmount: amountArg(opts.offlineAmount, '--offline-amount'),
          }),
          ...(opts.offlineCount !== undefined && { maxOfflineCount: integerArg(opts.offlineCount, '--offline-count') }),
          ...(opts.denyListMaxAge !== undefined && {
            maxDenyListAgeSeconds: integerArg(opts.denyListMaxAge, '--deny-list-max-age') * 3600,
          }),
        };
        const newTrust = opts.ledgerCa !== undefined || opts.insecureHttp === true;
        if (newTrust && opts.ledger === undefined) {
          throw new TerminalError(TerminalErrorCode.BadConfig, '--ledger-ca and --insecure-http go with --ledger', {
            next: NextStep.FixUsage,
          });
        }
        const trust = newTrust ? ledgerTrustArgs(opts) : undefined;
        await withTerminal(g, (terminal) => {
          if (opts.ledger !== undefined) terminal.setLedgerUrl(opts.ledger, trust);
          const limits = Object.keys(change).length > 0 ? terminal.setLimits(change) : terminal.status().limits;
          const { ledgerUrl, ledgerCa } = terminal.status();
          const m = (n: number): string => money(n, terminal.currency);
          emit(
            g.json,
            { limits, ...(ledgerUrl !== undefined && { ledgerUrl }), ...(ledgerCa !== undefined && { ledgerCa }) },
            () =>
              lines([
                ['floor limit', m(limits.floorLimit)],
                ['offline amount', m(limits.maxOfflineAmount)],
                ['offline count', String(limits.maxOfflineCount)],
                ['deny list max age', formatAge(limits.maxDenyListAgeSeconds)],
                ['ledger', ledgerUrl ?? '(none)'],
                ['ledger TLS', ledgerCa === undefined ? 'system CAs' : `pinned to ${ledgerCa}`],
              ]),
          );
        });
      },
    );
}
