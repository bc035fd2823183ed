import { formatAmount, toHex } from '@ehkd/core';
import type { FraudCaseRecord } from '../store/ledger-store.js';
import { renderTable } from './text-table.js';
import { auditItemName, type CardAudit, type ValueAudit } from './value-audit.js';

/** The audit as text: the equation per currency, then every card whose books do not balance on their own. */
export function renderValueAudit(audit: ValueAudit, cases: readonly FraudCaseRecord[]): string {
  const byId = new Map(cases.map((c) => [c.caseId, c]));
  const byCard = new Set(cases.map((c) => toHex(c.cardId)));
  const out: string[] = [];
  for (const t of audit.totals) {
    const m = (minor: number): string => formatAmount(minor, t.currency);
    out.push(
      `Currency ${t.currency}: loaded ${m(t.loaded)} = settled ${m(t.settled)} + on cards ${m(t.onCard)} + in flight ${m(t.inFlight)} + flagged ${m(t.flagged)}` +
        (t.difference === 0 ? '' : ` + double-spent ${m(-t.difference)}`),
      `  difference ${m(t.difference)}: explained by fraud cases ${m(t.explained)}, unexplained ${m(t.unexplained)}`,
      `  merchant settlement credited ${m(t.merchantSettlement)} (${t.merchantSettlement === t.settled ? 'agrees' : 'DISAGREES'} with settled)`,
      `  loads authorized ${m(t.authorized)} (sold by load points ${m(t.loadsSold)}, debited to their merchants; at the issuer's desk ${m(t.authorized - t.loadsSold)}), not confirmed by a card receipt ${m(t.authorizedUnconfirmed)}; void (the card's chain shows it never executed them) ${m(t.authorizedVoid)}`,
      ...(t.unfunded === 0
        ? []
        : [
            `  in flight that no authorization can fund ${m(t.unfunded)} (a cloned card's payments; each such card needs a fraud case)`,
          ]),
      ...(t.unauthorizedLoads === 0 && t.loadsUnexplained === 0
        ? []
        : [
            `  loads no authorization of their own accounts for ${m(t.unauthorizedLoads)}, of which unexplained ${m(t.loadsUnexplained)}`,
          ]),
    );
  }
  out.push(`${audit.cardCount} cards audited; ${audit.exceptions.length} with a difference.`);
  for (const e of audit.exceptions) {
    const m = (minor: number): string => formatAmount(minor, e.currency);
    out.push(
      `card ${e.cardId} (issuer ${e.issuerId}): loaded ${m(e.loaded)}, settled ${m(e.settled)}, on card ${m(e.onCard)}, in flight ${m(e.inFlight)}, flagged ${m(e.flagged)}; difference ${m(e.difference)}`,
      ...e.items.map((i) => `  ${m(i.amount)}  ${auditItemName(i, byId)}`),
      ...(e.unexplained === 0 ? [] : [`  ${m(e.unexplained)}  UNEXPLAINED`]),
      ...(e.unauthorizedLoads === 0
        ? []
        : [
            `  ${m(e.unauthorizedLoads)}  loaded without an authorization of its own${e.loadsUnexplained === 0 ? ' (backed by fraud cases)' : ''}`,
          ]),
      ...(e.loadsUnexplained === 0 ? [] : [`  ${m(e.loadsUnexplained)}  load value UNEXPLAINED`]),
      ...(e.unfunded === 0
        ? []
        : [
            `  ${m(e.unfunded)}  in flight that no authorization can fund${byCard.has(e.cardId) ? ' (the card has fraud cases)' : ': UNEXPLAINED'}`,
          ]),
    );
  }
  out.push(
    audit.balanced ? 'AUDIT BALANCES: every cent is accounted for.' : 'AUDIT FAILS: see the unexplained amounts above.',
  );
  return out.join('\n');
}

/** Every card's position as a table (the `cards` report). */
export function renderCardPositions(cards: readonly CardAudit[]): string {
  if (cards.length === 0) return 'No cards.';
  return renderTable(
    ['card', 'issuer', 'loaded', 'settled', 'on card', 'in flight', 'flagged', 'difference'],
    cards.map((c) => {
      const m = (minor: number): string => formatAmount(minor, c.currency);
      return [
        c.cardId,
        c.issuerId,
        m(c.loaded),
        m(c.settled),
        m(c.onCard),
        m(c.inFlight),
        m(c.flagged),
        m(c.difference),
      ];
    }),
    [2, 3, 4, 5, 6, 7],
  );
}
