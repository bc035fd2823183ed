import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The instant between the steps of `writeFileDurably` at which `onStep` runs (tests inject failures there). */
export const DurableWriteStep = {
  /** The complete content is in the temporary file, fsynced; the file at `path` is not touched yet. */
  TempWritten: 'temp-written',
} as const;
export type DurableWriteStep = (typeof DurableWriteStep)[keyof typeof DurableWriteStep];

/** Options of `writeFileDurably`. */
export interface DurableWriteOptions {
  /** Permission bits of a file it creates. Default 0o644 (key files pass 0o600). */
  readonly mode?: number;
  /** Never replace an existing file: fails with EEXIST instead (keys and certificates). Default false. */
  readonly exclusive?: boolean;
  /** Called between the steps (fault injection in tests; a throw there aborts the write like a failed step). */
  readonly onStep?: (step: DurableWriteStep) => void;
}

/**
 * Writes `data` to `path` so that after a crash or a failure at any instant the file is either absent (or its
 * previous content) or complete, never cut short: write a temporary file beside it (same directory, hence same file
 * system), fsync it, rename it over `path` (or hard-link it into place when `exclusive`, which fails instead of
 * replacing), fsync the directory. A failed write removes its temporary file; a killed one leaves at most a
 * `.<name>.<random>.tmp` beside the untouched target.
 * @throws the node:fs error of the failing step (EEXIST when `exclusive` and the file exists, ENOSPC, EROFS, ...);
 *   callers wrap it in their layer's error.
 * @example writeFileDurably('results/3f9a.cbor', resultBytes)
 */
export function writeFileDurably(path: string, data: Uint8Array | string, options: DurableWriteOptions = {}): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', options.mode ?? 0o644);
  let renamed = false;
  try {
    try {
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    options.onStep?.(DurableWriteStep.TempWritten);
    if (options.exclusive === true) {
      linkSync(temp, path);
    } else {
      renameSync(temp, path);
      renamed = true;
    }
  } finally {
    // After a link both names exist and the temporary one goes; after a failure only the temporary one does.
    if (!renamed) rmSync(temp, { force: true });
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
