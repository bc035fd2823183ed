import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { createSigner, nobleVerifier, privateKeyFromSeed } from '../src/index.js';
import { createNodeVerifier } from '../src/node.js';

const node = createNodeVerifier();
const n = p256.Point.CURVE().n;
const signer = createSigner(privateKeyFromSeed(new Uint8Array(32), 'differential'));
const other = createSigner(privateKeyFromSeed(new Uint8Array(32), 'other'));
const uncompressed = p256.Point.fromBytes(signer.publicKey).toBytes(false);

function both(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const a = nobleVerifier.verify(pub, msg, sig);
  const b = node.verify(pub, msg, sig);
  expect(b, `noble=${a} node=${b}`).toBe(a);
  return a;
}

function scalarBytes(x: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
}

function sigOf(r: bigint, s: bigint): Uint8Array {
  return Uint8Array.of(...scalarBytes(r), ...scalarBytes(s));
}

describe('noble and node:crypto verifiers accept and reject exactly the same inputs', () => {
  const msg = new TextEncoder().encode('receipt bytes');
  const sig = signer.sign(msg);
  const parsed = p256.Signature.fromBytes(sig, 'compact');
  const highS = parsed.s > n / 2n ? sig : sigOf(parsed.r, n - parsed.s);
  const lowS = parsed.s > n / 2n ? sigOf(parsed.r, n - parsed.s) : sig;

  const cases: [string, Uint8Array, Uint8Array, Uint8Array, boolean][] = [
    ['valid, compressed key', signer.publicKey, msg, sig, true],
    ['valid, uncompressed key', uncompressed, msg, sig, true],
    // spec R6: both verifiers accept high-S.
    ['high-S', signer.publicKey, msg, highS, true],
    ['low-S', signer.publicKey, msg, lowS, true],
    ['tampered message', signer.publicKey, Uint8Array.of(...msg, 0), sig, false],
    ['wrong key', other.publicKey, msg, sig, false],
    ['point not on the curve', Uint8Array.of(0x02, ...new Uint8Array(32).fill(0xff)), msg, sig, false],
    ['x coordinate with no point (x=5)', Uint8Array.of(0x02, ...scalarBytes(5n)), msg, sig, false],
    ['invalid SEC1 prefix 0x05', Uint8Array.of(0x05, ...signer.publicKey.subarray(1)), msg, sig, false],
    ['hybrid-form prefix 0x06', Uint8Array.of(0x06, ...uncompressed.subarray(1)), msg, sig, false],
    ['point at infinity', Uint8Array.of(0x00), msg, sig, false],
    ['key of 32 bytes', signer.publicKey.subarray(1), msg, sig, false],
    ['signature of 63 bytes', signer.publicKey, msg, sig.subarray(0, 63), false],
    ['signature of 65 bytes', signer.publicKey, msg, Uint8Array.of(...sig, 0), false],
    ['DER-encoded signature', signer.publicKey, msg, parsed.toBytes('der'), false],
    ['r = 0', signer.publicKey, msg, sigOf(0n, parsed.s), false],
    ['s = 0', signer.publicKey, msg, sigOf(parsed.r, 0n), false],
    ['r = n', signer.publicKey, msg, sigOf(n, parsed.s), false],
    ['s = n', signer.publicKey, msg, sigOf(parsed.r, n), false],
    ['r = n + 1 (above the order, still 32 bytes)', signer.publicKey, msg, sigOf(n + 1n, parsed.s), false],
    ['s = 2^256 - 1', signer.publicKey, msg, sigOf(parsed.r, 2n ** 256n - 1n), false],
    ['empty everything', new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), false],
  ];

  it.each(cases)('%s', (_name, pub, m, s, expected) => {
    expect(both(pub, m, s)).toBe(expected);
  });

  it.each(cases)(
    '%s, with the key object built ahead by prepare (WebCrypto raw import)',
    async (_name, pub, m, s, expected) => {
      const prepared = createNodeVerifier();
      await prepared.prepare([pub]);
      expect(prepared.verify(pub, m, s)).toBe(expected);
      expect(prepared.verify(pub, m, s)).toBe(nobleVerifier.verify(pub, m, s));
    },
  );

  it('prepare agrees with the DER import on random 33-byte keys (most are no point at all)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 33, maxLength: 33 }),
        fc.constantFrom(0x02, 0x03, 0x04, 0x00),
        async (pub, prefix) => {
          pub[0] = prefix;
          const prepared = createNodeVerifier();
          await prepared.prepare([pub, pub]);
          expect(prepared.verify(pub, msg, sig)).toBe(createNodeVerifier().verify(pub, msg, sig));
          expect(prepared.verify(pub, msg, sig)).toBe(nobleVerifier.verify(pub, msg, sig));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('agree on random mutations of key, message and signature', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.integer({ min: 0, max: 2 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (message, target, position, value) => {
          const s = signer.sign(message);
          const pub = Uint8Array.from(signer.publicKey);
          const m = Uint8Array.from(message);
          const mutated = target === 0 ? pub : target === 1 ? m : Uint8Array.from(s);
          if (mutated.length > 0) mutated[position % mutated.length] = value;
          both(target === 0 ? mutated : pub, target === 1 ? mutated : m, target === 2 ? mutated : s);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agree on random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 33, maxLength: 33 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (pub, m, s) => {
          both(pub, m, s);
        },
      ),
      { numRuns: 300 },
    );
  });
});
