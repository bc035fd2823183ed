import { EVIDENCE_KIND_NAME, EvidenceKind, toHex } from '@ehkd/core';
import {
  Disposition,
  ReceiptKind,
  type FraudCaseRecord,
  type LedgerReports,
  type StoredReceipt,
} from '../store/ledger-store.js';

/** One explained part of a card's difference. Amounts in minor units; they add up to the card's difference. */
export interface AuditItem {
  /** 'balance-link': linked or forked receipts n, n+1 whose balances do not add up; 'conflicting': a second receipt for a counter. */
  readonly kind: 'balance-link' | 'conflicting';
  readonly counters: readonly number[];
  readonly amount: number;
  /** The fraud cases of the card that account for it (empty: unexplained). */
  readonly caseIds: readonly number[];
}

/** The value-conservation audit of one card. Amounts in minor units of `currency`. */
export interface CardAudit {
  readonly cardId: string;
  readonly issuerId: string;
  readonly currency: number;
  /** Loads the card confirmed (its load receipts). */
  readonly loaded: number;
  /** Payments credited to merchants. */
  readonly settled: number;
  /** Balance after the card's highest known counter. */
  readonly onCard: number;
  /** Net payments implied by gaps in the counter sequence (negative: loads whose receipts are not in yet). */
  readonly inFlight: number;
  /** Payments stored but not credited (double spends, payments taken from a revoked card). */
  readonly flagged: number;
  /** loaded - (settled + onCard + inFlight + flagged). Zero for every honest card. */
  readonly difference: number;
  /** What makes up a non-zero difference. */
  readonly items: readonly AuditItem[];
  /** difference - the items backed by a fraud case: zero when the card's books are fully explained. */
  readonly unexplained: number;
  /** Load authorizations issued for the card (void ones left out), and how much of that no load receipt executed (yet). */
  readonly authorized: number;
  readonly authorizedUnconfirmed: number;
  /**
   * Load receipts that execute no authorization of their own (a second execution of one, or one away from the
   * counter it binds): value a genuine card could not have loaded. Each must be backed by a fraud case.
   */
  readonly unauthorizedLoads: number;
  /**
   * Load value the books cannot account for: unauthorized loads without a fraud case, and any difference between
   * the confirmed load receipts and the authorizations recorded as executed by them. Zero for a sound ledger.
   */
  readonly loadsUnexplained: number;
  /**
   * Value the card's gaps bring in that no authorization can fund: -inFlight above `authorizedUnconfirmed`. Loads
   * in a gap are executions of authorizations not yet confirmed (a void one has a receipt where its load would
   * be), and payments in a gap only lower inFlight, so a genuine card never has any. Explained only by a fraud case.
   */
  readonly unfunded: number;
}

/** The audit of the whole ledger, per currency. */
export interface ValueAudit {
  readonly totals: readonly AuditTotals[];
  /** Cards with a non-zero difference or a non-zero unexplained part (honest cards are only counted). */
  readonly exceptions: readonly CardAudit[];
  /** Every card's audit, when asked for (`allCards`). */
  readonly cards: readonly CardAudit[];
  readonly cardCount: number;
  /** True if every card balances or its difference is fully explained by its fraud cases, and settlement agrees. */
  readonly balanced: boolean;
}

/** Totals of one currency: the cards' figures summed, and what only the whole ledger has. */
export interface AuditTotals extends Pick<
  CardAudit,
  | 'currency'
  | 'loaded'
  | 'settled'
  | 'onCard'
  | 'inFlight'
  | 'flagged'
  | 'difference'
  | 'unexplained'
  | 'authorized'
  | 'authorizedUnconfirmed'
  | 'unauthorizedLoads'
  | 'loadsUnexplained'
  | 'unfunded'
> {
  /** The part of `difference` backed by fraud cases. */
  readonly explained: number;
  /** Credited total from the per-merchant settlement, which must equal `settled`. */
  readonly merchantSettlement: number;
  /** Of `authorized`: the loads load points sold, debited to their merchants (the rest was authorized at the issuer's desk). */
  readonly loadsSold: number;
  /** Authorizations the cards' chains prove were never executed (cut during LOAD); not in `authorized`. */
  readonly authorizedVoid: number;
}

/** Per-currency totals while the audit adds card after card. */
type RunningTotals = { -readonly [K in keyof AuditTotals]: AuditTotals[K] };

/**
 * The value-conservation audit: for every card, loaded = settled + on card + in flight + flagged, to the cent,
 * where the card's chain is read from its primary receipts (the first recorded per counter value):
 * - on card = balanceAfter of the highest counter;
 * - in flight = for each gap in the counters, the balance after the receipt before it minus the balance before the
 *   receipt after it (what the missing receipts moved), starting from a zero balance at counter 0;
 * - every other difference comes from double spends and is itemised: a link n -> n+1 whose balances do not add
 *   up (value created from nothing: BalanceMismatch, or a ChainFork joining two branches), and every second
 *   receipt for a counter (ConflictingCounter: value spent twice). Each item must be covered by a fraud case of the
 *   card; an item without one is unexplained and the audit fails.
 * Telescoping the balances over the chain shows loaded - (settled + onCard + inFlight + flagged) is exactly the sum
 * of these items, so the identity is checked, not assumed: a store that lost or altered a receipt shows up here.
 */
export async function valueAudit(store: LedgerReports, options: { allCards?: boolean } = {}): Promise<ValueAudit> {
  const all: CardAudit[] = [];
  const cases = new Map<string, FraudCaseRecord[]>();
  for (const c of await store.fraudCases()) {
    const key = toHex(c.cardId);
    cases.set(key, [...(cases.get(key) ?? []), c]);
  }
  const loadTotals = await store.loadTotals();
  const authorizations = new Map(
    loadTotals.map((l) => [toHex(l.cardId), { authorized: l.authorizedAmount, executed: l.executedAmount }]),
  );
  const issuers = new Map(
    (await store.cards()).map((c) => [toHex(c.cardId), { issuer: toHex(c.issuerId), currency: c.currency }]),
  );
  const totals = new Map<number, RunningTotals>();
  const exceptions: CardAudit[] = [];
  let cardCount = 0;
  let current: StoredReceipt[] = [];
  const finish = (): void => {
    if (current.length === 0) return;
    const first = current[0] as StoredReceipt;
    const key = toHex(first.cardId);
    const info = issuers.get(key);
    const audit = auditCard(
      key,
      info?.issuer ?? '',
      info?.currency ?? first.currency,
      current,
      cases.get(key) ?? [],
      authorizations.get(key) ?? NO_LOADS,
    );
    authorizations.delete(key);
    add(totals, audit);
    cardCount++;
    if (
      audit.difference !== 0 ||
      audit.unexplained !== 0 ||
      audit.unauthorizedLoads !== 0 ||
      audit.loadsUnexplained !== 0 ||
      audit.unfunded !== 0
    )
      exceptions.push(audit);
    if (options.allCards === true) all.push(audit);
    current = [];
  };
  for await (const r of store.receiptsByCard()) {
    if (current.length > 0 && toHex((current[0] as StoredReceipt).cardId) !== toHex(r.cardId)) finish();
    current.push(r);
  }
  finish();
  // Cards authorized but with no receipt recorded yet: all their authorized value is unconfirmed.
  for (const [key, loads] of authorizations) {
    const info = issuers.get(key);
    const audit = auditCard(key, info?.issuer ?? '', info?.currency ?? 0, [], [], loads);
    add(totals, audit);
    if (audit.loadsUnexplained !== 0) exceptions.push(audit);
    if (options.allCards === true) all.push(audit);
    cardCount++;
  }
  for (const m of await store.merchantSettlement()) {
    const t = totals.get(m.currency);
    if (t === undefined) continue;
    t.merchantSettlement += m.creditedAmount;
    t.loadsSold += m.loadAmount;
  }
  for (const l of loadTotals) {
    const t = totals.get(issuers.get(toHex(l.cardId))?.currency ?? 0);
    if (t !== undefined) t.authorizedVoid += l.voidAmount;
  }
  const list = [...totals.values()].sort((a, b) => a.currency - b.currency);
  const balanced =
    list.every((t) => t.unexplained === 0 && t.loadsUnexplained === 0 && t.merchantSettlement === t.settled) &&
    exceptions.every(
      (e) =>
        e.unexplained === 0 &&
        e.loadsUnexplained === 0 &&
        e.items.every((i) => i.caseIds.length > 0) &&
        (e.unfunded === 0 || cases.has(e.cardId)),
    );
  return { totals: list, exceptions, cards: all, cardCount, balanced };
}

/** A card's load authorizations: their total (void ones left out) and the part its load receipts executed. */
export interface CardLoads {
  readonly authorized: number;
  readonly executed: number;
}

const NO_LOADS: CardLoads = Object.freeze({ authorized: 0, executed: 0 });

/** Audits one card from its receipts (ordered by counter), its fraud cases and its load authorizations. */
export function auditCard(
  cardId: string,
  issuerId: string,
  currency: number,
  receipts: readonly StoredReceipt[],
  cases: readonly FraudCaseRecord[],
  loads: CardLoads,
): CardAudit {
  let loaded = 0;
  let confirmedLoads = 0;
  let unauthorizedLoads = 0;
  let unbackedLoads = 0;
  let settled = 0;
  let flagged = 0;
  const items: AuditItem[] = [];
  const primary: StoredReceipt[] = [];
  for (const r of receipts) {
    if (r.kind === ReceiptKind.Load) {
      loaded += r.amount;
      // A load the ledger took as the execution of its authorization, or one it flagged: then it needs a case.
      if (r.disposition === Disposition.Loaded) confirmedLoads += r.amount;
      else {
        unauthorizedLoads += r.amount;
        if (r.caseId === null) unbackedLoads += r.amount;
      }
    } else if (r.disposition === Disposition.Credited) settled += r.amount;
    else flagged += r.amount;
    if (r.primary) primary.push(r);
    else {
      // A second receipt for a counter: a payment spends value a second time, a load adds it a second time.
      const amount = r.kind === ReceiptKind.Pay ? -r.amount : r.amount;
      items.push({
        kind: 'conflicting',
        counters: [r.counter],
        amount,
        caseIds: casesOf(cases, [EvidenceKind.ConflictingCounter], [r.counter], r.caseId),
      });
    }
  }
  primary.sort((a, b) => a.counter - b.counter);
  let inFlight = 0;
  let prevCounter = 0;
  let prevBalance = 0;
  for (const r of primary) {
    const before = r.kind === ReceiptKind.Pay ? r.balanceAfter + r.amount : r.balanceAfter - r.amount;
    if (r.counter === prevCounter + 1) {
      if (before !== prevBalance) {
        const counters = prevCounter === 0 ? [r.counter] : [prevCounter, r.counter];
        // From the virtual genesis (counter 0, balance 0) only BadGenesis accounts for a difference.
        const kinds =
          prevCounter === 0 ? [EvidenceKind.BadGenesis] : [EvidenceKind.BalanceMismatch, EvidenceKind.ChainFork];
        items.push({
          kind: 'balance-link',
          counters,
          amount: prevBalance - before,
          caseIds: casesOf(cases, kinds, counters, r.caseId),
        });
      }
    } else {
      inFlight += prevBalance - before;
    }
    prevCounter = r.counter;
    prevBalance = r.balanceAfter;
  }
  const onCard = prevBalance;
  const difference = loaded - (settled + onCard + inFlight + flagged);
  // Only items backed by a fraud case explain anything; an item without one is value that moved unaccounted.
  const explained = items.reduce((sum, i) => sum + (i.caseIds.length > 0 ? i.amount : 0), 0);
  return {
    cardId,
    issuerId,
    currency,
    loaded,
    settled,
    onCard,
    inFlight,
    flagged,
    difference,
    items,
    unexplained: difference - explained,
    authorized: loads.authorized,
    authorizedUnconfirmed: loads.authorized - confirmedLoads,
    unauthorizedLoads,
    loadsUnexplained: unbackedLoads + Math.abs(confirmedLoads - loads.executed),
    unfunded: Math.max(0, -inFlight - (loads.authorized - confirmedLoads)),
  };
}

function casesOf(
  cases: readonly FraudCaseRecord[],
  kinds: readonly number[],
  counters: readonly number[],
  receiptCase: number | null,
): number[] {
  const ids = cases
    .filter((c) => kinds.includes(c.kind) && counters.every((n) => c.counters.includes(n)))
    .map((c) => c.caseId);
  if (
    receiptCase !== null &&
    !ids.includes(receiptCase) &&
    cases.some((c) => c.caseId === receiptCase && kinds.includes(c.kind))
  )
    ids.push(receiptCase);
  return ids;
}

function add(totals: Map<number, RunningTotals>, a: CardAudit): void {
  const t = totals.get(a.currency) ?? {
    currency: a.currency,
    loaded: 0,
    settled: 0,
    onCard: 0,
    inFlight: 0,
    flagged: 0,
    difference: 0,
    explained: 0,
    unexplained: 0,
    authorized: 0,
    authorizedUnconfirmed: 0,
    unauthorizedLoads: 0,
    loadsUnexplained: 0,
    unfunded: 0,
    merchantSettlement: 0,
    loadsSold: 0,
    authorizedVoid: 0,
  };
  totals.set(a.currency, {
    ...t,
    loaded: t.loaded + a.loaded,
    settled: t.settled + a.settled,
    onCard: t.onCard + a.onCard,
    inFlight: t.inFlight + a.inFlight,
    flagged: t.flagged + a.flagged,
    difference: t.difference + a.difference,
    explained: t.explained + (a.difference - a.unexplained),
    unexplained: t.unexplained + a.unexplained,
    authorized: t.authorized + a.authorized,
    authorizedUnconfirmed: t.authorizedUnconfirmed + a.authorizedUnconfirmed,
    unauthorizedLoads: t.unauthorizedLoads + a.unauthorizedLoads,
    loadsUnexplained: t.loadsUnexplained + a.loadsUnexplained,
    unfunded: t.unfunded + a.unfunded,
  });
}

/** Human name of an audit item. */
export function auditItemName(item: AuditItem, cases: ReadonlyMap<number, FraudCaseRecord>): string {
  const kinds = item.caseIds.map((id) => {
    const c = cases.get(id);
    return c === undefined ? `case ${id}` : `${EVIDENCE_KIND_NAME[c.kind as EvidenceKind]} case ${id}`;
  });
  return `${item.kind} at counter ${item.counters.join('->')}: ${kinds.length === 0 ? 'UNEXPLAINED' : kinds.join(', ')}`;
}
