import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { backoffDelay, sleep, type RetryPolicy } from './backoff.js';
import type { SyncReport } from './synchroniser.js';

/** Errors worth retrying at once: the link or the server, not a refusal. */
export function isRetryable(e: unknown): boolean {
  return (
    e instanceof TerminalError &&
    (e.code === TerminalErrorCode.LedgerUnreachable || e.code === TerminalErrorCode.LedgerAnswerInvalid)
  );
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, or `policy.maxAttempts` is used up,
 * sleeping with exponential backoff and full jitter in between. Every failure goes to `onFailure` (the terminal
 * records it in its sync marks).
 * @throws the last error.
 */
export async function withRetry(
  attempt: () => Promise<Omit<SyncReport, 'attempts'>>,
  policy: RetryPolicy,
  options: {
    readonly random?: () => number;
    readonly signal?: AbortSignal;
    readonly onRetry?: (error: unknown, delayMs: number, attempt: number) => void;
    readonly onFailure: (error: unknown) => void;
  },
): Promise<SyncReport> {
  for (let n = 1; ; n++) {
    try {
      return { ...(await attempt()), attempts: n };
    } catch (e) {
      options.onFailure(e);
      if (!isRetryable(e) || n >= policy.maxAttempts || options.signal?.aborted === true) throw e;
      const delay = backoffDelay(n, policy, options.random ?? Math.random);
      options.onRetry?.(e, delay, n);
      await sleep(delay, options.signal);
    }
  }
}
