/**
 * Why {@link CborCursor.head} declined a head, as the negative value it returns instead of an argument. Internal
 * to the CBOR module: the strict decoder turns each into its error code; other readers only test for `< 0`.
 */
export const HeadFailure = {
  /** The input ends inside the head. */
  Truncated: -1,
  /** The argument fits a shorter head (RFC 8949 4.2.1). */
  NonShortest: -2,
  /** Additional information 31: indefinite length, or "break". */
  Indefinite: -3,
  /** Additional information 28-30. */
  Reserved: -4,
  /** An 8-byte argument of 2^53 or more: exact only as a bigint. The cursor is past the head. */
  Beyond2To53: -5,
} as const;

const EMPTY = new Uint8Array(0);

/** Out of line, so that {@link CborCursor.reset} stays small enough to be inlined. */
function outside(bytes: Uint8Array, pos: number, end: number): never {
  throw new RangeError(`CborCursor: [${pos}, ${end}) is not within ${bytes.length} bytes`);
}

/**
 * A zero-copy reader of CBOR heads over `bytes[pos..end)`: the one place where the project parses a CBOR head
 * (RFC 8949 3.1), shared by core's strict decoder and the ledger's in-place readers of receipts and batches.
 * It reads heads, unsigned integers and byte-string spans as plain numbers (offsets into `bytes`) and allocates
 * nothing, so one instance can be reused for every message of a hot loop. Every read checks `end` first: it
 * never reads at or past `end`, whatever the bytes say. Only shortest-form heads are accepted.
 *
 * Its state is public so that a reader can peek at a byte or re-position it; keep `0 <= pos <= end <=
 * bytes.length` when doing so ({@link reset} checks it).
 *
 * For the ledger's fast paths and core's decoder; everything else should use {@link decodeCbor}, which checks
 * the whole deterministic profile.
 * @example
 * const c = new CborCursor(Uint8Array.of(0x19, 0x01, 0x2c, 0x43, 1, 2, 3));
 * c.argument(0, 0xffff); // 300 (an unsigned integer)
 * const at = c.byteString(0, 16); // 4: the content is c.bytes[4..c.pos)
 */
export class CborCursor {
  /** The buffer read; byte-string spans are offsets into it. */
  bytes: Uint8Array = EMPTY;
  /** Where the next read starts. */
  pos = 0;
  /** Reads never reach this offset. */
  end = 0;
  /** The major type (0-7) of the last head {@link head} read, failed reads included once the initial byte was read. */
  major = 0;

  /**
   * @param bytes the buffer to read; default empty (call {@link reset} before reading).
   * @throws {RangeError} as {@link reset} does.
   */
  constructor(bytes: Uint8Array = EMPTY, pos = 0, end: number = bytes.length) {
    this.reset(bytes, pos, end);
  }

  /**
   * Points the cursor at `bytes[pos..end)`, so that one instance serves many messages.
   * @returns this cursor.
   * @throws {RangeError} unless 0 <= pos <= end <= bytes.length (a programming error, not an input error).
   */
  reset(bytes: Uint8Array, pos = 0, end: number = bytes.length): this {
    // Negated so that NaN fails too.
    if (!(pos >= 0 && pos <= end && end <= bytes.length)) outside(bytes, pos, end);
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
    return this;
  }

  /**
   * Reads the head at `pos` (any major type; for major type 7 the argument is the simple value or float bits) and
   * moves past it. Sets {@link major}.
   * @returns the argument, or a negative {@link HeadFailure} (nothing consumed, except past a `Beyond2To53` head).
   */
  head(): number {
    const pos = this.pos;
    const left = this.end - pos;
    if (left < 1) return HeadFailure.Truncated;
    const bytes = this.bytes;
    const ib = bytes[pos] as number;
    this.major = ib >> 5;
    const ai = ib & 0x1f;
    if (ai < 24) {
      this.pos = pos + 1;
      return ai;
    }
    // Each width must be needed: a value that fits a shorter head is not shortest form.
    let v: number;
    if (ai === 24) {
      if (left < 2) return HeadFailure.Truncated;
      v = bytes[pos + 1] as number;
      if (v < 24) return HeadFailure.NonShortest;
      this.pos = pos + 2;
    } else if (ai === 25) {
      if (left < 3) return HeadFailure.Truncated;
      v = ((bytes[pos + 1] as number) << 8) | (bytes[pos + 2] as number);
      if (v < 0x100) return HeadFailure.NonShortest;
      this.pos = pos + 3;
    } else if (ai === 26) {
      if (left < 5) return HeadFailure.Truncated;
      v =
        (bytes[pos + 1] as number) * 0x100_0000 +
        (((bytes[pos + 2] as number) << 16) | ((bytes[pos + 3] as number) << 8) | (bytes[pos + 4] as number));
      if (v < 0x1_0000) return HeadFailure.NonShortest;
      this.pos = pos + 5;
    } else {
      // Rare in our messages (8-byte arguments, reserved and indefinite heads): out of line, to keep head() short.
      return this.rareHead(ai);
    }
    return v;
  }

  /** The rest of {@link head}: an 8-byte argument (additional information 27), or 28-31. */
  private rareHead(ai: number): number {
    if (ai !== 27) return ai === 31 ? HeadFailure.Indefinite : HeadFailure.Reserved;
    const bytes = this.bytes;
    const pos = this.pos;
    if (this.end - pos < 9) return HeadFailure.Truncated;
    const hi =
      (bytes[pos + 1] as number) * 0x100_0000 +
      (((bytes[pos + 2] as number) << 16) | ((bytes[pos + 3] as number) << 8) | (bytes[pos + 4] as number));
    if (hi === 0) return HeadFailure.NonShortest;
    this.pos = pos + 9;
    // 2^53 or more cannot be a number; the strict decoder reads it again as a bigint where the profile allows one.
    if (hi >= 0x20_0000) return HeadFailure.Beyond2To53;
    return (
      hi * 0x1_0000_0000 +
      ((bytes[pos + 5] as number) * 0x100_0000 +
        (((bytes[pos + 6] as number) << 16) | ((bytes[pos + 7] as number) << 8) | (bytes[pos + 8] as number)))
    );
  }

  /**
   * Reads a head of major type `major` whose argument is at most `max` (0 for an unsigned integer, 2 for a byte
   * string's length, 4 for an array's count, 5 for a map's).
   * @returns the argument, or -1 if the head at `pos` is anything else (`pos` is then unspecified).
   */
  argument(major: number, max: number): number {
    const pos = this.pos;
    if (pos >= this.end) return -1;
    const ib = this.bytes[pos] as number;
    if (ib >> 5 !== major) return -1;
    // One-byte heads (keys, types, short strings' lengths: most heads of our messages) decided here, without a
    // call: head() is too large for the JIT to inline at every call site of a reader.
    const ai = ib & 0x1f;
    let v: number;
    if (ai < 24) {
      v = ai;
      this.pos = pos + 1;
    } else {
      v = this.head();
    }
    return v >= 0 && v <= max ? v : -1;
  }

  /**
   * Reads a byte string of `min`..`max` bytes whose content lies before `end`, and moves past it.
   * @returns the content's offset in `bytes` (it ends at the new `pos`), or -1 if there is no such byte string.
   */
  byteString(min: number, max: number): number {
    const length = this.argument(2, max);
    const at = this.pos;
    if (length < min || length < 0 || length > this.end - at) return -1;
    this.pos = at + length;
    return at;
  }

  /**
   * Moves past the next byte if it is `b`: a whole head of our profile when that head is fixed (a small map key,
   * a tag 18, an array or map of known size).
   * @returns whether it was `b`.
   */
  skip(b: number): boolean {
    if (this.pos >= this.end || this.bytes[this.pos] !== b) return false;
    this.pos += 1;
    return true;
  }
}
