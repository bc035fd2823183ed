import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader, checkBytes } from '../codec/map-reader.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/**
 * A trust-anchor bundle (message type 9, unsigned: every certificate in it is signed and is verified
 * against the root the receiver already pins): the root certificate plus issuer and acquirer certificates.
 */
export interface TrustAnchorBundle {
  readonly root: Uint8Array;
  readonly certificates: readonly Uint8Array[];
}

/** Encodes a trust-anchor bundle. */
export function encodeTrustAnchorBundle(b: TrustAnchorBundle): Uint8Array {
  return encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.TrustAnchors],
      [1, b.root],
      [2, [...b.certificates]],
    ]),
  );
}

/** Decodes a trust-anchor bundle (certificates stay bytes until verified). @throws CodecError */
export function decodeTrustAnchorBundle(bytes: Uint8Array): TrustAnchorBundle {
  const max = Limits.certificateBytes * (Limits.trustAnchorCertificates + 1) + 64;
  const r = new MapReader(
    decodePayload(bytes, max, 'TrustAnchors', { maxItems: Limits.trustAnchorCertificates }),
    'TrustAnchors',
  );
  r.messageType(MessageType.TrustAnchors);
  const b = {
    root: r.bytes(1, { min: 1, max: Limits.certificateBytes }),
    certificates: r.array(2, Limits.trustAnchorCertificates, (v, p) =>
      checkBytes(v, { min: 1, max: Limits.certificateBytes }, p),
    ),
  };
  r.done();
  return b;
}
