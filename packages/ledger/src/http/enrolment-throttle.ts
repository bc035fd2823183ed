/** How many failed enrolment attempts the service tolerates before it answers 429 (docs/protocol.md 7.8). */
export interface EnrolmentLimits {
  /** Failures of one client (IP address) within the window that lock it out. */
  readonly clientFailures: number;
  /** Failures of all clients together within the window that close enrolment to everyone. */
  readonly globalFailures: number;
  readonly windowSeconds: number;
  /** How long a lockout lasts. */
  readonly lockoutSeconds: number;
}

/**
 * Defaults: 5 failures per client and 100 in all per 15 minutes, then 15 minutes locked. Codes are 128-bit, so
 * these do not protect the codes (nothing guesses 2^128); they stop a token-spraying client early and keep a
 * distributed one to ~10,000 attempts a day, and a locked-out enrolment can still be done offline with the CLI.
 */
export const DEFAULT_ENROLMENT_LIMITS: EnrolmentLimits = {
  clientFailures: 5,
  globalFailures: 100,
  windowSeconds: 900,
  lockoutSeconds: 900,
};

/** Failure times within the window and the end of a lockout, for one client or for all. */
interface Tally {
  failures: number[];
  lockedUntil: number;
}

/**
 * Counts failed enrolment attempts per client and in all, and says when a client must wait. In memory, per
 * process: a restart forgets the counts, which costs an attacker a restart of the service it cannot cause.
 * Only clients with a failure in the window or a lockout running are kept, and while the global cap is reached
 * nobody's failures are counted, so memory stays within about (1 + lockout/window) × globalFailures entries.
 * @example const throttle = new EnrolmentThrottle(DEFAULT_ENROLMENT_LIMITS, clock); if (throttle.retryAfter(ip) > 0) reply 429
 */
export class EnrolmentThrottle {
  private readonly clients = new Map<string, Tally>();
  private readonly everyone: Tally = { failures: [], lockedUntil: 0 };

  constructor(
    private readonly limits: EnrolmentLimits,
    private readonly clock: () => number,
  ) {
    for (const [k, v] of Object.entries(limits))
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`enrolment limit ${k} must be a positive integer, got ${String(v)}`);
  }

  /** Seconds until `client` may try to enrol again; 0 when it may now. */
  retryAfter(client: string): number {
    const now = this.clock();
    return Math.max(0, this.everyone.lockedUntil - now, (this.clients.get(client)?.lockedUntil ?? 0) - now);
  }

  /** Records a failed attempt of `client` (a wrong, expired or used code). */
  fail(client: string): void {
    const now = this.clock();
    this.forgetIdle(now);
    let tally = this.clients.get(client);
    if (tally === undefined) {
      tally = { failures: [], lockedUntil: 0 };
      this.clients.set(client, tally);
    }
    this.count(tally, this.limits.clientFailures, now);
    this.count(this.everyone, this.limits.globalFailures, now);
  }

  private count(tally: Tally, limit: number, now: number): void {
    tally.failures = tally.failures.filter((t) => t > now - this.limits.windowSeconds);
    tally.failures.push(now);
    if (tally.failures.length >= limit) {
      tally.lockedUntil = now + this.limits.lockoutSeconds;
      tally.failures = [];
    }
  }

  private forgetIdle(now: number): void {
    for (const [client, tally] of this.clients) {
      if (tally.lockedUntil <= now && tally.failures.every((t) => t <= now - this.limits.windowSeconds))
        this.clients.delete(client);
    }
  }
}
