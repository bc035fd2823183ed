import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader, checkBytes } from '../codec/map-reader.js';
import { ID_LENGTH, NONCE_LENGTH } from '../ids/identifiers.js';
import { cardLimitsMap, readCardLimitFields, type CardLimits } from './certificate.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';

/** Bits of the card's status flags. */
export const CardStatusFlag = { Locked: 0x01 } as const;

/** The card's public state, as SELECT and GET STATE and issuer commands report it. */
export interface CardPublicState {
  readonly balance: number;
  /** Counter of the last value-changing operation (0 before the first). */
  readonly counter: number;
  /** Bit set of CardStatusFlag. */
  readonly flags: number;
  /** Offline payments since the last online contact (load or issuer reset). */
  readonly offlineCount: number;
  /** Offline amount since the last online contact. */
  readonly offlineAmount: number;
  /** Limits in force (the certificate's, unless the issuer updated them). */
  readonly limits: CardLimits;
}

/** SELECT's answer: the card's certificate (COSE_Sign1 bytes) and its public state. */
export interface SelectResponse {
  readonly certificate: Uint8Array;
  readonly state: CardPublicState;
}

/** GET CHALLENGE's answer: a fresh challenge for one LOAD or issuer command, with the card's id and counter. */
export interface CardChallenge {
  readonly challenge: Uint8Array;
  readonly cardId: Uint8Array;
  readonly counter: number;
}

function stateMap(s: CardPublicState): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [1, s.balance],
    [2, s.counter],
    [3, s.flags],
    [4, s.offlineCount],
    [5, s.offlineAmount],
    [6, cardLimitsMap(s.limits)],
  ]);
}

function readState(r: MapReader): CardPublicState {
  return {
    balance: r.uint(1, Limits.maxCardAmount),
    counter: r.uint(2, Limits.maxCounter),
    flags: r.uint(3, 0xff),
    offlineCount: r.uint(4, 0xffff),
    offlineAmount: r.uint(5, Limits.maxCardAmount),
    limits: r.nested(6, readCardLimitFields),
  };
}

/** Encodes the public state (GET STATE, ISSUER COMMAND answers). */
export function encodeCardState(s: CardPublicState): Uint8Array {
  return encodeCbor(stateMap(s));
}

/** Decodes the public state. @throws CodecError */
export function decodeCardState(bytes: Uint8Array): CardPublicState {
  const r = new MapReader(decodePayload(bytes, Limits.selectResponseBytes, 'CardState'), 'CardState');
  const s = readState(r);
  r.done();
  return s;
}

/** Encodes SELECT's answer. @throws CodecError if it would not fit one short R-APDU (misuse: limits are bounded). */
export function encodeSelectResponse(s: SelectResponse): Uint8Array {
  const bytes = encodeCbor(
    new Map<number, CborValue>([
      [1, s.certificate],
      [2, stateMap(s.state)],
    ]),
  );
  decodeSelectResponse(bytes);
  return bytes;
}

/** Decodes SELECT's answer (the certificate is returned as bytes, to be verified by the caller). @throws CodecError */
export function decodeSelectResponse(bytes: Uint8Array): SelectResponse {
  const r = new MapReader(decodePayload(bytes, Limits.selectResponseBytes, 'SelectResponse'), 'SelectResponse');
  const certificate = r.bytes(1, { min: 1, max: Limits.certificateBytes });
  const state = r.nested(2, readState);
  r.done();
  return { certificate, state };
}

/** Encodes GET CHALLENGE's answer. */
export function encodeCardChallenge(c: CardChallenge): Uint8Array {
  return encodeCbor(
    new Map<number, CborValue>([
      [1, c.challenge],
      [2, c.cardId],
      [3, c.counter],
    ]),
  );
}

/** Decodes GET CHALLENGE's answer. @throws CodecError */
export function decodeCardChallenge(bytes: Uint8Array): CardChallenge {
  const r = new MapReader(decodePayload(bytes, Limits.cardChallengeBytes, 'CardChallenge'), 'CardChallenge');
  const c = {
    challenge: checkBytes(r.any(1), NONCE_LENGTH, 'CardChallenge.1'),
    cardId: r.bytes(2, ID_LENGTH),
    counter: r.uint(3, Limits.maxCounter),
  };
  r.done();
  return c;
}
