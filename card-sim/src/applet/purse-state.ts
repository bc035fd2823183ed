import {
  CardStatusFlag,
  CodecError,
  CborError,
  HASH_LENGTH,
  ID_LENGTH,
  Limits,
  MapReader,
  NONCE_LENGTH,
  P256_COMPRESSED_KEY_LENGTH,
  cardLimitsMap,
  checkBytes,
  decodeCbor,
  encodeCbor,
  readCardLimitFields,
  type CardLimits,
  type CardPublicState,
  type CborValue,
} from '@ehkd/core';
import { CardError, CardErrorCode } from '../card-error.js';

/** Receipts the card keeps (pay and load, newest first): READ LOG P1 = 1..LOG_CAPACITY. */
export const LOG_CAPACITY = 16;

/** One logged receipt. `nonce` is the terminal nonce of a payment (absent for loads): RECOVER looks it up. */
export interface LogEntry {
  readonly nonce?: Uint8Array;
  /** The signed receipt (COSE_Sign1 bytes) exactly as released, or as it would have been released. */
  readonly receipt: Uint8Array;
}

/**
 * Everything the card keeps across power cycles (its EEPROM). Written only as a whole, atomically,
 * by a CardStore. Volatile state (selection, pending challenge) lives in the applet, not here.
 */
export interface PurseState {
  readonly cardId: Uint8Array;
  /** The card's P-256 private key: never leaves the card (except through `clone`, the attacker's tool). */
  readonly privateKey: Uint8Array;
  /** The card certificate (COSE_Sign1 bytes), returned by SELECT. */
  readonly certificate: Uint8Array;
  readonly issuerId: Uint8Array;
  /** Compressed key that must have signed LOAD authorizations and issuer commands. */
  readonly issuerPublicKey: Uint8Array;
  readonly currency: number;
  readonly balance: number;
  /** Counter of the last value-changing operation (0 before the first). */
  readonly counter: number;
  /** SHA-256 of the last receipt's payload (GENESIS_HASH before the first). */
  readonly lastHash: Uint8Array;
  /** CardStatusFlag bits. */
  readonly flags: number;
  readonly offlineCount: number;
  readonly offlineAmount: number;
  readonly limits: CardLimits;
  /** Newest first, at most LOG_CAPACITY entries. */
  readonly log: readonly LogEntry[];
}

/** Version of the persisted state encoding (key 0); a card file of another version is refused. */
const STATE_FORMAT = 1;
/** Generous bound of an encoded state: certificate, key, ids and 16 receipts with nonces. */
export const MAX_STATE_BYTES = 8 * 1024;

/** The card's public state as SELECT, GET STATE and issuer commands report it. */
export function publicState(s: PurseState): CardPublicState {
  return {
    balance: s.balance,
    counter: s.counter,
    flags: s.flags,
    offlineCount: s.offlineCount,
    offlineAmount: s.offlineAmount,
    limits: s.limits,
  };
}

/** True if the issuer has locked the card. */
export function isLocked(s: PurseState): boolean {
  return (s.flags & CardStatusFlag.Locked) !== 0;
}

/**
 * Deterministic CBOR of the whole state: the bytes a CardStore commits, and the form in which tests
 * compare states ("exactly before or exactly after").
 */
export function encodePurseState(s: PurseState): Uint8Array {
  const log = s.log.map((e) => (e.nonce === undefined ? [e.receipt] : [e.receipt, e.nonce]));
  return encodeCbor(
    new Map<number, CborValue>([
      [0, STATE_FORMAT],
      [1, s.cardId],
      [2, s.privateKey],
      [3, s.certificate],
      [4, s.issuerId],
      [5, s.issuerPublicKey],
      [6, s.currency],
      [7, s.balance],
      [8, s.counter],
      [9, s.lastHash],
      [10, s.flags],
      [11, s.offlineCount],
      [12, s.offlineAmount],
      [13, cardLimitsMap(s.limits)],
      [14, log],
    ]),
  );
}

/**
 * Decodes a committed state strictly (a store hands over bytes whose checksum matched; this catches
 * files from other programs or versions).
 * @throws CardError CORRUPT_STATE
 */
export function decodePurseState(bytes: Uint8Array): PurseState {
  try {
    const r = new MapReader(decodeCbor(bytes, { maxBytes: MAX_STATE_BYTES, maxDepth: 4, maxItems: 64 }), 'PurseState');
    if (r.uint(0, 0xff) !== STATE_FORMAT)
      throw new CardError(CardErrorCode.CorruptState, `unsupported card state format`);
    const s: PurseState = {
      cardId: r.bytes(1, ID_LENGTH),
      privateKey: r.bytes(2, 32),
      certificate: r.bytes(3, { min: 1, max: Limits.certificateBytes }),
      issuerId: r.bytes(4, ID_LENGTH),
      issuerPublicKey: r.bytes(5, P256_COMPRESSED_KEY_LENGTH),
      currency: r.uint(6, 999),
      balance: r.uint(7, Limits.maxCardAmount),
      counter: r.uint(8, Limits.maxCounter),
      lastHash: r.bytes(9, HASH_LENGTH),
      flags: r.uint(10, 0xff),
      offlineCount: r.uint(11, 0xffff),
      offlineAmount: r.uint(12, Limits.maxCardAmount),
      limits: r.nested(13, readCardLimitFields),
      log: r.array(14, LOG_CAPACITY, (v, path) => {
        if (!Array.isArray(v) || v.length < 1 || v.length > 2)
          throw new CardError(CardErrorCode.CorruptState, `${path}: a log entry is [receipt] or [receipt, nonce]`);
        const receipt = checkBytes(v[0], { min: 1, max: Limits.receiptBytes }, `${path}[0]`);
        return v.length === 1 ? { receipt } : { receipt, nonce: checkBytes(v[1], NONCE_LENGTH, `${path}[1]`) };
      }),
    };
    r.done();
    return s;
  } catch (e) {
    if (e instanceof CardError) throw e;
    if (e instanceof CodecError || e instanceof CborError)
      throw new CardError(CardErrorCode.CorruptState, `card state does not decode: ${e.message}`, { cause: e });
    throw e;
  }
}
