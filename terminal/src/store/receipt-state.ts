/**
 * Where a receipt is on its way to settlement.
 * - queued: persisted at the tap, waiting for upload or export;
 * - uploading: inside a terminal-signed batch sent (or about to be sent) to the ledger, no verified answer yet;
 * - accepted / duplicate: the ledger's signed answer says it is credited (duplicate: it already had it);
 * - rejected: the ledger refused it (with the failed check and reason); nothing is credited;
 * - double-spend: the ledger flagged the card as double spending; kept as evidence;
 * - exported: written to a signed batch file for hand carriage; still uploaded when the link returns.
 */
export const ReceiptState = {
  Queued: 'queued',
  Uploading: 'uploading',
  Accepted: 'accepted',
  Duplicate: 'duplicate',
  Rejected: 'rejected',
  DoubleSpend: 'double-spend',
  Exported: 'exported',
} as const;
export type ReceiptState = (typeof ReceiptState)[keyof typeof ReceiptState];

/** States without a verified ledger answer: these receipts are the terminal's offline exposure. */
export const UNSETTLED_STATES: readonly ReceiptState[] = [
  ReceiptState.Queued,
  ReceiptState.Uploading,
  ReceiptState.Exported,
];

/**
 * What became of a tap's intent (persisted before PAY).
 * - pending: PAY may or may not have reached the card; resolved by RECOVER when the card is tapped again;
 * - completed: the receipt is persisted;
 * - voided: the card did not commit (refused, or RECOVER found nothing), or its receipt failed verification.
 */
export const IntentState = { Pending: 'pending', Completed: 'completed', Voided: 'voided' } as const;
export type IntentState = (typeof IntentState)[keyof typeof IntentState];

/** How an intent ended. */
export const IntentResolution = {
  /** Receipt received in the tap itself. */
  Approved: 'approved',
  /** Receipt fetched by RECOVER on a later tap. */
  Recovered: 'recovered',
  /** The card answered PAY with a refusal: nothing was committed. */
  CardRefused: 'card-refused',
  /** RECOVER found no receipt for the nonce while the card's log still covers it: PAY never committed. */
  NotCommitted: 'not-committed',
  /** The card's answer (or RECOVER's) failed verification; the bytes are kept in `detail`. */
  InvalidReceipt: 'invalid-receipt',
  /**
   * RECOVER found nothing, but the card made more operations since than its log keeps: the outcome cannot be
   * established at the terminal any more; the ledger's chain checks settle it.
   */
  Unresolvable: 'unresolvable',
} as const;
export type IntentResolution = (typeof IntentResolution)[keyof typeof IntentResolution];
