import {
  Currency, GENESIS_HASH, Role, certifyLeaf, createDevScheme, createSigner, devId, encodeCardReceipt, encodeLoadAuthorization,
  privateKeyFromSeed, sha256, signCoseSign1, decodeCoseSign1, type CardProfile, type CardReceipt, type Signer,
} from '@ehkd/core';

/** Fixed seed of every vector: anyone can re-derive all keys (privateKeyFromSeed(seed, label)). */
export const VECTOR_SEED = new Uint8Array(32).fill(0x5e);
/** Fixed "now" of every vector (2026-09-21T... Unix seconds). */
export const VECTOR_NOW = 1_790_000_000;
export const VECTOR_PROFILE: CardProfile = { currency: Currency.HKD, maxBalance: 300_000, maxPayment: 50_000, maxOfflineCount: 10, maxOfflineAmount: 100_000 };

export const vscheme = createDevScheme(VECTOR_SEED);

export interface VectorParty {
  readonly id: Uint8Array;
  readonly signer: Signer;
  readonly certificate: Uint8Array;
}

export function vectorCard(n: number, notAfter?: number): VectorParty {
  const signer = createSigner(privateKeyFromSeed(VECTOR_SEED, `card-${n}`));
  const id = devId(0x03, n);
  return { id, signer, certificate: certifyLeaf(vscheme.issuer, { role: Role.Card, subject: id, publicKey: signer.publicKey, card: VECTOR_PROFILE, ...(notAfter !== undefined && { notAfter }) }) };
}

export function vectorTerminal(n: number): VectorParty {
  const signer = createSigner(privateKeyFromSeed(VECTOR_SEED, `terminal-${n}`));
  const id = devId(0x05, n);
  return { id, signer, certificate: certifyLeaf(vscheme.acquirer, { role: Role.Terminal, subject: id, publicKey: signer.publicKey, terminal: { merchantId: devId(0x06, n), mcc: 5812 }, name: `Cha chaan teng ${n}` }) };
}

/** Signs receipts exactly as a card would, following its counter, balance and hash chain. */
export class VectorChain {
  counter = 0;
  balance = 0;
  lastHash: Uint8Array = GENESIS_HASH;
  constructor(readonly card: VectorParty) {}

  load(amount: number): { receipt: Uint8Array; authorization: Uint8Array } {
    const authorization = signCoseSign1(vscheme.issuer.signer, encodeLoadAuthorization({ cardId: this.card.id, challenge: new Uint8Array(16).fill(0xc0 + this.counter), amount, currency: Currency.HKD, loadId: new Uint8Array(16).fill(0x10 + this.counter), time: VECTOR_NOW }));
    const authorizationId = sha256(decodeCoseSign1(authorization, 512).payload);
    return { receipt: this.sign({ kind: 'load', cardId: this.card.id, counter: this.counter + 1, amount, currency: Currency.HKD, authorizationId, balanceAfter: this.balance + amount, prevHash: this.lastHash }), authorization };
  }

  pay(amount: number, payee: Uint8Array, nonce: Uint8Array = new Uint8Array(16).fill(0xa0 + this.counter)): Uint8Array {
    return this.sign({ kind: 'pay', cardId: this.card.id, counter: this.counter + 1, amount, currency: Currency.HKD, payee, nonce, time: VECTOR_NOW, balanceAfter: this.balance - amount, prevHash: this.lastHash });
  }

  fork(): VectorChain {
    const c = new VectorChain(this.card);
    Object.assign(c, { counter: this.counter, balance: this.balance, lastHash: this.lastHash });
    return c;
  }

  private sign(r: CardReceipt): Uint8Array {
    const payload = encodeCardReceipt(r);
    this.counter = r.counter;
    this.balance = r.balanceAfter;
    this.lastHash = sha256(payload);
    return signCoseSign1(this.card.signer, payload);
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
