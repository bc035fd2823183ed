import { encodeUploadBatch, sha256, signCoseSign1 } from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import type { BatchContent } from '../store/receipt-queue.js';

/**
 * Encodes and signs an upload batch with the terminal's key. The receipts travel as the exact bytes the cards
 * signed; the batch id is SHA-256 of its payload (what the ledger's answer names).
 * @example const { id, bytes } = signBatch(identity, content, now)
 */
export function signBatch(
  identity: EnrolledIdentity,
  content: BatchContent,
  now: number,
): { id: Uint8Array; bytes: Uint8Array } {
  const payload = encodeUploadBatch({
    terminalId: identity.terminalId,
    sequence: content.sequence,
    createdAt: now,
    terminalCertificate: identity.certificate,
    cardCertificates: content.cardCertificates,
    receipts: content.receipts.map((r) => r.bytes),
  });
  return { id: sha256(payload), bytes: signCoseSign1(identity.signer, payload) };
}
