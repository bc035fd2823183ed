import { errorAdvice } from '../advice.js';
import type { Command } from 'commander';
import { DAEMON_RETRY } from '../../sync/backoff.js';
import type { DaemonEvent } from '../../sync/daemon.js';
import { globals, integerArg, withTerminal } from '../cli-context.js';
import { toJson, when } from '../output.js';
import { describeSync } from './sync.js';

/** `daemon [--ledger <url>] [--interval <s>] [--attempts <n>] [--max-delay <s>]`: sync by itself until stopped. */
export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('upload by itself whenever the link is up (retries with backoff and jitter), until SIGINT/SIGTERM')
    .option('--ledger <url>', 'ledger base URL (remembered)')
    .option('--interval <seconds>', 'pause between sync rounds', '30')
    .option('--attempts <n>', 'attempts per round', String(DAEMON_RETRY.maxAttempts))
    .option('--max-delay <seconds>', 'longest backoff between attempts', String(DAEMON_RETRY.maxDelayMs / 1000))
    .action(
      async (opts: { ledger?: string; interval: string; attempts: string; maxDelay: string }, command: Command) => {
        const g = globals(command);
        const intervalMs = integerArg(opts.interval, '--interval', 1) * 1000;
        const retry = {
          ...DAEMON_RETRY,
          maxAttempts: integerArg(opts.attempts, '--attempts', 1),
          maxDelayMs: integerArg(opts.maxDelay, '--max-delay', 1) * 1000,
        };
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        await withTerminal(g, async (terminal) => {
          if (opts.ledger !== undefined) terminal.setLedgerUrl(opts.ledger);
          await terminal.daemon({
            intervalMs,
            retry,
            signal: stop.signal,
            onEvent: (e) => process.stdout.write(`${g.json ? toJson(e, undefined) : describeEvent(e)}\n`),
          });
        });
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      },
    );
}

function describeEvent(e: DaemonEvent): string {
  const at = when(Math.floor(e.at / 1000));
  switch (e.kind) {
    case 'synced':
      return `${at} ${describeSync(e.report)}`;
    case 'retrying':
      return `${at} attempt ${e.attempt} failed: ${e.error.message}; retrying in ${e.delayMs} ms`;
    case 'failed':
      return `${at} sync failed: ${e.error.message} (${errorAdvice(e.error, 'daemon')}); next round in ${Math.round(e.nextInMs / 1000)} s`;
  }
}
