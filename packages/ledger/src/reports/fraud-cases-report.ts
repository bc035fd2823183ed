import { EVIDENCE_KIND_NAME, formatAmount, toHex, type EvidenceKind } from '@ehkd/core';
import type { FraudCaseRecord, LedgerReports } from '../store/ledger-store.js';
import { renderTable } from './text-table.js';

/** One fraud case (JSON form). */
export interface FraudCaseLine {
  readonly caseId: number;
  readonly kind: string;
  readonly cardId: string;
  readonly issuerId: string;
  readonly counters: readonly number[];
  readonly detectedAt: string;
  readonly receiptId: string;
  readonly batchId: string | null;
  /** Payments held back under this case, and who carries their loss (see detect/loss-attribution.ts). */
  readonly flaggedCount: number;
  readonly flaggedAmount: number;
  readonly evidenceBytes: number | null;
}

/** Every detected double spend, with attribution. */
export async function fraudCasesReport(store: LedgerReports): Promise<FraudCaseLine[]> {
  return (await store.fraudCases()).map(caseLine);
}

/** The JSON form of one case. */
export function caseLine(c: FraudCaseRecord): FraudCaseLine {
  return {
    caseId: c.caseId,
    kind: EVIDENCE_KIND_NAME[c.kind as EvidenceKind],
    cardId: toHex(c.cardId),
    issuerId: toHex(c.issuerId),
    counters: c.counters,
    detectedAt: new Date(c.detectedAt * 1000).toISOString(),
    receiptId: toHex(c.receiptId),
    batchId: c.batchId === null ? null : toHex(c.batchId),
    flaggedCount: c.flaggedCount,
    flaggedAmount: c.flaggedAmount,
    evidenceBytes: c.evidence === null ? null : c.evidence.length,
  };
}

/** The cases as a table (amounts in `currency`). */
export function renderFraudCases(lines: readonly FraudCaseLine[], currency: number): string {
  if (lines.length === 0) return 'No double spends detected.';
  return renderTable(
    ['case', 'kind', 'card', 'issuer (liable)', 'counters', 'detected', 'flagged', 'evidence'],
    lines.map((c) => [
      String(c.caseId),
      c.kind,
      c.cardId,
      c.issuerId,
      c.counters.join(','),
      c.detectedAt,
      `${formatAmount(c.flaggedAmount, currency)} (${c.flaggedCount})`,
      c.evidenceBytes === null ? 'none (exceeds core limits)' : `${c.evidenceBytes} B`,
    ]),
    [0, 6],
  );
}
