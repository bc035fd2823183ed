/**
 * The public surface of @ehkd/terminal is deliberate: each entry point of its exports map exports exactly these runtime names
 * (types are checked by the typecheck). A change here is a change of the package's API, made on purpose.
 */
import { describe, expect, it } from 'vitest';

const SURFACE: Readonly<Record<string, readonly string[]>> = {
  '@ehkd/terminal': [
    'BYTES_PER_RECEIPT',
    'BatchPurpose',
    'BatchState',
    'CARD_LOG_RECORDS',
    'CardIncidentKind',
    'CrashPoint',
    'DAEMON_RETRY',
    'DATABASE_FILE',
    'DEFAULT_LEDGER_TRUST',
    'DEFAULT_TERMINAL_LIMITS',
    'EXPORT_BATCH_RECEIPTS',
    'EvidenceState',
    'IntentResolution',
    'IntentState',
    'NOTHING_COMMITTED',
    'NextStep',
    'ReceiptState',
    'STORAGE_RESERVE_BYTES',
    'SYNC_RETRY',
    'TapEngine',
    'TapStage',
    'Terminal',
    'TerminalCheck',
    'TerminalError',
    'TerminalErrorCode',
    'UNSETTLED_STATES',
    'UPLOAD_BATCH_RECEIPTS',
    'backoffDelay',
    'checkLimits',
    'checkWritable',
    'describeRefusal',
    'enrolmentRequestJson',
    'formatAge',
    'freeBytes',
    'limitsLeft',
    'nextStepForCheck',
    'parseLedgerCa',
    'storageFault',
    'topUpOnline',
    'validateLimits',
  ],
  '@ehkd/terminal/advice': ['adviceFor', 'errorAdvice', 'tapAdvice'],
};

describe('the public surface of @ehkd/terminal', () => {
  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its list`, async () => {
      expect(Object.keys((await import(entry)) as Record<string, unknown>).sort()).toEqual([...names].sort());
    });
  }
});
