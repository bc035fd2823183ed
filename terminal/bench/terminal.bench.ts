/**
 * Section 'terminal': what a tap costs the terminal itself. Terminal-side time per tap excluding the card
 * (certificate + receipt verification and the two durable commits), the verification alone, durable commits
 * (fsyncs) and APDU exchanges per tap, a full in-process tap through the simulated reader, and resident memory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Limits,
  Role,
  TrustStore,
  decodeCardReceipt,
  decodeCoseSign1,
  decodeSelectResponse,
  purseApdus,
  verifyPayReceipt,
  type PayReceipt,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { FileCardStore, SimulatedReader } from '@ehkd/card-sim';
import { ForwardingCard } from '@ehkd/card-sim/vpcd';
import type { BenchRow } from '@ehkd/bench-kit';
import { percentile } from '@ehkd/bench-kit';
import { BENCH_TERMINAL_ID, benchCard, benchScheme, enrolBenchTerminal } from './bench-fixture.js';

const TAPS = 300;
const WARM_UP = 30;

/** A real card, timed: every exchange's time inside the card is added to `cardMs`. */
class TimedCard extends ForwardingCard {
  cardMs = 0;
  exchanges = 0;
  override async process(command: Uint8Array): Promise<Uint8Array> {
    const t0 = performance.now();
    const r = await super.process(command);
    this.cardMs += performance.now() - t0;
    this.exchanges++;
    return r;
  }
}

/** Resident memory of a fresh process, on the built packages, that opened the terminal and took `taps` taps (MiB). */
async function residentMiB(dataDir: string, taps: number): Promise<number> {
  const card = await benchCard();
  const cardFile = join(dataDir, 'rss-probe.card');
  FileCardStore.create(cardFile, card.applet.state).close();
  const probe = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
  // The V8 flags the shipped `ehkd-terminal` starts with (its shebang line), so that the figure is the shipped process's.
  const shebang =
    readFileSync(fileURLToPath(new URL('../bin/ehkd-terminal.js', import.meta.url)), 'utf8').split('\n')[0] ?? '';
  const flags = shebang.split(/\s+/).filter((a) => a.startsWith('--'));
  const out = execFileSync(process.execPath, [...flags, probe, dataDir, cardFile, String(taps)], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
  });
  return (JSON.parse(out) as { rss: number }).rss / (1024 * 1024);
}

/** Runs the terminal section: taps through an enrolled terminal on a temporary data directory. */
export async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ehkd-terminal-bench-'));
  try {
    const terminal = enrolBenchTerminal(dir);
    const card = await benchCard();
    const timed = new TimedCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(timed);

    const total: number[] = [];
    const terminalSide: number[] = [];
    const cardSide: number[] = [];
    let commits = 0;
    let exchanges = 0;
    for (let i = 0; i < WARM_UP + TAPS; i++) {
      timed.cardMs = 0;
      timed.exchanges = 0;
      const c0 = terminal.commits;
      const t0 = performance.now();
      const r = await terminal.charge(reader, 125);
      const ms = performance.now() - t0;
      if (r.outcome !== 'approved') throw new Error(`bench tap not approved: ${JSON.stringify(r)}`);
      if (i < WARM_UP) continue;
      total.push(ms);
      cardSide.push(timed.cardMs);
      terminalSide.push(ms - timed.cardMs);
      commits += terminal.commits - c0;
      exchanges += timed.exchanges;
    }

    // Verification alone, on one tap's real bytes: card certificate chain + expiry, then the pay receipt.
    const s = benchScheme;
    const verifier = createNodeVerifier();
    const selected = decodeSelectResponse((await card.applet.process(purseApdus.select())).slice(0, -2));
    const trust = TrustStore.create(s.root.certificate, [s.issuer.certificate, s.acquirer.certificate], verifier);
    if (!trust.ok) throw new Error(trust.reason);
    const last = terminal.receipts({ limit: 1 })[0];
    if (last === undefined) throw new Error('no receipt');
    const receipt = decodeCardReceipt(decodeCoseSign1(last.bytes, Limits.receiptBytes).payload) as PayReceipt;
    const now = Math.floor(Date.now() / 1000);
    const verifySamples: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const t0 = performance.now();
      const leaf = trust.value.verifyLeaf(selected.certificate, Role.Card, verifier, now);
      if (!leaf.ok) throw new Error(leaf.reason);
      const v = verifyPayReceipt(
        last.bytes,
        leaf.value.payload,
        { amount: receipt.amount, currency: receipt.currency, nonce: receipt.nonce, payee: BENCH_TERMINAL_ID },
        verifier,
      );
      if (!v.ok) throw new Error(v.reason);
      verifySamples.push(performance.now() - t0);
    }
    terminal.close();
    const rss = await residentMiB(dir, 200);

    const cardMedian = percentile(cardSide, 50);
    const sideMedian = percentile(terminalSide, 50);
    const verifyMedian = percentile(verifySamples.slice(200), 50);
    const cardLimit = { name: 'card-side time per tap (simulated card: noble signing + commit)', value: cardMedian };
    return [
      {
        section: 'terminal',
        name: 'tap: terminal-side time excluding the card (median)',
        value: sideMedian,
        unit: 'ms',
        limit: cardLimit,
        ratio: sideMedian / cardMedian,
        note: `verification + 2 durable SQLite commits (WAL, synchronous=FULL) + 1 relaxed commit; p99 ${percentile(terminalSide, 99).toFixed(2)} ms over ${TAPS} taps; data dir on ${tmpdir()}`,
      },
      {
        section: 'terminal',
        name: 'tap: verification only (card certificate chain + pay receipt, node:crypto)',
        value: verifyMedian,
        unit: 'ms',
        limit: cardLimit,
        ratio: verifyMedian / cardMedian,
        note: 'two ES256 verifications with cached keys; persistence is the rest of the terminal-side time',
      },
      {
        section: 'terminal',
        name: 'tap: durable commits (WAL fsyncs) per tap',
        value: commits / TAPS,
        unit: 'fsyncs',
        note: 'intent before PAY, receipt + intent closed after; the approval-shown mark is committed without fsync',
      },
      {
        section: 'terminal',
        name: 'tap: APDU exchanges per tap',
        value: exchanges / TAPS,
        unit: 'exchanges',
        limit: { name: 'protocol target (SELECT + PAY)', value: 2 },
        ratio: exchanges / TAPS / 2,
      },
      {
        section: 'terminal',
        name: 'tap: full in-process tap, simulated reader + card (median)',
        value: percentile(total, 50),
        unit: 'ms',
        limit: { name: 'Octopus tap, whole transaction', value: 300 },
        ratio: percentile(total, 50) / 300,
        note: `p99 ${percentile(total, 99).toFixed(2)} ms; card-side median ${cardMedian.toFixed(2)} ms`,
      },
      {
        section: 'terminal',
        name: 'resident memory of a terminal process after 200 taps',
        value: rss,
        unit: 'MiB',
        limit: { name: 'target', value: 70 },
        ratio: rss / 70,
        note: "fresh Node process on the built packages (no TypeScript loader) with the V8 flags of the bin's shebang, the terminal and a card file tapped in-process as `charge --sim` does",
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
