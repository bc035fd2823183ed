import { formatAmount, toHex } from '@ehkd/core';
import type { LedgerReports, MerchantSettlementRow } from '../store/ledger-store.js';
import { renderTable } from './text-table.js';

/**
 * One merchant's settlement line: the store's row with the merchant id in hex, and `netAmount`, what the merchant is
 * paid (negative: what it owes): credited payments less the loads its load points sold (JSON form; minor units).
 */
export type SettlementLine = Omit<MerchantSettlementRow, 'merchantId'> & {
  readonly merchantId: string;
  readonly netAmount: number;
};

/** Per-merchant settlement: what is credited, what the merchant's load points owe for loads sold, what is claimable from issuers, what the merchant loses. */
export async function settlementReport(store: LedgerReports): Promise<SettlementLine[]> {
  return (await store.merchantSettlement()).map((m) => ({
    ...m,
    merchantId: toHex(m.merchantId),
    netAmount: m.creditedAmount - m.loadAmount,
  }));
}

/** The settlement as a table. */
export function renderSettlement(lines: readonly SettlementLine[]): string {
  if (lines.length === 0) return 'No payments settled and no loads sold yet.';
  return renderTable(
    ['merchant', 'name', 'terminals', 'payments', 'credited', 'loads sold', 'net', 'issuer claims', 'merchant losses'],
    lines.map((m) => [
      m.merchantId,
      m.name,
      String(m.terminals),
      String(m.creditedCount),
      formatAmount(m.creditedAmount, m.currency),
      `${formatAmount(m.loadAmount, m.currency)} (${m.loadCount})${m.voidLoadCount > 0 ? ` + ${m.voidLoadCount} void` : ''}`,
      formatAmount(m.netAmount, m.currency),
      `${formatAmount(m.issuerClaimAmount, m.currency)} (${m.issuerClaimCount})`,
      `${formatAmount(m.merchantLossAmount, m.currency)} (${m.merchantLossCount})`,
    ]),
    [2, 3, 4, 5, 6, 7, 8],
  );
}
