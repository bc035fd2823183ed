import { EvidenceKind, GENESIS_HASH, bytesEqual } from '@ehkd/core';
import { ReceiptKind, type ChainLink, type VerifiedReceipt } from '../store/ledger-store.js';

/** The card's standing before the new receipt is applied. */
export interface CardStanding {
  /** Sum of issued load authorizations, less the void ones (the receipt being classified may void some). */
  readonly authorized: number;
  /** Sum of payments on the primary chain. */
  readonly paid: number;
  readonly revokedAt: number | null;
}

/** The rule engine's verdict on one verified receipt. */
export type Verdict =
  | { readonly kind: 'duplicate' }
  /** A double spend: `counterpart` is the stored receipt it conflicts with (none for OverSpend). */
  | {
      readonly kind: 'double-spend';
      readonly evidence: EvidenceKind;
      readonly primary: boolean;
      readonly counterpart: ChainLink | null;
      readonly order: 'stored-first' | 'new-first';
    }
  /** A payment from a card taken after its revocation was due at every terminal: stored, not credited. */
  | { readonly kind: 'denied' }
  | { readonly kind: 'credit' };

/**
 * The ledger's detection rules (docs/protocol.md 7.4) as a pure function, shared by every LedgerStore
 * implementation: same id -> duplicate; another payload for the (card, counter) -> ConflictingCounter; a counter-1
 * receipt that does not start from the personalised state (genesis hash, balance 0) -> BadGenesis; n+1 not linked
 * to n when both are known -> ChainFork; linked n, n+1 whose balances do not add up -> BalanceMismatch; payments on
 * the primary chain above the authorized loads -> OverSpend. A load receipt away from its authorization's counter + 1
 * -> MisplacedLoad (right after ConflictingCounter: a second execution of one authorization lands here or there).
 * `neighbours` are the stored receipts of the card at counters counter-1 .. counter+1.
 * @example classifyReceipt(receipt, rowsNear, standing, policy.now, policy.denyListGraceSeconds)
 */
export function classifyReceipt(
  r: VerifiedReceipt,
  neighbours: readonly ChainLink[],
  card: CardStanding,
  graceSeconds: number,
): Verdict {
  for (const n of neighbours) if (bytesEqual(n.id, r.id)) return DUPLICATE;
  const same = primaryAt(neighbours, r.counter);
  if (same !== undefined)
    return {
      kind: 'double-spend',
      evidence: EvidenceKind.ConflictingCounter,
      primary: false,
      counterpart: same,
      order: 'stored-first',
    };
  if (r.authorizedCounter !== undefined && r.counter !== r.authorizedCounter + 1)
    return fraud(EvidenceKind.MisplacedLoad, null, 'stored-first');
  if (r.counter === 1 && (!bytesEqual(r.prevHash, GENESIS_HASH) || before(r.kind, r.amount, r.balanceAfter) !== 0))
    return fraud(EvidenceKind.BadGenesis, null, 'stored-first');
  const prev = primaryAt(neighbours, r.counter - 1);
  const next = primaryAt(neighbours, r.counter + 1);
  if (prev !== undefined && !bytesEqual(r.prevHash, prev.id))
    return fraud(EvidenceKind.ChainFork, prev, 'stored-first');
  if (next !== undefined && !bytesEqual(next.prevHash, r.id)) return fraud(EvidenceKind.ChainFork, next, 'new-first');
  if (prev !== undefined && before(r.kind, r.amount, r.balanceAfter) !== prev.balanceAfter)
    return fraud(EvidenceKind.BalanceMismatch, prev, 'stored-first');
  if (next !== undefined && before(next.kind, next.amount, next.balanceAfter) !== r.balanceAfter)
    return fraud(EvidenceKind.BalanceMismatch, next, 'new-first');
  if (r.kind === ReceiptKind.Pay && card.paid + r.amount > card.authorized)
    return fraud(EvidenceKind.OverSpend, null, 'stored-first');
  if (r.kind === ReceiptKind.Pay && card.revokedAt !== null && r.time > card.revokedAt + graceSeconds) return DENIED;
  return CREDIT;
}

// The verdicts without details are shared: classification runs once per receipt ingested.
const DUPLICATE: Verdict = Object.freeze({ kind: 'duplicate' });
const DENIED: Verdict = Object.freeze({ kind: 'denied' });
const CREDIT: Verdict = Object.freeze({ kind: 'credit' });

/** The primary receipt stored at `counter`, if any (a loop, not a find callback: this runs per receipt). */
function primaryAt(neighbours: readonly ChainLink[], counter: number): ChainLink | undefined {
  for (const n of neighbours) if (n.counter === counter && n.primary) return n;
  return undefined;
}

function fraud(evidence: EvidenceKind, counterpart: ChainLink | null, order: 'stored-first' | 'new-first'): Verdict {
  return { kind: 'double-spend', evidence, primary: true, counterpart, order };
}

/** Balance before a receipt's operation (core's balanceBefore, on stored columns). */
function before(kind: ReceiptKind, amount: number, balanceAfter: number): number {
  return kind === ReceiptKind.Pay ? balanceAfter + amount : balanceAfter - amount;
}
