/**
 * The in-process CardTransport: waiting for a card (timeout, abort), removal, sessions, and the pull-away
 * that lets the card commit a PAY while the terminal never sees the answer (then RECOVER gets it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Ins,
  StatusWord,
  TransportError,
  TransportErrorCode,
  nobleVerifier,
  parseResponseApdu,
  verifyPayReceipt,
  purseApdus,
} from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { FileCardStore, PurseApplet, SimulatedReader, StorageOp, powerLost } from '../src/index.js';
import { SIMULATOR_ATR } from '../src/readers/vpcd/index.js';
import { PAYEE, hex, newCard, payCommand } from './support/card-fixtures.js';

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe('SimulatedReader', () => {
  it('times out (TIMEOUT) and aborts (ABORTED) a wait without a card', async () => {
    const reader = new SimulatedReader();
    expect((await rejection(reader.waitForCard({ timeoutMs: 20 }))).code).toBe(TransportErrorCode.Timeout);
    const controller = new AbortController();
    const waiting = reader.waitForCard({ signal: controller.signal });
    controller.abort();
    expect((await rejection(waiting)).code).toBe(TransportErrorCode.Aborted);
    expect((await rejection(reader.waitForCard({ signal: AbortSignal.abort() }))).code).toBe(
      TransportErrorCode.Aborted,
    );
  });

  it('resolves a wait when a card is inserted, with its ATR, and the card answers', async () => {
    const card = await newCard();
    const reader = new SimulatedReader();
    const waiting = reader.waitForCard({ timeoutMs: 1000 });
    reader.insert(card.applet);
    const connection = await waiting;
    expect(hex(connection.atr)).toBe(hex(SIMULATOR_ATR));
    expect(parseResponseApdu(await connection.transmit(purseApdus.select())).sw).toBe(StatusWord.Ok);
  });

  it('rejects CARD_REMOVED once the card left, and the card lost its selection', async () => {
    const card = await newCard();
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const connection = await reader.waitForCard();
    await connection.transmit(purseApdus.select());
    reader.remove();
    expect(reader.cardPresent).toBe(false);
    expect((await rejection(connection.transmit(purseApdus.getState()))).code).toBe(TransportErrorCode.CardRemoved);
    reader.insert(card.applet);
    // Same card, new presence: the old session stays dead, a new one needs SELECT again.
    expect((await rejection(connection.transmit(purseApdus.getState()))).code).toBe(TransportErrorCode.CardRemoved);
    const again = await reader.waitForCard();
    expect(parseResponseApdu(await again.transmit(purseApdus.getState())).sw).toBe(StatusWord.ConditionsNotSatisfied);
  });

  it('pull-away: the card commits the PAY, the terminal gets CARD_REMOVED, RECOVER returns the receipt', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const connection = await reader.waitForCard();
    await connection.transmit(purseApdus.select());
    const torn = reader.pullAwayAfter((command) => command[1] === Ins.Pay);
    const cmd = payCommand(700);
    expect((await rejection(connection.transmit(purseApdus.pay(cmd)))).code).toBe(TransportErrorCode.CardRemoved);
    const exchange = await torn;
    expect(parseResponseApdu(exchange.response).sw).toBe(StatusWord.Ok);
    expect(card.applet.state.balance).toBe(9_300);
    reader.insert(card.applet);
    const next = await reader.waitForCard();
    await next.transmit(purseApdus.select());
    const recovered = parseResponseApdu(await next.transmit(purseApdus.recover(cmd.nonce)));
    expect(recovered.sw).toBe(StatusWord.Ok);
    expect(hex(recovered.data)).toBe(hex(parseResponseApdu(exchange.response).data));
    expect(
      verifyPayReceipt(
        recovered.data,
        card.cert,
        { amount: 700, currency: 344, nonce: cmd.nonce, payee: PAYEE },
        nobleVerifier,
      ).ok,
    ).toBe(true);
  });

  it('ends a superseded or disconnected session (CLOSED) and rejects short commands (TRANSMIT_FAILED)', async () => {
    const card = await newCard();
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const first = await reader.waitForCard();
    const second = await reader.waitForCard();
    expect((await rejection(first.transmit(purseApdus.select()))).code).toBe(TransportErrorCode.Closed);
    expect((await rejection(second.transmit(Uint8Array.of(0x80, 0x5c)))).code).toBe(TransportErrorCode.TransmitFailed);
    await second.disconnect();
    expect((await rejection(second.transmit(purseApdus.select()))).code).toBe(TransportErrorCode.Closed);
  });

  it('close() ends pending waits and armed pull-aways with CLOSED', async () => {
    const reader = new SimulatedReader();
    const waiting = reader.waitForCard();
    const armed = reader.pullAwayAfter();
    await reader.close();
    expect((await rejection(waiting)).code).toBe(TransportErrorCode.Closed);
    expect((await rejection(armed)).code).toBe(TransportErrorCode.Closed);
    expect((await rejection(reader.waitForCard())).code).toBe(TransportErrorCode.Closed);
  });

  for (const [where, committed] of [
    ['before the first write', false],
    ['after the fsync', true],
  ] as const) {
    it(`a power cut inside the card ${where} is CARD_REMOVED; reinserted, the card boots from its file`, async () => {
      const card = await newCard({ initialLoad: 10_000 });
      const dir = mkdtempSync(join(tmpdir(), 'ehkd-reader-'));
      let cut = false;
      FileCardStore.create(join(dir, 'a.card'), card.applet.state).close();
      const store = FileCardStore.open(join(dir, 'a.card'), {
        onStep: (step) => {
          const at = committed
            ? step.op === StorageOp.Fsync && step.phase === 'after'
            : step.index === 0 && step.phase === 'before';
          if (cut && at) throw powerLost();
        },
      });
      const applet = new PurseApplet(store);
      const reader = new SimulatedReader();
      reader.insert(applet);
      const connection = await reader.waitForCard();
      await connection.transmit(purseApdus.select());
      cut = true;
      const cmd = payCommand(100);
      expect((await rejection(connection.transmit(purseApdus.pay(cmd)))).code).toBe(TransportErrorCode.CardRemoved);
      expect(reader.cardPresent).toBe(false);
      cut = false;
      reader.insert(applet);
      const next = await reader.waitForCard();
      await next.transmit(purseApdus.select());
      const recovered = parseResponseApdu(await next.transmit(purseApdus.recover(cmd.nonce)));
      expect(recovered.sw).toBe(committed ? StatusWord.Ok : StatusWord.ReferencedDataNotFound);
      expect(applet.state.balance).toBe(committed ? 9_900 : 10_000);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    });
  }
});
