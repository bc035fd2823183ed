/**
 * Builds the ATR that a PC/SC reader reports for an ISO/IEC 14443-4 (contactless, T=CL) card,
 * as PC/SC part 3 section 3.1.3.2.3 prescribes: `3B 8n 80 01 <historical bytes> TCK`, where n is the
 * number of historical bytes (the ATS historical bytes for type A, or ATQB data for type B) and
 * TCK is the XOR of every byte from T0 to the last historical byte.
 *
 * @throws RangeError if there are more than 15 historical bytes (n is one nibble).
 * @example
 * contactlessAtr(Uint8Array.of()); // 3B 80 80 01 01
 */
export function contactlessAtr(historicalBytes: Uint8Array): Uint8Array {
  if (historicalBytes.length > 15) {
    throw new RangeError(`an ATR holds at most 15 historical bytes, got ${historicalBytes.length}`);
  }
  const atr = new Uint8Array(4 + historicalBytes.length + 1);
  // TS=3B (direct convention); T0: TD1 present, n historical bytes; TD1: TD2 present, T=0;
  // TD2: no more interface bytes, T=1 (T=CL is exposed to PC/SC as T=1).
  atr.set([0x3b, 0x80 | historicalBytes.length, 0x80, 0x01]);
  atr.set(historicalBytes, 4);
  let tck = 0;
  for (let i = 1; i < atr.length - 1; i++) tck ^= atr[i]!;
  atr[atr.length - 1] = tck;
  return atr;
}

/**
 * Historical bytes of the simulator's default ATR: category indicator 80 (COMPACT-TLV objects
 * follow), then card issuer's data (tag 5, length 4) "eHKD", so tools show what the card is.
 */
const SIMULATOR_HISTORICAL_BYTES = Uint8Array.of(0x80, 0x54, 0x65, 0x48, 0x4b, 0x44);

/** Default ATR of the software card: `3B 86 80 01 80 54 65 48 4B 44 TCK`. */
export const SIMULATOR_ATR: Uint8Array = contactlessAtr(SIMULATOR_HISTORICAL_BYTES);
