import { SIMULATOR_ATR, type VirtualCard } from '@ehkd/card-sim/vpcd';

/** AID of the test applet (proprietary RID F0, "TEST"). */
export const TEST_AID = Uint8Array.of(0xf0, 0x54, 0x45, 0x53, 0x54);

/** Instructions of the test applet (CLA 80). */
export const TestIns = {
  /** Answers the command data followed by 9000. */
  Echo: 0x10,
  /** Answers P1P2 bytes (i & 0xff) in chunks of at most 200 through 61xx / GET RESPONSE. */
  Chained: 0x12,
  /** Answers P1 bytes, but only when Le equals P1; otherwise 6C P1 (wrong length, here is the right one). */
  ExactLe: 0x14,
  /** Adds 1 to the persistent counter (a commit) and answers the new value (4 bytes BE). */
  Increment: 0x20,
  /** Answers the counter (4 bytes BE). */
  ReadCounter: 0x22,
} as const;

const CHUNK = 200;

/**
 * A small but real applet for driving the PC/SC driver end to end: volatile state (selection, a
 * pending GET RESPONSE chain) is lost at power-off like on a card, the counter persists.
 */
export class TestApplet implements VirtualCard {
  readonly atr = SIMULATOR_ATR;
  /** Persistent: survives power cycles and removal. */
  counter = 0;
  powerOns = 0;
  powerOffs = 0;
  /** Every C-APDU seen, in order (GET RESPONSE included). */
  readonly commands: Uint8Array[] = [];
  #selected = false;
  #pending: Uint8Array = new Uint8Array(0);

  powerOn(): void {
    this.powerOns++;
    this.#clearVolatile();
  }

  powerOff(): void {
    this.powerOffs++;
    this.#clearVolatile();
  }

  reset(): void {
    this.#clearVolatile();
  }

  process(command: Uint8Array): Uint8Array {
    this.commands.push(command);
    const [cla, ins, p1, p2] = command as unknown as [number, number, number, number];
    const body = command.subarray(4);
    const lc = body.length > 1 ? body[0]! : 0;
    const data = body.subarray(1, 1 + lc);
    const le = body.length === 1 ? body[0]! : body.length === 2 + lc ? body[1 + lc]! : undefined;

    if (cla === 0x00 && ins === 0xa4) {
      if (p1 !== 0x04 || !equal(data, TEST_AID)) return sw(0x6a82);
      this.#selected = true;
      this.#pending = new Uint8Array(0);
      return sw(0x9000);
    }
    if (cla === 0x00 && ins === 0xc0) return this.#getResponse(le ?? 0);
    // Any other command ends a pending chain, as on a real card.
    this.#pending = new Uint8Array(0);
    if (cla !== 0x80) return sw(0x6e00);
    if (!this.#selected) return sw(0x6985);
    switch (ins) {
      case TestIns.Echo:
        return withSw(data, 0x9000);
      case TestIns.Chained: {
        const total = (p1 << 8) | p2;
        const all = new Uint8Array(total);
        for (let i = 0; i < total; i++) all[i] = i & 0xff;
        return this.#chain(all, Math.min(CHUNK, total));
      }
      case TestIns.ExactLe:
        if (le !== p1) return sw(0x6c00 | p1);
        return withSw(new Uint8Array(p1).fill(0xa5), 0x9000);
      case TestIns.Increment:
        this.counter++;
        return withSw(u32(this.counter), 0x9000);
      case TestIns.ReadCounter:
        return withSw(u32(this.counter), 0x9000);
      default:
        return sw(0x6d00);
    }
  }

  #getResponse(le: number): Uint8Array {
    if (this.#pending.length === 0) return sw(0x6985);
    const max = le === 0 ? 256 : le;
    return this.#chain(this.#pending, Math.min(max, CHUNK));
  }

  #chain(all: Uint8Array, now: number): Uint8Array {
    const rest = all.subarray(now);
    this.#pending = rest.slice();
    if (rest.length === 0) return withSw(all.subarray(0, now), 0x9000);
    return withSw(all.subarray(0, now), 0x6100 | (rest.length > 255 ? 0 : rest.length));
  }

  #clearVolatile(): void {
    this.#selected = false;
    this.#pending = new Uint8Array(0);
  }
}

/** SELECT by AID of the test applet. */
export const SELECT_TEST_APPLET = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, TEST_AID.length, ...TEST_AID);

/** Status word (last two bytes) of an R-APDU. */
export function statusOf(response: Uint8Array): number {
  return (response[response.length - 2]! << 8) | response[response.length - 1]!;
}

function sw(word: number): Uint8Array {
  return Uint8Array.of(word >>> 8, word & 0xff);
}

function withSw(data: Uint8Array, word: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = word >>> 8;
  out[data.length + 1] = word & 0xff;
  return out;
}

function u32(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
