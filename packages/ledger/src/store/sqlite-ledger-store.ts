import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Role, toHex } from '@ehkd/core';
import { createPrivateFile, ensurePrivateDirectory, exposedMode } from '@ehkd/core/node';
import { byteKey } from '../ids/byte-key.js';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { SQLITE_SCHEMA, SQLITE_SCHEMA_VERSION } from './sqlite-schema.js';
import { AUDIT_PAGE, reportQueries } from './report-queries.js';
import {
  LoadState,
  ReceiptKind,
  type BatchRecord,
  type BatchSubmission,
  type CardCertificateRecord,
  type CardRecord,
  type CardState,
  type CardTransaction,
  type CounterQuery,
  type DenyListDraft,
  type DenyListVersion,
  type EnrolmentFound,
  type EnrolmentGrant,
  type EnrolmentInviteRecord,
  type FraudCaseRecord,
  type LedgerStore,
  type LoadAuthorizationRecord,
  type LoadSettlement,
  type LoadTotalsRow,
  type MerchantRecord,
  type MerchantSettlementRow,
  type NewFraudCase,
  type SchemeSetup,
  type StoredNeighbour,
  type StoredReceipt,
  type TerminalRecord,
  type TerminalStatus,
  type TrustAnchorRecord,
} from './ledger-store.js';
import {
  batchRow,
  bytes,
  cardRecord,
  cardState,
  cardStateValues,
  caseRow,
  chainLink,
  denyListRow,
  inviteRow,
  loadAuthorizationRow,
  merchantRecord,
  pendingLoad,
  receiptRow,
  receiptValues,
  terminalRow,
  RECEIPT_COLUMNS,
  type Row,
} from './store-rows.js';

const Q = reportQueries('rowid');

/**
 * LedgerStore on SQLite (better-sqlite3): WAL journal, synchronous=FULL (a commit is on disk before a batch is
 * answered). One process writes at a time: this store's writes queue on one connection (a `withCards` transaction
 * is BEGIN IMMEDIATE .. COMMIT around the domain's work, and nothing else runs on that connection meanwhile), so a
 * whole batch is one transaction and one commit (`cardsPerTransaction` is unbounded). Reads outside transactions go
 * to a second connection, which sees only committed data and never waits for a writer (WAL).
 * @example const store = SqliteLedgerStore.open('ledger.db')
 */
export class SqliteLedgerStore implements LedgerStore {
  readonly kind = 'sqlite';
  readonly cardsPerTransaction = Number.MAX_SAFE_INTEGER;
  private readonly s: ReturnType<typeof prepareWriter>;
  private readonly r: ReturnType<typeof prepareReader>;
  /** The tail of the queue of work on the writing connection. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Database.Database,
    private readonly reader: Database.Database,
  ) {
    this.s = prepareWriter(db);
    this.r = prepareReader(reader);
  }

  /**
   * Opens (creating if needed) a ledger database file. It holds every card's payment history: a new file is made
   * 0600 (in a new directory, 0700), and an existing one that group or others can read or write is refused.
   * @throws LedgerError STORAGE (including a database of another schema version), FILE_PERMISSIONS
   */
  static open(path: string): SqliteLedgerStore {
    return storage(() => {
      privateDatabaseFile(path);
      const db = new Database(path);
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // A batch touches pages of the (card, counter) index all over the file: keep them cached, and checkpoint
      // in larger steps so that a page rewritten by many commits is copied back to the database once.
      db.pragma('cache_size = -65536');
      db.pragma('wal_autocheckpoint = 8192');
      const hasMeta =
        db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
      const version = hasMeta
        ? (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as Row | undefined)?.['value']
        : undefined;
      if (version !== undefined && version !== SQLITE_SCHEMA_VERSION) {
        db.close();
        throw new LedgerError(
          LedgerErrorCode.Storage,
          `database schema version ${String(version)} is not ${SQLITE_SCHEMA_VERSION}: initialise a new ledger database`,
          { detail: { path, version } },
        );
      }
      db.exec(SQLITE_SCHEMA);
      if (version === undefined)
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(SQLITE_SCHEMA_VERSION);
      const reader = new Database(path, { readonly: true });
      reader.pragma('busy_timeout = 10000');
      reader.pragma('cache_size = -16384');
      return new SqliteLedgerStore(db, reader);
    });
  }

  async initialise(setup: SchemeSetup): Promise<void> {
    await this.write(() =>
      this.db
        .transaction(() => {
          if (this.db.prepare("SELECT 1 FROM meta WHERE key = 'root'").get() !== undefined) {
            throw new LedgerError(LedgerErrorCode.AlreadyInitialised, 'this ledger database already holds a scheme');
          }
          this.db.prepare("INSERT INTO meta (key, value) VALUES ('root', ?)").run(setup.root);
          for (const a of setup.anchors) this.s.putAnchor.run(a.role, a.subject, a.certificate);
          this.s.insertDenyListVersion.run(setup.denyList.sequence, setup.denyList.issuedAt, setup.denyList.bytes);
        })
        .immediate(),
    );
  }

  async trustAnchors(): Promise<TrustAnchorRecord> {
    return storage(() => {
      const root = this.reader.prepare("SELECT value FROM meta WHERE key = 'root'").get() as Row | undefined;
      if (root === undefined)
        throw new LedgerError(
          LedgerErrorCode.NotInitialised,
          'the ledger database holds no scheme: run `ehkd-ledger init` first',
        );
      const rows = this.reader.prepare('SELECT certificate FROM anchors ORDER BY role, subject').all() as Row[];
      return { root: bytes(root['value']), certificates: rows.map((r) => bytes(r['certificate'])) };
    });
  }

  async putTerminal(t: TerminalRecord): Promise<void> {
    await this.write(() =>
      this.s.putTerminal.run(t.terminalId, t.merchantId, t.mcc, t.name, t.publicKey, t.certificate, t.enrolledAt),
    );
  }

  async terminal(terminalId: Uint8Array): Promise<TerminalStatus | undefined> {
    return storage(() => {
      const r = this.r.terminal.get(terminalId) as Row | undefined;
      return r === undefined ? undefined : terminalRow(r);
    });
  }

  async terminals(): Promise<TerminalStatus[]> {
    return storage(() =>
      (this.reader.prepare(`${Q.terminal} ORDER BY t.merchant_id, t.terminal_id`).all() as Row[]).map(terminalRow),
    );
  }

  async enrolTerminal(
    grant: EnrolmentGrant,
    decide: (found: EnrolmentFound) => TerminalRecord,
  ): Promise<TerminalRecord> {
    return this.write(() =>
      this.db
        .transaction(() => {
          let invite: EnrolmentInviteRecord | null = null;
          let merchantId: Uint8Array;
          let named: Uint8Array | null;
          if (grant.via === 'invite') {
            const r = this.db.prepare('SELECT * FROM enrolment_invites WHERE code_hash = ?').get(grant.codeHash) as
              Row | undefined;
            if (r === undefined) throw new LedgerError(LedgerErrorCode.Unauthorized, 'not a valid enrolment code');
            invite = inviteRow(r);
            ({ merchantId, terminalId: named } = invite);
          } else {
            ({ merchantId, terminalId: named } = grant);
          }
          const terminalId = named ?? grant.freshTerminalId;
          const merchantRow = this.s.merchant.get(merchantId) as Row | undefined;
          const replacedRow = this.s.terminal.get(terminalId) as Row | undefined;
          const replaced = replacedRow === undefined ? undefined : terminalRow(replacedRow);
          if (named === null && replaced !== undefined)
            throw new LedgerError(LedgerErrorCode.TerminalConflict, `terminal id ${toHex(terminalId)} is taken`, {
              detail: { terminalId: toHex(terminalId) },
            });
          const record = decide({
            invite,
            merchant: merchantRow === undefined ? undefined : merchantRecord(merchantRow),
            terminalId,
            replaced,
          });
          // The condition makes the invite single-use even against a writer this transaction did not see.
          if (invite !== null && this.s.redeemInvite.run(grant.now, record.terminalId, invite.codeHash).changes !== 1) {
            throw new LedgerError(LedgerErrorCode.Unauthorized, 'this enrolment code was already used');
          }
          this.s.putTerminal.run(
            record.terminalId,
            record.merchantId,
            record.mcc,
            record.name,
            record.publicKey,
            record.certificate,
            record.enrolledAt,
          );
          return record;
        })
        .immediate(),
    );
  }

  async revokeTerminal(terminalId: Uint8Array, now: number): Promise<TerminalStatus> {
    return this.write(() =>
      this.db
        .transaction(() => {
          if (this.s.terminal.get(terminalId) === undefined)
            throw new LedgerError(
              LedgerErrorCode.NotFound,
              `terminal ${toHex(terminalId)} is not enrolled at this ledger`,
              { detail: { terminalId: toHex(terminalId) } },
            );
          this.db
            .prepare(
              'INSERT INTO terminal_revocations (terminal_id, revoked_at) VALUES (?, ?) ON CONFLICT (terminal_id) DO NOTHING',
            )
            .run(terminalId, now);
          return terminalRow(this.s.terminal.get(terminalId) as Row);
        })
        .immediate(),
    );
  }

  async putMerchant(m: MerchantRecord): Promise<void> {
    await this.write(() => {
      const inserted = this.db
        .prepare(
          'INSERT INTO merchants (merchant_id, name, mcc, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (merchant_id) DO NOTHING',
        )
        .run(m.merchantId, m.name, m.mcc, m.createdAt);
      if (inserted.changes !== 1)
        throw new LedgerError(
          LedgerErrorCode.MerchantConflict,
          `merchant ${toHex(m.merchantId)} is already registered`,
          { detail: { merchantId: toHex(m.merchantId) } },
        );
    });
  }

  async merchant(merchantId: Uint8Array): Promise<MerchantRecord | undefined> {
    return storage(() => {
      const r = this.r.merchant.get(merchantId) as Row | undefined;
      return r === undefined ? undefined : merchantRecord(r);
    });
  }

  async merchants(): Promise<MerchantRecord[]> {
    return storage(() =>
      (this.reader.prepare('SELECT * FROM merchants ORDER BY merchant_id').all() as Row[]).map(merchantRecord),
    );
  }

  async putEnrolmentInvite(i: EnrolmentInviteRecord): Promise<void> {
    await this.write(() =>
      this.db
        .transaction(() => {
          if (this.s.merchant.get(i.merchantId) === undefined)
            throw new LedgerError(LedgerErrorCode.NotFound, `merchant ${toHex(i.merchantId)} is not registered`, {
              detail: { merchantId: toHex(i.merchantId) },
            });
          this.db
            .prepare(
              'INSERT INTO enrolment_invites (code_hash, merchant_id, terminal_id, created_at, expires_at, used_at, enrolled_terminal_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
            )
            .run(i.codeHash, i.merchantId, i.terminalId, i.createdAt, i.expiresAt, i.usedAt, i.enrolledTerminalId);
        })
        .immediate(),
    );
  }

  async loadAuthorization(authorizationId: Uint8Array): Promise<LoadAuthorizationRecord | undefined> {
    return storage(() => {
      const r = this.r.loadAuthorization.get(authorizationId) as Row | undefined;
      return r === undefined ? undefined : loadAuthorizationRow(r);
    });
  }

  async withCards<T>(
    cards: readonly (CardCertificateRecord | Uint8Array)[],
    work: (tx: CardTransaction) => Promise<T>,
  ): Promise<T> {
    return this.exclusive(async () => {
      storage(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const tx = new SqliteCardTransaction(
          this.s,
          storage(() => this.lockCards(cards)),
        );
        const result = await work(tx);
        storage(() => this.db.exec('COMMIT'));
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async publishDenyList(sign: (next: DenyListDraft) => Promise<DenyListVersion>): Promise<DenyListVersion | null> {
    // Checked on the reading connection first: serving the deny list must not queue behind ingestion for nothing.
    if (this.r.outboxWaiting.get() === undefined) return null;
    return this.exclusive(async () => {
      storage(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        if (this.s.outboxWaiting.get() === undefined) {
          this.db.exec('ROLLBACK');
          return null;
        }
        const latest = this.s.latestDenyList.get() as Row | undefined;
        const sequence = (latest === undefined ? 0 : (latest['sequence'] as number)) + 1;
        const cardIds = (this.s.deniedCards.all() as Row[]).map((r) => bytes(r['card_id']));
        const version = await sign({ sequence, cardIds });
        storage(() => {
          this.s.insertDenyListVersion.run(version.sequence, version.issuedAt, version.bytes);
          this.s.publishOutbox.run(version.sequence);
          this.db.exec('COMMIT');
        });
        return version;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  async latestDenyList(): Promise<DenyListVersion> {
    return storage(() => {
      const r = this.r.latestDenyList.get() as Row | undefined;
      if (r === undefined)
        throw new LedgerError(
          LedgerErrorCode.NotInitialised,
          'the ledger database holds no deny list: run `ehkd-ledger init` first',
        );
      return denyListRow(r);
    });
  }

  async refreshDenyList(version: DenyListVersion): Promise<void> {
    await this.write(() =>
      this.s.refreshDenyListVersion.run(version.issuedAt, version.bytes, version.sequence, version.issuedAt),
    );
  }

  async card(cardId: Uint8Array): Promise<CardRecord | undefined> {
    return storage(() => {
      const r = this.r.card.get(cardId) as Row | undefined;
      return r === undefined ? undefined : cardRecord(r);
    });
  }

  async cards(): Promise<CardRecord[]> {
    return storage(() => (this.reader.prepare(Q.cards).all() as Row[]).map(cardRecord));
  }

  async cardReceipts(cardId: Uint8Array): Promise<StoredReceipt[]> {
    return storage(() => (this.reader.prepare(Q.cardReceipts).all(cardId) as Row[]).map(receiptRow));
  }

  async *receiptsByCard(): AsyncIterable<StoredReceipt> {
    // Keyset pages rather than one open cursor: memory stays flat however many receipts there are.
    const first = this.reader.prepare(Q.auditFirst);
    const after = this.reader.prepare(Q.auditAfter);
    let page = storage(() => first.all(AUDIT_PAGE) as Row[]);
    while (page.length > 0) {
      for (const r of page) yield receiptRow(r);
      if (page.length < AUDIT_PAGE) return;
      const last = page[page.length - 1] as Row;
      page = storage(() => after.all(last['card_id'], last['counter'], last['seq_key'], AUDIT_PAGE) as Row[]);
    }
  }

  async merchantSettlement(): Promise<MerchantSettlementRow[]> {
    return storage(() => (this.reader.prepare(Q.merchantSettlement).all() as Row[]).map(settlementRow));
  }

  async loadTotals(): Promise<LoadTotalsRow[]> {
    return storage(() => (this.reader.prepare(Q.loadTotals).all() as Row[]).map(loadTotalsRow));
  }

  async fraudCases(): Promise<FraudCaseRecord[]> {
    return storage(() => (this.reader.prepare(`${Q.cases} ORDER BY c.case_id`).all() as Row[]).map(caseRow));
  }

  async fraudCase(caseId: number): Promise<FraudCaseRecord | undefined> {
    return storage(() => {
      const r = this.reader.prepare(`${Q.cases} WHERE c.case_id = ?`).get(caseId) as Row | undefined;
      return r === undefined ? undefined : caseRow(r);
    });
  }

  async batches(): Promise<BatchRecord[]> {
    return storage(() => (this.reader.prepare(Q.batches).all() as Row[]).map(batchRow));
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.reader.open) this.reader.close();
    if (this.db.open) this.db.close();
  }

  /** Records the certificates of new cards and reads every named card, in card-id order. */
  private lockCards(cards: readonly (CardCertificateRecord | Uint8Array)[]): Map<string, CardState> {
    const sorted = [...cards].sort((a, b) => compareIds(idOf(a), idOf(b)));
    const states = new Map<string, CardState>();
    for (const c of sorted) {
      if (!(c instanceof Uint8Array)) this.s.insertCard.run(c.cardId, c.issuerId, c.currency, c.certificate);
      const id = idOf(c);
      const row = this.s.card.get(id) as Row | undefined;
      if (row === undefined)
        throw new LedgerError(LedgerErrorCode.NotFound, `card ${toHex(id)} has no recorded certificate`);
      const pending =
        (row['pending_loads'] as number) > 0 ? (this.s.pendingLoads.all(id) as Row[]).map(pendingLoad) : [];
      states.set(byteKey(id), cardState(row, pending));
    }
    return states;
  }

  /** Runs `operation` on the writing connection after every write queued before it. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A synchronous write on the writing connection, queued (see `exclusive`). */
  private write<T>(operation: () => T): Promise<T> {
    return this.exclusive(async () => storage(operation));
  }
}

/** CardTransaction on the writing connection, inside BEGIN IMMEDIATE. */
class SqliteCardTransaction implements CardTransaction {
  constructor(
    private readonly s: ReturnType<typeof prepareWriter>,
    private readonly states: Map<string, CardState>,
  ) {}

  card(cardId: Uint8Array): CardState {
    const state = this.states.get(byteKey(cardId));
    if (state === undefined)
      throw new LedgerError(LedgerErrorCode.Storage, `card ${toHex(cardId)} is not locked by this transaction`);
    return state;
  }

  async neighbours(queries: readonly CounterQuery[]): Promise<StoredNeighbour[]> {
    return storage(() => {
      const found: StoredNeighbour[] = [];
      const seen = new Set<string>();
      for (const q of queries)
        for (const row of this.s.near.all(q.cardId, q.counter - 1, q.counter + 1) as Row[]) {
          const key = `${byteKey(q.cardId)}${row['counter'] as number}:${byteKey(bytes(row['id']))}`;
          if (seen.has(key)) continue;
          seen.add(key);
          found.push({ ...chainLink(row), cardId: q.cardId });
        }
      return found;
    });
  }

  async insertReceipts(rows: readonly StoredReceipt[]): Promise<void> {
    storage(() => {
      for (const r of rows) this.s.insertReceipt.run(...receiptValues(r));
    });
  }

  async saveCards(cards: readonly CardState[]): Promise<void> {
    storage(() => {
      for (const c of cards) this.s.saveCard.run(...cardStateValues(c), c.cardId);
    });
  }

  async settleLoads(settlements: readonly LoadSettlement[]): Promise<void> {
    storage(() => {
      for (const l of settlements) this.s.settleLoad.run(l.state, l.receiptId, l.authorizationId);
    });
  }

  async openCase(c: NewFraudCase): Promise<number> {
    return storage(() =>
      Number(
        this.s.insertCase.run(
          c.kind,
          c.cardId,
          c.issuerId,
          JSON.stringify(c.counters),
          c.detectedAt,
          c.receiptId,
          c.batchId,
          c.evidence,
        ).lastInsertRowid,
      ),
    );
  }

  async caseOfProof(cardId: Uint8Array, kind: number, counters: readonly number[]): Promise<number | undefined> {
    return storage(() => this.s.caseOfProof.get(cardId, kind, JSON.stringify(counters)) as number | undefined);
  }

  async denyCard(cardId: Uint8Array, revokedAt: number, caseId: number): Promise<void> {
    storage(() => this.s.denyCard.run(cardId, revokedAt, caseId));
  }

  async recordBatch(b: BatchSubmission): Promise<void> {
    storage(() =>
      this.s.upsertBatch.run(
        b.batchId,
        b.terminalId,
        b.sequence,
        b.createdAt,
        b.source,
        b.receivedAt,
        b.receivedAt,
        b.receiptCount,
        b.accepted,
        b.duplicates,
        b.rejected,
        b.doubleSpends,
      ),
    );
  }

  async putLoadAuthorization(a: LoadAuthorizationRecord): Promise<void> {
    storage(() => {
      if (this.s.loadAuthorizationForChallenge.get(a.cardId, a.challenge) !== undefined)
        throw new LedgerError(
          LedgerErrorCode.ChallengeUsed,
          `a load was already authorized for this challenge of card ${toHex(a.cardId)}`,
          { detail: { cardId: toHex(a.cardId) } },
        );
      this.s.insertLoadAuthorization.run(
        a.authorizationId,
        a.loadId,
        a.cardId,
        a.amount,
        a.currency,
        a.time,
        a.bytes,
        a.challenge,
        a.terminalId,
        a.merchantId,
        a.cardCounter,
      );
    });
  }

  async loadAuthorizationForChallenge(
    cardId: Uint8Array,
    challenge: Uint8Array,
  ): Promise<LoadAuthorizationRecord | undefined> {
    return storage(() => {
      const r = this.s.loadAuthorizationForChallenge.get(cardId, challenge) as Row | undefined;
      return r === undefined ? undefined : loadAuthorizationRow(r);
    });
  }

  async issuerCertificate(issuerId: Uint8Array): Promise<Uint8Array | undefined> {
    return storage(() => {
      const r = this.s.issuerCertificate.get(issuerId) as Row | undefined;
      return r === undefined ? undefined : bytes(r['certificate']);
    });
  }

  async cardLoadAuthorizations(cardId: Uint8Array): Promise<Uint8Array[]> {
    return storage(() => (this.s.cardLoadAuthorizations.all(cardId) as Row[]).map((r) => bytes(r['bytes'])));
  }

  async voidingReceipts(cardId: Uint8Array): Promise<Uint8Array[]> {
    return storage(() => (this.s.voidingReceipts.all(cardId) as Row[]).map((r) => bytes(r['bytes'])));
  }

  async largestPayments(cardId: Uint8Array, limit: number): Promise<{ bytes: Uint8Array; amount: number }[]> {
    return storage(() =>
      (this.s.largestPayments.all(cardId, limit) as Row[]).map((r) => ({
        bytes: bytes(r['bytes']),
        amount: r['amount'] as number,
      })),
    );
  }

  async receiptBytes(cardId: Uint8Array, counter: number, id: Uint8Array): Promise<Uint8Array | undefined> {
    return storage(() => {
      const r = this.s.receiptBytes.get(cardId, counter, id) as Row | undefined;
      return r === undefined ? undefined : bytes(r['bytes']);
    });
  }

  async authorizationBytes(authorizationId: Uint8Array): Promise<Uint8Array | undefined> {
    return storage(() => {
      const r = this.s.authorizationBytes.get(authorizationId) as Row | undefined;
      return r === undefined ? undefined : bytes(r['bytes']);
    });
  }
}

function idOf(c: CardCertificateRecord | Uint8Array): Uint8Array {
  return c instanceof Uint8Array ? c : c.cardId;
}

/** Byte order of ids: the order cards are locked in. */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function settlementRow(r: Row): MerchantSettlementRow {
  return {
    merchantId: bytes(r['merchant_id']),
    name: (r['name'] as string | null) ?? '',
    currency: r['currency'] as number,
    terminals: r['terminals'] as number,
    creditedCount: r['credited_count'] as number,
    creditedAmount: r['credited_amount'] as number,
    issuerClaimCount: r['issuer_count'] as number,
    issuerClaimAmount: r['issuer_amount'] as number,
    merchantLossCount: r['merchant_count'] as number,
    merchantLossAmount: r['merchant_amount'] as number,
    loadCount: r['load_count'] as number,
    loadAmount: r['load_amount'] as number,
    voidLoadCount: r['void_count'] as number,
    voidLoadAmount: r['void_amount'] as number,
  };
}

function loadTotalsRow(r: Row): LoadTotalsRow {
  return {
    cardId: bytes(r['card_id']),
    authorizedCount: r['n'] as number,
    authorizedAmount: r['amount'] as number,
    voidCount: r['void_n'] as number,
    voidAmount: r['void_amount'] as number,
    executedAmount: r['executed_amount'] as number,
  };
}

function prepareReader(db: Database.Database) {
  return {
    terminal: db.prepare(`${Q.terminal} WHERE t.terminal_id = ?`),
    merchant: db.prepare('SELECT * FROM merchants WHERE merchant_id = ?'),
    card: db.prepare(Q.card),
    loadAuthorization: db.prepare('SELECT * FROM load_authorizations WHERE authorization_id = ?'),
    latestDenyList: db.prepare('SELECT * FROM deny_list_versions ORDER BY sequence DESC LIMIT 1'),
    outboxWaiting: db.prepare('SELECT 1 FROM deny_list WHERE sequence IS NULL LIMIT 1'),
  };
}

function prepareWriter(db: Database.Database) {
  return {
    near: db.prepare(
      'SELECT id, counter, prev_hash, balance_after, kind, amount, is_primary FROM receipts WHERE card_id = ? AND counter BETWEEN ? AND ?',
    ),
    insertReceipt: db.prepare(
      `INSERT INTO receipts (${RECEIPT_COLUMNS.join(', ')}) VALUES (${RECEIPT_COLUMNS.map(() => '?').join(', ')})`,
    ),
    card: db.prepare('SELECT * FROM cards WHERE card_id = ?'),
    saveCard: db.prepare(
      `UPDATE cards SET authorized = ?, paid = ?, revoked_at = ?, over_spend_case = ?, pending_loads = ?, tail_id = ?,
         tail_counter = ?, tail_prev_hash = ?, tail_balance = ?, tail_kind = ?, tail_amount = ? WHERE card_id = ?`,
    ),
    pendingLoads: db.prepare(
      `SELECT authorization_id, card_counter, amount FROM load_authorizations WHERE card_id = ? AND state = ${LoadState.Pending}`,
    ),
    insertLoadAuthorization: db.prepare(
      'INSERT INTO load_authorizations (authorization_id, load_id, card_id, amount, currency, time, bytes, challenge, terminal_id, merchant_id, card_counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    settleLoad: db.prepare(
      `UPDATE load_authorizations SET state = ?, receipt_id = ? WHERE authorization_id = ? AND state = ${LoadState.Pending}`,
    ),
    loadAuthorizationForChallenge: db.prepare('SELECT * FROM load_authorizations WHERE card_id = ? AND challenge = ?'),
    insertCard: db.prepare(
      'INSERT INTO cards (card_id, issuer_id, currency, certificate) VALUES (?, ?, ?, ?) ON CONFLICT (card_id) DO NOTHING',
    ),
    insertCase: db.prepare(
      'INSERT INTO cases (kind, card_id, issuer_id, counters, detected_at, receipt_id, batch_id, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    caseOfProof: db
      .prepare('SELECT case_id FROM cases WHERE card_id = ? AND kind = ? AND counters = ? ORDER BY case_id LIMIT 1')
      .pluck(),
    issuerCertificate: db.prepare(`SELECT certificate FROM anchors WHERE role = ${Role.Issuer} AND subject = ?`),
    putAnchor: db.prepare(
      'INSERT INTO anchors (role, subject, certificate) VALUES (?, ?, ?) ON CONFLICT (role, subject) DO UPDATE SET certificate = excluded.certificate',
    ),
    terminal: db.prepare(`${Q.terminal} WHERE t.terminal_id = ?`),
    putTerminal: db.prepare(
      `INSERT INTO terminals (terminal_id, merchant_id, mcc, name, public_key, certificate, enrolled_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (terminal_id) DO UPDATE SET merchant_id = excluded.merchant_id, mcc = excluded.mcc, name = excluded.name,
         public_key = excluded.public_key, certificate = excluded.certificate, enrolled_at = excluded.enrolled_at`,
    ),
    merchant: db.prepare('SELECT * FROM merchants WHERE merchant_id = ?'),
    redeemInvite: db.prepare(
      'UPDATE enrolment_invites SET used_at = ?, enrolled_terminal_id = ? WHERE code_hash = ? AND used_at IS NULL',
    ),
    receiptBytes: db.prepare('SELECT bytes FROM receipts WHERE card_id = ? AND counter = ? AND id = ?'),
    largestPayments: db.prepare(
      `SELECT bytes, amount FROM receipts WHERE card_id = ? AND kind = ${ReceiptKind.Pay} AND is_primary = 1 ORDER BY amount DESC LIMIT ?`,
    ),
    cardLoadAuthorizations: db.prepare(
      'SELECT bytes FROM load_authorizations WHERE card_id = ? ORDER BY time, authorization_id',
    ),
    voidingReceipts: db.prepare(
      `SELECT DISTINCT r.bytes FROM load_authorizations a JOIN receipts r ON r.card_id = a.card_id AND r.id = a.receipt_id
       WHERE a.card_id = ? AND a.state = ${LoadState.Void}`,
    ),
    authorizationBytes: db.prepare('SELECT bytes FROM load_authorizations WHERE authorization_id = ?'),
    latestDenyList: db.prepare('SELECT * FROM deny_list_versions ORDER BY sequence DESC LIMIT 1'),
    insertDenyListVersion: db.prepare('INSERT INTO deny_list_versions (sequence, issued_at, bytes) VALUES (?, ?, ?)'),
    refreshDenyListVersion: db.prepare(
      'UPDATE deny_list_versions SET issued_at = ?, bytes = ? WHERE sequence = ? AND issued_at < ?',
    ),
    denyCard: db.prepare(
      'INSERT INTO deny_list (card_id, revoked_at, case_id, sequence) VALUES (?, ?, ?, NULL) ON CONFLICT (card_id) DO NOTHING',
    ),
    outboxWaiting: db.prepare('SELECT 1 FROM deny_list WHERE sequence IS NULL LIMIT 1'),
    deniedCards: db.prepare('SELECT card_id FROM deny_list ORDER BY card_id'),
    publishOutbox: db.prepare('UPDATE deny_list SET sequence = ? WHERE sequence IS NULL'),
    upsertBatch: db.prepare(
      `INSERT INTO batches (batch_id, terminal_id, sequence, created_at, source, first_received_at, last_received_at, submissions, receipts, accepted, duplicates, rejected, double_spends)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
       ON CONFLICT (batch_id) DO UPDATE SET submissions = submissions + 1, last_received_at = excluded.last_received_at`,
    ),
  };
}

/**
 * Makes `path` a new empty file 0600 (SQLite gives its -wal and -shm files the same mode), or checks that the
 * existing database and its journals are closed to group and others. @throws LedgerError FILE_PERMISSIONS
 */
function privateDatabaseFile(path: string): void {
  try {
    ensurePrivateDirectory(dirname(path));
    if (createPrivateFile(path)) return;
  } catch (e) {
    throw new LedgerError(LedgerErrorCode.Storage, `cannot create the database ${path}: ${(e as Error).message}`, {
      cause: e,
      detail: { path },
    });
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const mode = exposedMode(file);
    if (mode !== undefined)
      throw new LedgerError(
        LedgerErrorCode.FilePermissions,
        `${file} holds every card's history and is open to other users (mode ${mode.toString(8).padStart(4, '0')})`,
        { detail: { path: file, mode } },
      );
  }
}

function storage<T>(operation: () => T): T {
  try {
    return operation();
  } catch (e) {
    if (e instanceof LedgerError) throw e;
    if (e instanceof Database.SqliteError || (e instanceof TypeError && /database/i.test(e.message))) {
      throw new LedgerError(LedgerErrorCode.Storage, `database: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
