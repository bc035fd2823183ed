import { Command } from 'commander';
import { Currency, fromHex, ID_LENGTH } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { cardHistory, renderCardHistory } from '../reports/card-history-report.js';
import { fraudCasesReport, renderFraudCases } from '../reports/fraud-cases-report.js';
import { renderSettlement, settlementReport } from '../reports/settlement-report.js';
import { valueAudit } from '../reports/value-audit.js';
import { renderCardPositions, renderValueAudit } from '../reports/value-audit-text.js';
import { SqliteLedgerStore } from '../store/sqlite-ledger-store.js';
import type { LedgerStore } from '../store/ledger-store.js';
import { EXIT_REFUSED } from './exit-codes.js';
import { dbOption, print, printJson } from './cli-options.js';

/** `report settlement|cards|card <id>|cases|audit`: human tables, or `--json`. */
export function reportCommand(): Command {
  const report = new Command('report').description('settlement and audit reports (human tables; --json for machines)');
  const sub = (
    name: string,
    description: string,
    run: (store: LedgerStore, json: boolean, arg: string | undefined) => Promise<void>,
    argument?: string,
  ): void => {
    const c = dbOption(report.command(name)).description(description).option('--json', 'print JSON');
    if (argument !== undefined) c.argument(argument);
    c.action(async (...args: unknown[]) => {
      const arg = argument === undefined ? undefined : (args[0] as string);
      const o = args[argument === undefined ? 0 : 1] as { db: string; json?: boolean };
      const store = SqliteLedgerStore.open(o.db);
      try {
        await run(store, o.json === true, arg);
      } finally {
        await store.close();
      }
    });
  };
  sub(
    'settlement',
    'per-merchant settlement: credited, claimable from issuers, merchant losses',
    async (store, json) => {
      const lines = await settlementReport(store);
      if (json) printJson(lines);
      else print(renderSettlement(lines));
    },
  );
  sub(
    'cards',
    "every card's position: loaded, settled, last known balance, in flight, flagged",
    async (store, json) => {
      const audit = await valueAudit(store, { allCards: true });
      if (json) printJson(audit.cards);
      else print(renderCardPositions(audit.cards));
    },
  );
  sub(
    'card',
    "a card's history and last known balance",
    async (store, json, id) => {
      let cardId: Uint8Array;
      try {
        cardId = fromHex(id ?? '');
      } catch {
        throw new LedgerError(LedgerErrorCode.BadRequest, 'the card id must be hex');
      }
      if (cardId.length !== ID_LENGTH)
        throw new LedgerError(LedgerErrorCode.BadRequest, `a card id is ${ID_LENGTH} bytes`);
      const history = await cardHistory(store, cardId);
      if (history === undefined)
        throw new LedgerError(LedgerErrorCode.NotFound, `card ${id ?? ''} is not known to this ledger`);
      if (json) printJson(history);
      else print(renderCardHistory(history));
    },
    '<card-id>',
  );
  sub('cases', 'fraud cases: kind, card, liable issuer, flagged amounts, evidence', async (store, json) => {
    const lines = await fraudCasesReport(store);
    if (json) printJson(lines);
    else print(renderFraudCases(lines, Currency.HKD));
  });
  sub(
    'audit',
    'value-conservation audit: loaded = settled + on cards + in flight + flagged, per card',
    async (store, json) => {
      const audit = await valueAudit(store);
      if (json)
        printJson({
          balanced: audit.balanced,
          cardCount: audit.cardCount,
          totals: audit.totals,
          exceptions: audit.exceptions,
        });
      else print(renderValueAudit(audit, await store.fraudCases()));
      if (!audit.balanced) process.exitCode = EXIT_REFUSED;
    },
  );
  return report;
}
