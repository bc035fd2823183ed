import {
  Currency,
  Role,
  TrustStore,
  nobleVerifier,
  type Certificate,
  encodeCardReceipt,
  encodeLoadAuthorization,
  sha256,
  signCoseSign1,
  decodeCoseSign1,
  type CardProfile,
  type CardReceipt,
} from '../../src/index.js';
import { DevCardChain, createDevScheme, devCard, devTerminal, type DevLeaf } from '../../src/testing.js';

export const SEED = new Uint8Array(32).fill(0x42);
export const NOW = 1_790_000_000;
export const PROFILE: CardProfile = {
  currency: Currency.HKD,
  maxBalance: 300_000,
  maxPayment: 50_000,
  maxOfflineCount: 10,
  maxOfflineAmount: 100_000,
};

export const scheme = createDevScheme(SEED);

/** The trust store of the scheme: its root, issuer and acquirer. */
export const trust: TrustStore = (() => {
  const t = TrustStore.create(
    scheme.root.certificate,
    [scheme.issuer.certificate, scheme.acquirer.certificate],
    nobleVerifier,
  );
  if (!t.ok) throw new Error(t.reason);
  return t.value;
})();

/** A card's certificate as verified under the scheme at NOW. */
export function verifiedCardCertificate(card: DevLeaf): Certificate {
  const c = trust.verifyLeaf(card.certificate, Role.Card, nobleVerifier, NOW);
  if (!c.ok) throw new Error(c.reason);
  return c.value.payload;
}

export type TestCard = DevLeaf;
export type TestTerminal = DevLeaf;

/** A card certified by the dev issuer (or any other signer party). */
export function makeCard(n: number, options: { notAfter?: number; issuer?: typeof scheme.issuer } = {}): TestCard {
  return devCard(SEED, options.issuer ?? scheme.issuer, n, PROFILE, options.notAfter);
}

export function makeTerminal(n: number): TestTerminal {
  return devTerminal(SEED, scheme.acquirer, n, { mcc: 5411, name: `Shop ${n}` });
}

/** A card's receipt chain (core's DevCardChain), with issuer-signed load authorizations for its loads. */
export class CardChain extends DevCardChain {
  constructor(readonly card: TestCard) {
    super(card.id, card.signer, Currency.HKD);
  }

  /** An issuer-authorized load: the authorization and the card's load receipt for it. */
  loadAuthorized(
    amount: number,
    loadId = new Uint8Array(16).fill(this.counter + 1),
  ): { receipt: Uint8Array; authorization: Uint8Array } {
    const authorization = signCoseSign1(
      scheme.issuer.signer,
      encodeLoadAuthorization({
        cardId: this.card.id,
        challenge: new Uint8Array(16).fill(9),
        counter: this.counter,
        amount,
        currency: Currency.HKD,
        loadId,
        time: NOW,
      }),
    );
    return { receipt: super.load(amount, sha256(decodeCoseSign1(authorization, 512).payload)), authorization };
  }

  /** A payment at NOW with a nonce derived from the counter unless given. */
  payTo(amount: number, payee: Uint8Array, nonce = new Uint8Array(16).fill(this.counter + 1)): Uint8Array {
    return super.pay(amount, payee, nonce, NOW);
  }

  /** Signs an arbitrary receipt payload without advancing the chain (for forged fixtures). */
  signRaw(r: CardReceipt): Uint8Array {
    return signCoseSign1(this.card.signer, encodeCardReceipt(r));
  }
}
