import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckId, Role, toHex } from '@ehkd/core';
import { certifyLeaf, devId } from '@ehkd/core/testing';
import { FileCardStore, PurseApplet, type SoftCard } from '@ehkd/card-sim';
import { ReceiptState, Terminal, TerminalErrorCode, type DaemonEvent } from '../src/index.js';
import { FaultProxy } from './fixtures/fault-proxy.js';
import {
  ROOMY_CARD_LIMITS,
  enrolmentCode,
  credited as creditedTo,
  loadViaLedger,
  loadedCard as loadCard,
  onlineTerminal as enrolOnline,
  pay,
  startLedger,
  type RunningLedger,
} from './fixtures/ledger-fixture.js';
import { denyList, scheme, softCard, tempDir, trustBundle } from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';

const FAST = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };

let L: RunningLedger;
const terminals: Terminal[] = [];
beforeAll(async () => {
  L = await startLedger();
});
afterAll(async () => {
  for (const t of terminals) t.close();
  await L.close();
});

async function onlineTerminal(): Promise<{ terminal: Terminal; merchantId: Uint8Array }> {
  const t = await enrolOnline(L);
  terminals.push(t.terminal);
  return t;
}
const loadedCard = (balance: number): Promise<SoftCard> => loadCard(L, balance);
const credited = (merchantId: Uint8Array): Promise<{ count: number; amount: number }> => creditedTo(L, merchantId);

function states(terminal: Terminal): string[] {
  return terminal
    .receipts()
    .map((r) => r.state)
    .sort();
}

describe('sync with a real ledger', () => {
  it('uploads a terminal-signed batch, applies the verified answer, and refreshes deny list and trust anchors', async () => {
    const { terminal, merchantId } = await onlineTerminal();
    const card = await loadedCard(50_000);
    await pay(terminal, card, [1_000, 2_000, 3_000]);
    expect(terminal.status().exposure).toMatchObject({ receipts: 3, receiptAmount: 6_000 });

    const report = await terminal.sync();
    expect(report).toMatchObject({
      attempts: 1,
      totals: { accepted: 3, duplicate: 0, rejected: 0, doubleSpend: 0, requeued: 0 },
      trustAnchorsUpdated: false,
    });
    expect(report.batches).toMatchObject([{ receipts: 3, resent: false }]);
    expect(states(terminal)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(await credited(merchantId)).toEqual({ count: 3, amount: 6_000 });
    const s = terminal.status();
    expect(s.exposure).toMatchObject({ receipts: 0, receiptAmount: 0 });
    expect(s.sync.lastSuccessAt).toBeDefined();
    expect(s.denyList?.confirmedAt).toBeDefined();
    expect(s.unansweredBatches).toBe(0);

    expect((await terminal.sync()).batches).toEqual([]);
  });

  it('a lost answer: the batch is resent byte for byte, the ledger answers duplicate, and nothing is credited twice', async () => {
    const proxy = await FaultProxy.start(L.url, (_method, path, n) =>
      path === '/v1/batches' && n === 0 ? 'drop-answer' : 'pass',
    );
    try {
      const { terminal, merchantId } = await onlineTerminal();
      const card = await loadedCard(50_000);
      await pay(terminal, card, [700, 800]);
      const lost = await terminal.sync({ ledgerUrl: proxy.url, retry: FAST }).catch((e: unknown) => e);
      expect(lost).toMatchObject({ code: TerminalErrorCode.LedgerUnreachable });
      expect(states(terminal)).toEqual(['uploading', 'uploading']);
      expect(terminal.status().unansweredBatches).toBe(1);
      expect(await credited(merchantId)).toEqual({ count: 2, amount: 1_500 }); // the ledger did process it

      const again = await terminal.sync({ retry: FAST });
      expect(again.batches).toMatchObject([{ resent: true, receipts: 2 }]);
      expect(again.totals).toMatchObject({ accepted: 0, duplicate: 2 });
      expect(states(terminal)).toEqual(['duplicate', 'duplicate']);
      expect(await credited(merchantId)).toEqual({ count: 2, amount: 1_500 });
      expect(proxy.count('/v1/batches')).toBe(2);
      expect(terminal.status().exposure.receipts).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('retries a failing link with backoff inside one sync', async () => {
    const proxy = await FaultProxy.start(L.url, (_method, path, n) =>
      path === '/v1/batches' && n === 0 ? 503 : path === '/v1/batches' && n === 1 ? 'drop-answer' : 'pass',
    );
    try {
      const { terminal, merchantId } = await onlineTerminal();
      await pay(terminal, await loadedCard(10_000), [100, 200, 300]);
      const retries: number[] = [];
      const report = await terminal.sync({
        ledgerUrl: proxy.url,
        retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
        onRetry: (_e, delay) => retries.push(delay),
      });
      expect(report.attempts).toBe(3);
      expect(retries).toHaveLength(2);
      for (const d of retries) expect(d).toBeLessThanOrEqual(20);
      expect(states(terminal)).toEqual(['duplicate', 'duplicate', 'duplicate']);
      expect(await credited(merchantId)).toEqual({ count: 3, amount: 600 });
    } finally {
      await proxy.close();
    }
  });

  it('a batch the ledger refuses (terminal unknown to it) goes back to the queue and the error says what to do', async () => {
    const terminal = Terminal.open({ dataDir: tempDir() });
    terminals.push(terminal);
    const terminalId = devId(0x05, 999);
    const request = terminal.prepareEnrolment({ merchantId: devId(6, 999), terminalId });
    terminal.installEnrolment(
      certifyLeaf(scheme.acquirer, {
        role: Role.Terminal,
        subject: terminalId,
        publicKey: request.publicKey,
        terminal: { merchantId: devId(6, 999), mcc: 5411 },
      }),
      trustBundle(),
      { denyList: denyList({ sequence: 1 }) },
    );
    await pay(terminal, await loadedCard(10_000), [100]);
    terminal.setLedgerUrl(L.url, L.trust);
    const err = await terminal.sync({ retry: FAST }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: TerminalErrorCode.LedgerRefused,
      detail: { httpStatus: 403, next: NextStep.CallAcquirer },
    });
    expect(states(terminal)).toEqual([ReceiptState.Queued]);
    expect(terminal.status()).toMatchObject({
      unansweredBatches: 0,
      sync: { lastError: expect.stringMatching(/refused/) },
    });
  });

  it('never takes an older deny list than the one it holds', async () => {
    const { terminal } = await onlineTerminal();
    const held = terminal.importDenyList(denyList({ sequence: 50 }));
    expect(held.updated).toBe(true);
    const err = await terminal.sync({ retry: FAST }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: TerminalErrorCode.TrustRejected, detail: { check: CheckId.DenyListAge } });
    expect(terminal.status().denyList?.sequence).toBe(50);
  });

  it('a cloned card paying two terminals is flagged, revoked, and refused at the next tap after a sync', async () => {
    const a = await onlineTerminal();
    const b = await onlineTerminal();
    const dir = tempDir();
    const original = await softCard(0, { limits: ROOMY_CARD_LIMITS, file: join(dir, 'original.card') });
    await loadViaLedger(L, original.applet, 10_000);
    original.store.close();
    copyFileSync(join(dir, 'original.card'), join(dir, 'clone.card'));
    const open = (name: string): PurseApplet => new PurseApplet(FileCardStore.open(join(dir, name)));
    const card = open('original.card');
    const clone = open('clone.card');
    expect((await pay(a.terminal, card, [4_000]))[0]?.outcome).toBe('approved');
    expect((await pay(b.terminal, clone, [6_000]))[0]?.outcome).toBe('approved'); // same counter, another payload

    expect((await a.terminal.sync()).totals.accepted).toBe(1);
    const flagged = await b.terminal.sync();
    expect(flagged.totals.doubleSpend).toBe(1);
    expect(b.terminal.receipts()[0]).toMatchObject({ state: ReceiptState.DoubleSpend, check: expect.any(String) });
    expect(flagged.denyList.updated).toBe(true);

    const refresh = await a.terminal.sync();
    expect(refresh.denyList).toMatchObject({ updated: true, entries: 1 });
    const refused = (await pay(a.terminal, card, [100]))[0];
    expect(refused).toMatchObject({ outcome: 'declined', check: CheckId.DenyList });
  });

  it('a reconnect storm: daemons of several terminals come back at once, each answer lost once; every receipt credited once', async () => {
    let linkUp = false;
    const answered = new Set<number>();
    const proxy = await FaultProxy.start(L.url, (_method, path, n) => {
      if (!linkUp) return 'down';
      // The first answer to each terminal's first upload is lost (terminals resend after backoff).
      if (path === '/v1/batches' && answered.size < 4 && !answered.has(n)) {
        answered.add(n);
        return 'drop-answer';
      }
      return 'pass';
    });
    const fleet = await Promise.all([0, 1, 2, 3].map(() => onlineTerminal()));
    for (const { terminal } of fleet) {
      terminal.setLedgerUrl(proxy.url);
      await pay(terminal, await loadedCard(10_000), [100, 200, 300]);
    }
    const stop = new AbortController();
    const events: DaemonEvent[] = [];
    const daemons = fleet.map(({ terminal }) =>
      terminal.daemon({
        intervalMs: 50,
        retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 80 },
        signal: stop.signal,
        onEvent: (e) => events.push(e),
      }),
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(events.some((e) => e.kind === 'failed')).toBe(true);
      linkUp = true;
      const deadline = Date.now() + 20_000;
      // Queues empty first, then each daemon reports its round (its sync applies outcomes before it reports).
      const settled = () =>
        fleet.every(({ terminal }) => terminal.status().exposure.receipts === 0) &&
        events.filter((e) => e.kind === 'synced').length >= fleet.length;
      while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      stop.abort();
      await Promise.all(daemons);
      await proxy.close();
    }
    for (const { terminal, merchantId } of fleet) {
      expect(terminal.status().exposure.receipts).toBe(0);
      expect(
        terminal.receipts().every((r) => r.state === ReceiptState.Accepted || r.state === ReceiptState.Duplicate),
      ).toBe(true);
      expect(await credited(merchantId)).toEqual({ count: 3, amount: 600 });
    }
    expect(proxy.count('/v1/batches', 'drop-answer')).toBe(4);
    expect(events.filter((e) => e.kind === 'synced').length).toBeGreaterThanOrEqual(4);
  });

  it('a terminal that never gets online: export, the operator ingests the file, the result file settles the receipts', async () => {
    const dir = tempDir();
    const terminal = Terminal.open({ dataDir: join(dir, 'terminal') });
    terminals.push(terminal);
    const merchantId = devId(6, 7777);
    const request = terminal.prepareEnrolment({ merchantId, terminalId: devId(5, 7777) });
    // The acquirer enrols the terminal from its request file (offline), and hands back certificate, anchors, deny list.
    await L.ledger.addMerchant({ merchantId, name: 'Island kiosk', mcc: 5411 });
    const record = await L.ledger.enrolTerminal({
      publicKey: request.publicKey,
      merchantId,
      terminalId: devId(5, 7777),
    });
    terminal.installEnrolment(record.certificate, await L.ledger.trustAnchorBundle(), {
      pinnedRoot: scheme.root.certificate,
      denyList: await L.ledger.denyList(),
    });
    await pay(terminal, await loadedCard(10_000), [250, 750]);

    const exported = terminal.export({ file: join(dir, 'batch.cose') });
    expect(exported).toMatchObject({ receipts: 2, amount: 1_000 });
    const { readFileSync, writeFileSync } = await import('node:fs');
    const ingested = await L.ledger.ingestBatch(new Uint8Array(readFileSync(join(dir, 'batch.cose'))), 'file');
    if (!ingested.ok) throw new Error(`ledger refused the export: ${ingested.reason}`);
    expect(ingested.counts).toMatchObject({ accepted: 2 });
    writeFileSync(join(dir, 'result.cose'), ingested.result);
    terminal.close();
    terminals.pop();

    const { runCli, json } = await import('./fixtures/cli-runner.js');
    const applied = await runCli([
      '-d',
      join(dir, 'terminal'),
      '--json',
      'update',
      '--batch-result',
      join(dir, 'result.cose'),
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(json(applied)).toMatchObject({ batchResult: { applied: { accepted: 2 } } });
    const after = Terminal.open({ dataDir: join(dir, 'terminal') });
    terminals.push(after);
    expect(states(after)).toEqual(['accepted', 'accepted']);
    expect(after.status().exposure.receipts).toBe(0);
    expect(after.export({ again: true }).receipts).toBe(0);
    // The same file carried twice credits nothing more.
    const twice = await L.ledger.ingestBatch(new Uint8Array(readFileSync(join(dir, 'batch.cose'))), 'file');
    expect(twice.ok && twice.counts).toMatchObject({ accepted: 0, duplicate: 2 });
    expect(await credited(merchantId)).toEqual({ count: 2, amount: 1_000 });
  });

  it('the daemon CLI uploads by itself and stops cleanly on SIGTERM', async () => {
    const { terminal, merchantId } = await onlineTerminal();
    await pay(terminal, await loadedCard(10_000), [150]);
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('./fixtures/cli-runner.js');
    const child = spawn(process.execPath, [CLI, '-d', terminal.dataDir, 'daemon', '--interval', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const synced = new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Synced')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await Promise.race([synced, exited]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/Synced: 1 batch\(es\), 1 receipt\(s\) sent/);
    expect(states(terminal)).toEqual(['accepted']);
    expect(await credited(merchantId)).toEqual({ count: 1, amount: 150 });
  });

  it('enrols online through the CLI, pinning the root', async () => {
    const { runCli, json } = await import('./fixtures/cli-runner.js');
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'root.hex'), toHex(scheme.root.certificate));
    const code = await enrolmentCode(L, devId(6, 4242), { name: 'CLI shop' });
    const r = await runCli([
      '-d',
      join(dir, 't'),
      '--json',
      'enrol',
      '--ledger',
      L.url,
      '--insecure-http',
      '--code',
      code,
      '--root',
      join(dir, 'root.hex'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({
      merchantId: toHex(devId(6, 4242)),
      merchantName: 'CLI shop',
      mcc: 5812,
      acquirerId: toHex(scheme.acquirer.id),
      denyListSequence: expect.any(Number),
    });
    // The code was used up; another terminal presenting it is refused, as is one naming its merchant itself.
    const reused = await runCli([
      '-d',
      join(dir, 'u'),
      '--json',
      'enrol',
      '--ledger',
      L.url,
      '--insecure-http',
      '--code',
      code,
      '--root',
      join(dir, 'root.hex'),
    ]);
    expect(reused.code).toBe(3);
    expect(json<{ error: { code: string } }>(reused).error.code).toBe(TerminalErrorCode.LedgerRefused);
    const named = await runCli([
      '-d',
      join(dir, 'v'),
      '--json',
      'enrol',
      '--ledger',
      L.url,
      '--insecure-http',
      '--code',
      code,
      '--root',
      join(dir, 'root.hex'),
      '--merchant',
      toHex(devId(6, 4243)),
    ]);
    expect(json<{ error: { code: string } }>(named).error.code).toBe(TerminalErrorCode.BadConfig);
  });
});

describe('sync over HTTPS, pinned to the certificate given at enrolment', () => {
  let S: RunningLedger;
  let other: RunningLedger;
  beforeAll(async () => {
    [S, other] = await Promise.all([startLedger(scheme, { tls: true }), startLedger(scheme, { tls: true })]);
  });
  afterAll(async () => {
    await S.close();
    await other.close();
  });

  it('uploads through the pinned certificate, also under another name for the same ledger; another certificate or plain HTTP is never used', async () => {
    const { terminal, merchantId } = await enrolOnline(S);
    terminals.push(terminal);
    expect(terminal.status()).toMatchObject({
      ledgerUrl: S.url,
      ledgerCa: expect.stringMatching(/^[0-9A-F:]{95}$/),
      ledgerInsecureHttp: false,
    });
    const card = await loadCard(S, 10_000);
    await pay(terminal, card, [700]);
    expect((await terminal.sync({ retry: FAST })).totals.accepted).toBe(1);

    // The same ledger under its other name still verifies against the pinned certificate.
    await pay(terminal, card, [300]);
    const port = new URL(S.url).port;
    expect((await terminal.sync({ ledgerUrl: `https://localhost:${port}`, retry: FAST })).totals.accepted).toBe(1);

    // A ledger with a certificate the terminal was not given is never talked to: nothing is uploaded or acknowledged.
    await pay(terminal, card, [200]);
    const impostor = await terminal.sync({ ledgerUrl: other.url, retry: FAST }).catch((e: unknown) => e);
    expect(impostor).toMatchObject({
      code: TerminalErrorCode.LedgerUnreachable,
      message: expect.stringMatching(/self-signed certificate|unable to verify/),
    });
    expect(states(terminal).filter((s) => s === ReceiptState.Queued)).toHaveLength(1);
    expect(await other.store.merchantSettlement()).toEqual([]);

    const http = await terminal.sync({ ledgerUrl: `http://127.0.0.1:${port}`, retry: FAST }).catch((e: unknown) => e);
    expect(http).toMatchObject({
      code: TerminalErrorCode.BadConfig,
      message: expect.stringContaining('refusing plain HTTP'),
    });
    expect(await credited(merchantId)).toEqual({ count: 0, amount: 0 });
    expect(await creditedTo(S, merchantId)).toEqual({ count: 2, amount: 1_000 });
  });

  it('does not enrol with a self-signed ledger it was not given the certificate of, nor over http: without --insecure-http', async () => {
    const bare = Terminal.open({ dataDir: tempDir() });
    terminals.push(bare);
    const code = await enrolmentCode(S, devId(0x06, 9_001), { name: 'No CA' });
    await expect(bare.enrolOnline(S.url, code, scheme.root.certificate)).rejects.toMatchObject({
      code: TerminalErrorCode.LedgerUnreachable,
    });
    await expect(bare.enrolOnline(L.url, code, scheme.root.certificate)).rejects.toMatchObject({
      code: TerminalErrorCode.BadConfig,
    });
    expect(bare.identity).toBeUndefined();
  });
});
