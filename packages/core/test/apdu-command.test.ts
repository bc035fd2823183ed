/** ISO/IEC 7816-4 section 5.1 short command APDUs: the four cases, Le = 00 as 256, and every malformed length. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommandApduProblem,
  MAX_SHORT_COMMAND_DATA,
  buildCommandApdu,
  parseCommandApdu,
} from '../src/apdu/command-apdu.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s/g, ''), 'hex'));

describe('parseCommandApdu', () => {
  it('recognises the four short cases', () => {
    expect(parseCommandApdu(bytes('80 5c 00 00'))).toEqual({
      ok: true,
      apdu: { cla: 0x80, ins: 0x5c, p1: 0, p2: 0, case: 1, data: new Uint8Array(0), ne: 0 },
    });
    expect(parseCommandApdu(bytes('80 5c 00 00 00'))).toMatchObject({ ok: true, apdu: { case: 2, ne: 256 } });
    expect(parseCommandApdu(bytes('80 5c 00 00 23'))).toMatchObject({ ok: true, apdu: { case: 2, ne: 0x23 } });
    const c3 = parseCommandApdu(bytes('00 a4 04 00 06 f0 65 48 4b 44 01'));
    expect(c3).toMatchObject({ ok: true, apdu: { cla: 0, ins: 0xa4, p1: 4, p2: 0, case: 3, ne: 0 } });
    if (c3.ok) expect(hex(c3.apdu.data)).toBe('f065484b4401');
    const c4 = parseCommandApdu(bytes('80 52 00 00 02 aa bb 00'));
    expect(c4).toMatchObject({ ok: true, apdu: { case: 4, ne: 256 } });
    if (c4.ok) expect(hex(c4.apdu.data)).toBe('aabb');
    expect(parseCommandApdu(bytes('80 52 00 00 02 aa bb fe'))).toMatchObject({ ok: true, apdu: { case: 4, ne: 254 } });
  });

  it('reports fewer than 4 bytes as too short, without a header', () => {
    for (const h of ['', '80', '80 5c', '80 5c 00'])
      expect(parseCommandApdu(bytes(h))).toEqual({ ok: false, problem: CommandApduProblem.TooShort });
  });

  it('reports extended-length APDUs, with the header so a card can check CLA and INS first', () => {
    for (const h of [
      '80 5c 00 00 00 01 00',
      '80 50 00 00 00 00 02 aa bb',
      '80 50 00 00 00 00 02 aa bb 00 00',
      '80 50 00 00 00 ff',
    ]) {
      expect(parseCommandApdu(bytes(h))).toEqual({
        ok: false,
        problem: CommandApduProblem.ExtendedLength,
        header: { cla: 0x80, ins: h.startsWith('80 5c') ? 0x5c : 0x50, p1: 0, p2: 0 },
      });
    }
  });

  it('reports Lc that does not match the bytes that follow', () => {
    for (const h of [
      '80 50 00 00 03 aa bb',
      '80 50 00 00 01 aa bb cc',
      '80 50 00 00 02 aa bb cc dd',
      '80 50 00 00 ff aa',
    ]) {
      expect(parseCommandApdu(bytes(h))).toMatchObject({
        ok: false,
        problem: CommandApduProblem.LengthMismatch,
        header: { cla: 0x80, ins: 0x50 },
      });
    }
  });

  it('copies the data, so the caller may reuse its buffer', () => {
    const buffer = bytes('80 52 00 00 02 aa bb 00');
    const r = parseCommandApdu(buffer);
    buffer.fill(0);
    expect(r.ok && hex(r.apdu.data)).toBe('aabb');
  });

  it('never throws, and is total: every input is exactly one of the cases or problems', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const r = parseCommandApdu(input);
        if (!r.ok) return;
        expect(hex(buildCommandApdu(r.apdu))).toBe(hex(input));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('buildCommandApdu', () => {
  it('builds each case, Ne 256 as Le 00', () => {
    expect(hex(buildCommandApdu({ cla: 0x80, ins: 0x5c, p1: 0, p2: 0 }))).toBe('805c0000');
    expect(hex(buildCommandApdu({ cla: 0x80, ins: 0x5c, p1: 0, p2: 0, ne: 256 }))).toBe('805c000000');
    expect(hex(buildCommandApdu({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data: bytes('f065484b4401') }))).toBe(
      '00a4040006f065484b4401',
    );
    expect(hex(buildCommandApdu({ cla: 0x00, ins: 0xa4, p1: 4, p2: 0, data: bytes('f065484b4401'), ne: 256 }))).toBe(
      '00a4040006f065484b440100',
    );
  });

  it('round-trips through parseCommandApdu for every valid combination', () => {
    fc.assert(
      fc.property(
        fc.record({
          cla: fc.integer({ min: 0, max: 255 }),
          ins: fc.integer({ min: 0, max: 255 }),
          p1: fc.integer({ min: 0, max: 255 }),
          p2: fc.integer({ min: 0, max: 255 }),
          data: fc.uint8Array({ maxLength: MAX_SHORT_COMMAND_DATA }),
          ne: fc.integer({ min: 0, max: 256 }),
        }),
        (c) => {
          const r = parseCommandApdu(buildCommandApdu(c));
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect({ ...r.apdu, data: hex(r.apdu.data) }).toEqual({
            ...c,
            data: hex(c.data),
            case: (c.data.length > 0 ? 3 : 1) + (c.ne > 0 ? 1 : 0),
          });
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('refuses what a short APDU cannot carry (misuse)', () => {
    expect(() => buildCommandApdu({ cla: 0x80, ins: 0x50, p1: 0, p2: 0, data: new Uint8Array(256) })).toThrow(
      RangeError,
    );
    expect(() => buildCommandApdu({ cla: 0x80, ins: 0x50, p1: 0, p2: 0, ne: 257 })).toThrow(RangeError);
    expect(() => buildCommandApdu({ cla: 0x80, ins: 0x50, p1: 0, p2: 0, ne: -1 })).toThrow(RangeError);
    expect(() => buildCommandApdu({ cla: 0x100, ins: 0x50, p1: 0, p2: 0 })).toThrow(RangeError);
    expect(() => buildCommandApdu({ cla: 0x80, ins: 0x50, p1: 1.5, p2: 0 })).toThrow(RangeError);
  });
});
