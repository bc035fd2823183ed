import {
  type CardRecord,
  type CardState,
  type ChainLink,
  type Disposition,
  type EnrolmentInviteRecord,
  type FraudCaseRecord,
  type Liability,
  type LoadAuthorizationRecord,
  type MerchantRecord,
  type PendingLoad,
  type ReceiptKind,
  type StoredReceipt,
  type TerminalStatus,
  type BatchRecord,
} from './ledger-store.js';

// Row mappers shared by the SQL stores: both name their columns alike, return byte columns as Node Buffers (mapped
// to plain Uint8Array views here) and integers as numbers (the PostgreSQL store parses BIGINT and NUMERIC to numbers:
// every amount and count is far below 2^53).

/** A database row. */
export type Row = Record<string, unknown>;

/** A byte column back to a plain Uint8Array view. */
export function bytes(value: unknown): Uint8Array {
  const b = value as Uint8Array;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** A nullable byte column. */
export function optionalBytes(value: unknown): Uint8Array | null {
  return value === null || value === undefined ? null : bytes(value);
}

function int(value: unknown): number {
  return value as number;
}

function optionalInt(value: unknown): number | null {
  return value === null || value === undefined ? null : (value as number);
}

/** A cards row as the reports see it. */
export function cardRecord(r: Row): CardRecord {
  return {
    cardId: bytes(r['card_id']),
    issuerId: bytes(r['issuer_id']),
    currency: int(r['currency']),
    certificate: bytes(r['certificate']),
    authorized: int(r['authorized']),
    paid: int(r['paid']),
    revokedAt: optionalInt(r['revoked_at']),
    lastCounter: int(r['tail_counter']),
    lastBalance: int(r['tail_balance']),
  };
}

/** A cards row as a transaction holds it, with the card's pending load authorizations. */
export function cardState(r: Row, pendingLoads: PendingLoad[]): CardState {
  const tail: ChainLink | null =
    r['tail_id'] === null || r['tail_id'] === undefined
      ? null
      : {
          id: bytes(r['tail_id']),
          counter: int(r['tail_counter']),
          prevHash: bytes(r['tail_prev_hash']),
          balanceAfter: int(r['tail_balance']),
          kind: int(r['tail_kind']) as ReceiptKind,
          amount: int(r['tail_amount']),
          primary: true,
        };
  return {
    cardId: bytes(r['card_id']),
    issuerId: bytes(r['issuer_id']),
    currency: int(r['currency']),
    certificate: bytes(r['certificate']),
    authorized: int(r['authorized']),
    paid: int(r['paid']),
    revokedAt: optionalInt(r['revoked_at']),
    overSpendCase: optionalInt(r['over_spend_case']),
    tail,
    pendingLoads,
  };
}

/** The card columns `saveCards` writes, in this order, after the card id. */
export function cardStateValues(c: CardState): unknown[] {
  const t = c.tail;
  return [
    c.authorized,
    c.paid,
    c.revokedAt,
    c.overSpendCase,
    c.pendingLoads.length,
    t?.id ?? null,
    t?.counter ?? 0,
    t?.prevHash ?? null,
    t?.balanceAfter ?? 0,
    t?.kind ?? null,
    t?.amount ?? null,
  ];
}

/** A pending load_authorizations row. */
export function pendingLoad(r: Row): PendingLoad {
  return { authorizationId: bytes(r['authorization_id']), counter: int(r['card_counter']), amount: int(r['amount']) };
}

/** A receipts row as the chain checks see it. */
export function chainLink(r: Row): ChainLink {
  return {
    id: bytes(r['id']),
    counter: int(r['counter']),
    prevHash: bytes(r['prev_hash']),
    balanceAfter: int(r['balance_after']),
    kind: int(r['kind']) as ReceiptKind,
    amount: int(r['amount']),
    primary: int(r['is_primary']) === 1,
  };
}

/** The receipts columns in insertion order. */
export const RECEIPT_COLUMNS = [
  'card_id',
  'counter',
  'id',
  'kind',
  'amount',
  'currency',
  'balance_after',
  'prev_hash',
  'time',
  'is_primary',
  'disposition',
  'liability',
  'case_id',
  'terminal_id',
  'merchant_id',
  'batch_id',
  'ingested_at',
  'bytes',
] as const;

/** A stored receipt's values in RECEIPT_COLUMNS order. */
export function receiptValues(r: StoredReceipt): unknown[] {
  return [
    r.cardId,
    r.counter,
    r.id,
    r.kind,
    r.amount,
    r.currency,
    r.balanceAfter,
    r.prevHash,
    r.time,
    r.primary ? 1 : 0,
    r.disposition,
    r.liability,
    r.caseId,
    r.terminalId,
    r.merchantId,
    r.batchId,
    r.ingestedAt,
    r.bytes,
  ];
}

export function receiptRow(r: Row): StoredReceipt {
  return {
    id: bytes(r['id']),
    bytes: bytes(r['bytes']),
    kind: int(r['kind']) as ReceiptKind,
    cardId: bytes(r['card_id']),
    counter: int(r['counter']),
    amount: int(r['amount']),
    currency: int(r['currency']),
    balanceAfter: int(r['balance_after']),
    prevHash: bytes(r['prev_hash']),
    time: int(r['time']),
    primary: int(r['is_primary']) === 1,
    disposition: int(r['disposition']) as Disposition,
    liability: optionalInt(r['liability']) as Liability | null,
    caseId: optionalInt(r['case_id']),
    terminalId: optionalBytes(r['terminal_id']),
    merchantId: optionalBytes(r['merchant_id']),
    batchId: optionalBytes(r['batch_id']),
    ingestedAt: int(r['ingested_at']),
  };
}

export function terminalRow(r: Row): TerminalStatus {
  return {
    terminalId: bytes(r['terminal_id']),
    merchantId: bytes(r['merchant_id']),
    mcc: int(r['mcc']),
    name: r['name'] as string,
    publicKey: bytes(r['public_key']),
    certificate: bytes(r['certificate']),
    enrolledAt: int(r['enrolled_at']),
    revokedAt: optionalInt(r['revoked_at']),
  };
}

export function merchantRecord(r: Row): MerchantRecord {
  return {
    merchantId: bytes(r['merchant_id']),
    name: r['name'] as string,
    mcc: int(r['mcc']),
    createdAt: int(r['created_at']),
  };
}

export function inviteRow(r: Row): EnrolmentInviteRecord {
  return {
    codeHash: bytes(r['code_hash']),
    merchantId: bytes(r['merchant_id']),
    terminalId: optionalBytes(r['terminal_id']),
    createdAt: int(r['created_at']),
    expiresAt: int(r['expires_at']),
    usedAt: optionalInt(r['used_at']),
    enrolledTerminalId: optionalBytes(r['enrolled_terminal_id']),
  };
}

export function loadAuthorizationRow(r: Row): LoadAuthorizationRecord {
  return {
    authorizationId: bytes(r['authorization_id']),
    loadId: bytes(r['load_id']),
    cardId: bytes(r['card_id']),
    amount: int(r['amount']),
    currency: int(r['currency']),
    time: int(r['time']),
    bytes: bytes(r['bytes']),
    challenge: bytes(r['challenge']),
    terminalId: optionalBytes(r['terminal_id']),
    merchantId: optionalBytes(r['merchant_id']),
    cardCounter: int(r['card_counter']),
  };
}

export function caseRow(r: Row): FraudCaseRecord {
  return {
    caseId: int(r['case_id']),
    kind: int(r['kind']),
    cardId: bytes(r['card_id']),
    issuerId: bytes(r['issuer_id']),
    counters: JSON.parse(r['counters'] as string) as number[],
    detectedAt: int(r['detected_at']),
    receiptId: bytes(r['receipt_id']),
    batchId: optionalBytes(r['batch_id']),
    evidence: optionalBytes(r['evidence']),
    flaggedCount: int(r['flagged_count']),
    flaggedAmount: int(r['flagged_amount']),
  };
}

export function batchRow(r: Row): BatchRecord {
  return {
    batchId: bytes(r['batch_id']),
    terminalId: bytes(r['terminal_id']),
    sequence: int(r['sequence']),
    createdAt: int(r['created_at']),
    source: r['source'] as string,
    firstReceivedAt: int(r['first_received_at']),
    lastReceivedAt: int(r['last_received_at']),
    submissions: int(r['submissions']),
    receipts: int(r['receipts']),
    accepted: int(r['accepted']),
    duplicates: int(r['duplicates']),
    rejected: int(r['rejected']),
    doubleSpends: int(r['double_spends']),
  };
}

/** A deny list version row. */
export function denyListRow(r: Row): { sequence: number; issuedAt: number; bytes: Uint8Array } {
  return { sequence: int(r['sequence']), issuedAt: int(r['issued_at']), bytes: bytes(r['bytes']) };
}
