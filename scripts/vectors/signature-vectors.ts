import { p256 } from '@noble/curves/nist.js';
import {
  CborTag,
  CoseError,
  ES256_PROTECTED_HEADER,
  coseSigStructure,
  decodeCoseSign1,
  encodeCbor,
  nobleVerifier,
  signCoseSign1,
  verifyCoseSign1,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { hex, vscheme } from './vector-scheme.js';
import { vectorFile, type VectorFile } from './vector-file.js';

const node = createNodeVerifier();

/** test-vectors/cose-sign1-es256.json: COSE_Sign1 messages and whether they verify under the given key. */
export function coseVectors(): VectorFile {
  const signer = vscheme.issuer.signer;
  const payload = encodeCbor(
    new Map<number, string | number>([
      [1, 'offline e-HKD'],
      [2, 344],
    ]),
  );
  const good = signCoseSign1(signer, payload);
  const msg = decodeCoseSign1(good, 1024);
  const n = p256.Point.CURVE().n;
  const sig = p256.Signature.fromBytes(msg.signature, 'compact');
  const flippedS = new p256.Signature(sig.r, n - sig.s).toBytes('compact');
  const rebuild = (parts: unknown[], tag = 18) => encodeCbor(new CborTag(tag, parts as never));
  const tamperedPayload = Uint8Array.from(msg.payload);
  tamperedPayload[3] ^= 0x01;
  const cases: { comment: string; message: Uint8Array; publicKey?: Uint8Array; error?: string }[] = [
    { comment: 'valid', message: good },
    {
      comment: `valid, signature with the other S (${sig.s > n / 2n ? 'low' : 'high'}-S): same payload identity`,
      message: rebuild([msg.protectedBytes, new Map(), msg.payload, flippedS]),
    },
    {
      comment: 'payload modified after signing',
      message: rebuild([msg.protectedBytes, new Map(), tamperedPayload, msg.signature]),
      error: 'signature',
    },
    {
      comment: 'signature by another key',
      message: good,
      publicKey: vscheme.root.signer.publicKey,
      error: 'signature',
    },
    {
      comment: 'r and s swapped',
      message: rebuild([
        msg.protectedBytes,
        new Map(),
        msg.payload,
        Uint8Array.of(...msg.signature.subarray(32), ...msg.signature.subarray(0, 32)),
      ]),
      error: 'signature',
    },
    {
      comment: 's = 0',
      message: rebuild([
        msg.protectedBytes,
        new Map(),
        msg.payload,
        Uint8Array.of(...msg.signature.subarray(0, 32), ...new Uint8Array(32)),
      ]),
      error: 'signature',
    },
    {
      comment: 'signature DER-encoded instead of raw r||s',
      message: rebuild([msg.protectedBytes, new Map(), msg.payload, sig.toBytes('der')]),
      error: 'COSE_SIGNATURE_LENGTH',
    },
    {
      comment: 'untagged COSE_Sign1',
      message: encodeCbor([msg.protectedBytes, new Map(), msg.payload, msg.signature]),
      error: 'COSE_STRUCTURE',
    },
    {
      comment: 'protected header {1: -35} (ES384)',
      message: rebuild([encodeCbor(new Map([[1, -35]])), new Map(), msg.payload, msg.signature]),
      error: 'COSE_UNSUPPORTED_HEADER',
    },
    {
      comment: 'non-empty unprotected header (kid)',
      message: rebuild([msg.protectedBytes, new Map([[4, Uint8Array.of(1)]]), msg.payload, msg.signature]),
      error: 'COSE_UNSUPPORTED_HEADER',
    },
    {
      comment: 'detached payload',
      message: rebuild([msg.protectedBytes, new Map(), null, msg.signature]),
      error: 'COSE_DETACHED_PAYLOAD',
    },
    {
      comment: 'non-canonical outer CBOR (array count in long form)',
      message: Uint8Array.of(0xd2, 0x98, 0x04, ...good.subarray(2)),
      error: 'COSE_MALFORMED_CBOR',
    },
  ];
  const tests = cases.map((c) => {
    const publicKey = c.publicKey ?? signer.publicKey;
    let outcome = 'valid';
    try {
      const m = decodeCoseSign1(c.message, 1024);
      const a = verifyCoseSign1(m, publicKey, nobleVerifier);
      if (a !== verifyCoseSign1(m, publicKey, node)) throw new Error(`verifiers disagree on ${c.comment}`);
      if (!a) outcome = 'signature';
    } catch (e) {
      if (!(e instanceof CoseError)) throw e;
      outcome = e.code;
    }
    if (outcome !== (c.error ?? 'valid')) throw new Error(`cose vector ${c.comment}: got ${outcome}`);
    return {
      comment: c.comment,
      result: (c.error === undefined ? 'valid' : 'invalid') as 'valid' | 'invalid',
      ...(c.error !== undefined && { error: c.error }),
      publicKey: hex(publicKey),
      message: hex(c.message),
    };
  });
  return vectorFile(
    'cose-sign1-es256',
    "COSE_Sign1 (RFC 9052) with ES256 as profiled by docs/protocol.md: tag 18, protected header exactly h'a10126', empty unprotected map, attached payload, 64-byte r||s signature over Sig_structure [\"Signature1\", protected, h'', payload]. High-S signatures are valid.",
    {
      publicKey: 'SEC1 P-256 public key (hex)',
      message: 'the tagged COSE_Sign1 (hex)',
      error: "'signature' when the signature does not verify, else the CoseError code of the structural failure",
    },
    [
      {
        type: 'CoseSign1Verify',
        fields: { sigStructureExample: hex(coseSigStructure(ES256_PROTECTED_HEADER, payload)) },
        tests,
      },
    ],
  );
}
