import Database from 'better-sqlite3';

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

/** Environment variable naming the crash point at which `crashHookFromEnv` kills the process. */
export const CRASH_AT_ENV = 'EHKD_CRASH_AT';

/** Environment variable naming the crash point from which on every commit fails as on a full disk. */
export const DISK_FULL_FROM_ENV = 'EHKD_DISK_FULL_FROM';

/**
 * The fault-injection hook of the CLI: when EHKD_CRASH_AT names a crash point, the process SIGKILLs itself
 * there (no cleanup, no flush: exactly what a power cut does to the process); when EHKD_DISK_FULL_FROM names one,
 * every database commit from that point on fails with SQLite's SQLITE_FULL, as it does when the disk fills up
 * (`commit` names the first commit of the process).
 * @returns undefined when neither variable is set, so production runs call nothing.
 * @example const hook = crashHookFromEnv(process.env)
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv): FaultHook | undefined {
  const target = env[CRASH_AT_ENV];
  const fullFrom = env[DISK_FULL_FROM_ENV];
  const crash = target !== undefined && target !== '';
  const fill = fullFrom !== undefined && fullFrom !== '';
  if (!crash && !fill) return undefined;
  let full = false;
  return (point) => {
    if (crash && point === target) process.kill(process.pid, 'SIGKILL');
    if (fill && point === fullFrom) full = true;
    if (full && point === CrashPoint.Commit) throw diskFull();
  };
}

/** What better-sqlite3 throws when a write meets ENOSPC. */
export function diskFull(): Error {
  return new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
}
