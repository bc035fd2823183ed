import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { CodecError, CodecErrorCode } from '../codec/codec-error.js';
import { MapReader } from '../codec/map-reader.js';
import { ID_LENGTH, NONCE_LENGTH } from '../ids/identifiers.js';
import { cardLimitsMap, readCardLimitFields, type CardLimits } from './certificate.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/** Payload of an issuer-signed load authorization (message type 4), bound to one card challenge. */
export interface LoadAuthorization {
  readonly cardId: Uint8Array;
  /** The challenge the card issued for this load (single use). */
  readonly challenge: Uint8Array;
  /**
   * The card's counter from that challenge: the card executes the load only while its counter is exactly this, so
   * the load can only ever be the card's receipt at counter + 1 (any other receipt there proves it void).
   */
  readonly counter: number;
  readonly amount: number;
  readonly currency: number;
  /** The issuer's reference for this load (unique per load). */
  readonly loadId: Uint8Array;
  readonly time: number;
}

/** Actions an issuer can order a card to take. */
export const IssuerAction = { Lock: 1, Unlock: 2, ResetOfflineCounters: 3, UpdateLimits: 4 } as const;
export type IssuerAction = (typeof IssuerAction)[keyof typeof IssuerAction];

/** Payload of an issuer-signed command (message type 5), bound to one card challenge. */
export interface IssuerCommand {
  readonly cardId: Uint8Array;
  readonly challenge: Uint8Array;
  readonly action: IssuerAction;
  /** New limits: present for, and only for, UpdateLimits. */
  readonly limits?: CardLimits;
  readonly time: number;
}

/** Encodes a load authorization payload. @throws CodecError on out-of-range fields (misuse). */
export function encodeLoadAuthorization(a: LoadAuthorization): Uint8Array {
  const bytes = encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.LoadAuthorization],
      [1, a.cardId],
      [2, a.challenge],
      [3, a.amount],
      [4, a.currency],
      [5, a.loadId],
      [6, a.time],
      [7, a.counter],
    ]),
  );
  decodeLoadAuthorization(bytes);
  return bytes;
}

/** Decodes a load authorization payload. @throws CodecError */
export function decodeLoadAuthorization(payload: Uint8Array): LoadAuthorization {
  const r = new MapReader(decodePayload(payload, Limits.issuerMessageBytes, 'LoadAuthorization'), 'LoadAuthorization');
  r.messageType(MessageType.LoadAuthorization);
  const a = {
    cardId: r.bytes(1, ID_LENGTH),
    challenge: r.bytes(2, NONCE_LENGTH),
    amount: r.uint(3, Limits.maxCardAmount, 1),
    currency: r.uint(4, 999),
    loadId: r.bytes(5, NONCE_LENGTH),
    time: r.uint(6, Limits.maxTime),
    // A load takes the counter to counter + 1, so a card at maxCounter can execute none.
    counter: r.uint(7, Limits.maxCounter - 1),
  };
  r.done();
  return a;
}

/** Encodes an issuer command payload. @throws CodecError on inconsistent fields (misuse). */
export function encodeIssuerCommand(c: IssuerCommand): Uint8Array {
  const m = new Map<number, CborValue>([
    [0, MessageType.IssuerCommand],
    [1, c.cardId],
    [2, c.challenge],
    [3, c.action],
    [5, c.time],
  ]);
  if (c.limits !== undefined) m.set(4, cardLimitsMap(c.limits));
  const bytes = encodeCbor(m);
  decodeIssuerCommand(bytes);
  return bytes;
}

/** Decodes an issuer command payload. @throws CodecError */
export function decodeIssuerCommand(payload: Uint8Array): IssuerCommand {
  const r = new MapReader(decodePayload(payload, Limits.issuerMessageBytes, 'IssuerCommand'), 'IssuerCommand');
  r.messageType(MessageType.IssuerCommand);
  const cardId = r.bytes(1, ID_LENGTH);
  const challenge = r.bytes(2, NONCE_LENGTH);
  const action = r.uint(3, IssuerAction.UpdateLimits, IssuerAction.Lock) as IssuerAction;
  const limits = r.has(4) ? r.nested(4, readCardLimitFields) : undefined;
  const time = r.uint(5, Limits.maxTime);
  r.done();
  if ((action === IssuerAction.UpdateLimits) !== (limits !== undefined)) {
    throw new CodecError(
      CodecErrorCode.Inconsistent,
      'IssuerCommand: limits are required for, and only for, UpdateLimits',
      { detail: { path: 'IssuerCommand.4' } },
    );
  }
  return { cardId, challenge, action, ...(limits && { limits }), time };
}
