/**
 * docs/protocol.md, PAY status 9F07 (NonceReused): the card has already signed a receipt for this nonce. A PAY that
 * reached the card twice (a reader or stack that repeats a command) must end with the payment recovered, never
 * voided: the card did pay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Ins, StatusWord, parseResponseApdu } from '@ehkd/core';
import { SimulatedReader } from '@ehkd/card-sim';
import { ForwardingCard } from '@ehkd/card-sim/vpcd';
import { IntentState, type Terminal } from '../src/index.js';
import { enrolledTerminal, softCard } from './fixtures/scheme-fixture.js';

const open: Terminal[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

describe('a PAY delivered to the card twice', () => {
  it('keeps the intent pending on 9F07 and recovers the payment at the next tap, charging once', async () => {
    const terminal = enrolledTerminal();
    open.push(terminal);
    const card = await softCard(10_000);
    let duplicate = true;
    const repeatsPay = new ForwardingCard(card.applet, async (c, inner) => {
      if (c[1] === Ins.Pay && duplicate) {
        duplicate = false;
        await inner.process(c); // the first delivery commits; its answer is lost
      }
      return inner.process(c);
    });
    const reader = new SimulatedReader();
    reader.insert(repeatsPay);

    const first = await terminal.charge(reader, 1_500);
    expect(first).toMatchObject({ outcome: 'interrupted', pending: true, sw: StatusWord.NonceReused });
    expect(terminal.status().intents[IntentState.Pending]).toBe(1);

    const second = await terminal.charge(reader, 1_500);
    expect(second).toMatchObject({ outcome: 'recovered', payment: { amount: 1_500, balanceAfter: 8_500 } });
    expect(card.applet.state.balance).toBe(8_500);
    expect(terminal.receipts()).toHaveLength(1);
    expect(terminal.status().intents[IntentState.Pending]).toBe(0);
    expect(parseResponseApdu(card.applet.process(Uint8Array.of(0x80, Ins.GetState, 0, 0, 0))).sw).toBe(StatusWord.Ok);
  });
});
