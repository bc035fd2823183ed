import { Command } from 'commander';
import { EVIDENCE_KIND_NAME, Limits, toHex, verifyDoubleSpendEvidence } from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { SqliteLedgerStore } from '../store/sqlite-ledger-store.js';
import { readBytes, readCertificate, writeOutput } from './cli-files.js';
import { EXIT_REFUSED } from './exit-codes.js';
import { dbOption, integer, print, printJson } from './cli-options.js';

/** `evidence export <case>` and `evidence verify <file> --root <cert>` (the latter needs no ledger at all). */
export function evidenceCommand(): Command {
  const evidence = new Command('evidence').description('double-spend evidence files');
  dbOption(evidence.command('export'))
    .description("write a fraud case's DoubleSpendEvidence (CBOR) to a file")
    .argument('<case>', 'case number', integer)
    .requiredOption('--out <file>', 'evidence file to write')
    .action(async (caseId: number, o: { db: string; out: string }) => {
      const store = SqliteLedgerStore.open(o.db);
      try {
        const c = await store.fraudCase(caseId);
        if (c === undefined) throw new LedgerError(LedgerErrorCode.NotFound, `no case ${caseId}`);
        if (c.evidence === null)
          throw new LedgerError(
            LedgerErrorCode.NotFound,
            `case ${caseId} has no portable evidence (the proof exceeds core's evidence limits)`,
          );
        writeOutput(o.out, c.evidence);
        print(
          `case ${caseId} (${EVIDENCE_KIND_NAME[c.kind as keyof typeof EVIDENCE_KIND_NAME]}, card ${toHex(c.cardId)}): ${o.out}`,
        );
      } finally {
        await store.close();
      }
    });
  evidence
    .command('verify')
    .description('verify an evidence file with nothing but the root certificate (anyone can run this)')
    .argument('<file>', 'evidence file')
    .requiredOption('--root <file>', 'root certificate (or root key file)')
    .option('--json', 'print JSON')
    .action((file: string, o: { root: string; json?: boolean }) => {
      const result = verifyDoubleSpendEvidence(
        readBytes(file, Limits.evidenceBytes),
        readCertificate(o.root).bytes,
        createNodeVerifier(),
      );
      if (o.json === true) {
        printJson(
          result.ok
            ? {
                valid: true,
                kind: EVIDENCE_KIND_NAME[result.value.kind],
                cardId: toHex(result.value.cardId),
                issuerId: toHex(result.value.issuerId),
                counters: result.value.counters,
                ...(result.value.paid !== undefined && {
                  paid: result.value.paid,
                  authorized: result.value.authorized,
                }),
              }
            : { valid: false, check: result.check, reason: result.reason },
        );
      } else if (result.ok) {
        const v = result.value;
        print(
          `VALID: ${EVIDENCE_KIND_NAME[v.kind]} by card ${toHex(v.cardId)} of issuer ${toHex(v.issuerId)} at counter(s) ${v.counters.join(', ')}${v.paid === undefined ? '' : `; paid ${v.paid} > authorized ${v.authorized}`}`,
        );
      } else {
        print(`INVALID (${result.check}): ${result.reason}`);
      }
      if (!result.ok) process.exitCode = EXIT_REFUSED;
    });
  return evidence;
}
