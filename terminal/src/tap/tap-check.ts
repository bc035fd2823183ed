import { CheckId, formatAmount } from '@ehkd/core';

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

const GO_ONLINE =
  'Connect the terminal to the network and run `ehkd-terminal sync` (or load a current deny list), then charge again.';
const OTHER_METHOD = 'Do not accept this card: ask for another payment method.';

/**
 * What the cashier should do after a failed check (core CheckId or TerminalCheck).
 * @example cashierAction('deny-list', 344, { floorLimit: 50000 })
 */
export function cashierAction(check: string, currency: number, context: { floorLimit?: number } = {}): string {
  switch (check) {
    case CheckId.Structure:
      return 'The card answered garbled data: ask the customer to tap again; if it repeats, ask for another payment method.';
    case CheckId.CertChain:
    case CheckId.CertRole:
      return `This is not a genuine e-HKD card. ${OTHER_METHOD}`;
    case CheckId.CertExpiry:
      return "The card has expired (or this terminal's clock is wrong): ask for another payment method, and check the terminal clock.";
    case CheckId.DenyList:
      return `This card is blocked by the scheme. ${OTHER_METHOD}`;
    case TerminalCheck.CardLocked:
      return `This card is locked by its issuer. ${OTHER_METHOD}`;
    case CheckId.Currency:
      return `This card holds another currency. ${OTHER_METHOD}`;
    case CheckId.Counter:
      // The card's state is older than a receipt it already gave this terminal: a restored or copied card.
      return `This card's stored state went back in time (a restored or copied card). ${OTHER_METHOD} The terminal reports it to the scheme at the next sync.`;
    case TerminalCheck.DenyListAge:
      return `This terminal's deny list is too old to take offline payments. ${GO_ONLINE}`;
    case TerminalCheck.OfflineAmount:
    case TerminalCheck.OfflineCount:
      return `This terminal has reached its offline limit. ${GO_ONLINE}`;
    case TerminalCheck.FloorLimit:
      return `The amount is above this terminal's offline limit per payment${context.floorLimit === undefined ? '' : ` (${formatAmount(context.floorLimit, currency)})`}: ask for another payment method.`;
    default:
      // signature, card, nonce, amount, payee: the card signed something other than what was asked.
      return `The card's receipt is invalid, so the payment was NOT taken. ${OTHER_METHOD}`;
  }
}
