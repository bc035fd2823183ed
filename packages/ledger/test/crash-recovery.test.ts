import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it, afterAll } from 'vitest';
import { formatKeyFile } from '@ehkd/core';
import { Ledger } from '../src/ledger.js';
import { valueAudit } from '../src/reports/value-audit.js';
import { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { receiptSet, recordSetPrerequisites } from '../bench/receipt-set.js';
import { tempDir, removeTempDirs } from './fixtures/test-scheme.js';

const BIN = fileURLToPath(new URL('../bin/ehkd-ledger.js', import.meta.url));

/** Runs `ehkd-ledger ingest` in a child process; `killAfterLines` SIGKILLs it once that many files are reported. */
function runIngest(
  args: readonly string[],
  killAfterLines?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'ingest', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const reported = stdout.split('\n').filter((l) => l.includes(': batch ')).length;
      if (killAfterLines !== undefined && reported >= killAfterLines && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code !== null && code !== 0
        ? reject(new Error(`ingest exited ${code}: ${stderr}`))
        : resolve({ code, signal, stdout }),
    );
  });
}

afterAll(removeTempDirs);
describe('the ingest process killed (SIGKILL) in the middle of a run', () => {
  it('leaves every batch either wholly applied or not at all, and a re-run settles everything exactly once', async () => {
    const set = receiptSet({ cards: 300, terminals: 12, paysPerCard: 60, batchSize: 1_500 });
    const dir = tempDir('ehkd-ledger-crash-');
    const db = join(dir, 'ledger.db');
    const s = set.scheme;
    const store = SqliteLedgerStore.open(db);
    await Ledger.initialise(store, s.root.certificate, [s.issuer.certificate, s.acquirer.certificate], s.acquirer);
    const ledger = await Ledger.open({ store, acquirer: s.acquirer, issuers: [s.issuer], workers: 1 });
    await recordSetPrerequisites(set, store, ledger);
    await ledger.close();
    await store.close();
    const acquirerKey = join(dir, 'acquirer.key.json');
    writeFileSync(acquirerKey, formatKeyFile(s.keyFiles.acquirer), { mode: 0o600 });
    const files = set.batches.map((b, i) => {
      const f = join(dir, `batch-${String(i).padStart(2, '0')}.cbor`);
      writeFileSync(f, b);
      return f;
    });
    const args = ['--db', db, '--acquirer-key', acquirerKey, '--workers', '2', ...files];

    const killed = await runIngest(args, 2);
    expect(killed.signal).toBe('SIGKILL');

    // Every recorded batch has all of its receipts, and no receipt exists without its batch.
    const raw = new Database(db, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    const batches = raw
      .prepare(
        'SELECT b.accepted, (SELECT COUNT(*) FROM receipts r WHERE r.batch_id = b.batch_id) AS stored FROM batches b',
      )
      .all() as { accepted: number; stored: number }[];
    const orphans = raw
      .prepare(
        'SELECT COUNT(*) FROM receipts r WHERE r.batch_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM batches b WHERE b.batch_id = r.batch_id)',
      )
      .pluck()
      .get();
    raw.close();
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.length).toBeLessThan(files.length);
    for (const b of batches) expect(b.stored).toBe(b.accepted);
    expect(orphans).toBe(0);
    const reopened = SqliteLedgerStore.open(db);
    expect((await valueAudit(reopened)).balanced).toBe(true);
    await reopened.close();

    const rerun = await runIngest(args);
    expect(rerun.code).toBe(0);
    const accepted = [...rerun.stdout.matchAll(/: (\d+) accepted, (\d+) duplicate/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    const duplicates = [...rerun.stdout.matchAll(/: (\d+) accepted, (\d+) duplicate/g)].reduce(
      (sum, m) => sum + Number(m[2]),
      0,
    );
    expect(accepted + duplicates).toBe(set.receipts);
    expect(duplicates).toBe(batches.reduce((sum, b) => sum + b.accepted, 0));

    const final = SqliteLedgerStore.open(db);
    const settled = (await final.merchantSettlement()).reduce((sum, m) => sum + m.creditedAmount, 0);
    expect(settled).toBe(set.paid);
    expect(await final.fraudCases()).toHaveLength(0);
    expect((await valueAudit(final)).balanced).toBe(true);
    await final.close();
  });
});
