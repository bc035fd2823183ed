import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckId, EvidenceKind, Ins, bytesEqual, nobleVerifier, toHex, verifyDoubleSpendEvidence } from '@ehkd/core';
import { FileCardStore, PurseApplet, SimulatedReader } from '@ehkd/card-sim';
import { CardIncidentKind, EvidenceState, ReceiptState, type TapResult, type Terminal } from '../src/index.js';
import { CountingCard } from './fixtures/counting-card.js';
import {
  ROOMY_CARD_LIMITS,
  credited,
  loadViaLedger,
  onlineTerminal,
  startLedger,
  type RunningLedger,
} from './fixtures/ledger-fixture.js';
import { scheme, softCard, tempDir } from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';

let L: RunningLedger;
const terminals: Terminal[] = [];
beforeAll(async () => {
  L = await startLedger();
});
afterAll(async () => {
  for (const t of terminals) t.close();
  await L.close();
});

async function shop(): Promise<{ terminal: Terminal; merchantId: Uint8Array }> {
  const t = await onlineTerminal(L);
  terminals.push(t.terminal);
  return t;
}

/** A card file loaded through the ledger (so the ledger knows its loads), closed: open it with `openCard`. */
async function cardFile(balance: number): Promise<string> {
  const file = join(tempDir(), 'card.card');
  const card = await softCard(0, { limits: ROOMY_CARD_LIMITS, file });
  await loadViaLedger(L, card.applet, balance);
  card.store.close();
  return file;
}

/** The card in `file` as a fresh applet (a card inserted anew), counting its exchanges. */
function openCard(file: string): { applet: PurseApplet; counting: CountingCard; close: () => void } {
  const store = FileCardStore.open(file);
  const applet = new PurseApplet(store);
  return { applet, counting: new CountingCard(applet), close: () => store.close() };
}

async function tap(
  terminal: Terminal,
  file: string,
  amount: number,
): Promise<{ result: TapResult; ins: number[]; counter: number }> {
  const card = openCard(file);
  try {
    const reader = new SimulatedReader();
    reader.insert(card.counting);
    const result = await terminal.charge(reader, amount);
    return { result, ins: card.counting.exchanges.map((e) => e.ins), counter: card.applet.state.counter };
  } finally {
    card.close();
  }
}

describe('a card whose counter went back below a receipt the terminal holds', () => {
  it('the same honest card again: two exchanges, its receipt links to the one held, so it pays', async () => {
    const { terminal } = await shop();
    const file = await cardFile(10_000);
    const first = await tap(terminal, file, 500);
    expect(first.result.outcome).toBe('approved');
    expect(first.ins).toEqual([Ins.Select, Ins.Pay]); // nothing held from this card yet: two exchanges
    const second = await tap(terminal, file, 700);
    expect(second.result.outcome).toBe('approved');
    expect(second.ins).toEqual([Ins.Select, Ins.Pay]);
    expect(terminal.status().incidents).toEqual([]);
  });

  it('a card file restored from an old copy is declined before PAY, on its counter alone', async () => {
    const { terminal } = await shop();
    const file = await cardFile(10_000);
    const copy = `${file}.copy`;
    copyFileSync(file, copy); // counter 1 (the load)
    expect((await tap(terminal, file, 1_000)).result.outcome).toBe('approved'); // counter 2
    const atTwo = `${file}.copy2`;
    copyFileSync(file, atTwo);
    expect((await tap(terminal, file, 2_000)).result.outcome).toBe('approved'); // counter 3

    // Restored to counter 1: no receipt of counter 1 is held here, so the card is declined on its counter alone.
    copyFileSync(copy, file);
    const older = await tap(terminal, file, 3_000);
    expect(older.result).toMatchObject({
      outcome: 'declined',
      check: CheckId.Counter,
      next: NextStep.OtherPaymentMethod,
    });
    expect(older.ins).toEqual([Ins.Select]);
    expect(older.counter).toBe(1); // no PAY: the card signed nothing

    // Restored to counter 2, one receipt behind what is held here: declined as well, still without PAY.
    copyFileSync(atTwo, file);
    const behind = await tap(terminal, file, 3_000);
    expect(behind.result).toMatchObject({ outcome: 'declined', check: CheckId.Counter });
    expect(behind.ins).toEqual([Ins.Select]);
    expect(behind.counter).toBe(2);

    const incidents = terminal.status().incidents;
    expect(incidents.map((i) => [i.kind, i.counterSeen, i.heldCounter, i.evidenceState])).toEqual([
      [CardIncidentKind.Rollback, 2, 3, undefined],
      [CardIncidentKind.Rollback, 1, 3, undefined],
    ]);
    expect(terminal.receipts()).toHaveLength(2);
  });

  it('an interrupted tap is recovered with RECOVER first; the card restored afterwards is then declined', async () => {
    const { terminal } = await shop();
    const file = await cardFile(10_000);
    expect((await tap(terminal, file, 1_000)).result.outcome).toBe('approved'); // counter 2, held
    const copy = `${file}.copy`;
    copyFileSync(file, copy);

    const card = openCard(file);
    const reader = new SimulatedReader();
    reader.insert(card.counting);
    const torn = reader.pullAwayAfter((c) => c[1] === Ins.Pay);
    expect((await terminal.charge(reader, 2_000)).outcome).toBe('interrupted');
    await torn;
    card.close();

    const recovered = await tap(terminal, file, 2_000);
    expect(recovered.result).toMatchObject({ outcome: 'recovered', payment: { counter: 3, amount: 2_000 } });
    expect(recovered.ins).toEqual([Ins.Select, Ins.Recover]);

    copyFileSync(copy, file);
    const restored = await tap(terminal, file, 500);
    expect(restored.result).toMatchObject({ outcome: 'declined', check: CheckId.Counter });
    expect(restored.counter).toBe(2);
  });

  it('a copy that paid elsewhere at the same counter: its next receipt forks from the one held, so it is declined and the two become evidence; the ledger revokes the card at sync', async () => {
    const a = await shop();
    const b = await shop();
    const file = await cardFile(20_000);
    const cloneFile = `${file}.clone`;
    copyFileSync(file, cloneFile);
    expect((await tap(a.terminal, file, 4_000)).result.outcome).toBe('approved'); // counter 2 at A
    expect((await tap(b.terminal, cloneFile, 6_000)).result.outcome).toBe('approved'); // counter 2 again, at B

    // The clone at A shows the counter A holds a receipt at; its PAY receipt 3 links to its own receipt 2, not A's.
    const caught = await tap(a.terminal, cloneFile, 100);
    expect(caught.result).toMatchObject({
      outcome: 'declined',
      check: CheckId.Counter,
      reason: expect.stringMatching(/another chain/),
    });
    expect(caught.ins).toEqual([Ins.Select, Ins.Pay]);
    expect(a.terminal.receipts()).toHaveLength(1); // the forked receipt is evidence, not a payment taken
    // Tapped again: the terminal holds proof against the card and takes nothing from it, before PAY.
    const again = await tap(a.terminal, cloneFile, 100);
    expect(again.result).toMatchObject({ outcome: 'declined', check: CheckId.Counter });
    expect(again.ins).toEqual([Ins.Select]);
    const [incident, ...others] = a.terminal.status().incidents;
    expect(others).toEqual([]);
    expect(incident).toMatchObject({
      kind: CardIncidentKind.ChainFork,
      counterSeen: 2,
      heldCounter: 2,
      evidenceState: EvidenceState.Pending,
    });
    const proof = verifyDoubleSpendEvidence(incident!.evidence!, scheme.root.certificate, nobleVerifier);
    expect(proof).toMatchObject({ ok: true, value: { kind: EvidenceKind.ChainFork, counters: [2, 3] } });

    // A's sync uploads its receipt, then delivers the evidence: the case opens, the card is revoked, and the deny
    // list fetched right after already names it.
    const synced = await a.terminal.sync();
    expect(synced.totals.accepted).toBe(1);
    expect(synced.evidence).toEqual({ delivered: 1, refused: 0, held: 0 });
    expect(synced.denyList).toMatchObject({ updated: true, entries: 1 });
    const cardId = a.terminal.receipts()[0]!.cardId;
    const cases = await L.store.fraudCases();
    const reported = cases.find((c) => bytesEqual(c.cardId, cardId));
    expect(reported).toMatchObject({ kind: EvidenceKind.ChainFork, counters: [2, 3], batchId: null, flaggedCount: 0 });
    expect(bytesEqual(reported!.evidence!, incident!.evidence!)).toBe(true);
    expect((await L.store.card(cardId))?.revokedAt).not.toBeNull();
    expect(a.terminal.status().incidents[0]).toMatchObject({
      evidenceState: EvidenceState.Delivered,
      evidenceAnswer: expect.stringContaining(`"caseId":${reported!.caseId}`),
    });
    expect((await a.terminal.sync()).evidence).toEqual({ delivered: 0, refused: 0, held: 0 }); // never re-sent

    // Nothing was credited from the evidence: A's payment by its upload, B's clone payment flagged at B's upload.
    expect(await credited(L, a.merchantId)).toEqual({ count: 1, amount: 4_000 });
    expect((await b.terminal.sync()).totals.doubleSpend).toBe(1);
    expect(b.terminal.receipts()[0]?.state).toBe(ReceiptState.DoubleSpend);
    expect(await credited(L, b.merchantId)).toEqual({ count: 0, amount: 0 });
    expect(toHex(cardId)).toBe(toHex(caught.result.cardId!));
  });
});
