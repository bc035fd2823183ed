import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** scripts/pcsc-stack.sh of this repository. */
export const STACK_SCRIPT = fileURLToPath(new URL('../../../../scripts/pcsc-stack.sh', import.meta.url));

/** vpcd's two slots as configured by Debian's vsmartcard-vpcd (/etc/reader.conf.d/vpcd). */
export const VPCD_SLOTS = [
  { port: 35963, reader: 'Virtual PCD 00 00' },
  { port: 35964, reader: 'Virtual PCD 00 01' },
] as const;

export interface StackRun {
  readonly ok: boolean;
  readonly output: string;
}

/** Runs `scripts/pcsc-stack.sh <args>`; never throws, reports exit status and output. */
export function runStack(...args: string[]): Promise<StackRun> {
  return new Promise((resolve) => {
    execFile('bash', [STACK_SCRIPT, ...args], { timeout: 300_000 }, (error, stdout, stderr) => {
      resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** A PC/SC stack made ready for a test run, and whether this run has to stop it afterwards. */
export type StackSession =
  | { readonly ready: true; readonly startedHere: boolean; readonly ownedByScript: boolean; stop(): Promise<void> }
  | { readonly ready: false; readonly reason: string };

/**
 * Installs what is missing (a no-op when everything is there), then starts pcscd with vpcd and
 * the TCP_NODELAY shim unless one already runs. `stop()` stops pcscd only if this call started it.
 */
export async function prepareStack(): Promise<StackSession> {
  const before = await runStack('status');
  const install = await runStack('install');
  if (!install.ok) return { ready: false, reason: `scripts/pcsc-stack.sh install failed: ${install.output}` };
  const start = await runStack('start');
  if (!start.ok) return { ready: false, reason: `scripts/pcsc-stack.sh start failed: ${start.output}` };
  const status = await runStack('status');
  const ownedByScript =
    status.output.includes('started by this script') && !status.output.includes('not started by this script');
  const startedHere = !before.ok;
  return {
    ready: true,
    startedHere,
    ownedByScript,
    stop: async () => {
      if (startedHere) await runStack('stop');
    },
  };
}
