import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Ins, type CardTransport } from '@ehkd/core';
import { SimulatedReader, type PurseApplet } from '@ehkd/card-sim';
import { serveOverVpcd, type VpcdCardServer } from '@ehkd/card-sim/vpcd';
import { openPcsc, type PcscReaderManager } from '@ehkd/pcsc';

/** A merchant's reader as the story uses it: a card enters the field, leaves it, or is pulled away mid-PAY. */
export interface DemoReader {
  readonly transport: CardTransport;
  /** Puts a card in the field (and takes out whatever card was there). */
  present(card: PurseApplet): Promise<void>;
  /** The next PAY reaches the card and commits, but the card leaves before its answer gets back. */
  tearNextPay(): void;
  /** Takes the card out of the field. */
  takeAway(): Promise<void>;
  close(): Promise<void>;
}

const isPay = (command: Uint8Array): boolean => command[1] === Ins.Pay;

/** How long a vpcd slot stays empty between two cards, so that pcscd sees the removal (see FACTS.md). */
const MIN_ABSENCE_MS = 600;

/** An in-process reader (card-sim's SimulatedReader). */
export function inProcessReader(name: string): DemoReader {
  const reader = new SimulatedReader({ readerName: name });
  return {
    transport: reader,
    present: async (card) => {
      if (reader.cardPresent) reader.remove();
      reader.insert(card);
    },
    tearNextPay: () => void reader.pullAwayAfter(isPay),
    takeAway: async () => {
      if (reader.cardPresent) reader.remove();
    },
    close: () => reader.close(),
  };
}

/** The real PC/SC stack: pcscd with vpcd's virtual readers; cards are served to it over vpcd's TCP ports. */
export class PcscDemoStack {
  private constructor(
    private readonly manager: PcscReaderManager,
    private readonly startedHere: boolean,
  ) {}

  /** Installs (if needed) and starts pcscd + vpcd through the project's script, then opens PC/SC. */
  static async start(root: string): Promise<PcscDemoStack> {
    const script = join(root, 'scripts', 'pcsc-stack.sh');
    // Stop at the end only a pcscd this demo started (a test run may already have one going).
    const wasRunning = spawnSync('bash', [script, 'status'], { stdio: 'ignore' }).status === 0;
    for (const step of ['install', 'start']) {
      const r = spawnSync('bash', [script, step], { stdio: ['ignore', 'ignore', 'inherit'] });
      if (r.status !== 0)
        throw new Error(`scripts/pcsc-stack.sh ${step} failed (the PC/SC demo needs root to install pcscd and vpcd)`);
    }
    return new PcscDemoStack(await openPcsc(), !wasRunning);
  }

  /** A reader of vpcd: slot 0 is "Virtual PCD 00 00" on port 35963, slot 1 "Virtual PCD 00 01" on 35964. */
  async reader(slot: 0 | 1): Promise<DemoReader> {
    const port = 35963 + slot;
    const transport = await this.manager.transport({ readerName: `Virtual PCD 00 0${slot}`, timeoutMs: 5_000 });
    let server: VpcdCardServer | undefined;
    let emptySince = 0;
    const takeAway = async (): Promise<void> => {
      const s = server;
      server = undefined;
      if (s !== undefined) {
        await s.close();
        emptySince = Date.now();
      }
    };
    return {
      transport,
      present: async (card) => {
        await takeAway();
        // pcscd polls presence about every 400 ms: a card back sooner is taken for the one that left.
        const wait = emptySince + MIN_ABSENCE_MS - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        server = serveOverVpcd(card, { port });
        await server.whenConnected({ timeoutMs: 5_000 });
      },
      tearNextPay: () => void server?.pullAwayAfterNextCommand(isPay),
      takeAway,
      close: async () => {
        await takeAway();
        await transport.close();
      },
    };
  }

  async close(root: string): Promise<void> {
    await this.manager.close();
    if (this.startedHere) spawnSync('bash', [join(root, 'scripts', 'pcsc-stack.sh'), 'stop'], { stdio: 'ignore' });
  }
}
