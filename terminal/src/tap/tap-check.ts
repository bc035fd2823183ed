import { CheckId } from '@ehkd/core';
import { NextStep } from '../errors/next-step.js';

/** Terminal-side checks of a tap, in addition to core's verification CheckIds. */
export const TerminalCheck = {
  /** The amount is above the terminal's per-payment floor limit. */
  FloorLimit: 'floor-limit',
  /** Payments not yet settled would exceed the terminal's cumulative offline amount. */
  OfflineAmount: 'offline-amount',
  /** Payments not yet settled would exceed the terminal's cumulative offline count. */
  OfflineCount: 'offline-count',
  /** The card's issuer locked it. */
  CardLocked: 'card-locked',
  /** The terminal's deny list is older than its maximum age (or there is none). */
  DenyListAge: CheckId.DenyListAge,
} as const;
export type TerminalCheck = (typeof TerminalCheck)[keyof typeof TerminalCheck];

/**
 * The cashier's next step after a failed check (a core CheckId or a TerminalCheck).
 * @example nextStepForCheck('deny-list') // 'other-payment-method'
 */
export function nextStepForCheck(check: string): NextStep {
  switch (check) {
    case CheckId.Structure:
      return NextStep.TapAgain;
    case TerminalCheck.DenyListAge:
    case TerminalCheck.OfflineAmount:
    case TerminalCheck.OfflineCount:
      return NextStep.GoOnline;
    case TerminalCheck.FloorLimit:
      return NextStep.SmallerAmount;
    default:
      // cert-chain, cert-role, cert-expiry, deny-list, card-locked, currency, counter, and a receipt that does not
      // verify (signature, card, nonce, amount, payee): do not accept the card.
      return NextStep.OtherPaymentMethod;
  }
}
