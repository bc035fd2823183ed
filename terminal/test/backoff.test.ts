import { describe, expect, it } from 'vitest';
import { DAEMON_RETRY, backoffDelay } from '../src/index.js';

describe('exponential backoff with full jitter', () => {
  it('doubles the window per retry up to the cap, and jitters uniformly inside it', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999_999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('spreads a fleet reconnecting at once over the whole window (no thundering herd)', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const delays = Array.from({ length: 1_000 }, () => backoffDelay(4, DAEMON_RETRY, random));
    const window = DAEMON_RETRY.baseDelayMs * 8;
    expect(Math.max(...delays)).toBeLessThan(window);
    const buckets = new Array<number>(4).fill(0);
    for (const d of delays) buckets[Math.floor((d / window) * 4)]! += 1;
    for (const b of buckets) expect(b).toBeGreaterThan(180);
  });
});
