import type { CheckId } from '@ehkd/core';

/** The fields of a pay receipt a worker verified, without its bytes (the caller holds those). */
export interface CheckedFields {
  readonly id: Uint8Array;
  readonly cardId: Uint8Array;
  readonly prevHash: Uint8Array;
  readonly counter: number;
  readonly amount: number;
  readonly currency: number;
  readonly balanceAfter: number;
  readonly time: number;
  /** Index, in the batch's card certificates, of the certificate the receipt verified under. */
  readonly certIndex: number;
  /** The card's issuer (signer of that certificate). */
  readonly issuerId: Uint8Array;
}

/** A worker's verdict on one receipt of a batch: verified fields, or the check that failed. */
export type ReceiptCheck =
  ({ readonly ok: true } & CheckedFields) | { readonly ok: false; readonly check: CheckId; readonly reason: string };
