import { formatAmount } from '@ehkd/core';
import type { TerminalLimits } from '../config/terminal-limits.js';
import type { OfflineExposure } from '../store/tap-journal.js';
import { TerminalCheck } from './tap-check.js';

/** A terminal limit that a payment would break. */
export interface LimitBreach {
  readonly check: TerminalCheck;
  readonly reason: string;
}

/** What the terminal can still take before it must go online. */
export interface LimitsLeft {
  /** Largest next payment: the floor limit or the offline amount left, whichever is smaller. */
  readonly nextPayment: number;
  readonly offlineAmount: number;
  readonly offlineCount: number;
  /** Seconds until the deny list is too old (negative: already too old; undefined: no list). */
  readonly denyListSeconds?: number;
}

/**
 * Applies the terminal's risk limits to a payment of `amount`: floor limit, cumulative offline amount and
 * count (unsettled receipts plus taps of unknown outcome), and the deny list's age at `now` (from its `freshAt`).
 * @returns the first limit broken, or undefined.
 * @example checkLimits(1250, limits, journal.exposure(), config.denyListStanding()?.freshAt, now, 344)
 */
export function checkLimits(
  amount: number,
  limits: TerminalLimits,
  exposure: OfflineExposure,
  denyListFreshAt: number | undefined,
  now: number,
  currency: number,
): LimitBreach | undefined {
  const money = (n: number): string => formatAmount(n, currency);
  if (denyListFreshAt === undefined)
    return { check: TerminalCheck.DenyListAge, reason: 'this terminal has no deny list' };
  if (now - denyListFreshAt > limits.maxDenyListAgeSeconds) {
    return {
      check: TerminalCheck.DenyListAge,
      reason: `the deny list is ${formatAge(now - denyListFreshAt)} old; at most ${formatAge(limits.maxDenyListAgeSeconds)} is allowed`,
    };
  }
  if (amount > limits.floorLimit)
    return {
      check: TerminalCheck.FloorLimit,
      reason: `${money(amount)} is above the floor limit of ${money(limits.floorLimit)}`,
    };
  const count = exposure.receipts + exposure.pendingIntents;
  if (count + 1 > limits.maxOfflineCount)
    return {
      check: TerminalCheck.OfflineCount,
      reason: `${count} payments are not yet settled; the limit is ${limits.maxOfflineCount}`,
    };
  const total = exposure.receiptAmount + exposure.pendingAmount;
  if (total + amount > limits.maxOfflineAmount) {
    return {
      check: TerminalCheck.OfflineAmount,
      reason: `${money(total)} is not yet settled; ${money(amount)} more would pass the limit of ${money(limits.maxOfflineAmount)}`,
    };
  }
  return undefined;
}

/** What is left under each limit. */
export function limitsLeft(
  limits: TerminalLimits,
  exposure: OfflineExposure,
  denyListFreshAt: number | undefined,
  now: number,
): LimitsLeft {
  const offlineAmount = Math.max(0, limits.maxOfflineAmount - exposure.receiptAmount - exposure.pendingAmount);
  const offlineCount = Math.max(0, limits.maxOfflineCount - exposure.receipts - exposure.pendingIntents);
  return {
    nextPayment: offlineCount === 0 ? 0 : Math.min(limits.floorLimit, offlineAmount),
    offlineAmount,
    offlineCount,
    ...(denyListFreshAt !== undefined && { denyListSeconds: denyListFreshAt + limits.maxDenyListAgeSeconds - now }),
  };
}

/** '3d 4h', '2h 5m', '40s': ages for people. */
export function formatAge(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  const sign = seconds < 0 ? '-' : '';
  if (s >= 86400) return `${sign}${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${sign}${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${sign}${Math.floor(s / 60)}m`;
  return `${sign}${s}s`;
}
