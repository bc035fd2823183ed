import { Command, CommanderError } from 'commander';
import { EhkdError } from '@ehkd/core';
import { TerminalError } from '../errors/terminal-error.js';
import { registerCharge } from './commands/charge.js';
import { registerTopUp } from './commands/top-up.js';
import { registerConfig } from './commands/config.js';
import { registerDaemon } from './commands/daemon.js';
import { registerEnrol } from './commands/enrol.js';
import { registerExport } from './commands/export.js';
import { registerReaders } from './commands/readers.js';
import { registerReceipts } from './commands/receipts.js';
import { registerStatus } from './commands/status.js';
import { registerSync } from './commands/sync.js';
import { registerUpdate } from './commands/update.js';
import { DATA_DIR_ENV } from './cli-context.js';
import { ExitCode, errorJson, toJson } from './output.js';
import { errorAdvice } from './advice.js';

/** Exit code of a command line the CLI cannot parse (BSD sysexits EX_USAGE). */
const EXIT_USAGE = 64;

/** The ehkd-terminal program with all its commands. */
function buildProgram(): Command {
  const program = new Command()
    .name('ehkd-terminal')
    .description(
      'Offline e-HKD POS terminal: take card payments offline, queue receipts durably, upload or export them',
    )
    .option('-d, --data-dir <dir>', `terminal data directory (default: $${DATA_DIR_ENV} or ./ehkd-terminal-data)`)
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [
    registerCharge,
    registerTopUp,
    registerReaders,
    registerReceipts,
    registerStatus,
    registerSync,
    registerDaemon,
    registerExport,
    registerEnrol,
    registerConfig,
    registerUpdate,
  ]) {
    register(program);
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the CLI and returns the exit code. Every failure a cashier can see is printed as what happened and what to do.
 * @example process.exitCode = await main(process.argv)
 */
async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Ok : EXIT_USAGE;
    if (e instanceof EhkdError) {
      const command = argv.slice(2).find((a) => program.commands.some((c) => c.name() === a));
      if (json) process.stdout.write(`${toJson({ error: errorJson(e, command) })}\n`);
      else
        process.stderr.write(
          `ERROR  ${e.message}\n${e instanceof TerminalError ? `  What to do: ${errorAdvice(e, command)}\n` : ''}  (${e.layer} ${e.code})\n`,
        );
      return ExitCode.Failed;
    }
    process.stderr.write(
      `INTERNAL ERROR (a bug; nothing was lost: receipts are only marked after they are safe)\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return ExitCode.Internal;
  }
}

process.exitCode = await main(process.argv);
