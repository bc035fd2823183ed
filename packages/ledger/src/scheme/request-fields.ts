import { fromHex, utf8Length } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';

/** Reads typed fields of a JSON request body (HTTP) or of command options; every failure is LedgerError BAD_REQUEST. */
export class RequestFields {
  private readonly o: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly what: string,
  ) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw this.bad('expected a JSON object');
    this.o = body as Record<string, unknown>;
  }

  /** Refuses any field but `allowed`: a request that says more than the protocol asks for is not guessed at. */
  only(allowed: readonly string[]): void {
    const extra = Object.keys(this.o).find((k) => !allowed.includes(k));
    if (extra !== undefined)
      throw this.bad(`unknown field ${JSON.stringify(extra.slice(0, 64))} (the fields are ${allowed.join(', ')})`);
  }

  /** Hex field of exactly `length` bytes (or any length when absent). */
  hex(key: string, length?: number): Uint8Array {
    const v = this.o[key];
    if (typeof v !== 'string' || v.length > 4096) throw this.bad(`${key} must be a hex string`);
    let out: Uint8Array;
    try {
      out = fromHex(v);
    } catch {
      throw this.bad(`${key} must be a hex string`);
    }
    if (length !== undefined && out.length !== length) throw this.bad(`${key} must be ${length} bytes`);
    return out;
  }

  /** Integer field in [min, max]. */
  int(key: string, min: number, max: number): number {
    const v = this.o[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
      throw this.bad(`${key} must be an integer in ${min}..${max}`);
    return v;
  }

  /** Text field of 1..maxBytes bytes of UTF-8 (the unit certificates count names in). */
  text(key: string, maxBytes: number): string {
    const v = this.o[key];
    if (typeof v !== 'string' || v.length === 0 || utf8Length(v) > maxBytes)
      throw this.bad(`${key} must be text of 1..${maxBytes} bytes of UTF-8`);
    return v;
  }

  private bad(message: string): LedgerError {
    return new LedgerError(LedgerErrorCode.BadRequest, `${this.what}: ${message}`);
  }
}
