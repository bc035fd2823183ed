import { Command, InvalidArgumentError } from 'commander';
import {
  Currency,
  ID_LENGTH,
  Limits,
  ROLE_NAME,
  Role,
  decodeCertificate,
  decodeCoseSign1,
  encodeTrustAnchorBundle,
  formatKeyFile,
  fromHex,
  parseAmount,
  toHex,
  type KeyFile,
} from '@ehkd/core';
import { Ledger } from '../ledger.js';
import { DEFAULT_INVITE_TTL_SECONDS, addMerchant, inviteTerminal } from '../scheme/terminal-enrolment.js';
import { renderTable } from '../reports/text-table.js';
import type { MerchantRecord, TerminalStatus } from '../store/ledger-store.js';
import { createCertifiedKey, createRootKey } from '../scheme/scheme-keys.js';
import { SqliteLedgerStore } from '../store/sqlite-ledger-store.js';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import {
  openLedger,
  readBytes,
  readCertificate,
  readPartyKey,
  writeNew,
  writeOutput,
  type LedgerFileOptions,
} from './cli-files.js';
import { collect, dbOption, integer, print, printJson } from './cli-options.js';

const DAY = 86_400;

/** `keys ...`: create root, issuer and acquirer keys; export certificates. */
export function keysCommand(): Command {
  const keys = new Command('keys').description(
    'create scheme keys (development and pilots: production keys live in HSMs)',
  );
  const now = (): number => Math.floor(Date.now() / 1000);
  const save = (file: KeyFile, out: string, certOut: string | undefined): void => {
    writeNew(out, formatKeyFile(file), 0o600);
    if (certOut !== undefined) writeNew(certOut, file.certificate);
    print(
      `${out}: ${ROLE_NAME[file.role]} ${toHex(file.id)}${certOut === undefined ? '' : `, certificate ${certOut}`}`,
    );
  };
  keys
    .command('create-root')
    .description('create the root key and its self-signed certificate')
    .requiredOption('--name <name>', 'scheme name in the certificate')
    .requiredOption('--out <file>', 'key file to create (JSON, mode 600)')
    .option('--cert-out <file>', 'also write the root certificate (the trust anchor anyone verifies evidence with)')
    .option('--id <hex>', 'root id (8 bytes hex); random by default')
    .option('--days <n>', 'validity in days', integer, 3650)
    .action((o: { name: string; out: string; certOut?: string; id?: string; days: number }) => {
      save(
        createRootKey({
          name: o.name,
          notBefore: now() - DAY,
          notAfter: now() + o.days * DAY,
          ...(o.id !== undefined && { id: hexId(o.id) }),
        }),
        o.out,
        o.certOut,
      );
    });
  for (const [name, role] of [
    ['issuer', Role.Issuer],
    ['acquirer', Role.Acquirer],
  ] as const) {
    keys
      .command(`create-${name}`)
      .description(`create an ${name} key certified by the root`)
      .requiredOption('--root-key <file>', 'the root key file')
      .requiredOption('--name <name>', `${name} name in the certificate`)
      .requiredOption('--out <file>', 'key file to create (JSON, mode 600)')
      .option('--cert-out <file>', 'also write the certificate')
      .option('--id <hex>', `${name} id (8 bytes hex); random by default`)
      .option('--days <n>', 'validity in days (clipped to the root)', integer, 1825)
      .action((o: { rootKey: string; name: string; out: string; certOut?: string; id?: string; days: number }) => {
        const root = readPartyKey(o.rootKey, Role.Root);
        save(
          createCertifiedKey(root, role, {
            name: o.name,
            notBefore: now() - DAY,
            notAfter: now() + o.days * DAY,
            ...(o.id !== undefined && { id: hexId(o.id) }),
          }),
          o.out,
          o.certOut,
        );
      });
  }
  keys
    .command('export-cert')
    .description('write the certificate of a key file (COSE_Sign1 bytes)')
    .argument('<key-file>')
    .requiredOption('--out <file>', 'certificate file to write')
    .action((keyFile: string, o: { out: string }) => {
      writeOutput(o.out, readCertificate(keyFile).bytes);
      print(o.out);
    });
  return keys;
}

/** `init`: record the scheme's trust anchors in a new ledger database. */
export function initCommand(): Command {
  return dbOption(new Command('init'))
    .description("create a ledger database for a scheme: root, issuers, this ledger's acquirer, first deny list")
    .requiredOption('--root <file>', 'root certificate or root key file')
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file")
    .option('--issuer <file>', 'issuer certificate or key file (repeatable)', collect, [])
    .action(async (o: { db: string; root: string; acquirerKey: string; issuer: string[] }) => {
      const acquirer = readPartyKey(o.acquirerKey, Role.Acquirer);
      const store = SqliteLedgerStore.open(o.db);
      try {
        await Ledger.initialise(
          store,
          readCertificate(o.root).bytes,
          o.issuer.map((f) => readCertificate(f).bytes),
          acquirer,
        );
      } finally {
        await store.close();
      }
      print(
        `${o.db}: initialised (acquirer ${toHex(acquirer.id)}, ${o.issuer.length} issuer(s)); deny list sequence 1`,
      );
    });
}

/** `merchant add|list`: the merchants terminals can be enrolled for (their name and MCC go into every certificate). */
export function merchantCommand(): Command {
  const merchant = new Command('merchant').description(
    'merchants: registered by the operator, the only source of the merchant fields of terminal certificates',
  );
  dbOption(merchant.command('add'))
    .description('register a merchant and print its id')
    .requiredOption(
      '--name <name>',
      'merchant display name (1..64 bytes of UTF-8; printed in every terminal certificate)',
    )
    .requiredOption('--mcc <n>', 'merchant category code (ISO 18245, 0..9999)', integer)
    .option('--id <hex>', 'merchant id (8 bytes hex); random by default')
    .option('--json', 'print JSON')
    .action(async (o: { db: string; name: string; mcc: number; id?: string; json?: boolean }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const m = await addMerchant(
          { store, clock: unixNow },
          { name: o.name, mcc: o.mcc, ...(o.id !== undefined && { merchantId: hexId(o.id) }) },
        );
        if (o.json === true) printJson(merchantJson(m));
        else print(toHex(m.merchantId));
      } finally {
        await store.close();
      }
    });
  dbOption(merchant.command('list'))
    .description('every registered merchant')
    .option('--json', 'print JSON')
    .action(async (o: { db: string; json?: boolean }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const all = await store.merchants();
        if (o.json === true) printJson(all.map(merchantJson));
        else
          print(
            renderTable(
              ['merchant', 'mcc', 'name', 'registered'],
              all.map((m) => [toHex(m.merchantId), String(m.mcc), m.name, isoTime(m.createdAt)]),
            ),
          );
      } finally {
        await store.close();
      }
    });
  return merchant;
}

/** `terminal invite|enrol|list|revoke`: enrolment codes, offline enrolment, the terminals and their revocation. */
export function terminalCommand(): Command {
  const terminal = new Command('terminal').description('terminal enrolment and revocation');
  dbOption(terminal.command('invite'))
    .description(
      'print a single-use, expiring enrolment code for a merchant (the terminal enrols with `ehkd-terminal enrol --code`); only its hash is stored',
    )
    .requiredOption('--merchant <hex>', 'a registered merchant id (8 bytes hex)')
    .option(
      '--ttl <duration>',
      'how long the code stays valid: seconds, or a number with s, m, h or d (at most 30d)',
      duration,
      DEFAULT_INVITE_TTL_SECONDS,
    )
    .option(
      '--terminal-id <hex>',
      'the terminal id to enrol (8 bytes hex): an enrolled terminal of this merchant gets a new certificate, and its old one is refused from then on',
    )
    .option('--json', 'print JSON')
    .action(async (o: { db: string; merchant: string; ttl: number; terminalId?: string; json?: boolean }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const { code, invite } = await inviteTerminal(
          { store, clock: unixNow },
          {
            merchantId: hexId(o.merchant),
            ttlSeconds: o.ttl,
            ...(o.terminalId !== undefined && { terminalId: hexId(o.terminalId) }),
          },
        );
        const what = {
          code,
          merchantId: toHex(invite.merchantId),
          terminalId: invite.terminalId === null ? null : toHex(invite.terminalId),
          expiresAt: invite.expiresAt,
        };
        if (o.json === true) printJson(what);
        else {
          print(code);
          process.stderr.write(
            `single use, for merchant ${what.merchantId}${what.terminalId === null ? '' : `, terminal ${what.terminalId}`}, valid until ${isoTime(invite.expiresAt)}; it is not shown again\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
  dbOption(terminal.command('enrol'))
    .description(
      'sign a terminal certificate from its public key for a registered merchant (offline enrolment) and record the terminal',
    )
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file")
    .requiredOption('--public-key <hex>', "the terminal's compressed P-256 public key (33 bytes hex)")
    .requiredOption(
      '--merchant <hex>',
      'a registered merchant id (8 bytes hex): the certificate takes its name and MCC',
    )
    .option(
      '--terminal-id <hex>',
      'terminal id (8 bytes hex); random by default. An enrolled terminal of this merchant gets a new certificate, and its old one is refused from then on',
    )
    .requiredOption('--out <file>', 'terminal certificate file to write (COSE_Sign1 bytes)')
    .action(
      async (o: {
        db: string;
        acquirerKey: string;
        publicKey: string;
        merchant: string;
        terminalId?: string;
        out: string;
      }) => {
        const request = {
          publicKey: hexArg(o.publicKey, 'public key'),
          merchantId: hexId(o.merchant),
          ...(o.terminalId !== undefined && { terminalId: hexId(o.terminalId) }),
        };
        const { ledger, close } = await openLedger(o);
        try {
          const record = await ledger.enrolTerminal(request);
          writeOutput(o.out, record.certificate);
          print(
            `terminal ${toHex(record.terminalId)} of merchant ${toHex(record.merchantId)} ("${record.name}", MCC ${record.mcc}) enrolled; certificate ${o.out}`,
          );
        } finally {
          await close();
        }
      },
    );
  dbOption(terminal.command('list'))
    .description('every enrolled terminal: merchant, state, enrolment and revocation times, certificate expiry')
    .option('--json', 'print JSON')
    .action(async (o: { db: string; json?: boolean }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const all = (await store.terminals()).map(terminalJson);
        if (o.json === true) printJson(all);
        else
          print(
            renderTable(
              ['terminal', 'merchant', 'state', 'enrolled', 'revoked', 'certificate until'],
              all.map((t) => [
                t.terminalId,
                t.merchantId,
                t.state,
                isoTime(t.enrolledAt),
                t.revokedAt === null ? '' : isoTime(t.revokedAt),
                isoTime(t.notAfter),
              ]),
            ),
          );
      } finally {
        await store.close();
      }
    });
  dbOption(terminal.command('revoke'))
    .description(
      'revoke a terminal: its uploads (HTTP and files) and load requests are refused from now on, whole; what it did not upload before is not settled',
    )
    .argument('<terminal-id>', 'terminal id (8 bytes hex)')
    .action(async (id: string, o: { db: string }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const t = await store.revokeTerminal(hexId(id), unixNow());
        print(
          `terminal ${toHex(t.terminalId)} of merchant ${toHex(t.merchantId)} revoked at ${isoTime(t.revokedAt ?? 0)}`,
        );
      } finally {
        await store.close();
      }
    });
  return terminal;
}

/** `load ...`: online load authorization and load receipts, from files (for load stations without HTTP). */
export function loadCommand(): Command {
  const load = new Command('load').description('online loads');
  dbOption(load.command('authorize'))
    .description(
      "the issuer's desk: sign a load authorization for a card's challenge with its issuer key, and record it (no merchant is debited)",
    )
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file")
    .requiredOption('--issuer-key <file>', 'issuer key file (repeatable)', collect, [])
    .requiredOption('--card-cert <file>', "the card's certificate (COSE_Sign1 bytes, from SELECT)")
    .requiredOption('--challenge <hex>', "the card's GET CHALLENGE answer (CardChallenge CBOR, hex)")
    .requiredOption('--amount <amount>', 'amount, e.g. 100.00')
    .requiredOption('--out <file>', 'LoadAuthorization file to write (COSE_Sign1 bytes)')
    .action(
      async (o: {
        db: string;
        acquirerKey: string;
        issuerKey: string[];
        cardCert: string;
        challenge: string;
        amount: string;
        out: string;
      }) => {
        const { ledger, close } = await openLedger(o);
        try {
          const result = await ledger.authorizeDeskLoad({
            challenge: hexArg(o.challenge, 'challenge'),
            amount: parseAmount(o.amount, Currency.HKD),
            currency: Currency.HKD,
            cardCertificate: readBytes(o.cardCert, Limits.certificateBytes),
          });
          if (!result.ok)
            throw new LedgerError(LedgerErrorCode.BadRequest, `load refused (${result.check}): ${result.reason}`);
          writeOutput(o.out, result.value);
          print(`authorized ${o.amount}; authorization ${o.out}`);
        } finally {
          await close();
        }
      },
    );
  dbOption(load.command('record'))
    .description("record a card's load receipt")
    .argument('<receipt-file>', 'LoadReceipt COSE_Sign1 bytes')
    .requiredOption('--acquirer-key <file>', "this ledger's acquirer key file")
    .action(async (file: string, o: { db: string; acquirerKey: string }) => {
      const { ledger, close } = await openLedger(o);
      try {
        const result = await ledger.recordLoadReceipt(readBytes(file, Limits.receiptBytes));
        if (!result.ok)
          throw new LedgerError(LedgerErrorCode.BadRequest, `load receipt refused (${result.check}): ${result.reason}`);
        print(
          `load receipt ${toHex(result.value.receiptId)}: status ${result.value.status}${result.value.reason === undefined ? '' : ` (${result.value.reason})`}`,
        );
      } finally {
        await close();
      }
    });
  return load;
}

/** `deny-list` and `trust-anchors`: publish the signed deny list and the trust-anchor bundle to files. */
export function publishCommands(): Command[] {
  const denyList = dbOption(new Command('deny-list'))
    .description(
      'write the newest signed deny list (COSE_Sign1) for terminals that sync by file, re-signed if older than an hour',
    )
    .requiredOption('--out <file>', 'file to write')
    .requiredOption(
      '--acquirer-key <file>',
      "this ledger's acquirer key file (re-signs the list with a fresh issuedAt)",
    )
    .action(async (o: LedgerFileOptions & { out: string }) => {
      const { ledger, store, close } = await openLedger(o);
      try {
        writeOutput(o.out, await ledger.denyList());
        const list = await store.latestDenyList();
        print(`deny list sequence ${list.sequence} issued ${new Date(list.issuedAt * 1000).toISOString()}: ${o.out}`);
      } finally {
        await close();
      }
    });
  const anchors = dbOption(new Command('trust-anchors'))
    .description('write the trust-anchor bundle (root, issuers, acquirers; CBOR)')
    .requiredOption('--out <file>', 'file to write')
    .action(async (o: { db: string; out: string }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const anchors = await store.trustAnchors();
        writeOutput(o.out, encodeTrustAnchorBundle({ root: anchors.root, certificates: anchors.certificates }));
        print(`${o.out}: root and ${anchors.certificates.length} issuer/acquirer certificate(s)`);
      } finally {
        await store.close();
      }
    });
  return [denyList, anchors];
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function merchantJson(m: MerchantRecord): { merchantId: string; name: string; mcc: number; createdAt: number } {
  return { merchantId: toHex(m.merchantId), name: m.name, mcc: m.mcc, createdAt: m.createdAt };
}

/** A terminal for `terminal list`: its state, and its certificate's expiry read from the certificate itself. */
function terminalJson(t: TerminalStatus): {
  terminalId: string;
  merchantId: string;
  name: string;
  state: 'enrolled' | 'revoked';
  enrolledAt: number;
  revokedAt: number | null;
  notAfter: number;
} {
  const cert = decodeCertificate(decodeCoseSign1(t.certificate, Limits.certificateBytes).payload);
  return {
    terminalId: toHex(t.terminalId),
    merchantId: toHex(t.merchantId),
    name: t.name,
    state: t.revokedAt === null ? 'enrolled' : 'revoked',
    enrolledAt: t.enrolledAt,
    revokedAt: t.revokedAt,
    notAfter: cert.notAfter,
  };
}

/** Commander parser of a duration: seconds, or a number followed by s, m, h or d. */
function duration(value: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(value);
  if (m === null)
    throw new InvalidArgumentError(
      'a duration is a number of seconds, or a number followed by s, m, h or d (e.g. 24h)',
    );
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3_600, d: DAY }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

function hexId(text: string): Uint8Array {
  const id = hexArg(text, 'id');
  if (id.length !== ID_LENGTH) throw new InvalidArgumentError(`an id is ${ID_LENGTH} bytes`);
  return id;
}

function hexArg(text: string, what: string): Uint8Array {
  try {
    return fromHex(text);
  } catch {
    throw new InvalidArgumentError(`${what} must be hex`);
  }
}
