import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { CodecError, CodecErrorCode } from '../codec/codec-error.js';
import { MapReader } from '../codec/map-reader.js';
import { HASH_LENGTH, ID_LENGTH, NONCE_LENGTH } from '../ids/identifiers.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/**
 * Fields every card-signed receipt shares: they place it in the card's hash chain.
 * The chain: receipt n carries prevHash = SHA-256(payload of receipt n-1); receipt 1 carries 32 zero bytes.
 */
interface ChainLink {
  readonly cardId: Uint8Array;
  /** The card's counter after this operation: 1 for the card's first value-changing operation. */
  readonly counter: number;
  readonly amount: number;
  readonly currency: number;
  /** Balance after this operation, in minor units. */
  readonly balanceAfter: number;
  readonly prevHash: Uint8Array;
}

/** Payload of a pay receipt (message type 2): the card's signed promise that value moved to `payee`. */
export interface PayReceipt extends ChainLink {
  readonly kind: 'pay';
  readonly payee: Uint8Array;
  readonly nonce: Uint8Array;
  /** Terminal time from the PAY command (not the card's: cards have no clock). */
  readonly time: number;
}

/** Payload of a load receipt (message type 3): the card's signed acknowledgement of an issuer-authorized load. */
export interface LoadReceipt extends ChainLink {
  readonly kind: 'load';
  /** SHA-256 of the LoadAuthorization payload the card executed. */
  readonly authorizationId: Uint8Array;
}

/** Any card-signed, value-changing receipt. */
export type CardReceipt = PayReceipt | LoadReceipt;

/** The prevHash of a card's first receipt. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(HASH_LENGTH);

/** Encodes a receipt payload (pay or load). @throws CodecError on out-of-range fields (misuse). */
export function encodeCardReceipt(r: CardReceipt): Uint8Array {
  const m =
    r.kind === 'pay'
      ? new Map<number, CborValue>([
          [0, MessageType.PayReceipt],
          [1, r.cardId],
          [2, r.counter],
          [3, r.amount],
          [4, r.currency],
          [5, r.payee],
          [6, r.nonce],
          [7, r.time],
          [8, r.balanceAfter],
          [9, r.prevHash],
        ])
      : new Map<number, CborValue>([
          [0, MessageType.LoadReceipt],
          [1, r.cardId],
          [2, r.counter],
          [3, r.amount],
          [4, r.currency],
          [5, r.authorizationId],
          [8, r.balanceAfter],
          [9, r.prevHash],
        ]);
  const bytes = encodeCbor(m);
  decodeCardReceipt(bytes);
  return bytes;
}

/**
 * Decodes a pay or load receipt payload, dispatching on its message type.
 * @throws CodecError
 */
export function decodeCardReceipt(payload: Uint8Array): CardReceipt {
  const r = new MapReader(decodePayload(payload, Limits.receiptBytes, 'Receipt'), 'Receipt');
  const type = r.any(0);
  const cardId = r.bytes(1, ID_LENGTH);
  const counter = r.uint(2, Limits.maxCounter, 1);
  const amount = r.uint(3, Limits.maxCardAmount, 1);
  const currency = r.uint(4, 999);
  const balanceAfter = r.uint(8, Limits.maxCardAmount);
  const prevHash = r.bytes(9, HASH_LENGTH);
  let receipt: CardReceipt;
  if (type === MessageType.PayReceipt) {
    receipt = {
      kind: 'pay',
      cardId,
      counter,
      amount,
      currency,
      payee: r.bytes(5, ID_LENGTH),
      nonce: r.bytes(6, NONCE_LENGTH),
      time: r.uint(7, Limits.maxTime),
      balanceAfter,
      prevHash,
    };
  } else if (type === MessageType.LoadReceipt) {
    receipt = {
      kind: 'load',
      cardId,
      counter,
      amount,
      currency,
      authorizationId: r.bytes(5, HASH_LENGTH),
      balanceAfter,
      prevHash,
    };
  } else {
    throw new CodecError(
      CodecErrorCode.WrongMessageType,
      `Receipt.0: expected a pay or load receipt, got ${String(type)}`,
      { detail: { path: 'Receipt.0' } },
    );
  }
  r.done();
  return receipt;
}

/**
 * The balance before a receipt's operation, derived from its own fields
 * (balanceAfter + amount for a payment, balanceAfter - amount for a load); negative means impossible.
 */
export function balanceBefore(r: CardReceipt): number {
  return r.kind === 'pay' ? r.balanceAfter + r.amount : r.balanceAfter - r.amount;
}
