import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CBOR_CONTENT_TYPE,
  Currency,
  LedgerApi,
  Limits,
  Role,
  TrustStore,
  decodeCertificate,
  decodeCoseSign1,
  decodeTrustAnchorBundle,
  fromHex,
  generatePrivateKey,
  nobleVerifier,
  signCoseSign1,
  toHex,
  verifyDenyList,
} from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { signTerminalCertificate } from '../src/scheme/terminal-enrolment.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import {
  TestCard,
  createTestScheme,
  enrolTerminal,
  signBatch,
  signLoadRequest,
  type TestScheme,
} from './fixtures/test-scheme.js';
import { startTestServer, type TestServer } from './fixtures/test-server.js';

let scheme: TestScheme;
let server: TestServer;
let store: SqliteLedgerStore;
let base: string;

beforeAll(async () => {
  scheme = createTestScheme();
  server = await startTestServer(scheme);
  ({ store, base } = server);
});

afterAll(() => server.close());

function post(
  path: string,
  body: string | Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
}

async function enrol(body: unknown, code?: string): Promise<Response> {
  return post(
    LedgerApi.enrolTerminal,
    JSON.stringify(body),
    'application/json',
    code === undefined ? {} : { authorization: `Bearer ${code}` },
  );
}

describe('terminal enrolment (POST /v1/terminals)', () => {
  it("signs a terminal certificate for the holder of an invite code, with the merchant record's id, name and MCC", async () => {
    const merchant = await server.ledger.addMerchant({ name: 'Corner shop', mcc: 5411 });
    const { code } = await server.ledger.inviteTerminal({ merchantId: merchant.merchantId });
    const signer = createNodeSigner(generatePrivateKey());
    const res = await enrol({ publicKey: toHex(signer.publicKey) }, code);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      certificate: string;
      acquirerId: string;
      terminalId: string;
      merchantId: string;
      mcc: number;
      name: string;
    };
    const cert = decodeCertificate(decodeCoseSign1(fromHex(body.certificate), Limits.certificateBytes).payload);
    expect(cert).toMatchObject({ role: Role.Terminal, name: 'Corner shop', terminal: { mcc: 5411 } });
    expect(toHex(cert.terminal?.merchantId ?? new Uint8Array())).toBe(toHex(merchant.merchantId));
    expect(toHex(cert.publicKey)).toBe(toHex(signer.publicKey));
    expect(body).toMatchObject({
      acquirerId: toHex(scheme.acquirer.id),
      terminalId: toHex(cert.subject),
      merchantId: toHex(merchant.merchantId),
      mcc: 5411,
      name: 'Corner shop',
    });
  });

  it('refuses a missing or malformed code (401) and a malformed request (400) without using the code up', async () => {
    const merchant = await server.ledger.addMerchant({ name: 'Shop', mcc: 5411 });
    const { code } = await server.ledger.inviteTerminal({ merchantId: merchant.merchantId });
    const request = { publicKey: toHex(createNodeSigner(generatePrivateKey()).publicKey) };
    expect((await enrol(request)).status).toBe(401);
    const wrong = await enrol(request, 'not-a-code');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'LEDGER_UNAUTHORIZED' });
    expect((await enrol({ ...request, publicKey: '02ff' }, code)).status).toBe(400);
    expect((await enrol({ ...request, name: 'Shop' }, code)).status).toBe(400);
    expect((await enrol(request, code.toUpperCase().replaceAll('-', ' '))).status).toBe(200);
  });
});

describe('online loads (POST /v1/loads, POST /v1/load-receipts)', () => {
  it("authorizes a load point's signed request bound to the card's challenge, and records the card's load receipt once", async () => {
    const point = await enrolTerminal(server.ledger);
    const card = TestCard.issue(scheme.issuer);
    const request = signLoadRequest(point, card, card.challenge(), 25_000);
    const res = await post(LedgerApi.authorizeLoad, request, CBOR_CONTENT_TYPE);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(CBOR_CONTENT_TYPE);
    const authorization = new Uint8Array(await res.arrayBuffer());
    // A retry of the same request (its answer was lost) gets the same authorization, not a second one.
    const retry = await post(LedgerApi.authorizeLoad, request, CBOR_CONTENT_TYPE);
    expect(toHex(new Uint8Array(await retry.arrayBuffer()))).toBe(toHex(authorization));
    const receipt = card.load(authorization);
    const first = await post(LedgerApi.loadReceipts, receipt, CBOR_CONTENT_TYPE);
    expect(await first.json()).toEqual({ status: 'accepted' });
    const again = await post(LedgerApi.loadReceipts, receipt, CBOR_CONTENT_TYPE);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect((await store.card(card.id))?.authorized).toBe(25_000);
    const line = (await store.merchantSettlement()).find((m) => toHex(m.merchantId) === toHex(point.merchantId));
    expect(line).toMatchObject({ loadCount: 1, loadAmount: 25_000, creditedAmount: 0 });
  });

  it('refuses an unsigned or forged request, and one from a terminal that is not enrolled (403)', async () => {
    const card = TestCard.issue(scheme.issuer);
    const json = await post(
      LedgerApi.authorizeLoad,
      JSON.stringify({
        challenge: toHex(card.challenge()),
        amount: 100,
        currency: Currency.HKD,
        cardCertificate: toHex(card.certificate),
      }),
      'application/json',
    );
    expect(json.status).toBe(415);
    const point = await enrolTerminal(server.ledger);
    const payload = decodeCoseSign1(
      signLoadRequest(point, card, card.challenge(), 100),
      Limits.loadRequestBytes,
    ).payload;
    const forged = await post(
      LedgerApi.authorizeLoad,
      signCoseSign1(createNodeSigner(generatePrivateKey()), payload),
      CBOR_CONTENT_TYPE,
    );
    expect(forged.status).toBe(422);
    expect(await forged.json()).toMatchObject({ error: 'refused', check: 'signature' });
    const signer = createNodeSigner(generatePrivateKey());
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: signer.publicKey, merchantId: new Uint8Array(8), mcc: 1, name: 'Not enrolled' },
      Math.floor(Date.now() / 1000),
    );
    const stranger = { id: record.terminalId, merchantId: record.merchantId, signer, certificate: record.certificate };
    const notEnrolled = await post(
      LedgerApi.authorizeLoad,
      signLoadRequest(stranger, card, card.challenge(), 100),
      CBOR_CONTENT_TYPE,
    );
    expect(notEnrolled.status).toBe(403);
    expect(await notEnrolled.json()).toMatchObject({ check: 'cert-chain' });
    expect((await store.card(card.id))?.authorized ?? 0).toBe(0);
  });

  it("refuses a challenge from another card than the certificate's (422), a load above the card's maximum balance, and a second load on one challenge", async () => {
    const point = await enrolTerminal(server.ledger);
    const card = TestCard.issue(scheme.issuer);
    const other = TestCard.issue(scheme.issuer);
    const wrongCard = await post(
      LedgerApi.authorizeLoad,
      signLoadRequest(point, card, other.challenge(), 100),
      CBOR_CONTENT_TYPE,
    );
    expect(wrongCard.status).toBe(422);
    expect(await wrongCard.json()).toMatchObject({ check: 'card' });
    const tooMuch = await post(
      LedgerApi.authorizeLoad,
      signLoadRequest(point, card, card.challenge(), 10_000_000),
      CBOR_CONTENT_TYPE,
    );
    expect(await tooMuch.json()).toMatchObject({ check: 'amount' });
    const challenge = card.challenge();
    expect(
      (await post(LedgerApi.authorizeLoad, signLoadRequest(point, card, challenge, 100), CBOR_CONTENT_TYPE)).status,
    ).toBe(200);
    const second = await post(LedgerApi.authorizeLoad, signLoadRequest(point, card, challenge, 200), CBOR_CONTENT_TYPE);
    expect(second.status).toBe(422);
    expect(await second.json()).toMatchObject({ check: 'nonce' });
    expect((await store.card(card.id))?.authorized).toBe(100);
  });
});

describe('hostile uploads (POST /v1/batches)', () => {
  it('answers an oversized body with 413 without reading it all', async () => {
    const res = await post(LedgerApi.batches, new Uint8Array(Limits.batchBytes + 1), CBOR_CONTENT_TYPE);
    expect(res.status).toBe(413);
  });

  it('answers a body that is not CBOR content with 415, and garbage CBOR with a typed 422', async () => {
    expect((await post(LedgerApi.batches, 'hello', 'text/plain')).status).toBe(415);
    const garbage = await post(LedgerApi.batches, Uint8Array.of(0xd2, 0x84, 0x43), CBOR_CONTENT_TYPE);
    expect(garbage.status).toBe(422);
    expect(await garbage.json()).toMatchObject({ error: 'refused', check: 'structure' });
  });

  it("answers a batch from a terminal of another scheme's acquirer with a typed 422 (cert-chain)", async () => {
    const signer = createNodeSigner(generatePrivateKey());
    const other = createTestScheme();
    const record = signTerminalCertificate(
      other.acquirer,
      { publicKey: signer.publicKey, merchantId: new Uint8Array(8), mcc: 1, name: 'Elsewhere' },
      Math.floor(Date.now() / 1000),
    );
    const batch = signBatch(
      { id: record.terminalId, merchantId: record.merchantId, signer, certificate: record.certificate },
      [],
      [],
    );
    const res = await post(LedgerApi.batches, batch, CBOR_CONTENT_TYPE);
    // Its acquirer is not a trust anchor here: the certificate chain itself fails.
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ check: 'cert-chain' });
  });
});

describe('a terminal that is certified but not enrolled', () => {
  it('gets 403 for its batch', async () => {
    const signer = createNodeSigner(generatePrivateKey());
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: signer.publicKey, merchantId: new Uint8Array(8), mcc: 1, name: 'Unknown' },
      Math.floor(Date.now() / 1000),
    );
    const res = await post(
      LedgerApi.batches,
      signBatch(
        { id: record.terminalId, merchantId: record.merchantId, signer, certificate: record.certificate },
        [],
        [],
      ),
      CBOR_CONTENT_TYPE,
    );
    expect(res.status).toBe(403);
  });
});

describe('what terminals fetch at every sync', () => {
  it('serves the signed deny list and the trust anchors, and a health check', async () => {
    const anchors = decodeTrustAnchorBundle(
      new Uint8Array(await (await fetch(`${base}${LedgerApi.trustAnchors}`)).arrayBuffer()),
    );
    const trust = TrustStore.create(anchors.root, anchors.certificates, nobleVerifier);
    if (!trust.ok) throw new Error(trust.reason);
    expect(trust.value.get(Role.Acquirer, scheme.acquirer.id)).toBeDefined();
    const list = verifyDenyList(
      new Uint8Array(await (await fetch(`${base}${LedgerApi.denyList}`)).arrayBuffer()),
      trust.value,
      nobleVerifier,
    );
    expect(list.ok && list.value.payload.sequence).toBe(1);
    expect(await (await fetch(`${base}${LedgerApi.health}`)).json()).toMatchObject({ ok: true });
  });
});
