/**
 * A Map key for a short byte string (a card id): one character per byte. Several times cheaper than hex, which
 * matters on the per-receipt path; hex stays the form for people, logs and JSON.
 */
export function byteKey(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
