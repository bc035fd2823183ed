/**
 * docs/protocol.md "ISO 7816-4 handling: never an exception". Random APDUs and mutated valid ones (bit flips,
 * truncation, extension, Lc/Le tweaks, CLA/INS/P1/P2 changes) must never throw, always answer at least
 * SW1 SW2 with a status word of the protocol, and leave the persisted state unchanged unless 9000.
 */
import {
  Currency,
  IssuerAction,
  StatusWord,
  decodeCardChallenge,
  encodeIssuerCommand,
  encodeLoadAuthorization,
  parseResponseApdu,
  signCoseSign1,
  purseApdus,
} from '@ehkd/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePurseState } from '../src/index.js';
import { hex, issuer, newCard, payCommand, type TestCard } from './support/card-fixtures.js';

const VALID_SW = new Set<number>(Object.values(StatusWord));

/** Valid commands to mutate; LOAD and ISSUER COMMAND are signed for a challenge fetched just before. */
const SEEDS: readonly ((card: TestCard) => Uint8Array)[] = [
  () => purseApdus.select(),
  () => purseApdus.pay(payCommand(25)),
  (card) => purseApdus.recover(card.applet.state.log.find((e) => e.nonce !== undefined)?.nonce ?? new Uint8Array(16)),
  () => purseApdus.readLog(1),
  () => purseApdus.getState(),
  () => purseApdus.getChallenge(),
  (card) => {
    const c = decodeCardChallenge(card.send(purseApdus.getChallenge()).data);
    return purseApdus.load(
      signCoseSign1(
        issuer.signer,
        encodeLoadAuthorization({ ...c, amount: 500, currency: Currency.HKD, loadId: c.challenge, time: 1 }),
      ),
    );
  },
  (card) => {
    const c = decodeCardChallenge(card.send(purseApdus.getChallenge()).data);
    const action = [IssuerAction.ResetOfflineCounters, IssuerAction.Lock, IssuerAction.Unlock][c.challenge[0]! % 3]!;
    return purseApdus.issuerCommand(signCoseSign1(issuer.signer, encodeIssuerCommand({ ...c, action, time: 1 })));
  },
];

type Mutation = (apdu: Uint8Array) => Uint8Array;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]): Mutation => (a) => {
    const out = a.slice();
    out[i % out.length]! ^= 1 << bit;
    return out;
  }),
  fc.nat().map(
    (n): Mutation =>
      (a) =>
        a.slice(0, n % (a.length + 1)),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map(
    (tail): Mutation =>
      (a) =>
        Uint8Array.of(...a, ...tail),
  ),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })).map(([i, v]): Mutation => (a) => {
    const out = a.slice();
    out[i] = v;
    return out;
  }),
  // Lc tweak: a small shift is the likely bug, any value the hostile one.
  fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 255 })).map((d): Mutation => (a) => {
    const out = a.slice();
    if (out.length > 4) out[4] = d >= -3 && d <= 3 ? (out[4]! + d) & 0xff : d;
    return out;
  }),
  // Le tweak: replace, drop or add the last byte.
  fc.integer({ min: 0, max: 255 }).map((le): Mutation => (a) => {
    const out = a.slice();
    out[out.length - 1] = le;
    return out;
  }),
  fc.constant<Mutation>((a) => a.slice(0, -1)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, bytes]): Mutation => (a) => {
    const out = a.slice();
    out.set(bytes.subarray(0, Math.max(0, out.length - (at % out.length))), at % out.length);
    return out;
  }),
);

/** Sends `command` and checks the answer's shape and that non-9000 answers changed nothing persistent. */
function sendChecked(card: TestCard, command: Uint8Array): number {
  const before = hex(card.store.snapshot());
  let response: Uint8Array;
  try {
    response = card.applet.process(command);
  } catch (e) {
    throw new Error(`process threw on ${hex(command)}: ${String(e)}`);
  }
  expect(response.length).toBeGreaterThanOrEqual(2);
  const { sw } = parseResponseApdu(response);
  expect(VALID_SW.has(sw), `SW ${sw.toString(16)} for ${hex(command)}`).toBe(true);
  if (sw !== StatusWord.Ok) {
    expect(hex(card.store.snapshot()), `state changed by ${hex(command)} answered ${sw.toString(16)}`).toBe(before);
    expect(hex(encodePurseState(card.applet.state))).toBe(before);
  }
  return sw;
}

describe('command handler fuzzing', () => {
  const limits = {
    maxBalance: 100_000_000,
    maxPayment: 1_000_000,
    maxOfflineCount: 0xffff,
    maxOfflineAmount: 100_000_000,
  };

  it('survives random bytes', async () => {
    const card = await newCard({ initialLoad: 1_000_000, limits });
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 300 }), (select, bytes) => {
        if (select) card.send(purseApdus.select());
        sendChecked(card, bytes);
      }),
      { numRuns: 3_000 },
    );
  });

  it('survives random headers with random bodies (every CLA/INS/P1/P2 reached)', async () => {
    const card = await newCard({ initialLoad: 1_000_000, limits });
    const header = fc.tuple(
      fc.constantFrom(0x00, 0x80, 0x84, 0xff),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 260 }), ([cla, ins, p1, p2], body) => {
        card.send(purseApdus.select());
        sendChecked(card, Uint8Array.of(cla, ins, p1, p2, ...body));
      }),
      { numRuns: 3_000 },
    );
  });

  it('survives mutated valid commands of every kind', async () => {
    const card = await newCard({ initialLoad: 1_000_000, limits });
    const outcomes = new Map<number, number>();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: SEEDS.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (seed, mutations) => {
          card.send(purseApdus.select());
          const command = mutations.reduce(
            (apdu, mutate) => (apdu.length === 0 ? apdu : mutate(apdu)),
            SEEDS[seed]!(card),
          );
          const sw = sendChecked(card, command);
          outcomes.set(sw, (outcomes.get(sw) ?? 0) + 1);
        },
      ),
      { numRuns: 2_000 },
    );
    // The mutations reached the deep checks, not only the ISO parser.
    for (const sw of [
      StatusWord.Ok,
      StatusWord.SecurityStatusNotSatisfied,
      StatusWord.WrongLength,
      StatusWord.WrongData,
      StatusWord.InsNotSupported,
      StatusWord.ClaNotSupported,
      StatusWord.WrongP1P2,
    ]) {
      expect(outcomes.get(sw) ?? 0, `SW ${sw.toString(16)} never seen`).toBeGreaterThan(0);
    }
  });
});
