/** docs/protocol.md 3.2: certificate names are at most 64 bytes of UTF-8; a longer merchant name is refused when it is registered. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Limits, decodeCertificate, decodeCoseSign1, generatePrivateKey } from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import type { Ledger } from '../src/ledger.js';
import type { SqliteLedgerStore } from '../src/store/sqlite-ledger-store.js';
import { createTestScheme, openTestLedger, removeTempDirs } from './fixtures/test-scheme.js';

let ledger: Ledger;
let store: SqliteLedgerStore;

beforeAll(async () => {
  ({ ledger, store } = await openTestLedger(createTestScheme()));
});

afterAll(async () => {
  await ledger.close();
  await store.close();
  removeTempDirs();
});

describe('merchant names', () => {
  it('accepts 64 bytes of UTF-8 (21 CJK characters and one ASCII letter), and certificates carry it', async () => {
    const name = `${'茶'.repeat(21)}A`;
    const merchant = await ledger.addMerchant({ name, mcc: 5812 });
    const record = await ledger.enrolTerminal({
      publicKey: createNodeSigner(generatePrivateKey()).publicKey,
      merchantId: merchant.merchantId,
    });
    expect(decodeCertificate(decodeCoseSign1(record.certificate, Limits.certificateBytes).payload).name).toBe(name);
  });
  it('refuses 22 CJK characters (66 bytes, though only 22 UTF-16 units) with LEDGER_BAD_REQUEST', async () => {
    await expect(ledger.addMerchant({ name: '茶'.repeat(22), mcc: 5812 })).rejects.toMatchObject({
      code: 'LEDGER_BAD_REQUEST',
    });
    expect(await store.merchants()).toHaveLength(1);
  });
});
