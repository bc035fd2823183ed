// Public surface of @ehkd/ledger: the settlement ledger as a library (the CLI and the HTTP service are built on it).
export { LedgerError, LedgerErrorCode } from './errors/ledger-error.js';
export {
  type BatchHeader,
  type BatchSubmission,
  type CardState,
  type CardTransaction,
  type ChainLink,
  type CounterQuery,
  type DenyListDraft,
  type LedgerReports,
  type LoadSettlement,
  LoadState,
  type NewFraudCase,
  type PendingLoad,
  type StoredNeighbour,
  type BatchRecord,
  type CardCertificateRecord,
  type CardRecord,
  type DenyListVersion,
  Disposition,
  DISPOSITION_NAME,
  type EnrolmentFound,
  type EnrolmentGrant,
  type EnrolmentInviteRecord,
  type FraudCaseRecord,
  type LedgerStore,
  Liability,
  LIABILITY_NAME,
  type LoadAuthorizationRecord,
  type LoadTotalsRow,
  type MerchantRecord,
  type MerchantSettlementRow,
  ReceiptKind,
  type SchemeSetup,
  type StoredReceipt,
  type TerminalRecord,
  type TerminalStatus,
  type TrustAnchorRecord,
  type VerifiedReceipt,
} from './store/ledger-store.js';
export { SqliteLedgerStore } from './store/sqlite-ledger-store.js';
export {
  Ledger,
  DEFAULT_DENY_LIST_GRACE_SECONDS,
  DEFAULT_TERMINAL_EXPIRY_GRACE_SECONDS,
  DENY_LIST_REFRESH_SECONDS,
  type LedgerOptions,
} from './ledger.js';
export type { LedgerContext } from './ledger-context.js';
export type { IngestedBatch, VerifiedBatch, BatchRefusal, BatchCounts } from './ingest/batch-ingestor.js';
export {
  applyReceipts,
  type AppliedReceipts,
  type ApplyPolicy,
  type ReceiptApplication,
} from './detect/apply-receipts.js';
export { publishRevocations } from './detect/deny-list-outbox.js';
export type { RecordedCase } from './detect/reported-evidence.js';
export { recordAuthorization } from './scheme/load-authorization.js';
export { classifyReceipt, type Verdict, type CardStanding } from './detect/classify-receipt.js';
export { liabilityFor } from './detect/loss-attribution.js';
export { createNodeSigner } from './crypto/node-signer.js';
export { partyKeyFromFile, type PartyKey } from './scheme/party-key.js';
export { createRootKey, createCertifiedKey, type NewKeyOptions } from './scheme/scheme-keys.js';
export {
  parseEnrolmentRequest,
  signTerminalCertificate,
  newEnrolmentCode,
  enrolmentCodeHash,
  TERMINAL_VALIDITY_SECONDS,
  ENROLMENT_CODE_BYTES,
  DEFAULT_INVITE_TTL_SECONDS,
  MAX_INVITE_TTL_SECONDS,
  type CertificateRequest,
  type OnlineEnrolmentRequest,
  type NewMerchant,
  type NewInvite,
  type IssuedInvite,
} from './scheme/terminal-enrolment.js';
export type { DeskLoadRequest, LoadAuthorizationResult, LoadRefusal } from './scheme/load-authorization.js';
export { EnrolmentThrottle, DEFAULT_ENROLMENT_LIMITS, type EnrolmentLimits } from './http/enrolment-throttle.js';
export {
  buildLedgerServer,
  DEFAULT_LEDGER_SERVER_LIMITS,
  type LedgerServer,
  type LedgerServerLimits,
  type LedgerServerOptions,
  type LedgerServerTls,
} from './http/ledger-server.js';
export { createDevCertificate, type DevCertificate, type DevCertificateOptions } from './http/dev-certificate.js';
export {
  valueAudit,
  auditCard,
  type ValueAudit,
  type CardAudit,
  type AuditItem,
  type AuditTotals,
} from './reports/value-audit.js';
export { renderValueAudit, renderCardPositions } from './reports/value-audit-text.js';
export { settlementReport, renderSettlement, type SettlementLine } from './reports/settlement-report.js';
export { fraudCasesReport, renderFraudCases, type FraudCaseLine } from './reports/fraud-cases-report.js';
export { cardHistory, renderCardHistory, type CardHistory } from './reports/card-history-report.js';
export { renderTable } from './reports/text-table.js';
