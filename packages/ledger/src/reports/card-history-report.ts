import { formatAmount, toHex } from '@ehkd/core';
import { DISPOSITION_NAME, LIABILITY_NAME, ReceiptKind, type LedgerReports } from '../store/ledger-store.js';
import { renderTable } from './text-table.js';

/** A card's history (JSON form). */
export interface CardHistory {
  readonly cardId: string;
  readonly issuerId: string;
  readonly currency: number;
  readonly authorized: number;
  readonly revokedAt: string | null;
  /** Balance after the highest counter the ledger holds (null before any receipt). */
  readonly lastKnownBalance: number | null;
  readonly lastKnownCounter: number;
  readonly receipts: readonly {
    readonly counter: number;
    readonly kind: 'pay' | 'load';
    readonly amount: number;
    readonly balanceAfter: number;
    readonly time: string;
    readonly disposition: string;
    readonly primary: boolean;
    readonly liability: string | null;
    readonly caseId: number | null;
    readonly terminalId: string | null;
    readonly merchantId: string | null;
    readonly receiptId: string;
  }[];
}

/** Every receipt of a card and its last known balance; undefined for an unknown card. */
export async function cardHistory(store: LedgerReports, cardId: Uint8Array): Promise<CardHistory | undefined> {
  const card = await store.card(cardId);
  if (card === undefined) return undefined;
  const receipts = await store.cardReceipts(cardId);
  const last = receipts.filter((r) => r.primary).at(-1);
  return {
    cardId: toHex(card.cardId),
    issuerId: toHex(card.issuerId),
    currency: card.currency,
    authorized: card.authorized,
    revokedAt: card.revokedAt === null ? null : new Date(card.revokedAt * 1000).toISOString(),
    lastKnownBalance: last === undefined ? null : last.balanceAfter,
    lastKnownCounter: last === undefined ? 0 : last.counter,
    receipts: receipts.map((r) => ({
      counter: r.counter,
      kind: r.kind === ReceiptKind.Pay ? 'pay' : 'load',
      amount: r.amount,
      balanceAfter: r.balanceAfter,
      time: new Date(r.time * 1000).toISOString(),
      disposition: DISPOSITION_NAME[r.disposition],
      primary: r.primary,
      liability: r.liability === null ? null : LIABILITY_NAME[r.liability],
      caseId: r.caseId,
      terminalId: r.terminalId === null ? null : toHex(r.terminalId),
      merchantId: r.merchantId === null ? null : toHex(r.merchantId),
      receiptId: toHex(r.id),
    })),
  };
}

/** A card's history as text. */
export function renderCardHistory(h: CardHistory): string {
  const money = (minor: number): string => formatAmount(minor, h.currency);
  const head = [
    `card ${h.cardId}  issuer ${h.issuerId}  ${h.revokedAt === null ? 'active' : `REVOKED ${h.revokedAt}`}`,
    `last known balance ${h.lastKnownBalance === null ? '-' : money(h.lastKnownBalance)} at counter ${h.lastKnownCounter}; loads authorized ${money(h.authorized)}`,
  ];
  const table = renderTable(
    ['counter', 'kind', 'amount', 'balance', 'time', 'disposition', 'case', 'merchant', 'receipt'],
    h.receipts.map((r) => [
      `${r.counter}${r.primary ? '' : '*'}`,
      r.kind,
      money(r.amount),
      money(r.balanceAfter),
      r.time,
      r.liability === null ? r.disposition : `${r.disposition} (${r.liability} liable)`,
      r.caseId === null ? '' : String(r.caseId),
      r.merchantId ?? '',
      r.receiptId.slice(0, 16),
    ]),
    [0, 2, 3],
  );
  return `${head.join('\n')}\n\n${table}${h.receipts.some((r) => !r.primary) ? '\n* a second receipt for that counter (double spend)' : ''}`;
}
