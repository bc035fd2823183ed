import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileCardStore, PurseApplet } from '@ehkd/card-sim';
import { CrashPoint, IntentResolution, ReceiptState, Terminal } from '../src/index.js';
import { CRASH_AT_ENV } from '../src/faults/crash-hook.js';
import { json, runCli, type CliRun } from './fixtures/cli-runner.js';
import { enrolledTerminal, softCard, tempDir } from './fixtures/scheme-fixture.js';

/** The balance a card file holds now (what the card would report). */
function balanceOf(cardFile: string): number {
  const store = FileCardStore.open(cardFile);
  try {
    return new PurseApplet(store).state.balance;
  } finally {
    store.close();
  }
}

async function setUp(): Promise<{ dataDir: string; cardFile: string }> {
  const dir = tempDir('ehkd-crash-');
  const dataDir = join(dir, 'terminal');
  enrolledTerminal({ dataDir }).close();
  const cardFile = join(dir, 'alice.card');
  const card = await softCard(10_000, { file: cardFile });
  card.store.close();
  return { dataDir, cardFile };
}

function charge(dataDir: string, cardFile: string, env: Record<string, string> = {}): Promise<CliRun> {
  return runCli(['--data-dir', dataDir, '--json', 'charge', '20.00', '--sim', cardFile], env);
}

/** For each crash point: the card's balance right after the crash, and the outcome of tapping the same card again. */
const CASES = [
  { point: CrashPoint.TapAfterIntent, balanceAfterCrash: 10_000, retry: 'approved' },
  { point: CrashPoint.TapAfterPay, balanceAfterCrash: 8_000, retry: 'recovered' },
  { point: CrashPoint.TapReceiptCommit, balanceAfterCrash: 8_000, retry: 'recovered' },
  { point: CrashPoint.TapAfterReceipt, balanceAfterCrash: 8_000, retry: 'recovered' },
  { point: CrashPoint.TapBeforeApproval, balanceAfterCrash: 8_000, retry: 'recovered' },
] as const;

describe('the terminal process is killed (SIGKILL) during a tap', () => {
  for (const c of CASES) {
    it(`at ${c.point}: no receipt lost, the customer charged once, nothing shown as approved before it was safe`, async () => {
      const { dataDir, cardFile } = await setUp();

      const crashed = await charge(dataDir, cardFile, { [CRASH_AT_ENV]: c.point });
      expect(crashed.signal).toBe('SIGKILL');
      expect(crashed.stdout).toBe(''); // the cashier never saw 'approved'
      expect(balanceOf(cardFile)).toBe(c.balanceAfterCrash);

      // The cashier sees nothing, so the customer taps again: same card, same amount.
      const retry = await charge(dataDir, cardFile);
      expect(retry.code, retry.stderr).toBe(0);
      const result = json<{
        outcome: string;
        payment: { amount: number; balanceAfter: number };
        resolved: { resolution: string }[];
      }>(retry);
      expect(result.outcome).toBe(c.retry);
      expect(result.payment).toMatchObject({ amount: 2_000, balanceAfter: 8_000 });
      if (c.point === CrashPoint.TapAfterIntent)
        expect(result.resolved).toMatchObject([{ resolution: IntentResolution.NotCommitted }]);
      expect(balanceOf(cardFile)).toBe(8_000); // charged exactly once

      const terminal = Terminal.open({ dataDir });
      try {
        const receipts = terminal.receipts();
        expect(receipts).toHaveLength(1);
        expect(receipts[0]).toMatchObject({ amount: 2_000, state: ReceiptState.Queued });
        const s = terminal.status();
        expect(s.intents.pending).toBe(0);
        expect(s.unannounced).toEqual([]);
      } finally {
        terminal.close();
      }

      // Once settled, the same card's next tap is a new sale again.
      const next = await charge(dataDir, cardFile);
      expect(json(next)['outcome']).toBe('approved');
      expect(balanceOf(cardFile)).toBe(6_000);
    });
  }

  it("a crash during the retry itself (at RECOVER's receipt) still charges once", async () => {
    const { dataDir, cardFile } = await setUp();
    expect((await charge(dataDir, cardFile, { [CRASH_AT_ENV]: CrashPoint.TapAfterPay })).signal).toBe('SIGKILL');
    expect((await charge(dataDir, cardFile, { [CRASH_AT_ENV]: CrashPoint.TapAfterReceipt })).signal).toBe('SIGKILL');
    const retry = json(await charge(dataDir, cardFile));
    expect(retry['outcome']).toBe('recovered');
    expect(balanceOf(cardFile)).toBe(8_000);
    const terminal = Terminal.open({ dataDir });
    try {
      expect(terminal.receipts()).toHaveLength(1);
    } finally {
      terminal.close();
    }
  });
});
