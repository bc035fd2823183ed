import { TransportError, type CardTransport } from '@ehkd/core';
import type { FileCardStore } from '@ehkd/card-sim';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { NextStep } from '../errors/next-step.js';

// The reader driver and the card simulator are loaded only by the command that needs them (a terminal with a
// reader never loads the simulator, one charging --sim never loads PC/SC): less to start, less resident memory.

/** A transport to charge through, and how to release it. */
export interface CardSource {
  readonly transport: CardTransport;
  close(): Promise<void>;
}

/**
 * A PC/SC reader by name (through @ehkd/pcsc), waiting up to `timeoutMs` for it to appear.
 * @throws TerminalError READER_UNAVAILABLE (PC/SC missing, pcscd down, no such reader)
 */
export async function openReader(readerName: string | undefined, timeoutMs: number): Promise<CardSource> {
  const { openPcscTransport } = await import('@ehkd/pcsc');
  try {
    const transport = await openPcscTransport({ ...(readerName !== undefined && { readerName }), timeoutMs });
    return { transport, close: () => transport.close() };
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    throw new TerminalError(
      TerminalErrorCode.ReaderUnavailable,
      `PC/SC: ${e.message}`,
      {
        next: NextStep.CheckReader,
      },
      e,
    );
  }
}

/**
 * A software card from a card-sim card file, already in the field of an in-process reader: the card's state is
 * read from and committed to the file exactly as the card would (tear-safe), so a tap via `--sim` moves the
 * card's real balance.
 * @throws TerminalError BAD_FILE if the card file cannot be opened.
 */
export async function openSimulatedCard(cardFile: string): Promise<CardSource> {
  const { CardError, FileCardStore, PurseApplet, SimulatedReader } = await import('@ehkd/card-sim');
  let store: FileCardStore;
  try {
    store = FileCardStore.open(cardFile);
  } catch (e) {
    if (!(e instanceof CardError)) throw e;
    throw new TerminalError(
      TerminalErrorCode.BadFile,
      `cannot open the card file ${cardFile}: ${e.message}`,
      { next: NextStep.CheckCardFile },
      e,
    );
  }
  const reader = new SimulatedReader({ readerName: `sim:${cardFile}` });
  reader.insert(new PurseApplet(store));
  return {
    transport: reader,
    close: async () => {
      reader.remove();
      await reader.close();
      store.close();
    },
  };
}
