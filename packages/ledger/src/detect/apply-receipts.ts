import {
  CheckId,
  EVIDENCE_KIND_NAME,
  EvidenceKind,
  ReceiptStatus,
  bytesEqual,
  toHex,
  type ReceiptOutcome,
} from '@ehkd/core';
import { byteKey } from '../ids/byte-key.js';
import {
  Disposition,
  Liability,
  ReceiptKind,
  type BatchHeader,
  type CardCertificateRecord,
  type CardState,
  type CardTransaction,
  type ChainLink,
  type LedgerStore,
  type LoadSettlement,
  type StoredReceipt,
  type VerifiedReceipt,
} from '../store/ledger-store.js';
import { caseEvidence } from './case-evidence.js';
import { classifyReceipt } from './classify-receipt.js';
import { settleLoads, voidedAmount } from './load-settlement.js';
import { liabilityFor } from './loss-attribution.js';

/** A batch (or a single load receipt) to apply. */
export interface ReceiptApplication {
  /** Identity of the upload batch (SHA-256 of its payload); null for a load receipt. */
  readonly batch: BatchHeader | null;
  /** Certificates of the cards of `receipts` (recorded if new). */
  readonly cards: readonly CardCertificateRecord[];
  /** Verified receipts, in the order of the batch. */
  readonly receipts: readonly VerifiedReceipt[];
  /** Receipts of the batch rejected before reaching the store (counted in the batch record). */
  readonly rejectedCount: number;
}

/** The ledger's policy for applying receipts. */
export interface ApplyPolicy {
  /** Unix seconds. */
  readonly now: number;
  /** How long after a revocation a terminal may still lack the new deny list (its maximum deny-list age). */
  readonly denyListGraceSeconds: number;
}

/** One outcome per verified receipt, in input order, and what the application decided beyond them. */
export interface AppliedReceipts {
  readonly outcomes: readonly ReceiptOutcome[];
  /** Fraud cases opened by this application. */
  readonly newCases: readonly number[];
  /** Cards revoked by this application (in the deny-list outbox: see detect/deny-list-outbox.ts). */
  readonly revoked: readonly Uint8Array[];
}

/**
 * Applies verified receipts (docs/protocol.md 7.2 step 5 and 7.4): the receipts of each card are classified
 * against the card's stored chain in the order given and stored with their outcome, fraud cases are opened with
 * their evidence, cards are revoked (into the deny-list outbox) and load authorizations settled. The cards are
 * applied in transactions of `store.cardsPerTransaction` cards each (each holding its cards' locks); the batch
 * record is written with the last. Each receipt's outcome is decided exactly once: a receipt stored by an earlier
 * transaction (or an earlier submission) is a duplicate, so a batch cut by a crash is completed by its re-upload.
 * @throws LedgerError NOT_FOUND (a receipt's card has no certificate), STORAGE (nothing of the failed transaction is kept)
 * @example const applied = await applyReceipts(store, { batch, cards, receipts, rejectedCount: 0 }, policy)
 */
export async function applyReceipts(
  store: LedgerStore,
  input: ReceiptApplication,
  policy: ApplyPolicy,
): Promise<AppliedReceipts> {
  const byCard = new Map<string, number[]>();
  input.receipts.forEach((r, i) => {
    const key = byteKey(r.cardId);
    const list = byCard.get(key);
    if (list === undefined) byCard.set(key, [i]);
    else list.push(i);
  });
  const certificates = new Map(input.cards.map((c) => [byteKey(c.cardId), c]));
  const run: ApplicationRun = {
    input,
    policy,
    outcomes: new Array<ReceiptOutcome>(input.receipts.length),
    newCases: [],
    revoked: [],
    counts: { accepted: 0, duplicates: 0, rejected: input.rejectedCount, doubleSpends: 0 },
  };
  const keys = [...byCard.keys()];
  const size = Math.max(1, store.cardsPerTransaction);
  for (let start = 0; start < keys.length || (start === 0 && input.batch !== null); start += size) {
    const chunk = keys.slice(start, start + size);
    const last = start + size >= keys.length;
    const cards = chunk.map((k) => {
      const first = input.receipts[(byCard.get(k) as number[])[0] as number] as VerifiedReceipt;
      return certificates.get(k) ?? first.cardId;
    });
    await store.withCards(cards, async (tx) => {
      await applyChunk(
        tx,
        run,
        chunk.map((k) => byCard.get(k) as number[]),
      );
      if (last && input.batch !== null) await tx.recordBatch({ ...input.batch, receivedAt: policy.now, ...run.counts });
    });
  }
  return { outcomes: run.outcomes, newCases: run.newCases, revoked: run.revoked };
}

/** What an application accumulates across its transactions. */
interface ApplicationRun {
  readonly input: ReceiptApplication;
  readonly policy: ApplyPolicy;
  readonly outcomes: ReceiptOutcome[];
  readonly newCases: number[];
  readonly revoked: Uint8Array[];
  readonly counts: { accepted: number; duplicates: number; rejected: number; doubleSpends: number };
}

/**
 * The receipts of some cards (each card's receipt indexes in batch order) in one transaction. The chain checks see
 * the stored receipts near each receipt (read in one query up front for those at or below the card's highest
 * stored counter; above it only the card's tail and this transaction's own receipts can be neighbours) and the
 * receipts this transaction stored before it. Rows are written in one go at the end, or before evidence is read.
 */
async function applyChunk(tx: CardTransaction, run: ApplicationRun, groups: readonly number[][]): Promise<void> {
  const { input, policy } = run;
  const receipts = input.receipts;
  const queries = [];
  for (const group of groups)
    for (const i of group) {
      const r = receipts[i] as VerifiedReceipt;
      if (r.counter <= (tx.card(r.cardId).tail?.counter ?? 0)) queries.push({ cardId: r.cardId, counter: r.counter });
    }
  const known = new Map<string, ChainLink[]>();
  const remember = (cardKey: string, link: ChainLink): void => {
    const links = known.get(cardKey);
    if (links === undefined) known.set(cardKey, [link]);
    else links.push(link);
  };
  for (const n of queries.length === 0 ? [] : await tx.neighbours(queries)) remember(byteKey(n.cardId), n);

  const batch = input.batch;
  const placement = {
    terminalId: batch?.terminalId ?? null,
    merchantId: batch?.merchantId ?? null,
    batchId: batch?.batchId ?? null,
    ingestedAt: policy.now,
  };
  const rows: StoredReceipt[] = [];
  const settlements: LoadSettlement[] = [];
  const touched: CardState[] = [];
  const flush = async (): Promise<void> => {
    if (rows.length > 0) await tx.insertReceipts(rows.splice(0));
  };
  const store = (
    r: VerifiedReceipt,
    card: CardState,
    cardKey: string,
    row: Omit<StoredReceipt, keyof VerifiedReceipt>,
  ): void => {
    rows.push({ ...r, ...row });
    const link: ChainLink = {
      id: r.id,
      counter: r.counter,
      prevHash: r.prevHash,
      balanceAfter: r.balanceAfter,
      kind: r.kind,
      amount: r.amount,
      primary: row.primary,
    };
    remember(cardKey, link);
    if (row.primary && r.kind === ReceiptKind.Pay) card.paid += r.amount;
    for (const s of settleLoads(card, r, row.primary)) settlements.push(s);
    if (row.primary && r.counter > (card.tail?.counter ?? 0)) card.tail = link;
  };

  for (const group of groups) {
    const first = receipts[group[0] as number] as VerifiedReceipt;
    const cardKey = byteKey(first.cardId);
    const card = tx.card(first.cardId);
    touched.push(card);
    for (const i of group) {
      const r = receipts[i] as VerifiedReceipt;
      const near = neighboursOf(known.get(cardKey), card.tail, r.counter);
      // A receipt at the counter + 1 of an authorization it does not execute proves that authorization void: it
      // stops counting toward what the card may spend from this receipt on (this receipt included).
      const voided = card.pendingLoads.length === 0 ? 0 : voidedAmount(card.pendingLoads, r);
      const verdict = classifyReceipt(
        r,
        near,
        voided === 0 ? card : { ...card, authorized: card.authorized - voided },
        policy.denyListGraceSeconds,
      );
      switch (verdict.kind) {
        case 'duplicate':
          run.counts.duplicates++;
          run.outcomes[i] = { receiptId: r.id, status: ReceiptStatus.Duplicate, reason: 'already recorded' };
          break;
        case 'credit':
          store(r, card, cardKey, {
            ...placement,
            primary: true,
            disposition: r.kind === ReceiptKind.Pay ? Disposition.Credited : Disposition.Loaded,
            liability: null,
            caseId: null,
          });
          run.counts.accepted++;
          run.outcomes[i] = { receiptId: r.id, status: ReceiptStatus.Accepted };
          break;
        case 'denied':
          store(r, card, cardKey, {
            ...placement,
            primary: true,
            disposition: Disposition.Flagged,
            liability: Liability.Merchant,
            caseId: null,
          });
          run.counts.rejected++;
          run.outcomes[i] = {
            receiptId: r.id,
            status: ReceiptStatus.Rejected,
            check: CheckId.DenyList,
            reason: `card ${toHex(r.cardId)} was revoked at ${card.revokedAt ?? 0}; payment taken after the deny list was due`,
          };
          break;
        case 'double-spend': {
          const liability =
            r.kind === ReceiptKind.Pay ? liabilityFor(r.time, card.revokedAt, policy.denyListGraceSeconds) : null;
          let caseId: number;
          if (verdict.evidence === EvidenceKind.OverSpend && card.overSpendCase !== null) {
            caseId = card.overSpendCase;
          } else {
            await flush();
            const evidence = await caseEvidence(tx, verdict.evidence, card, r, verdict.counterpart, verdict.order);
            caseId = await tx.openCase({
              kind: verdict.evidence,
              cardId: r.cardId,
              issuerId: card.issuerId,
              counters: caseCounters(r.counter, verdict.counterpart),
              detectedAt: policy.now,
              receiptId: r.id,
              batchId: placement.batchId,
              evidence,
            });
            run.newCases.push(caseId);
            if (verdict.evidence === EvidenceKind.OverSpend) card.overSpendCase = caseId;
          }
          store(r, card, cardKey, {
            ...placement,
            primary: verdict.primary,
            disposition: Disposition.Flagged,
            liability,
            caseId,
          });
          if (card.revokedAt === null) {
            card.revokedAt = policy.now;
            await tx.denyCard(r.cardId, policy.now, caseId);
            run.revoked.push(r.cardId);
          }
          run.counts.doubleSpends++;
          run.outcomes[i] = {
            receiptId: r.id,
            status: ReceiptStatus.DoubleSpend,
            check: EVIDENCE_KIND_NAME[verdict.evidence],
            reason: `double spend (${EVIDENCE_KIND_NAME[verdict.evidence]}), case ${caseId}; card ${toHex(r.cardId)} revoked`,
          };
          break;
        }
      }
    }
  }
  await flush();
  if (settlements.length > 0) await tx.settleLoads(settlements);
  await tx.saveCards(touched);
}

/** The known receipts of a card at counter-1 .. counter+1 (its tail included). */
function neighboursOf(links: readonly ChainLink[] | undefined, tail: ChainLink | null, counter: number): ChainLink[] {
  const near: ChainLink[] = [];
  if (tail !== null && tail.counter >= counter - 1 && tail.counter <= counter + 1) near.push(tail);
  if (links !== undefined)
    for (const l of links)
      if (
        l.counter >= counter - 1 &&
        l.counter <= counter + 1 &&
        !(tail !== null && l.counter === tail.counter && bytesEqual(l.id, tail.id))
      )
        near.push(l);
  return near;
}

/** The counters a case rests on: the receipt's, and its counterpart's when it has one, ascending and distinct. */
function caseCounters(counter: number, counterpart: ChainLink | null): number[] {
  if (counterpart === null || counterpart.counter === counter) return [counter];
  return counter < counterpart.counter ? [counter, counterpart.counter] : [counterpart.counter, counter];
}
