import { InvalidArgumentError, type Command } from 'commander';

/** Default database path: $EHKD_LEDGER_DB, else ./ledger.db. */
export const DEFAULT_DB = process.env['EHKD_LEDGER_DB'] ?? 'ledger.db';

/** Adds the `--db` option every command that uses the ledger database takes. */
export function dbOption(command: Command): Command {
  return command.option('--db <file>', 'ledger database (SQLite; env EHKD_LEDGER_DB)', DEFAULT_DB);
}

/** Commander parser of a non-negative integer option. */
export function integer(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

/** Commander collector of a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Prints a line of human output (stdout). */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Prints a value as JSON (stdout), for `--json`. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
