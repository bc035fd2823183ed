import { Command } from 'commander';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { createDevCertificate } from '../http/dev-certificate.js';
import { DEFAULT_LEDGER_SERVER_LIMITS, buildLedgerServer, type LedgerServerTls } from '../http/ledger-server.js';
import { openLedger, readTlsFiles, writeNew } from './cli-files.js';
import { collect, dbOption, integer, print } from './cli-options.js';

interface ServeOptions {
  db: string;
  acquirerKey: string;
  issuerKey: string[];
  host: string;
  port: number;
  workers?: number;
  log?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  maxConnections: number;
  maxConnectionsPerClient: number;
  rateLimit: number;
}

const D = DEFAULT_LEDGER_SERVER_LIMITS;

/** `serve`: the HTTP service until SIGINT or SIGTERM; HTTPS with --tls-cert/--tls-key, plain HTTP only when asked. */
export function serveCommand(): Command {
  return dbOption(new Command('serve'))
    .description(
      'run the HTTPS service (core LedgerApi): batches, deny list, trust anchors, enrolment with invite codes, loads',
    )
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file")
    .option('--issuer-key <file>', 'issuer key file for load authorization (repeatable)', collect, [])
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port', integer, 8080)
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM, the chain after it)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM, mode 0600)')
    .option(
      '--insecure-http',
      'serve plain HTTP instead (behind a TLS terminator only: enrolment codes and loads travel in clear)',
    )
    .option('--workers <n>', 'verification workers (default: one per core)', integer)
    .option('--max-connections <n>', 'open connections in all', integer, D.maxConnections)
    .option('--max-connections-per-client <n>', 'open connections from one address', integer, D.maxConnectionsPerClient)
    .option('--rate-limit <n>', 'requests per minute from one address (more are answered 429)', integer, D.rateLimitMax)
    .option('--log', 'log requests (pino JSON on stdout)')
    .action(async (o: ServeOptions) => {
      const tls = transport(o);
      const { ledger, close } = await openLedger(o);
      await ledger.startWorkers();
      const app = buildLedgerServer({
        ledger,
        logger: o.log === true,
        ...(tls !== undefined && { tls }),
        limits: {
          maxConnections: o.maxConnections,
          maxConnectionsPerClient: o.maxConnectionsPerClient,
          rateLimitMax: o.rateLimit,
          rateLimitWindowMs: 60_000,
        },
      });
      const address = await app.listen({ host: o.host, port: o.port });
      if (tls === undefined)
        process.stderr.write(
          'ehkd-ledger: WARNING: plain HTTP (--insecure-http): enrolment codes, load requests and payment data cross the network unencrypted\n',
        );
      print(`ehkd-ledger listening on ${address}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await app.close();
      await close();
    });
}

/** The TLS files, or undefined for plain HTTP when --insecure-http says so; anything else is refused before opening the ledger. */
function transport(o: ServeOptions): LedgerServerTls | undefined {
  const tls = o.tlsCert !== undefined || o.tlsKey !== undefined;
  if (tls && o.insecureHttp === true)
    throw new LedgerError(
      LedgerErrorCode.BadRequest,
      'give either --tls-cert with --tls-key, or --insecure-http, not both',
    );
  if (o.insecureHttp === true) return undefined;
  if (o.tlsCert === undefined || o.tlsKey === undefined) {
    throw new LedgerError(
      LedgerErrorCode.BadRequest,
      tls
        ? '--tls-cert and --tls-key go together'
        : 'refusing to serve without TLS: give --tls-cert and --tls-key (a development pair: `ehkd-ledger tls create-dev-cert`), or --insecure-http behind a TLS terminator',
    );
  }
  return readTlsFiles(o.tlsCert, o.tlsKey);
}

/** `tls create-dev-cert`: a throwaway self-signed certificate for trials, tests and the demo. */
export function tlsCommand(): Command {
  const command = new Command('tls').description('TLS certificates of the HTTPS service');
  command
    .command('create-dev-cert')
    .description(
      'make a self-signed TLS certificate (ECDSA P-256) and key for development; terminals pin the certificate with `enrol --ledger-ca`',
    )
    .requiredOption('--out-cert <file>', 'the certificate (PEM), to give to terminals')
    .requiredOption('--out-key <file>', 'the private key (PEM), written 0600')
    .option(
      '--host <name>',
      'IP address or DNS name the service is reached at (repeatable; default 127.0.0.1, ::1, localhost)',
      collect,
      [],
    )
    .option('--days <n>', 'validity', integer, 365)
    .action(async (o: { outCert: string; outKey: string; host: string[]; days: number }) => {
      const pair = await createDevCertificate({ days: o.days, ...(o.host.length > 0 && { hosts: o.host }) });
      writeNew(o.outKey, pair.key, 0o600);
      writeNew(o.outCert, pair.cert);
      print(`certificate ${o.outCert}, key ${o.outKey}; serve with --tls-cert ${o.outCert} --tls-key ${o.outKey}`);
    });
  return command;
}
