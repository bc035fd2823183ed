import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Role, fromHex, toHex } from '@ehkd/core';
import { certifyLeaf, createDevScheme, devId } from '@ehkd/core/testing';
import { FileCardStore, PurseApplet } from '@ehkd/card-sim';
import { ReceiptState, Terminal, TerminalErrorCode } from '../src/index.js';
import { json, runCli } from './fixtures/cli-runner.js';
import { MERCHANT_ID, denyList, scheme, softCard, tempDir, trustBundle } from './fixtures/scheme-fixture.js';
import { NextStep } from '../src/errors/next-step.js';

const TERMINAL_ID = devId(0x05, 42);

/** The acquirer's side of offline enrolment: signs the request file's key into a terminal certificate, with the merchant's registered name and MCC. */
function signRequest(requestFile: string, acquirer = scheme.acquirer): Uint8Array {
  const request = JSON.parse(readFileSync(requestFile, 'utf8')) as {
    publicKey: string;
    terminalId: string;
    merchantId: string;
  };
  return certifyLeaf(acquirer, {
    role: Role.Terminal,
    subject: fromHex(request.terminalId),
    publicKey: fromHex(request.publicKey),
    terminal: { merchantId: fromHex(request.merchantId), mcc: 5411 },
    name: 'Kowloon Noodles',
  });
}

async function requestEnrolment(dir: string, dataDir: string): Promise<string> {
  const requestFile = join(dir, 'request.json');
  const r = await runCli([
    '-d',
    dataDir,
    'enrol',
    '--request',
    requestFile,
    '--merchant',
    toHex(MERCHANT_ID),
    '--terminal-id',
    toHex(TERMINAL_ID),
  ]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/Give it to your acquirer/);
  return requestFile;
}

describe('offline enrolment through the CLI, then a cold start with no network', () => {
  it('enrols from files, takes a payment with the ledger unreachable, and keeps the receipt queued when sync fails', async () => {
    const dir = tempDir('ehkd-enrol-');
    const dataDir = join(dir, 'terminal');
    const requestFile = await requestEnrolment(dir, dataDir);
    const request = JSON.parse(readFileSync(requestFile, 'utf8')) as Record<string, unknown>;
    expect(request).toEqual({
      publicKey: expect.any(String),
      terminalId: toHex(TERMINAL_ID),
      merchantId: toHex(MERCHANT_ID),
    });
    expect(String(request['publicKey'])).toMatch(/^0[23][0-9a-f]{64}$/);

    writeFileSync(join(dir, 'cert.hex'), `${toHex(signRequest(requestFile))}\n`);
    writeFileSync(join(dir, 'anchors.cbor'), trustBundle());
    writeFileSync(join(dir, 'root.hex'), toHex(scheme.root.certificate));
    writeFileSync(join(dir, 'deny.cose'), denyList({ sequence: 4 }));
    const installed = await runCli([
      '-d',
      dataDir,
      '--json',
      'enrol',
      '--certificate',
      join(dir, 'cert.hex'),
      '--trust-anchors',
      join(dir, 'anchors.cbor'),
      '--root',
      join(dir, 'root.hex'),
      '--deny-list',
      join(dir, 'deny.cose'),
    ]);
    expect(installed.code, installed.stderr).toBe(0);
    expect(json(installed)).toMatchObject({
      terminalId: toHex(TERMINAL_ID),
      merchantId: toHex(MERCHANT_ID),
      merchantName: 'Kowloon Noodles',
      mcc: 5411,
      acquirerId: toHex(scheme.acquirer.id),
      denyListSequence: 4,
    });

    // A ledger that does not answer: port 9 (discard) on loopback refuses connections.
    expect((await runCli(['-d', dataDir, 'config', '--ledger', 'http://127.0.0.1:9', '--insecure-http'])).code).toBe(0);
    const cardFile = join(dir, 'card');
    (await softCard(5_000, { file: cardFile })).store.close();
    const charged = await runCli(['-d', dataDir, 'charge', '12.50', '--sim', cardFile]);
    expect(charged.code, charged.stderr).toBe(0);
    expect(charged.stdout).toMatch(/^APPROVED {2}HK\$12\.50/);
    const store = FileCardStore.open(cardFile);
    expect(new PurseApplet(store).state.balance).toBe(3_750);
    store.close();

    const sync = await runCli(['-d', dataDir, '--json', 'sync', '--attempts', '2']);
    expect(sync.code).toBe(3);
    expect(json<{ error: { code: string; next: string; advice: string } }>(sync).error).toMatchObject({
      code: TerminalErrorCode.LedgerUnreachable,
      next: NextStep.RetryLater,
      advice: expect.stringMatching(/Nothing is lost/),
    });

    const status = json<{
      queue: Record<string, { count: number }>;
      sync: { lastError?: string };
      canTakePayments: boolean;
    }>(await runCli(['-d', dataDir, '--json', 'status']));
    expect(status.queue[ReceiptState.Queued]?.count).toBe(1);
    expect(status.sync.lastError).toMatch(/unreachable/);
    expect(status.canTakePayments).toBe(true);
    const human = await runCli(['-d', dataDir, 'status']);
    expect(human.stdout).toMatch(/queued +1 \(HK\$12\.50\)/);
    expect(human.stdout).toMatch(/Ready to take payments/);
  });

  it('refuses a certificate for another key, and trust anchors of another root, installing nothing', async () => {
    const dir = tempDir('ehkd-enrol-');
    const dataDir = join(dir, 'terminal');
    await requestEnrolment(dir, dataDir);
    const stranger = Terminal.open({ dataDir: tempDir() });
    const otherRequest = stranger.prepareEnrolment({ merchantId: MERCHANT_ID, terminalId: TERMINAL_ID });
    stranger.close();
    writeFileSync(
      join(dir, 'wrong.hex'),
      toHex(
        certifyLeaf(scheme.acquirer, {
          role: Role.Terminal,
          subject: TERMINAL_ID,
          publicKey: otherRequest.publicKey,
          terminal: { merchantId: MERCHANT_ID, mcc: 5411 },
        }),
      ),
    );
    writeFileSync(join(dir, 'anchors.cbor'), trustBundle());
    const wrongKey = await runCli([
      '-d',
      dataDir,
      '--json',
      'enrol',
      '--certificate',
      join(dir, 'wrong.hex'),
      '--trust-anchors',
      join(dir, 'anchors.cbor'),
    ]);
    expect(wrongKey.code).toBe(3);
    expect(json<{ error: { code: string; message: string } }>(wrongKey).error).toMatchObject({
      code: TerminalErrorCode.EnrolmentFailed,
      message: expect.stringMatching(/another key/),
    });

    const other = createDevScheme(new Uint8Array(32).fill(1));
    writeFileSync(join(dir, 'other-anchors.cbor'), trustBundle(other));
    writeFileSync(join(dir, 'root.hex'), toHex(scheme.root.certificate));
    writeFileSync(join(dir, 'cert.hex'), toHex(signRequest(join(dir, 'request.json'), other.acquirer)));
    const wrongRoot = await runCli([
      '-d',
      dataDir,
      '--json',
      'enrol',
      '--certificate',
      join(dir, 'cert.hex'),
      '--trust-anchors',
      join(dir, 'other-anchors.cbor'),
      '--root',
      join(dir, 'root.hex'),
    ]);
    expect(wrongRoot.code).toBe(3);
    expect(json<{ error: { code: string } }>(wrongRoot).error.code).toBe(TerminalErrorCode.TrustRejected);

    const status = json<{ enrolled: boolean }>(await runCli(['-d', dataDir, '--json', 'status']));
    expect(status.enrolled).toBe(false);
  });

  it('keeps the key across a repeated request, so the certificate of the first request still installs', async () => {
    const dir = tempDir('ehkd-enrol-');
    const dataDir = join(dir, 'terminal');
    const first = JSON.parse(readFileSync(await requestEnrolment(dir, dataDir), 'utf8')) as { publicKey: string };
    const second = JSON.parse(readFileSync(await requestEnrolment(dir, dataDir), 'utf8')) as { publicKey: string };
    expect(second.publicKey).toBe(first.publicKey);
  });

  it('refuses a terminal certificate that has expired', async () => {
    const terminal = Terminal.open({ dataDir: tempDir() });
    try {
      const request = terminal.prepareEnrolment({ merchantId: MERCHANT_ID, terminalId: TERMINAL_ID });
      const expired = certifyLeaf(scheme.acquirer, {
        role: Role.Terminal,
        subject: TERMINAL_ID,
        publicKey: request.publicKey,
        terminal: { merchantId: MERCHANT_ID, mcc: 5411 },
        notBefore: 1_735_689_600,
        notAfter: 1_735_776_000,
      });
      expect(() => terminal.installEnrolment(expired, trustBundle())).toThrow(
        expect.objectContaining({
          code: TerminalErrorCode.EnrolmentFailed,
          detail: expect.objectContaining({ check: 'cert-expiry' }),
        }),
      );
      expect(terminal.identity).toBeUndefined();
    } finally {
      terminal.close();
    }
  });
});
