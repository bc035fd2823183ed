/** docs/protocol.md "SELECT" and "GET STATE": the card certificate and public state in one short response. */
import {
  Limits,
  Role,
  StatusWord,
  TrustStore,
  decodeCardState,
  decodeSelectResponse,
  nobleVerifier,
  purseApdus,
} from '@ehkd/core';
import { describe, expect, it } from 'vitest';

import { expectOk, hex, newCard, payCommand, scheme } from './support/card-fixtures.js';

describe('SELECT and GET STATE', () => {
  it('SELECT answers the card certificate, which chains to the root, and the public state', async () => {
    const card = await newCard({ initialLoad: 50_000 });
    expectOk(card.send(purseApdus.pay(payCommand(1_000))));
    const data = expectOk(card.send(purseApdus.select()));
    expect(data.length).toBeLessThanOrEqual(Limits.selectResponseBytes);
    const r = decodeSelectResponse(data);
    expect(hex(r.certificate)).toBe(hex(card.applet.state.certificate));
    expect(r.state).toEqual({
      balance: 49_000,
      counter: 2,
      flags: 0,
      offlineCount: 1,
      offlineAmount: 1_000,
      limits: card.applet.state.limits,
    });
    const trust = TrustStore.create(scheme.root.certificate, [scheme.issuer.certificate], nobleVerifier);
    expect(trust.ok).toBe(true);
    if (trust.ok) expect(trust.value.verifyLeaf(r.certificate, Role.Card, nobleVerifier, 1_800_000_000).ok).toBe(true);
  });

  it('GET STATE answers the same public state as SELECT', async () => {
    const card = await newCard({ initialLoad: 7_000 });
    const selected = decodeSelectResponse(expectOk(card.send(purseApdus.select()))).state;
    expect(decodeCardState(expectOk(card.send(purseApdus.getState())))).toEqual(selected);
  });

  it('SELECT needs no prior selection and works again after power cycles', async () => {
    const card = await newCard();
    card.applet.powerOff();
    card.applet.powerOn();
    expect(card.send(purseApdus.select()).sw).toBe(StatusWord.Ok);
    expect(card.send(purseApdus.select()).sw).toBe(StatusWord.Ok);
  });
});
