/**
 * Named instants of a tap, a sync and an export at which the crash-consistency tests kill the terminal (or, inside a
 * transaction, fail its commit). The library calls the `FaultHook` it was given at each one; production passes none.
 */
export const CrashPoint = {
  /** The intent is durable; PAY not sent yet. */
  TapAfterIntent: 'tap-after-intent',
  /** The card answered PAY (and so committed); nothing of the answer is persisted yet. */
  TapAfterPay: 'tap-after-pay',
  /**
   * Inside the receipt's transaction after PAY: the receipt and the closed intent are written, not committed. A kill
   * here is a crash before the commit; a hook that throws a storage error here (SQLITE_FULL) is a commit that failed.
   */
  TapReceiptCommit: 'tap-receipt-commit',
  /** The receipt and the closed intent are durable; the result is not returned yet. */
  TapAfterReceipt: 'tap-after-receipt',
  /** Everything is done; the approval is about to be returned (and printed). */
  TapBeforeApproval: 'tap-before-approval',
  /** A new upload batch is signed and durable, its receipts marked uploading; not sent yet. */
  SyncAfterBatch: 'sync-after-batch',
  /** The batch's request has been written to the socket; no answer yet. */
  SyncAfterSend: 'sync-after-send',
  /** The ledger's answer has arrived; not verified yet. */
  SyncAfterAnswer: 'sync-after-answer',
  /** The answer verified; the receipts are not marked yet. */
  SyncBeforeMarking: 'sync-before-marking',
  /** The export file is durable; its receipts are not marked exported yet. */
  ExportAfterFile: 'export-after-file',
  /** Inside every durable write transaction of the database, before its COMMIT (a failure here rolls it back). */
  Commit: 'commit',
} as const;
export type CrashPoint = (typeof CrashPoint)[keyof typeof CrashPoint];

/** Called at every crash point; a fault-injection hook may kill the process there. */
export type FaultHook = (point: CrashPoint) => void;
