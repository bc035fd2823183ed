import { afterEach, describe, expect, it } from 'vitest';
import { Ins, StatusWord, bytesEqual } from '@ehkd/core';
import { SimulatedReader, powerLost, type SoftCard } from '@ehkd/card-sim';
import { ForwardingCard, type VirtualCard } from '@ehkd/card-sim/vpcd';
import { CARD_LOG_RECORDS, IntentResolution, ReceiptState, type Terminal, type TapResult } from '../src/index.js';
import { CountingCard } from './fixtures/counting-card.js';
import { enrolledTerminal, softCard } from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';

const open: Terminal[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});
function terminalFor(n = 1): Terminal {
  const t = enrolledTerminal({ terminalNumber: n });
  open.push(t);
  return t;
}

/** A card whose PAY never arrives: the field drops before the card sees the command (power lost at its start). */
function payNeverArrives(card: SoftCard): VirtualCard {
  return new ForwardingCard(card.applet, (c, inner) => {
    if (c[1] === Ins.Pay) throw powerLost();
    return inner.process(c);
  });
}

function expectOutcome<O extends TapResult['outcome']>(r: TapResult, outcome: O): Extract<TapResult, { outcome: O }> {
  if (r.outcome !== outcome) throw new Error(`expected ${outcome}, got ${JSON.stringify(r)}`);
  return r as Extract<TapResult, { outcome: O }>;
}

describe('recovery after the card leaves the field', () => {
  // spec R10: a tap that recovers a payment sends no new PAY.
  it('after the card paid: the next tap of that card recovers the receipt with RECOVER and charges nothing more', async () => {
    const terminal = terminalFor();
    const card = await softCard(10_000);
    const counting = new CountingCard(card.applet);
    const reader = new SimulatedReader();
    reader.insert(counting);
    const torn = reader.pullAwayAfter((c) => c[1] === Ins.Pay);

    const first = expectOutcome(await terminal.charge(reader, 2_000), 'interrupted');
    expect(first).toMatchObject({ stage: 'pay', pending: true });
    expect(first.next).toBe(NextStep.TapSameCard);
    expect((await torn).response.slice(-2)).toEqual(Uint8Array.of(0x90, 0x00)); // the card did commit
    expect(card.applet.state.balance).toBe(8_000);
    expect(terminal.status().pendingTaps).toHaveLength(1);
    expect(terminal.receipts()).toEqual([]);

    counting.take();
    reader.insert(counting);
    const second = expectOutcome(await terminal.charge(reader, 2_000), 'recovered');
    expect(counting.exchanges.map((e) => e.ins)).toEqual([Ins.Select, Ins.Recover]);
    expect(second.payment).toMatchObject({ amount: 2_000, balanceAfter: 8_000, counter: 2 });
    expect(second.requestedAmount).toBe(2_000);
    expect(card.applet.state.balance).toBe(8_000); // charged once
    const receipts = terminal.receipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]?.state).toBe(ReceiptState.Queued);
    expect(bytesEqual(receipts[0]!.id, second.payment.receiptId)).toBe(true);
    expect(terminal.status().intents).toEqual({ pending: 0, completed: 1, voided: 0 });

    // A third tap is an ordinary new payment.
    expectOutcome(await terminal.charge(reader, 500), 'approved');
    expect(card.applet.state.balance).toBe(7_500);
  });

  it('when PAY never reached the card: RECOVER finds nothing (6A88), the intent is voided and the new payment proceeds', async () => {
    const terminal = terminalFor();
    const card = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(payNeverArrives(card));
    expectOutcome(await terminal.charge(reader, 1_500), 'interrupted');
    expect(card.applet.state.balance).toBe(10_000);
    expect(terminal.status().intents.pending).toBe(1);

    const counting = new CountingCard(card.applet);
    reader.insert(counting);
    const r = expectOutcome(await terminal.charge(reader, 1_500), 'approved');
    expect(counting.exchanges).toEqual([
      { ins: Ins.Select, sw: StatusWord.Ok },
      { ins: Ins.Recover, sw: StatusWord.ReferencedDataNotFound },
      { ins: Ins.Pay, sw: StatusWord.Ok },
    ]);
    expect(r.resolved).toMatchObject([{ amount: 1_500, resolution: IntentResolution.NotCommitted }]);
    expect(card.applet.state.balance).toBe(8_500);
    expect(terminal.status().intents).toEqual({ pending: 0, completed: 1, voided: 1 });
  });

  it('leaves the pending intent alone while other cards pay, and settles it when its card returns', async () => {
    const terminal = terminalFor();
    const alice = await softCard(10_000);
    const bob = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(alice.applet);
    void reader.pullAwayAfter((c) => c[1] === Ins.Pay);
    expectOutcome(await terminal.charge(reader, 700), 'interrupted');
    reader.insert(bob.applet);
    expectOutcome(await terminal.charge(reader, 300), 'approved');
    expect(terminal.status().intents.pending).toBe(1);
    reader.insert(alice.applet);
    expectOutcome(await terminal.charge(reader, 700), 'recovered');
    expect([alice.applet.state.balance, bob.applet.state.balance]).toEqual([9_300, 9_700]);
  });

  it('a card leaving during RECOVER keeps the intent pending for the next tap', async () => {
    const terminal = terminalFor();
    const card = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    void reader.pullAwayAfter((c) => c[1] === Ins.Pay);
    expectOutcome(await terminal.charge(reader, 900), 'interrupted');
    reader.insert(card.applet);
    void reader.pullAwayAfter((c) => c[1] === Ins.Recover);
    const r = expectOutcome(await terminal.charge(reader, 900), 'interrupted');
    expect(r).toMatchObject({ stage: 'recover', pending: true });
    expect(terminal.status().intents.pending).toBe(1);
    reader.insert(card.applet);
    expectOutcome(await terminal.charge(reader, 900), 'recovered');
    expect(card.applet.state.balance).toBe(9_100);
  });

  it('a card leaving right after SELECT leaves nothing pending', async () => {
    const terminal = terminalFor();
    const card = await softCard(10_000);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    void reader.pullAwayAfter((c) => c[1] === Ins.Select);
    expect(expectOutcome(await terminal.charge(reader, 900), 'interrupted')).toMatchObject({
      stage: 'select',
      pending: false,
    });
    expect(terminal.status().intents).toEqual({ pending: 0, completed: 0, voided: 0 });
  });

  it(`cannot tell any more once the card made more than ${CARD_LOG_RECORDS} operations elsewhere: voided as unresolvable`, async () => {
    const here = terminalFor(1);
    const elsewhere = terminalFor(2);
    const card = await softCard(100_000);
    const reader = new SimulatedReader();
    reader.insert(payNeverArrives(card));
    expectOutcome(await here.charge(reader, 100), 'interrupted');
    reader.insert(card.applet);
    for (let i = 0; i <= CARD_LOG_RECORDS; i++) expectOutcome(await elsewhere.charge(reader, 10), 'approved');
    const r = expectOutcome(await here.charge(reader, 100), 'approved');
    expect(r.resolved).toMatchObject([{ resolution: IntentResolution.Unresolvable }]);
  });
});
