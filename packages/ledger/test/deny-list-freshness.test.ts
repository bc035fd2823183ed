/**
 * docs/protocol.md 7.6: the deny list a ledger serves is never older than DENY_LIST_REFRESH_SECONDS by its signed
 * issuedAt: an older one is re-signed (same sequence and entries, fresh issuedAt), so terminals can age their list by
 * the signed time and a replayed old list stays old.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TrustStore, decodeCoseSign1, decodeDenyList, nobleVerifier, verifyDenyList } from '@ehkd/core';
import { DENY_LIST_REFRESH_SECONDS } from '../src/ledger.js';
import { createTestScheme, openTestLedger, removeTempDirs } from './fixtures/test-scheme.js';

afterAll(() => removeTempDirs());

describe('deny-list freshness', () => {
  it('re-signs a list older than the refresh interval with a fresh issuedAt, same sequence and entries', async () => {
    const scheme = createTestScheme();
    let now = 1_790_000_000;
    const { ledger, store } = await openTestLedger(scheme, { clock: () => now });
    try {
      const first = await ledger.denyList();
      const issued = decodeDenyList(decodeCoseSign1(first, 1 << 20).payload);
      now = issued.issuedAt + DENY_LIST_REFRESH_SECONDS - 1;
      expect(await ledger.denyList()).toEqual(first);

      now = issued.issuedAt + DENY_LIST_REFRESH_SECONDS + 5;
      const fresh = await ledger.denyList();
      const payload = decodeDenyList(decodeCoseSign1(fresh, 1 << 20).payload);
      expect(payload).toMatchObject({ sequence: issued.sequence, issuedAt: now, cardIds: issued.cardIds });
      const trust = TrustStore.create(
        scheme.root.certificate,
        [scheme.acquirer.certificate, scheme.issuer.certificate],
        nobleVerifier,
      );
      if (!trust.ok) throw new Error(trust.reason);
      expect(verifyDenyList(fresh, trust.value, nobleVerifier, issued.sequence).ok).toBe(true);
      expect((await store.latestDenyList()).issuedAt).toBe(now);

      const later = now;
      now -= 100; // a clock step back never makes the stored list older
      expect(decodeDenyList(decodeCoseSign1(await ledger.denyList(), 1 << 20).payload).issuedAt).toBe(later);
    } finally {
      await ledger.close();
      await store.close();
    }
  });
});
