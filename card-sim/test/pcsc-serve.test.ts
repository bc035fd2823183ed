/**
 * The card behind a real PC/SC stack: pcscd + vpcd + our card served with `serveCardFiles` (what
 * `ehkd-card serve --vpcd` runs), driven by pyscard. SELECT + PAY through pcscd, the receipt verified here;
 * a torn PAY recovered after the card comes back; and the `serve` command itself through the bin shim.
 * Needs scripts/pcsc-stack.sh (pcscd, vpcd, pyscard): CI fails without it, a local run skips with the reason.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  StatusWord,
  decodeCertificate,
  decodeCoseSign1,
  decodeSelectResponse,
  Limits,
  nobleVerifier,
  parseResponseApdu,
  verifyPayReceipt,
  purseApdus,
} from '@ehkd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileCardStore,
  PurseApplet,
  loadCard,
  personalizeCard,
  serveCardFiles,
  type CardServing,
} from '../src/index.js';
import { SIMULATOR_ATR, serveOverVpcd, type VirtualCard } from '../src/readers/vpcd/index.js';
import { PAYEE, freshNonce, issuer } from './support/card-fixtures.js';
import { pyscardExchange } from './support/pyscard-client.js';

const STACK = fileURLToPath(new URL('../../scripts/pcsc-stack.sh', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/ehkd-card.js', import.meta.url));

function stack(...args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('bash', [STACK, ...args], { timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ ok: error === null, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

/** Set when this file started pcscd: it then stops it again (a pcscd that was already running is left alone). */
let startedHere = false;

/** The stack's vpcd slots (port and reader name), if pcscd with vpcd runs or can be started here. */
async function prepare(): Promise<
  { ready: true; slots: { port: number; reader: string }[] } | { ready: false; reason: string }
> {
  if (!(await stack('status')).ok) {
    const started = await stack('start');
    if (!started.ok) return { ready: false, reason: `scripts/pcsc-stack.sh start failed: ${started.output}` };
    startedHere = true;
  }
  const env = await stack('env');
  if (!env.ok) return { ready: false, reason: env.output };
  const value = (key: string): string | undefined =>
    /^export [A-Z_0-9]+=(.*)$/
      .exec(env.output.split('\n').find((l) => l.startsWith(`export ${key}=`)) ?? '')?.[1]
      ?.replace(/\\ /g, ' ');
  const slots = [0, 1].map((i) => ({
    port: Number(value(`EHKD_VPCD_PORT_${i}`)),
    reader: value(`EHKD_VPCD_READER_${i}`) ?? '',
  }));
  const python = await new Promise<boolean>((resolve) =>
    execFile('/usr/bin/python3', ['-c', 'import smartcard'], (e) => resolve(e === null)),
  );
  if (!python)
    return { ready: false, reason: 'pyscard is not installed for /usr/bin/python3 (scripts/pcsc-stack.sh install)' };
  return { ready: true, slots };
}

const session = await prepare();
afterAll(async () => {
  if (startedHere) await stack('stop');
});
if (!session.ready && process.env['CI']) throw new Error(`the PC/SC stack must run in CI: ${session.reason}`);
if (!session.ready) console.warn(`skipping the PC/SC card tests: ${session.reason}`);

const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

describe.skipIf(!session.ready)('the card served to pcscd through vpcd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ehkd-pcsc-card-'));
  const card = join(dir, 'card.card');
  const personalised = personalizeCard({ issuer, seed: new Uint8Array(32).fill(0x5c) });
  const cert = decodeCertificate(decodeCoseSign1(personalised.certificate, Limits.certificateBytes).payload);
  const slots = session.ready ? session.slots : [];
  let serving: CardServing | undefined;

  beforeAll(async () => {
    const store = FileCardStore.create(card, personalised.state);
    const applet = new PurseApplet(store);
    expect((await loadCard((c) => applet.process(c), issuer.signer, { amount: 50_000 })).sw).toBe(StatusWord.Ok);
    store.close();
    serving = serveCardFiles([card], { basePort: slots[0]!.port, reinsertAfterMs: 800 });
    await serving.whenConnected(5_000);
  });

  afterAll(async () => {
    await serving?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers SELECT and PAY through pcscd; the receipt verifies under the card certificate', async () => {
    const nonce = freshNonce();
    const [select, pay] = await pyscardExchange(slots[0]!.reader, [
      purseApdus.select(),
      purseApdus.pay({ amount: 1_250, currency: 344, payee: PAYEE, nonce, time: 1_800_000_000 }),
    ]);
    // The whole line on failure: pyscard's exception, not an empty parse.
    expect(select).toMatch(/^[0-9a-f]+9000$/);
    expect(pay).toMatch(/^[0-9a-f]+9000$/);
    const s = parseResponseApdu(unhex(select!));
    expect(s.sw).toBe(StatusWord.Ok);
    expect(decodeSelectResponse(s.data).state).toMatchObject({ balance: 50_000, counter: 1 });
    const p = parseResponseApdu(unhex(pay!));
    expect(p.sw).toBe(StatusWord.Ok);
    const v = verifyPayReceipt(p.data, cert, { amount: 1_250, currency: 344, nonce, payee: PAYEE }, nobleVerifier);
    expect(v.ok).toBe(true);
    expect(v.ok && v.value.payload.balanceAfter).toBe(48_750);
  });

  it('tears a PAY on demand: the card commits, pcscd loses the card, RECOVER returns the receipt once it is back', async () => {
    const nonce = freshNonce();
    serving!.tearNextPay(0);
    const lines = await pyscardExchange(slots[0]!.reader, [
      purseApdus.select(),
      purseApdus.pay({ amount: 500, currency: 344, payee: PAYEE, nonce, time: 1_800_000_000 }),
    ]);
    expect(lines[0]!.endsWith('9000')).toBe(true);
    expect(lines[1]).toMatch(/^ERROR/);
    expect(serving!.cards[0]!.applet.state.balance).toBe(48_250);
    // The card comes back after 800 ms; pcscd may first report the old card, so retry briefly.
    let recovered: string[] = [];
    for (let attempt = 0; attempt < 10 && !(recovered[1]?.endsWith('9000') ?? false); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      recovered = await pyscardExchange(slots[0]!.reader, [purseApdus.select(), purseApdus.recover(nonce)]).catch(
        () => [],
      );
    }
    const r = parseResponseApdu(unhex(recovered[1]!));
    expect(r.sw).toBe(StatusWord.Ok);
    expect(verifyPayReceipt(r.data, cert, { amount: 500, currency: 344, nonce, payee: PAYEE }, nobleVerifier).ok).toBe(
      true,
    );
  });

  it('`ehkd-card serve --vpcd` serves a card file until told to quit', async () => {
    const second = join(dir, 'second.card');
    FileCardStore.create(second, personalizeCard({ issuer, seed: new Uint8Array(32).fill(0x5d) }).state).close();
    const child = spawn(process.execPath, [BIN, 'serve', '--vpcd', second, '--port', String(slots[1]!.port)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const [select, state] = await pyscardExchange(slots[1]!.reader, [purseApdus.select(), purseApdus.getState()]);
      expect(select!.endsWith('9000')).toBe(true);
      expect(state!.endsWith('9000')).toBe(true);
      child.stdin.write('status\nquit\n');
      expect(await exited).toBe(0);
      expect(out).toMatch(/card 0: .*second\.card on port \d+, connected/);
      expect(out).toMatch(/stopped/);
    } finally {
      child.kill();
    }
  });

  it('tears every Nth PAY with pullAfterPay', async () => {
    const third = join(dir, 'third.card');
    const store = FileCardStore.create(third, personalizeCard({ issuer, seed: new Uint8Array(32).fill(0x5e) }).state);
    const applet = new PurseApplet(store);
    expect((await loadCard((c) => applet.process(c), issuer.signer, { amount: 10_000 })).sw).toBe(StatusWord.Ok);
    store.close();
    const every2 = serveCardFiles([third], { basePort: slots[1]!.port, pullAfterPay: 2, reinsertAfterMs: 800 });
    try {
      await every2.whenConnected(5_000);
      const pay = () =>
        purseApdus.pay({ amount: 100, currency: 344, payee: PAYEE, nonce: freshNonce(), time: 1_800_000_000 });
      const lines = await pyscardExchange(slots[1]!.reader, [purseApdus.select(), pay(), pay(), pay()]);
      expect(lines.map((l) => (l.startsWith('ERROR') ? 'ERROR' : l.slice(-4)))).toEqual(['9000', '9000', 'ERROR']);
      expect(every2.cards[0]!.applet.state).toMatchObject({ balance: 9_800, counter: 3 });
    } finally {
      await every2.close();
    }
  });

  it('reaches the card served right after another left the slot, not the card that left', async () => {
    // vpcd notices a card left only on its next poll (every ~400 ms); until then pcscd would send APDUs to it.
    const tagged = (tag: number): VirtualCard => ({
      atr: SIMULATOR_ATR,
      powerOn() {},
      powerOff() {},
      reset() {},
      process: () => Uint8Array.of(tag, 0x90, 0x00),
    });
    const first = serveOverVpcd(tagged(0x0a), { port: slots[1]!.port });
    await first.whenConnected({ timeoutMs: 5_000 });
    expect(await pyscardExchange(slots[1]!.reader, [purseApdus.getState()])).toEqual(['0a9000']);
    await first.close();
    const second = serveOverVpcd(tagged(0x0b), { port: slots[1]!.port });
    try {
      await second.whenConnected({ timeoutMs: 5_000 });
      expect(await pyscardExchange(slots[1]!.reader, [purseApdus.getState()])).toEqual(['0b9000']);
    } finally {
      await second.close();
    }
  });
});
