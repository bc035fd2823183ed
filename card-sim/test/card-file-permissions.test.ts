// A card file holds the card's private key: it is created for its owner only, whatever the umask, and a card file
// that group or others can read is refused at open, by the store and by the CLI (which says how to fix it).
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatKeyFile } from '@ehkd/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CardError, CardErrorCode, FileCardStore, personalizeCard } from '../src/index.js';
import { runCardCli } from '../src/cli/card-cli.js';
import { issuer, scheme } from './support/card-fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ehkd-card-perm-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const personalised = personalizeCard({ issuer, seed: new Uint8Array(32).fill(9) });

function withUmask<T>(mask: number, fn: () => T): T {
  const old = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

describe('card file permissions', () => {
  it('creates a card file 0600 even under umask 000', () => {
    const path = join(dir, 'a.card');
    withUmask(0, () => FileCardStore.create(path, personalised.state).close());
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses to open a card file that group or others can read', () => {
    const path = join(dir, 'b.card');
    FileCardStore.create(path, personalised.state).close();
    chmodSync(path, 0o644);
    let error: unknown;
    try {
      FileCardStore.open(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CardError);
    expect(error).toMatchObject({ code: CardErrorCode.FilePermissions, detail: { path, mode: 0o644 } });
    chmodSync(path, 0o600);
    FileCardStore.open(path).close();
  });

  it('the CLI refuses an exposed card file and an exposed issuer key file, naming the chmod', async () => {
    const card = join(dir, 'c.card');
    FileCardStore.create(card, personalised.state).close();
    chmodSync(card, 0o640);
    const key = join(dir, 'issuer.key.json');
    writeFileSync(key, formatKeyFile(scheme.issuer.keyFile), { mode: 0o644 });
    chmodSync(key, 0o644);
    for (const [args, file] of [
      [['inspect', card], card],
      [['personalise', '--issuer', key, '--out', join(dir, 'd.card')], key],
    ] as const) {
      let err = '';
      const code = await runCardCli(args, { out: () => undefined, err: (t) => (err += t) });
      expect(code).toBe(1);
      expect(err).toContain(CardErrorCode.FilePermissions);
      expect(err).toContain(`chmod 600 ${file}`);
    }
  });
});
