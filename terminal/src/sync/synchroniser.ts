import { bytesEqual, toHex, verifyBatchResult, type SignatureVerifier } from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { CrashPoint, type FaultHook } from '../faults/crash-point.js';
import type { ConfigStore } from '../store/config-store.js';
import { EvidenceState, type IncidentJournal } from '../store/incident-journal.js';
import type { LoadJournal } from '../store/load-journal.js';
import { BatchPurpose, type AppliedOutcomes, type BatchRecord, type ReceiptQueue } from '../store/receipt-queue.js';
import { ReceiptState } from '../store/receipt-state.js';
import { checkDenyList } from '../trust/deny-list-check.js';
import { verifyTrustBundle } from '../trust/trust-anchors.js';
import type { TrustCache } from '../trust/trust-state.js';
import { signBatch } from './batch-signer.js';
import type { LedgerClient } from './ledger-client.js';
import { NextStep } from '../errors/next-step.js';

/** Receipts per upload batch: small enough to resend cheaply after a lost answer. */
export const UPLOAD_BATCH_RECEIPTS = 500;

/** What happened to one batch in a sync. */
export interface BatchUpload {
  readonly batchId: string;
  readonly sequence: number;
  readonly receipts: number;
  /** True when the batch had been sent before without a verified answer (resent byte for byte). */
  readonly resent: boolean;
  /** The verified answer applied. */
  readonly applied: AppliedOutcomes;
}

/** Result of one successful sync. */
export interface SyncReport {
  readonly trustAnchorsUpdated: boolean;
  readonly denyList: {
    readonly sequence: number;
    readonly issuedAt: number;
    readonly entries: number;
    readonly updated: boolean;
  };
  readonly batches: readonly BatchUpload[];
  readonly totals: AppliedOutcomes;
  /** Load receipts held since a top-up whose ledger was unreachable: delivered now, or refused by the ledger (kept). */
  readonly loadReceipts: { readonly delivered: number; readonly refused: number };
  /**
   * Double-spend evidence collected at taps (6.2 step 5): delivered now, refused by the ledger as not proving its
   * claim (kept, final), or held for a later sync (the ledger refused it otherwise, e.g. it does not know the route).
   */
  readonly evidence: { readonly delivered: number; readonly refused: number; readonly held: number };
  /** Attempts the sync took (1 without retries). */
  readonly attempts: number;
}

/** What a sync needs. */
export interface SyncDependencies {
  readonly config: ConfigStore;
  readonly queue: ReceiptQueue;
  readonly loads: LoadJournal;
  readonly incidents: IncidentJournal;
  readonly trust: TrustCache;
  readonly identity: EnrolledIdentity;
  readonly client: LedgerClient;
  readonly verifier: SignatureVerifier;
  readonly now: () => number;
  readonly fault?: FaultHook;
}

/**
 * One sync with the ledger: refresh the trust anchors (same pinned root only), deliver load receipts held since a
 * top-up whose ledger was unreachable, resend every upload batch still
 * unanswered, cut and send new batches until the queue is empty, deliver the double-spend evidence collected at
 * taps, then refresh the deny list (never backwards), which then already names a card the evidence revoked.
 * Idempotent end to end: a batch is durable before it is sent and resent byte for byte until a verified answer
 * is applied; the ledger deduplicates by receipt id, so nothing is credited twice whatever fails where.
 * @throws TerminalError LEDGER_UNREACHABLE / LEDGER_ANSWER_INVALID (retryable), LEDGER_REFUSED (a refused batch's
 *   receipts are back in the queue), TRUST_REJECTED.
 */
export async function syncOnce(deps: SyncDependencies): Promise<Omit<SyncReport, 'attempts'>> {
  const { config, queue, identity, client, verifier, fault } = deps;
  const current = deps.trust.current();
  if (current === undefined)
    throw new TerminalError(TerminalErrorCode.NotEnrolled, 'this terminal has no trust anchors', {
      next: NextStep.Enrol,
    });

  const bundle = await client.trustAnchors();
  verifyTrustBundle(bundle, current.trust.root.id, verifier);
  const held = config.trustBundle();
  const trustAnchorsUpdated = held === undefined || !bytesEqual(held, bundle);
  if (trustAnchorsUpdated) config.saveTrustBundle(bundle, deps.now());
  const trust = deps.trust.current();
  if (trust === undefined)
    throw new TerminalError(TerminalErrorCode.StoreFailed, 'trust anchors vanished during sync', {
      next: NextStep.SyncAgain,
    });

  const batches: BatchUpload[] = [];
  const totals: AppliedOutcomes = { accepted: 0, duplicate: 0, rejected: 0, doubleSpend: 0, requeued: 0 };
  const send = async (batch: BatchRecord, resent: boolean): Promise<void> => {
    const upload = await sendBatch(deps, batch, resent);
    batches.push(upload);
    for (const k of Object.keys(totals) as (keyof AppliedOutcomes)[]) totals[k] += upload.applied[k];
  };
  // A refusal does not stop the deny list refresh: a terminal the ledger refuses must still learn of revocations.
  let refusal: TerminalError | undefined;
  const loadReceipts = { delivered: 0, refused: 0 };
  for (const load of deps.loads.held()) {
    try {
      await client.recordLoadReceipt(load.receipt!);
      deps.loads.forget(load.authorizationId);
      loadReceipts.delivered++;
    } catch (e) {
      if (!(e instanceof TerminalError) || e.code !== TerminalErrorCode.LedgerRefused) throw e;
      deps.loads.recordRefusal(load.authorizationId, e.message);
      loadReceipts.refused++;
    }
  }
  try {
    for (const batch of queue.unansweredUploads()) await send(batch, true);
    // Bounded: receipts an answer leaves out go back to the queue, and must not make this loop endless.
    const counts = queue.counts();
    const waiting = counts[ReceiptState.Queued].count + counts[ReceiptState.Exported].count;
    for (let i = Math.ceil(waiting / UPLOAD_BATCH_RECEIPTS); i > 0; i--) {
      const batch = queue.cutBatch(
        BatchPurpose.Upload,
        [ReceiptState.Queued, ReceiptState.Exported],
        UPLOAD_BATCH_RECEIPTS,
        (c) => signBatch(identity, c, deps.now()),
        deps.now(),
      );
      if (batch === undefined) break;
      fault?.(CrashPoint.SyncAfterBatch);
      await send(batch, false);
    }
  } catch (e) {
    if (!(e instanceof TerminalError) || e.code !== TerminalErrorCode.LedgerRefused) throw e;
    refusal = e;
  }

  const evidence = await deliverEvidence(deps);

  // After the uploads and the evidence: a double spend they revealed has already revoked its card in this list.
  const denyBytes = await client.denyList();
  const { record } = checkDenyList(denyBytes, trust.trust, verifier, config.denyListStanding()?.sequence);
  const denyUpdated = config.saveDenyList(record, deps.now());

  if (refusal !== undefined) throw refusal;
  config.recordSync(deps.now(), undefined);
  return {
    trustAnchorsUpdated,
    denyList: { sequence: record.sequence, issuedAt: record.issuedAt, entries: record.entries, updated: denyUpdated },
    batches,
    totals,
    loadReceipts,
    evidence,
  };
}

/**
 * POST /v1/evidence for every incident whose evidence the ledger has not answered, oldest first. A 422 (the ledger
 * verified it and it does not prove a double spend there) is final; any other refusal leaves it for a later sync,
 * so that evidence is never dropped because of a ledger that cannot take it yet. Unreachable: thrown (retried).
 */
async function deliverEvidence(deps: SyncDependencies): Promise<SyncReport['evidence']> {
  const out = { delivered: 0, refused: 0, held: 0 };
  for (const incident of deps.incidents.pendingEvidence()) {
    try {
      const answer = await deps.client.deliverEvidence(incident.evidence);
      deps.incidents.markAnswered(incident.seq, EvidenceState.Delivered, answer, deps.now());
      out.delivered++;
    } catch (e) {
      if (!(e instanceof TerminalError) || e.code !== TerminalErrorCode.LedgerRefused) throw e;
      if (e.detail?.httpStatus === 422) {
        deps.incidents.markAnswered(incident.seq, EvidenceState.Refused, e.message, deps.now());
        out.refused++;
      } else {
        out.held++;
      }
    }
  }
  return out;
}

async function sendBatch(deps: SyncDependencies, batch: BatchRecord, resent: boolean): Promise<BatchUpload> {
  const { queue, client, verifier, identity, fault } = deps;
  const base = { batchId: toHex(batch.id), sequence: batch.sequence, receipts: batch.receipts, resent };
  let answer: Uint8Array;
  try {
    answer = await client.uploadBatch(batch.bytes, () => fault?.(CrashPoint.SyncAfterSend));
  } catch (e) {
    // A refused batch will never be accepted as it is: close it and put its receipts back in the queue, so the
    // next sync (after whatever the refusal says to fix, e.g. enrolment) cuts a new batch of them.
    if (e instanceof TerminalError && e.code === TerminalErrorCode.LedgerRefused)
      queue.refuseBatch(batch.id, e.message, deps.now());
    else if (e instanceof TerminalError) queue.recordAttempt(batch.id, e.message);
    throw e;
  }
  fault?.(CrashPoint.SyncAfterAnswer);
  const trust = deps.trust.current();
  if (trust === undefined)
    throw new TerminalError(TerminalErrorCode.StoreFailed, 'trust anchors vanished during sync', {
      next: NextStep.SyncAgain,
    });
  const result = verifyBatchResult(answer, trust.trust, identity.acquirerId, batch.id, verifier);
  if (!result.ok) {
    const message = `the ledger's answer to batch ${batch.sequence} does not verify (${result.check}): ${result.reason}`;
    queue.recordAttempt(batch.id, message);
    throw new TerminalError(TerminalErrorCode.LedgerAnswerInvalid, message, {
      next: NextStep.RetryThenCallAcquirer,
      check: result.check,
    });
  }
  fault?.(CrashPoint.SyncBeforeMarking);
  queue.recordAttempt(batch.id, undefined);
  const applied = queue.applyOutcomes(batch.id, answer, result.value.payload.outcomes, deps.now());
  return { ...base, applied };
}
