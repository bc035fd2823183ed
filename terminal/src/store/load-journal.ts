import type { SentLoad } from '../load/online-top-up.js';
import { blob, type TerminalDatabase } from './terminal-database.js';

/** Where a load this terminal sent stands. */
export const LoadIntentState = {
  /** LOAD went to the card; whether the card executed it is not known yet. */
  Sent: 'sent',
  /** The card executed it; its load receipt is held here until the ledger has it. */
  Loaded: 'loaded',
  /** The ledger refused the held load receipt; kept, with the reason, for the operator. */
  Refused: 'refused',
} as const;
export type LoadIntentState = (typeof LoadIntentState)[keyof typeof LoadIntentState];

/** A load as the journal holds it. */
export interface LoadIntent extends SentLoad {
  readonly state: LoadIntentState;
  readonly createdAt: number;
  /** The card's load receipt (COSE_Sign1 bytes), once known. */
  readonly receipt: Uint8Array | null;
  /** The ledger's refusal, for a refused receipt. */
  readonly detail: string | null;
}

/**
 * The journal of loads this terminal sent as a load point, each step one durable transaction: the load before LOAD
 * goes to the card, the card's receipt as soon as it is verified, and its removal once the ledger has the receipt or
 * the card is known not to have executed the load. Nothing a crash or a network failure interrupts is lost: a sent
 * load is resolved from the card's log (`Terminal.resolveLoads`), a held receipt is delivered by the next sync.
 */
export class LoadJournal {
  constructor(private readonly database: TerminalDatabase) {}

  /** Records that LOAD is about to go to the card. */
  recordSent(load: SentLoad, now: number): void {
    this.database.write(() =>
      this.database.db
        .prepare(
          'INSERT INTO load_intents (authorization_id, card_id, card_certificate, amount, counter_seen, created_at, state) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(
          load.authorizationId,
          load.cardId,
          load.cardCertificate,
          load.amount,
          load.counter,
          now,
          LoadIntentState.Sent,
        ),
    );
  }

  /** Holds the card's verified load receipt until the ledger has it. */
  recordReceipt(authorizationId: Uint8Array, receipt: Uint8Array): void {
    this.database.write(() =>
      this.database.db
        .prepare('UPDATE load_intents SET state = ?, receipt = ? WHERE authorization_id = ?')
        .run(LoadIntentState.Loaded, receipt, authorizationId),
    );
  }

  /** Keeps a receipt the ledger refused, with its reason. */
  recordRefusal(authorizationId: Uint8Array, detail: string): void {
    this.database.write(() =>
      this.database.db
        .prepare('UPDATE load_intents SET state = ?, detail = ? WHERE authorization_id = ?')
        .run(LoadIntentState.Refused, detail, authorizationId),
    );
  }

  /** Drops a load: the ledger has its receipt, or the card did not execute it. */
  forget(authorizationId: Uint8Array): void {
    this.database.write(() =>
      this.database.db.prepare('DELETE FROM load_intents WHERE authorization_id = ?').run(authorizationId),
    );
  }

  /** Loads whose outcome on the card is not known, for one card or all. */
  sent(cardId?: Uint8Array): LoadIntent[] {
    const rows =
      cardId === undefined
        ? this.database.db
            .prepare('SELECT * FROM load_intents WHERE state = ? ORDER BY created_at, rowid')
            .all(LoadIntentState.Sent)
        : this.database.db
            .prepare('SELECT * FROM load_intents WHERE state = ? AND card_id = ? ORDER BY created_at, rowid')
            .all(LoadIntentState.Sent, cardId);
    return (rows as Record<string, unknown>[]).map(loadIntent);
  }

  /** Load receipts held for the ledger. */
  held(): LoadIntent[] {
    return (
      this.database.db
        .prepare('SELECT * FROM load_intents WHERE state = ? ORDER BY created_at, rowid')
        .all(LoadIntentState.Loaded) as Record<string, unknown>[]
    ).map(loadIntent);
  }

  /** Every load still in the journal, oldest first. */
  all(): LoadIntent[] {
    return (
      this.database.db.prepare('SELECT * FROM load_intents ORDER BY created_at, rowid').all() as Record<
        string,
        unknown
      >[]
    ).map(loadIntent);
  }
}

function loadIntent(r: Record<string, unknown>): LoadIntent {
  return {
    authorizationId: blob(r['authorization_id']),
    cardId: blob(r['card_id']),
    cardCertificate: blob(r['card_certificate']),
    amount: r['amount'] as number,
    counter: r['counter_seen'] as number,
    createdAt: r['created_at'] as number,
    state: r['state'] as LoadIntentState,
    receipt: r['receipt'] === null ? null : blob(r['receipt']),
    detail: (r['detail'] as string | null) ?? null,
  };
}
