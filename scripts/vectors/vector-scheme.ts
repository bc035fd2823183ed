import {
  Currency,
  encodeLoadAuthorization,
  sha256,
  signCoseSign1,
  decodeCoseSign1,
  type CardProfile,
} from '@ehkd/core';
import { DevCardChain, createDevScheme, devCard, devTerminal, type DevLeaf } from '@ehkd/core/testing';

/** Fixed seed of every vector: anyone can re-derive all keys (privateKeyFromSeed(seed, label)). */
export const VECTOR_SEED = new Uint8Array(32).fill(0x5e);
/** Fixed "now" of every vector (2026-09-21T... Unix seconds). */
export const VECTOR_NOW = 1_790_000_000;
export const VECTOR_PROFILE: CardProfile = {
  currency: Currency.HKD,
  maxBalance: 300_000,
  maxPayment: 50_000,
  maxOfflineCount: 10,
  maxOfflineAmount: 100_000,
};

export const vscheme = createDevScheme(VECTOR_SEED);

export type VectorParty = DevLeaf;

export function vectorCard(n: number, notAfter?: number): VectorParty {
  return devCard(VECTOR_SEED, vscheme.issuer, n, VECTOR_PROFILE, notAfter);
}

export function vectorTerminal(n: number): VectorParty {
  return devTerminal(VECTOR_SEED, vscheme.acquirer, n, { mcc: 5812, name: `Cha chaan teng ${n}` });
}

/** A card's receipt chain (core's DevCardChain) whose loads come with issuer-signed authorizations. */
export class VectorChain extends DevCardChain {
  constructor(readonly card: VectorParty) {
    super(card.id, card.signer, Currency.HKD);
  }

  loadAuthorized(amount: number): { receipt: Uint8Array; authorization: Uint8Array } {
    const authorization = signCoseSign1(
      vscheme.issuer.signer,
      encodeLoadAuthorization({
        cardId: this.card.id,
        challenge: new Uint8Array(16).fill(0xc0 + this.counter),
        counter: this.counter,
        amount,
        currency: Currency.HKD,
        loadId: new Uint8Array(16).fill(0x10 + this.counter),
        time: VECTOR_NOW,
      }),
    );
    return { receipt: super.load(amount, sha256(decodeCoseSign1(authorization, 512).payload)), authorization };
  }

  payTo(
    amount: number,
    payee: Uint8Array,
    nonce: Uint8Array = new Uint8Array(16).fill(0xa0 + this.counter),
  ): Uint8Array {
    return super.pay(amount, payee, nonce, VECTOR_NOW);
  }

  override fork(): VectorChain {
    const c = new VectorChain(this.card);
    Object.assign(c, { counter: this.counter, balance: this.balance, lastHash: this.lastHash });
    return c;
  }
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
