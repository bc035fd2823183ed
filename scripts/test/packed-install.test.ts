/**
 * Shipping (issue "Ship it as real packages"): `pnpm pack` of each package gives a tarball that installs with plain
 * npm into an empty directory, outside the workspace, and runs: the ledger serves HTTPS and enrols a terminal with a
 * single-use code, the terminal (installed from its tarball) enrols with it and charges a card made by the installed
 * card CLI. Nothing of the installation is TypeScript or a TypeScript loader, and the fault-injection hook is not in
 * the terminal's tarball, so EHKD_CRASH_AT does nothing there.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['packages/core', 'packages/pcsc', 'card-sim', 'packages/ledger', 'terminal'];

let work: string;
let prefix: string;
let ledger: ChildProcess | undefined;

function bin(name: string): string {
  return join(prefix, 'node_modules', '.bin', name);
}

function run(
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin(name), ...args], {
    cwd: work,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(name: string, ...args: string[]): string {
  const r = run(name, args);
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: exit ${r.status}\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ehkd-packed-'));
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  for (const p of PACKAGES)
    execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(ROOT, p), stdio: 'ignore' });
  prefix = join(work, 'install');
  mkdirSync(prefix);
  writeFileSync(join(prefix, 'package.json'), '{ "name": "clean-machine", "private": true }\n');
  const files = readdirSync(tarballs).map((f) => join(tarballs, f));
  // Plain npm, outside the workspace: only the tarballs and the registry (native addons compile from source).
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], {
    cwd: prefix,
    stdio: 'ignore',
    env: { ...process.env, npm_config_nodedir: process.env['npm_config_nodedir'] ?? '/usr' },
  });
}, 600_000);

afterAll(() => {
  ledger?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

describe('the packed packages on a clean machine', () => {
  it('install as built JavaScript with no TypeScript loader, and without the test-only fault hook', () => {
    const modules = join(prefix, 'node_modules');
    for (const p of ['tsx', 'esbuild', 'typescript', 'vitest']) expect(existsSync(join(modules, p)), p).toBe(false);
    for (const p of ['core', 'pcsc', 'card-sim', 'ledger', 'terminal']) {
      const dir = join(modules, '@ehkd', p);
      expect(existsSync(join(dir, 'src')), `${p} ships no sources`).toBe(false);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        exports: Record<string, Record<string, string>>;
      };
      for (const entry of Object.values(manifest.exports)) {
        expect(Object.keys(entry), `${p} exports`).toEqual(['types', 'import']);
        expect(existsSync(join(dir, entry['import'] as string)), `${p} ${entry['import']}`).toBe(true);
      }
    }
    expect(existsSync(join(modules, '@ehkd', 'terminal', 'dist', 'faults', 'crash-point.js'))).toBe(true);
    expect(existsSync(join(modules, '@ehkd', 'terminal', 'dist', 'faults', 'crash-hook.js'))).toBe(false);
  });

  it('run: the ledger serves HTTPS, the terminal enrols with a single-use code and charges a card, and EHKD_CRASH_AT does nothing', async () => {
    ok(
      'ehkd-ledger',
      'keys',
      'create-root',
      '--name',
      'Packed root',
      '--out',
      'root.key.json',
      '--cert-out',
      'root.cert',
    );
    ok(
      'ehkd-ledger',
      'keys',
      'create-issuer',
      '--root-key',
      'root.key.json',
      '--name',
      'Bank',
      '--out',
      'issuer.key.json',
    );
    ok(
      'ehkd-ledger',
      'keys',
      'create-acquirer',
      '--root-key',
      'root.key.json',
      '--name',
      'Acquirer',
      '--out',
      'acquirer.key.json',
    );
    ok(
      'ehkd-ledger',
      'init',
      '--db',
      'ledger.db',
      '--root',
      'root.cert',
      '--issuer',
      'issuer.key.json',
      '--acquirer-key',
      'acquirer.key.json',
    );
    ok(
      'ehkd-ledger',
      'merchant',
      'add',
      '--db',
      'ledger.db',
      '--id',
      '0600000000000042',
      '--name',
      'Packed cafe',
      '--mcc',
      '5814',
    );
    const code = ok('ehkd-ledger', 'terminal', 'invite', '--db', 'ledger.db', '--merchant', '0600000000000042').trim();
    ok('ehkd-ledger', 'tls', 'create-dev-cert', '--out-cert', 'tls.crt', '--out-key', 'tls.key', '--host', '127.0.0.1');

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    ledger = spawn(
      process.execPath,
      [
        bin('ehkd-ledger'),
        'serve',
        '--db',
        'ledger.db',
        '--acquirer-key',
        'acquirer.key.json',
        '--issuer-key',
        'issuer.key.json',
        '--tls-cert',
        'tls.crt',
        '--tls-key',
        'tls.key',
        '--port',
        String(port),
        '--workers',
        '1',
      ],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      let out = '';
      ledger?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('listening')) resolve();
      });
      ledger?.once('exit', (status) => reject(new Error(`ehkd-ledger serve exited ${String(status)}: ${out}`)));
    });

    const url = `https://127.0.0.1:${port}`;
    const enrolled = JSON.parse(
      ok(
        'ehkd-terminal',
        '-d',
        'terminal',
        '--json',
        'enrol',
        '--ledger',
        url,
        '--ledger-ca',
        'tls.crt',
        '--code',
        code,
        '--root',
        'root.cert',
      ),
    ) as { merchantId: string };
    expect(enrolled.merchantId).toBe('0600000000000042');

    // A card made by the installed card CLI and loaded through the ledger at the terminal (a load point).
    ok('ehkd-card', 'personalise', '--issuer', 'issuer.key.json', '--out', 'alice.card');
    ok('ehkd-terminal', '-d', 'terminal', 'top-up', '50.00', '--sim', 'alice.card');
    const charged = run('ehkd-terminal', ['-d', 'terminal', '--json', 'charge', '12.50', '--sim', 'alice.card'], {
      EHKD_CRASH_AT: 'tap-after-pay',
    });
    expect(charged.status, charged.stderr).toBe(0);
    expect(JSON.parse(charged.stdout)).toMatchObject({ outcome: 'approved' });
    const synced = JSON.parse(ok('ehkd-terminal', '-d', 'terminal', '--json', 'sync')) as {
      totals: { accepted: number };
    };
    expect(synced.totals.accepted).toBe(1);
  }, 180_000);
});
