import { EVIDENCE_KIND_NAME, EvidenceKind, Limits, toHex } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import {
  ReceiptKind,
  type CardState,
  type CardTransaction,
  type ChainLink,
  type VerifiedReceipt,
} from '../store/ledger-store.js';
import { overSpendEvidence, receiptEvidence, type EvidencePayment } from './build-evidence.js';
import { voidedAmount } from './load-settlement.js';

/**
 * The DoubleSpendEvidence of a detected double spend, from what the card's transaction holds: the receipt pair
 * (in counter order) for a conflicting counter, fork or balance mismatch, the one receipt for a bad genesis, the
 * load receipt with its authorization for a misplaced load, and for an over-spend the card's authorizations, the
 * receipts that prove some of them void, and its largest payments. Null only if core's limits cannot hold the proof.
 * Receipts the transaction stored must be written before this reads them.
 * @throws LedgerError NOT_FOUND (the card's issuer is not a trust anchor), STORAGE (a counterpart is missing)
 * @example const bytes = await caseEvidence(tx, EvidenceKind.ChainFork, card, receipt, stored, 'stored-first')
 */
export async function caseEvidence(
  tx: CardTransaction,
  kind: EvidenceKind,
  card: CardState,
  r: VerifiedReceipt,
  counterpart: ChainLink | null,
  order: 'stored-first' | 'new-first',
): Promise<Uint8Array | null> {
  const issuerCertificate = await tx.issuerCertificate(card.issuerId);
  if (issuerCertificate === undefined)
    throw new LedgerError(
      LedgerErrorCode.NotFound,
      `issuer ${toHex(card.issuerId)} of card ${toHex(card.cardId)} is not a trust anchor`,
    );
  if (kind === EvidenceKind.OverSpend) {
    const authorizations = await tx.cardLoadAuthorizations(card.cardId);
    // Void authorizations go in with the receipt that voids each, so that a verifier excludes them as we did.
    const voiding = await tx.voidingReceipts(card.cardId);
    const voidedNow = r.kind === ReceiptKind.Pay ? voidedAmount(card.pendingLoads, r) : 0;
    if (voidedNow > 0) voiding.push(r.bytes);
    const stored: EvidencePayment[] = await tx.largestPayments(card.cardId, Limits.evidenceReceipts);
    const payments = [...stored, { bytes: r.bytes, amount: r.amount }].sort((a, b) => b.amount - a.amount);
    return overSpendEvidence(
      card.certificate,
      issuerCertificate,
      authorizations,
      card.authorized - voidedNow,
      payments,
      voiding,
    );
  }
  if (kind === EvidenceKind.MisplacedLoad) {
    const authorization = r.authorizationId === undefined ? undefined : await tx.authorizationBytes(r.authorizationId);
    if (authorization === undefined)
      throw new LedgerError(LedgerErrorCode.Storage, 'misplaced-load without its authorization');
    return receiptEvidence(kind, card.certificate, issuerCertificate, [r.bytes], [authorization]);
  }
  if (kind === EvidenceKind.BadGenesis) return receiptEvidence(kind, card.certificate, issuerCertificate, [r.bytes]);
  if (counterpart === null)
    throw new LedgerError(LedgerErrorCode.Storage, `${EVIDENCE_KIND_NAME[kind]} without a counterpart receipt`);
  const other = await tx.receiptBytes(card.cardId, counterpart.counter, counterpart.id);
  if (other === undefined)
    throw new LedgerError(
      LedgerErrorCode.Storage,
      `the counterpart receipt of a ${EVIDENCE_KIND_NAME[kind]} is missing`,
    );
  const pair: [Uint8Array, Uint8Array] = order === 'stored-first' ? [other, r.bytes] : [r.bytes, other];
  return receiptEvidence(kind, card.certificate, issuerCertificate, pair);
}
