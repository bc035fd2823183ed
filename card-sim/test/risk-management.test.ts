/**
 * Card-side risk management (brief "The card", docs/protocol.md PAY/LOAD/ISSUER COMMAND): per-payment maximum,
 * consecutive offline payments and offline amount since the last online contact; a LOAD or the issuer's
 * reset is the online contact that lifts the caps.
 */
import { IssuerAction, StatusWord, purseApdus } from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { loadCard, sendIssuerCommand } from '../src/index.js';
import { expectOk, issuer, newCard, payCommand, type TestCard } from './support/card-fixtures.js';

const online = {
  load: async (card: TestCard) =>
    expect((await loadCard((c) => card.applet.process(c), issuer.signer, { amount: 100 })).sw).toBe(StatusWord.Ok),
  reset: async (card: TestCard) =>
    expect(
      (
        await sendIssuerCommand((c) => card.applet.process(c), issuer.signer, {
          action: IssuerAction.ResetOfflineCounters,
        })
      ).sw,
    ).toBe(StatusWord.Ok),
};

describe('card-side risk management', () => {
  for (const [name, contact] of Object.entries(online)) {
    it(`refuses the payment after the consecutive offline cap (9F03) until an online contact (${name})`, async () => {
      const card = await newCard({ initialLoad: 100_000, limits: { maxOfflineCount: 3, maxOfflineAmount: 100_000 } });
      for (let i = 0; i < 3; i++) expectOk(card.send(purseApdus.pay(payCommand(10))));
      expect(card.send(purseApdus.pay(payCommand(10))).sw).toBe(StatusWord.OfflineCountExceeded);
      await contact(card);
      expectOk(card.send(purseApdus.select()));
      for (let i = 0; i < 3; i++) expectOk(card.send(purseApdus.pay(payCommand(10))));
      expect(card.send(purseApdus.pay(payCommand(10))).sw).toBe(StatusWord.OfflineCountExceeded);
    });

    it(`refuses payments beyond the offline amount cap (9F04) until an online contact (${name})`, async () => {
      const card = await newCard({ initialLoad: 100_000, limits: { maxOfflineCount: 100, maxOfflineAmount: 1_000 } });
      expectOk(card.send(purseApdus.pay(payCommand(600))));
      expect(card.send(purseApdus.pay(payCommand(401))).sw).toBe(StatusWord.OfflineAmountExceeded);
      expectOk(card.send(purseApdus.pay(payCommand(400))));
      expect(card.send(purseApdus.pay(payCommand(1))).sw).toBe(StatusWord.OfflineAmountExceeded);
      await contact(card);
      expectOk(card.send(purseApdus.select()));
      expectOk(card.send(purseApdus.pay(payCommand(1_000))));
    });
  }

  it('counts refused payments for nothing: only committed payments move the offline counters', async () => {
    const card = await newCard({ initialLoad: 1_000, limits: { maxPayment: 500, maxOfflineCount: 2 } });
    expect(card.send(purseApdus.pay(payCommand(501))).sw).toBe(StatusWord.AmountOverLimit);
    expect(card.send(purseApdus.pay(payCommand(100, { currency: 840 }))).sw).toBe(StatusWord.CurrencyMismatch);
    expect(card.applet.state).toMatchObject({ offlineCount: 0, offlineAmount: 0 });
    expectOk(card.send(purseApdus.pay(payCommand(500))));
    expectOk(card.send(purseApdus.pay(payCommand(500))));
    expect(card.applet.state).toMatchObject({ offlineCount: 2, offlineAmount: 1_000, balance: 0 });
  });

  it('does not lift the caps by lock/unlock or limit updates (not an online reset)', async () => {
    // The certificate allows 2 offline payments; the issuer lowered that to 1 (an update may not go above it).
    const card = await newCard({ initialLoad: 1_000, limits: { maxOfflineCount: 2 } });
    const lowered = { ...card.applet.state.limits, maxOfflineCount: 1 };
    expect(
      (
        await sendIssuerCommand((c) => card.applet.process(c), issuer.signer, {
          action: IssuerAction.UpdateLimits,
          limits: lowered,
        })
      ).sw,
    ).toBe(StatusWord.Ok);
    expectOk(card.send(purseApdus.select()));
    expectOk(card.send(purseApdus.pay(payCommand(10))));
    for (const action of [IssuerAction.Lock, IssuerAction.Unlock]) {
      expect((await sendIssuerCommand((c) => card.applet.process(c), issuer.signer, { action })).sw).toBe(
        StatusWord.Ok,
      );
    }
    expectOk(card.send(purseApdus.select()));
    expect(card.send(purseApdus.pay(payCommand(10))).sw).toBe(StatusWord.OfflineCountExceeded);
    const limits = { ...card.applet.state.limits, maxOfflineCount: 2 };
    expect(
      (
        await sendIssuerCommand((c) => card.applet.process(c), issuer.signer, {
          action: IssuerAction.UpdateLimits,
          limits,
        })
      ).sw,
    ).toBe(StatusWord.Ok);
    expectOk(card.send(purseApdus.select()));
    expect(card.applet.state.offlineCount).toBe(1);
    expectOk(card.send(purseApdus.pay(payCommand(10))));
  });
});
