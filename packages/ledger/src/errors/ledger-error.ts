import { EhkdError } from '@ehkd/core';

/**
 * Stable codes of the ledger layer. Bad data from a card, terminal, file or the network is never one of these:
 * it is a typed rejection (a Verification with a CheckId, or a per-receipt outcome). These codes are for operator
 * misuse (wrong key file, missing database setup), refused requests and infrastructure failures.
 */
export const LedgerErrorCode = {
  /** The database has not been initialised with trust anchors (`ehkd-ledger init`). */
  NotInitialised: 'LEDGER_NOT_INITIALISED',
  /** `init` on a database that already holds a scheme. */
  AlreadyInitialised: 'LEDGER_ALREADY_INITIALISED',
  /** A key or certificate file is unreadable, inconsistent, or of the wrong role for this use. */
  KeyFile: 'LEDGER_KEY_FILE',
  /** A request or command argument is malformed (bad hex, out-of-range number, missing field). */
  BadRequest: 'LEDGER_BAD_REQUEST',
  /** An enrolment without a valid invite code: none, malformed, unknown, expired or already used (HTTP 401). */
  Unauthorized: 'LEDGER_UNAUTHORIZED',
  /** Too many requests from one client (any route), or too many failed enrolment attempts from it or from everyone (HTTP 429, retry-after). */
  RateLimited: 'LEDGER_RATE_LIMITED',
  /** No such case, card, merchant, terminal or file. */
  NotFound: 'LEDGER_NOT_FOUND',
  /** The terminal cannot be enrolled under that id: taken by another merchant's terminal, or revoked. */
  TerminalConflict: 'LEDGER_TERMINAL_CONFLICT',
  /** A merchant with that id is already registered. */
  MerchantConflict: 'LEDGER_MERCHANT_CONFLICT',
  /** This ledger holds no key for the issuer of that card, so it cannot authorize its loads. */
  UnknownIssuer: 'LEDGER_UNKNOWN_ISSUER',
  /** A load was already authorized for that card challenge (a challenge is good for one load). */
  ChallengeUsed: 'LEDGER_CHALLENGE_USED',
  /**
   * A file holding secrets (a key file, a key-holding or ledger database) can be read or written by group or others;
   * `detail` has `path` and `mode` (the permission bits, e.g. 0o644).
   */
  FilePermissions: 'LEDGER_FILE_PERMISSIONS',
  /** A verification worker died or could not start. */
  Worker: 'LEDGER_WORKER',
  /** The database failed (disk full, corrupt, locked past the timeout). */
  Storage: 'LEDGER_STORAGE',
} as const;
export type LedgerErrorCode = (typeof LedgerErrorCode)[keyof typeof LedgerErrorCode];

/** Error of the ledger layer; `detail` carries machine-readable context (a file path, an id). */
export class LedgerError extends EhkdError<LedgerErrorCode, Record<string, unknown>> {
  readonly layer = 'ledger';
}
