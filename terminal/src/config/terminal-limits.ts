import { Limits, MAX_AMOUNT } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { NextStep } from '../errors/next-step.js';

/**
 * The terminal's own risk limits (containment layer 3 of the brief), on top of what every card enforces.
 * Amounts are minor units of the terminal's currency.
 */
export interface TerminalLimits {
  /** Largest single offline payment. */
  readonly floorLimit: number;
  /** Largest total of payments not yet settled by the ledger (plus taps whose outcome is still unknown). */
  readonly maxOfflineAmount: number;
  /** Largest number of payments not yet settled by the ledger (plus taps whose outcome is still unknown). */
  readonly maxOfflineCount: number;
  /** Oldest deny list (by its signed `issuedAt`) the terminal still takes payments with, in seconds. */
  readonly maxDenyListAgeSeconds: number;
}

/**
 * Defaults for a small shop: HK$500 per payment, HK$20,000 and 500 payments between syncs, and a deny list at
 * most 24 hours old. That matches the ledger's default deny-list grace (DEFAULT_DENY_LIST_GRACE_SECONDS): the
 * issuer carries double spends taken within it, so a terminal that allowed an older list would put revoked
 * cards' payments on its merchant (Octopus readers also refresh theirs daily).
 */
export const DEFAULT_TERMINAL_LIMITS: TerminalLimits = Object.freeze({
  floorLimit: 50_000,
  maxOfflineAmount: 2_000_000,
  maxOfflineCount: 500,
  maxDenyListAgeSeconds: 24 * 3600,
});

/**
 * Checks limits before they are stored: whole numbers, amounts within the scheme's range.
 * @throws TerminalError BAD_CONFIG naming the offending limit.
 */
export function validateLimits(limits: TerminalLimits): TerminalLimits {
  const checks: [keyof TerminalLimits, number][] = [
    // A single payment cannot exceed what a card may hold; offline totals span many cards.
    ['floorLimit', Limits.maxCardAmount],
    ['maxOfflineAmount', MAX_AMOUNT],
    ['maxOfflineCount', 1_000_000],
    ['maxDenyListAgeSeconds', 10 * 365 * 24 * 3600],
  ];
  for (const [name, max] of checks) {
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v < 0 || v > max) {
      throw new TerminalError(
        TerminalErrorCode.BadConfig,
        `limit ${name} must be a whole number from 0 to ${max}, got ${v}`,
        { next: NextStep.FixInput, field: name },
      );
    }
  }
  return limits;
}
