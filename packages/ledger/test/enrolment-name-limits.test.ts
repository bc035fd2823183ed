/** docs/protocol.md 3.2: certificate names are at most 64 bytes of UTF-8; a longer name is a 400, never a 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerApi, generatePrivateKey, toHex } from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { createTestScheme } from './fixtures/test-scheme.js';
import { TEST_ENROLMENT_TOKEN, startTestServer, type TestServer } from './fixtures/test-server.js';

let server: TestServer;
let base: string;

beforeAll(async () => {
  server = await startTestServer(createTestScheme());
  ({ base } = server);
});

afterAll(() => server.close());

function enrol(name: string): Promise<Response> {
  const body = { publicKey: toHex(createNodeSigner(generatePrivateKey()).publicKey), merchantId: '0102030405060708', mcc: 5812, name };
  return fetch(`${base}${LedgerApi.enrolTerminal}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ENROLMENT_TOKEN}` }, body: JSON.stringify(body) });
}

describe('merchant names in enrolment requests', () => {
  it('accepts 64 bytes of UTF-8 (21 CJK characters and one ASCII letter)', async () => {
    expect((await enrol(`${'茶'.repeat(21)}A`)).status).toBe(200);
  });
  it('refuses 22 CJK characters (66 bytes, though only 22 UTF-16 units) with 400', async () => {
    const res = await enrol('茶'.repeat(22));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('LEDGER_BAD_REQUEST');
  });
});
