import { getRandomValues } from 'node:crypto';
import {
  Currency,
  NONCE_LENGTH,
  StatusWord,
  decodeCardChallenge,
  encodeIssuerCommand,
  encodeLoadAuthorization,
  parseResponseApdu,
  signCoseSign1,
  type CardChallenge,
  type CardLimits,
  type IssuerAction,
  type ResponseApdu,
  type Signer,
  purseApdus,
} from '@ehkd/core';

/** Sends one C-APDU to a card and returns its R-APDU: `applet.process`, or a connection's `transmit`. */
export type ApduExchange = (command: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** A load order from the issuer's host. */
export interface LoadOrder {
  /** Minor units, at least 1. */
  readonly amount: number;
  /** Default HKD. */
  readonly currency?: number;
  /** The issuer's unique reference of this load; default 16 random bytes. */
  readonly loadId?: Uint8Array;
  /** Unix seconds; default now (the issuer's clock, not the card's). */
  readonly time?: number;
}

/** An issuer command order. `limits` is required for, and only for, UpdateLimits. */
export interface IssuerOrder {
  readonly action: IssuerAction;
  readonly limits?: CardLimits;
  readonly time?: number;
}

/**
 * Tops a card up online, as the issuer's host does through a terminal: SELECT, GET CHALLENGE, then LOAD
 * with an authorization the issuer signs for that challenge.
 * @returns the last R-APDU split: the load receipt with 9000, or the status word of the step that failed.
 * @throws whatever `exchange` throws (e.g. TransportError); CodecError for an order out of range (misuse).
 * @example const { sw, data } = await loadCard((c) => applet.process(c), issuer.signer, { amount: 50_000 })
 */
export async function loadCard(exchange: ApduExchange, issuer: Signer, order: LoadOrder): Promise<ResponseApdu> {
  return withChallenge(exchange, async (challenge) => {
    const authorization = signCoseSign1(
      issuer,
      encodeLoadAuthorization({
        cardId: challenge.cardId,
        challenge: challenge.challenge,
        counter: challenge.counter,
        amount: order.amount,
        currency: order.currency ?? Currency.HKD,
        loadId: order.loadId ?? getRandomValues(new Uint8Array(NONCE_LENGTH)),
        time: order.time ?? nowSeconds(),
      }),
    );
    return parseResponseApdu(await exchange(purseApdus.load(authorization)));
  });
}

/**
 * Sends an issuer-signed command (lock, unlock, reset offline counters, update limits) the same way.
 * @returns the card's new public state with 9000, or the status word of the step that failed.
 * @throws whatever `exchange` throws; CodecError for an inconsistent order (misuse).
 * @example await sendIssuerCommand(exchange, issuer.signer, { action: IssuerAction.Lock })
 */
export async function sendIssuerCommand(
  exchange: ApduExchange,
  issuer: Signer,
  order: IssuerOrder,
): Promise<ResponseApdu> {
  return withChallenge(exchange, async (challenge) => {
    const command = signCoseSign1(
      issuer,
      encodeIssuerCommand({
        cardId: challenge.cardId,
        challenge: challenge.challenge,
        action: order.action,
        ...(order.limits !== undefined && { limits: order.limits }),
        time: order.time ?? nowSeconds(),
      }),
    );
    return parseResponseApdu(await exchange(purseApdus.issuerCommand(command)));
  });
}

async function withChallenge(
  exchange: ApduExchange,
  then: (challenge: CardChallenge) => Promise<ResponseApdu>,
): Promise<ResponseApdu> {
  const selected = parseResponseApdu(await exchange(purseApdus.select()));
  if (selected.sw !== StatusWord.Ok) return selected;
  const challenge = parseResponseApdu(await exchange(purseApdus.getChallenge()));
  if (challenge.sw !== StatusWord.Ok) return challenge;
  return then(decodeCardChallenge(challenge.data));
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
