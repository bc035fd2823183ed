import { describe, expect, it } from 'vitest';
import { ForwardingCard, type VirtualCard } from '../src/readers/vpcd/index.js';

/** A card that records every call it gets. */
function recordingCard(): VirtualCard & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    atr: Uint8Array.of(0x3b, 0x80),
    powerOn: () => void calls.push('on'),
    powerOff: () => void calls.push('off'),
    reset: () => void calls.push('reset'),
    process: (c) => {
      calls.push(`apdu ${c[1]}`);
      return Uint8Array.of(c[1] as number, 0x90, 0x00);
    },
  };
}

describe('ForwardingCard', () => {
  it('forwards the ATR, power, reset and every C-APDU unchanged when nothing intercepts', async () => {
    const inner = recordingCard();
    const card = new ForwardingCard(inner);
    card.powerOn();
    expect(card.atr).toEqual(inner.atr);
    expect(await card.process(Uint8Array.of(0x80, 0x50))).toEqual(Uint8Array.of(0x50, 0x90, 0x00));
    card.reset();
    card.powerOff();
    expect(inner.calls).toEqual(['on', 'apdu 80', 'reset', 'off']);
  });

  it('lets an interceptor answer in the card’s place or pass the command on', async () => {
    const inner = recordingCard();
    const card = new ForwardingCard(inner, (c, next) => (c[1] === 0x50 ? Uint8Array.of(0x69, 0x85) : next.process(c)));
    expect(await card.process(Uint8Array.of(0x80, 0x50))).toEqual(Uint8Array.of(0x69, 0x85));
    expect(await card.process(Uint8Array.of(0x80, 0x52))).toEqual(Uint8Array.of(0x52, 0x90, 0x00));
    expect(inner.calls).toEqual(['apdu 82']);
  });
});
