/**
 * The `ehkd-card` CLI: dev-scheme (never over an existing scheme), personalise (with limits and an initial
 * issuer-signed load), inspect (human and --json, never the private key), clone, and the bin shim.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKeyFile, decodeTrustAnchorBundle, toHex } from '@ehkd/core';
import { afterAll, describe, expect, it } from 'vitest';
import { FileCardStore, encodePurseState } from '../src/index.js';
import { runCardCli } from '../src/cli/card-cli.js';
import { DEV_SCHEME_FILES } from '../src/cli/dev-scheme-files.js';

const dir = mkdtempSync(join(tmpdir(), 'ehkd-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SEED = '07'.repeat(32);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCardCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('ehkd-card', () => {
  const scheme = join(dir, 'scheme');
  const card = join(dir, 'alice.card');

  it('dev-scheme writes root, issuer and acquirer key files and the trust anchors, once', async () => {
    expect((await cli('dev-scheme', scheme, '--seed', SEED)).code).toBe(0);
    const issuer = parseKeyFile(readFileSync(join(scheme, DEV_SCHEME_FILES.issuer), 'utf8'));
    expect(issuer.role).toBe(2);
    const anchors = decodeTrustAnchorBundle(new Uint8Array(readFileSync(join(scheme, DEV_SCHEME_FILES.trustAnchors))));
    expect(anchors.certificates).toHaveLength(2);
    const again = await cli('dev-scheme', scheme);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists.*CARD_FILE_EXISTS/);
    expect(toHex(parseKeyFile(readFileSync(join(scheme, DEV_SCHEME_FILES.issuer), 'utf8')).privateKey)).toBe(
      toHex(issuer.privateKey),
    );
  });

  it('personalise creates a card with the given limits and loads it through the card', async () => {
    const r = await cli(
      'personalise',
      '--issuer',
      join(scheme, DEV_SCHEME_FILES.issuer),
      '--out',
      card,
      '--max-payment',
      '250',
      '--max-offline-count',
      '7',
      '--load',
      '1,000.50',
      '--seed',
      SEED,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/balance\s+HK\$1,000\.50/);
    const store = FileCardStore.open(card);
    expect(store.load()).toMatchObject({
      balance: 100_050,
      counter: 1,
      limits: { maxPayment: 25_000, maxOfflineCount: 7 },
    });
    store.close();
    const refused = await cli('personalise', '--issuer', join(scheme, DEV_SCHEME_FILES.issuer), '--out', card);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/CARD_FILE_EXISTS/);
  });

  it('rejects bad option values before doing anything', async () => {
    const r = await cli(
      'personalise',
      '--issuer',
      join(scheme, DEV_SCHEME_FILES.issuer),
      '--out',
      join(dir, 'x.card'),
      '--max-payment',
      '12.345',
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/decimal places/);
    expect(existsSync(join(dir, 'x.card'))).toBe(false);
  });

  it('inspect shows the state and log, as text and as JSON, never the private key', async () => {
    const text = await cli('inspect', card);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/counter\s+1/);
    expect(text.out).toMatch(/#1 load HK\$1,000\.50/);
    const json = await cli('inspect', card, '--json');
    const report = JSON.parse(json.out) as { balance: number; log: { kind: string }[]; privateKey?: unknown };
    expect(report).toMatchObject({ balance: 100_050, counter: 1, locked: false, log: [{ kind: 'load', counter: 1 }] });
    expect(report.privateKey).toBeUndefined();
    const store = FileCardStore.open(card);
    const secret = toHex(store.load().privateKey);
    store.close();
    expect(json.out).not.toContain(secret);
    expect(text.out).not.toContain(secret);
    expect((await cli('inspect', join(dir, 'missing.card'))).err).toMatch(/CARD_FILE_NOT_FOUND/);
  });

  it("clone copies the card's secret state into a new file, and says what that means", async () => {
    const clone = join(dir, 'clone.card');
    expect((await cli('clone', card, clone)).code).toBe(0);
    const [a, b] = [FileCardStore.open(card), FileCardStore.open(clone)];
    expect(toHex(encodePurseState(b.load()))).toBe(toHex(encodePurseState(a.load())));
    a.close();
    b.close();
    expect((await cli('clone', card, clone)).code).toBe(1);
    const help = await cli('clone', '--help');
    expect(help.out).toMatch(/attacker who extracted a secure element's memory/);
  });

  it('runs through the bin shim (the built CLI in dist/)', async () => {
    const bin = fileURLToPath(new URL('../bin/ehkd-card.js', import.meta.url));
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
      execFile(process.execPath, [bin, 'inspect', card, '--json'], (error, stdout) =>
        resolve({ stdout, code: error === null ? 0 : Number(error.code) }),
      );
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ balance: 100_050 });
  });
});
