/** Deterministic CBOR (RFC 8949 section 4.2.1) for every signed or exchanged message of the protocol. */
export { encodeCbor } from './deterministic-encode.js';
export { decodeCbor } from './strict-decode.js';
/** Zero-copy head reader shared by the strict decoder and the ledger's in-place fast paths; see its JSDoc. */
export { CborCursor } from './cbor-cursor.js';
export type { CborDecodeLimits } from './strict-decode.js';
export type { CborValue } from './cbor-value.js';
export { CborTag } from './cbor-value.js';
export { CborError, CborErrorCode } from './cbor-error.js';
