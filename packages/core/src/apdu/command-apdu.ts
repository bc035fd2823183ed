/**
 * Short command APDUs (ISO/IEC 7816-4:2020 section 5.1), built by terminals and parsed by cards.
 * The protocol uses short APDUs only: at most 255 data bytes and a response of at most 256.
 */

/** The four bytes every C-APDU starts with. */
export interface ApduHeader {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
}

/**
 * ISO case of a short C-APDU: 1 = header only, 2 = header + Le, 3 = header + Lc + data,
 * 4 = header + Lc + data + Le.
 */
export type ApduCase = 1 | 2 | 3 | 4;

/** A well-formed short C-APDU. */
export interface CommandApdu extends ApduHeader {
  readonly case: ApduCase;
  /** Command data: empty in cases 1 and 2, 1..255 bytes in cases 3 and 4. */
  readonly data: Uint8Array;
  /** Ne, the most response data the terminal accepts: 1..256 in cases 2 and 4 (Le 00 means 256), 0 without Le. */
  readonly ne: number;
}

/** Why bytes are not a short C-APDU. A card answers every one of them with 6700 (wrong length). */
export const CommandApduProblem = {
  /** Fewer than the 4 header bytes. */
  TooShort: 'too-short',
  /** A 00 byte after the header followed by more bytes: an extended-length APDU, outside our profile. */
  ExtendedLength: 'extended-length',
  /** Lc announces more or fewer data bytes than follow it (allowing for one Le byte). */
  LengthMismatch: 'length-mismatch',
} as const;
export type CommandApduProblem = (typeof CommandApduProblem)[keyof typeof CommandApduProblem];

/**
 * Outcome of `parseCommandApdu`: the APDU, or why it is not one. The header is reported whenever
 * there are 4 bytes, so that a card can check the class and instruction before the lengths.
 */
export type CommandApduParse =
  | { readonly ok: true; readonly apdu: CommandApdu }
  | { readonly ok: false; readonly problem: CommandApduProblem; readonly header?: ApduHeader };

/** Longest command data of a short APDU (Lc is one byte, 01..FF). */
export const MAX_SHORT_COMMAND_DATA = 255;
/** Largest Ne of a short APDU (Le = 00). */
export const MAX_SHORT_NE = 256;

const NO_DATA = new Uint8Array(0);

/**
 * Parses hostile bytes as a short C-APDU. Never throws: malformed input is a typed result.
 * The returned data is a copy, so the caller may keep it.
 * @example
 * const r = parseCommandApdu(Uint8Array.of(0x80, 0x5c, 0x00, 0x00, 0x00));
 * // r.ok && r.apdu.case === 2 && r.apdu.ne === 256
 */
export function parseCommandApdu(bytes: Uint8Array): CommandApduParse {
  const n = bytes.length;
  if (n < 4) return { ok: false, problem: CommandApduProblem.TooShort };
  const header: ApduHeader = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  if (n === 4) return { ok: true, apdu: { ...header, case: 1, data: NO_DATA, ne: 0 } };
  const b5 = bytes[4]!;
  if (n === 5) return { ok: true, apdu: { ...header, case: 2, data: NO_DATA, ne: b5 === 0 ? MAX_SHORT_NE : b5 } };
  // With more bytes to come, B5 = 00 can only open an extended Lc or Le (7816-4 5.1, table 2).
  if (b5 === 0) return { ok: false, problem: CommandApduProblem.ExtendedLength, header };
  if (n === 5 + b5) return { ok: true, apdu: { ...header, case: 3, data: bytes.slice(5), ne: 0 } };
  if (n === 6 + b5) {
    const le = bytes[n - 1]!;
    return { ok: true, apdu: { ...header, case: 4, data: bytes.slice(5, n - 1), ne: le === 0 ? MAX_SHORT_NE : le } };
  }
  return { ok: false, problem: CommandApduProblem.LengthMismatch, header };
}

/**
 * Builds a short C-APDU. The case follows from the arguments: data makes Lc + data, `ne` > 0 adds Le
 * (256 is sent as Le = 00).
 * @throws RangeError if a header byte is not 0..255, data is longer than 255 bytes or `ne` is not 0..256 (misuse).
 * @example
 * buildCommandApdu({ cla: 0x80, ins: 0x52, p1: 0, p2: 0, data: nonce, ne: 256 }) // 80 52 00 00 10 <nonce> 00
 */
export function buildCommandApdu(c: ApduHeader & { readonly data?: Uint8Array; readonly ne?: number }): Uint8Array {
  for (const [name, v] of [
    ['cla', c.cla],
    ['ins', c.ins],
    ['p1', c.p1],
    ['p2', c.p2],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte, got ${v}`);
  }
  const data = c.data ?? NO_DATA;
  const ne = c.ne ?? 0;
  if (data.length > MAX_SHORT_COMMAND_DATA)
    throw new RangeError(`a short APDU carries at most ${MAX_SHORT_COMMAND_DATA} data bytes, got ${data.length}`);
  if (!Number.isInteger(ne) || ne < 0 || ne > MAX_SHORT_NE)
    throw new RangeError(`Ne must be 0..${MAX_SHORT_NE}, got ${ne}`);
  const lc = data.length > 0 ? 1 + data.length : 0;
  const out = new Uint8Array(4 + lc + (ne > 0 ? 1 : 0));
  out.set([c.cla, c.ins, c.p1, c.p2]);
  if (data.length > 0) {
    out[4] = data.length;
    out.set(data, 5);
  }
  if (ne > 0) out[out.length - 1] = ne & 0xff;
  return out;
}
