/**
 * docs/protocol.md "PAY": the happy path (receipt verified with core's verifyPayReceipt under the card certificate),
 * the hash chain and counter, every refusal status word in the rules' order, and state left unchanged.
 */
import {
  GENESIS_HASH,
  Limits,
  StatusWord,
  decodeCardReceipt,
  decodeCoseSign1,
  decodeSelectResponse,
  encodePayCommand,
  nobleVerifier,
  sha256,
  verifyCardReceipt,
  verifyPayReceipt,
  buildCommandApdu,
  Ins,
  IssuerAction,
  purseApdus,
} from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { MemoryCardStore, PurseApplet, encodePurseState, personalizeCard, sendIssuerCommand } from '../src/index.js';
import { PAYEE, expectOk, freshNonce, hex, issuer, newCard, payCommand } from './support/card-fixtures.js';

const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

describe('PAY', () => {
  it('debits, advances the counter, extends the chain and returns a receipt that verifies under the card certificate', async () => {
    const card = await newCard({ initialLoad: 100_000 });
    const before = card.applet.state;
    const cmd = payCommand(1_250);
    const r = card.send(purseApdus.pay(cmd));
    expect(r.sw).toBe(StatusWord.Ok);
    expect(r.data.length).toBeLessThanOrEqual(Limits.receiptBytes);
    const v = verifyPayReceipt(
      r.data,
      card.cert,
      { amount: 1_250, currency: cmd.currency, nonce: cmd.nonce, payee: PAYEE },
      nobleVerifier,
    );
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const p = v.value.payload;
    expect(p.counter).toBe(before.counter + 1);
    expect(p.balanceAfter).toBe(98_750);
    expect(p.time).toBe(cmd.time);
    expect(hex(p.prevHash)).toBe(hex(before.lastHash));
    const after = card.applet.state;
    expect(after).toMatchObject({
      balance: 98_750,
      counter: before.counter + 1,
      offlineCount: 1,
      offlineAmount: 1_250,
    });
    expect(hex(after.lastHash)).toBe(hex(v.value.id));
    expect(hex(after.log[0]!.receipt)).toBe(hex(r.data));
  });

  it('links every receipt to the previous one, from the genesis hash, with consecutive counters', async () => {
    const card = await newCard({ initialLoad: 100_000 });
    const receipts = [expectOk(card.send(purseApdus.readLog(1)))];
    for (let i = 0; i < 5; i++) receipts.push(expectOk(card.send(purseApdus.pay(payCommand(100 + i)))));
    let prev = GENESIS_HASH;
    receipts.forEach((bytes, i) => {
      const v = verifyCardReceipt(bytes, card.cert, nobleVerifier);
      expect(v.ok).toBe(true);
      if (!v.ok) return;
      expect(v.value.payload.counter).toBe(i + 1);
      expect(hex(v.value.payload.prevHash)).toBe(hex(prev));
      prev = sha256(decodeCoseSign1(bytes, Limits.receiptBytes).payload);
    });
    const state = decodeSelectResponse(expectOk(card.send(purseApdus.select()))).state;
    expect(state).toMatchObject({ counter: 6, balance: 100_000 - (100 + 101 + 102 + 103 + 104) });
  });

  it('signs like a secure element: S is not normalised, and high-S receipts verify', async () => {
    const card = await newCard({ initialLoad: 100_000, limits: { maxOfflineCount: 100 } });
    let highS = 0;
    for (let i = 0; i < 24; i++) {
      const cmd = payCommand(10);
      const bytes = expectOk(card.send(purseApdus.pay(cmd)));
      const s = BigInt(`0x${hex(decodeCoseSign1(bytes, Limits.receiptBytes).signature.subarray(32))}`);
      if (s > P256_N / 2n) highS++;
      expect(
        verifyPayReceipt(bytes, card.cert, { amount: 10, currency: 344, nonce: cmd.nonce, payee: PAYEE }, nobleVerifier)
          .ok,
      ).toBe(true);
    }
    expect(highS).toBeGreaterThan(0);
    expect(highS).toBeLessThan(24);
  });

  /** Each refusal, with the state unchanged (persisted bytes compared). */
  async function expectRefused(
    card: Awaited<ReturnType<typeof newCard>>,
    command: Uint8Array,
    sw: number,
  ): Promise<void> {
    const snapshot = card.store.snapshot();
    expect(card.send(command).sw.toString(16)).toBe(sw.toString(16));
    expect(hex(card.store.snapshot())).toBe(hex(snapshot));
  }

  it('answers 6A80 to data that is not a strictly encoded PayCommand', async () => {
    const card = await newCard({ initialLoad: 100_000 });
    const good = encodePayCommand(payCommand(100));
    const payWith = (data: Uint8Array): Uint8Array =>
      buildCommandApdu({ cla: 0x80, ins: Ins.Pay, p1: 0, p2: 0, data, ne: 256 });
    await expectRefused(card, payWith(good.subarray(0, good.length - 1)), StatusWord.WrongData); // truncated
    await expectRefused(card, payWith(Uint8Array.of(...good, 0x00)), StatusWord.WrongData); // trailing byte
    await expectRefused(card, payWith(Uint8Array.of(0xa0)), StatusWord.WrongData); // empty map
    const nonCanonical = Uint8Array.of(0xa5, 0x01, 0x19, 0x00, 0x64, ...good.subarray(3)); // amount 100 as 19 0064
    await expectRefused(card, payWith(nonCanonical), StatusWord.WrongData);
    await expectRefused(
      card,
      purseApdus.pay({ ...payCommand(100), currency: 344 }).fill(0x41, 5, 7),
      StatusWord.WrongData,
    );
  });

  it('answers 9F05 on a locked card, before any other purse check', async () => {
    const card = await newCard({ initialLoad: 100_000 });
    expect(
      (await sendIssuerCommand((c) => card.applet.process(c), issuer.signer, { action: IssuerAction.Lock, time: 1 }))
        .sw,
    ).toBe(StatusWord.Ok);
    expectOk(card.send(purseApdus.select()));
    await expectRefused(card, purseApdus.pay(payCommand(999_999, { currency: 840 })), StatusWord.CardLocked);
  });

  it('answers 9F06 to another currency, 9F07 to a nonce already used, then the limits in order', async () => {
    const card = await newCard({
      initialLoad: 20_000,
      limits: { maxPayment: 5_000, maxOfflineCount: 3, maxOfflineAmount: 12_000 },
    });
    await expectRefused(card, purseApdus.pay(payCommand(100, { currency: 840 })), StatusWord.CurrencyMismatch);
    const used = payCommand(100);
    expectOk(card.send(purseApdus.pay(used)));
    // Reuse with any amount: the nonce check comes before the amount checks.
    await expectRefused(card, purseApdus.pay({ ...used, amount: 9_999_999 }), StatusWord.NonceReused);
    await expectRefused(card, purseApdus.pay(payCommand(5_001)), StatusWord.AmountOverLimit);
    expectOk(card.send(purseApdus.pay(payCommand(5_000))));
    expectOk(card.send(purseApdus.pay(payCommand(5_000))));
    // offlineCount 3 = max: the count check comes before the amount cap and the balance.
    await expectRefused(card, purseApdus.pay(payCommand(5_000)), StatusWord.OfflineCountExceeded);
  });

  it('answers 9F04 past the offline amount cap and 9F01 past the balance', async () => {
    const card = await newCard({
      initialLoad: 3_000,
      limits: { maxPayment: 5_000, maxOfflineCount: 10, maxOfflineAmount: 4_000 },
    });
    expectOk(card.send(purseApdus.pay(payCommand(1_000))));
    await expectRefused(card, purseApdus.pay(payCommand(3_001)), StatusWord.OfflineAmountExceeded);
    await expectRefused(card, purseApdus.pay(payCommand(2_001)), StatusWord.InsufficientFunds);
    expectOk(card.send(purseApdus.pay(payCommand(2_000))));
    expect(card.applet.state.balance).toBe(0);
    await expectRefused(card, purseApdus.pay(payCommand(1)), StatusWord.InsufficientFunds);
  });

  it('answers 6985 when the counter is exhausted', async () => {
    const { state } = personalizeCard({ issuer, seed: new Uint8Array(32).fill(9) });
    const store = new MemoryCardStore({ ...state, balance: 10_000, counter: Limits.maxCounter });
    const applet = new PurseApplet(store);
    applet.process(purseApdus.select());
    const snapshot = hex(store.snapshot());
    const r = applet.process(purseApdus.pay(payCommand(100)));
    expect(hex(r)).toBe('6985');
    expect(hex(store.snapshot())).toBe(snapshot);
    expect(hex(encodePurseState(applet.state))).toBe(snapshot);
  });

  it('keeps the payment terminal time and payee exactly as sent', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    const payee = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const nonce = freshNonce();
    const bytes = expectOk(card.send(purseApdus.pay({ amount: 1, currency: 344, payee, nonce, time: Limits.maxTime })));
    const receipt = decodeCardReceipt(decodeCoseSign1(bytes, Limits.receiptBytes).payload);
    expect(receipt).toMatchObject({ kind: 'pay', time: Limits.maxTime });
    if (receipt.kind === 'pay') expect(hex(receipt.payee)).toBe(hex(payee));
  });
});
