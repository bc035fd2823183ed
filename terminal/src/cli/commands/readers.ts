import type { Command } from 'commander';
import { TransportError } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { sleep } from '../../sync/backoff.js';
import { globals, integerArg } from '../cli-context.js';
import { emit } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

/** `readers [--wait <ms>]`: the PC/SC readers pcscd reports. */
export function registerReaders(program: Command): void {
  program
    .command('readers')
    .description('list the PC/SC readers')
    .option('--wait <ms>', 'how long to let pcscd report its readers', '1000')
    .action(async (opts: { wait: string }, command: Command) => {
      const g = globals(command);
      const waitMs = integerArg(opts.wait, '--wait');
      let names: string[];
      try {
        const { openPcsc } = await import('@ehkd/pcsc');
        const pcsc = await openPcsc();
        try {
          // Readers are announced asynchronously after the context is made: give pcscd a moment to list them.
          await sleep(waitMs);
          names = pcsc.readerNames();
        } finally {
          await pcsc.close();
        }
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        throw new TerminalError(
          TerminalErrorCode.ReaderUnavailable,
          `PC/SC is not available: ${e.message}`,
          { next: NextStep.InstallPcsc },
          e,
        );
      }
      emit(g.json, { readers: names }, () =>
        names.length === 0
          ? 'No readers. Plug one in (and check pcscd is running).'
          : names.map((n) => `  ${n}`).join('\n'),
      );
    });
}
