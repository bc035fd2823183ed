/**
 * Online top-ups at a load point (protocol 7.1, load flow), against a real ledger, with the card leaving while LOAD
 * is in flight: the terminal asks for the card back and reads its log to tell "loaded" from "not loaded" (step 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ins, toHex } from '@ehkd/core';
import { SimulatedReader, powerLost, type SoftCard } from '@ehkd/card-sim';
import { ForwardingCard } from '@ehkd/card-sim/vpcd';
import { TerminalErrorCode, type Terminal } from '../src/index.js';
import { ROOMY_CARD_LIMITS, onlineTerminal, startLedger, type RunningLedger } from './fixtures/ledger-fixture.js';
import { softCard } from './fixtures/scheme-fixture.js';

let L: RunningLedger;
let shop: { terminal: Terminal; merchantId: Uint8Array };

beforeAll(async () => {
  L = await startLedger();
  shop = await onlineTerminal(L);
});
afterAll(async () => {
  shop.terminal.close();
  await L.close();
});

const isLoad = (command: Uint8Array): boolean => command[1] === Ins.Load;

async function freshCard(): Promise<SoftCard> {
  return softCard(0, { limits: ROOMY_CARD_LIMITS });
}

/** What the ledger knows of the card's loads: authorized, and confirmed by a recorded load receipt. */
async function ledgerLoads(card: SoftCard): Promise<{ authorized: number; loadsSold: number }> {
  const record = await L.store.card(card.cardId);
  const line = (await L.store.merchantSettlement()).find((m) => toHex(m.merchantId) === toHex(shop.merchantId));
  return { authorized: record?.authorized ?? 0, loadsSold: line?.loadAmount ?? 0 };
}

describe('an online top-up at a load point', () => {
  it('loads the card, hands its receipt to the ledger and is debited to the load point', async () => {
    const card = await freshCard();
    const before = await ledgerLoads(card);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const report = await shop.terminal.topUp(reader, 12_000, { timeoutMs: 2_000 });
    expect(report).toMatchObject({ amount: 12_000, balanceAfter: 12_000, counter: 1, resumed: false });
    expect(card.applet.state.balance).toBe(12_000);
    const after = await ledgerLoads(card);
    expect(after.authorized).toBe(12_000);
    expect(after.loadsSold - before.loadsSold).toBe(12_000);
  });

  it('reads the receipt back from the card when the card left after executing LOAD', async () => {
    const card = await freshCard();
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const torn = reader.pullAwayAfter(isLoad);
    void torn.then(() => setTimeout(() => reader.insert(card.applet), 50));
    const report = await shop.terminal.topUp(reader, 7_000, { timeoutMs: 2_000 });
    expect(report).toMatchObject({ amount: 7_000, balanceAfter: 7_000, resumed: true });
    expect(card.applet.state.balance).toBe(7_000);
    // The ledger got the receipt: loading the card again is not refused as unconfirmed, and the audit is clean.
    const again = await shop.terminal.topUp(reader, 1_000, { timeoutMs: 2_000 });
    expect(again).toMatchObject({ balanceAfter: 8_000, counter: 2, resumed: false });
  });

  it('says nothing was loaded when the card left before executing LOAD, and a new top-up then works', async () => {
    const card = await freshCard();
    const reader = new SimulatedReader();
    let cut = true;
    const lossy = new ForwardingCard(card.applet, (command, inner) => {
      if (cut && isLoad(command)) {
        cut = false;
        setTimeout(() => reader.insert(lossy), 50);
        throw powerLost();
      }
      return inner.process(command);
    });
    reader.insert(lossy);
    const refused = await shop.terminal.topUp(reader, 5_000, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: TerminalErrorCode.TopUpFailed });
    expect((refused as Error).message).toMatch(/did not execute the load/);
    expect(card.applet.state).toMatchObject({ balance: 0, counter: 0 });
    const report = await shop.terminal.topUp(reader, 5_000, { timeoutMs: 2_000 });
    expect(report).toMatchObject({ balanceAfter: 5_000, counter: 1, resumed: false });
  });

  it('is uncertain, and says so, when the card does not come back', async () => {
    const card = await freshCard();
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    void reader.pullAwayAfter(isLoad);
    const uncertain = await shop.terminal.topUp(reader, 3_000, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(uncertain).toMatchObject({ code: TerminalErrorCode.TopUpUncertain });
    // The card did execute it: once the card is back, its log holds the load receipt (the terminal's message says how to check).
    expect(card.applet.state.balance).toBe(3_000);
  });

  it('refuses to resolve the load on another card presented in its place', async () => {
    const card = await freshCard();
    const other = await softCard(1, { limits: ROOMY_CARD_LIMITS });
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    void reader.pullAwayAfter(isLoad).then(() => setTimeout(() => reader.insert(other.applet), 50));
    const refused = await shop.terminal.topUp(reader, 2_000, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: TerminalErrorCode.TopUpFailed });
    expect((refused as Error).message).toMatch(/the interrupted load was for card/);
  });
});
