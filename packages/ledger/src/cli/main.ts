// The `ehkd-ledger` command line: scheme operations, ingestion of hand-carried batches, reports, evidence and the
// HTTP service. Every command is a thin layer over the library (Ledger, LedgerStore, reports).
import { Command, CommanderError } from 'commander';
import { EhkdError } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { EXIT_ERROR } from './exit-codes.js';
import { evidenceCommand } from './evidence-commands.js';
import { ingestCommand } from './ingest-command.js';
import { reportCommand } from './report-commands.js';
import {
  initCommand,
  keysCommand,
  loadCommand,
  merchantCommand,
  publishCommands,
  terminalCommand,
} from './scheme-commands.js';
import { serveCommand, tlsCommand } from './serve-command.js';

/** The program, for the bin and for tests that run commands in-process. */
export function ledgerProgram(): Command {
  const program = new Command('ehkd-ledger')
    .description(
      'e-HKD settlement ledger: scheme keys, merchants, terminal enrolment and revocation, loads, batch ingestion, settlement, fraud evidence, audit',
    )
    .showHelpAfterError();
  for (const c of [
    keysCommand(),
    initCommand(),
    merchantCommand(),
    terminalCommand(),
    loadCommand(),
    ...publishCommands(),
    ingestCommand(),
    reportCommand(),
    evidenceCommand(),
    serveCommand(),
    tlsCommand(),
  ])
    program.addCommand(c);
  return program;
}

/** Runs the CLI with `argv` (process.argv form) and sets the exit code; errors are printed, never thrown. */
export async function runCli(argv: readonly string[]): Promise<void> {
  const program = ledgerProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(
      `ehkd-ledger: ${e instanceof EhkdError ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}\n`,
    );
    if (e instanceof LedgerError && e.code === LedgerErrorCode.FilePermissions)
      process.stderr.write(
        `  Only its owner may read it: run \`chmod 600 ${String(e.detail?.['path'])}\` (and keep its directory private: chmod 700).\n`,
      );
    if (!(e instanceof EhkdError)) process.stderr.write(`${e instanceof Error ? (e.stack ?? '') : ''}\n`);
    process.exitCode = EXIT_ERROR;
  }
}
