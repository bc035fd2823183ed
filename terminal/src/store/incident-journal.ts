import { sha256 } from '@ehkd/core';
import { blob, type TerminalDatabase } from './terminal-database.js';

/**
 * Why a card was declined for its counter (docs/protocol.md 6.2 step 5).
 * - rollback: the card's counter is behind a receipt this terminal holds from it, and nothing it showed contradicts
 *   a held receipt: a card file restored from an old copy, or a copy of the card. No card-signed proof.
 * - conflicting-counter: the card's newest logged receipt and a receipt this terminal holds have one counter and
 *   different payloads: card-signed proof of a double spend, delivered to the ledger as DoubleSpendEvidence.
 */
export const CardIncidentKind = {
  Rollback: 'rollback',
  ConflictingCounter: 'conflicting-counter',
  ChainFork: 'chain-fork',
} as const;
export type CardIncidentKind = (typeof CardIncidentKind)[keyof typeof CardIncidentKind];

/** Where an incident's evidence is on its way to the ledger. */
export const EvidenceState = { Pending: 'pending', Delivered: 'delivered', Refused: 'refused' } as const;
export type EvidenceState = (typeof EvidenceState)[keyof typeof EvidenceState];

/** An incident as the tap records it. */
export interface NewCardIncident {
  readonly cardId: Uint8Array;
  readonly kind: CardIncidentKind;
  /** The card's counter at SELECT. */
  readonly counterSeen: number;
  /** The highest counter of a receipt of this card the terminal holds. */
  readonly heldCounter: number;
  readonly detail: string;
  /** DoubleSpendEvidence bytes (verified against the pinned root), for conflicting-counter only. */
  readonly evidence?: Uint8Array;
}

/** A recorded incident. */
export interface CardIncident extends NewCardIncident {
  readonly seq: number;
  readonly createdAt: number;
  readonly evidenceState?: EvidenceState;
  /** The ledger's answer (delivered) or refusal (refused). */
  readonly evidenceAnswer?: string;
  readonly deliveredAt?: number;
}

/**
 * The terminal's record of cards declined for going back in time, and the evidence it owes the ledger. Each write
 * is one durable transaction; evidence is delivered at sync and never re-sent once the ledger answered it.
 */
export class IncidentJournal {
  constructor(private readonly database: TerminalDatabase) {}

  /**
   * Records an incident (evidence pending delivery, when there is evidence). The same evidence again (the same
   * card tapped twice) is recorded once.
   * @returns false when this evidence was already recorded.
   */
  record(incident: NewCardIncident, now: number): boolean {
    const evidence = incident.evidence;
    // Only a repeated evidence_id is skipped: OR IGNORE would also drop a row that breaks a CHECK or NOT NULL, silently.
    return this.database.write(
      () =>
        this.database.db
          .prepare(
            `INSERT INTO card_incidents (card_id, kind, counter_seen, held_counter, detail, created_at, evidence, evidence_id, evidence_state)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (evidence_id) DO NOTHING`,
          )
          .run(
            incident.cardId,
            incident.kind,
            incident.counterSeen,
            incident.heldCounter,
            incident.detail.slice(0, 1000),
            now,
            evidence ?? null,
            evidence === undefined ? null : sha256(evidence),
            evidence === undefined ? null : EvidenceState.Pending,
          ).changes > 0,
    );
  }

  /** Whether the terminal holds card-signed proof that this card was cloned (it then takes no payment from it). */
  hasProofAgainst(cardId: Uint8Array): boolean {
    return (
      this.database.db
        .prepare('SELECT 1 FROM card_incidents WHERE card_id = ? AND evidence IS NOT NULL LIMIT 1')
        .get(cardId) !== undefined
    );
  }

  /** Every incident, newest first. */
  all(): CardIncident[] {
    return (this.database.db.prepare('SELECT * FROM card_incidents ORDER BY seq DESC').all() as IncidentRow[]).map(
      toIncident,
    );
  }

  /** Incidents whose evidence the ledger has not answered yet, oldest first. */
  pendingEvidence(): (CardIncident & { readonly evidence: Uint8Array })[] {
    const rows = this.database.db
      .prepare('SELECT * FROM card_incidents WHERE evidence_state = ? ORDER BY seq')
      .all(EvidenceState.Pending) as IncidentRow[];
    return rows.map((r) => toIncident(r) as CardIncident & { readonly evidence: Uint8Array });
  }

  /** The ledger took the evidence (`answer`: what it said) or refused it for good (`answer`: why). One commit. */
  markAnswered(
    seq: number,
    state: typeof EvidenceState.Delivered | typeof EvidenceState.Refused,
    answer: string,
    now: number,
  ): void {
    this.database.write(() => {
      this.database.db
        .prepare('UPDATE card_incidents SET evidence_state = ?, evidence_answer = ?, delivered_at = ? WHERE seq = ?')
        .run(state, answer.slice(0, 500), now, seq);
    });
  }
}

interface IncidentRow {
  seq: number;
  card_id: Buffer;
  kind: CardIncidentKind;
  counter_seen: number;
  held_counter: number;
  detail: string;
  created_at: number;
  evidence: Buffer | null;
  evidence_state: EvidenceState | null;
  evidence_answer: string | null;
  delivered_at: number | null;
}

function toIncident(r: IncidentRow): CardIncident {
  return {
    seq: r.seq,
    cardId: blob(r.card_id),
    kind: r.kind,
    counterSeen: r.counter_seen,
    heldCounter: r.held_counter,
    detail: r.detail,
    createdAt: r.created_at,
    ...(r.evidence !== null && { evidence: blob(r.evidence) }),
    ...(r.evidence_state !== null && { evidenceState: r.evidence_state }),
    ...(r.evidence_answer !== null && { evidenceAnswer: r.evidence_answer }),
    ...(r.delivered_at !== null && { deliveredAt: r.delivered_at }),
  };
}
