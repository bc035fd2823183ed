import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrashPoint, ReceiptState, Terminal } from '../src/index.js';
import { CRASH_AT_ENV } from '../src/faults/crash-hook.js';
import { json, runCli } from './fixtures/cli-runner.js';
import {
  credited,
  loadedCard,
  onlineTerminal,
  pay,
  startLedger,
  type RunningLedger,
} from './fixtures/ledger-fixture.js';

let L: RunningLedger;
beforeAll(async () => {
  L = await startLedger();
});
afterAll(async () => {
  await L.close();
});

/** Receipt states of a terminal's data directory, read by a fresh process's view of the database. */
function statesIn(dataDir: string): string[] {
  const t = Terminal.open({ dataDir });
  try {
    return t
      .receipts()
      .map((r) => r.state)
      .sort();
  } finally {
    t.close();
  }
}

async function waitFor(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

const POINTS = [
  CrashPoint.SyncAfterBatch,
  CrashPoint.SyncAfterSend,
  CrashPoint.SyncAfterAnswer,
  CrashPoint.SyncBeforeMarking,
] as const;

describe('the terminal process is killed (SIGKILL) during a sync', () => {
  for (const point of POINTS) {
    it(`at ${point}: after a restart nothing is lost, nothing is credited twice, nothing is uploaded as new twice`, async () => {
      const { terminal, merchantId, dataDir } = await onlineTerminal(L);
      await pay(terminal, await loadedCard(L, 10_000), [300, 400, 500]);
      terminal.close();

      const crashed = await runCli(['-d', dataDir, '--json', 'sync'], { [CRASH_AT_ENV]: point });
      expect(crashed.signal).toBe('SIGKILL');
      expect(statesIn(dataDir)).toEqual(['uploading', 'uploading', 'uploading']); // the batch was durable before it was sent
      if (point === CrashPoint.SyncAfterBatch) expect(await credited(L, merchantId)).toEqual({ count: 0, amount: 0 });
      else {
        // The ledger got the whole batch before the terminal died: it credits it, once.
        await waitFor(async () => (await credited(L, merchantId)).count === 3);
        expect(await credited(L, merchantId)).toEqual({ count: 3, amount: 1_200 });
      }

      const restarted = await runCli(['-d', dataDir, '--json', 'sync']);
      expect(restarted.code, restarted.stderr).toBe(0);
      const report = json<{ batches: { resent: boolean; receipts: number }[]; totals: Record<string, number> }>(
        restarted,
      );
      expect(report.batches).toMatchObject([{ resent: true, receipts: 3 }]); // the same batch, not a new one
      const expected = point === CrashPoint.SyncAfterBatch ? ReceiptState.Accepted : ReceiptState.Duplicate;
      expect(report.totals).toMatchObject({
        [expected === ReceiptState.Accepted ? 'accepted' : 'duplicate']: 3,
        requeued: 0,
      });
      expect(statesIn(dataDir)).toEqual([expected, expected, expected]);
      expect(await credited(L, merchantId)).toEqual({ count: 3, amount: 1_200 });

      // A further sync has nothing left to send.
      expect(json<{ batches: unknown[] }>(await runCli(['-d', dataDir, '--json', 'sync'])).batches).toEqual([]);
    });
  }
});
