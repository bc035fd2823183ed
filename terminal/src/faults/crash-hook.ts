import Database from 'better-sqlite3';
import { CrashPoint, type FaultHook } from './crash-point.js';

// This module is left out of the packed package (package.json `files`), and the CLI loads it only if it is there:
// a production install has no code path from EHKD_CRASH_AT or EHKD_DISK_FULL_FROM to a kill or a failed commit.

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
