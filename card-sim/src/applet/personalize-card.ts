import { getRandomValues } from 'node:crypto';
import {
  CodecError,
  CoseError,
  Currency,
  GENESIS_HASH,
  ID_LENGTH,
  Limits,
  Role,
  bytesEqual,
  concatBytes,
  createSigner,
  decodeCertificate,
  decodeCoseSign1,
  encodeSelectResponse,
  generatePrivateKey,
  issueCertificate,
  privateKeyFromSeed,
  sha256,
  type CardLimits,
  type Signer,
} from '@ehkd/core';
import { CardError, CardErrorCode } from '../card-error.js';
import type { PurseState } from './purse-state.js';

/**
 * Limits of a card personalised without explicit ones: HK$3,000 stored value (Octopus' maximum),
 * HK$500 per payment, and at most 20 payments or HK$1,000 offline before the card must go online.
 */
export const DEFAULT_CARD_LIMITS: CardLimits = {
  maxBalance: 300_000,
  maxPayment: 50_000,
  maxOfflineCount: 20,
  maxOfflineAmount: 100_000,
};

/** The issuer at personalisation: its signing key and its certificate (which names its id). */
export interface IssuerCredentials {
  readonly signer: Signer;
  /** The issuer's certificate (COSE_Sign1 bytes), signed by the root. */
  readonly certificate: Uint8Array;
}

/** Options of `personalizeCard`. */
export interface PersonalizeOptions {
  readonly issuer: IssuerCredentials;
  /** Card limits, each defaulting to DEFAULT_CARD_LIMITS. */
  readonly limits?: Partial<CardLimits>;
  /** ISO 4217 numeric currency; default HKD (344). */
  readonly currency?: number;
  /** The card's 8-byte id; default random, or derived from `seed`. */
  readonly cardId?: Uint8Array;
  /** Makes key and id deterministic (tests, demo): the key is `privateKeyFromSeed(seed, 'card')`. */
  readonly seed?: Uint8Array;
  /** Certificate validity in Unix seconds; default the issuer certificate's own validity (deterministic). */
  readonly validity?: { readonly notBefore: number; readonly notAfter: number };
}

/** A freshly personalised card: its initial persistent state, to be put into a CardStore. */
export interface PersonalizedCard {
  readonly state: PurseState;
  readonly cardId: Uint8Array;
  /** The card certificate (COSE_Sign1 bytes), as SELECT returns it. */
  readonly certificate: Uint8Array;
}

/**
 * Personalises a card as an issuer's personalisation bureau does: generates the card key pair (in the card,
 * here in memory), has the issuer certify it with the card's currency and limits, and stores the issuer's id
 * and public key (for LOAD and ISSUER COMMAND) with balance 0, counter 0, the genesis hash and empty log.
 * @throws CardError PERSONALISATION if the issuer certificate is not an issuer's, does not certify the
 *   signer's key, or the limits, currency or validity are out of range.
 * @example
 * const card = personalizeCard({ issuer: { signer: issuer.signer, certificate: issuer.certificate }, seed });
 * const store = new MemoryCardStore(card.state);
 */
export function personalizeCard(options: PersonalizeOptions): PersonalizedCard {
  const issuer = readIssuer(options.issuer);
  const limits: CardLimits = { ...DEFAULT_CARD_LIMITS, ...options.limits };
  const currency = options.currency ?? Currency.HKD;
  const seed = options.seed;
  const cardId =
    options.cardId ??
    (seed === undefined
      ? getRandomValues(new Uint8Array(ID_LENGTH))
      : sha256(concatBytes(seed, new TextEncoder().encode('card-id'))).slice(0, ID_LENGTH));
  if (cardId.length !== ID_LENGTH) throw personalisation(`a card id is ${ID_LENGTH} bytes, got ${cardId.length}`);
  const privateKey = seed === undefined ? generatePrivateKey() : privateKeyFromSeed(seed, 'card');
  const validity = options.validity ?? { notBefore: issuer.notBefore, notAfter: issuer.notAfter };
  let certificate: Uint8Array;
  try {
    certificate = issueCertificate(options.issuer.signer, {
      role: Role.Card,
      subject: cardId,
      signer: issuer.id,
      publicKey: createSigner(privateKey).publicKey,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      card: { currency, ...limits },
    });
  } catch (e) {
    if (e instanceof CodecError) throw personalisation(`the card certificate would be invalid: ${e.message}`, e);
    throw e;
  }
  // SELECT must answer in one short R-APDU whatever the card's counters grow to.
  const worstSelect = encodeSelectResponse({
    certificate,
    state: {
      balance: Limits.maxCardAmount,
      counter: Limits.maxCounter,
      flags: 0xff,
      offlineCount: 0xffff,
      offlineAmount: Limits.maxCardAmount,
      limits,
    },
  });
  if (worstSelect.length > Limits.selectResponseBytes)
    throw personalisation(`SELECT could answer ${worstSelect.length} bytes, more than ${Limits.selectResponseBytes}`);
  const state: PurseState = {
    cardId,
    privateKey,
    certificate,
    issuerId: issuer.id,
    issuerPublicKey: issuer.publicKey,
    currency,
    balance: 0,
    counter: 0,
    lastHash: GENESIS_HASH,
    flags: 0,
    offlineCount: 0,
    offlineAmount: 0,
    limits,
    log: [],
  };
  return { state, cardId, certificate };
}

function readIssuer(issuer: IssuerCredentials): {
  id: Uint8Array;
  publicKey: Uint8Array;
  notBefore: number;
  notAfter: number;
} {
  let cert;
  try {
    cert = decodeCertificate(decodeCoseSign1(issuer.certificate, Limits.certificateBytes).payload);
  } catch (e) {
    if (e instanceof CodecError || e instanceof CoseError)
      throw personalisation(`the issuer certificate does not decode: ${e.message}`, e);
    throw e;
  }
  if (cert.role !== Role.Issuer)
    throw personalisation('the certificate given for the issuer is not an issuer certificate');
  if (!bytesEqual(cert.publicKey, issuer.signer.publicKey))
    throw personalisation("the issuer certificate does not certify the issuer signer's key");
  return { id: cert.subject, publicKey: cert.publicKey, notBefore: cert.notBefore, notAfter: cert.notAfter };
}

function personalisation(message: string, cause?: unknown): CardError {
  return new CardError(CardErrorCode.Personalisation, message, cause === undefined ? undefined : { cause });
}
