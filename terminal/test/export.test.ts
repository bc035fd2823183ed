import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrustStore, decodeTrustAnchorBundle, nobleVerifier, verifyUploadBatch } from '@ehkd/core';
import { SimulatedReader } from '@ehkd/card-sim';
import { CrashPoint, ReceiptState, Terminal } from '../src/index.js';
import { CRASH_AT_ENV } from '../src/faults/crash-hook.js';
import { json, runCli } from './fixtures/cli-runner.js';
import { enrolledTerminal, nowSeconds, softCard, tempDir, trustBundle } from './fixtures/scheme-fixture.js';

const open: Terminal[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

async function terminalWithPayments(amounts: readonly number[], dataDir?: string): Promise<Terminal> {
  const terminal = enrolledTerminal(dataDir === undefined ? {} : { dataDir });
  open.push(terminal);
  const card = await softCard(100_000);
  const reader = new SimulatedReader();
  reader.insert(card.applet);
  for (const a of amounts) expect((await terminal.charge(reader, a)).outcome).toBe('approved');
  return terminal;
}

function verifyFile(file: string): string[] {
  const b = decodeTrustAnchorBundle(trustBundle());
  const trust = TrustStore.create(b.root, b.certificates, nobleVerifier);
  if (!trust.ok) throw new Error(trust.reason);
  const v = verifyUploadBatch(new Uint8Array(readFileSync(file)), trust.value, nobleVerifier, nowSeconds());
  if (!v.ok) throw new Error(`${v.check}: ${v.reason}`);
  return v.value.batch.payload.receipts.map((r) => Buffer.from(r).toString('hex'));
}

describe('export for terminals that never get online', () => {
  it('writes a terminal-signed batch of the waiting receipts, marks them exported, and re-exports on request', async () => {
    const terminal = await terminalWithPayments([100, 200, 300]);
    const file = join(tempDir(), 'batch.cose');
    const report = terminal.export({ file });
    expect(report).toMatchObject({ file, receipts: 3, amount: 600, remaining: 0 });
    const inFile = verifyFile(file);
    expect(inFile.sort()).toEqual(
      terminal
        .receipts()
        .map((r) => Buffer.from(r.bytes).toString('hex'))
        .sort(),
    );
    expect(terminal.receipts().map((r) => r.state)).toEqual([
      ReceiptState.Exported,
      ReceiptState.Exported,
      ReceiptState.Exported,
    ]);
    // Exported is not settled: it still counts against the offline limits.
    expect(terminal.status().exposure).toMatchObject({ receipts: 3, receiptAmount: 600 });

    expect(terminal.export({ file: join(tempDir(), 'empty.cose') })).toEqual({ receipts: 0, amount: 0, remaining: 0 });
    const again = join(tempDir(), 'again.cose');
    expect(terminal.export({ file: again, again: true }).receipts).toBe(3);
    expect(verifyFile(again).sort()).toEqual(inFile.sort());
  });

  it('exports only the new receipts next time, by default into the data directory', async () => {
    const terminal = await terminalWithPayments([100]);
    terminal.export();
    const card = await softCard(1_000);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    await terminal.charge(reader, 50);
    const second = terminal.export();
    expect(second.receipts).toBe(1);
    expect(second.file).toMatch(new RegExp(`${terminal.dataDir}/exports/batch-[0-9a-f]{16}-2\\.cose$`));
    expect(existsSync(second.file!)).toBe(true);
  });

  it('a crash after the file is written but before marking leaves the receipts queued, and they export again', async () => {
    const dataDir = join(tempDir(), 'terminal');
    (await terminalWithPayments([100, 250], dataDir)).close();
    open.length = 0;
    const file = join(tempDir(), 'crash.cose');
    const crashed = await runCli(['-d', dataDir, 'export', '--out', file], {
      [CRASH_AT_ENV]: CrashPoint.ExportAfterFile,
    });
    expect(crashed.signal).toBe('SIGKILL');
    expect(verifyFile(file)).toHaveLength(2); // the file is complete
    const terminal = Terminal.open({ dataDir });
    open.push(terminal);
    expect(terminal.receipts().map((r) => r.state)).toEqual([ReceiptState.Queued, ReceiptState.Queued]);
    terminal.close();
    open.length = 0;
    const again = await runCli(['-d', dataDir, '--json', 'export', '--out', join(tempDir(), 'retry.cose')]);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again)).toMatchObject({ receipts: 2, amount: 350 });
    const after = Terminal.open({ dataDir });
    open.push(after);
    expect(after.receipts().map((r) => r.state)).toEqual([ReceiptState.Exported, ReceiptState.Exported]);
  });
});
