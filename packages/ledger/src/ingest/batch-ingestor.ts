import {
  CheckId,
  Limits,
  ReceiptStatus,
  encodeBatchResult,
  sha256,
  signCoseSign1,
  truncateUtf8,
  type ReceiptOutcome,
  type UploadBatch,
  type Verification,
  openOrFail,
} from '@ehkd/core';
import type { LedgerContext } from '../ledger-context.js';
import {
  ReceiptKind,
  type CardCertificateRecord,
  type DenyListVersion,
  type VerifiedReceipt,
} from '../store/ledger-store.js';
import { applyReceipts } from '../detect/apply-receipts.js';
import { publishRevocations } from '../detect/deny-list-outbox.js';
import { enrolledMerchant } from '../scheme/enrolled-merchant.js';
import { verifyBatchEnvelope } from './batch-envelope.js';
import type { ReceiptCheck } from './receipt-check.js';
import type { VerifyPool } from './verify-pool.js';

/** Reasons in a batch result are capped (in UTF-8 bytes, cut between code points) so that 20,000 rejections still fit core's batch-result size limit. */
const REASON_CAP = 80;

/** What ingesting one batch produced. */
export interface IngestedBatch {
  readonly ok: true;
  readonly batchId: Uint8Array;
  readonly terminalId: Uint8Array;
  readonly merchantId: Uint8Array;
  /** One outcome per receipt of the batch, in batch order. */
  readonly outcomes: readonly ReceiptOutcome[];
  /** The BatchResult COSE_Sign1, signed by the acquirer: the answer to the terminal. */
  readonly result: Uint8Array;
  readonly counts: BatchCounts;
  readonly newCases: readonly number[];
  /** Set if this batch revoked cards (null if another ledger process published their list first). */
  readonly denyList: DenyListVersion | null;
}

/** Outcome counts of a batch. */
export interface BatchCounts {
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly doubleSpend: number;
}

/** A batch whose envelope and receipts were verified, ready to apply. */
export interface VerifiedBatch {
  readonly ok: true;
  readonly batchId: Uint8Array;
  readonly batch: UploadBatch;
  readonly merchantId: Uint8Array;
  /** One verdict per receipt of the batch. */
  readonly checks: readonly ReceiptCheck[];
  readonly source: string;
}

/** Why a whole batch was refused: its envelope, or its terminal, cannot be trusted. `enrolled` false means 403. */
export type BatchRefusal = {
  readonly ok: false;
  readonly check: CheckId;
  readonly reason: string;
  readonly enrolled: boolean;
};

/**
 * Ingests upload batches (HTTP or hand-carried files): verifies the envelope (terminal certificate chain and
 * validity now, or within the expiry grace, terminal signature) and that the terminal is enrolled here with that key, verifies the receipts
 * in the worker pool, applies them (detect/apply-receipts.ts), and signs the BatchResult. Bad receipts are answered one by
 * one; the good ones of the same batch settle.
 */
export class BatchIngestor {
  constructor(
    private readonly ctx: LedgerContext,
    private readonly pool: VerifyPool,
  ) {}

  /**
   * Ingests one batch (COSE_Sign1 bytes). `source` is recorded ('http' or 'file').
   * @returns the ingested batch, or a typed refusal of the whole batch.
   * @throws LedgerError WORKER / STORAGE on infrastructure failures (nothing is applied then).
   */
  async ingest(
    bytes: Uint8Array,
    source: string,
    onProgress?: (verified: number, total: number) => void,
  ): Promise<IngestedBatch | BatchRefusal> {
    const verified = await this.verify(bytes, source, onProgress);
    return verified.ok ? this.apply(verified) : verified;
  }

  /**
   * The first half of `ingest`: the envelope, the terminal's enrolment and every receipt verified, nothing stored.
   * Callers that must apply batches in a given order (files) verify ahead and apply in order.
   */
  async verify(
    bytes: Uint8Array,
    source: string,
    onProgress?: (verified: number, total: number) => void,
  ): Promise<VerifiedBatch | BatchRefusal> {
    const ctx = this.ctx;
    const now = ctx.clock();
    const envelope = verifyBatchEnvelope(bytes, ctx.trust, ctx.verifier, now, ctx.terminalExpiryGraceSeconds);
    if (!envelope.ok) return refuse(envelope, true);
    const { batchId, batch: b, terminal } = envelope.value;
    const merchant = await enrolledMerchant(ctx, terminal, 'batch');
    if (!merchant.ok) return refuse(merchant, false);
    const { merchantId } = merchant;
    const total = b.receipts.length;
    const verified = await this.pool.verify(
      { receipts: b.receipts, cardCertificates: b.cardCertificates, payee: b.terminalId },
      onProgress === undefined ? undefined : (done) => onProgress(done, total),
    );
    // A terminal uploading within its certificate's expiry grace delivers only what it took while certified.
    const notAfter = terminal.payload.notAfter;
    const checks = verified.map((c): ReceiptCheck =>
      c.ok && c.time > notAfter
        ? {
            ok: false,
            check: CheckId.CertExpiry,
            reason: `taken after the terminal certificate expired (${new Date(notAfter * 1000).toISOString()})`,
          }
        : c,
    );
    return { ok: true, batchId, batch: b, merchantId, checks, source };
  }

  /**
   * The second half of `ingest`: applies a verified batch and signs the BatchResult.
   * @throws LedgerError STORAGE (what committed before the failure stays; a re-upload completes the batch)
   */
  async apply(verifiedBatch: VerifiedBatch): Promise<IngestedBatch> {
    const ctx = this.ctx;
    const { batchId, batch: b, merchantId, checks, source } = verifiedBatch;
    const now = ctx.clock();
    const total = b.receipts.length;

    const verified: VerifiedReceipt[] = [];
    const verifiedAt: number[] = [];
    const cards = new Map<number, CardCertificateRecord>();
    const outcomes: ReceiptOutcome[] = new Array<ReceiptOutcome>(total);
    let rejected = 0;
    checks.forEach((c, i) => {
      const receiptBytes = b.receipts[i] as Uint8Array;
      if (!c.ok) {
        rejected++;
        outcomes[i] = {
          receiptId: rejectedId(receiptBytes),
          status: ReceiptStatus.Rejected,
          check: c.check,
          reason: truncateUtf8(c.reason, REASON_CAP),
        };
        return;
      }
      if (!cards.has(c.certIndex))
        cards.set(c.certIndex, {
          cardId: c.cardId,
          issuerId: c.issuerId,
          currency: c.currency,
          certificate: b.cardCertificates[c.certIndex] as Uint8Array,
        });
      verified.push({
        id: c.id,
        bytes: receiptBytes,
        kind: ReceiptKind.Pay,
        cardId: c.cardId,
        counter: c.counter,
        amount: c.amount,
        currency: c.currency,
        balanceAfter: c.balanceAfter,
        prevHash: c.prevHash,
        time: c.time,
      });
      verifiedAt.push(i);
    });

    const applied = await applyReceipts(
      ctx.store,
      {
        batch: {
          batchId,
          terminalId: b.terminalId,
          merchantId,
          sequence: b.sequence,
          createdAt: b.createdAt,
          source,
          receiptCount: total,
        },
        cards: [...cards.values()],
        receipts: verified,
        rejectedCount: rejected,
      },
      { now, denyListGraceSeconds: ctx.denyListGraceSeconds },
    );
    // Signed after the receipts committed, from the outbox: the cards' locks are not held while signing.
    const denyList = applied.revoked.length > 0 ? await publishRevocations(ctx) : null;
    applied.outcomes.forEach((o, k) => {
      outcomes[verifiedAt[k] as number] =
        o.reason === undefined ? o : { ...o, reason: truncateUtf8(o.reason, REASON_CAP) };
    });
    const result = signCoseSign1(ctx.acquirer.signer, encodeBatchResult({ batchId, processedAt: now, outcomes }));
    return {
      ok: true,
      batchId,
      terminalId: b.terminalId,
      merchantId,
      outcomes,
      result,
      counts: countOutcomes(outcomes),
      newCases: applied.newCases,
      denyList,
    };
  }
}

function refuse(v: Verification<unknown> & { ok: false }, enrolled: boolean): BatchRefusal {
  return { ok: false, check: v.check, reason: v.reason, enrolled };
}

/**
 * The id a rejected receipt is answered under: SHA-256 of its payload when the COSE envelope opens (so the
 * terminal can match it), else SHA-256 of the bytes received (nothing better identifies garbage).
 */
function rejectedId(bytes: Uint8Array): Uint8Array {
  const opened = openOrFail(bytes, Limits.receiptBytes, (p: Uint8Array) => p, 'receipt');
  return opened.ok ? opened.value.id : sha256(bytes);
}

/** Counts outcomes by status. */
export function countOutcomes(outcomes: readonly ReceiptOutcome[]): BatchCounts {
  let accepted = 0;
  let duplicate = 0;
  let rejected = 0;
  let doubleSpend = 0;
  for (const o of outcomes) {
    if (o.status === ReceiptStatus.Accepted) accepted++;
    else if (o.status === ReceiptStatus.Duplicate) duplicate++;
    else if (o.status === ReceiptStatus.Rejected) rejected++;
    else doubleSpend++;
  }
  return { accepted, duplicate, rejected, doubleSpend };
}
