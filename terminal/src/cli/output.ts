import { EhkdError, formatAmount, toHex } from '@ehkd/core';
import { TerminalError } from '../errors/terminal-error.js';
import { errorAdvice } from './advice.js';

/** Exit codes of ehkd-terminal: scripts branch on these. */
export const ExitCode = {
  /** Done (payment approved or recovered, command succeeded). */
  Ok: 0,
  /** The payment was not taken: declined by the terminal or refused by the card. */
  NotApproved: 1,
  /** The tap did not finish: tap again (the same card, if a payment may be pending). */
  TapAgain: 2,
  /** The command failed with a TerminalError (its message says what to do). */
  Failed: 3,
  /** A bug: an unexpected error. */
  Internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** JSON with bytes as lower-case hex (ids, hashes, receipts) and errors as { code, message, next, advice }. */
export function toJson(value: unknown, indent: number | undefined = 2): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v instanceof EhkdError ? errorJson(v) : v),
    indent,
  );
}

/**
 * The JSON form of an error: its stable code, what happened and, for TerminalErrors, the next step's id and the
 * CLI's words for it.
 */
export function errorJson(
  e: EhkdError,
  command?: string,
): { code: string; layer: string; message: string; next?: string; advice?: string } {
  const base = { code: e.code, layer: e.layer, message: e.message };
  return e instanceof TerminalError ? { ...base, next: e.next, advice: errorAdvice(e, command) } : base;
}

/** Prints `value` as JSON with --json, else the human text. */
export function emit(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(`${json ? toJson(value) : human()}\n`);
}

/** Like `emit`, resolving once the text has been handed to the operating system. */
export function emitFlushed(json: boolean, value: unknown, human: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(`${json ? toJson(value) : human()}\n`, (e) => (e ? reject(e) : resolve()));
  });
}

/** Money for people in the terminal's currency. */
export function money(minor: number, currency: number): string {
  return formatAmount(minor, currency);
}

/** A Unix time for people (UTC, seconds). */
export function when(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Aligned 'label  value' lines. */
export function lines(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
