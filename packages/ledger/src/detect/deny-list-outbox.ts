import { encodeDenyList, signCoseSign1 } from '@ehkd/core';
import type { LedgerContext } from '../ledger-context.js';
import type { DenyListVersion } from '../store/ledger-store.js';

/**
 * Signs and stores the next deny list if committed revocations wait for one (the store's outbox), outside the
 * transactions that revoked the cards: a slow signer (an HSM) then holds no card's lock. Called after every
 * transaction that revokes, and when the ledger opens, so that a revocation whose process died before its list was
 * signed is published by the next one. Two ledgers publishing at once produce one list each with what waited.
 * @returns the new list, or null when nothing waited.
 * @throws LedgerError STORAGE
 * @example const list = await publishRevocations(ctx)
 */
export function publishRevocations(ctx: LedgerContext): Promise<DenyListVersion | null> {
  return ctx.store.publishDenyList(async ({ sequence, cardIds }) => {
    const issuedAt = ctx.clock();
    const payload = encodeDenyList({ signer: ctx.acquirer.id, sequence, issuedAt, cardIds: [...cardIds] });
    return { sequence, issuedAt, bytes: signCoseSign1(ctx.acquirer.signer, payload) };
  });
}
