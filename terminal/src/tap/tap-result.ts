import type { StorageFault } from '../errors/terminal-error.js';
import type { IntentResolution } from '../store/receipt-state.js';
import type { NextStep } from '../errors/next-step.js';

/** A payment the terminal holds a verified, durable receipt for. */
export interface ApprovedPayment {
  /** SHA-256 of the receipt payload (the receipt's identity). */
  readonly receiptId: Uint8Array;
  readonly cardId: Uint8Array;
  /** The card's counter after the payment. */
  readonly counter: number;
  readonly amount: number;
  readonly currency: number;
  /** Card balance after the payment. */
  readonly balanceAfter: number;
  readonly nonce: Uint8Array;
  /** Terminal time of the payment (Unix seconds). */
  readonly time: number;
}

/** An earlier interrupted tap of this card that this tap settled. */
export interface ResolvedIntent {
  readonly nonce: Uint8Array;
  readonly amount: number;
  readonly resolution: IntentResolution;
  readonly detail?: string;
}

/** Which exchange of the tap an outcome comes from. */
export const TapStage = { Select: 'select', Recover: 'recover', Pay: 'pay' } as const;
export type TapStage = (typeof TapStage)[keyof typeof TapStage];

interface TapResultBase {
  /** The card, once its certificate was read. */
  readonly cardId?: Uint8Array;
  /** Earlier interrupted taps of this card settled during this tap (voided ones; a recovered one is the result). */
  readonly resolved: readonly ResolvedIntent[];
}

/** The card paid; the receipt is verified and durable. */
export interface Approved extends TapResultBase {
  readonly outcome: 'approved';
  readonly payment: ApprovedPayment;
}

/**
 * An earlier tap of this card had been interrupted after the card paid (its receipt was recovered with RECOVER),
 * or its approval was never shown (the terminal stopped after persisting it): the earlier payment is approved.
 * No new payment was taken in this tap (the customer is charged once).
 */
export interface Recovered extends TapResultBase {
  readonly outcome: 'recovered';
  readonly payment: ApprovedPayment;
  /** What was asked in this tap, which was not charged. */
  readonly requestedAmount: number;
}

/** The terminal refused before asking the card to pay (certificate, deny list, limits) or refused its receipt. */
export interface Declined extends TapResultBase {
  readonly outcome: 'declined';
  /** Stable id of the failed check (a core CheckId or a TerminalCheck). */
  readonly check: string;
  readonly reason: string;
  /** What the cashier should do. */
  readonly next: NextStep;
  /** The terminal's per-payment floor limit, when that is the check that failed. */
  readonly floorLimit?: number;
}

/** The card refused with a status word; nothing was charged. */
export interface CardRefused extends TapResultBase {
  readonly outcome: 'card-refused';
  readonly stage: TapStage;
  /** The status word (SW1SW2) as a number. */
  readonly sw: number;
  /** Stable name of the status word, e.g. 'InsufficientFunds'. */
  readonly swName: string;
  readonly reason: string;
  readonly next: NextStep;
}

/**
 * The tap did not finish (card left the field, or answered a status whose outcome is unknown). If PAY had been
 * sent, its intent stays pending and the next tap of this card settles it with RECOVER: ask for the same card.
 */
export interface Interrupted extends TapResultBase {
  readonly outcome: 'interrupted';
  readonly stage: TapStage;
  /** True when the card may have paid: its intent is pending until the card is tapped again. */
  readonly pending: boolean;
  /** The status word, when the card answered one whose outcome is unknown. */
  readonly sw?: number;
  /** The storage fault, when the card paid but the terminal could not save the receipt (disk full, read-only, failing). */
  readonly storage?: StorageFault;
  readonly reason: string;
  readonly next: NextStep;
}

/** Every outcome of a tap. Failures a cashier can act on are results, never exceptions. */
export type TapResult = Approved | Recovered | Declined | CardRefused | Interrupted;
