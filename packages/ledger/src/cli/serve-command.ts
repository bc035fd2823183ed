import { Command } from 'commander';
import { buildLedgerServer } from '../http/ledger-server.js';
import { openLedger } from './cli-files.js';
import { collect, dbOption, integer, print } from './cli-options.js';

/** `serve`: the HTTP service until SIGINT or SIGTERM. */
export function serveCommand(): Command {
  return dbOption(new Command('serve'))
    .description('run the HTTP service (core LedgerApi): batches, deny list, trust anchors, enrolment with invite codes, loads')
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file")
    .option('--issuer-key <file>', 'issuer key file for load authorisation (repeatable)', collect, [])
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', integer, 8080)
    .option('--workers <n>', 'verification workers (default: one per core)', integer)
    .option('--log', 'log requests (pino JSON on stdout)')
    .action(async (o: { db: string; acquirerKey: string; issuerKey: string[]; host: string; port: number; workers?: number; log?: boolean }) => {
      const { ledger, close } = await openLedger(o);
      await ledger.startWorkers();
      const app = buildLedgerServer({ ledger, logger: o.log === true });
      const address = await app.listen({ host: o.host, port: o.port });
      print(`ehkd-ledger listening on ${address}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await app.close();
      await close();
    });
}
