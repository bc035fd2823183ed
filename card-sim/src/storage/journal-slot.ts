import { bytesEqual, sha256 } from '@ehkd/core';
import { MAX_STATE_BYTES } from '../applet/purse-state.js';

/**
 * One slot of the card file's two-slot journal, and the high-water record beside it. Slot layout (big-endian):
 *   0  magic "eHKJ" (4) | 4 format (2) | 6 generation (4) | 10 payload length (4) | 14 payload | SHA-256 of bytes 0..end of payload (32)
 * A slot counts only if magic, format, length and checksum all hold, so a slot whose write was cut at
 * any byte (or whose sectors reached the medium in any subset) is simply not there.
 */

/** Granularity at which a medium may tear a write; commits write slot images sector by sector. */
export const SECTOR_SIZE = 512;
const MAGIC = Uint8Array.of(0x65, 0x48, 0x4b, 0x4a);
const SLOT_FORMAT = 1;
const HEADER_SIZE = 14;
const CHECKSUM_SIZE = 32;
/** Size reserved for each slot: the largest state plus header and checksum, in whole sectors. */
export const SLOT_SIZE = Math.ceil((HEADER_SIZE + MAX_STATE_BYTES + CHECKSUM_SIZE) / SECTOR_SIZE) * SECTOR_SIZE;
/** Offset of the two high-water records, one sector each, after the two slots. */
export const HIGH_WATER_OFFSET = 2 * SLOT_SIZE;
/** A card file is exactly two slots and two high-water sectors; any other length is damage. */
export const CARD_FILE_SIZE = 2 * SLOT_SIZE + 2 * SECTOR_SIZE;
/** Generations are 32-bit: four billion commits, far beyond the counter's own range of use. */
export const MAX_GENERATION = 0xffffffff;

/**
 * The bytes of a slot holding `payload` at `generation` (only the used part: the rest of the slot is never read).
 * @throws RangeError if the payload does not fit a slot or the generation is not 1..MAX_GENERATION (misuse).
 */
export function encodeSlot(generation: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_STATE_BYTES)
    throw new RangeError(`card state of ${payload.length} bytes exceeds ${MAX_STATE_BYTES}`);
  if (!Number.isInteger(generation) || generation < 1 || generation > MAX_GENERATION)
    throw new RangeError(`invalid generation ${generation}`);
  const out = new Uint8Array(HEADER_SIZE + payload.length + CHECKSUM_SIZE);
  const view = new DataView(out.buffer);
  out.set(MAGIC);
  view.setUint16(4, SLOT_FORMAT);
  view.setUint32(6, generation);
  view.setUint32(10, payload.length);
  out.set(payload, HEADER_SIZE);
  out.set(sha256(out.subarray(0, HEADER_SIZE + payload.length)), HEADER_SIZE + payload.length);
  return out;
}

/** A slot that passed every check. */
export interface ValidSlot {
  readonly generation: number;
  readonly payload: Uint8Array;
}

/** Reads a slot image; undefined unless it is complete and intact. Never throws. */
export function parseSlot(slot: Uint8Array): ValidSlot | undefined {
  if (slot.length < HEADER_SIZE + CHECKSUM_SIZE || !bytesEqual(slot.subarray(0, 4), MAGIC)) return undefined;
  const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (view.getUint16(4) !== SLOT_FORMAT) return undefined;
  const generation = view.getUint32(6);
  const length = view.getUint32(10);
  if (generation < 1 || length > MAX_STATE_BYTES || HEADER_SIZE + length + CHECKSUM_SIZE > slot.length)
    return undefined;
  const end = HEADER_SIZE + length;
  if (!bytesEqual(sha256(slot.subarray(0, end)), slot.subarray(end, end + CHECKSUM_SIZE))) return undefined;
  return { generation, payload: slot.slice(HEADER_SIZE, end) };
}

/**
 * The high-water record: the generation and counter of the last commit whose answer the card may release. A commit
 * writes it (two copies, one sector each, one after the other) after the slot is durable and before the answer
 * leaves the card, so it never runs ahead of a durable slot and never lags a released one.
 * Layout: magic "eHKH" (4) | format (2) | generation (4) | counter (4) | SHA-256 of bytes 0..13 (32).
 */
export interface HighWater {
  readonly generation: number;
  readonly counter: number;
}

const HIGH_WATER_MAGIC = Uint8Array.of(0x65, 0x48, 0x4b, 0x48);
const HIGH_WATER_BODY = 14;

/** The bytes of a high-water record (one sector, zero padded). @throws RangeError on out-of-range fields (misuse). */
export function encodeHighWater(h: HighWater): Uint8Array {
  if (!Number.isInteger(h.generation) || h.generation < 1 || h.generation > MAX_GENERATION)
    throw new RangeError(`invalid generation ${h.generation}`);
  if (!Number.isInteger(h.counter) || h.counter < 0 || h.counter > 0xffffffff)
    throw new RangeError(`invalid counter ${h.counter}`);
  const out = new Uint8Array(SECTOR_SIZE);
  const view = new DataView(out.buffer);
  out.set(HIGH_WATER_MAGIC);
  view.setUint16(4, SLOT_FORMAT);
  view.setUint32(6, h.generation);
  view.setUint32(10, h.counter);
  out.set(sha256(out.subarray(0, HIGH_WATER_BODY)), HIGH_WATER_BODY);
  return out;
}

/** Reads a high-water sector; undefined unless it is intact. Never throws. */
export function parseHighWater(sector: Uint8Array): HighWater | undefined {
  if (sector.length < HIGH_WATER_BODY + CHECKSUM_SIZE || !bytesEqual(sector.subarray(0, 4), HIGH_WATER_MAGIC))
    return undefined;
  if (
    !bytesEqual(
      sha256(sector.subarray(0, HIGH_WATER_BODY)),
      sector.subarray(HIGH_WATER_BODY, HIGH_WATER_BODY + CHECKSUM_SIZE),
    )
  )
    return undefined;
  const view = new DataView(sector.buffer, sector.byteOffset, sector.byteLength);
  if (view.getUint16(4) !== SLOT_FORMAT) return undefined;
  const generation = view.getUint32(6);
  return generation < 1 ? undefined : { generation, counter: view.getUint32(10) };
}
