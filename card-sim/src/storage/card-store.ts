import type { PurseState } from '../applet/purse-state.js';

/** Kinds of storage steps a tear hook can interrupt. */
export const StorageOp = {
  /** One sector-sized pwrite (a real medium tears at sector granularity). */
  Write: 'write',
  /** fdatasync of the card file (or of a new file before it is linked into place). */
  Fsync: 'fsync',
  /** Linking a fully written new file into place (atomic, like rename, but never replaces a file). */
  Link: 'link',
  /** fsync of the directory, making a new directory entry durable. */
  FsyncDir: 'fsync-dir',
  /** Removing the temporary name of a new file after it was linked. */
  Unlink: 'unlink',
} as const;
export type StorageOp = (typeof StorageOp)[keyof typeof StorageOp];

/** One step of a commit or of a card file's creation, as reported to a tear hook. */
export interface StorageStep {
  readonly op: StorageOp;
  /** Position of this step in its commit (0-based), so a campaign can cut at every index. */
  readonly index: number;
  readonly phase: 'before' | 'after';
  /** The file the step touches. */
  readonly path: string;
  /** For writes: the byte range written. */
  readonly offset?: number;
  readonly length?: number;
}

/**
 * Called before and after every storage step. Throwing `powerLost()` cuts the power at that point
 * (the step after 'before' never happens; nothing after 'after' happens); throwing anything else
 * simulates an I/O failure of that step (the store raises STORAGE_FAILED).
 */
export type StorageHook = (step: StorageStep) => void;

/**
 * The card's non-volatile memory. Implementations make `commit` atomic and durable: after a power
 * loss at any point, `load` returns either the state before the commit or the committed one.
 */
export interface CardStore {
  /**
   * Reads the last committed state from the medium (after a power cut: what survived it).
   * @throws CardError CORRUPT_STATE, STORAGE_FAILED
   */
  load(): PurseState;
  /**
   * Makes `state` the committed state; returns only once it would survive a power cut.
   * If it throws, the committed state is the previous one or `state`, never anything else.
   * @throws CardError POWER_LOST (a tear hook cut the power), STORAGE_FAILED
   */
  commit(state: PurseState): void;
  /** Releases the medium (file handle). Idempotent. */
  close(): void;
}
