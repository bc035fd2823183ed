import type { Command } from 'commander';
import { writeFileDurably } from '@ehkd/core/node';
import { TerminalError, TerminalErrorCode } from '../../errors/terminal-error.js';
import { enrolmentRequestJson } from '../../store/config-store.js';
import type { EnrolmentFields, EnrolmentReport } from '../../enrol/enrolment.js';
import { globals, idArg, withTerminal } from '../cli-context.js';
import { ledgerTrustArgs, readMessageFile } from '../input-file.js';
import { emit, lines, when } from '../output.js';
import { NextStep } from '../../errors/next-step.js';

interface EnrolOptions {
  merchant?: string;
  terminalId?: string;
  ledger?: string;
  code?: string;
  ledgerCa?: string;
  insecureHttp?: boolean;
  root?: string;
  request?: string;
  certificate?: string;
  trustAnchors?: string;
  denyList?: string;
}

/**
 * `enrol`, three ways:
 * - online:  enrol --ledger <url> [--ledger-ca <pem> | --insecure-http] --code <enrolment code> --root <root cert>
 *            (the code names the merchant and terminal id)
 * - offline: enrol --request <out.json> [--merchant <hex>] [--terminal-id <hex>]
 *   then:    enrol --certificate <cert.hex> --trust-anchors <bundle> [--root <root cert>] [--deny-list <file>]
 */
export function registerEnrol(program: Command): void {
  program
    .command('enrol')
    .description(
      'make the terminal key and install its acquirer certificate (online with an enrolment code, or offline with files)',
    )
    .option('--ledger <url>', 'online: the acquirer ledger service (https://)')
    .option(
      '--ledger-ca <file>',
      "online: the ledger's TLS CA or self-signed certificate (PEM), pinned for every later call",
    )
    .option('--insecure-http', 'online: allow a plain http:// ledger URL (only over a link protected otherwise)')
    .option(
      '--code <code>',
      'online: the single-use enrolment code your acquirer gave you (`ehkd-ledger terminal invite`)',
    )
    .option('--root <file>', 'the scheme root certificate to pin (hex or binary; required online)')
    .option('--request <file>', 'offline step 1: write the certificate request (JSON) to this file')
    .option(
      '--merchant <hex>',
      'offline step 1: the merchant id your acquirer registered you under (16 hex digits); the certificate must name it',
    )
    .option(
      '--terminal-id <hex>',
      'offline step 1: terminal id to ask for (16 hex digits; default: the acquirer assigns one)',
    )
    .option('--certificate <file>', 'offline step 2: install this signed terminal certificate (hex or binary)')
    .option('--trust-anchors <file>', 'offline step 2: the trust-anchor bundle the certificate chains to')
    .option('--deny-list <file>', 'offline step 2: a deny list to start with')
    .action(async (opts: EnrolOptions, command: Command) => {
      const g = globals(command);
      const modes = [opts.ledger !== undefined, opts.request !== undefined, opts.certificate !== undefined].filter(
        Boolean,
      ).length;
      if (modes !== 1)
        throw usage(
          'choose exactly one of --ledger (online), --request (offline step 1) or --certificate (offline step 2)',
        );
      await withTerminal(g, async (terminal) => {
        if (opts.certificate !== undefined) {
          if (opts.trustAnchors === undefined)
            throw usage('--certificate needs --trust-anchors (the bundle your acquirer gave with it)');
          const report = terminal.installEnrolment(
            readMessageFile(opts.certificate, 'certificate'),
            readMessageFile(opts.trustAnchors, 'trust anchors'),
            {
              ...(opts.root !== undefined && { pinnedRoot: readMessageFile(opts.root, 'root certificate') }),
              ...(opts.denyList !== undefined && { denyList: readMessageFile(opts.denyList, 'deny list') }),
            },
          );
          emit(g.json, report, () => describeEnrolment(report));
          return;
        }
        if (opts.request !== undefined) {
          const fields: EnrolmentFields = {
            ...(opts.merchant !== undefined && { merchantId: idArg(opts.merchant, '--merchant') }),
            ...(opts.terminalId !== undefined && { terminalId: idArg(opts.terminalId, '--terminal-id') }),
          };
          const request = enrolmentRequestJson(terminal.prepareEnrolment(fields));
          try {
            writeFileDurably(opts.request, `${JSON.stringify(request, null, 2)}\n`);
          } catch (e) {
            throw new TerminalError(
              TerminalErrorCode.BadFile,
              `cannot write ${opts.request}: ${(e as Error).message}`,
              { next: NextStep.CheckFile },
              e,
            );
          }
          emit(
            g.json,
            { request: opts.request, ...request },
            () =>
              `Certificate request written to ${opts.request} (terminal public key ${String(request['publicKey'])}).\n` +
              '  Give it to your acquirer, then run: ehkd-terminal enrol --certificate <cert file> --trust-anchors <bundle file> [--deny-list <file>]',
          );
          return;
        }
        if (opts.merchant !== undefined || opts.terminalId !== undefined)
          throw usage('online enrolment takes no --merchant or --terminal-id: your enrolment code says them');
        if (opts.code === undefined || opts.root === undefined) throw usage('online enrolment needs --code and --root');
        const report = await terminal.enrolOnline(
          opts.ledger as string,
          opts.code,
          readMessageFile(opts.root, 'root certificate'),
          ledgerTrustArgs(opts),
        );
        emit(g.json, report, () => describeEnrolment(report));
      });
    });
}

function describeEnrolment(r: EnrolmentReport): string {
  return `Enrolled.\n${lines([
    ['terminal', r.terminalId],
    ['merchant', `${r.merchantId}${r.merchantName === undefined ? '' : ` "${r.merchantName}"`} (MCC ${r.mcc})`],
    ['acquirer', r.acquirerId],
    ['valid until', when(r.notAfter)],
    [
      'deny list',
      r.denyListSequence === undefined
        ? 'none yet: sync or `update --deny-list` before taking payments'
        : `#${r.denyListSequence}`,
    ],
  ])}`;
}

function usage(message: string): TerminalError {
  return new TerminalError(TerminalErrorCode.BadConfig, message, { next: NextStep.FixUsage });
}
