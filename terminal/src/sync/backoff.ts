/** Retry policy: exponential backoff with full jitter, bounded in attempts and in delay. */
export interface RetryPolicy {
  /** Attempts per round, the first included (at least 1). */
  readonly maxAttempts: number;
  /** Delay cap before the first retry. */
  readonly baseDelayMs: number;
  /** No delay exceeds this. */
  readonly maxDelayMs: number;
}

/** Defaults for the `sync` command: 3 attempts, 0.5 s then 1 s caps. */
export const SYNC_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 });

/** Defaults for the daemon: 6 attempts per round, from 1 s up to 60 s caps. */
export const DAEMON_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 60_000 });

/**
 * Delay before retry number `retry` (1 = first retry): uniform in [0, min(maxDelay, base * 2^(retry-1))].
 * Full jitter spreads a fleet of terminals reconnecting at once (a reconnect storm) over the whole window.
 * @example backoffDelay(3, DAEMON_RETRY, Math.random) // somewhere in 0..4000 ms
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/**
 * Resolves after `ms`, or early (without error) when `signal` aborts.
 * @example await sleep(1000, controller.signal)
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
