import { StatusWord, formatAmount, statusWordName, type CardPublicState } from '@ehkd/core';
import { NextStep } from '../errors/next-step.js';
import { TapStage } from './tap-result.js';

/**
 * Status words with which the card refuses PAY before committing anything (docs/protocol.md: every PAY check
 * precedes the commit, and a failed write rolls back): an intent refused with one of these is void. Any other
 * status word (a reader's 63xx, 6F00) leaves the outcome unknown, so the intent stays pending for RECOVER.
 * NonceReused (9F07) is deliberately not here: it means the card already signed a receipt for this very nonce
 * (a PAY that reached the card twice), so the payment happened and RECOVER must fetch it, never void it.
 */
export const NOTHING_COMMITTED: ReadonlySet<number> = new Set<number>([
  StatusWord.WrongLength,
  StatusWord.ConditionsNotSatisfied,
  StatusWord.WrongData,
  StatusWord.WrongP1P2,
  StatusWord.InsNotSupported,
  StatusWord.ClaNotSupported,
  StatusWord.MemoryFailure,
  StatusWord.InsufficientFunds,
  StatusWord.AmountOverLimit,
  StatusWord.OfflineCountExceeded,
  StatusWord.OfflineAmountExceeded,
  StatusWord.CardLocked,
  StatusWord.CurrencyMismatch,
]);

/** A card refusal: what happened, in words, and the cashier's next step. */
export interface RefusalText {
  readonly swName: string;
  readonly reason: string;
  readonly next: NextStep;
}

/**
 * Explains a status word the card answered at a stage of the tap, using the public state from SELECT for figures.
 * @example describeRefusal(TapStage.Pay, 0x9f01, state, 344)
 */
export function describeRefusal(
  stage: TapStage,
  sw: number,
  state: CardPublicState | undefined,
  currency: number,
): RefusalText {
  const swName = statusWordName(sw);
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  const money = (n: number): string => formatAmount(n, currency);
  const say = (reason: string, next: NextStep): RefusalText => ({ swName, reason: `${reason} (SW ${hex})`, next });
  if (stage === TapStage.Select && sw === StatusWord.FileNotFound) {
    return say('this card has no e-HKD purse', NextStep.OtherPaymentMethod);
  }
  switch (sw) {
    case StatusWord.InsufficientFunds:
      return say(
        `the card's balance is too low${state === undefined ? '' : ` (${money(state.balance)})`}`,
        NextStep.TopUpCard,
      );
    case StatusWord.AmountOverLimit:
      return say(
        `the amount is above this card's limit per payment${state === undefined ? '' : ` (${money(state.limits.maxPayment)})`}`,
        NextStep.SmallerAmount,
      );
    case StatusWord.OfflineCountExceeded:
    case StatusWord.OfflineAmountExceeded:
      return say('the card has reached its offline limit', NextStep.TopUpCard);
    case StatusWord.CardLocked:
      return say('the card is locked by its issuer', NextStep.OtherPaymentMethod);
    case StatusWord.CurrencyMismatch:
      return say('the card holds another currency', NextStep.OtherPaymentMethod);
    case StatusWord.NonceReused:
      return say('the card has already seen this tap', NextStep.TapAgain);
    default:
      return say(`the card reported an error at ${stage}`, NextStep.TapAgain);
  }
}
