import {
  Currency, GENESIS_HASH, Role, certifyLeaf, createDevScheme, createSigner, devId, encodeCardReceipt, encodeLoadAuthorization,
  privateKeyFromSeed, sha256, signCoseSign1, decodeCoseSign1, type CardProfile, type CardReceipt, type Signer,
} from '../../src/index.js';

export const SEED = new Uint8Array(32).fill(0x42);
export const NOW = 1_790_000_000;
export const PROFILE: CardProfile = { currency: Currency.HKD, maxBalance: 300_000, maxPayment: 50_000, maxOfflineCount: 10, maxOfflineAmount: 100_000 };

export const scheme = createDevScheme(SEED);

export interface TestCard {
  readonly id: Uint8Array;
  readonly signer: Signer;
  readonly certificate: Uint8Array;
}

/** A card certified by the dev issuer (or any other signer party). */
export function makeCard(n: number, options: { notAfter?: number; issuer?: typeof scheme.issuer } = {}): TestCard {
  const signer = createSigner(privateKeyFromSeed(SEED, `card-${n}`));
  const id = devId(0x03, n);
  const certificate = certifyLeaf(options.issuer ?? scheme.issuer, { role: Role.Card, subject: id, publicKey: signer.publicKey, card: PROFILE, ...(options.notAfter !== undefined && { notAfter: options.notAfter }) });
  return { id, signer, certificate };
}

export interface TestTerminal {
  readonly id: Uint8Array;
  readonly signer: Signer;
  readonly certificate: Uint8Array;
}

export function makeTerminal(n: number): TestTerminal {
  const signer = createSigner(privateKeyFromSeed(SEED, `terminal-${n}`));
  const id = devId(0x05, n);
  const certificate = certifyLeaf(scheme.acquirer, { role: Role.Terminal, subject: id, publicKey: signer.publicKey, terminal: { merchantId: devId(0x06, n), mcc: 5411 }, name: `Shop ${n}` });
  return { id, signer, certificate };
}

/** Follows a card's chain the way the applet does, signing receipts with the card's key (fixture, not a card). */
export class CardChain {
  counter = 0;
  balance = 0;
  lastHash: Uint8Array = GENESIS_HASH;
  constructor(readonly card: TestCard) {}

  load(amount: number, loadId = new Uint8Array(16).fill(this.counter + 1)): { receipt: Uint8Array; authorization: Uint8Array } {
    const authorization = signCoseSign1(scheme.issuer.signer, encodeLoadAuthorization({ cardId: this.card.id, challenge: new Uint8Array(16).fill(9), amount, currency: Currency.HKD, loadId, time: NOW }));
    const authorizationId = sha256(decodeCoseSign1(authorization, 512).payload);
    return { receipt: this.sign({ kind: 'load', cardId: this.card.id, counter: this.counter + 1, amount, currency: Currency.HKD, authorizationId, balanceAfter: this.balance + amount, prevHash: this.lastHash }), authorization };
  }

  pay(amount: number, payee: Uint8Array, nonce = new Uint8Array(16).fill(this.counter + 1)): Uint8Array {
    return this.sign({ kind: 'pay', cardId: this.card.id, counter: this.counter + 1, amount, currency: Currency.HKD, payee, nonce, time: NOW, balanceAfter: this.balance - amount, prevHash: this.lastHash });
  }

  /** Signs an arbitrary receipt payload without advancing the chain (for forged/forked fixtures). */
  signRaw(r: CardReceipt): Uint8Array {
    return signCoseSign1(this.card.signer, encodeCardReceipt(r));
  }

  private sign(r: CardReceipt): Uint8Array {
    const payload = encodeCardReceipt(r);
    this.counter = r.counter;
    this.balance = r.balanceAfter;
    this.lastHash = sha256(payload);
    return signCoseSign1(this.card.signer, payload);
  }
}
