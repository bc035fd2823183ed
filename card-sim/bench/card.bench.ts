/**
 * Section 'card': the software card's own costs. Card-side time per PAY (what a tap waits for between the PAY
 * APDU and its answer) with noble signing, in memory and with the durable file store; storage steps per PAY;
 * answer sizes against the one-short-R-APDU limit; and the tear campaign's coverage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Currency, Limits, parseResponseApdu, type PayCommand, purseApdus } from '@ehkd/core';
import { createDevScheme } from '@ehkd/core/testing';
import type { BenchRow } from '@ehkd/bench-kit';
import { percentile } from '@ehkd/bench-kit';
import {
  FileCardStore,
  MemoryCardStore,
  PurseApplet,
  StorageOp,
  loadCard,
  personalizeCard,
  type CardStore,
  type StorageStep,
} from '../src/index.js';
import { runTearCampaign } from '../src/testing/tear-campaign.js';

const OCTOPUS_TAP_MS = 300;
const scheme = createDevScheme(new Uint8Array(32).fill(0xbe));
const issuer = { signer: scheme.issuer.signer, certificate: scheme.issuer.certificate };
const limits = {
  maxBalance: 4_000_000_000,
  maxPayment: 100_000,
  maxOfflineCount: 0xffff,
  maxOfflineAmount: 4_000_000_000,
};

let nonceCounter = 0;
function pay(): PayCommand {
  const nonce = new Uint8Array(16);
  new DataView(nonce.buffer).setUint32(12, ++nonceCounter);
  return { amount: 125, currency: Currency.HKD, payee: new Uint8Array(8).fill(5), nonce, time: 1_800_000_000 };
}

async function readyApplet(store: CardStore): Promise<PurseApplet> {
  const applet = new PurseApplet(store);
  await loadCard((c) => applet.process(c), issuer.signer, { amount: 3_000_000_000 });
  applet.process(purseApdus.select());
  // Fill the log, so every measured PAY rewrites a full state (the largest commit).
  for (let i = 0; i < 16; i++) applet.process(purseApdus.pay(pay()));
  return applet;
}

/** Card-side milliseconds of `n` PAYs (APDU in, R-APDU out). */
function timePays(applet: PurseApplet, n: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const command = purseApdus.pay(pay());
    const t0 = performance.now();
    const r = applet.process(command);
    samples.push(performance.now() - t0);
    if (parseResponseApdu(r).sw !== 0x9000) throw new Error(`PAY refused: ${parseResponseApdu(r).sw.toString(16)}`);
  }
  return samples;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const tap = { name: 'Octopus tap, whole transaction', value: OCTOPUS_TAP_MS };
  const msRow = (name: string, samples: number[], note: string): BenchRow => {
    const median = percentile(samples, 50);
    return {
      section: 'card',
      name,
      value: median,
      unit: 'ms',
      limit: tap,
      ratio: median / OCTOPUS_TAP_MS,
      note: `${note}; p99 ${percentile(samples, 99).toFixed(2)} ms over ${samples.length} PAYs`,
    };
  };

  const personalised = personalizeCard({ issuer, seed: new Uint8Array(32).fill(1), limits });
  const memory = await readyApplet(new MemoryCardStore(personalised.state));
  timePays(memory, 50);
  rows.push(
    msRow(
      'PAY card-side, noble signing, in-memory store (median)',
      timePays(memory, 400),
      'receipt built, signed (noble, S not normalised) and committed',
    ),
  );

  const dir = mkdtempSync(join(tmpdir(), 'ehkd-card-bench-'));
  try {
    const steps: StorageStep[] = [];
    const store = FileCardStore.create(join(dir, 'bench.card'), personalised.state, {
      onStep: (s) => {
        if (s.phase === 'before') steps.push(s);
      },
    });
    const file = await readyApplet(store);
    steps.length = 0;
    const samples = timePays(file, 200);
    rows.push(msRow('PAY card-side, file store with fdatasync (median)', samples, `two-slot journal in ${tmpdir()}`));
    const perPay = (op: string): number => steps.filter((s) => s.op === op).length / samples.length;
    rows.push({
      section: 'card',
      name: 'storage writes per PAY (512-byte sectors, full log)',
      value: perPay(StorageOp.Write),
      unit: 'writes',
    });
    rows.push({
      section: 'card',
      name: 'fsyncs per PAY',
      value: perPay(StorageOp.Fsync),
      unit: 'fsyncs',
      note: 'fdatasync of the card file; no rename, no directory fsync per commit',
    });
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const select = parseResponseApdu(memory.process(purseApdus.select())).data.length;
  rows.push({
    section: 'card',
    name: 'SELECT answer (certificate + state)',
    value: select,
    unit: 'bytes',
    limit: { name: 'one short R-APDU', value: Limits.selectResponseBytes },
    ratio: select / Limits.selectResponseBytes,
  });
  const receipt = parseResponseApdu(memory.process(purseApdus.pay(pay()))).data.length;
  rows.push({
    section: 'card',
    name: 'pay receipt (COSE_Sign1)',
    value: receipt,
    unit: 'bytes',
    limit: { name: 'one short R-APDU', value: Limits.receiptBytes },
    ratio: receipt / Limits.receiptBytes,
  });

  const t0 = performance.now();
  const campaign = runTearCampaign();
  rows.push({
    section: 'card',
    name: 'tear points covered (power cuts, reopened from disk)',
    value: campaign.tearPoints,
    unit: 'points',
    note: `${campaign.ioFailures} storage failures injected too; ${campaign.violations.length} violations; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  });
  return rows;
}
