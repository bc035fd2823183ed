import { createSigner, privateKeyFromSeed, type Signer } from '../crypto/signer.js';
import { Role, type CardProfile, type Certificate } from '../messages/certificate.js';
import { signCoseSign1 } from '../cose/cose-sign1.js';
import { sha256 } from '../crypto/hash.js';
import { GENESIS_HASH, encodeCardReceipt, type CardReceipt } from '../messages/card-receipt.js';
import { issueCertificate } from './issue-certificate.js';
import type { KeyFile } from './key-file.js';

/** One party of a development scheme: its signer and certificate. */
export interface DevParty {
  readonly id: Uint8Array;
  readonly privateKey: Uint8Array;
  readonly signer: Signer;
  /** COSE_Sign1 certificate bytes. */
  readonly certificate: Uint8Array;
  readonly keyFile: KeyFile;
}

/** A complete development scheme: root, one issuer and one acquirer, all from one seed. */
export interface DevScheme {
  readonly root: DevParty;
  readonly issuer: DevParty;
  readonly acquirer: DevParty;
}

/** Validity used by development schemes: 2025-01-01 .. 2035-01-01 (Unix seconds). */
export const DEV_VALIDITY = { notBefore: 1_735_689_600, notAfter: 2_051_222_400 } as const;

/** An 8-byte id from a small number (development and test ids are readable in hex). */
export function devId(prefix: number, n: number): Uint8Array {
  const id = new Uint8Array(8);
  id[0] = prefix;
  new DataView(id.buffer).setUint32(4, n);
  return id;
}

function party(
  seed: Uint8Array,
  label: string,
  id: Uint8Array,
  certify: (subject: Signer) => Uint8Array,
  role: Role,
): DevParty {
  const privateKey = privateKeyFromSeed(seed, label);
  const signer = createSigner(privateKey);
  const certificate = certify(signer);
  return { id, privateKey, signer, certificate, keyFile: { role, id, privateKey, certificate } };
}

/**
 * Derives a development scheme (root, issuer "eHKD Dev Bank", acquirer "eHKD Dev Acquirer") from a seed.
 * Deterministic: the same seed gives the same keys and byte-identical certificates.
 * @example const scheme = createDevScheme(new Uint8Array(32))
 */
export function createDevScheme(seed: Uint8Array): DevScheme {
  const rootId = devId(0x01, 1);
  const root = party(
    seed,
    'root',
    rootId,
    (s) =>
      issueCertificate(s, {
        role: Role.Root,
        subject: rootId,
        signer: rootId,
        publicKey: s.publicKey,
        ...DEV_VALIDITY,
        name: 'eHKD Dev Root',
      }),
    Role.Root,
  );
  const under = (
    label: string,
    role: typeof Role.Issuer | typeof Role.Acquirer,
    id: Uint8Array,
    name: string,
  ): DevParty =>
    party(
      seed,
      label,
      id,
      (s) =>
        issueCertificate(root.signer, {
          role,
          subject: id,
          signer: rootId,
          publicKey: s.publicKey,
          ...DEV_VALIDITY,
          name,
        }),
      role,
    );
  return {
    root,
    issuer: under('issuer', Role.Issuer, devId(0x02, 1), 'eHKD Dev Bank'),
    acquirer: under('acquirer', Role.Acquirer, devId(0x04, 1), 'eHKD Dev Acquirer'),
  };
}

/**
 * Certifies a card or terminal key under a development issuer or acquirer.
 * @example certifyLeaf(scheme.issuer, { role: Role.Card, subject: devId(3, 1), publicKey, card: profile })
 */
export function certifyLeaf(
  signer: DevParty,
  leaf: {
    role: typeof Role.Card | typeof Role.Terminal;
    subject: Uint8Array;
    publicKey: Uint8Array;
    card?: CardProfile;
    terminal?: Certificate['terminal'];
    name?: string;
    notBefore?: number;
    notAfter?: number;
  },
): Uint8Array {
  return issueCertificate(signer.signer, {
    role: leaf.role,
    subject: leaf.subject,
    signer: signer.id,
    publicKey: leaf.publicKey,
    notBefore: leaf.notBefore ?? DEV_VALIDITY.notBefore,
    notAfter: leaf.notAfter ?? DEV_VALIDITY.notAfter,
    ...(leaf.name !== undefined && { name: leaf.name }),
    ...(leaf.card && { card: leaf.card }),
    ...(leaf.terminal && { terminal: leaf.terminal }),
  });
}

/** A card or terminal of a development scheme: its id, its signer (key derived from the scheme's seed) and certificate. */
export interface DevLeaf {
  readonly id: Uint8Array;
  readonly signer: Signer;
  /** COSE_Sign1 certificate bytes. */
  readonly certificate: Uint8Array;
}

/**
 * Card number `n` of a development scheme: key `privateKeyFromSeed(seed, 'card-<n>')`, id `devId(0x03, n)`, certified
 * by `issuer` with `profile` (valid DEV_VALIDITY, or until `notAfter`). Test fixtures and test vectors use it, so an
 * implementation in another language can derive the same cards.
 * @example const card = devCard(seed, scheme.issuer, 1, { currency: 344, maxBalance: 300_000, maxPayment: 50_000, maxOfflineCount: 10, maxOfflineAmount: 100_000 })
 */
export function devCard(
  seed: Uint8Array,
  issuer: DevParty,
  n: number,
  profile: CardProfile,
  notAfter?: number,
): DevLeaf {
  const signer = createSigner(privateKeyFromSeed(seed, `card-${n}`));
  const id = devId(0x03, n);
  return {
    id,
    signer,
    certificate: certifyLeaf(issuer, {
      role: Role.Card,
      subject: id,
      publicKey: signer.publicKey,
      card: profile,
      ...(notAfter !== undefined && { notAfter }),
    }),
  };
}

/**
 * Terminal number `n` of a development scheme: key `privateKeyFromSeed(seed, 'terminal-<n>')`, id `devId(0x05, n)`,
 * merchant `devId(0x06, n)`, certified by `acquirer` with the merchant category code and name given.
 * @example const terminal = devTerminal(seed, scheme.acquirer, 1, { mcc: 5411, name: 'Shop 1' })
 */
export function devTerminal(
  seed: Uint8Array,
  acquirer: DevParty,
  n: number,
  merchant: { mcc: number; name: string },
): DevLeaf {
  const signer = createSigner(privateKeyFromSeed(seed, `terminal-${n}`));
  const id = devId(0x05, n);
  return {
    id,
    signer,
    certificate: certifyLeaf(acquirer, {
      role: Role.Terminal,
      subject: id,
      publicKey: signer.publicKey,
      terminal: { merchantId: devId(0x06, n), mcc: merchant.mcc },
      name: merchant.name,
    }),
  };
}

/**
 * Signs receipts with a card's key exactly as the applet would (counter + 1, prevHash = the last payload's hash,
 * balance carried forward), for fixtures, test vectors and benchmarks that need card-signed receipts without a
 * card. `fork()` copies the chain state, which is what a cloned card does.
 * @example const chain = new DevCardChain(cardId, cardSigner, Currency.HKD); const r = chain.pay(1250, terminalId, nonce, time)
 */
export class DevCardChain {
  counter = 0;
  balance = 0;
  lastHash: Uint8Array = GENESIS_HASH;

  constructor(
    readonly cardId: Uint8Array,
    readonly signer: Signer,
    readonly currency: number,
  ) {}

  /** A load receipt for `authorizationId` (the SHA-256 of an issuer's LoadAuthorization payload). */
  load(amount: number, authorizationId: Uint8Array): Uint8Array {
    return this.commit({
      kind: 'load',
      cardId: this.cardId,
      counter: this.counter + 1,
      amount,
      currency: this.currency,
      authorizationId,
      balanceAfter: this.balance + amount,
      prevHash: this.lastHash,
    });
  }

  /** A pay receipt to `payee` for the terminal's `nonce` and `time`. */
  pay(amount: number, payee: Uint8Array, nonce: Uint8Array, time: number): Uint8Array {
    return this.commit({
      kind: 'pay',
      cardId: this.cardId,
      counter: this.counter + 1,
      amount,
      currency: this.currency,
      payee,
      nonce,
      time,
      balanceAfter: this.balance - amount,
      prevHash: this.lastHash,
    });
  }

  /** A second chain in the same state: what a clone of the card's secret state would sign from here. */
  fork(): DevCardChain {
    const c = new DevCardChain(this.cardId, this.signer, this.currency);
    c.counter = this.counter;
    c.balance = this.balance;
    c.lastHash = this.lastHash;
    return c;
  }

  /**
   * Signs any receipt with the card's key and makes it the chain's state: how fixtures produce what a card whose
   * key was extracted could sign (forged balances, counters or links).
   */
  commit(r: CardReceipt): Uint8Array {
    const payload = encodeCardReceipt(r);
    this.counter = r.counter;
    this.balance = r.balanceAfter;
    this.lastHash = sha256(payload);
    return signCoseSign1(this.signer, payload);
  }
}
