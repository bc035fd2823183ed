import { randomBytes } from 'node:crypto';
import {
  CardStatusFlag,
  CheckId,
  CodecError,
  EvidenceKind,
  NONCE_LENGTH,
  Role,
  StatusWord,
  TransportError,
  bytesEqual,
  decodeSelectResponse,
  encodeDoubleSpendEvidence,
  purseApdus,
  toHex,
  verifyDoubleSpendEvidence,
  verifyPayReceipt,
  type CardConnection,
  type CardPublicState,
  type Certificate,
  type PayReceipt,
  type SelectResponse,
  type Signed,
  type SignatureVerifier,
} from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { CrashPoint, type FaultHook } from '../faults/crash-point.js';
import type { ConfigStore } from '../store/config-store.js';
import { CardIncidentKind, type IncidentJournal } from '../store/incident-journal.js';
import { IntentResolution } from '../store/receipt-state.js';
import type { HeldReceipt, PendingIntent, TapJournal } from '../store/tap-journal.js';
import type { TrustState } from '../trust/trust-state.js';
import { NOTHING_COMMITTED, describeRefusal } from './card-refusal.js';
import { exchange } from './card-exchange.js';
import { checkLimits } from './risk-limits.js';
import { TerminalCheck, nextStepForCheck } from './tap-check.js';
import { TapStage, type ApprovedPayment, type ResolvedIntent, type TapResult } from './tap-result.js';
import { NextStep } from '../errors/next-step.js';

/**
 * How many receipts the card's log keeps (RULES: READ LOG keeps the 16 newest). RECOVER can only find a receipt
 * whose counter is among the card's last 16 operations.
 */
export const CARD_LOG_RECORDS = 16;

/** What a tap needs from the terminal around it. */
export interface TapDependencies {
  readonly journal: TapJournal;
  readonly incidents: IncidentJournal;
  readonly config: ConfigStore;
  readonly identity: EnrolledIdentity;
  readonly trust: TrustState;
  readonly verifier: SignatureVerifier;
  /** The terminal's currency (ISO 4217 numeric). */
  readonly currency: number;
  /** Terminal time, Unix seconds. */
  readonly now: () => number;
  readonly fault?: FaultHook;
}

type RecoveryStep =
  | { readonly kind: 'recovered'; readonly payment: ApprovedPayment }
  | { readonly kind: 'voided'; readonly resolved: ResolvedIntent }
  | { readonly kind: 'stopped'; readonly result: TapResult };

/**
 * The tap algorithm of docs/protocol.md ("Terminal"), on a card already in the field:
 * SELECT; card certificate (chain, expiry); settle earlier interrupted taps of this card with RECOVER, and show
 * a payment of this card whose approval was never shown (the terminal stopped first) instead of charging again;
 * the card's counter against the receipts this terminal holds from it; deny list, lock, currency, terminal limits;
 * intent persisted; PAY; receipt verified (and linked to the receipt held at the card's counter); receipt
 * persisted; approved. A tap is exactly two exchanges (SELECT, PAY) and one card signature.
 */
export class TapEngine {
  constructor(private readonly deps: TapDependencies) {}

  /**
   * Runs one tap for `amount` minor units. Never throws for anything a card, a cashier or a customer can cause:
   * those are TapResults. Throws only when the terminal itself fails (database).
   */
  async run(connection: CardConnection, amount: number): Promise<TapResult> {
    const { deps } = this;
    const now = deps.now();

    let select;
    try {
      select = await exchange(connection, purseApdus.select());
    } catch (e) {
      return interruptedBeforePay(TapStage.Select, e, []);
    }
    if (select.sw !== StatusWord.Ok) return this.refused(TapStage.Select, select.sw, undefined, undefined, []);
    let selected: SelectResponse;
    try {
      selected = decodeSelectResponse(select.data);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
      return this.declined(CheckId.Structure, `the card's SELECT answer is malformed: ${e.message}`, undefined, []);
    }
    const verified = deps.trust.trust.verifyLeaf(selected.certificate, Role.Card, deps.verifier, now);
    if (!verified.ok) return this.declined(verified.check, verified.reason, undefined, []);
    const card = verified.value.payload;
    const cardId = card.subject;
    const state = selected.state;

    const resolved: ResolvedIntent[] = [];
    for (const intent of deps.journal.pendingFor(cardId)) {
      const step = await this.recover(connection, intent, card, state, now, resolved);
      if (step.kind === 'stopped') return step.result;
      if (step.kind === 'recovered') {
        deps.fault?.(CrashPoint.TapBeforeApproval);
        return { outcome: 'recovered', payment: step.payment, requestedAmount: amount, cardId, resolved };
      }
      resolved.push(step.resolved);
    }
    const unannounced = deps.journal.unannouncedFor(cardId);
    if (unannounced !== undefined) {
      deps.fault?.(CrashPoint.TapBeforeApproval);
      return { outcome: 'recovered', payment: unannounced, requestedAmount: amount, cardId, resolved };
    }

    const counter = this.checkCounter(card, state, resolved);
    if ('stop' in counter) return counter.stop;

    if (deps.trust.denied.has(cardId))
      return this.declined(
        CheckId.DenyList,
        `card ${toHex(cardId)} is on the deny list (sequence ${deps.trust.denyList?.sequence ?? 0})`,
        cardId,
        resolved,
      );
    if ((state.flags & CardStatusFlag.Locked) !== 0)
      return this.declined(TerminalCheck.CardLocked, `card ${toHex(cardId)} is locked`, cardId, resolved);
    if (card.card?.currency !== deps.currency)
      return this.declined(
        CheckId.Currency,
        `the card's currency ${card.card?.currency} is not the terminal's ${deps.currency}`,
        cardId,
        resolved,
      );
    const limits = deps.config.limits();
    const breach = checkLimits(
      amount,
      limits,
      deps.journal.exposure(),
      deps.config.denyListStanding()?.freshAt,
      now,
      deps.currency,
    );
    if (breach !== undefined) return this.declined(breach.check, breach.reason, cardId, resolved, limits.floorLimit);

    const nonce = new Uint8Array(randomBytes(NONCE_LENGTH));
    deps.journal.recordIntent({
      nonce,
      cardId,
      cardCertificate: selected.certificate,
      amount,
      currency: deps.currency,
      counterSeen: state.counter,
      createdAt: now,
    });
    deps.fault?.(CrashPoint.TapAfterIntent);

    let pay;
    try {
      pay = await exchange(
        connection,
        purseApdus.pay({ amount, currency: deps.currency, payee: deps.identity.terminalId, nonce, time: now }),
      );
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      return {
        outcome: 'interrupted',
        stage: TapStage.Pay,
        pending: true,
        cardId,
        resolved,
        reason: `the card left before the payment finished (${e.code}); the card may or may not have paid`,
        next: NextStep.TapSameCard,
      };
    }
    deps.fault?.(CrashPoint.TapAfterPay);
    if (pay.sw !== StatusWord.Ok) {
      if (!NOTHING_COMMITTED.has(pay.sw)) {
        return {
          outcome: 'interrupted',
          stage: TapStage.Pay,
          pending: true,
          sw: pay.sw,
          cardId,
          resolved,
          reason: `the card answered status ${pay.sw.toString(16).toUpperCase()}, which does not say whether it paid`,
          next: NextStep.TapSameCard,
        };
      }
      const text = describeRefusal(TapStage.Pay, pay.sw, state, deps.currency);
      deps.journal.voidIntent(nonce, IntentResolution.CardRefused, `${text.swName}: ${text.reason}`, deps.now());
      return { outcome: 'card-refused', stage: TapStage.Pay, sw: pay.sw, ...text, cardId, resolved };
    }
    const receipt = verifyPayReceipt(
      pay.data,
      card,
      { amount, currency: deps.currency, nonce, payee: deps.identity.terminalId },
      deps.verifier,
    );
    if (!receipt.ok) {
      deps.journal.voidIntent(
        nonce,
        IntentResolution.InvalidReceipt,
        `${receipt.check}: ${receipt.reason}; answer ${toHex(pay.data)}`,
        deps.now(),
      );
      return this.declined(
        receipt.check,
        `the card's receipt failed verification: ${receipt.reason}`,
        cardId,
        resolved,
      );
    }
    const fork = this.forkedFrom(card, selected.certificate, counter.linkTo, receipt.value);
    if (fork !== undefined) {
      // Not a payment this terminal takes: the card signed it on another chain than its receipt held here.
      const detail = `card ${toHex(cardId)} signed receipt ${state.counter + 1} on another chain than its receipt ${state.counter} held here (${toHex(fork.held.id)})`;
      deps.journal.voidIntent(
        nonce,
        IntentResolution.InvalidReceipt,
        `chain fork: ${detail}; answer ${toHex(pay.data)}`,
        deps.now(),
      );
      deps.incidents.record(
        {
          cardId,
          kind: CardIncidentKind.ChainFork,
          counterSeen: state.counter,
          heldCounter: state.counter,
          detail,
          ...(fork.evidence !== undefined && { evidence: fork.evidence }),
        },
        deps.now(),
      );
      return this.declined(CheckId.Counter, detail, cardId, resolved);
    }
    try {
      deps.journal.recordReceipt(nonce, receipt.value, IntentResolution.Approved, deps.now());
    } catch (e) {
      return receiptNotSaved(e, TapStage.Pay, cardId, resolved);
    }
    deps.fault?.(CrashPoint.TapAfterReceipt);
    deps.fault?.(CrashPoint.TapBeforeApproval);
    return { outcome: 'approved', payment: paymentOf(receipt.value), cardId, resolved };
  }

  /**
   * Settles one pending intent of this card (RULES step 8): RECOVER(nonce) -> a receipt is verified and persisted
   * (the earlier payment stands); 6A88 -> the card never committed it, unless the card has done more operations
   * since than its log keeps, when the terminal can no longer tell.
   */
  private async recover(
    connection: CardConnection,
    intent: PendingIntent,
    card: Certificate,
    state: CardPublicState,
    now: number,
    resolved: ResolvedIntent[],
  ): Promise<RecoveryStep> {
    const { deps } = this;
    let answer;
    try {
      answer = await exchange(connection, purseApdus.recover(intent.nonce));
    } catch (e) {
      return { kind: 'stopped', result: interruptedBeforePay(TapStage.Recover, e, resolved, card.subject) };
    }
    if (answer.sw === StatusWord.Ok) {
      const receipt = verifyPayReceipt(
        answer.data,
        card,
        { amount: intent.amount, currency: intent.currency, nonce: intent.nonce, payee: deps.identity.terminalId },
        deps.verifier,
      );
      if (!receipt.ok) {
        const detail = `${receipt.check}: ${receipt.reason}; answer ${toHex(answer.data)}`;
        deps.journal.voidIntent(intent.nonce, IntentResolution.InvalidReceipt, detail, deps.now());
        return {
          kind: 'voided',
          resolved: { nonce: intent.nonce, amount: intent.amount, resolution: IntentResolution.InvalidReceipt, detail },
        };
      }
      try {
        deps.journal.recordReceipt(intent.nonce, receipt.value, IntentResolution.Recovered, deps.now());
      } catch (e) {
        return { kind: 'stopped', result: receiptNotSaved(e, TapStage.Recover, card.subject, resolved) };
      }
      deps.fault?.(CrashPoint.TapAfterReceipt);
      return { kind: 'recovered', payment: paymentOf(receipt.value) };
    }
    if (answer.sw === StatusWord.ReferencedDataNotFound) {
      const since = state.counter - intent.counterSeen;
      const resolution = since > CARD_LOG_RECORDS ? IntentResolution.Unresolvable : IntentResolution.NotCommitted;
      const detail = `RECOVER 6A88 with the card's counter at ${state.counter}, ${intent.counterSeen} when the tap began`;
      deps.journal.voidIntent(intent.nonce, resolution, detail, now);
      return { kind: 'voided', resolved: { nonce: intent.nonce, amount: intent.amount, resolution, detail } };
    }
    return { kind: 'stopped', result: this.refused(TapStage.Recover, answer.sw, state, card.subject, resolved) };
  }

  /**
   * Step 5 of docs/protocol.md 6.2: a genuine card's counter never goes back, so a card whose counter at SELECT is
   * below the highest counter of a receipt this terminal holds from it presents an older state than one it signed
   * (a card file restored from an old copy, a copied card), and is declined before PAY. At that highest counter the
   * card goes on to PAY, with no extra exchange: its receipt must then link (prevHash) to the receipt held at that
   * counter, which a genuine card's always does; one that does not is the card's own proof of a fork, checked after
   * PAY (`forkedFrom`). A card this terminal already holds such proof against pays nothing here. The unsigned
   * counter only ever makes the terminal decline, never accept.
   * @returns the declined result, or the receipts the PAY receipt must link to (none: no check).
   */
  private checkCounter(
    card: Certificate,
    state: CardPublicState,
    resolved: readonly ResolvedIntent[],
  ): { readonly stop: TapResult } | { readonly linkTo: readonly HeldReceipt[] } {
    const { deps } = this;
    const cardId = card.subject;
    if (deps.incidents.hasProofAgainst(cardId)) {
      return {
        stop: this.declined(
          CheckId.Counter,
          `this terminal holds card-signed proof that card ${toHex(cardId)} signed two chains`,
          cardId,
          resolved,
        ),
      };
    }
    const held = deps.journal.highestHeldCounter(cardId);
    if (held === undefined || state.counter > held) return { linkTo: [] };
    if (state.counter === held) return { linkTo: deps.journal.heldAt(cardId, held) };
    const detail = `card ${toHex(cardId)} shows counter ${state.counter}, but this terminal holds its receipt at counter ${held}: the card went back in time (restored or copied)`;
    deps.incidents.record(
      { cardId, kind: CardIncidentKind.Rollback, counterSeen: state.counter, heldCounter: held, detail },
      deps.now(),
    );
    return { stop: this.declined(CheckId.Counter, detail, cardId, resolved) };
  }

  /**
   * After PAY, for a card that showed the counter of a held receipt: the new receipt's prevHash must be that
   * receipt's id. When it is not, the held receipt and the new one are ChainFork evidence (two chains signed with
   * the card's key), recorded for the next sync.
   * @returns the evidence, or undefined when the receipt links (or there is nothing to link to).
   */
  private forkedFrom(
    card: Certificate,
    cardCertificate: Uint8Array,
    linkTo: readonly HeldReceipt[],
    receipt: Signed<PayReceipt>,
  ): { readonly held: HeldReceipt; readonly evidence: Uint8Array | undefined } | undefined {
    const held = linkTo[0];
    if (held === undefined || linkTo.some((h) => bytesEqual(h.id, receipt.payload.prevHash))) return undefined;
    return { held, evidence: this.evidence(EvidenceKind.ChainFork, card, cardCertificate, held, receipt.cose.bytes) };
  }

  /**
   * Double-spend evidence from a held receipt and the card's newer one, with the card certificate of this tap and
   * its issuer's certificate from the trust anchors; checked with core's verifier against the pinned root, so that
   * only evidence the ledger will accept is kept. Undefined when it does not verify (for example a held receipt
   * taken under another certificate of the card): the incident is then recorded without proof.
   */
  private evidence(
    kind: EvidenceKind,
    card: Certificate,
    cardCertificate: Uint8Array,
    held: HeldReceipt,
    newer: Uint8Array,
  ): Uint8Array | undefined {
    const { trust } = this.deps.trust;
    const issuer = trust.get(Role.Issuer, card.signer);
    if (issuer === undefined) return undefined;
    const bytes = encodeDoubleSpendEvidence({
      kind,
      cardCertificate,
      issuerCertificate: issuer.cose.bytes,
      receipts: [held.bytes, newer],
      loadAuthorizations: [],
    });
    return verifyDoubleSpendEvidence(bytes, trust.root.cose.bytes, this.deps.verifier).ok ? bytes : undefined;
  }

  private refused(
    stage: TapStage,
    sw: number,
    state: CardPublicState | undefined,
    cardId: Uint8Array | undefined,
    resolved: readonly ResolvedIntent[],
  ): TapResult {
    const text = describeRefusal(stage, sw, state, this.deps.currency);
    return { outcome: 'card-refused', stage, sw, ...text, ...(cardId !== undefined && { cardId }), resolved };
  }

  private declined(
    check: string,
    reason: string,
    cardId: Uint8Array | undefined,
    resolved: readonly ResolvedIntent[],
    floorLimit?: number,
  ): TapResult {
    return {
      outcome: 'declined',
      check,
      reason,
      next: nextStepForCheck(check),
      ...(floorLimit !== undefined && { floorLimit }),
      ...(cardId !== undefined && { cardId }),
      resolved,
    };
  }
}

function interruptedBeforePay(
  stage: TapStage,
  error: unknown,
  resolved: readonly ResolvedIntent[],
  cardId?: Uint8Array,
): TapResult {
  if (!(error instanceof TransportError)) throw error;
  // During RECOVER an earlier tap of this card is still unsettled: only this card can settle it.
  const earlier = stage === TapStage.Recover;
  return {
    outcome: 'interrupted',
    stage,
    pending: earlier,
    resolved,
    ...(cardId !== undefined && { cardId }),
    reason: earlier
      ? `the card left while the terminal was settling its earlier interrupted payment (${error.code})`
      : `the card left the field before the terminal could read it (${error.code})`,
    next: earlier ? NextStep.TapSameCard : NextStep.TapAgain,
  };
}

/**
 * The card paid (its receipt verified) but the terminal could not save the receipt: the disk is full, read-only or
 * failing. Never approved without a durable receipt: the intent stays pending and the card keeps the receipt in its
 * log, so the next tap of the same card, once the terminal can write again, recovers it with RECOVER (charged once).
 * Any other failure is the terminal's bug and is thrown.
 */
function receiptNotSaved(
  error: unknown,
  stage: TapStage,
  cardId: Uint8Array,
  resolved: readonly ResolvedIntent[],
): TapResult {
  if (!(error instanceof TerminalError && error.code === TerminalErrorCode.StorageUnavailable)) throw error;
  return {
    outcome: 'interrupted',
    stage,
    pending: true,
    cardId,
    resolved,
    reason: `the card paid, but the terminal could not save the receipt: ${error.message}`,
    next: NextStep.FreeSpaceThenTapSameCard,
    ...(error.detail?.storage !== undefined && { storage: error.detail.storage }),
  };
}

function paymentOf(receipt: Signed<PayReceipt>): ApprovedPayment {
  const p = receipt.payload;
  return {
    receiptId: receipt.id,
    cardId: p.cardId,
    counter: p.counter,
    amount: p.amount,
    currency: p.currency,
    balanceAfter: p.balanceAfter,
    nonce: p.nonce,
    time: p.time,
  };
}
