import { closeSync, fchmodSync, lstatSync, mkdirSync, chmodSync, openSync } from 'node:fs';

/** Permission bits of group and others: a file holding secrets must have none of them. */
export const GROUP_OTHER_BITS = 0o077;

/**
 * The permission bits of `path` (e.g. 0o644) if group or others have any access to it; undefined if they have none
 * or the file does not exist. Files holding private keys or payment histories are refused when this is defined.
 * @throws the file system's error for anything but a missing file
 * @example if (exposedMode('terminal.db') !== undefined) refuse()
 */
export function exposedMode(path: string): number | undefined {
  let mode: number;
  try {
    mode = lstatSync(path).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  return (mode & GROUP_OTHER_BITS) === 0 ? undefined : mode;
}

/**
 * Makes directory `dir` (and missing parents) for the owner only (0700) if it does not exist. An existing
 * directory is left as it is: it may be the operator's own (files in it are protected by their own mode).
 * @throws the file system's error
 * @example ensurePrivateDirectory('/var/lib/ehkd-terminal')
 */
export function ensurePrivateDirectory(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  // mkdir's mode passes through the umask; an explicit chmod makes the result the same under any umask.
  if (first !== undefined) chmodSync(dir, 0o700);
}

/**
 * Creates an empty file at `path` readable and writable by the owner only (0600, whatever the umask), unless it
 * exists. SQLite creates a database's -wal and -shm files with the database file's own mode, so a database opened
 * on such a file stays private with its journals.
 * @returns whether the file was created
 * @throws the file system's error other than the file existing
 * @example createPrivateFile('ledger.db'); new Database('ledger.db')
 */
export function createPrivateFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
  return true;
}
