import {
  Currency,
  Limits,
  decodeCertificate,
  decodeCoseSign1,
  parseResponseApdu,
  type Certificate,
  type PayCommand,
  type ResponseApdu,
  purseApdus,
} from '@ehkd/core';
import { createDevScheme } from '@ehkd/core/testing';
import {
  MemoryCardStore,
  PurseApplet,
  personalizeCard,
  type IssuerCredentials,
  type PersonalizeOptions,
} from '../../src/index.js';
import { loadCard } from '../../src/applet/issuer-online.js';

/** One development scheme for every test: deterministic keys and certificates. */
export const scheme = createDevScheme(new Uint8Array(32).fill(1));
export const issuer: IssuerCredentials = { signer: scheme.issuer.signer, certificate: scheme.issuer.certificate };
/** Another issuer (same seed scheme, other label): its signatures must not move any card. */
export const rogueScheme = createDevScheme(new Uint8Array(32).fill(2));

export const PAYEE = Uint8Array.of(0x05, 0, 0, 0, 0, 0, 0, 1);
export const TIME = 1_800_000_000;

let nonceCounter = 0;
/** A fresh 16-byte nonce (distinct within a test process). */
export function freshNonce(): Uint8Array {
  const n = new Uint8Array(16);
  new DataView(n.buffer).setUint32(12, ++nonceCounter);
  n[0] = 0xa5;
  return n;
}

/** A PAY command with a fresh nonce. */
export function payCommand(amount: number, overrides: Partial<PayCommand> = {}): PayCommand {
  return { amount, currency: Currency.HKD, payee: PAYEE, nonce: freshNonce(), time: TIME, ...overrides };
}

/** A card in memory, selected, with an optional initial load. */
export interface TestCard {
  readonly applet: PurseApplet;
  readonly store: MemoryCardStore;
  readonly cert: Certificate;
  send(command: Uint8Array): ResponseApdu;
}

let seedCounter = 0;
export async function newCard(
  options: Partial<PersonalizeOptions> & { initialLoad?: number; random?: (n: number) => Uint8Array } = {},
): Promise<TestCard> {
  const seed = new Uint8Array(32);
  new DataView(seed.buffer).setUint32(0, ++seedCounter);
  const personalised = personalizeCard({ issuer, seed, ...options });
  const store = new MemoryCardStore(personalised.state);
  const applet = new PurseApplet(store, options.random === undefined ? {} : { random: options.random });
  const send = (command: Uint8Array): ResponseApdu => parseResponseApdu(applet.process(command));
  if (options.initialLoad !== undefined) {
    const r = await loadCard((c) => applet.process(c), issuer.signer, { amount: options.initialLoad, time: TIME });
    if (r.sw !== 0x9000) throw new Error(`initial load failed: ${r.sw.toString(16)}`);
  }
  expectOk(send(purseApdus.select()));
  return {
    applet,
    store,
    cert: decodeCertificate(decodeCoseSign1(personalised.certificate, Limits.certificateBytes).payload),
    send,
  };
}

/** Asserts 9000 and returns the data. */
export function expectOk(r: ResponseApdu): Uint8Array {
  if (r.sw !== 0x9000) throw new Error(`expected 9000, got ${r.sw.toString(16)}`);
  return r.data;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
