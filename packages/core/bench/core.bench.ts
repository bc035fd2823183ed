import {
  Currency,
  ES256_PROTECTED_HEADER,
  Role,
  coseSigStructure,
  createSigner,
  decodeCardReceipt,
  decodeCbor,
  decodeCoseSign1,
  encodeCardReceipt,
  encodeSelectResponse,
  nobleVerifier,
  privateKeyFromSeed,
  signCoseSign1,
  type PayReceipt,
} from '../src/index.js';
import { certifyLeaf, createDevScheme, devId } from '../src/testing.js';
import { createNodeVerifier } from '../src/node.js';
import type { BenchRow } from '@ehkd/bench-kit';
import { opsPerSecond } from '@ehkd/bench-kit';

/** Short APDU response data limit (Le = 00 means 256 bytes). */
const SHORT_RESPONSE = 256;

/** Core figures: signing and verification per back end, receipt encode/decode, wire sizes. */
export async function run(): Promise<BenchRow[]> {
  const scheme = createDevScheme(new Uint8Array(32).fill(1));
  const card = createSigner(privateKeyFromSeed(new Uint8Array(32), 'bench-card'));
  const profile = {
    currency: Currency.HKD,
    maxBalance: 300_000,
    maxPayment: 50_000,
    maxOfflineCount: 10,
    maxOfflineAmount: 100_000,
  };
  const cardCert = certifyLeaf(scheme.issuer, {
    role: Role.Card,
    subject: devId(3, 1),
    publicKey: card.publicKey,
    card: profile,
  });
  const receipt: PayReceipt = {
    kind: 'pay',
    cardId: devId(3, 1),
    counter: 123_456,
    amount: 4_250,
    currency: Currency.HKD,
    payee: devId(5, 1),
    nonce: new Uint8Array(16).fill(9),
    time: 1_790_000_000,
    balanceAfter: 287_650,
    prevHash: new Uint8Array(32).fill(7),
  };
  const payload = encodeCardReceipt(receipt);
  const cose = signCoseSign1(card, payload);
  const msg = decodeCoseSign1(cose, 512);
  const tbs = coseSigStructure(ES256_PROTECTED_HEADER, payload);
  const node = createNodeVerifier();
  const select = encodeSelectResponse({
    certificate: cardCert,
    state: { balance: 287_650, counter: 123_456, flags: 0, offlineCount: 9, offlineAmount: 99_999, limits: profile },
  });

  const nobleSign = opsPerSecond(() => card.sign(tbs));
  const nobleVerify = opsPerSecond(() => nobleVerifier.verify(card.publicKey, tbs, msg.signature));
  const nodeVerify = opsPerSecond(() => node.verify(card.publicKey, tbs, msg.signature));
  const row = (name: string, value: number, unit: string, extra: Partial<BenchRow> = {}): BenchRow => ({
    section: 'core',
    name,
    value,
    unit,
    ...extra,
  });
  return [
    row('ES256 sign (noble)', nobleSign, 'ops/s'),
    row('ES256 verify (noble)', nobleVerify, 'ops/s', {
      limit: { name: 'node:crypto verify, 1 core', value: nodeVerify },
      ratio: nobleVerify / nodeVerify,
    }),
    row('ES256 verify (node:crypto, cached key, 1 core)', nodeVerify, 'ops/s'),
    row(
      'receipt encode (deterministic CBOR + codec check)',
      opsPerSecond(() => encodeCardReceipt(receipt)),
      'ops/s',
    ),
    row(
      'receipt strict decode (CBOR + codec)',
      opsPerSecond(() => decodeCardReceipt(payload)),
      'ops/s',
    ),
    row(
      'receipt COSE_Sign1 open (strict CBOR, no signature)',
      opsPerSecond(() => decodeCoseSign1(cose, 512)),
      'ops/s',
    ),
    row(
      'strict CBOR decode of the receipt payload',
      opsPerSecond(() => decodeCbor(payload)),
      'ops/s',
    ),
    row('pay receipt size (COSE_Sign1)', cose.length, 'bytes', {
      limit: { name: 'short R-APDU data', value: SHORT_RESPONSE },
      ratio: cose.length / SHORT_RESPONSE,
    }),
    row('card certificate size (COSE_Sign1)', cardCert.length, 'bytes'),
    row('SELECT answer size (certificate + state)', select.length, 'bytes', {
      limit: { name: 'short R-APDU data', value: SHORT_RESPONSE },
      ratio: select.length / SHORT_RESPONSE,
    }),
  ];
}
