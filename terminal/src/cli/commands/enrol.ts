import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { enrolmentRequestJson } from '../../store/config-store.js';
import type { EnrolmentFields, EnrolmentReport } from '../../enrol/enrolment.js';
import { globals, idArg, integerArg, withTerminal } from '../cli-context.js';
import { ledgerTrustArgs, readMessageFile } from '../input-file.js';
import { emit, lines, when } from '../output.js';

interface EnrolOptions {
  merchant?: string;
  mcc?: string;
  name?: string;
  terminalId?: string;
  ledger?: string;
  ledgerCa?: string;
  insecureHttp?: boolean;
  token?: string;
  root?: string;
  request?: string;
  certificate?: string;
  trustAnchors?: string;
  denyList?: string;
}

/**
 * `enrol`, three ways:
 * - online:  enrol --ledger <url> [--ledger-ca <pem> | --insecure-http] --token <token> --root <root cert> --merchant <hex> --mcc <n> --name <text> [--terminal-id <hex>]
 * - offline: enrol --request <out.json> --merchant <hex> --mcc <n> --name <text> [--terminal-id <hex>]
 *   then:    enrol --certificate <cert.hex> --trust-anchors <bundle> [--root <root cert>] [--deny-list <file>]
 */
export function registerEnrol(program: Command): void {
  program
    .command('enrol')
    .description('make the terminal key and install its acquirer certificate (online with a token, or offline with files)')
    .option('--merchant <hex>', 'merchant id (16 hex digits)')
    .option('--mcc <code>', 'merchant category code (ISO 18245)')
    .option('--name <text>', 'merchant name')
    .option('--terminal-id <hex>', 'terminal id to ask for (16 hex digits; default: the acquirer assigns one)')
    .option('--ledger <url>', 'online: the acquirer ledger service (https://)')
    .option('--ledger-ca <file>', "online: the ledger's TLS CA or self-signed certificate (PEM), pinned for every later call")
    .option('--insecure-http', 'online: allow a plain http:// ledger URL (only over a link protected otherwise)')
    .option('--token <token>', 'online: the enrolment token')
    .option('--root <file>', 'the scheme root certificate to pin (hex or binary; required online)')
    .option('--request <file>', 'offline step 1: write the certificate request (JSON) to this file')
    .option('--certificate <file>', 'offline step 2: install this signed terminal certificate (hex or binary)')
    .option('--trust-anchors <file>', 'offline step 2: the trust-anchor bundle the certificate chains to')
    .option('--deny-list <file>', 'offline step 2: a deny list to start with')
    .action(async (opts: EnrolOptions, command: Command) => {
      const g = globals(command);
      const modes = [opts.ledger !== undefined, opts.request !== undefined, opts.certificate !== undefined].filter(Boolean).length;
      if (modes !== 1) throw usage('choose exactly one of --ledger (online), --request (offline step 1) or --certificate (offline step 2)');
      await withTerminal(g, async (terminal) => {
        if (opts.certificate !== undefined) {
          if (opts.trustAnchors === undefined) throw usage('--certificate needs --trust-anchors (the bundle your acquirer gave with it)');
          const report = terminal.installEnrolment(readMessageFile(opts.certificate, 'certificate'), readMessageFile(opts.trustAnchors, 'trust anchors'), {
            ...(opts.root !== undefined && { pinnedRoot: readMessageFile(opts.root, 'root certificate') }),
            ...(opts.denyList !== undefined && { denyList: readMessageFile(opts.denyList, 'deny list') }),
          });
          emit(g.json, report, () => describeEnrolment(report));
          return;
        }
        const fields = merchantFields(opts);
        if (opts.request !== undefined) {
          const request = enrolmentRequestJson(terminal.prepareEnrolment(fields));
          try {
            writeFileSync(opts.request, `${JSON.stringify(request, null, 2)}\n`);
          } catch (e) {
            throw new TerminalError(TerminalErrorCode.BadFile, `cannot write ${opts.request}: ${(e as Error).message}`, { action: 'Check the path.' }, e);
          }
          emit(g.json, { request: opts.request, ...request }, () =>
            `Certificate request written to ${opts.request} (terminal public key ${String(request['publicKey'])}).\n`
            + '  Give it to your acquirer, then run: ehkd-terminal enrol --certificate <cert file> --trust-anchors <bundle file> [--deny-list <file>]');
          return;
        }
        if (opts.token === undefined || opts.root === undefined) throw usage('online enrolment needs --token and --root');
        const report = await terminal.enrolOnline(opts.ledger as string, opts.token, fields, readMessageFile(opts.root, 'root certificate'), ledgerTrustArgs(opts));
        emit(g.json, report, () => describeEnrolment(report));
      });
    });
}

function merchantFields(opts: EnrolOptions): EnrolmentFields {
  if (opts.merchant === undefined || opts.mcc === undefined || opts.name === undefined) throw usage('--merchant, --mcc and --name are required to make a request');
  return {
    merchantId: idArg(opts.merchant, '--merchant'),
    mcc: integerArg(opts.mcc, '--mcc'),
    name: opts.name,
    ...(opts.terminalId !== undefined && { terminalId: idArg(opts.terminalId, '--terminal-id') }),
  };
}

function describeEnrolment(r: EnrolmentReport): string {
  return `Enrolled.\n${lines([
    ['terminal', r.terminalId],
    ['merchant', r.merchantId],
    ['acquirer', r.acquirerId],
    ['valid until', when(r.notAfter)],
    ['deny list', r.denyListSequence === undefined ? 'none yet: sync or `update --deny-list` before taking payments' : `#${r.denyListSequence}`],
  ])}`;
}

function usage(message: string): TerminalError {
  return new TerminalError(TerminalErrorCode.BadConfig, message, { action: 'See `ehkd-terminal enrol --help`.' });
}
