import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { CodecError, CodecErrorCode } from '../codec/codec-error.js';
import { MapReader, checkBytes } from '../codec/map-reader.js';
import { ID_LENGTH, compareBytes } from '../ids/identifiers.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/** Payload of a deny list (message type 6), signed by an acquirer and pushed to terminals at every sync. */
export interface DenyList {
  /** The acquirer that signed it. */
  readonly signer: Uint8Array;
  /** Monotonic version: a terminal never replaces a list with one of a lower sequence. */
  readonly sequence: number;
  /** Unix seconds; terminals refuse offline payments when their list is older than their maximum age. */
  readonly issuedAt: number;
  /** Denied card ids, strictly ascending (canonical: no duplicates). */
  readonly cardIds: readonly Uint8Array[];
}

/** Encodes a deny list payload; sorts and de-duplicates the ids. */
export function encodeDenyList(d: DenyList): Uint8Array {
  const ids = [...d.cardIds]
    .sort(compareBytes)
    .filter((id, i, all) => i === 0 || compareBytes(all[i - 1] as Uint8Array, id) !== 0);
  const bytes = encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.DenyList],
      [1, d.signer],
      [2, d.sequence],
      [3, d.issuedAt],
      [4, ids],
    ]),
  );
  decodeDenyList(bytes);
  return bytes;
}

/** Decodes a deny list payload. @throws CodecError (also for unsorted or duplicate ids) */
export function decodeDenyList(payload: Uint8Array): DenyList {
  const r = new MapReader(
    decodePayload(payload, Limits.denyListBytes, 'DenyList', { maxItems: Limits.denyListEntries }),
    'DenyList',
  );
  r.messageType(MessageType.DenyList);
  const signer = r.bytes(1, ID_LENGTH);
  const sequence = r.uint(2, Number.MAX_SAFE_INTEGER);
  const issuedAt = r.uint(3, Limits.maxTime);
  const cardIds = r.array(4, Limits.denyListEntries, (v, path) => checkBytes(v, ID_LENGTH, path));
  r.done();
  for (let i = 1; i < cardIds.length; i++) {
    if (compareBytes(cardIds[i - 1] as Uint8Array, cardIds[i] as Uint8Array) >= 0) {
      throw new CodecError(CodecErrorCode.Inconsistent, 'DenyList.4: card ids must be strictly ascending', {
        detail: { path: `DenyList.4[${i}]` },
      });
    }
  }
  return { signer, sequence, issuedAt, cardIds };
}
