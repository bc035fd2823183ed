import { formatAmount, toHex } from '@ehkd/core';
import type { LedgerStore, MerchantSettlementRow } from '../store/ledger-store.js';
import { renderTable } from './text-table.js';

/** One merchant's settlement line: the store's row with the merchant id in hex (JSON form; amounts in minor units). */
export type SettlementLine = Omit<MerchantSettlementRow, 'merchantId'> & { readonly merchantId: string };

/** Per-merchant settlement: what is credited, what is claimable from issuers, what the merchant loses. */
export async function settlementReport(store: LedgerStore): Promise<SettlementLine[]> {
  return (await store.merchantSettlement()).map((m) => ({ ...m, merchantId: toHex(m.merchantId) }));
}

/** The settlement as a table. */
export function renderSettlement(lines: readonly SettlementLine[]): string {
  if (lines.length === 0) return 'No payments settled yet.';
  return renderTable(
    ['merchant', 'name', 'terminals', 'payments', 'credited', 'issuer claims', 'merchant losses'],
    lines.map((m) => [
      m.merchantId, m.name, String(m.terminals), String(m.creditedCount), formatAmount(m.creditedAmount, m.currency),
      `${formatAmount(m.issuerClaimAmount, m.currency)} (${m.issuerClaimCount})`, `${formatAmount(m.merchantLossAmount, m.currency)} (${m.merchantLossCount})`,
    ]),
    [2, 3, 4, 5, 6],
  );
}
