/**
 * A Map key for a short byte string (a card id): one character per byte. Several times cheaper than hex, which
 * matters on the per-receipt path; hex stays the form for people, logs and JSON.
 */
export function byteKey(bytes: Uint8Array): string {
  if (bytes.length === 8) return idKeyAt(bytes, 0);
  let key = '';
  for (const b of bytes) key += String.fromCharCode(b);
  return key;
}

/**
 * byteKey of the 8-byte id at `bytes[at..at+8)`, read in place (no subarray). An explicit call rather than
 * spreading the bytes: the iterator protocol made that several times slower.
 */
export function idKeyAt(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    bytes[at] as number,
    bytes[at + 1] as number,
    bytes[at + 2] as number,
    bytes[at + 3] as number,
    bytes[at + 4] as number,
    bytes[at + 5] as number,
    bytes[at + 6] as number,
    bytes[at + 7] as number,
  );
}
