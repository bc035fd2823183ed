/** docs/protocol.md 3.2: certificate names are at most 64 bytes of UTF-8; a longer name is a 400, never a 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { LedgerApi, generatePrivateKey, toHex } from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { buildLedgerServer } from '../src/http/ledger-server.js';
import type { Ledger } from '../src/ledger.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { createTestScheme, openTestLedger, removeTempDirs } from './fixtures/test-scheme.js';

const TOKEN = 'test-enrolment-token-0123456789';
let ledger: Ledger;
let store: SqliteLedgerStore;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  ({ ledger, store } = await openTestLedger(createTestScheme()));
  app = buildLedgerServer({ ledger, enrolmentToken: TOKEN });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await ledger.close();
  await store.close();
  removeTempDirs();
});

function enrol(name: string): Promise<Response> {
  const body = { publicKey: toHex(createNodeSigner(generatePrivateKey()).publicKey), merchantId: '0102030405060708', mcc: 5812, name };
  return fetch(`${base}${LedgerApi.enrolTerminal}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) });
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
