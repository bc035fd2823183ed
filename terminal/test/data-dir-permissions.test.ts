// terminal.db holds the terminal's private key: the data directory is created 0700 and the database 0600 (its
// -wal and -shm too), whatever the umask, and a database that group or others can read is refused at start.
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Terminal, TerminalError, TerminalErrorCode } from '../src/index.js';
import { DATABASE_FILE } from '../src/store/terminal-database.js';
import { runCli } from './fixtures/cli-runner.js';
import { tempDir } from './fixtures/scheme-fixture.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('terminal data directory', () => {
  it('is created 0700 with the database 0600, journals included, under umask 000', () => {
    const dataDir = join(tempDir(), 'terminal');
    const old = process.umask(0);
    let terminal: Terminal;
    try {
      terminal = Terminal.open({ dataDir });
    } finally {
      process.umask(old);
    }
    terminal.prepareEnrolment({ merchantId: new Uint8Array(8).fill(6) });
    const db = join(dataDir, DATABASE_FILE);
    expect(modeOf(dataDir)).toBe(0o700);
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect(modeOf(file)).toBe(0o600);
    terminal.close();
  });

  it('refuses a database that group or others can read, saying which file and what to run', async () => {
    const dataDir = join(tempDir(), 'terminal');
    Terminal.open({ dataDir }).close();
    const db = join(dataDir, DATABASE_FILE);
    chmodSync(db, 0o644);
    let error: unknown;
    try {
      Terminal.open({ dataDir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TerminalError);
    expect(error).toMatchObject({ code: TerminalErrorCode.FilePermissions, detail: { path: db, mode: 0o644 } });
    const run = await runCli(['--data-dir', dataDir, 'status']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`chmod 600 ${db}`);
    chmodSync(db, 0o600);
    Terminal.open({ dataDir }).close();
  });
});
