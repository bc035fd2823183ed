// Ledger ingest bench: end-to-end ingestion of a large generated batch set into a fresh SQLite database, against
// the machine's raw node:crypto P-256 verification rate on all cores measured in the same run.
import { availableParallelism } from 'node:os';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  Limits,
  ReceiptStatus,
  coseSigStructure,
  decodeCardReceipt,
  decodeCertificate,
  decodeCoseSign1,
  decodeUploadBatch,
  sha256,
  toHex,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import type { BenchRow } from '@ehkd/bench-kit';
import { spawnTsWorker } from '../src/ingest/spawn-ts-worker.js';
import { Ledger } from '../src/ledger.js';
import { applyReceipts, type ReceiptApplication } from '../src/detect/apply-receipts.js';
import { ReceiptKind } from '../src/store/ledger-store.js';
import { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { tempDir } from '../test/fixtures/test-scheme.js';
import { receiptSet, recordSetPrerequisites, type ReceiptSet } from './receipt-set.js';

const PARAMS = { cards: 2_000, terminals: 100, paysPerCard: 50, batchSize: 1_000 } as const;
/** Batches verified ahead of the one being committed. */
const CONCURRENCY = 4;
const RAW_MS = 2_000;
const OCTOPUS_DAY = 15_000_000;
const RUNS = 2;

/** Runs the ledger bench. */
export async function run(): Promise<BenchRow[]> {
  const set = receiptSet(PARAMS);
  const cores = availableParallelism();
  // The machine is shared with other work, which only ever slows a run down: each figure is the best of several
  // runs, raw rates taken around the ingest runs.
  const raws: { rate: number; cpuUs: number | null }[] = [];
  const ingests: Awaited<ReturnType<typeof ingestRate>>[] = [];
  for (let run = 0; run < RUNS; run++) {
    raws.push(await rawVerifyRate(set, cores));
    ingests.push(await ingestRate(set, cores));
  }
  raws.push(await rawVerifyRate(set, cores));
  const floor = await floorCosts(set);
  const raw = Math.max(...raws.map((r) => r.rate));
  const verifyCpu = Math.min(...raws.map((r) => r.cpuUs ?? Infinity));
  const ingest = ingests.reduce((best, r) => (r.rate > best.rate ? r : best));
  const limit = { name: `raw ES256 verify, node:crypto, ${cores} workers`, value: Math.round(raw) };
  return [
    {
      section: 'ledger',
      name: `ingest ${set.receipts} receipts (${set.batches.length} batches, ${PARAMS.cards} cards) into SQLite`,
      value: Math.round(ingest.rate),
      unit: 'receipts/s',
      limit,
      ratio: ingest.rate / raw,
      note: `target ratio >= 0.8; best of ${RUNS}: ${ingest.seconds.toFixed(2)} s end to end; CPU per receipt ${ingest.cpu.text}`,
    },
    {
      section: 'ledger',
      name: `raw ES256 verify, node:crypto, cached keys, ${cores} workers`,
      value: Math.round(raw),
      unit: 'verifies/s',
      note: `best of ${raws.map((r) => Math.round(r.rate)).join(', ')}${Number.isFinite(verifyCpu) ? `; ${verifyCpu.toFixed(1)} us of CPU per verification` : ''}`,
    },
    ...(Number.isFinite(verifyCpu) && ingest.cpu.total > 0
      ? [
          {
            section: 'ledger',
            name: 'ingest CPU efficiency: CPU of a raw verification / CPU per ingested receipt',
            value: Math.round((verifyCpu / ingest.cpu.total) * 1000) / 1000,
            unit: 'ratio',
            note: `${verifyCpu.toFixed(1)} us / ${ingest.cpu.total.toFixed(1)} us; unaffected by other load on the shared machine, unlike the rates`,
          },
        ]
      : []),
    ...(Number.isFinite(verifyCpu)
      ? [
          {
            section: 'ledger',
            name: 'ceiling of the ingest ratio: verification, card key set-up and database only',
            value: Math.round((verifyCpu / (verifyCpu + floor.cardSetupUs + floor.applyUs)) * 1000) / 1000,
            unit: 'ratio',
            note: `${verifyCpu.toFixed(1)} us / (${verifyCpu.toFixed(1)} us + card set-up ${floor.cardSetupUs.toFixed(1)} us + store.applyReceipts ${floor.applyUs.toFixed(1)} us) per receipt, measured alone on one thread; what ingest adds on top (batch envelope, parsing, messages, results, GC, three threads on ${cores} cores) is the gap to the measured ratio`,
          },
        ]
      : []),
    {
      section: 'ledger',
      name: 'one Octopus day (15M receipts) at this ingest rate',
      value: Math.round((OCTOPUS_DAY / ingest.rate / 60) * 10) / 10,
      unit: 'min',
    },
  ];
}

async function ingestRate(
  set: ReceiptSet,
  cores: number,
): Promise<{ rate: number; seconds: number; cpu: { text: string; total: number } }> {
  const dir = tempDir('ehkd-ledger-bench-');
  const store = SqliteLedgerStore.open(join(dir, 'ledger.db'));
  try {
    const s = set.scheme;
    await Ledger.initialise(store, s.root.certificate, [s.issuer.certificate, s.acquirer.certificate], s.acquirer);
    const ledger = await Ledger.open({ store, acquirer: s.acquirer, issuers: [s.issuer], workers: cores });
    await recordSetPrerequisites(set, store, ledger);
    await ledger.startWorkers();
    const threadsBefore = threadCpu();
    const started = performance.now();
    let next = 0;
    let accepted = 0;
    const lane = async (): Promise<void> => {
      while (next < set.batches.length) {
        const r = await ledger.ingestBatch(set.batches[next++] as Uint8Array, 'bench');
        if (!r.ok) throw new Error(`batch refused: ${r.reason}`);
        accepted += r.counts.accepted;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuPerReceipt(threadsBefore, threadCpu(), set.receipts);
    await ledger.close();
    if (accepted !== set.receipts) throw new Error(`accepted ${accepted} of ${set.receipts} receipts`);
    const settled = (await store.merchantSettlement()).reduce((sum, m) => sum + m.creditedAmount, 0);
    if (settled !== set.paid) throw new Error(`settled ${settled}, paid ${set.paid}`);
    return { rate: set.receipts / seconds, seconds, cpu };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** CPU milliseconds used so far by each thread of this process (Linux /proc; empty elsewhere). */
function threadCpu(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks of 10 ms.
      out.set(tid, {
        name: tid === String(process.pid) ? 'main' : 'thread',
        ms: (Number(fields[11]) + Number(fields[12])) * 10,
      });
    }
  } catch {
    // Not Linux: the note just omits the breakdown.
  }
  return out;
}

/** CPU per receipt: 'main X us + verification workers Y us + V8 helper threads Z us', and the total. */
function cpuPerReceipt(
  before: Map<string, { name: string; ms: number }>,
  after: Map<string, { name: string; ms: number }>,
  receipts: number,
): { text: string; total: number } {
  let main = 0;
  const others: number[] = [];
  for (const [tid, t] of after) {
    const us = ((t.ms - (before.get(tid)?.ms ?? 0)) * 1000) / receipts;
    if (t.name === 'main') main = us;
    else others.push(us);
  }
  others.sort((a, b) => b - a);
  // The busiest threads besides main are the verification workers (one per core); the rest are V8's GC helpers.
  const workers = others.slice(0, availableParallelism()).reduce((a, b) => a + b, 0);
  const helpers = others.slice(availableParallelism()).reduce((a, b) => a + b, 0);
  return {
    text: `main ${main.toFixed(1)} us + verification workers ${workers.toFixed(1)} us + V8 helper threads ${helpers.toFixed(1)} us`,
    total: main + workers + helpers,
  };
}

/**
 * Raw node:crypto verification on `cores` workers at once, of real receipts from the set: a whole batch of them,
 * so that the verifications cycle through as many distinct card keys (each a cached KeyObject) as ingestion does.
 */
async function rawVerifyRate(set: ReceiptSet, cores: number): Promise<{ rate: number; cpuUs: number | null }> {
  const batch = decodeUploadBatch(decodeCoseSign1(set.batches[0] as Uint8Array, Limits.batchBytes).payload);
  const keys = new Map(
    batch.cardCertificates.map((c) => {
      const cert = decodeCertificate(decodeCoseSign1(c, Limits.certificateBytes).payload);
      return [toHex(cert.subject), cert.publicKey] as const;
    }),
  );
  const samples = batch.receipts.map((bytes) => {
    const cose = decodeCoseSign1(bytes, Limits.receiptBytes);
    const publicKey = keys.get(toHex(decodeCardReceipt(cose.payload).cardId)) as Uint8Array;
    return { publicKey, message: coseSigStructure(cose.protectedBytes, cose.payload), signature: cose.signature };
  });
  const workers = Array.from({ length: cores }, () =>
    spawnTsWorker(new URL('./raw-verify-worker.ts', import.meta.url)),
  );
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const results = await Promise.all(
      workers.map(
        (w) =>
          new Promise<{ count: number; elapsedMs: number; cpuMs: number | null }>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
            w.postMessage({ samples, durationMs: RAW_MS });
          }),
      ),
    );
    const count = results.reduce((sum, r) => sum + r.count, 0);
    const cpuMs = results.every((r) => r.cpuMs !== null) ? results.reduce((sum, r) => sum + (r.cpuMs ?? 0), 0) : null;
    return {
      rate: results.reduce((sum, r) => sum + (r.count / r.elapsedMs) * 1000, 0),
      cpuUs: cpuMs === null ? null : (cpuMs * 1000) / count,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The costs no ingest pipeline of this design avoids, each measured alone on this thread, per receipt of the set:
 * setting up each card once (its certificate's signature checked under the cached issuer key, and its public key
 * object built as the verification workers build it), and applying the already verified receipts to a fresh SQLite store batch by batch (classification,
 * inserts, commits), without any parsing, worker messages or verification.
 */
async function floorCosts(set: ReceiptSet): Promise<{ cardSetupUs: number; applyUs: number }> {
  const s = set.scheme;
  const issuerKey = decodeCertificate(decodeCoseSign1(s.issuer.certificate, Limits.certificateBytes).payload).publicKey;
  const certs = set.loads.map((l) => {
    const cose = decodeCoseSign1(l.certificate, Limits.certificateBytes);
    return {
      message: coseSigStructure(cose.protectedBytes, cose.payload),
      signature: cose.signature,
      cert: decodeCertificate(cose.payload),
    };
  });
  const verifier = createNodeVerifier();
  const first = certs[0] as (typeof certs)[number];
  verifier.verify(issuerKey, first.message, first.signature);
  const started = process.cpuUsage();
  for (const c of certs)
    if (!verifier.verify(issuerKey, c.message, c.signature)) throw new Error('a card certificate does not verify');
  await verifier.prepare(certs.map((c) => c.cert.publicKey));
  const setup = process.cpuUsage(started);
  const cardSetupUs = (setup.user + setup.system) / set.receipts;

  const applications: ReceiptApplication[] = set.batches.map((bytes) => {
    const cose = decodeCoseSign1(bytes, Limits.batchBytes);
    const b = decodeUploadBatch(cose.payload);
    const cards = b.cardCertificates.map((c) => {
      const cert = decodeCertificate(decodeCoseSign1(c, Limits.certificateBytes).payload);
      return { cardId: cert.subject, issuerId: cert.signer, currency: cert.card?.currency ?? 0, certificate: c };
    });
    const receipts = b.receipts.map((r) => {
      const payload = decodeCoseSign1(r, Limits.receiptBytes).payload;
      const p = decodeCardReceipt(payload);
      if (p.kind !== 'pay') throw new Error('a load receipt in a bench batch');
      return {
        id: sha256(payload),
        bytes: r,
        kind: ReceiptKind.Pay,
        cardId: p.cardId,
        counter: p.counter,
        amount: p.amount,
        currency: p.currency,
        balanceAfter: p.balanceAfter,
        prevHash: p.prevHash,
        time: p.time,
      };
    });
    const terminal = set.terminals.find((t) => toHex(t.terminalId) === toHex(b.terminalId));
    if (terminal === undefined) throw new Error('a bench batch from an unknown terminal');
    return {
      batch: {
        batchId: sha256(cose.payload),
        terminalId: b.terminalId,
        merchantId: terminal.merchantId,
        sequence: b.sequence,
        createdAt: b.createdAt,
        source: 'bench',
        receiptCount: receipts.length,
      },
      cards,
      receipts,
      rejectedCount: 0,
    };
  });
  const dir = tempDir('ehkd-ledger-floor-');
  const store = SqliteLedgerStore.open(join(dir, 'ledger.db'));
  try {
    await Ledger.initialise(store, s.root.certificate, [s.issuer.certificate, s.acquirer.certificate], s.acquirer);
    const ledger = await Ledger.open({ store, acquirer: s.acquirer, issuers: [s.issuer], workers: 1 });
    await recordSetPrerequisites(set, store, ledger);
    await ledger.close();
    const policy = { now: Math.floor(Date.now() / 1000), denyListGraceSeconds: 86_400 };
    const before = process.cpuUsage();
    let accepted = 0;
    for (const a of applications)
      accepted += (await applyReceipts(store, a, policy)).outcomes.filter(
        (o) => o.status === ReceiptStatus.Accepted,
      ).length;
    const applied = process.cpuUsage(before);
    if (accepted !== set.receipts) throw new Error(`applied ${accepted} of ${set.receipts} receipts`);
    return { cardSetupUs, applyUs: (applied.user + applied.system) / set.receipts };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
