import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  Currency,
  EhkdError,
  MoneyError,
  StatusWord,
  fromHex,
  parseAmount,
  parseKeyFile,
  statusWordName,
  toHex,
  type CardLimits,
} from '@ehkd/core';
import { exposedMode } from '@ehkd/core/node';
import { cardReport, formatCardReport } from './card-report.js';
import { DEV_SCHEME_FILES, writeDevScheme } from './dev-scheme-files.js';
import { CardError, CardErrorCode } from '../card-error.js';
import { FileCardStore } from '../storage/file-card-store.js';
import { loadCard } from '../applet/issuer-online.js';
import { personalizeCard } from '../applet/personalize-card.js';
import { PurseApplet } from '../applet/purse-applet.js';
import { serveCardFiles } from '../readers/serve-card-files.js';
import { VPCD_DEFAULT_PORT } from '../readers/vpcd/index.js';

/** Where the CLI writes, and (for `serve`) reads its control commands. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Control channel of `serve` (one command per line); default none. */
  readonly stdin?: NodeJS.ReadableStream;
  /** Whether `serve` stops on SIGINT/SIGTERM (the real process: yes). */
  readonly handleSignals?: boolean;
}

const hexBytes =
  (length: number) =>
  (value: string): Uint8Array => {
    if (!/^[0-9a-fA-F]*$/.test(value) || value.length !== 2 * length)
      throw new InvalidArgumentError(`expected ${length} bytes in hex (${2 * length} digits)`);
    return fromHex(value);
  };

const amount = (value: string): number => {
  try {
    return parseAmount(value, Currency.HKD);
  } catch (e) {
    if (e instanceof MoneyError) throw new InvalidArgumentError(e.message);
    throw e;
  }
};

const integer =
  (min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer ${min}..${max}`);
    return n;
  };

/** A key file's text; one that group or others can read or write is refused. @throws CardError FILE_PERMISSIONS */
function readKeyFile(path: string): string {
  const mode = exposedMode(path);
  if (mode !== undefined)
    throw new CardError(
      CardErrorCode.FilePermissions,
      `${path} holds a private key and is open to other users (mode ${mode.toString(8).padStart(4, '0')})`,
      { detail: { path, mode } },
    );
  return readFileSync(path, 'utf8');
}

const SERVE_HELP = `
Control commands on standard input, one per line:
  tear <i>     the next PAY on card i commits, its receipt is withheld and the card leaves the field
  pull <i>     take card i out of the field now
  insert <i>   put card i back
  status       show every card
  quit         stop serving`;

const CLONE_HELP = `
This is what an attacker who extracted a secure element's memory could do: the clone holds the same
private key, counter, balance and log, so both cards sign receipts for the same counter values and the
same money. Use it to demonstrate the ledger's double-spend detection; a real card never allows it.`;

/**
 * The `ehkd-card` program: dev-scheme, personalise, inspect, serve, clone.
 * @example const program = buildCardCli(io); await program.parseAsync(['inspect', 'alice.card'], { from: 'user' });
 */
export function buildCardCli(io: CliIo): Command {
  const program = new Command('ehkd-card')
    .description('Software e-HKD purse card: personalise cards, inspect them, serve them to PC/SC readers through vpcd')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  program
    .command('dev-scheme')
    .description(
      `create a development scheme (${Object.values(DEV_SCHEME_FILES).join(', ')}) in <dir>, unless one exists`,
    )
    .argument('<dir>', 'directory for the key files')
    .option('--seed <hex>', 'reproducible keys from a 32-byte seed', hexBytes(32))
    .action((dir: string, opts: { seed?: Uint8Array }) => {
      const paths = writeDevScheme(dir, ...(opts.seed === undefined ? [] : [opts.seed]));
      io.out(
        `development scheme written:\n${Object.values(paths)
          .map((p) => `  ${p}`)
          .join('\n')}\n`,
      );
    });

  program
    .command('personalise')
    .alias('personalize')
    .description(
      'personalise a new card: key pair, card certificate from the issuer, limits; written to a new card file',
    )
    .requiredOption('--issuer <keyfile>', 'issuer key file (from dev-scheme)')
    .requiredOption('--out <card file>', 'card file to create (never replaced)')
    .option('--max-balance <HK$>', 'largest balance a load may reach', amount)
    .option('--max-payment <HK$>', 'largest single payment', amount)
    .option('--max-offline-count <n>', 'offline payments before the card must go online', integer(0, 0xffff))
    .option('--max-offline-amount <HK$>', 'offline amount before the card must go online', amount)
    .option('--load <HK$>', 'load this much right away (issuer-signed LOAD through the card)', amount)
    .option('--seed <hex>', 'deterministic card key and id from a 32-byte seed', hexBytes(32))
    .option('--card-id <hex>', 'the 8-byte card id', hexBytes(8))
    .action(
      async (opts: {
        issuer: string;
        out: string;
        maxBalance?: number;
        maxPayment?: number;
        maxOfflineCount?: number;
        maxOfflineAmount?: number;
        load?: number;
        seed?: Uint8Array;
        cardId?: Uint8Array;
      }) => {
        const issuer = parseKeyFile(readKeyFile(opts.issuer));
        const limits: Partial<CardLimits> = {
          ...(opts.maxBalance !== undefined && { maxBalance: opts.maxBalance }),
          ...(opts.maxPayment !== undefined && { maxPayment: opts.maxPayment }),
          ...(opts.maxOfflineCount !== undefined && { maxOfflineCount: opts.maxOfflineCount }),
          ...(opts.maxOfflineAmount !== undefined && { maxOfflineAmount: opts.maxOfflineAmount }),
        };
        const card = personalizeCard({
          issuer: { signer: issuer.signer, certificate: issuer.certificate },
          limits,
          ...(opts.seed !== undefined && { seed: opts.seed }),
          ...(opts.cardId !== undefined && { cardId: opts.cardId }),
        });
        const store = FileCardStore.create(opts.out, card.state);
        try {
          if (opts.load !== undefined) {
            const applet = new PurseApplet(store);
            const r = await loadCard((c) => applet.process(c), issuer.signer, { amount: opts.load });
            if (r.sw !== StatusWord.Ok)
              throw new Error(
                `the card refused the load: ${statusWordName(r.sw)} (the card file was created with balance 0)`,
              );
          }
          io.out(`card ${toHex(card.cardId)} personalised into ${opts.out}\n`);
          io.out(formatCardReport(cardReport(store.load()), opts.out));
        } finally {
          store.close();
        }
      },
    );

  program
    .command('inspect')
    .description("show a card file's state and log (never its private key)")
    .argument('<card file>')
    .option('--json', 'machine-readable output')
    .action((path: string, opts: { json?: boolean }) => {
      const store = FileCardStore.open(path);
      try {
        const report = cardReport(store.load());
        io.out(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatCardReport(report, path));
      } finally {
        store.close();
      }
    });

  program
    .command('clone')
    .description("copy a card's secret state to a new card file (the attacker's tool; see below)")
    .addHelpText('after', CLONE_HELP)
    .argument('<card file>')
    .argument('<out>', 'new card file (never replaced)')
    .action((path: string, out: string) => {
      const source = FileCardStore.open(path);
      try {
        FileCardStore.create(out, source.load()).close();
      } finally {
        source.close();
      }
      io.out(`cloned ${path} into ${out}: both now hold the same key and counter\n`);
    });

  program
    .command('serve')
    .description('serve card files to pcscd through vpcd (one card per port) until quit or SIGINT/SIGTERM')
    .addHelpText('after', SERVE_HELP)
    .addOption(new Option('--vpcd <card files...>', 'card files to serve').makeOptionMandatory())
    .option(
      '--port <n>',
      'vpcd port of the first card (next ports for the others)',
      integer(1, 65535),
      VPCD_DEFAULT_PORT,
    )
    .option('--host <host>', 'where vpcd listens', '127.0.0.1')
    .option(
      '--pull-after-pay <n>',
      'tear every Nth PAY of each card (commit, withhold the receipt, leave the field)',
      integer(1, 1_000_000),
    )
    .option('--reinsert-ms <ms>', 'how long a torn card stays out of the field', integer(0, 600_000), 1000)
    .action(async (opts: { vpcd: string[]; port: number; host: string; pullAfterPay?: number; reinsertMs: number }) => {
      await serve(opts, io);
    });

  return program;
}

async function serve(
  opts: { vpcd: string[]; port: number; host: string; pullAfterPay?: number; reinsertMs: number },
  io: CliIo,
): Promise<void> {
  const serving = serveCardFiles(opts.vpcd, {
    basePort: opts.port,
    host: opts.host,
    reinsertAfterMs: opts.reinsertMs,
    onEvent: (m) => io.out(`${m}\n`),
    ...(opts.pullAfterPay !== undefined && { pullAfterPay: opts.pullAfterPay }),
  });
  for (const line of serving.status()) io.out(`${line}\n`);
  io.out('serving; vpcd connects within a moment if pcscd runs (scripts/pcsc-stack.sh start)\n');
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = (): void => stop();
  if (io.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const lines = io.stdin === undefined ? undefined : createInterface({ input: io.stdin });
  lines?.on('line', (line) => {
    const [word, arg] = line.trim().split(/\s+/);
    const index = Number(arg ?? 0);
    const run = async (): Promise<void> => {
      switch (word) {
        case 'tear':
          return serving.tearNextPay(index);
        case 'pull':
          return serving.pullAway(index);
        case 'insert':
          return serving.reinsert(index);
        case 'status':
          for (const s of serving.status()) io.out(`${s}\n`);
          return;
        case 'quit':
          return stop();
        case '':
        case undefined:
          return;
        default:
          io.err(`unknown command '${line.trim()}'${SERVE_HELP}\n`);
      }
    };
    run().catch((e: unknown) => io.err(`${e instanceof Error ? e.message : String(e)}\n`));
  });
  await stopped;
  lines?.close();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  await serving.close();
  io.out('stopped\n');
}

/**
 * Runs `ehkd-card` with `args` (without node and script) and returns the exit code; errors are printed, not thrown.
 * @example process.exitCode = await runCardCli(process.argv.slice(2), io)
 */
export async function runCardCli(args: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildCardCli(io).parseAsync([...args], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CardError && e.code === CardErrorCode.FilePermissions)
      io.err(
        `ehkd-card: ${e.message} [${e.code}]\n  Only its owner may read it: run \`chmod 600 ${e.detail?.path ?? 'FILE'}\`.\n`,
      );
    else if (e instanceof EhkdError) io.err(`ehkd-card: ${e.message} [${e.code}]\n`);
    else io.err(`ehkd-card: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
