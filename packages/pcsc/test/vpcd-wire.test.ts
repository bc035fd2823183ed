/** The vpcd wire format and the contactless ATR that @ehkd/card-sim/vpcd serves to pcscd. */
import { contactlessAtr, encodeFrame, FrameReader, SIMULATOR_ATR } from '@ehkd/card-sim/vpcd';
import { describe, expect, it } from 'vitest';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('contactlessAtr', () => {
  it('builds PC/SC part 3 ATRs with the right TCK', () => {
    expect(hex(contactlessAtr(Uint8Array.of()))).toBe('3b80800101');
    // A MIFARE DESFire EV1 as an ACR122U reports it.
    expect(hex(contactlessAtr(Uint8Array.of(0x80)))).toBe('3b8180018080');
    expect(hex(SIMULATOR_ATR)).toBe('3b8680018054' + '65484b44' + 'f1');
    expect(SIMULATOR_ATR.subarray(1).reduce((x, byte) => x ^ byte, 0)).toBe(0);
  });

  it('refuses more than 15 historical bytes', () => {
    expect(() => contactlessAtr(new Uint8Array(16))).toThrow(RangeError);
  });
});

describe('vpcd frames', () => {
  it('prefixes a uint16 big-endian length and refuses what does not fit', () => {
    expect(hex(encodeFrame(Uint8Array.of(0x90, 0x00)))).toBe('00029000');
    expect(encodeFrame(new Uint8Array(0xffff)).length).toBe(0x10001);
    expect(() => encodeFrame(new Uint8Array(0x10000))).toThrow(RangeError);
  });

  it('reassembles frames split and joined anywhere in the stream', () => {
    const stream = Uint8Array.of(
      ...encodeFrame(Uint8Array.of(0x04)),
      ...encodeFrame(Uint8Array.of(0x00, 0xa4, 0x04, 0x00)),
      ...encodeFrame(new Uint8Array(300).fill(7)),
      ...encodeFrame(Uint8Array.of()),
    );
    for (const cut of [1, 2, 3, 7, 64, stream.length]) {
      const reader = new FrameReader();
      const frames: Uint8Array[] = [];
      for (let i = 0; i < stream.length; i += cut) frames.push(...reader.push(stream.subarray(i, i + cut)));
      expect(frames.map((frame) => frame.length)).toEqual([1, 4, 300, 0]);
      expect(hex(frames[1]!)).toBe('00a40400');
    }
  });
});
