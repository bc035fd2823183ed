import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Currency, MoneyError, fromHex, parseAmount } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import type { FaultHook } from '../faults/crash-point.js';
import { Terminal } from '../terminal.js';
import { NextStep } from '../errors/next-step.js';

/** Environment variable with the default data directory. */
export const DATA_DIR_ENV = 'EHKD_TERMINAL_DIR';

/** Options every command takes. */
export interface GlobalOptions {
  readonly dataDir: string;
  readonly json: boolean;
}

/** The global options as seen from a subcommand. */
export function globals(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<{ dataDir?: string; json?: boolean }>();
  return { dataDir: resolve(o.dataDir ?? process.env[DATA_DIR_ENV] ?? 'ehkd-terminal-data'), json: o.json === true };
}

/**
 * Opens the terminal of the data directory, with the fault hook when EHKD_CRASH_AT or EHKD_DISK_FULL_FROM is set and the build has
 * the hook at all: the packed package leaves faults/crash-hook.js out, so a production install never has one.
 */
export async function openTerminal(options: GlobalOptions): Promise<Terminal> {
  const injected = process.env['EHKD_CRASH_AT'] !== undefined || process.env['EHKD_DISK_FULL_FROM'] !== undefined;
  const faultHook = injected ? await testFaultHook() : undefined;
  return Terminal.open({ dataDir: options.dataDir, ...(faultHook !== undefined && { faultHook }) });
}

async function testFaultHook(): Promise<FaultHook | undefined> {
  try {
    const { crashHookFromEnv } = await import('../faults/crash-hook.js');
    return crashHookFromEnv(process.env);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

/** Runs `fn` with the terminal open, closing it afterwards. */
export async function withTerminal<T>(options: GlobalOptions, fn: (terminal: Terminal) => Promise<T> | T): Promise<T> {
  const terminal = await openTerminal(options);
  try {
    return await fn(terminal);
  } finally {
    terminal.close();
  }
}

/**
 * An amount typed by the cashier, in HKD ('12.50', 'HK$1,234'), as minor units.
 * @throws TerminalError INVALID_AMOUNT
 */
export function amountArg(text: string, what = 'amount'): number {
  try {
    return parseAmount(text, Currency.HKD);
  } catch (e) {
    if (!(e instanceof MoneyError)) throw e;
    throw new TerminalError(TerminalErrorCode.InvalidAmount, `${what}: ${e.message}`, { next: NextStep.FixAmount }, e);
  }
}

/**
 * A whole number option.
 * @throws TerminalError BAD_CONFIG
 */
export function integerArg(text: string, what: string, min = 0): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new TerminalError(
      TerminalErrorCode.BadConfig,
      `${what} must be a whole number of at least ${min}, got '${text}'`,
      { next: NextStep.FixInput, field: what },
    );
  }
  return n;
}

/**
 * An 8-byte id typed as 16 hex digits.
 * @throws TerminalError BAD_CONFIG
 */
export function idArg(text: string, what: string): Uint8Array {
  if (!/^[0-9a-fA-F]{16}$/.test(text))
    throw new TerminalError(TerminalErrorCode.BadConfig, `${what} must be 16 hex digits, got '${text}'`, {
      next: NextStep.FixInput,
      field: what,
    });
  return fromHex(text);
}
