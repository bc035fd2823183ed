/** createSoftCard: the one-call card for the terminal's tests and the demo, in memory or in a card file. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CardError, CardErrorCode, FileCardStore, SimulatedReader, createSoftCard } from '../src/index.js';
import { StatusWord, decodeSelectResponse, parseResponseApdu, purseApdus } from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { issuer } from './support/card-fixtures.js';

describe('createSoftCard', () => {
  it('personalises and loads a card through a real LOAD, ready for a reader', async () => {
    const card = await createSoftCard({ issuer, seed: new Uint8Array(32).fill(3), initialLoad: 25_000 });
    expect(card.applet.state).toMatchObject({ balance: 25_000, counter: 1, offlineCount: 0 });
    expect(card.applet.selected).toBe(false);
    const reader = new SimulatedReader();
    reader.insert(card.applet);
    const connection = await reader.waitForCard();
    const r = parseResponseApdu(await connection.transmit(purseApdus.select()));
    expect(r.sw).toBe(StatusWord.Ok);
    expect(Buffer.from(decodeSelectResponse(r.data).certificate).equals(Buffer.from(card.certificate))).toBe(true);
  });

  it('keeps the card in a new card file when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ehkd-soft-'));
    try {
      const file = join(dir, 'soft.card');
      const card = await createSoftCard({ issuer, initialLoad: 100, file });
      card.store.close();
      expect(existsSync(file)).toBe(true);
      const store = FileCardStore.open(file);
      expect(store.load().balance).toBe(100);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails when the card refuses the initial load', async () => {
    const error = await createSoftCard({ issuer, initialLoad: 1_000, limits: { maxBalance: 999 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CardError);
    expect((error as CardError).code).toBe(CardErrorCode.Personalisation);
    expect((error as CardError).message).toMatch(/BalanceLimitExceeded/);
  });
});
