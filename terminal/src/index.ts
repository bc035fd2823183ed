// Public surface of @ehkd/terminal: the tap engine and everything around it, for the CLI and the end-to-end demo.
export {
  Terminal,
  type TerminalOptions,
  type TapOptions,
  type ChargeOptions,
  type SyncOptions,
  type TerminalStatus,
} from './terminal.js';
export {
  TerminalError,
  TerminalErrorCode,
  type TerminalErrorDetail,
  type StorageFault,
} from './errors/terminal-error.js';
export { DEFAULT_TERMINAL_LIMITS, validateLimits, type TerminalLimits } from './config/terminal-limits.js';
export { TapEngine, CARD_LOG_RECORDS, type TapDependencies } from './tap/tap-engine.js';
export {
  TapStage,
  type TapResult,
  type Approved,
  type Recovered,
  type Declined,
  type CardRefused,
  type Interrupted,
  type ApprovedPayment,
  type ResolvedIntent,
} from './tap/tap-result.js';
export { TerminalCheck, nextStepForCheck } from './tap/tap-check.js';
export { NextStep } from './errors/next-step.js';
export { NOTHING_COMMITTED, describeRefusal, type RefusalText } from './tap/card-refusal.js';
export { checkLimits, limitsLeft, formatAge, type LimitBreach, type LimitsLeft } from './tap/risk-limits.js';
export { ReceiptState, IntentState, IntentResolution, UNSETTLED_STATES } from './store/receipt-state.js';
export {
  BatchPurpose,
  BatchState,
  type ReceiptRecord,
  type BatchRecord,
  type QueueCounts,
  type AppliedOutcomes,
} from './store/receipt-queue.js';
export { type OfflineExposure, type HeldReceipt } from './store/tap-journal.js';
export { CardIncidentKind, EvidenceState, type CardIncident, type NewCardIncident } from './store/incident-journal.js';
export { DATABASE_FILE } from './store/terminal-database.js';
export {
  enrolmentRequestJson,
  type EnrolmentRequest,
  type SyncMarks,
  type DenyListRecord,
  type DenyListStanding,
} from './store/config-store.js';
export { type EnrolmentFields, type EnrolmentReport } from './enrol/enrolment.js';
export { type EnrolledIdentity } from './enrol/enrolled-identity.js';
export { DEFAULT_LEDGER_TRUST, parseLedgerCa, type LedgerTrust } from './sync/ledger-client.js';
export { type SyncReport, type BatchUpload, UPLOAD_BATCH_RECEIPTS } from './sync/synchroniser.js';
export { backoffDelay, SYNC_RETRY, DAEMON_RETRY, type RetryPolicy } from './sync/backoff.js';
export { type DaemonEvent, type DaemonOptions } from './sync/daemon.js';
export { EXPORT_BATCH_RECEIPTS, type ExportOptions, type ExportReport } from './export/export-batch.js';
export { type ImportedResult } from './export/import-batch-result.js';
export { CrashPoint, type FaultHook } from './faults/crash-point.js';
export {
  BYTES_PER_RECEIPT,
  STORAGE_RESERVE_BYTES,
  checkWritable,
  freeBytes,
  storageFault,
} from './store/storage-space.js';
export { topUpOnline, type TopUpReport } from './load/online-top-up.js';
export { type ResolvedLoads } from './load/load-point.js';
