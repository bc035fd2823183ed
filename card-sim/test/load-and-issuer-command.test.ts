/**
 * docs/protocol.md "GET CHALLENGE", "LOAD" and "ISSUER COMMAND": single-use challenges, issuer signatures,
 * binding to card and challenge, and every refusal with the state unchanged.
 */
import {
  CardStatusFlag,
  CodecError,
  Currency,
  IssuerAction,
  Limits,
  StatusWord,
  decodeCardChallenge,
  decodeCardState,
  decodeCoseSign1,
  encodeIssuerCommand,
  encodeLoadAuthorization,
  nobleVerifier,
  sha256,
  signCoseSign1,
  verifyCardReceipt,
  type CardChallenge,
  type IssuerCommand,
  type LoadAuthorization,
  type Signer,
  purseApdus,
} from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { MemoryCardStore, PurseApplet, personalizeCard } from '../src/index.js';
import { expectOk, hex, issuer, newCard, payCommand, rogueScheme, type TestCard } from './support/card-fixtures.js';

function challengeOf(card: TestCard): CardChallenge {
  return decodeCardChallenge(expectOk(card.send(purseApdus.getChallenge())));
}

function load(signer: Signer, c: CardChallenge, overrides: Partial<LoadAuthorization> = {}): Uint8Array {
  return signCoseSign1(
    signer,
    encodeLoadAuthorization({
      cardId: c.cardId,
      challenge: c.challenge,
      counter: c.counter,
      amount: 5_000,
      currency: Currency.HKD,
      loadId: new Uint8Array(16).fill(3),
      time: 1_800_000_000,
      ...overrides,
    }),
  );
}

function command(signer: Signer, c: CardChallenge, overrides: Partial<IssuerCommand> = {}): Uint8Array {
  return signCoseSign1(
    signer,
    encodeIssuerCommand({
      cardId: c.cardId,
      challenge: c.challenge,
      action: IssuerAction.Lock,
      time: 1_800_000_000,
      ...overrides,
    }),
  );
}

function expectRefused(card: TestCard, apdu: Uint8Array, sw: number): void {
  const snapshot = hex(card.store.snapshot());
  expect(card.send(apdu).sw.toString(16)).toBe(sw.toString(16));
  expect(hex(card.store.snapshot())).toBe(snapshot);
}

describe('GET CHALLENGE', () => {
  it('answers 16 fresh random bytes with the card id and counter', async () => {
    const card = await newCard({ initialLoad: 1_000 });
    const a = challengeOf(card);
    const b = challengeOf(card);
    expect(a.challenge.length).toBe(16);
    expect(hex(a.challenge)).not.toBe(hex(b.challenge));
    expect(hex(a.cardId)).toBe(hex(card.applet.state.cardId));
    expect(a.counter).toBe(1);
  });
});

describe('LOAD', () => {
  it('credits, advances the counter, resets the offline counters and returns a verifiable load receipt', async () => {
    const card = await newCard({ initialLoad: 10_000 });
    expectOk(card.send(purseApdus.pay(payCommand(2_500))));
    const before = card.applet.state;
    const authorization = load(issuer.signer, challengeOf(card));
    const receipt = expectOk(card.send(purseApdus.load(authorization)));
    const v = verifyCardReceipt(receipt, card.cert, nobleVerifier);
    expect(v.ok).toBe(true);
    if (!v.ok || v.value.payload.kind !== 'load') throw new Error('not a load receipt');
    const p = v.value.payload;
    expect(p).toMatchObject({ counter: before.counter + 1, amount: 5_000, balanceAfter: 12_500 });
    expect(hex(p.authorizationId)).toBe(hex(sha256(decodeCoseSign1(authorization, Limits.issuerMessageBytes).payload)));
    expect(hex(p.prevHash)).toBe(hex(before.lastHash));
    expect(card.applet.state).toMatchObject({ balance: 12_500, counter: 3, offlineCount: 0, offlineAmount: 0 });
    expect(hex(card.applet.state.lastHash)).toBe(hex(v.value.id));
  });

  it('answers 6985 without a pending challenge, and each challenge serves one LOAD only', async () => {
    const card = await newCard();
    expectRefused(card, purseApdus.load(new Uint8Array(100)), StatusWord.ConditionsNotSatisfied);
    const c = challengeOf(card);
    const authorization = load(issuer.signer, c);
    expectOk(card.send(purseApdus.load(authorization)));
    // Replayed as is: the challenge is gone.
    expectRefused(card, purseApdus.load(authorization), StatusWord.ConditionsNotSatisfied);
    // Replayed after a new challenge: bound to the old one.
    challengeOf(card);
    expectRefused(card, purseApdus.load(authorization), StatusWord.SecurityStatusNotSatisfied);
  });

  it('consumes the challenge even when the LOAD fails', async () => {
    const card = await newCard();
    const c = challengeOf(card);
    expectRefused(card, purseApdus.load(load(rogueScheme.issuer.signer, c)), StatusWord.SecurityStatusNotSatisfied);
    expectRefused(card, purseApdus.load(load(issuer.signer, c)), StatusWord.ConditionsNotSatisfied);
  });

  it('loses the challenge on SELECT', async () => {
    const card = await newCard();
    const c = challengeOf(card);
    expectOk(card.send(purseApdus.select()));
    expectRefused(card, purseApdus.load(load(issuer.signer, c)), StatusWord.ConditionsNotSatisfied);
  });

  it('answers 6A80 to bytes that are not an issuer COSE_Sign1 with a LoadAuthorization payload', async () => {
    const card = await newCard();
    challengeOf(card);
    expectRefused(card, purseApdus.load(new Uint8Array(100).fill(0xd2)), StatusWord.WrongData);
    const c = challengeOf(card);
    // A validly signed issuer command is not a load authorization (message type differs).
    expectRefused(card, purseApdus.load(command(issuer.signer, c)), StatusWord.WrongData);
  });

  it('answers 6982 to another key, another card or another challenge', async () => {
    const card = await newCard();
    expectRefused(
      card,
      purseApdus.load(load(rogueScheme.issuer.signer, challengeOf(card))),
      StatusWord.SecurityStatusNotSatisfied,
    );
    expectRefused(
      card,
      purseApdus.load(load(issuer.signer, challengeOf(card), { cardId: new Uint8Array(8) })),
      StatusWord.SecurityStatusNotSatisfied,
    );
    expectRefused(
      card,
      purseApdus.load(load(issuer.signer, challengeOf(card), { challenge: new Uint8Array(16) })),
      StatusWord.SecurityStatusNotSatisfied,
    );
    const tampered = load(issuer.signer, challengeOf(card));
    tampered[tampered.length - 1]! ^= 1;
    expectRefused(card, purseApdus.load(tampered), StatusWord.SecurityStatusNotSatisfied);
  });

  it('answers 9F05 locked, 9F06 currency, 9F08 over the maximum balance', async () => {
    const card = await newCard({ limits: { maxBalance: 10_000 } });
    expectRefused(
      card,
      purseApdus.load(load(issuer.signer, challengeOf(card), { currency: 840 })),
      StatusWord.CurrencyMismatch,
    );
    expectRefused(
      card,
      purseApdus.load(load(issuer.signer, challengeOf(card), { amount: 10_001 })),
      StatusWord.BalanceLimitExceeded,
    );
    expectOk(card.send(purseApdus.load(load(issuer.signer, challengeOf(card), { amount: 10_000 }))));
    expectRefused(
      card,
      purseApdus.load(load(issuer.signer, challengeOf(card), { amount: 1 })),
      StatusWord.BalanceLimitExceeded,
    );
    expectOk(card.send(purseApdus.issuerCommand(command(issuer.signer, challengeOf(card)))));
    expectRefused(
      card,
      purseApdus.load(load(issuer.signer, challengeOf(card), { currency: 840 })),
      StatusWord.CardLocked,
    );
  });

  it('executes no load once the counter is exhausted: no authorization can bind that counter', async () => {
    const { state } = personalizeCard({ issuer, seed: new Uint8Array(32).fill(8) });
    const store = new MemoryCardStore({ ...state, counter: Limits.maxCounter });
    const applet = new PurseApplet(store);
    applet.process(purseApdus.select());
    const c = decodeCardChallenge(applet.process(purseApdus.getChallenge()).subarray(0, -2));
    expect(() => load(issuer.signer, c)).toThrow(CodecError);
    expect(hex(applet.process(purseApdus.load(load(issuer.signer, c, { counter: Limits.maxCounter - 1 }))))).toBe(
      '6982',
    );
    expect(applet.state.counter).toBe(Limits.maxCounter);
  });

  it('refuses an authorization bound to another counter than its own (6982), whatever the challenge', async () => {
    const card = await newCard({ initialLoad: 1_000 });
    expectOk(card.send(purseApdus.select()));
    for (const counter of [0, 2, 1_000]) {
      const c = challengeOf(card);
      expectRefused(card, purseApdus.load(load(issuer.signer, c, { counter })), StatusWord.SecurityStatusNotSatisfied);
    }
    const c = challengeOf(card);
    expect(card.send(purseApdus.load(load(issuer.signer, c))).sw).toBe(StatusWord.Ok);
  });
});

describe('ISSUER COMMAND', () => {
  const stateOf = (data: Uint8Array) => decodeCardState(data);

  it('locks and unlocks the card without moving the counter', async () => {
    const card = await newCard({ initialLoad: 5_000 });
    const locked = stateOf(expectOk(card.send(purseApdus.issuerCommand(command(issuer.signer, challengeOf(card))))));
    expect(locked.flags & CardStatusFlag.Locked).toBe(CardStatusFlag.Locked);
    expect(locked.counter).toBe(1);
    expect(card.send(purseApdus.pay(payCommand(100))).sw).toBe(StatusWord.CardLocked);
    const unlocked = stateOf(
      expectOk(
        card.send(purseApdus.issuerCommand(command(issuer.signer, challengeOf(card), { action: IssuerAction.Unlock }))),
      ),
    );
    expect(unlocked.flags).toBe(0);
    expect(card.send(purseApdus.pay(payCommand(100))).sw).toBe(StatusWord.Ok);
  });

  it('resets the offline risk counters', async () => {
    const card = await newCard({ initialLoad: 5_000 });
    expectOk(card.send(purseApdus.pay(payCommand(100))));
    const s = stateOf(
      expectOk(
        card.send(
          purseApdus.issuerCommand(
            command(issuer.signer, challengeOf(card), { action: IssuerAction.ResetOfflineCounters }),
          ),
        ),
      ),
    );
    expect(s).toMatchObject({ offlineCount: 0, offlineAmount: 0, counter: 2, balance: 4_900 });
  });

  it('updates the limits in force', async () => {
    const card = await newCard({ initialLoad: 5_000 });
    const limits = { maxBalance: 9_000, maxPayment: 50, maxOfflineCount: 2, maxOfflineAmount: 80 };
    const s = stateOf(
      expectOk(
        card.send(
          purseApdus.issuerCommand(
            command(issuer.signer, challengeOf(card), { action: IssuerAction.UpdateLimits, limits }),
          ),
        ),
      ),
    );
    expect(s.limits).toEqual(limits);
    expect(stateOf(expectOk(card.send(purseApdus.getState()))).limits).toEqual(limits);
    expect(card.send(purseApdus.pay(payCommand(51))).sw).toBe(StatusWord.AmountOverLimit);
  });

  it("refuses limits above the certificate's (6A80): the ledger checks receipts and loads against the certificate", async () => {
    const card = await newCard({ initialLoad: 5_000 });
    const certified = card.applet.state.limits;
    for (const raise of [
      { maxBalance: certified.maxBalance + 1 },
      { maxPayment: certified.maxPayment + 1 },
      { maxOfflineCount: certified.maxOfflineCount + 1 },
      { maxOfflineAmount: certified.maxOfflineAmount + 1 },
    ]) {
      expectRefused(
        card,
        purseApdus.issuerCommand(
          command(issuer.signer, challengeOf(card), {
            action: IssuerAction.UpdateLimits,
            limits: { ...certified, ...raise },
          }),
        ),
        StatusWord.WrongData,
      );
    }
  });

  it('refuses a wrong key (6982) and a replay (6985, then 6982) with the state unchanged', async () => {
    const card = await newCard({ initialLoad: 5_000 });
    expectRefused(
      card,
      purseApdus.issuerCommand(command(rogueScheme.issuer.signer, challengeOf(card))),
      StatusWord.SecurityStatusNotSatisfied,
    );
    const cmd = command(issuer.signer, challengeOf(card), { action: IssuerAction.ResetOfflineCounters });
    expectOk(card.send(purseApdus.issuerCommand(cmd)));
    expectRefused(card, purseApdus.issuerCommand(cmd), StatusWord.ConditionsNotSatisfied);
    challengeOf(card);
    expectRefused(card, purseApdus.issuerCommand(cmd), StatusWord.SecurityStatusNotSatisfied);
    expectRefused(
      card,
      purseApdus.issuerCommand(command(issuer.signer, challengeOf(card), { cardId: new Uint8Array(8) })),
      StatusWord.SecurityStatusNotSatisfied,
    );
  });

  it('answers 6A80 to a load authorization sent as an issuer command, and 6985 without challenge', async () => {
    const card = await newCard();
    expectRefused(
      card,
      purseApdus.issuerCommand(
        command(issuer.signer, { challenge: new Uint8Array(16), cardId: card.applet.state.cardId, counter: 0 }),
      ),
      StatusWord.ConditionsNotSatisfied,
    );
    expectRefused(card, purseApdus.issuerCommand(load(issuer.signer, challengeOf(card))), StatusWord.WrongData);
  });
});
