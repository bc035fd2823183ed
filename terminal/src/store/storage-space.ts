import { accessSync, constants, statfsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { NextStep } from '../errors/next-step.js';
import { TerminalError, TerminalErrorCode, type StorageFault } from '../errors/terminal-error.js';

/**
 * Disk space one receipt takes in the terminal's database, rounded up: measured 608 bytes per receipt over 2,000
 * taps of 50 cards, and 872 bytes over 1,000 taps of 1,000 distinct cards (each new card adds its certificate row),
 * counting the intent, the receipt and their index entries.
 */
export const BYTES_PER_RECEIPT = 1_024;

/**
 * Free space the terminal keeps in reserve before it lets a tap start: the write-ahead log grows to about 4.2 MB
 * before SQLite's default checkpoint (1,000 pages of 4 KiB; measured 4,165,352 bytes) and starts from nothing after
 * the last handle closes, so a tap may need that much at once; the rest is headroom for the pages a checkpoint adds.
 */
export const STORAGE_RESERVE_BYTES = 8 * 1024 * 1024;

/** The free space of the file system holding `dir`, for an unprivileged writer (statfs bavail). */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * Checks, before a tap touches the card, that the data directory can take the tap's two commits: writable, and at
 * least `reserveBytes` free. Cheap (one statfs, one access), so it runs on every tap.
 * @throws TerminalError STORAGE_UNAVAILABLE (reason full or read-only)
 * @example checkWritable('/var/lib/ehkd-terminal', STORAGE_RESERVE_BYTES)
 */
export function checkWritable(dir: string, reserveBytes: number): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw storageUnavailable({ reason: 'read-only', dataDir: dir }, e);
  }
  const free = freeBytes(dir);
  if (free < reserveBytes)
    throw storageUnavailable({ reason: 'full', dataDir: dir, freeBytes: free, neededBytes: reserveBytes });
}

/** SQLite result codes (and errno codes of node:fs) that say the disk, not the program, failed. */
const FAULT_OF_CODE: Readonly<Record<string, StorageFault['reason']>> = {
  SQLITE_FULL: 'full',
  ENOSPC: 'full',
  EDQUOT: 'full',
  SQLITE_READONLY: 'read-only',
  EROFS: 'read-only',
  EACCES: 'read-only',
  EPERM: 'read-only',
  SQLITE_IOERR: 'io',
  SQLITE_CANTOPEN: 'io',
  EIO: 'io',
};

/**
 * The storage fault `e` is, if it is one: SQLITE_FULL, SQLITE_READONLY*, SQLITE_IOERR* (what better-sqlite3 throws
 * when a write meets ENOSPC, EROFS or EIO) or those errno codes themselves.
 * @example const fault = storageFault(e); if (fault !== undefined) throw storageUnavailable({ ...fault, dataDir }, e)
 */
export function storageFault(e: unknown): Pick<StorageFault, 'reason'> | undefined {
  const code =
    e instanceof Database.SqliteError
      ? e.code.split('_', 2).join('_') // the primary result code of an extended one: SQLITE_IOERR_WRITE -> SQLITE_IOERR
      : (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = typeof code === 'string' ? FAULT_OF_CODE[code] : undefined;
  return reason === undefined ? undefined : { reason };
}

const WHAT: Readonly<Record<StorageFault['reason'], string>> = {
  full: "the terminal's disk is full",
  'read-only': "the terminal's data directory is read-only",
  io: "the terminal's disk failed to read or write",
};

/** The terminal's error for a storage fault, with the fault as typed data. */
export function storageUnavailable(fault: StorageFault, cause?: unknown): TerminalError {
  const free =
    fault.freeBytes === undefined
      ? ''
      : ` (${Math.floor(fault.freeBytes / 1024)} KiB free, ${Math.ceil((fault.neededBytes ?? 0) / 1024)} KiB needed)`;
  return new TerminalError(
    TerminalErrorCode.StorageUnavailable,
    `${WHAT[fault.reason]}${free}: ${fault.dataDir}`,
    {
      next: NextStep.FixStorage,
      storage: fault,
    },
    cause,
  );
}
