/**
 * The `ehkd-terminal` command line through its bin shim, against a real ledger and a software card file: enrol
 * online, top up (a signed load request), charge offline, status, sync, `top-up --resolve`, and the usage errors a
 * cashier can make. Exit codes (cli/output.ts ExitCode): 0 ok, 1 not approved, 2 tap again, 3 failed (with what to
 * do), 64 unparseable command line.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@ehkd/core';
import { ROOMY_CARD_LIMITS, enrolmentCode, startLedger, type RunningLedger } from './fixtures/ledger-fixture.js';
import { scheme, softCard, tempDir } from './fixtures/scheme-fixture.js';

const BIN = fileURLToPath(new URL('../bin/ehkd-terminal.js', import.meta.url));

let L: RunningLedger;
let dir: string;
let card: string;
let cardId: string;

beforeAll(async () => {
  L = await startLedger(scheme, { tls: true });
  dir = tempDir();
  writeFileSync(join(dir, 'root.cert'), scheme.root.certificate);
  writeFileSync(join(dir, 'ledger-ca.pem'), L.trust.ca ?? '');
  card = join(dir, 'alice.card');
  const soft = await softCard(0, { limits: ROOMY_CARD_LIMITS, file: card });
  cardId = toHex(soft.cardId);
  soft.store.close();
});
afterAll(() => L.close());

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--data-dir', join(dir, 'terminal'), ...args],
      { timeout: 60_000 },
      (error, out, err) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, out, err });
      },
    );
  });
}

describe('ehkd-terminal', () => {
  it('enrols online over HTTPS pinning the ledger certificate, tops a card up as a load point, charges it, and reports and syncs', async () => {
    const code = await enrolmentCode(L, fromHex('0600000000000777'), { name: 'CLI Cafe' });
    const common = ['--code', code, '--root', join(dir, 'root.cert')];
    const unpinned = await cli('enrol', '--ledger', L.url, ...common);
    expect(unpinned.code).toBe(3);
    expect(unpinned.err).toMatch(/unreachable: self-signed certificate/);
    const http = await cli(
      'enrol',
      '--ledger',
      L.url.replace('https:', 'http:'),
      '--ledger-ca',
      join(dir, 'ledger-ca.pem'),
      ...common,
    );
    expect(http.code).toBe(3);
    expect(http.err).toMatch(/refusing plain HTTP[\s\S]*--insecure-http/);
    const enrol = await cli('enrol', '--ledger', L.url, '--ledger-ca', join(dir, 'ledger-ca.pem'), ...common);
    expect(enrol.code, enrol.err).toBe(0);
    expect(enrol.out).toContain('0600000000000777 "CLI Cafe" (MCC 5812)');

    const topUp = await cli('top-up', '200', '--sim', card);
    expect(topUp.code, topUp.err).toBe(0);
    expect(topUp.out).toMatch(/LOADED\s+HK\$200\.00/);
    expect(topUp.out).toContain(cardId);

    const charge = await cli('charge', '12.50', '--sim', card);
    expect(charge.code, charge.err).toBe(0);
    expect(charge.out).toMatch(/APPROVED/);

    const status = await cli('status');
    expect(status.code, status.err).toBe(0);
    expect(status.out).toMatch(/queued\s+1 \(HK\$12\.50\)/);
    expect(status.out).toMatch(/loads\s+none unsettled/);
    expect(status.out).toMatch(/ledger TLS\s+pinned to certificate [0-9A-F:]{95}/);

    const sync = await cli('--json', 'sync');
    expect(sync.code, sync.err).toBe(0);
    expect(JSON.parse(sync.out)).toMatchObject({ totals: { accepted: 1 }, loadReceipts: { delivered: 0, refused: 0 } });
    const line = (await L.store.merchantSettlement()).find((m) => toHex(m.merchantId) === '0600000000000777');
    expect(line).toMatchObject({ creditedAmount: 1_250, loadAmount: 20_000 });
  });

  it('says when a card has no cut load to resolve', async () => {
    const resolve = await cli('top-up', '--resolve', '--sim', card);
    expect(resolve.code, resolve.err).toBe(0);
    expect(resolve.out).toMatch(/has no cut load at this terminal/);
  });

  it('refuses an amount together with --resolve, or neither, saying what to do; an unknown option is a usage error', async () => {
    const both = await cli('top-up', '100', '--resolve', '--sim', card);
    expect(both.code).toBe(3);
    expect(both.err).toMatch(/give an amount, or --resolve[\s\S]*What to do/);
    expect((await cli('top-up', '--sim', card)).code).toBe(3);
    expect((await cli('top-up', '200', '--no-such-option')).code).toBe(64);
  });
});
