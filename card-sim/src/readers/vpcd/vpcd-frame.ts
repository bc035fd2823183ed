/**
 * vpcd wire format (vsmartcard `vpcd.c`, `doc/api.rst`): every frame, both ways, is a uint16
 * big-endian length followed by that many bytes. A 1-byte frame from vpcd is a control code;
 * longer frames are C-APDUs, answered with the R-APDU in one frame.
 */

/** Control codes vpcd sends as 1-byte frames. Only GET_ATR expects a reply (the ATR). */
export const VpcdControl = {
  PowerOff: 0x00,
  PowerOn: 0x01,
  Reset: 0x02,
  GetAtr: 0x04,
} as const;
export type VpcdControl = (typeof VpcdControl)[keyof typeof VpcdControl];

/** Largest payload one frame can carry (its length field is 16 bits). */
export const MAX_FRAME_PAYLOAD = 0xffff;

/**
 * Prefixes `payload` with its uint16 big-endian length, as one buffer so it leaves in one write.
 *
 * @throws RangeError if the payload is longer than 65535 bytes.
 * @example
 * encodeFrame(Uint8Array.of(0x90, 0x00)); // 00 02 90 00
 */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`a vpcd frame carries at most ${MAX_FRAME_PAYLOAD} bytes, got ${payload.length}`);
  }
  const frame = new Uint8Array(2 + payload.length);
  frame[0] = payload.length >>> 8;
  frame[1] = payload.length & 0xff;
  frame.set(payload, 2);
  return frame;
}

/**
 * Reassembles frames from a TCP byte stream (chunks may split or join frames anywhere).
 *
 * @example
 * const reader = new FrameReader();
 * for (const frame of reader.push(chunk)) handle(frame);
 */
export class FrameReader {
  #pending: Uint8Array = new Uint8Array(0);

  /** Appends `chunk` and returns every frame payload completed by it, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    let buffer = this.#pending.length === 0 ? chunk : concat(this.#pending, chunk);
    const frames: Uint8Array[] = [];
    while (buffer.length >= 2) {
      const length = (buffer[0]! << 8) | buffer[1]!;
      if (buffer.length < 2 + length) break;
      // Copy: the socket may reuse the chunk's memory, and handlers may keep the frame.
      frames.push(buffer.slice(2, 2 + length));
      buffer = buffer.subarray(2 + length);
    }
    this.#pending = buffer.slice();
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
