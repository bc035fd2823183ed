import { EhkdError } from '@ehkd/core';
import type { NextStep } from './next-step.js';

/** Stable codes of terminal failures that are not a tap's outcome (those are `TapResult`s, never thrown). */
export const TerminalErrorCode = {
  /** The terminal has no certificate yet: it cannot take payments or upload. */
  NotEnrolled: 'NOT_ENROLLED',
  /** `enrol` was asked to replace an installed certificate without being told to. */
  AlreadyEnrolled: 'ALREADY_ENROLLED',
  /** Enrolment could not complete (refused token, certificate not for this key, bad trust anchors). */
  EnrolmentFailed: 'ENROLMENT_FAILED',
  /** The amount typed is not a valid payment amount. */
  InvalidAmount: 'INVALID_AMOUNT',
  /** No card was presented within the time allowed, or the wait was cancelled. */
  NoCard: 'NO_CARD',
  /** The reader is missing or failed before a tap began. */
  ReaderUnavailable: 'READER_UNAVAILABLE',
  /** The ledger could not be reached (network down, timeout, 5xx). Nothing was lost; try again later. */
  LedgerUnreachable: 'LEDGER_UNREACHABLE',
  /** The ledger refused a request (4xx): the request will not succeed by repeating it. */
  LedgerRefused: 'LEDGER_REFUSED',
  /** The ledger answered something that does not verify (signature, structure, another batch). */
  LedgerAnswerInvalid: 'LEDGER_ANSWER_INVALID',
  /** No ledger URL is configured. */
  NoLedger: 'NO_LEDGER',
  /** A file given to the terminal is unreadable or not what it claims to be. */
  BadFile: 'BAD_FILE',
  /** A trust anchor bundle or deny list failed verification. */
  TrustRejected: 'TRUST_REJECTED',
  /** A configuration value is invalid. */
  BadConfig: 'BAD_CONFIG',
  /** An online top-up did not complete: the card refused, or its answer did not verify. */
  TopUpFailed: 'TOP_UP_FAILED',
  /** The card left during LOAD and it cannot be told (yet) whether it executed the load. */
  TopUpUncertain: 'TOP_UP_UNCERTAIN',
  /** The terminal's database is unusable (wrong schema version, corrupt, locked too long). */
  StoreFailed: 'STORE_FAILED',
  /** The terminal's database (it holds the terminal's private key) is open to group or others; `detail.path`, `detail.mode`. */
  FilePermissions: 'FILE_PERMISSIONS',
  /**
   * The data directory cannot take a write: the disk is full, read-only or failing (`detail.storage` says which).
   * An expected state, not a bug: nothing is lost, the step is refused (before a tap touches the card), and once
   * space returns everything goes on; a tap whose receipt could not be saved after the card paid is `interrupted`.
   */
  StorageUnavailable: 'STORAGE_UNAVAILABLE',
} as const;
export type TerminalErrorCode = (typeof TerminalErrorCode)[keyof typeof TerminalErrorCode];

/** What a terminal error carries: the next step (a screen words it) and the facts behind it. */
export interface TerminalErrorDetail {
  /** The cashier's or operator's next step. */
  readonly next: NextStep;
  /** The setting or option concerned, for `fix-input`. */
  readonly field?: string;
  /** HTTP status of a ledger refusal, where there was one. */
  readonly httpStatus?: number;
  /** The verification check that failed, where one did. */
  readonly check?: string;
  /** The file concerned, and its permission bits, where the error is about one. */
  readonly path?: string;
  readonly mode?: number;
  /** For STORAGE_UNAVAILABLE: what the storage fault is. */
  readonly storage?: StorageFault;
}

/** A data directory that cannot take a write. */
export interface StorageFault {
  readonly reason: 'full' | 'read-only' | 'io';
  readonly dataDir: string;
  /** Free bytes, when the terminal measured them (its check before a tap). */
  readonly freeBytes?: number;
  /** Free bytes the step needs, with `freeBytes`. */
  readonly neededBytes?: number;
}

/** The terminal's one error class: a stable code, a message saying what happened and `detail.next`, the step to take. */
export class TerminalError extends EhkdError<TerminalErrorCode, TerminalErrorDetail> {
  readonly layer = 'terminal';

  constructor(code: TerminalErrorCode, message: string, detail: TerminalErrorDetail, cause?: unknown) {
    super(code, message, cause === undefined ? { detail } : { detail, cause });
  }

  /** The next step for whoever reads the error. */
  get next(): NextStep {
    return (this.detail as TerminalErrorDetail).next;
  }
}
