import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader } from '../codec/map-reader.js';
import { ID_LENGTH, NONCE_LENGTH } from '../ids/identifiers.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';

/** Data of the PAY command: what the terminal asks the card to sign. */
export interface PayCommand {
  /** Minor units, at least 1. */
  readonly amount: number;
  readonly currency: number;
  /** The terminal's id: the payee bound into the receipt. */
  readonly payee: Uint8Array;
  /** Fresh 16 random bytes per tap: binds the receipt to this tap and keys RECOVER. */
  readonly nonce: Uint8Array;
  /** Terminal time, Unix seconds (informational: cards have no clock). */
  readonly time: number;
}

/** Encodes PAY command data. @throws CodecError on out-of-range fields (misuse). */
export function encodePayCommand(c: PayCommand): Uint8Array {
  const bytes = encodeCbor(
    new Map<number, CborValue>([
      [1, c.amount],
      [2, c.currency],
      [3, c.payee],
      [4, c.nonce],
      [5, c.time],
    ]),
  );
  decodePayCommand(bytes);
  return bytes;
}

/** Decodes PAY command data. @throws CodecError */
export function decodePayCommand(bytes: Uint8Array): PayCommand {
  const r = new MapReader(decodePayload(bytes, Limits.payCommandBytes, 'PayCommand'), 'PayCommand');
  const cmd = {
    amount: r.uint(1, Limits.maxCardAmount, 1),
    currency: r.uint(2, 999),
    payee: r.bytes(3, ID_LENGTH),
    nonce: r.bytes(4, NONCE_LENGTH),
    time: r.uint(5, Limits.maxTime),
  };
  r.done();
  return cmd;
}
