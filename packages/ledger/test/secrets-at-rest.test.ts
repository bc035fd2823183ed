// Files that hold secrets (key files, the TLS key, the ledger database with every card's history) are created for
// their owner only, whatever the umask, and refused at start when group or others can read them.
import { spawnSync } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Role, formatKeyFile } from '@ehkd/core';
import { readPartyKey, readSecretText } from '../src/cli/cli-files.js';
import { LedgerError, LedgerErrorCode } from '../src/errors/ledger-error.js';
import { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { createTestScheme, removeTempDirs, tempDir } from './fixtures/test-scheme.js';

const BIN = fileURLToPath(new URL('../bin/ehkd-ledger.js', import.meta.url));

afterAll(removeTempDirs);

const modeOf = (path: string): number => statSync(path).mode & 0o777;

function withUmask<T>(mask: number, fn: () => T): T {
  const old = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

function refusal(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LedgerError) return e;
    throw e;
  }
  throw new Error('not refused');
}

describe('the ledger database', () => {
  it('is created 0600, with its journals, in a new directory made 0700, under umask 000', async () => {
    const path = join(tempDir(), 'new', 'dir', 'ledger.db');
    // opening writes the schema, so the WAL and its index exist while the store is open
    const store = withUmask(0, () => SqliteLedgerStore.open(path));
    expect(modeOf(path)).toBe(0o600);
    expect(modeOf(`${path}-wal`)).toBe(0o600);
    expect(modeOf(`${path}-shm`)).toBe(0o600);
    expect(modeOf(join(path, '..'))).toBe(0o700);
    await store.close();
  });

  it('is refused when group or others can read it or its journal', async () => {
    const path = join(tempDir(), 'ledger.db');
    await SqliteLedgerStore.open(path).close();
    chmodSync(path, 0o644);
    expect(refusal(() => SqliteLedgerStore.open(path))).toMatchObject({
      code: LedgerErrorCode.FilePermissions,
      detail: { path, mode: 0o644 },
    });
    chmodSync(path, 0o600);
    writeFileSync(`${path}-wal`, '', { mode: 0o640 });
    chmodSync(`${path}-wal`, 0o640);
    expect(refusal(() => SqliteLedgerStore.open(path))).toMatchObject({
      code: LedgerErrorCode.FilePermissions,
      detail: { path: `${path}-wal`, mode: 0o640 },
    });
  });
});

describe('key files', () => {
  const scheme = createTestScheme();

  it('are refused when group or others can read them, and read when they cannot', () => {
    const path = join(tempDir(), 'acquirer.key.json');
    writeFileSync(path, formatKeyFile(scheme.keyFiles.acquirer), { mode: 0o600 });
    expect(readPartyKey(path, Role.Acquirer).id).toEqual(scheme.acquirer.id);
    chmodSync(path, 0o604);
    expect(refusal(() => readPartyKey(path, Role.Acquirer))).toMatchObject({
      code: LedgerErrorCode.FilePermissions,
      detail: { path, mode: 0o604 },
    });
    expect(refusal(() => readSecretText(path, 'TLS key'))).toMatchObject({ code: LedgerErrorCode.FilePermissions });
  });

  it('are written 0600 by the CLI, and an exposed one is refused with the chmod to run', () => {
    const dir = tempDir();
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8' });
    expect(
      run('keys', 'create-root', '--name', 'Root', '--out', 'root.key.json', '--cert-out', 'root.cert').status,
    ).toBe(0);
    expect(modeOf(join(dir, 'root.key.json'))).toBe(0o600);
    chmodSync(join(dir, 'root.key.json'), 0o644);
    const r = run('keys', 'create-issuer', '--root-key', 'root.key.json', '--name', 'Bank', '--out', 'issuer.key.json');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(LedgerErrorCode.FilePermissions);
    expect(r.stderr).toContain('chmod 600 root.key.json');
  });
});

describe('the TLS files of serve', () => {
  it('tls create-dev-cert writes the key 0600; serve refuses to start without TLS unless --insecure-http, and with an exposed key', () => {
    const dir = tempDir();
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, EHKD_ENROLMENT_TOKEN: 'x' },
      });
    expect(
      run('tls', 'create-dev-cert', '--out-cert', 'tls.crt', '--out-key', 'tls.key', '--host', '127.0.0.1').status,
    ).toBe(0);
    expect(modeOf(join(dir, 'tls.key'))).toBe(0o600);
    const plain = run('serve', '--acquirer-key', 'none.json');
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/refusing to serve without TLS: give --tls-cert and --tls-key[\s\S]*--insecure-http/);
    chmodSync(join(dir, 'tls.key'), 0o644);
    const exposed = run('serve', '--acquirer-key', 'none.json', '--tls-cert', 'tls.crt', '--tls-key', 'tls.key');
    expect(exposed.status).toBe(1);
    expect(exposed.stderr).toContain('chmod 600 tls.key');
  });
});
