import type { FaultHook } from './crash-point.js';

// This module is left out of the packed package (package.json `files`), and the CLI loads it only if it is there:
// a production install has no code path from EHKD_CRASH_AT to a kill.

/** Environment variable naming the crash point at which `crashHookFromEnv` kills the process. */
export const CRASH_AT_ENV = 'EHKD_CRASH_AT';

/**
 * The fault-injection hook of the CLI: when EHKD_CRASH_AT names a crash point, the process SIGKILLs itself
 * there (no cleanup, no flush: exactly what a power cut does to the process).
 * @returns undefined when the variable is unset, so production runs call nothing.
 * @example const hook = crashHookFromEnv(process.env)
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv): FaultHook | undefined {
  const target = env[CRASH_AT_ENV];
  if (target === undefined || target === '') return undefined;
  return (point) => {
    if (point === target) process.kill(process.pid, 'SIGKILL');
  };
}
