import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CborTag,
  CodecError,
  CoseError,
  ES256_PROTECTED_HEADER,
  Limits,
  MessageType,
  decodeCoseSign1,
  decodeUploadBatch,
  encodeCbor,
  type CborValue,
} from '@ehkd/core';
import { readBatchInPlace } from '../src/ingest/batch-in-place.js';

/**
 * Differential test of the in-place batch reader against core's generic path (decodeCoseSign1 with
 * Limits.batchBytes, then decodeUploadBatch): whatever it accepts, core accepts with the same values; everything
 * core accepts it accepts too, but for sequence numbers of 2^32 and more, which it leaves to core.
 */

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function generic(bytes: Uint8Array): unknown {
  try {
    const cose = decodeCoseSign1(bytes, Limits.batchBytes);
    return plain(cose, decodeUploadBatch(cose.payload));
  } catch (e) {
    if (e instanceof CoseError || e instanceof CodecError) return null;
    throw e;
  }
}

function plain(
  cose: { protectedBytes: Uint8Array; payload: Uint8Array; signature: Uint8Array },
  b: ReturnType<typeof decodeUploadBatch>,
): unknown {
  return {
    protectedBytes: hex(cose.protectedBytes),
    payload: hex(cose.payload),
    signature: hex(cose.signature),
    terminalId: hex(b.terminalId),
    sequence: b.sequence,
    createdAt: b.createdAt,
    terminalCertificate: hex(b.terminalCertificate),
    cardCertificates: b.cardCertificates.map(hex),
    receipts: b.receipts.map(hex),
  };
}

function inPlace(bytes: Uint8Array): unknown {
  const r = readBatchInPlace(bytes);
  if (r === null) return null;
  for (const v of [r.cose.payload, r.batch.terminalId, ...r.batch.receipts]) expect(v.constructor).toBe(Uint8Array);
  return plain(r.cose, r.batch);
}

/** The reader's contract: accepted means core accepts the same; declined is fine only where core rejects or the sequence needs 2^32. */
function check(bytes: Uint8Array): boolean {
  const expected = generic(bytes);
  const actual = inPlace(bytes);
  if (actual !== null) expect(actual).toEqual(expected);
  else if (expected !== null) expect((expected as { sequence: number }).sequence).toBeGreaterThanOrEqual(2 ** 32);
  return expected !== null;
}

// Mostly valid lengths (1..max), with every head-width edge and the invalid 0 and max + 1 now and then.
const lengthEdge = (max: number) =>
  fc.oneof(
    { weight: 20, arbitrary: fc.integer({ min: 1, max }) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 23, 24, 255, 256, max, max + 1) },
  );
const blob = (max: number) => lengthEdge(max).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const uintEdge = fc.oneof(
  fc.constantFrom(0, 1, 23, 24, 255, 256, 65535, 65536, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
  fc.nat(),
);

const batch = fc.record({
  type: fc.constantFrom(MessageType.UploadBatch, MessageType.UploadBatch, MessageType.UploadBatch, 6, 8),
  terminalId: fc.oneof(
    { weight: 9, arbitrary: fc.uint8Array({ minLength: 8, maxLength: 8 }) },
    { weight: 1, arbitrary: blob(9) },
  ),
  sequence: uintEdge,
  createdAt: uintEdge,
  terminalCertificate: blob(Limits.certificateBytes),
  cardCertificates: fc.array(blob(Limits.certificateBytes), { maxLength: 12 }),
  receipts: fc.array(blob(Limits.receiptBytes), { maxLength: 30 }),
  extraKey: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom(7, 24, -1) }),
  dropKey: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat({ max: 6 }) }),
  signature: fc.oneof(
    { weight: 9, arbitrary: fc.uint8Array({ minLength: 64, maxLength: 64 }) },
    { weight: 1, arbitrary: blob(65) },
  ),
});

function encode(b: typeof batch extends fc.Arbitrary<infer B> ? B : never): Uint8Array {
  const fields: [number, CborValue][] = [
    [0, b.type],
    [1, b.terminalId],
    [2, b.sequence],
    [3, b.createdAt],
    [4, b.terminalCertificate],
    [5, b.cardCertificates],
    [6, b.receipts],
  ];
  const map = new Map<number, CborValue>(fields.filter(([k]) => k !== b.dropKey));
  if (b.extraKey !== null) map.set(b.extraKey, 0);
  return encodeCbor(new CborTag(18, [ES256_PROTECTED_HEADER, new Map(), encodeCbor(map), b.signature]));
}

describe('the in-place batch reader', () => {
  it('agrees with core on generated batches, near-valid ones and valid ones alike', () => {
    let accepted = 0;
    fc.assert(
      fc.property(batch, (b) => void (check(encode(b)) && accepted++)),
      { numRuns: 1_500 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  it('agrees with core after random edits, truncations and extensions of valid batches', () => {
    const valid = batch.map((b) => ({
      ...b,
      type: MessageType.UploadBatch,
      terminalId: new Uint8Array(8),
      extraKey: null,
      dropKey: null,
      signature: new Uint8Array(64),
    }));
    let accepted = 0;
    const edit = fc.record({
      op: fc.constantFrom('set', 'insert', 'delete', 'truncate', 'extend'),
      at: fc.nat(),
      value: fc.nat({ max: 255 }),
    });
    fc.assert(
      fc.property(valid, fc.array(edit, { minLength: 1, maxLength: 3 }), (b, edits) => {
        let bytes = [...encode(b)];
        for (const e of edits) {
          const at = e.at % (bytes.length + 1);
          if (e.op === 'set' && at < bytes.length) bytes[at] = e.value;
          else if (e.op === 'insert') bytes.splice(at, 0, e.value);
          else if (e.op === 'delete') bytes.splice(at, 1);
          else if (e.op === 'truncate') bytes = bytes.slice(0, at);
          else if (e.op === 'extend') bytes.push(e.value);
        }
        if (check(Uint8Array.from(bytes))) accepted++;
      }),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(20);
  });

  it('agrees with core on hand-encoded variants: every head width, other map sizes, trailing bytes, item limits', () => {
    type Width = 0 | 1 | 2 | 4 | 8;
    const shortest = (v: number): Width => (v < 24 ? 0 : v < 0x100 ? 1 : v < 0x1_0000 ? 2 : v < 0x1_0000_0000 ? 4 : 8);
    const head = (major: number, v: number, width: Width = shortest(v)): number[] => {
      if (width === 0) return [(major << 5) | v];
      const out: number[] = [];
      for (let i = width - 1; i >= 0; i--) out.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
      return [(major << 5) | { 1: 24, 2: 25, 4: 26, 8: 27 }[width], ...out];
    };
    // widths[i] overrides the width of the i-th head written (numbering every head of the payload in order). The
    // values include 23, 255 and 65535, the largest of each width, whose next wider forms are the subtlest non-shortest ones.
    const payload = (o: {
      widths?: Map<number, Width>;
      mapHead?: number[];
      trailing?: number[];
      receipts?: number;
      certificates?: number;
      sequence?: number;
    }): Uint8Array => {
      let n = 0;
      // A width override never narrows a head (that would encode another value, not another encoding).
      const h = (major: number, v: number): number[] =>
        head(major, v, Math.max(o.widths?.get(n++) ?? 0, shortest(v)) as Width);
      const bstr = (b: number[]): number[] => [...h(2, b.length), ...b];
      const out = [...(o.mapHead ?? h(5, 7))];
      out.push(
        ...h(0, 0),
        ...h(0, MessageType.UploadBatch),
        ...h(0, 1),
        ...bstr(new Array<number>(8).fill(1)),
        ...h(0, 2),
        ...h(0, o.sequence ?? 300),
        ...h(0, 3),
        ...h(0, 65_535),
      );
      out.push(...h(0, 4), ...bstr(new Array<number>(30).fill(2)), ...h(0, 5), ...h(4, o.certificates ?? 2));
      for (let i = 0; i < (o.certificates ?? 2); i++)
        out.push(...bstr(i < 2 ? new Array<number>([300, 255][i] as number).fill(3) : [3]));
      out.push(...h(0, 6), ...h(4, o.receipts ?? 3));
      for (let i = 0; i < (o.receipts ?? 3); i++)
        out.push(...bstr(i < 3 ? new Array<number>([23, 24, 254][i] as number).fill(4) : [4]));
      return Uint8Array.from([...out, ...(o.trailing ?? [])]);
    };
    const wrap = (p: Uint8Array, width?: Width): Uint8Array =>
      Uint8Array.from([
        0xd2,
        0x84,
        0x43,
        ...ES256_PROTECTED_HEADER,
        0xa0,
        ...head(2, p.length, width ?? shortest(p.length)),
        ...p,
        0x58,
        0x40,
        ...new Array<number>(64).fill(9),
      ]);
    expect(check(wrap(payload({})))).toBe(true);
    let widened = 0;
    for (let i = 0; i < 40; i++) {
      for (const w of [1, 2, 4, 8] as const) {
        const bytes = wrap(payload({ widths: new Map([[i, w]]) }));
        if (bytes.length !== wrap(payload({})).length) widened++;
        expect(check(bytes)).toBe(bytes.length === wrap(payload({})).length);
      }
    }
    expect(widened).toBeGreaterThan(50);
    for (const w of [4, 8] as const) expect(check(wrap(payload({}), w))).toBe(false);
    for (const mapHead of [[0xa6], [0xa8], [0xb8, 7]]) expect(check(wrap(payload({ mapHead })))).toBe(false);
    expect(check(wrap(payload({ trailing: [0] })))).toBe(false);
    expect(check(wrap(payload({ receipts: Limits.batchReceipts })))).toBe(true);
    expect(check(wrap(payload({ receipts: Limits.batchReceipts + 1 })))).toBe(false);
    expect(check(wrap(payload({ certificates: Limits.batchCardCertificates })))).toBe(true);
    expect(check(wrap(payload({ certificates: Limits.batchCardCertificates + 1 })))).toBe(false);
  });

  it('hands out plain Uint8Array views of a Buffer input, and leaves 2^32 sequence numbers to core', () => {
    const fields = (sequence: number) =>
      new Map<number, CborValue>([
        [0, MessageType.UploadBatch],
        [1, new Uint8Array(8)],
        [2, sequence],
        [3, 5],
        [4, Uint8Array.of(1)],
        [5, []],
        [6, [Uint8Array.of(2, 3)]],
      ]);
    const bytes = (sequence: number) =>
      encodeCbor(
        new CborTag(18, [ES256_PROTECTED_HEADER, new Map(), encodeCbor(fields(sequence)), new Uint8Array(64)]),
      );
    const viaBuffer = readBatchInPlace(Buffer.from(bytes(0xffff_ffff)));
    expect(viaBuffer?.batch.receipts[0]?.constructor).toBe(Uint8Array);
    expect(viaBuffer?.batch.sequence).toBe(0xffff_ffff);
    expect(readBatchInPlace(bytes(2 ** 32))).toBeNull();
    expect(check(bytes(2 ** 32))).toBe(true);
  });
});
