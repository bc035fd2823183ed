/**
 * Nothing a load point sends is lost: a load is journalled before LOAD goes out, a terminal that stops mid-LOAD
 * resolves it from the card's log after a restart (and refuses a new load of that card until then), and a load
 * receipt the ledger could not take is held and delivered by the next sync. Version 1 databases gain the journal.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ins } from '@ehkd/core';
import { SimulatedReader } from '@ehkd/card-sim';
import { ForwardingCard } from '@ehkd/card-sim/vpcd';
import { Terminal, TerminalErrorCode } from '../src/index.js';
import { DATABASE_FILE } from '../src/store/terminal-database.js';
import { FaultProxy } from './fixtures/fault-proxy.js';
import { ROOMY_CARD_LIMITS, onlineTerminal, startLedger, type RunningLedger } from './fixtures/ledger-fixture.js';
import { softCard, tempDir } from './fixtures/scheme-fixture.js';

let L: RunningLedger;
const open: Terminal[] = [];

beforeAll(async () => {
  L = await startLedger();
});
afterAll(async () => {
  for (const t of open) t.close();
  await L.close();
});

const isLoad = (command: Uint8Array): boolean => command[1] === Ins.Load;
const never = new Promise<Uint8Array>(() => undefined);

async function loadPoint(): Promise<{ terminal: Terminal; dataDir: string }> {
  const point = await onlineTerminal(L);
  open.push(point.terminal);
  return { terminal: point.terminal, dataDir: point.dataDir };
}

function reopen(dataDir: string): Terminal {
  const terminal = Terminal.open({ dataDir });
  open.push(terminal);
  return terminal;
}

describe('a load point that stops while LOAD is in flight', () => {
  it('finds the load executed after a restart, hands the receipt to the ledger, and only then loads the card again', async () => {
    const { terminal, dataDir } = await loadPoint();
    const card = await softCard(0, { limits: ROOMY_CARD_LIMITS });
    // The card executes LOAD; the terminal never hears back (it stops there).
    const stuck = new ForwardingCard(card.applet, (command, inner) =>
      isLoad(command) ? Promise.resolve(inner.process(command)).then(() => never) : inner.process(command),
    );
    const reader = new SimulatedReader();
    reader.insert(stuck);
    void terminal.topUp(reader, 6_000, { timeoutMs: 2_000 });
    await expect.poll(() => card.applet.state.balance).toBe(6_000);

    const restarted = reopen(dataDir);
    expect(restarted.loads()).toMatchObject([{ amount: 6_000, state: 'sent', counter: 0 }]);
    expect(restarted.status().pendingLoads).toMatchObject([{ amount: 6_000, state: 'sent' }]);
    const fresh = new SimulatedReader();
    fresh.insert(card.applet);
    // spec R11: no new load authorization while the outcome of a cut LOAD is unknown.
    const refused = await restarted.topUp(fresh, 1_000, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: TerminalErrorCode.TopUpUncertain });
    expect(card.applet.state.balance).toBe(6_000);

    const resolved = await restarted.resolveLoads(fresh, { timeoutMs: 2_000 });
    expect(resolved).toMatchObject({
      notLoaded: 0,
      loaded: [{ amount: 6_000, balanceAfter: 6_000, resumed: true, receiptDelivered: true }],
    });
    expect(restarted.loads()).toEqual([]);
    expect(await L.store.cardReceipts(card.cardId)).toHaveLength(1);
    expect(await restarted.topUp(fresh, 1_000, { timeoutMs: 2_000 })).toMatchObject({
      balanceAfter: 7_000,
      counter: 2,
    });
  });

  it('finds the load never executed after a restart, drops it, and the card can be loaded', async () => {
    const { terminal, dataDir } = await loadPoint();
    const card = await softCard(0, { limits: ROOMY_CARD_LIMITS });
    let sentToCard = false;
    // The terminal stops with LOAD on its way: the card never sees it.
    const deaf = new ForwardingCard(card.applet, (command, inner) => {
      if (!isLoad(command)) return inner.process(command);
      sentToCard = true;
      return never;
    });
    const reader = new SimulatedReader();
    reader.insert(deaf);
    void terminal.topUp(reader, 4_000, { timeoutMs: 2_000 });
    await expect.poll(() => sentToCard).toBe(true);

    const restarted = reopen(dataDir);
    const fresh = new SimulatedReader();
    fresh.insert(card.applet);
    expect(await restarted.resolveLoads(fresh, { timeoutMs: 2_000 })).toMatchObject({ loaded: [], notLoaded: 1 });
    expect(restarted.loads()).toEqual([]);
    expect(await restarted.topUp(fresh, 4_000, { timeoutMs: 2_000 })).toMatchObject({
      balanceAfter: 4_000,
      counter: 1,
    });
  });
});

describe('a load receipt the ledger cannot take at once', () => {
  it('is held by the terminal and delivered by the next sync', async () => {
    let linkDown = true;
    const proxy = await FaultProxy.start(L.url, (_method, path) =>
      linkDown && path === '/v1/load-receipts' ? 'down' : 'pass',
    );
    try {
      const point = await onlineTerminal({ ...L, url: proxy.url });
      open.push(point.terminal);
      const card = await softCard(0, { limits: ROOMY_CARD_LIMITS });
      const reader = new SimulatedReader();
      reader.insert(card.applet);
      const report = await point.terminal.topUp(reader, 9_000, { timeoutMs: 2_000 });
      expect(report).toMatchObject({
        balanceAfter: 9_000,
        receiptDelivered: false,
        deliveryProblem: { code: TerminalErrorCode.LedgerUnreachable },
      });
      expect(point.terminal.loads()).toMatchObject([{ state: 'loaded', amount: 9_000 }]);
      expect(await L.store.cardReceipts(card.cardId)).toHaveLength(0);

      linkDown = false;
      const synced = await point.terminal.sync({ retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      expect(synced.loadReceipts).toEqual({ delivered: 1, refused: 0 });
      expect(point.terminal.loads()).toEqual([]);
      expect(await L.store.cardReceipts(card.cardId)).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});

describe('a version 1 terminal database', () => {
  it('gains the load journal and the card incidents on open and keeps everything else', async () => {
    const dataDir = tempDir();
    Terminal.open({ dataDir }).close();
    const raw = new Database(join(dataDir, DATABASE_FILE));
    raw.exec(
      "DROP TABLE load_intents; DROP TABLE card_incidents; UPDATE settings SET value = '1' WHERE key = 'schema_version';",
    );
    raw.close();
    const terminal = reopen(dataDir);
    expect(terminal.loads()).toEqual([]);
    expect(terminal.status().incidents).toEqual([]);
    const check = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    expect(check.prepare("SELECT value FROM settings WHERE key = 'schema_version'").pluck().get()).toBe('3');
    check.close();
  });
});
