import { EvidenceKind, encodeDoubleSpendEvidence, Limits } from '@ehkd/core';

/** A pay receipt that may go into OverSpend evidence. */
export interface EvidencePayment {
  readonly bytes: Uint8Array;
  readonly amount: number;
}

/**
 * DoubleSpendEvidence resting on card signatures: a pair of receipts in counter order (ConflictingCounter,
 * ChainFork, BalanceMismatch), the one receipt that breaks the genesis state (BadGenesis), or a load receipt with
 * the authorization it executes away from that authorization's counter + 1 (MisplacedLoad).
 * @example receiptEvidence(EvidenceKind.ChainFork, cardCert, issuerCert, [receiptN, receiptN1])
 */
export function receiptEvidence(
  kind: EvidenceKind,
  cardCertificate: Uint8Array,
  issuerCertificate: Uint8Array,
  receipts: readonly Uint8Array[],
  loadAuthorizations: readonly Uint8Array[] = [],
): Uint8Array {
  return encodeDoubleSpendEvidence({
    kind,
    cardCertificate,
    issuerCertificate,
    receipts: [...receipts],
    loadAuthorizations: [...loadAuthorizations],
  });
}

/**
 * OverSpend evidence: every load authorization of the card, the receipts that prove the void ones void (the
 * card's receipt at each one's counter + 1), and the fewest payments (largest first, distinct counters) whose sum
 * exceeds the authorized total (void authorizations left out). Core caps evidence at Limits.evidenceReceipts
 * receipts and authorizations and Limits.evidenceBytes bytes; when the proof cannot fit, this returns null and
 * the case is kept without a portable proof (the receipts stay in the ledger).
 * `payments` must be the card's primary-chain payments, largest first.
 */
export function overSpendEvidence(
  cardCertificate: Uint8Array,
  issuerCertificate: Uint8Array,
  loadAuthorizations: readonly Uint8Array[],
  authorized: number,
  payments: readonly EvidencePayment[],
  voidingReceipts: readonly Uint8Array[] = [],
): Uint8Array | null {
  if (loadAuthorizations.length > Limits.evidenceReceipts) return null;
  const chosen: Uint8Array[] = [];
  const keys = new Set<string>();
  const take = (bytes: Uint8Array): void => {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (keys.has(key)) return;
    keys.add(key);
    chosen.push(bytes);
  };
  for (const v of voidingReceipts) take(v);
  let paid = 0;
  for (const p of payments) {
    if (paid > authorized || chosen.length >= Limits.evidenceReceipts) break;
    take(p.bytes);
    paid += p.amount;
  }
  if (paid <= authorized || chosen.length > Limits.evidenceReceipts) return null;
  const bytes = encodeDoubleSpendEvidence({
    kind: EvidenceKind.OverSpend,
    cardCertificate,
    issuerCertificate,
    receipts: chosen,
    loadAuthorizations: [...loadAuthorizations],
  });
  return bytes.length <= Limits.evidenceBytes ? bytes : null;
}
