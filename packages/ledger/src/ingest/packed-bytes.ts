/** Many byte strings in one buffer plus end offsets: one transferable message instead of thousands of clones. */
export interface PackedBytes {
  readonly data: Uint8Array;
  /** offsets[i] is where item i ends (it starts where item i-1 ends, or at 0). */
  readonly offsets: Uint32Array;
}

/** Packs byte strings (copying them once into a fresh buffer that can be transferred). */
export function packBytes(items: readonly Uint8Array[]): PackedBytes {
  let total = 0;
  for (const item of items) total += item.length;
  const data = new Uint8Array(total);
  const offsets = new Uint32Array(items.length);
  let at = 0;
  items.forEach((item, i) => {
    data.set(item, at);
    at += item.length;
    offsets[i] = at;
  });
  return { data, offsets };
}

/** Views (no copies) of the items of a packed buffer. */
export function unpackBytes(packed: PackedBytes): Uint8Array[] {
  const out: Uint8Array[] = new Array<Uint8Array>(packed.offsets.length);
  let start = 0;
  for (let i = 0; i < packed.offsets.length; i++) {
    const end = packed.offsets[i] as number;
    out[i] = packed.data.subarray(start, end);
    start = end;
  }
  return out;
}
