/** docs/protocol.md "RECOVER" and "READ LOG": the receipt already signed for a nonce, and the 16-entry log. */
import { Limits, StatusWord, decodeCardReceipt, decodeCoseSign1, purseApdus } from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { LOG_CAPACITY } from '../src/index.js';
import { expectOk, freshNonce, hex, newCard, payCommand } from './support/card-fixtures.js';

const counterOf = (receipt: Uint8Array): number =>
  decodeCardReceipt(decodeCoseSign1(receipt, Limits.receiptBytes).payload).counter;

describe('RECOVER', () => {
  it('returns byte for byte the receipt signed for that nonce, without changing anything', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    const cmd = payCommand(300);
    const receipt = expectOk(card.send(purseApdus.pay(cmd)));
    expectOk(card.send(purseApdus.pay(payCommand(200))));
    const snapshot = hex(card.store.snapshot());
    expect(hex(expectOk(card.send(purseApdus.recover(cmd.nonce))))).toBe(hex(receipt));
    expect(hex(card.store.snapshot())).toBe(snapshot);
  });

  it('answers 6A88 for a nonce the card never signed', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    expectOk(card.send(purseApdus.pay(payCommand(300))));
    expect(card.send(purseApdus.recover(freshNonce())).sw).toBe(StatusWord.ReferencedDataNotFound);
  });

  it('answers 6A88 once the payment has left the 16-entry log', async () => {
    const card = await newCard({ initialLoad: 100_000, limits: { maxOfflineCount: 100 } });
    const first = payCommand(1);
    expectOk(card.send(purseApdus.pay(first)));
    for (let i = 0; i < LOG_CAPACITY - 1; i++) expectOk(card.send(purseApdus.pay(payCommand(1))));
    expect(card.send(purseApdus.recover(first.nonce)).sw).toBe(StatusWord.Ok);
    expectOk(card.send(purseApdus.pay(payCommand(1))));
    expect(card.send(purseApdus.recover(first.nonce)).sw).toBe(StatusWord.ReferencedDataNotFound);
  });
});

describe('READ LOG', () => {
  it('P1 = 1 is the newest receipt, pay and load receipts alike; past the end 6A83', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    const p1 = expectOk(card.send(purseApdus.pay(payCommand(10))));
    const p2 = expectOk(card.send(purseApdus.pay(payCommand(20))));
    expect(hex(expectOk(card.send(purseApdus.readLog(1))))).toBe(hex(p2));
    expect(hex(expectOk(card.send(purseApdus.readLog(2))))).toBe(hex(p1));
    const load = decodeCardReceipt(
      decodeCoseSign1(expectOk(card.send(purseApdus.readLog(3))), Limits.receiptBytes).payload,
    );
    expect(load).toMatchObject({ kind: 'load', counter: 1, amount: 10_000 });
    expect(card.send(purseApdus.readLog(4)).sw).toBe(StatusWord.RecordNotFound);
    expect(card.send(purseApdus.readLog(255)).sw).toBe(StatusWord.RecordNotFound);
  });

  it('keeps the 16 newest receipts', async () => {
    const card = await newCard({ initialLoad: 100_000, limits: { maxOfflineCount: 100 } });
    for (let i = 0; i < 20; i++) expectOk(card.send(purseApdus.pay(payCommand(1))));
    const counters = Array.from({ length: LOG_CAPACITY }, (_, i) =>
      counterOf(expectOk(card.send(purseApdus.readLog(i + 1)))),
    );
    expect(counters).toEqual(Array.from({ length: LOG_CAPACITY }, (_, i) => 21 - i));
    expect(card.send(purseApdus.readLog(LOG_CAPACITY + 1)).sw).toBe(StatusWord.RecordNotFound);
  });

  it('answers 6A86 to record 0', async () => {
    const card = await newCard({ initialLoad: 100 });
    expect(card.send(purseApdus.readLog(0)).sw).toBe(StatusWord.WrongP1P2);
  });

  it('answers 6A83 on a card that never moved value', async () => {
    const card = await newCard();
    expect(card.send(purseApdus.readLog(1)).sw).toBe(StatusWord.RecordNotFound);
  });
});
