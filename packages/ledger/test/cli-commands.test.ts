import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, afterAll } from 'vitest';
import { Limits, Role, decodeCertificate, decodeCoseSign1, generatePrivateKey, toHex } from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { Ledger } from '../src/ledger.js';
import { partyKeyFromFile } from '../src/scheme/party-key.js';
import { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { TestCard, loadCard, signBatch, tempDir, removeTempDirs } from './fixtures/test-scheme.js';

const BIN = fileURLToPath(new URL('../bin/ehkd-ledger.js', import.meta.url));

function cli(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(removeTempDirs);
describe('ehkd-ledger for operators', () => {
  it('creates a scheme, enrols a terminal offline, ingests its batch file, and exports double-spend evidence anyone can verify', async () => {
    const dir = tempDir('ehkd-ledger-cli-');
    const ok = (...args: string[]): string => {
      const r = cli(dir, ...args);
      if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}${r.stdout}`);
      return r.stdout;
    };
    ok('keys', 'create-root', '--name', 'Pilot root', '--out', 'root.key.json', '--cert-out', 'root.cert');
    ok('keys', 'create-issuer', '--root-key', 'root.key.json', '--name', 'Bank', '--out', 'issuer.key.json');
    ok('keys', 'create-acquirer', '--root-key', 'root.key.json', '--name', 'Acquirer', '--out', 'acquirer.key.json');
    expect(
      cli(
        dir,
        'keys',
        'create-acquirer',
        '--root-key',
        'root.key.json',
        '--name',
        'Again',
        '--out',
        'acquirer.key.json',
      ).status,
    ).toBe(1);
    ok(
      'init',
      '--db',
      'ledger.db',
      '--root',
      'root.cert',
      '--issuer',
      'issuer.key.json',
      '--acquirer-key',
      'acquirer.key.json',
    );

    // Offline enrolment: the terminal hands over its public key; the operator hands back a certificate file.
    const terminalSigner = createNodeSigner(generatePrivateKey());
    expect(
      ok('merchant', 'add', '--db', 'ledger.db', '--id', '0011223344556677', '--name', 'Noodle bar', '--mcc', '5812'),
    ).toBe('0011223344556677\n');
    expect(
      cli(dir, 'merchant', 'add', '--db', 'ledger.db', '--id', '0011223344556677', '--name', 'Again', '--mcc', '5812')
        .stderr,
    ).toContain('LEDGER_MERCHANT_CONFLICT');
    expect(ok('merchant', 'list', '--db', 'ledger.db')).toContain('Noodle bar');
    ok(
      'terminal',
      'enrol',
      '--db',
      'ledger.db',
      '--acquirer-key',
      'acquirer.key.json',
      '--public-key',
      toHex(terminalSigner.publicKey),
      '--merchant',
      '0011223344556677',
      '--out',
      'terminal.cert',
    );
    const terminalCert = new Uint8Array(readFileSync(join(dir, 'terminal.cert')));
    const cert = decodeCertificate(decodeCoseSign1(terminalCert, Limits.certificateBytes).payload);
    expect(cert.role).toBe(Role.Terminal);
    const terminal = {
      id: cert.subject,
      merchantId: cert.terminal?.merchantId ?? new Uint8Array(8),
      signer: terminalSigner,
      certificate: terminalCert,
    };

    // A card loaded online, then cloned; both copies pay at the terminal, which exports its batch to a file.
    const issuer = partyKeyFromFile(readFileSync(join(dir, 'issuer.key.json'), 'utf8'), Role.Issuer, 'issuer');
    const acquirer = partyKeyFromFile(readFileSync(join(dir, 'acquirer.key.json'), 'utf8'), Role.Acquirer, 'acquirer');
    const store = SqliteLedgerStore.open(join(dir, 'ledger.db'));
    const ledger = await Ledger.open({ store, acquirer, issuers: [issuer], workers: 1 });
    const card = TestCard.issue(issuer);
    await loadCard(ledger, card, 10_000);
    await ledger.close();
    await store.close();
    const clone = card.clone();
    writeFileSync(
      join(dir, 'batch.cbor'),
      signBatch(terminal, [card.pay(1_500, terminal.id), clone.pay(2_500, terminal.id)], [card]),
    );

    const ingested = cli(
      dir,
      'ingest',
      '--db',
      'ledger.db',
      '--acquirer-key',
      'acquirer.key.json',
      '--results',
      '.',
      'batch.cbor',
    );
    expect(ingested.status).toBe(0);
    expect(ingested.stdout).toContain('1 accepted, 0 duplicate, 0 rejected, 1 double-spend');

    const cases = JSON.parse(ok('report', 'cases', '--db', 'ledger.db', '--json')) as {
      caseId: number;
      kind: string;
      cardId: string;
      issuerId: string;
    }[];
    expect(cases).toEqual([
      expect.objectContaining({ kind: 'conflicting-counter', cardId: toHex(card.id), issuerId: toHex(issuer.id) }),
    ]);
    ok('evidence', 'export', String(cases[0]?.caseId), '--db', 'ledger.db', '--out', 'case.cbor');
    const verified = cli(dir, 'evidence', 'verify', 'case.cbor', '--root', 'root.cert');
    expect(verified.status).toBe(0);
    expect(verified.stdout).toContain(`VALID: conflicting-counter by card ${toHex(card.id)}`);

    const tampered = new Uint8Array(readFileSync(join(dir, 'case.cbor')));
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] as number) ^ 1;
    writeFileSync(join(dir, 'tampered.cbor'), tampered);
    const refused = cli(dir, 'evidence', 'verify', 'tampered.cbor', '--root', 'root.cert');
    expect(refused.status).toBe(3);
    expect(refused.stdout).toContain('INVALID');

    expect(ok('report', 'settlement', '--db', 'ledger.db')).toContain('Noodle bar');
    const history = JSON.parse(ok('report', 'card', toHex(card.id), '--db', 'ledger.db', '--json')) as {
      lastKnownBalance: number;
      revokedAt: string | null;
    };
    expect(history).toMatchObject({ lastKnownBalance: 8_500 });
    expect(history.revokedAt).not.toBeNull();
    expect(ok('report', 'audit', '--db', 'ledger.db')).toContain('AUDIT BALANCES');

    // An invite prints a code once; the operator lists terminals and revokes one, whose next batch file is refused whole.
    expect(ok('terminal', 'invite', '--db', 'ledger.db', '--merchant', '0011223344556677', '--ttl', '2h')).toMatch(
      /^([0-9a-f]{4}-){7}[0-9a-f]{4}\n$/,
    );
    expect(cli(dir, 'terminal', 'invite', '--db', 'ledger.db', '--merchant', '0101010101010101').stderr).toContain(
      'LEDGER_NOT_FOUND',
    );
    const listed = JSON.parse(ok('terminal', 'list', '--db', 'ledger.db', '--json')) as {
      terminalId: string;
      merchantId: string;
      state: string;
      notAfter: number;
    }[];
    expect(listed).toEqual([
      expect.objectContaining({
        terminalId: toHex(terminal.id),
        merchantId: '0011223344556677',
        state: 'enrolled',
        notAfter: cert.notAfter,
      }),
    ]);
    expect(ok('terminal', 'revoke', toHex(terminal.id), '--db', 'ledger.db')).toContain('revoked at');
    expect(ok('terminal', 'list', '--db', 'ledger.db')).toContain('revoked');
    writeFileSync(join(dir, 'late.cbor'), signBatch(terminal, [card.pay(100, terminal.id)], [card]));
    const late = cli(dir, 'ingest', '--db', 'ledger.db', '--acquirer-key', 'acquirer.key.json', 'late.cbor');
    expect(late.status).toBe(3);
    expect(late.stdout).toContain('REFUSED (cert-chain)');
    expect(late.stdout).toContain('revoked');

    ok('deny-list', '--db', 'ledger.db', '--acquirer-key', 'acquirer.key.json', '--out', 'deny.cbor');
    expect(ok('deny-list', '--db', 'ledger.db', '--acquirer-key', 'acquirer.key.json', '--out', 'deny.cbor')).toContain(
      'sequence 2',
    );
  });

  it('refuses a batch file that is not a batch, with exit code 3', () => {
    const dir = tempDir('ehkd-ledger-cli-');
    const r1 = cli(dir, 'keys', 'create-root', '--name', 'R', '--out', 'root.key.json');
    expect(r1.status).toBe(0);
    cli(dir, 'keys', 'create-acquirer', '--root-key', 'root.key.json', '--name', 'A', '--out', 'acquirer.key.json');
    cli(dir, 'init', '--db', 'ledger.db', '--root', 'root.key.json', '--acquirer-key', 'acquirer.key.json');
    writeFileSync(join(dir, 'junk.cbor'), 'not a batch');
    const r = cli(
      dir,
      'ingest',
      '--db',
      'ledger.db',
      '--acquirer-key',
      'acquirer.key.json',
      'junk.cbor',
      'missing.cbor',
    );
    expect(r.status).toBe(3);
    expect(r.stdout).toContain('junk.cbor: REFUSED (structure)');
    expect(r.stdout).toContain('missing.cbor: REFUSED');
  });
});
