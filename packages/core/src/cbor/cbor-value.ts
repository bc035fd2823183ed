/**
 * The CBOR data model this project uses (RFC 8949 restricted to what our messages need):
 * integers (number when safe, bigint up to 64 bits), byte strings (Uint8Array, never tagged),
 * text strings, booleans, null, arrays, maps (always `Map`, keys of any CborValue) and tags.
 * No floats, no undefined, no simple values other than false/true/null.
 */
export type CborValue =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | readonly CborValue[]
  | ReadonlyMap<CborValue, CborValue>
  | CborTag;

/** A tagged data item (major type 6), for example COSE_Sign1 = tag 18. */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}
