/**
 * Importing a package runs nothing (issue "Ship it as real packages"): each entry point of each built package is
 * imported in a fresh Node process, which must then hold no timer, socket, worker or other resource, print nothing,
 * and exit by itself. A module that starts work at import (a signing pass, a server, a timer) fails here.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Resolved from the terminal package, which depends on every other one (the ledger as a dev dependency).
const FROM = join(ROOT, 'terminal');
const ENTRIES = [
  '@ehkd/core',
  '@ehkd/core/node',
  '@ehkd/core/testing',
  '@ehkd/pcsc',
  '@ehkd/card-sim',
  '@ehkd/card-sim/vpcd',
  '@ehkd/card-sim/testing',
  '@ehkd/ledger',
  '@ehkd/terminal',
];

/** Resources a fresh process holds after importing `entry` (none: the bare process's own, its stdio pipes). */
function resourcesAfter(entry: string | undefined): { status: number | null; stdout: string; resources: string[] } {
  // The loader's own file reads settle within a few ticks; what is still open after that, the module started.
  const load = entry === undefined ? '' : `await import(${JSON.stringify(entry)}); `;
  const probe = `${load}await new Promise((r) => setTimeout(r, 100)); process.stderr.write(JSON.stringify(process.getActiveResourcesInfo()));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: FROM,
    encoding: 'utf8',
    timeout: 20_000,
  });
  let resources: string[] = [];
  try {
    resources = JSON.parse(r.stderr) as string[];
  } catch {
    resources = [`unreadable: ${r.stderr}`];
  }
  return { status: r.status, stdout: r.stdout, resources };
}

describe('importing a built package', () => {
  const bare = resourcesAfter(undefined).resources;
  for (const entry of ENTRIES) {
    it(`${entry} starts nothing and prints nothing`, () => {
      const r = resourcesAfter(entry);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.resources).toEqual(bare);
    });
  }
});
