// Attacks on enrolment (issue 11, "No value from nowhere"): whoever holds an enrolment credential must not get a
// terminal certified for another merchant, reuse or outlive the credential, guess one, take over another terminal's
// enrolment, or keep acting once the operator revoked or replaced its certificate. Each test is one attack.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CBOR_CONTENT_TYPE,
  LedgerApi,
  Limits,
  decodeCertificate,
  decodeCoseSign1,
  fromHex,
  generatePrivateKey,
  toHex,
  type Signer,
} from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { EnrolmentThrottle } from '../src/http/enrolment-throttle.js';
import { parseEnrolmentRequest } from '../src/scheme/terminal-enrolment.js';
import type { MerchantRecord } from '../src/store/ledger-store.js';
import {
  TestCard,
  createTestScheme,
  loadCard,
  nowSeconds,
  signBatch,
  signLoadRequest,
  type TestScheme,
  type TestTerminal,
} from './fixtures/test-scheme.js';
import { startTestServer, type TestServer } from './fixtures/test-server.js';

/** Small limits so that a brute-force run reaches them in a few requests. */
const LIMITS = { clientFailures: 3, globalFailures: 10, windowSeconds: 60, lockoutSeconds: 120 } as const;

let scheme: TestScheme;
let server: TestServer;
let time = nowSeconds();

beforeAll(async () => {
  scheme = createTestScheme();
  server = await startTestServer(scheme, { clock: () => time, enrolmentLimits: LIMITS });
});

afterAll(() => server.close());

/** Moves the ledger's clock past any lockout a test left behind, so that tests do not depend on each other. */
function pastLockouts(): void {
  time += LIMITS.lockoutSeconds + LIMITS.windowSeconds + 1;
}

function post(
  path: string,
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.base}${path}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
}

function enrol(body: unknown, code: string): Promise<Response> {
  return post(LedgerApi.enrolTerminal, JSON.stringify(body), 'application/json', { authorization: `Bearer ${code}` });
}

async function merchant(name: string): Promise<MerchantRecord> {
  return server.ledger.addMerchant({ name, mcc: 5812 });
}

async function invite(
  m: MerchantRecord,
  options: { terminalId?: Uint8Array; ttlSeconds?: number } = {},
): Promise<string> {
  return (await server.ledger.inviteTerminal({ merchantId: m.merchantId, ...options })).code;
}

/** Enrols a key over HTTP with a code; the terminal as a test party. */
async function enrolled(code: string, signer: Signer = createNodeSigner(generatePrivateKey())): Promise<TestTerminal> {
  const res = await enrol({ publicKey: toHex(signer.publicKey) }, code);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { certificate: string; terminalId: string; merchantId: string };
  return {
    id: fromHex(body.terminalId),
    merchantId: fromHex(body.merchantId),
    signer,
    certificate: fromHex(body.certificate),
  };
}

async function upload(terminal: TestTerminal, card: TestCard): Promise<Response> {
  return post(LedgerApi.batches, signBatch(terminal, [card.pay(100, terminal.id)], [card]), CBOR_CONTENT_TYPE);
}

async function loadedCard(amount = 10_000): Promise<TestCard> {
  const card = TestCard.issue(scheme.issuer);
  await loadCard(server.ledger, card, amount);
  return card;
}

describe('attacks on enrolment', () => {
  it('a code holder cannot get a terminal certified for another merchant, nor have its loads debited to one', async () => {
    const victim = await merchant('Victim Jewellers');
    const attacker = await merchant('Attacker Kiosk');
    const code = await invite(attacker);
    const signer = createNodeSigner(generatePrivateKey());
    const named = await enrol(
      { publicKey: toHex(signer.publicKey), merchantId: toHex(victim.merchantId), mcc: 5944, name: 'Victim Jewellers' },
      code,
    );
    expect(named.status).toBe(400);
    expect(await named.json()).toMatchObject({ error: 'LEDGER_BAD_REQUEST' });
    // The refusal did not use the code up; enrolled without merchant fields, it is the attacker's own merchant's terminal.
    const point = await enrolled(code, signer);
    const cert = decodeCertificate(decodeCoseSign1(point.certificate, Limits.certificateBytes).payload);
    expect(toHex(cert.terminal?.merchantId ?? new Uint8Array())).toBe(toHex(attacker.merchantId));
    expect(cert.name).toBe('Attacker Kiosk');
    const card = TestCard.issue(scheme.issuer);
    expect(
      (await post(LedgerApi.authorizeLoad, signLoadRequest(point, card, card.challenge(), 5_000), CBOR_CONTENT_TYPE))
        .status,
    ).toBe(200);
    const lines = await server.store.merchantSettlement();
    expect(lines.find((l) => toHex(l.merchantId) === toHex(victim.merchantId))).toBeUndefined();
    expect(lines.find((l) => toHex(l.merchantId) === toHex(attacker.merchantId))).toMatchObject({ loadAmount: 5_000 });
  });

  it('a code is good for one enrolment: reused, or redeemed by eight racing requests, exactly one wins', async () => {
    pastLockouts();
    const m = await merchant('Single use');
    const code = await invite(m);
    await enrolled(code);
    const again = await enrol({ publicKey: toHex(createNodeSigner(generatePrivateKey()).publicKey) }, code);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({
      error: 'LEDGER_UNAUTHORIZED',
      reason: 'this enrolment code was already used',
    });

    // Racing requests on a service of its own, whose limits let all seven losers through to the code.
    const racing = await startTestServer(scheme, {
      enrolmentLimits: { ...LIMITS, clientFailures: 100, globalFailures: 100 },
    });
    try {
      const shop = await racing.ledger.addMerchant({ name: 'Raced', mcc: 5812 });
      const { code: raced } = await racing.ledger.inviteTerminal({ merchantId: shop.merchantId });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          fetch(`${racing.base}${LedgerApi.enrolTerminal}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${raced}` },
            body: JSON.stringify({ publicKey: toHex(createNodeSigner(generatePrivateKey()).publicKey) }),
          }),
        ),
      );
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
      expect(await racing.store.terminals()).toHaveLength(1);
    } finally {
      // Not racing.close(): that removes every temporary directory, the main server's database among them.
      await racing.app.close();
      await racing.ledger.close();
      await racing.store.close();
    }
  });

  it('an expired code is refused (401) and enrols nothing', async () => {
    pastLockouts();
    const m = await merchant('Too late');
    const code = await invite(m, { ttlSeconds: 3_600 });
    time += 3_600;
    const res = await enrol({ publicKey: toHex(createNodeSigner(generatePrivateKey()).publicKey) }, code);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/^this enrolment code expired at /);
    expect((await server.store.terminals()).filter((t) => toHex(t.merchantId) === toHex(m.merchantId))).toHaveLength(0);
  });

  it('a brute-force run is locked out (429) before the code is even looked at, so a valid code survives the lockout', async () => {
    pastLockouts();
    const m = await merchant('Guarded');
    const code = await invite(m, { ttlSeconds: 86_400 });
    const publicKey = toHex(createNodeSigner(generatePrivateKey()).publicKey);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await enrol({ publicKey }, toHex(new Uint8Array(16).fill(i)))).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const locked = await enrol({ publicKey }, code);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBe(LIMITS.lockoutSeconds);
    expect(await locked.json()).toMatchObject({ error: 'LEDGER_RATE_LIMITED' });
    // After the lockout the valid code still enrols: being refused with 429 did not use it up.
    time += LIMITS.lockoutSeconds;
    const t = await enrolled(code);
    expect(toHex(t.merchantId)).toBe(toHex(m.merchantId));
  });

  it('many clients together are capped too: past the global limit everyone waits', () => {
    let now = 1_000;
    const throttle = new EnrolmentThrottle(LIMITS, () => now);
    for (let i = 0; i < LIMITS.globalFailures - 1; i++) throttle.fail(`198.51.100.${i}`);
    expect(throttle.retryAfter('203.0.113.7')).toBe(0);
    throttle.fail('198.51.100.250');
    expect(throttle.retryAfter('203.0.113.7')).toBe(LIMITS.lockoutSeconds);
    now += LIMITS.lockoutSeconds;
    expect(throttle.retryAfter('203.0.113.7')).toBe(0);
    // Failures spread wider than the window never add up to a lockout.
    for (let i = 0; i < 3 * LIMITS.clientFailures; i++) {
      throttle.fail('192.0.2.1');
      now += LIMITS.windowSeconds / 2;
    }
    expect(throttle.retryAfter('192.0.2.1')).toBe(0);
  });

  it("nobody can overwrite another terminal's enrolment record, even with its public key and a code of its own merchant", async () => {
    pastLockouts();
    const m = await merchant('Victim cafe');
    const signer = createNodeSigner(generatePrivateKey());
    const victim = await enrolled(await invite(m), signer);
    const card = await loadedCard();
    const code = await invite(m);
    const takeover = await enrol({ publicKey: toHex(signer.publicKey), terminalId: toHex(victim.id) }, code);
    expect(takeover.status).toBe(400);
    // Without naming the id, the same key gets a terminal of its own; the victim's record and certificate stand.
    const other = await enrolled(code, signer);
    expect(toHex(other.id)).not.toBe(toHex(victim.id));
    expect(toHex((await server.store.terminal(victim.id))?.certificate ?? new Uint8Array())).toBe(
      toHex(victim.certificate),
    );
    expect((await upload(victim, card)).status).toBe(200);
  });

  it('a revoked terminal is refused whole: HTTP uploads, batch files and load requests (403, cert-chain, revoked)', async () => {
    pastLockouts();
    const m = await merchant('Closed shop');
    const point = await enrolled(await invite(m));
    const card = await loadedCard();
    expect((await upload(point, card)).status).toBe(200);
    await server.ledger.revokeTerminal(point.id);

    const batch = await upload(point, card);
    expect(batch.status).toBe(403);
    expect(await batch.json()).toMatchObject({
      error: 'refused',
      check: 'cert-chain',
      reason: expect.stringContaining('revoked'),
    });
    const file = await server.ledger.verifyBatch(signBatch(point, [card.pay(100, point.id)], [card]), 'file');
    expect(file).toMatchObject({
      ok: false,
      check: 'cert-chain',
      enrolled: false,
      reason: expect.stringContaining('revoked'),
    });
    const load = await post(
      LedgerApi.authorizeLoad,
      signLoadRequest(point, card, card.challenge(), 1_000),
      CBOR_CONTENT_TYPE,
    );
    expect(load.status).toBe(403);
    expect(await load.json()).toMatchObject({ check: 'cert-chain', reason: expect.stringContaining('revoked') });
    const line = (await server.store.merchantSettlement()).find((l) => toHex(l.merchantId) === toHex(m.merchantId));
    expect(line).toMatchObject({ creditedCount: 1, creditedAmount: 100, loadCount: 0 });
    // A revoked terminal id is never enrolled again.
    await expect(
      server.ledger.inviteTerminal({ merchantId: m.merchantId, terminalId: point.id }),
    ).rejects.toMatchObject({ code: 'LEDGER_TERMINAL_CONFLICT' });
  });

  it('a re-enrolment revokes the certificate it replaces: the old one is refused even with the same key', async () => {
    pastLockouts();
    const m = await merchant('Renewed');
    const signer = createNodeSigner(generatePrivateKey());
    const first = await enrolled(await invite(m), signer);
    const card = await loadedCard();
    time += 10;
    const renewed = await enrolled(await invite(m, { terminalId: first.id }), signer);
    expect(toHex(renewed.id)).toBe(toHex(first.id));
    expect(toHex(renewed.certificate)).not.toBe(toHex(first.certificate));

    const old = await upload(first, card);
    expect(old.status).toBe(403);
    expect(await old.json()).toMatchObject({ check: 'cert-chain', reason: expect.stringContaining('replaced') });
    const oldLoad = await post(
      LedgerApi.authorizeLoad,
      signLoadRequest(first, card, card.challenge(), 1_000),
      CBOR_CONTENT_TYPE,
    );
    expect(oldLoad.status).toBe(403);
    expect((await upload(renewed, card)).status).toBe(200);
    // A code for a terminal id moves no terminal to another merchant.
    await expect(
      server.ledger.inviteTerminal({ merchantId: (await merchant('Elsewhere')).merchantId, terminalId: first.id }),
    ).rejects.toMatchObject({ code: 'LEDGER_TERMINAL_CONFLICT' });
  });
});

describe('the enrolment request parser', () => {
  const key = toHex(createNodeSigner(generatePrivateKey()).publicKey);

  it('takes a compressed P-256 key and nothing else: any other field is refused, whatever it holds', () => {
    expect(toHex(parseEnrolmentRequest({ publicKey: key }).publicKey)).toBe(key);
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => k !== 'publicKey' && k !== '__proto__'),
        fc.jsonValue(),
        (field, value) => {
          expect(() => parseEnrolmentRequest({ publicKey: key, [field]: value })).toThrow(
            expect.objectContaining({ code: 'LEDGER_BAD_REQUEST' }),
          );
        },
      ),
    );
  });

  it('throws only typed LEDGER_BAD_REQUEST errors on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          parseEnrolmentRequest(body);
        } catch (e) {
          expect(e).toMatchObject({ code: 'LEDGER_BAD_REQUEST' });
        }
      }),
    );
  });
});
