import { TerminalError } from '../errors/terminal-error.js';
import { sleep } from './backoff.js';
import type { SyncReport } from './synchroniser.js';

/** What the daemon reports as it runs (the CLI prints them as log lines). */
export type DaemonEvent =
  | { readonly kind: 'synced'; readonly at: number; readonly report: SyncReport }
  | {
      readonly kind: 'retrying';
      readonly at: number;
      readonly error: TerminalError;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | { readonly kind: 'failed'; readonly at: number; readonly error: TerminalError; readonly nextInMs: number };

/** Options of the daemon loop. */
export interface DaemonOptions {
  /** Pause between rounds (after a success or an exhausted round of retries). Default 30 s. */
  readonly intervalMs?: number;
  /** Stops the loop (between rounds, or during a pause or a backoff). */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: DaemonEvent) => void;
}

/**
 * Syncs in rounds until `signal` aborts: each round is one sync with bounded retries (the caller's `round`),
 * then a pause. When the link is down, rounds fail and the terminal keeps taking payments offline; the first
 * round after the link returns uploads everything queued and refreshes the deny list and trust anchors.
 * Errors other than TerminalErrors (bugs, a broken database) stop the loop.
 */
export async function runDaemon(
  round: (onRetry: (error: unknown, delayMs: number, attempt: number) => void) => Promise<SyncReport>,
  options: DaemonOptions = {},
): Promise<void> {
  const interval = options.intervalMs ?? 30_000;
  const emit = options.onEvent ?? (() => undefined);
  while (options.signal?.aborted !== true) {
    try {
      const report = await round((error, delayMs, attempt) => {
        if (error instanceof TerminalError) emit({ kind: 'retrying', at: Date.now(), error, attempt, delayMs });
      });
      emit({ kind: 'synced', at: Date.now(), report });
    } catch (e) {
      if (!(e instanceof TerminalError)) throw e;
      emit({ kind: 'failed', at: Date.now(), error: e, nextInMs: interval });
    }
    await sleep(interval, options.signal);
  }
}
