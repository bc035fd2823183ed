/**
 * The public surface of @ehkd/ledger is deliberate: each entry point of its exports map exports exactly these runtime names
 * (types are checked by the typecheck). A change here is a change of the package's API, made on purpose.
 */
import { describe, expect, it } from 'vitest';

const SURFACE: Readonly<Record<string, readonly string[]>> = {
  '@ehkd/ledger': [
    'DEFAULT_DENY_LIST_GRACE_SECONDS',
    'DEFAULT_ENROLMENT_LIMITS',
    'DEFAULT_INVITE_TTL_SECONDS',
    'DEFAULT_LEDGER_SERVER_LIMITS',
    'DEFAULT_TERMINAL_EXPIRY_GRACE_SECONDS',
    'DENY_LIST_REFRESH_SECONDS',
    'DISPOSITION_NAME',
    'Disposition',
    'ENROLMENT_CODE_BYTES',
    'EnrolmentThrottle',
    'LIABILITY_NAME',
    'Ledger',
    'LedgerError',
    'LedgerErrorCode',
    'Liability',
    'LoadState',
    'MAX_INVITE_TTL_SECONDS',
    'ReceiptKind',
    'SqliteLedgerStore',
    'TERMINAL_VALIDITY_SECONDS',
    'applyReceipts',
    'auditCard',
    'buildLedgerServer',
    'cardHistory',
    'classifyReceipt',
    'createCertifiedKey',
    'createDevCertificate',
    'createNodeSigner',
    'createRootKey',
    'enrolmentCodeHash',
    'fraudCasesReport',
    'liabilityFor',
    'newEnrolmentCode',
    'parseEnrolmentRequest',
    'partyKeyFromFile',
    'publishRevocations',
    'recordAuthorization',
    'renderCardHistory',
    'renderCardPositions',
    'renderFraudCases',
    'renderSettlement',
    'renderTable',
    'renderValueAudit',
    'settlementReport',
    'signTerminalCertificate',
    'valueAudit',
  ],
};

describe('the public surface of @ehkd/ledger', () => {
  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its list`, async () => {
      expect(Object.keys((await import(entry)) as Record<string, unknown>).sort()).toEqual([...names].sort());
    });
  }
});
