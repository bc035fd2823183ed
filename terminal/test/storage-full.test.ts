import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ins } from '@ehkd/core';
import { FileCardStore, PurseApplet, SimulatedReader } from '@ehkd/card-sim';
import {
  BYTES_PER_RECEIPT,
  CrashPoint,
  STORAGE_RESERVE_BYTES,
  Terminal,
  TerminalError,
  TerminalErrorCode,
  freeBytes,
  type FaultHook,
  type TapResult,
} from '../src/index.js';
import { DISK_FULL_FROM_ENV, diskFull } from '../src/faults/crash-hook.js';
import { runCli, json } from './fixtures/cli-runner.js';
import { CountingCard } from './fixtures/counting-card.js';
import {
  ROOMY_CARD_LIMITS,
  loadViaLedger,
  onlineTerminal,
  startLedger,
  type RunningLedger,
} from './fixtures/ledger-fixture.js';
import { enrolledTerminal, softCard, tempDir } from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';

const open: Terminal[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

/** A disk that fills up on cue: once `full`, every commit fails the way SQLite fails on ENOSPC. */
function fillingDisk(): { hook: FaultHook; fill: () => void; free: () => void } {
  let full = false;
  return {
    hook: (point) => {
      if (point === CrashPoint.Commit && full) throw diskFull();
    },
    fill: () => (full = true),
    free: () => (full = false),
  };
}

function interrupted(r: TapResult): Extract<TapResult, { outcome: 'interrupted' }> {
  if (r.outcome !== 'interrupted') throw new Error(`expected interrupted, got ${JSON.stringify(r)}`);
  return r;
}

describe('a full disk is an expected state', () => {
  it('before PAY: a tap is refused with STORAGE_UNAVAILABLE before the card is touched, and status says why', async () => {
    const terminal = enrolledTerminal({ storageReserveBytes: Number.MAX_SAFE_INTEGER }); // more than any disk has
    open.push(terminal);
    const card = await softCard(10_000);
    const counting = new CountingCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(counting);
    const err = await terminal.charge(reader, 500).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect(err).toMatchObject({
      code: TerminalErrorCode.StorageUnavailable,
      detail: {
        storage: { reason: 'full', neededBytes: Number.MAX_SAFE_INTEGER },
        next: NextStep.FixStorage,
      },
    });
    expect(counting.exchanges).toEqual([]);
    const connection = await reader.waitForCard({ timeoutMs: 1000 });
    await expect(terminal.tap(connection, 500)).rejects.toMatchObject({ code: TerminalErrorCode.StorageUnavailable });
    expect(counting.exchanges).toEqual([]);
    expect(card.applet.state.balance).toBe(10_000);
    const s = terminal.status();
    expect(s.canTakePayments).toBe(false);
    expect(s.problems).toContainEqual(expect.stringMatching(/disk is full/));
  });

  it('status warns when free space is below a day of receipts, and not otherwise', () => {
    const roomy = enrolledTerminal({ storageReserveBytes: 1024 });
    open.push(roomy);
    expect(roomy.status()).toMatchObject({
      warnings: [],
      storage: { receiptsPerDay: 500, dayBytes: 500 * BYTES_PER_RECEIPT, reserveBytes: 1024 },
    });
    // A reserve 256 KiB under the free space: taps may still start, but a day of 500 receipts (500 KiB) does not fit.
    const tight = Terminal.open({ dataDir: roomy.dataDir, storageReserveBytes: freeBytes(roomy.dataDir) - 256 * 1024 });
    open.push(tight);
    const s = tight.status();
    expect(s.canTakePayments).toBe(true);
    expect(s.warnings).toEqual([expect.stringMatching(/below what a day of receipts needs \(500 receipts/)]);
    expect(STORAGE_RESERVE_BYTES).toBeGreaterThan(4_165_352); // the measured WAL size at SQLite's checkpoint
  });

  it('the receipt commit fails after PAY: never approved, "tap the SAME card again", recovered once space returns, charged once', async () => {
    const disk = fillingDisk();
    const terminal = enrolledTerminal({
      faultHook: (p) => (p === CrashPoint.TapAfterPay ? disk.fill() : disk.hook(p)),
    });
    open.push(terminal);
    const card = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(card.applet);

    const cut = interrupted(await terminal.charge(reader, 2_000));
    expect(cut).toMatchObject({ stage: 'pay', pending: true, storage: { reason: 'full' } });
    expect(cut.next).toBe(NextStep.FreeSpaceThenTapSameCard);
    expect(card.applet.state.balance).toBe(8_000); // the card paid
    expect(terminal.receipts()).toEqual([]); // ... and the terminal holds no receipt: nothing was approved
    expect(terminal.status().pendingTaps).toHaveLength(1);

    // Tapped again while the disk is still full: RECOVER gets the receipt, which cannot be saved either.
    const counting = new CountingCard(card.applet);
    reader.insert(counting);
    const still = interrupted(await terminal.charge(reader, 2_000));
    expect(still).toMatchObject({ stage: 'recover', pending: true, storage: { reason: 'full' } });
    expect(counting.exchanges.map((e) => e.ins)).toEqual([Ins.Select, Ins.Recover]);
    expect(terminal.receipts()).toEqual([]);

    disk.free();
    counting.take();
    const back = await terminal.charge(reader, 2_000);
    expect(back).toMatchObject({ outcome: 'recovered', payment: { amount: 2_000, balanceAfter: 8_000 } });
    expect(counting.exchanges.map((e) => e.ins)).toEqual([Ins.Select, Ins.Recover]);
    expect(card.applet.state.balance).toBe(8_000); // charged once
    expect(terminal.receipts()).toHaveLength(1);
    expect(terminal.status().pendingTaps).toEqual([]);
  });
});

describe('the CLI on a full disk', () => {
  let L: RunningLedger;
  beforeAll(async () => {
    L = await startLedger();
  });
  afterAll(() => L.close());

  async function setUp(): Promise<{ dataDir: string; cardFile: string }> {
    const { terminal, dataDir } = await onlineTerminal(L);
    terminal.close();
    const dir = tempDir();
    const cardFile = join(dir, 'card.card');
    const card = await softCard(0, { limits: ROOMY_CARD_LIMITS, file: cardFile });
    await loadViaLedger(L, card.applet, 10_000);
    card.store.close();
    return { dataDir, cardFile };
  }

  const balanceOf = (file: string): number => {
    const store = FileCardStore.open(file);
    try {
      return new PurseApplet(store).state.balance;
    } finally {
      store.close();
    }
  };

  it('charge: the receipt commit fails, exit 2 with "tap the SAME card again", no stack trace; the next charge recovers it', async () => {
    const { dataDir, cardFile } = await setUp();
    const charge = (env: Record<string, string> = {}) =>
      runCli(['--data-dir', dataDir, 'charge', '20.00', '--sim', cardFile], env);
    const full = await charge({ [DISK_FULL_FROM_ENV]: CrashPoint.TapAfterPay });
    expect(full.code).toBe(2);
    expect(full.stdout).toMatch(/NOT FINISHED/);
    expect(full.stdout).toMatch(/tap the SAME card again/);
    expect(full.stdout).not.toMatch(/APPROVED/);
    expect(`${full.stdout}${full.stderr}`).not.toMatch(/INTERNAL|at .*\.ts:\d+/);
    expect(balanceOf(cardFile)).toBe(8_000);

    const back = await runCli(['--data-dir', dataDir, '--json', 'charge', '20.00', '--sim', cardFile]);
    expect(back.code, back.stderr).toBe(0);
    expect(json(back)).toMatchObject({ outcome: 'recovered', payment: { amount: 2_000 } });
    expect(balanceOf(cardFile)).toBe(8_000);
  });

  it('sync and charge on a full disk: the error says what happened and what to do, exit 3, no stack trace; status still reads', async () => {
    const { dataDir, cardFile } = await setUp();
    expect((await runCli(['--data-dir', dataDir, 'charge', '5.00', '--sim', cardFile])).code).toBe(0);
    const status = await runCli(['--data-dir', dataDir, 'status'], { [DISK_FULL_FROM_ENV]: CrashPoint.Commit });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/queued +1/);
    for (const args of [['sync'], ['charge', '1.00', '--sim', cardFile]]) {
      const run = await runCli(['--data-dir', dataDir, ...args], { [DISK_FULL_FROM_ENV]: CrashPoint.Commit });
      expect(run.code, `${args[0]}: ${run.stderr}`).toBe(3);
      expect(run.stderr).toMatch(/ERROR {2}the terminal's disk is full/);
      expect(run.stderr).toMatch(/What to do: Free space/);
      expect(run.stderr).toMatch(/STORAGE_UNAVAILABLE/);
      expect(run.stderr).not.toMatch(/INTERNAL|at .*\.ts:\d+/);
    }
    const synced = await runCli(['--data-dir', dataDir, '--json', 'sync']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(json(synced)).toMatchObject({ totals: { accepted: 1 } });
    expect(balanceOf(cardFile)).toBe(9_500);
  });
});
