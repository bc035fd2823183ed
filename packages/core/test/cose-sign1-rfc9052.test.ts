import { createVerify } from 'node:crypto';
import { decode as cbor2Decode, encode as cbor2Encode } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import {
  CborTag,
  CoseError,
  CoseErrorCode,
  ES256_PROTECTED_HEADER,
  decodeCoseSign1,
  encodeCbor,
  nobleVerifier,
  payloadId,
  signCoseSign1,
  verifyCoseSign1,
} from '../src/index.js';
import { scheme } from './support/fixture.js';

const payload = encodeCbor(
  new Map<number, string | Uint8Array>([
    [1, 'hello'],
    [2, new Uint8Array(8)],
  ]),
);
const signer = scheme.issuer.signer;

function rebuild(parts: unknown[], tag = 18): Uint8Array {
  return encodeCbor(new CborTag(tag, parts as never));
}

describe('COSE_Sign1 ES256 (RFC 9052 section 4.2)', () => {
  // spec R3: signatures verify over the bytes received.
  it('signs and verifies over the bytes received', () => {
    const msg = decodeCoseSign1(signCoseSign1(signer, payload), 1024);
    expect(msg.protectedBytes).toEqual(ES256_PROTECTED_HEADER);
    expect(verifyCoseSign1(msg, signer.publicKey, nobleVerifier)).toBe(true);
    expect(verifyCoseSign1(msg, scheme.root.signer.publicKey, nobleVerifier)).toBe(false);
  });

  it('is verifiable by an independent COSE path (cbor2 + OpenSSL), as any other library would', () => {
    const bytes = signCoseSign1(signer, payload);
    const tagged = cbor2Decode(bytes) as { tag: number; contents: Uint8Array[] };
    expect(tagged.tag).toBe(18);
    const [prot, , pl, sig] = tagged.contents as [Uint8Array, unknown, Uint8Array, Uint8Array];
    const toBeSigned = cbor2Encode(['Signature1', prot, new Uint8Array(0), pl]);
    const spki = Buffer.concat([
      Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'),
      signer.publicKey,
    ]);
    const v = createVerify('sha256');
    v.update(toBeSigned);
    expect(v.verify({ key: spki, format: 'der', type: 'spki', dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });

  // spec R6: high-S signatures are valid.
  it('accepts a high-S re-encoding of the signature and gives it the same identity', () => {
    const bytes = signCoseSign1(signer, payload);
    const msg = decodeCoseSign1(bytes, 1024);
    const sig = p256.Signature.fromBytes(msg.signature, 'compact');
    const flipped = new p256.Signature(sig.r, p256.Point.CURVE().n - sig.s).toBytes('compact');
    const malleated = decodeCoseSign1(rebuild([msg.protectedBytes, new Map(), msg.payload, flipped]), 1024);
    expect(verifyCoseSign1(malleated, signer.publicKey, nobleVerifier)).toBe(true);
    expect(malleated.signature).not.toEqual(msg.signature);
    expect(payloadId(malleated)).toEqual(payloadId(msg));
  });

  it('detects a tampered payload', () => {
    const msg = decodeCoseSign1(signCoseSign1(signer, payload), 1024);
    const tampered = Uint8Array.from(msg.payload);
    tampered[tampered.length - 1] ^= 1;
    expect(verifyCoseSign1({ ...msg, payload: tampered }, signer.publicKey, nobleVerifier)).toBe(false);
  });

  const sig64 = new Uint8Array(64);
  const cases: [string, Uint8Array, string][] = [
    ['untagged', encodeCbor([ES256_PROTECTED_HEADER, new Map(), payload, sig64]), CoseErrorCode.Structure],
    [
      'wrong tag (COSE_Sign = 98)',
      rebuild([ES256_PROTECTED_HEADER, new Map(), payload, sig64], 98),
      CoseErrorCode.MalformedCbor,
    ],
    ['three items', rebuild([ES256_PROTECTED_HEADER, new Map(), payload]), CoseErrorCode.Structure],
    [
      'alg ES384 (-35)',
      rebuild([encodeCbor(new Map([[1, -35]])), new Map(), payload, sig64]),
      CoseErrorCode.UnsupportedHeader,
    ],
    [
      // spec R5: any protected header other than a1 01 26 is refused.
      'empty protected header',
      rebuild([new Uint8Array(0), new Map(), payload, sig64]),
      CoseErrorCode.UnsupportedHeader,
    ],
    [
      'kid in unprotected header',
      rebuild([ES256_PROTECTED_HEADER, new Map([[4, new Uint8Array(2)]]), payload, sig64]),
      CoseErrorCode.UnsupportedHeader,
    ],
    ['detached payload', rebuild([ES256_PROTECTED_HEADER, new Map(), null, sig64]), CoseErrorCode.DetachedPayload],
    [
      'DER signature length',
      rebuild([ES256_PROTECTED_HEADER, new Map(), payload, new Uint8Array(70)]),
      CoseErrorCode.SignatureLength,
    ],
    ['text payload', rebuild([ES256_PROTECTED_HEADER, new Map(), 'x', sig64]), CoseErrorCode.Structure],
    ['trailing byte', Uint8Array.of(...signCoseSign1(signer, payload), 0), CoseErrorCode.MalformedCbor],
  ];
  it.each(cases)('rejects %s', (_name, bytes, code) => {
    expect(() => decodeCoseSign1(bytes, 1024)).toThrowError(CoseError);
    try {
      decodeCoseSign1(bytes, 1024);
    } catch (e) {
      expect((e as CoseError).code).toBe(code);
    }
  });

  it('refuses input above the size limit before decoding', () => {
    const bytes = signCoseSign1(signer, payload);
    expect(() => decodeCoseSign1(bytes, bytes.length - 1)).toThrowError(CoseError);
  });
});
