import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader } from '../codec/map-reader.js';
import { ID_LENGTH } from '../ids/identifiers.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/**
 * Payload of a terminal-signed load request (message type 11): an enrolled load point asks the card's issuer,
 * through the ledger, to authorize a load it has been paid for. The signature makes the load point accountable:
 * the ledger debits the loaded value to the load point's merchant in settlement. Bound to one card challenge, so
 * it yields at most one authorization.
 */
export interface LoadRequest {
  readonly terminalId: Uint8Array;
  /** The load point's terminal certificate (COSE_Sign1 bytes). */
  readonly terminalCertificate: Uint8Array;
  /** The card's certificate (COSE_Sign1 bytes, from SELECT). */
  readonly cardCertificate: Uint8Array;
  /** The card's GET CHALLENGE answer (CardChallenge CBOR), exactly as read. */
  readonly challenge: Uint8Array;
  /** Minor units, 1 .. Limits.maxCardAmount. */
  readonly amount: number;
  readonly currency: number;
  /** The load point's clock when it asked (for logs; the ledger's clock decides validity). */
  readonly time: number;
}

/** Encodes a load request payload. @throws CodecError on out-of-limit fields (misuse). */
export function encodeLoadRequest(q: LoadRequest): Uint8Array {
  const bytes = encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.LoadRequest],
      [1, q.terminalId],
      [2, q.terminalCertificate],
      [3, q.cardCertificate],
      [4, q.challenge],
      [5, q.amount],
      [6, q.currency],
      [7, q.time],
    ]),
  );
  decodeLoadRequest(bytes);
  return bytes;
}

/** Decodes a load request payload (the nested certificates and challenge are decoded by the verifier). @throws CodecError */
export function decodeLoadRequest(payload: Uint8Array): LoadRequest {
  const r = new MapReader(decodePayload(payload, Limits.loadRequestBytes, 'LoadRequest'), 'LoadRequest');
  r.messageType(MessageType.LoadRequest);
  const q = {
    terminalId: r.bytes(1, ID_LENGTH),
    terminalCertificate: r.bytes(2, { min: 1, max: Limits.certificateBytes }),
    cardCertificate: r.bytes(3, { min: 1, max: Limits.certificateBytes }),
    challenge: r.bytes(4, { min: 1, max: Limits.cardChallengeBytes }),
    amount: r.uint(5, Limits.maxCardAmount, 1),
    currency: r.uint(6, 999),
    time: r.uint(7, Limits.maxTime),
  };
  r.done();
  return q;
}
