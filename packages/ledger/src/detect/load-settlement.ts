import { bytesEqual } from '@ehkd/core';
import {
  LoadState,
  type CardState,
  type LoadSettlement,
  type PendingLoad,
  type VerifiedReceipt,
} from '../store/ledger-store.js';

/**
 * The amount of the card's pending authorizations that receipt `r` proves void: it sits at their counter + 1 and
 * executes none of them. (Only a primary receipt proves it; the caller applies it to the receipt being classified.)
 * @example const voided = voidedAmount(card.pendingLoads, receipt)
 */
export function voidedAmount(pending: readonly PendingLoad[], r: VerifiedReceipt): number {
  let amount = 0;
  for (const p of pending) if (p.counter + 1 === r.counter && !executes(r, p)) amount += p.amount;
  return amount;
}

/**
 * After `r` is stored: the pending authorization it executes (a load receipt at that authorization's counter + 1)
 * is executed, and, if `r` is primary, those it proves void (it sits at their counter + 1 and executes none of them)
 * leave the card's authorized total: the issuer signed the counter into each authorization and the card checks it,
 * so a genuine card cannot execute one once it signed something else there. A void authorization stays void.
 * Mutates `card` and returns what to record.
 * @example tx.settleLoads(settleLoads(card, receipt, true))
 */
export function settleLoads(card: CardState, r: VerifiedReceipt, primary: boolean): LoadSettlement[] {
  if (card.pendingLoads.length === 0) return NONE;
  const settled: LoadSettlement[] = [];
  card.pendingLoads = card.pendingLoads.filter((p) => {
    if (p.counter + 1 !== r.counter) return true;
    if (executes(r, p)) {
      settled.push({ authorizationId: p.authorizationId, state: LoadState.Executed, receiptId: r.id });
      return false;
    }
    if (!primary) return true;
    card.authorized -= p.amount;
    settled.push({ authorizationId: p.authorizationId, state: LoadState.Void, receiptId: r.id });
    return false;
  });
  return settled;
}

const NONE: LoadSettlement[] = [];

function executes(r: VerifiedReceipt, p: PendingLoad): boolean {
  return r.authorizationId !== undefined && bytesEqual(r.authorizationId, p.authorizationId);
}
