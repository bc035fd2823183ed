import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CheckId,
  EVIDENCE_KIND_NAME,
  Limits,
  EvidenceKind,
  ReceiptStatus,
  Role,
  bytesEqual,
  encodeDenyList,
  signCoseSign1,
  toHex,
  type ReceiptOutcome,
} from '@ehkd/core';
import { createPrivateFile, ensurePrivateDirectory, exposedMode } from '@ehkd/core/node';
import { byteKey } from '../ids/byte-key.js';
import { classifyReceipt, type ChainNeighbour } from '../detect/classify-receipt.js';
import { overSpendEvidence, receiptEvidence, type EvidencePayment } from '../detect/build-evidence.js';
import { liabilityFor } from '../detect/loss-attribution.js';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { LOAD_NEVER_EXECUTED, LOAD_NOT_DEBITED, SQLITE_SCHEMA, SQLITE_SCHEMA_VERSION } from './sqlite-schema.js';
import {
  Disposition,
  Liability,
  ReceiptKind,
  type AppliedReceipts,
  type ApplyPolicy,
  type BatchRecord,
  type CardCertificateRecord,
  type CardRecord,
  type DenyListVersion,
  type EnrolmentFound,
  type EnrolmentGrant,
  type EnrolmentInviteRecord,
  type FraudCaseRecord,
  type LedgerStore,
  type LoadAuthorizationRecord,
  type LoadTotalsRow,
  type MerchantRecord,
  type MerchantSettlementRow,
  type ReceiptApplication,
  type RecordedCase,
  type ReportedCase,
  type SchemeSetup,
  type StoredReceipt,
  type TerminalRecord,
  type TerminalStatus,
  type TrustAnchorRecord,
  type VerifiedReceipt,
} from './ledger-store.js';

type Row = Record<string, unknown>;

// BLOB parameters are bound straight from Uint8Array views (better-sqlite3 takes any ArrayBufferView): no Buffer
// objects on the per-receipt path. BLOB columns come back as Buffers and are handed out as plain Uint8Array views.

/** A BLOB column back to a plain Uint8Array view. */
function bytes(value: unknown): Uint8Array {
  const b = value as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function optionalBytes(value: unknown): Uint8Array | null {
  return value === null ? null : bytes(value);
}

/**
 * LedgerStore on SQLite (better-sqlite3): WAL journal, synchronous=FULL (a commit is on disk before a batch is
 * answered), one IMMEDIATE transaction per applied batch, prepared statements for the per-receipt path.
 * One process writes at a time; readers (reports) run concurrently thanks to WAL.
 * @example const store = SqliteLedgerStore.open('ledger.db')
 */
export class SqliteLedgerStore implements LedgerStore {
  readonly kind = 'sqlite';
  private readonly s: ReturnType<typeof prepare>;
  /**
   * Cards recently applied to, with their derived totals, so that a batch does not re-read each card. Valid while
   * no other connection writes: `PRAGMA data_version` changes when one does, and the cache is dropped.
   */
  private readonly cardCache = new Map<string, MutableCard>();
  private dataVersion = -1;

  private constructor(private readonly db: Database.Database) {
    this.s = prepare(db);
  }

  /**
   * Opens (creating if needed) a ledger database file. It holds every card's payment history: a new file is made
   * 0600 (in a new directory, 0700), and an existing one that group or others can read or write is refused.
   * @throws LedgerError STORAGE, FILE_PERMISSIONS
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
          `database schema version ${String(version)} is not ${SQLITE_SCHEMA_VERSION}`,
          { detail: { path, version } },
        );
      }
      db.exec(SQLITE_SCHEMA);
      if (version === undefined)
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(SQLITE_SCHEMA_VERSION);
      return new SqliteLedgerStore(db);
    });
  }

  async initialise(setup: SchemeSetup): Promise<void> {
    storage(() =>
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
      const root = this.db.prepare("SELECT value FROM meta WHERE key = 'root'").get() as Row | undefined;
      if (root === undefined)
        throw new LedgerError(
          LedgerErrorCode.NotInitialised,
          'the ledger database holds no scheme: run `ehkd-ledger init` first',
        );
      const rows = this.db.prepare('SELECT certificate FROM anchors ORDER BY role, subject').all() as Row[];
      return { root: bytes(root['value']), certificates: rows.map((r) => bytes(r['certificate'])) };
    });
  }

  async putTerminal(t: TerminalRecord): Promise<void> {
    storage(() =>
      this.s.putTerminal.run(t.terminalId, t.merchantId, t.mcc, t.name, t.publicKey, t.certificate, t.enrolledAt),
    );
  }

  async terminal(terminalId: Uint8Array): Promise<TerminalStatus | undefined> {
    return storage(() => {
      const r = this.s.terminal.get(terminalId) as Row | undefined;
      return r === undefined ? undefined : terminalRow(r);
    });
  }

  async terminals(): Promise<TerminalStatus[]> {
    return storage(() =>
      (this.db.prepare(`${TERMINAL_SELECT} ORDER BY t.merchant_id, t.terminal_id`).all() as Row[]).map(terminalRow),
    );
  }

  async enrolTerminal(
    grant: EnrolmentGrant,
    decide: (found: EnrolmentFound) => TerminalRecord,
  ): Promise<TerminalRecord> {
    return storage(() =>
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
    return storage(() =>
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
    storage(() => {
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
      const r = this.s.merchant.get(merchantId) as Row | undefined;
      return r === undefined ? undefined : merchantRecord(r);
    });
  }

  async merchants(): Promise<MerchantRecord[]> {
    return storage(() =>
      (this.db.prepare('SELECT * FROM merchants ORDER BY merchant_id').all() as Row[]).map(merchantRecord),
    );
  }

  async putEnrolmentInvite(i: EnrolmentInviteRecord): Promise<void> {
    storage(() =>
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

  async putCard(card: CardCertificateRecord): Promise<void> {
    storage(() => this.s.insertCard.run(card.cardId, card.issuerId, card.currency, card.certificate));
  }

  async card(cardId: Uint8Array): Promise<CardRecord | undefined> {
    return storage(() => {
      const r = this.s.card.get(cardId) as Row | undefined;
      return r === undefined ? undefined : cardRow(r);
    });
  }

  async putLoadAuthorization(a: LoadAuthorizationRecord): Promise<void> {
    storage(() =>
      this.db
        .transaction(() => {
          if (this.s.loadAuthorizationForChallenge.get(a.cardId, a.challenge) !== undefined) {
            throw new LedgerError(
              LedgerErrorCode.ChallengeUsed,
              `a load was already authorized for this challenge of card ${toHex(a.cardId)}`,
              { detail: { cardId: toHex(a.cardId) } },
            );
          }
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
          if (this.s.card.get(a.cardId) === undefined)
            throw new LedgerError(
              LedgerErrorCode.NotFound,
              `card ${toHex(a.cardId)} is not known: record its certificate first`,
            );
        })
        .immediate(),
    );
    const cached = this.cardCache.get(byteKey(a.cardId));
    if (cached !== undefined) {
      cached.authorized += a.amount;
      cached.pendingLoads.push({ authorizationId: a.authorizationId, counter: a.cardCounter, amount: a.amount });
    }
  }

  async loadAuthorization(authorizationId: Uint8Array): Promise<LoadAuthorizationRecord | undefined> {
    return storage(() => {
      const r = this.db.prepare('SELECT * FROM load_authorizations WHERE authorization_id = ?').get(authorizationId) as
        Row | undefined;
      return r === undefined ? undefined : loadAuthorizationRow(r);
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

  async applyReceipts(input: ReceiptApplication, policy: ApplyPolicy): Promise<AppliedReceipts> {
    try {
      return storage(() => this.db.transaction(() => this.applyInTransaction(input, policy)).immediate());
    } catch (e) {
      // The transaction rolled back: cached totals may include its receipts.
      this.cardCache.clear();
      throw e;
    }
  }

  async recordReportedCase(report: ReportedCase, policy: ApplyPolicy): Promise<RecordedCase> {
    const cardId = report.card.cardId;
    try {
      return storage(() =>
        this.db
          .transaction((): RecordedCase => {
            const s = this.s;
            s.insertCard.run(cardId, report.card.issuerId, report.card.currency, report.card.certificate);
            const counters = JSON.stringify(report.counters);
            const known = s.caseOfProof.get(cardId, report.kind, counters) as number | undefined;
            const caseId =
              known ??
              Number(
                s.insertCase.run(
                  report.kind,
                  cardId,
                  report.card.issuerId,
                  counters,
                  policy.now,
                  report.receiptId,
                  null,
                  report.evidence,
                ).lastInsertRowid,
              );
            if (s.revokeCard.run(policy.now, cardId).changes === 0)
              return { caseId, created: known === undefined, revoked: false, denyList: null };
            return {
              caseId,
              created: known === undefined,
              revoked: true,
              denyList: this.publishDenyList([{ cardId, caseId }], policy),
            };
          })
          .immediate(),
      );
    } finally {
      // The card's cached standing (its revocation) is stale now, or the transaction rolled back.
      this.cardCache.delete(byteKey(cardId));
    }
  }

  async latestDenyList(): Promise<DenyListVersion> {
    return storage(() => {
      const r = this.s.latestDenyList.get() as Row | undefined;
      if (r === undefined)
        throw new LedgerError(
          LedgerErrorCode.NotInitialised,
          'the ledger database holds no deny list: run `ehkd-ledger init` first',
        );
      return { sequence: r['sequence'] as number, issuedAt: r['issued_at'] as number, bytes: bytes(r['bytes']) };
    });
  }

  async refreshDenyList(version: DenyListVersion): Promise<void> {
    storage(() => {
      this.s.refreshDenyListVersion.run(version.issuedAt, version.bytes, version.sequence, version.issuedAt);
    });
  }

  async merchantSettlement(): Promise<MerchantSettlementRow[]> {
    return storage(() =>
      (
        this.db
          .prepare(
            // Payments (is_load 0) and the loads the merchant's load points sold (is_load 1), per merchant and currency.
            `WITH activity AS (
               SELECT merchant_id, currency, terminal_id, disposition, liability, amount, 0 AS is_load, 0 AS is_void
                 FROM receipts WHERE kind = ${ReceiptKind.Pay} AND merchant_id IS NOT NULL
               UNION ALL
               SELECT a.merchant_id, a.currency, a.terminal_id, NULL, NULL, a.amount, 1, ${LOAD_NOT_DEBITED}
                 FROM load_authorizations a WHERE a.merchant_id IS NOT NULL)
             SELECT r.merchant_id, r.currency, COUNT(DISTINCT r.terminal_id) AS terminals,
               COALESCE((SELECT m.name FROM merchants m WHERE m.merchant_id = r.merchant_id),
                 (SELECT t.name FROM terminals t WHERE t.merchant_id = r.merchant_id ORDER BY t.enrolled_at DESC LIMIT 1)) AS name,
               SUM(CASE WHEN r.disposition = ${Disposition.Credited} THEN 1 ELSE 0 END) AS credited_count,
               SUM(CASE WHEN r.disposition = ${Disposition.Credited} THEN r.amount ELSE 0 END) AS credited_amount,
               SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Issuer} THEN 1 ELSE 0 END) AS issuer_count,
               SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Issuer} THEN r.amount ELSE 0 END) AS issuer_amount,
               SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Merchant} THEN 1 ELSE 0 END) AS merchant_count,
               SUM(CASE WHEN r.disposition = ${Disposition.Flagged} AND r.liability = ${Liability.Merchant} THEN r.amount ELSE 0 END) AS merchant_amount,
               SUM(r.is_load - r.is_void) AS load_count,
               SUM(CASE WHEN r.is_load = 1 AND r.is_void = 0 THEN r.amount ELSE 0 END) AS load_amount,
               SUM(r.is_void) AS void_count,
               SUM(CASE WHEN r.is_void = 1 THEN r.amount ELSE 0 END) AS void_amount
             FROM activity r GROUP BY r.merchant_id, r.currency ORDER BY r.merchant_id, r.currency`,
          )
          .all() as Row[]
      ).map((r) => ({
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
      })),
    );
  }

  async cards(): Promise<CardRecord[]> {
    return storage(() => (this.db.prepare(`${CARD_SELECT} ORDER BY c.card_id`).all() as Row[]).map(cardRow));
  }

  async cardReceipts(cardId: Uint8Array): Promise<StoredReceipt[]> {
    return storage(() =>
      (this.db.prepare('SELECT * FROM receipts WHERE card_id = ? ORDER BY counter, rowid').all(cardId) as Row[]).map(
        receiptRow,
      ),
    );
  }

  async *receiptsByCard(): AsyncIterable<StoredReceipt> {
    // Keyset pages rather than one open cursor: the connection stays free for ingestion between pages, and memory
    // stays flat however many receipts there are. Pages follow the index (card, counter) and then the rowid.
    const first = this.db.prepare(
      `SELECT rowid AS row, * FROM receipts ORDER BY card_id, counter, rowid LIMIT ${AUDIT_PAGE}`,
    );
    const after = this.db.prepare(
      `SELECT rowid AS row, * FROM receipts WHERE (card_id, counter, rowid) > (?, ?, ?) ORDER BY card_id, counter, rowid LIMIT ${AUDIT_PAGE}`,
    );
    let page = storage(() => first.all() as Row[]);
    while (page.length > 0) {
      for (const r of page) yield receiptRow(r);
      if (page.length < AUDIT_PAGE) return;
      const last = page[page.length - 1] as Row;
      page = storage(() => after.all(last['card_id'], last['counter'], last['row']) as Row[]);
    }
  }

  async loadTotals(): Promise<LoadTotalsRow[]> {
    return storage(() =>
      (
        this.db
          .prepare(
            `SELECT card_id, SUM(1 - dead) AS n, SUM(CASE WHEN dead = 0 THEN amount ELSE 0 END) AS amount, SUM(dead) AS void_n, SUM(CASE WHEN dead = 1 THEN amount ELSE 0 END) AS void_amount,
               SUM(CASE WHEN executed = 1 THEN amount ELSE 0 END) AS executed_amount
             FROM (SELECT a.card_id, a.amount, ${LOAD_NEVER_EXECUTED} AS dead, a.receipt_id IS NOT NULL AS executed FROM load_authorizations a) GROUP BY card_id ORDER BY card_id`,
          )
          .all() as Row[]
      ).map((r) => ({
        cardId: bytes(r['card_id']),
        authorizedCount: r['n'] as number,
        authorizedAmount: r['amount'] as number,
        voidCount: r['void_n'] as number,
        voidAmount: r['void_amount'] as number,
        executedAmount: r['executed_amount'] as number,
      })),
    );
  }

  async fraudCases(): Promise<FraudCaseRecord[]> {
    return storage(() => (this.db.prepare(`${CASE_SELECT} ORDER BY c.case_id`).all() as Row[]).map(caseRow));
  }

  async fraudCase(caseId: number): Promise<FraudCaseRecord | undefined> {
    return storage(() => {
      const r = this.db.prepare(`${CASE_SELECT} WHERE c.case_id = ?`).get(caseId) as Row | undefined;
      return r === undefined ? undefined : caseRow(r);
    });
  }

  async batches(): Promise<BatchRecord[]> {
    return storage(() =>
      (this.db.prepare('SELECT * FROM batches ORDER BY first_received_at, batch_id').all() as Row[]).map((r) => ({
        batchId: bytes(r['batch_id']),
        terminalId: bytes(r['terminal_id']),
        sequence: r['sequence'] as number,
        createdAt: r['created_at'] as number,
        source: r['source'] as string,
        firstReceivedAt: r['first_received_at'] as number,
        lastReceivedAt: r['last_received_at'] as number,
        submissions: r['submissions'] as number,
        receipts: r['receipts'] as number,
        accepted: r['accepted'] as number,
        duplicates: r['duplicates'] as number,
        rejected: r['rejected'] as number,
        doubleSpends: r['double_spends'] as number,
      })),
    );
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private applyInTransaction(input: ReceiptApplication, policy: ApplyPolicy): AppliedReceipts {
    const s = this.s;
    const version = s.dataVersion.pluck().get() as number;
    if (version !== this.dataVersion) this.cardCache.clear();
    this.dataVersion = version;
    for (const c of input.cards)
      if (!this.cardCache.has(byteKey(c.cardId))) s.insertCard.run(c.cardId, c.issuerId, c.currency, c.certificate);
    const cards = new Map<string, MutableCard>();
    const outcomes: ReceiptOutcome[] = [];
    const newCases: number[] = [];
    const revoked: { cardId: Uint8Array; caseId: number }[] = [];
    const batch = input.batch;
    const terminalId = batch === null ? null : batch.terminalId;
    const merchantId = batch === null ? null : batch.merchantId;
    const batchId = batch === null ? null : batch.batchId;
    const at: Placement = { terminalId, merchantId, batchId, now: policy.now };
    let accepted = 0;
    let duplicates = 0;
    let rejected = input.rejectedCount;
    let doubleSpends = 0;

    for (const r of input.receipts) {
      const cardKey = byteKey(r.cardId);
      let card = cards.get(cardKey);
      if (card === undefined) {
        card = this.cardCache.get(cardKey);
        if (card === undefined) {
          const row = s.card.get(r.cardId) as Row | undefined;
          if (row === undefined)
            throw new LedgerError(LedgerErrorCode.NotFound, `card ${toHex(r.cardId)} has no recorded certificate`);
          const last = s.lastPrimary.raw(true).get(r.cardId) as unknown[] | undefined;
          const tail = last === undefined ? null : neighbourRow(last);
          const pendingLoads = (s.pendingLoads.all(r.cardId) as Row[]).map((a): PendingLoad => ({
            authorizationId: bytes(a['authorization_id']),
            counter: a['card_counter'] as number,
            amount: a['amount'] as number,
          }));
          card = {
            ...cardRow(row),
            overSpendCase: row['over_spend_case'] as number | null,
            dirty: false,
            tail,
            maxCounter: tail?.counter ?? 0,
            pendingLoads,
          };
          if (this.cardCache.size >= CARD_CACHE) this.cardCache.delete(this.cardCache.keys().next().value as string);
          this.cardCache.set(cardKey, card);
        }
        cards.set(cardKey, card);
      }
      // Receipts mostly arrive in counter order: past the card's highest stored counter the only possible neighbour
      // is the cached tail, and no query is needed. Late arrivals (gaps being filled, replays) read the index.
      const tail = card.tail;
      const near =
        r.counter > card.maxCounter
          ? tail !== null && tail.counter === r.counter - 1
            ? [tail]
            : NO_NEIGHBOURS
          : (s.near.all(r.cardId, r.counter - 1, r.counter + 1) as unknown[][]).map(neighbourRow);
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
          duplicates++;
          outcomes.push({ receiptId: r.id, status: ReceiptStatus.Duplicate, reason: 'already recorded' });
          break;
        case 'credit':
          this.insertReceipt(
            r,
            card,
            at,
            true,
            r.kind === ReceiptKind.Pay ? Disposition.Credited : Disposition.Loaded,
            null,
            null,
          );
          accepted++;
          outcomes.push({ receiptId: r.id, status: ReceiptStatus.Accepted });
          break;
        case 'denied':
          this.insertReceipt(r, card, at, true, Disposition.Flagged, Liability.Merchant, null);
          rejected++;
          outcomes.push({
            receiptId: r.id,
            status: ReceiptStatus.Rejected,
            check: CheckId.DenyList,
            reason: `card ${toHex(r.cardId)} was revoked at ${card.revokedAt ?? 0}; payment taken after the deny list was due`,
          });
          break;
        case 'double-spend': {
          const liability =
            r.kind === ReceiptKind.Pay ? liabilityFor(r.time, card.revokedAt, policy.denyListGraceSeconds) : null;
          let caseId: number;
          if (verdict.evidence === EvidenceKind.OverSpend && card.overSpendCase !== null) {
            caseId = card.overSpendCase;
          } else {
            const evidence = this.evidenceFor(verdict.evidence, card, r, verdict.counterpart, verdict.order);
            const counters =
              verdict.counterpart === null
                ? [r.counter]
                : [r.counter, verdict.counterpart.counter]
                    .sort((a, b) => a - b)
                    .filter((c, i, all) => i === 0 || all[i - 1] !== c);
            caseId = Number(
              s.insertCase.run(
                verdict.evidence,
                r.cardId,
                card.issuerId,
                JSON.stringify(counters),
                policy.now,
                r.id,
                batchId,
                evidence,
              ).lastInsertRowid,
            );
            newCases.push(caseId);
            if (verdict.evidence === EvidenceKind.OverSpend) {
              card.overSpendCase = caseId;
              card.dirty = true;
            }
          }
          this.insertReceipt(r, card, at, verdict.primary, Disposition.Flagged, liability, caseId);
          if (card.revokedAt === null) {
            card.revokedAt = policy.now;
            card.dirty = true;
            revoked.push({ cardId: r.cardId, caseId });
          }
          doubleSpends++;
          outcomes.push({
            receiptId: r.id,
            status: ReceiptStatus.DoubleSpend,
            check: EVIDENCE_KIND_NAME[verdict.evidence],
            reason: `double spend (${EVIDENCE_KIND_NAME[verdict.evidence]}), case ${caseId}; card ${toHex(r.cardId)} revoked`,
          });
          break;
        }
      }
    }

    for (const c of cards.values()) {
      if (c.dirty) s.updateCard.run(c.revokedAt, c.overSpendCase, c.cardId);
      c.dirty = false;
    }
    let denyList: DenyListVersion | null = null;
    if (revoked.length > 0) denyList = this.publishDenyList(revoked, policy);
    if (batch !== null) {
      s.upsertBatch.run(
        batch.batchId,
        batch.terminalId,
        batch.sequence,
        batch.createdAt,
        batch.source,
        policy.now,
        policy.now,
        batch.receiptCount,
        accepted,
        duplicates,
        rejected,
        doubleSpends,
      );
    }
    return { outcomes, newCases, revoked: revoked.map((r) => r.cardId), denyList };
  }

  /** Inserts a classified receipt and advances the card's cached totals, pending loads and chain tail. */
  private insertReceipt(
    r: VerifiedReceipt,
    card: MutableCard,
    at: Placement,
    primary: boolean,
    disposition: Disposition,
    liability: Liability | null,
    caseId: number | null,
  ): void {
    this.s.insertReceipt.run(
      r.cardId,
      r.counter,
      r.id,
      r.kind,
      r.amount,
      r.currency,
      r.balanceAfter,
      r.prevHash,
      r.time,
      primary ? 1 : 0,
      disposition,
      liability,
      caseId,
      at.terminalId,
      at.merchantId,
      at.batchId,
      at.now,
      r.bytes,
    );
    if (primary && r.kind === ReceiptKind.Pay) card.paid += r.amount;
    // In the same transaction: an authorization is executed exactly when its load receipt is on record at the
    // counter it binds (a misplaced one executes nothing a genuine card could have).
    else if (
      r.authorizationId !== undefined &&
      r.authorizedCounter !== undefined &&
      r.counter === r.authorizedCounter + 1
    )
      this.s.confirmLoadAuthorization.run(r.id, r.authorizationId);
    if (card.pendingLoads.length > 0 && (primary || r.counter === (r.authorizedCounter ?? -2) + 1))
      settlePendingLoads(card, r, primary);
    if (primary && r.counter > card.maxCounter) {
      card.maxCounter = r.counter;
      card.tail = {
        id: r.id,
        counter: r.counter,
        prevHash: r.prevHash,
        balanceAfter: r.balanceAfter,
        kind: r.kind,
        amount: r.amount,
        primary: true,
      };
    }
  }

  private evidenceFor(
    kind: EvidenceKind,
    card: MutableCard,
    r: VerifiedReceipt,
    counterpart: ChainNeighbour | null,
    order: 'stored-first' | 'new-first',
  ): Uint8Array | null {
    const issuer = this.s.anchor.get(Role.Issuer, card.issuerId) as Row | undefined;
    if (issuer === undefined)
      throw new LedgerError(
        LedgerErrorCode.NotFound,
        `issuer ${toHex(card.issuerId)} of card ${toHex(card.cardId)} is not a trust anchor`,
      );
    const issuerCertificate = bytes(issuer['certificate']);
    if (kind === EvidenceKind.OverSpend) {
      const auths = (this.s.cardLoadAuthorizations.all(card.cardId) as Row[]).map((a) => bytes(a['bytes']));
      // Void authorizations go in with the receipt that voids each, so that a verifier excludes them as we did.
      const voiding = (this.s.voidingReceipts.all(card.cardId) as Row[]).map((v) => bytes(v['bytes']));
      if (r.kind === ReceiptKind.Pay && voidedAmount(card.pendingLoads, r) > 0) voiding.push(r.bytes);
      const stored = (this.s.largestPayments.all(card.cardId) as Row[]).map((p): EvidencePayment => ({
        bytes: bytes(p['bytes']),
        amount: p['amount'] as number,
      }));
      const payments = [...stored, { bytes: r.bytes, amount: r.amount }].sort((a, b) => b.amount - a.amount);
      return overSpendEvidence(
        card.certificate,
        issuerCertificate,
        auths,
        card.authorized - voidedAmount(card.pendingLoads, r),
        payments,
        voiding,
      );
    }
    if (kind === EvidenceKind.MisplacedLoad) {
      const a =
        r.authorizationId === undefined
          ? undefined
          : (this.s.authorizationBytes.get(r.authorizationId) as Row | undefined);
      if (a === undefined) throw new LedgerError(LedgerErrorCode.Storage, 'misplaced-load without its authorization');
      return receiptEvidence(kind, card.certificate, issuerCertificate, [r.bytes], [bytes(a['bytes'])]);
    }
    if (kind === EvidenceKind.BadGenesis) return receiptEvidence(kind, card.certificate, issuerCertificate, [r.bytes]);
    if (counterpart === null)
      throw new LedgerError(LedgerErrorCode.Storage, `${EVIDENCE_KIND_NAME[kind]} without a counterpart receipt`);
    const other = this.s.receiptBytes.get(card.cardId, counterpart.counter, counterpart.id) as Row;
    const pair: [Uint8Array, Uint8Array] =
      order === 'stored-first' ? [bytes(other['bytes']), r.bytes] : [r.bytes, bytes(other['bytes'])];
    return receiptEvidence(kind, card.certificate, issuerCertificate, pair);
  }

  private publishDenyList(
    revoked: readonly { cardId: Uint8Array; caseId: number }[],
    policy: ApplyPolicy,
  ): DenyListVersion {
    const latest = this.s.latestDenyList.get() as Row | undefined;
    const sequence = (latest === undefined ? 0 : (latest['sequence'] as number)) + 1;
    for (const r of revoked) this.s.insertDenied.run(r.cardId, policy.now, r.caseId, sequence);
    const cardIds = (this.db.prepare('SELECT card_id FROM deny_list ORDER BY card_id').all() as Row[]).map((r) =>
      bytes(r['card_id']),
    );
    const payload = encodeDenyList({ signer: policy.denyListSigner.id, sequence, issuedAt: policy.now, cardIds });
    const signed = signCoseSign1(policy.denyListSigner.signer, payload);
    this.s.insertDenyListVersion.run(sequence, policy.now, signed);
    return { sequence, issuedAt: policy.now, bytes: signed };
  }
}

const AUDIT_PAGE = 5_000;
const NO_NEIGHBOURS: readonly ChainNeighbour[] = Object.freeze([]);

/** Where the receipts of one application come from, stored on each of their rows. */
interface Placement {
  readonly terminalId: Uint8Array | null;
  readonly merchantId: Uint8Array | null;
  readonly batchId: Uint8Array | null;
  readonly now: number;
}
/** Cards kept in the cache (about 300 bytes each). */
const CARD_CACHE = 200_000;

/** A card with its totals derived from the authorizations (void ones left out) and the primary-chain payments. */
const CARD_SELECT = `SELECT c.*,
  (SELECT COALESCE(SUM(a.amount), 0) FROM load_authorizations a WHERE a.card_id = c.card_id AND NOT ${LOAD_NEVER_EXECUTED}) AS authorized,
  (SELECT COALESCE(SUM(r.amount), 0) FROM receipts r WHERE r.card_id = c.card_id AND r.kind = ${ReceiptKind.Pay} AND r.is_primary = 1) AS paid,
  (SELECT r.counter FROM receipts r WHERE r.card_id = c.card_id AND r.is_primary = 1 ORDER BY r.counter DESC LIMIT 1) AS last_counter,
  (SELECT r.balance_after FROM receipts r WHERE r.card_id = c.card_id AND r.is_primary = 1 ORDER BY r.counter DESC LIMIT 1) AS last_balance
  FROM cards c`;

/** An authorization not executed and not yet proven void: a receipt at counter + 1 decides which. */
interface PendingLoad {
  readonly authorizationId: Uint8Array;
  readonly counter: number;
  readonly amount: number;
}

/** The amount of the pending authorizations that receipt `r` proves void (it sits at their counter + 1 and executes none of them). */
function voidedAmount(pending: readonly PendingLoad[], r: VerifiedReceipt): number {
  let amount = 0;
  for (const p of pending) if (p.counter + 1 === r.counter && !executes(r, p)) amount += p.amount;
  return amount;
}

function executes(r: VerifiedReceipt, p: PendingLoad): boolean {
  return r.authorizationId !== undefined && bytesEqual(r.authorizationId, p.authorizationId);
}

/**
 * After `r` is stored: the pending authorizations it executes (at their counter + 1) are settled, and those it
 * proves void (a primary receipt at their counter + 1 that executes none of them) leave the authorized total.
 */
function settlePendingLoads(card: MutableCard, r: VerifiedReceipt, primary: boolean): void {
  card.pendingLoads = card.pendingLoads.filter((p) => {
    if (p.counter + 1 !== r.counter) return true;
    if (executes(r, p)) return false;
    if (!primary) return true;
    card.authorized -= p.amount;
    return false;
  });
}

interface MutableCard extends CardRecord {
  authorized: number;
  paid: number;
  revokedAt: number | null;
  overSpendCase: number | null;
  dirty: boolean;
  /** Highest counter stored for the card, and the primary receipt there. */
  maxCounter: number;
  tail: ChainNeighbour | null;
  pendingLoads: PendingLoad[];
}

/** A terminal's enrolment record with its revocation time (null: not revoked). */
const TERMINAL_SELECT =
  'SELECT t.*, v.revoked_at FROM terminals t LEFT JOIN terminal_revocations v ON v.terminal_id = t.terminal_id';

const CASE_SELECT = `SELECT c.*, COALESCE(f.n, 0) AS flagged_count, COALESCE(f.amount, 0) AS flagged_amount FROM cases c
  LEFT JOIN (SELECT case_id, COUNT(*) AS n, SUM(amount) AS amount FROM receipts WHERE case_id IS NOT NULL AND kind = ${ReceiptKind.Pay} GROUP BY case_id) f
  ON f.case_id = c.case_id`;

function prepare(db: Database.Database) {
  return {
    near: db
      .prepare(
        'SELECT id, counter, prev_hash, balance_after, kind, amount, is_primary FROM receipts WHERE card_id = ? AND counter BETWEEN ? AND ?',
      )
      .raw(true),
    insertReceipt: db.prepare(
      `INSERT INTO receipts (card_id, counter, id, kind, amount, currency, balance_after, prev_hash, time, is_primary, disposition, liability, case_id,
         terminal_id, merchant_id, batch_id, ingested_at, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    card: db.prepare(`${CARD_SELECT} WHERE c.card_id = ?`),
    dataVersion: db.prepare('PRAGMA data_version'),
    lastPrimary: db.prepare(
      'SELECT id, counter, prev_hash, balance_after, kind, amount, is_primary FROM receipts WHERE card_id = ? AND is_primary = 1 ORDER BY counter DESC LIMIT 1',
    ),
    insertLoadAuthorization: db.prepare(
      'INSERT INTO load_authorizations (authorization_id, load_id, card_id, amount, currency, time, bytes, challenge, terminal_id, merchant_id, card_counter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    confirmLoadAuthorization: db.prepare(
      'UPDATE load_authorizations SET receipt_id = ? WHERE authorization_id = ? AND receipt_id IS NULL',
    ),
    loadAuthorizationForChallenge: db.prepare('SELECT * FROM load_authorizations WHERE card_id = ? AND challenge = ?'),
    insertCard: db.prepare(
      'INSERT INTO cards (card_id, issuer_id, currency, certificate) VALUES (?, ?, ?, ?) ON CONFLICT (card_id) DO NOTHING',
    ),
    updateCard: db.prepare('UPDATE cards SET revoked_at = ?, over_spend_case = ? WHERE card_id = ?'),
    insertCase: db.prepare(
      'INSERT INTO cases (kind, card_id, issuer_id, counters, detected_at, receipt_id, batch_id, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    revokeCard: db.prepare('UPDATE cards SET revoked_at = ? WHERE card_id = ? AND revoked_at IS NULL'),
    caseOfProof: db
      .prepare('SELECT case_id FROM cases WHERE card_id = ? AND kind = ? AND counters = ? ORDER BY case_id LIMIT 1')
      .pluck(),
    anchor: db.prepare('SELECT certificate FROM anchors WHERE role = ? AND subject = ?'),
    putAnchor: db.prepare(
      'INSERT INTO anchors (role, subject, certificate) VALUES (?, ?, ?) ON CONFLICT (role, subject) DO UPDATE SET certificate = excluded.certificate',
    ),
    terminal: db.prepare(`${TERMINAL_SELECT} WHERE t.terminal_id = ?`),
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
      `SELECT bytes, amount FROM receipts WHERE card_id = ? AND kind = ${ReceiptKind.Pay} AND is_primary = 1 ORDER BY amount DESC LIMIT ${Limits.evidenceReceipts}`,
    ),
    cardLoadAuthorizations: db.prepare(
      'SELECT bytes FROM load_authorizations WHERE card_id = ? ORDER BY time, authorization_id',
    ),
    pendingLoads: db.prepare(
      `SELECT authorization_id, card_counter, amount FROM load_authorizations a WHERE a.card_id = ? AND a.receipt_id IS NULL AND NOT ${LOAD_NEVER_EXECUTED}`,
    ),
    voidingReceipts:
      db.prepare(`SELECT DISTINCT r.bytes FROM load_authorizations a JOIN receipts r ON r.card_id = a.card_id AND r.counter = a.card_counter + 1 AND r.is_primary = 1
      WHERE a.card_id = ? AND a.receipt_id IS NULL`),
    authorizationBytes: db.prepare('SELECT bytes FROM load_authorizations WHERE authorization_id = ?'),
    latestDenyList: db.prepare('SELECT * FROM deny_list_versions ORDER BY sequence DESC LIMIT 1'),
    insertDenyListVersion: db.prepare('INSERT INTO deny_list_versions (sequence, issued_at, bytes) VALUES (?, ?, ?)'),
    refreshDenyListVersion: db.prepare(
      'UPDATE deny_list_versions SET issued_at = ?, bytes = ? WHERE sequence = ? AND issued_at < ?',
    ),
    insertDenied: db.prepare(
      'INSERT INTO deny_list (card_id, revoked_at, case_id, sequence) VALUES (?, ?, ?, ?) ON CONFLICT (card_id) DO NOTHING',
    ),
    upsertBatch: db.prepare(
      `INSERT INTO batches (batch_id, terminal_id, sequence, created_at, source, first_received_at, last_received_at, submissions, receipts, accepted, duplicates, rejected, double_spends)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
       ON CONFLICT (batch_id) DO UPDATE SET submissions = submissions + 1, last_received_at = excluded.last_received_at`,
    ),
  };
}

function neighbourRow(r: unknown[]): ChainNeighbour {
  return {
    id: bytes(r[0]),
    counter: r[1] as number,
    prevHash: bytes(r[2]),
    balanceAfter: r[3] as number,
    kind: r[4] as ReceiptKind,
    amount: r[5] as number,
    primary: r[6] === 1,
  };
}

function cardRow(r: Row): CardRecord {
  return {
    cardId: bytes(r['card_id']),
    issuerId: bytes(r['issuer_id']),
    currency: r['currency'] as number,
    certificate: bytes(r['certificate']),
    authorized: r['authorized'] as number,
    paid: r['paid'] as number,
    revokedAt: r['revoked_at'] as number | null,
    lastCounter: (r['last_counter'] as number | null) ?? 0,
    lastBalance: (r['last_balance'] as number | null) ?? 0,
  };
}

function terminalRow(r: Row): TerminalStatus {
  return {
    terminalId: bytes(r['terminal_id']),
    merchantId: bytes(r['merchant_id']),
    mcc: r['mcc'] as number,
    name: r['name'] as string,
    publicKey: bytes(r['public_key']),
    certificate: bytes(r['certificate']),
    enrolledAt: r['enrolled_at'] as number,
    revokedAt: (r['revoked_at'] as number | null) ?? null,
  };
}

function merchantRecord(r: Row): MerchantRecord {
  return {
    merchantId: bytes(r['merchant_id']),
    name: r['name'] as string,
    mcc: r['mcc'] as number,
    createdAt: r['created_at'] as number,
  };
}

function inviteRow(r: Row): EnrolmentInviteRecord {
  return {
    codeHash: bytes(r['code_hash']),
    merchantId: bytes(r['merchant_id']),
    terminalId: optionalBytes(r['terminal_id']),
    createdAt: r['created_at'] as number,
    expiresAt: r['expires_at'] as number,
    usedAt: (r['used_at'] as number | null) ?? null,
    enrolledTerminalId: optionalBytes(r['enrolled_terminal_id']),
  };
}

function loadAuthorizationRow(r: Row): LoadAuthorizationRecord {
  return {
    authorizationId: bytes(r['authorization_id']),
    loadId: bytes(r['load_id']),
    cardId: bytes(r['card_id']),
    amount: r['amount'] as number,
    currency: r['currency'] as number,
    time: r['time'] as number,
    bytes: bytes(r['bytes']),
    challenge: bytes(r['challenge']),
    terminalId: r['terminal_id'] === null ? null : bytes(r['terminal_id']),
    merchantId: r['merchant_id'] === null ? null : bytes(r['merchant_id']),
    cardCounter: r['card_counter'] as number,
  };
}

function receiptRow(r: Row): StoredReceipt {
  return {
    id: bytes(r['id']),
    bytes: bytes(r['bytes']),
    kind: r['kind'] as ReceiptKind,
    cardId: bytes(r['card_id']),
    counter: r['counter'] as number,
    amount: r['amount'] as number,
    currency: r['currency'] as number,
    balanceAfter: r['balance_after'] as number,
    prevHash: bytes(r['prev_hash']),
    time: r['time'] as number,
    primary: r['is_primary'] === 1,
    disposition: r['disposition'] as Disposition,
    liability: r['liability'] as Liability | null,
    caseId: r['case_id'] as number | null,
    terminalId: optionalBytes(r['terminal_id']),
    merchantId: optionalBytes(r['merchant_id']),
    batchId: optionalBytes(r['batch_id']),
    ingestedAt: r['ingested_at'] as number,
  };
}

function caseRow(r: Row): FraudCaseRecord {
  return {
    caseId: r['case_id'] as number,
    kind: r['kind'] as number,
    cardId: bytes(r['card_id']),
    issuerId: bytes(r['issuer_id']),
    counters: JSON.parse(r['counters'] as string) as number[],
    detectedAt: r['detected_at'] as number,
    receiptId: bytes(r['receipt_id']),
    batchId: optionalBytes(r['batch_id']),
    evidence: optionalBytes(r['evidence']),
    flaggedCount: r['flagged_count'] as number,
    flaggedAmount: r['flagged_amount'] as number,
  };
}

/** Runs a database operation, turning SQLite failures into LedgerError STORAGE (LedgerErrors pass through). */
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
