/**
 * GET RESPONSE / wrong-Le handling against in-process cards (no PC/SC needed): the real test
 * applet, and hostile cards whose answers a reader would pass through unchanged.
 */
import { TransportError, TransportErrorCode } from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { exchangeApdu, MAX_CHAINED_RESPONSE_BYTES } from '../src/index.js';
import { SELECT_TEST_APPLET, statusOf, TestApplet, TestIns } from './support/test-applet.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A card that records what it receives and answers from a script. */
function scripted(answers: (command: Uint8Array, index: number) => number[]): {
  sent: Uint8Array[];
  transmit: (command: Uint8Array) => Promise<Uint8Array>;
} {
  const sent: Uint8Array[] = [];
  return {
    sent,
    transmit: async (command) => {
      sent.push(command);
      return Uint8Array.from(answers(command, sent.length - 1));
    },
  };
}

describe('exchangeApdu', () => {
  it('concatenates a 61xx chain of the test applet, including a 61 00 (256 or more left) step', async () => {
    const applet = new TestApplet();
    applet.powerOn();
    const transmit = async (command: Uint8Array): Promise<Uint8Array> => applet.process(command);
    expect(statusOf(await exchangeApdu(SELECT_TEST_APPLET, transmit))).toBe(0x9000);
    const response = await exchangeApdu(Uint8Array.of(0x80, TestIns.Chained, 0x04, 0x00), transmit);
    expect(response.length).toBe(1024 + 2);
    expect(response.subarray(0, 1024).every((byte, i) => byte === (i & 0xff))).toBe(true);
    expect(statusOf(response)).toBe(0x9000);
    const getResponses = applet.commands.filter((command) => command[1] === 0xc0);
    expect(getResponses.map((command) => command[4])).toEqual([0x00, 0x00, 0x00, 0xe0, 0x18]);
  });

  it('resends with Le = xx after 6Cxx, for every short APDU case', async () => {
    for (const [command, resent] of [
      ['80140000', '8014000020'], // case 1: Le appended
      ['8014000005', '8014000020'], // case 2: Le replaced
      ['80140000020102', '8014000002010220'], // case 3: Le appended after the data
      ['8014000002010205', '8014000002010220'], // case 4: Le replaced
    ] as const) {
      const card = scripted((_, index) => (index === 0 ? [0x6c, 0x20] : [0xaa, 0x90, 0x00]));
      const response = await exchangeApdu(Buffer.from(command, 'hex'), card.transmit);
      expect(hex(response)).toBe('aa9000');
      expect(card.sent.map(hex)).toEqual([command, resent]);
    }
  });

  it('resends only once, and leaves an extended APDU with 6Cxx alone', async () => {
    const stubborn = scripted(() => [0x6c, 0x10]);
    expect(hex(await exchangeApdu(Uint8Array.of(0x80, 0x14, 0, 0, 5), stubborn.transmit))).toBe('6c10');
    expect(stubborn.sent.length).toBe(2);
    const extended = scripted(() => [0x6c, 0x10]);
    await exchangeApdu(Uint8Array.of(0x80, 0x14, 0, 0, 0, 0, 5), extended.transmit);
    expect(extended.sent.length).toBe(1);
  });

  it('sends GET RESPONSE on the logical channel of the command', async () => {
    for (const [cla, expected] of [
      [0x00, 0x00],
      [0x03, 0x03],
      [0x0c, 0x00], // channel 0 with secure messaging bits
      [0x45, 0x45], // further interindustry class, channel 9
      [0x80, 0x00], // proprietary
    ] as const) {
      const card = scripted((_, index) => (index === 0 ? [0x01, 0x61, 0x01] : [0x02, 0x90, 0x00]));
      expect(hex(await exchangeApdu(Uint8Array.of(cla, 0x10, 0, 0), card.transmit))).toBe('01029000');
      expect(hex(card.sent[1]!)).toBe(hex(Uint8Array.of(expected, 0xc0, 0x00, 0x00, 0x01)));
    }
  });

  it('fixes the Le of GET RESPONSE itself after 6Cxx', async () => {
    const card = scripted((command, index) => {
      if (index === 0) return [0x61, 0x00];
      if (command[4] === 0x00) return [0x6c, 0x03];
      return [1, 2, 3, 0x90, 0x00];
    });
    expect(hex(await exchangeApdu(Uint8Array.of(0x80, 0x10, 0, 0), card.transmit))).toBe('0102039000');
    expect(card.sent.map(hex)).toEqual(['80100000', '00c0000000', '00c0000003']);
  });

  it('stops a card that chains 61xx forever with MALFORMED_RESPONSE', async () => {
    const endless = scripted(() => [...new Array<number>(255).fill(0x42), 0x61, 0xff]);
    const error = await exchangeApdu(Uint8Array.of(0x80, 0x10, 0, 0), endless.transmit).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe(TransportErrorCode.MalformedResponse);
    expect(endless.sent.length).toBeLessThanOrEqual(Math.ceil(MAX_CHAINED_RESPONSE_BYTES / 255) + 2);
  });

  it('rejects an answer shorter than SW1 SW2 with MALFORMED_RESPONSE', async () => {
    for (const answer of [[], [0x90]]) {
      const card = scripted(() => answer);
      const error = await exchangeApdu(Uint8Array.of(0x80, 0x10, 0, 0), card.transmit).catch(
        (caught: unknown) => caught,
      );
      expect((error as TransportError).code).toBe(TransportErrorCode.MalformedResponse);
    }
  });
});
