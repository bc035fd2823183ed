/** Response APDUs: data followed by SW1 SW2, the status word as a number. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatusWord } from '../src/apdu/command-set.js';
import { MAX_SHORT_RESPONSE_DATA, buildResponseApdu, parseResponseApdu } from '../src/apdu/response-apdu.js';
import { TransportError, TransportErrorCode } from '../src/transport/transport-error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('response APDUs', () => {
  it('splits data and status word', () => {
    expect(parseResponseApdu(Uint8Array.of(0x90, 0x00))).toMatchObject({ sw: StatusWord.Ok });
    const r = parseResponseApdu(Uint8Array.of(0xaa, 0xbb, 0x9f, 0x01));
    expect(r.sw).toBe(StatusWord.InsufficientFunds);
    expect(hex(r.data)).toBe('aabb');
  });

  it('refuses fewer than 2 bytes with MALFORMED_RESPONSE', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0x90)]) {
      let error: unknown;
      try {
        parseResponseApdu(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe(TransportErrorCode.MalformedResponse);
    }
  });

  it('builds what it parses', () => {
    expect(hex(buildResponseApdu(StatusWord.WrongLength))).toBe('6700');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: MAX_SHORT_RESPONSE_DATA }),
        (sw, data) => {
          const r = parseResponseApdu(buildResponseApdu(sw, data));
          expect(r.sw).toBe(sw);
          expect(hex(r.data)).toBe(hex(data));
        },
      ),
    );
  });

  it('refuses status words outside 16 bits and data beyond a short response (misuse)', () => {
    expect(() => buildResponseApdu(0x10000)).toThrow(RangeError);
    expect(() => buildResponseApdu(-1)).toThrow(RangeError);
    expect(() => buildResponseApdu(StatusWord.Ok, new Uint8Array(257))).toThrow(RangeError);
  });
});
