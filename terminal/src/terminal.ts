import {
  Currency,
  Limits,
  TransportError,
  TransportErrorCode,
  toHex,
  type CardConnection,
  type CardTransport,
  type SignatureVerifier,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { type TerminalLimits } from './config/terminal-limits.js';
import { enrolledIdentity, type EnrolledIdentity } from './enrol/enrolled-identity.js';
import {
  enrolOnline,
  installEnrolment,
  prepareEnrolment,
  type EnrolmentFields,
  type EnrolmentReport,
} from './enrol/enrolment.js';
import { TerminalError, TerminalErrorCode } from './errors/terminal-error.js';
import { exportBatch, type ExportOptions, type ExportReport } from './export/export-batch.js';
import { LoadPoint, type ResolvedLoads } from './load/load-point.js';
import type { TopUpReport } from './load/online-top-up.js';
import { IncidentJournal, type CardIncident } from './store/incident-journal.js';
import { LoadJournal, type LoadIntent } from './store/load-journal.js';
import { importBatchResult, type ImportedResult } from './export/import-batch-result.js';
import type { FaultHook } from './faults/crash-point.js';
import { ConfigStore, type DenyListStanding, type EnrolmentRequest, type SyncMarks } from './store/config-store.js';
import { ReceiptQueue, type QueueCounts, type ReceiptRecord } from './store/receipt-queue.js';
import type { IntentState, ReceiptState } from './store/receipt-state.js';
import { TapJournal, type OfflineExposure } from './store/tap-journal.js';
import { TerminalDatabase } from './store/terminal-database.js';
import { BYTES_PER_RECEIPT, STORAGE_RESERVE_BYTES, checkWritable, freeBytes } from './store/storage-space.js';
import { SYNC_RETRY, type RetryPolicy } from './sync/backoff.js';
import { runDaemon, type DaemonOptions } from './sync/daemon.js';
import {
  DEFAULT_LEDGER_TRUST,
  LedgerClient,
  ledgerCaFingerprint,
  ledgerUrlFor,
  type LedgerTrust,
} from './sync/ledger-client.js';
import { withRetry } from './sync/sync-retry.js';
import { syncOnce, type SyncReport } from './sync/synchroniser.js';
import { limitsLeft, formatAge, type LimitsLeft } from './tap/risk-limits.js';
import { TapEngine } from './tap/tap-engine.js';
import type { Approved, ApprovedPayment, Recovered, TapResult } from './tap/tap-result.js';
import { checkDenyList } from './trust/deny-list-check.js';
import { verifyTrustBundle } from './trust/trust-anchors.js';
import { TrustCache, type TrustState } from './trust/trust-state.js';
import { NextStep } from './errors/next-step.js';

/** Options of `Terminal.open`. */
export interface TerminalOptions {
  /** Directory holding the terminal's database (created if missing). */
  readonly dataDir: string;
  /** ES256 verifier; default node:crypto (OpenSSL) with a key cache. */
  readonly verifier?: SignatureVerifier;
  /** Terminal time in Unix seconds; default the system clock. */
  readonly now?: () => number;
  /** Fault-injection hook called at every crash point (tests only). */
  readonly faultHook?: FaultHook;
  /** Per-request timeout towards the ledger. Default 15 s. */
  readonly ledgerTimeoutMs?: number;
  /** Free space the data directory must have before a tap starts. Default STORAGE_RESERVE_BYTES (8 MiB). */
  readonly storageReserveBytes?: number;
}

/** Options of `Terminal.tap`. */
export interface TapOptions {
  /**
   * Shows an approval to the cashier (prints it, beeps). The approval counts as shown once this returns; if the
   * terminal stops before that, the next tap of the same card shows the approval again instead of charging.
   * Without it, the approval counts as shown when `tap`/`charge` returns.
   */
  readonly announce?: (result: Approved | Recovered) => void | Promise<void>;
}

/** Options of `Terminal.charge`. */
export interface ChargeOptions extends TapOptions {
  /** How long to wait for a card. Default 30 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of `Terminal.sync`. */
export interface SyncOptions {
  /** Overrides the configured ledger URL (and stores it); the trust given at enrolment still applies. */
  readonly ledgerUrl?: string;
  readonly retry?: RetryPolicy;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  readonly onRetry?: (error: unknown, delayMs: number, attempt: number) => void;
}

/** Everything `status` shows. */
export interface TerminalStatus {
  readonly enrolled: boolean;
  readonly terminalId?: string;
  readonly merchantId?: string;
  readonly merchantName?: string;
  readonly acquirerId?: string;
  readonly certificateNotAfter?: number;
  readonly ledgerUrl?: string;
  /** SHA-256 fingerprint of the certificate the ledger's TLS is pinned to, if one is. */
  readonly ledgerCa?: string;
  /** Plain http: to the ledger was allowed at enrolment. */
  readonly ledgerInsecureHttp: boolean;
  readonly currency: number;
  readonly limits: TerminalLimits;
  /** What is left before the terminal must go online. */
  readonly left: LimitsLeft;
  readonly exposure: OfflineExposure;
  readonly queue: QueueCounts;
  readonly intents: Record<IntentState, number>;
  /**
   * Payments approved but never shown to the cashier (the terminal stopped first): the customer paid once. The
   * next tap of the card shows each; until then the cashier should know of them.
   */
  readonly unannounced: readonly ApprovedPayment[];
  /** Taps of unknown outcome, waiting for their card to be tapped again. */
  readonly pendingTaps: readonly { readonly cardId: string; readonly amount: number; readonly createdAt: number }[];
  /**
   * Loads this terminal sent as a load point that are not settled: `sent` (outcome unknown until the card is
   * presented again: `resolveLoads`), `loaded` (receipt held for the next sync) or `refused` (by the ledger; `detail`).
   */
  readonly pendingLoads: readonly {
    readonly cardId: string;
    readonly amount: number;
    readonly state: string;
    readonly createdAt: number;
    readonly detail?: string;
  }[];
  readonly unansweredBatches: number;
  /**
   * Cards declined because their counter went back below a receipt this terminal holds (restored or copied cards),
   * newest first, with the evidence each owes the ledger (`evidenceState`).
   */
  readonly incidents: readonly CardIncident[];
  /** The deny list in force; `ageSeconds` counts from its freshness (see DenyListStanding). */
  readonly denyList?: DenyListStanding & { readonly ageSeconds: number };
  readonly sync: SyncMarks;
  /**
   * The data directory's free space against what the terminal needs: `reserveBytes` before any tap, and a day of
   * receipts on top (`receiptsPerDay`: the larger of the offline count limit and the receipts of the last 24 h, at
   * BYTES_PER_RECEIPT each).
   */
  readonly storage: {
    readonly freeBytes: number;
    readonly reserveBytes: number;
    readonly receiptsPerDay: number;
    readonly dayBytes: number;
  };
  /** False when the terminal cannot take a payment now; `problems` says why and what to do. */
  readonly canTakePayments: boolean;
  readonly problems: readonly string[];
  /** What does not stop payments yet but will (free space below a day of receipts). */
  readonly warnings: readonly string[];
}

/**
 * An offline e-HKD POS terminal: the tap engine over any CardTransport, the durable receipt queue, uploads,
 * exports and enrolment, all on one SQLite database in `dataDir`. Several terminals may run in one process
 * (one data directory each); several processes may share one data directory (the CLI's charge and daemon).
 * @example
 * const terminal = Terminal.open({ dataDir: '/var/lib/ehkd-terminal' });
 * const result = await terminal.charge(transport, parseAmount('12.50', Currency.HKD));
 * if (result.outcome === 'approved') console.log('approved', toHex(result.payment.receiptId));
 */
export class Terminal {
  readonly #database: TerminalDatabase;
  readonly #config: ConfigStore;
  readonly #journal: TapJournal;
  readonly #incidents: IncidentJournal;
  readonly #loads: LoadJournal;
  readonly #loadPoint: LoadPoint;
  readonly #queue: ReceiptQueue;
  readonly #trust: TrustCache;
  readonly #verifier: SignatureVerifier;
  readonly #now: () => number;
  readonly #fault: FaultHook | undefined;
  readonly #ledgerTimeoutMs: number;
  readonly #storageReserveBytes: number;
  #identity: EnrolledIdentity | undefined;

  private constructor(
    readonly dataDir: string,
    database: TerminalDatabase,
    options: TerminalOptions,
  ) {
    this.#database = database;
    this.#config = new ConfigStore(database);
    this.#journal = new TapJournal(database, options.faultHook);
    this.#incidents = new IncidentJournal(database);
    this.#loads = new LoadJournal(database);
    this.#queue = new ReceiptQueue(database);
    this.#verifier = options.verifier ?? createNodeVerifier();
    this.#trust = new TrustCache(this.#config, this.#verifier);
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#fault = options.faultHook;
    this.#ledgerTimeoutMs = options.ledgerTimeoutMs ?? 15_000;
    this.#storageReserveBytes = options.storageReserveBytes ?? STORAGE_RESERVE_BYTES;
    this.#loadPoint = new LoadPoint({
      loads: this.#loads,
      verifier: this.#verifier,
      now: this.#now,
      currency: () => this.currency,
      waitForCard: (transport, timeoutMs) => this.waitForCard(transport, timeoutMs, undefined),
    });
    this.#identity = enrolledIdentity(this.#config.identity());
  }

  /**
   * Opens (or creates) the terminal in `options.dataDir`. Needs no network: an enrolled terminal can take
   * payments right away from what its database holds.
   * @throws TerminalError STORE_FAILED, STORAGE_UNAVAILABLE
   */
  static open(options: TerminalOptions): Terminal {
    return new Terminal(options.dataDir, TerminalDatabase.open(options.dataDir, options.faultHook), options);
  }

  /** The enrolled identity, or undefined before enrolment. */
  get identity(): EnrolledIdentity | undefined {
    return this.#identity;
  }

  /** The terminal's currency. */
  get currency(): number {
    return Currency.HKD;
  }

  /** Durable commits made through this handle (each one WAL fsync). */
  get commits(): number {
    return this.#database.commits;
  }

  /**
   * Waits for a card on `transport` and takes a payment of `amount` minor units (see TapEngine for the algorithm).
   * The data directory is checked first (writable, STORAGE_RESERVE_BYTES free): a terminal that could not keep the
   * receipt does not ask for a card.
   * @throws TerminalError NOT_ENROLLED, INVALID_AMOUNT, STORAGE_UNAVAILABLE, NO_CARD (timeout or cancelled),
   *   READER_UNAVAILABLE.
   */
  async charge(transport: CardTransport, amount: number, options: ChargeOptions = {}): Promise<TapResult> {
    this.checkAmount(amount);
    this.ready();
    checkWritable(this.dataDir, this.#storageReserveBytes);
    const connection = await this.waitForCard(transport, options.timeoutMs ?? 30_000, options.signal);
    try {
      return await this.tapChecked(connection, amount, options);
    } finally {
      await connection.disconnect().catch(() => undefined); // the card may already be gone; the tap's outcome stands
    }
  }

  /**
   * Takes a payment from a card already in the field (for callers that manage card detection themselves), after
   * the same storage check as `charge`, before the card is touched.
   * @throws TerminalError NOT_ENROLLED, INVALID_AMOUNT, STORAGE_UNAVAILABLE (before the card is touched, or when the
   *   intent cannot be saved before PAY; a receipt that cannot be saved after PAY is an `interrupted` result)
   */
  async tap(connection: CardConnection, amount: number, options: TapOptions = {}): Promise<TapResult> {
    this.checkAmount(amount);
    checkWritable(this.dataDir, this.#storageReserveBytes);
    return this.tapChecked(connection, amount, options);
  }

  private async tapChecked(connection: CardConnection, amount: number, options: TapOptions): Promise<TapResult> {
    const { identity, trust } = this.ready();
    const engine = new TapEngine({
      journal: this.#journal,
      incidents: this.#incidents,
      config: this.#config,
      identity,
      trust,
      verifier: this.#verifier,
      currency: this.currency,
      now: this.#now,
      ...(this.#fault !== undefined && { fault: this.#fault }),
    });
    const result = await engine.run(connection, amount);
    if (result.outcome === 'approved' || result.outcome === 'recovered') {
      await options.announce?.(result);
      try {
        this.#journal.markAnnounced(result.payment.nonce, this.#now());
      } catch (e) {
        // The mark only spares the next tap of this card from showing the approval again: losing it errs on the safe side.
        if (!(e instanceof TerminalError && e.code === TerminalErrorCode.StorageUnavailable)) throw e;
      }
    }
    return result;
  }

  /**
   * Tops up the card on `transport` online through the configured ledger (see LoadPoint): the terminal acting
   * as a load point. Needs the network; taking payments does not. If the card leaves while LOAD is in flight, it
   * waits (up to the same timeout) for the card to come back and reads its log: the load either happened (the
   * report says `resumed`) or did not (TOP_UP_FAILED, nothing loaded).
   * @throws TerminalError NOT_ENROLLED, NO_LEDGER, NO_CARD, READER_UNAVAILABLE, TOP_UP_FAILED, TOP_UP_UNCERTAIN (the card
   *   did not come back), LEDGER_UNREACHABLE, LEDGER_REFUSED
   */
  async topUp(transport: CardTransport, amount: number, options: { timeoutMs?: number } = {}): Promise<TopUpReport> {
    this.checkAmount(amount);
    const { identity } = this.ready();
    return this.#loadPoint.topUp(transport, this.loadPointLedger(), identity, amount, options.timeoutMs ?? 30_000);
  }

  /**
   * Resolves the loads this terminal sent to the card on `transport` whose outcome is not known (the card left
   * during LOAD and did not come back while the terminal waited, or the terminal stopped): reads the card's log, and
   * hands a recovered load receipt to the ledger (or holds it for the next sync).
   * @returns one report per load the card executed; a load it did not execute is dropped (nothing was loaded).
   * @throws TerminalError NO_CARD, READER_UNAVAILABLE, TOP_UP_FAILED, TOP_UP_UNCERTAIN; NO_LEDGER
   */
  async resolveLoads(transport: CardTransport, options: { timeoutMs?: number } = {}): Promise<ResolvedLoads> {
    return this.#loadPoint.resolve(transport, this.loadPointLedger(), options.timeoutMs ?? 30_000);
  }

  /** Loads sent to cards that are not settled yet: outcome unknown, or the card's receipt held for the ledger. */
  loads(): LoadIntent[] {
    return this.#loads.all();
  }

  /** The ledger the terminal asks for loads, as a load point. @throws TerminalError NO_LEDGER */
  private loadPointLedger(): LedgerClient {
    const url = this.#config.ledgerUrl();
    if (url === undefined)
      throw new TerminalError(TerminalErrorCode.NoLedger, 'no ledger URL is configured', {
        next: NextStep.ConfigureLedger,
      });
    return new LedgerClient(url, { timeoutMs: this.#ledgerTimeoutMs, trust: this.#config.ledgerTrust() });
  }

  private async waitForCard(
    transport: CardTransport,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<CardConnection> {
    try {
      return await transport.waitForCard({ timeoutMs, ...(signal !== undefined && { signal }) });
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      if (e.code === TransportErrorCode.Timeout || e.code === TransportErrorCode.Aborted) {
        throw new TerminalError(TerminalErrorCode.NoCard, 'no card was presented', { next: NextStep.ChargeAgain }, e);
      }
      throw new TerminalError(
        TerminalErrorCode.ReaderUnavailable,
        `the reader ${transport.readerName} is not available: ${e.message}`,
        { next: NextStep.CheckReader },
        e,
      );
    }
  }

  /** Receipts, newest first. */
  receipts(options: { states?: readonly ReceiptState[]; limit?: number } = {}): ReceiptRecord[] {
    return this.#queue.list(options);
  }

  /** The queue, offline totals, limits left and anything that stops the terminal from taking payments. */
  status(): TerminalStatus {
    const now = this.#now();
    const id = this.#identity;
    const limits = this.#config.limits();
    const exposure = this.#journal.exposure();
    const deny = this.#config.denyListStanding();
    const left = limitsLeft(limits, exposure, deny?.freshAt, now);
    const problems: string[] = [];
    if (id === undefined) problems.push('Not enrolled: run `ehkd-terminal enrol`.');
    if (id !== undefined && now > id.cert.notAfter)
      problems.push('The terminal certificate has expired: enrol again (uploads will be refused).');
    if (deny === undefined)
      problems.push('No deny list: run `ehkd-terminal sync` (or load one with `ehkd-terminal update --deny-list`).');
    else if (now - deny.freshAt > limits.maxDenyListAgeSeconds)
      problems.push(`The deny list is ${formatAge(now - deny.freshAt)} old: run \`ehkd-terminal sync\`.`);
    if (left.offlineCount === 0 || left.offlineAmount === 0)
      problems.push('The offline limit is reached: run `ehkd-terminal sync`.');
    const storage = this.storageStanding(now, limits.maxOfflineCount);
    const warnings: string[] = [];
    const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    if (storage.freeBytes < storage.reserveBytes) {
      problems.push(
        `The disk is full (${mib(storage.freeBytes)} free, ${mib(storage.reserveBytes)} needed before a tap): free space on the terminal's disk.`,
      );
    } else if (storage.freeBytes < storage.reserveBytes + storage.dayBytes) {
      warnings.push(
        `Free space (${mib(storage.freeBytes)}) is below what a day of receipts needs (${storage.receiptsPerDay} receipts, ${mib(storage.dayBytes + storage.reserveBytes)} with the reserve): free space on the terminal's disk soon.`,
      );
    }
    const ledgerUrl = this.#config.ledgerUrl();
    const trust = this.#config.ledgerTrust();
    return {
      enrolled: id !== undefined,
      ...(id !== undefined && {
        terminalId: toHex(id.terminalId),
        merchantId: toHex(id.merchantId),
        acquirerId: toHex(id.acquirerId),
        certificateNotAfter: id.cert.notAfter,
        ...(id.cert.name !== undefined && { merchantName: id.cert.name }),
      }),
      ...(ledgerUrl !== undefined && { ledgerUrl }),
      ...(trust.ca !== undefined && { ledgerCa: ledgerCaFingerprint(trust.ca) }),
      ledgerInsecureHttp: trust.insecureHttp,
      currency: this.currency,
      limits,
      left,
      exposure,
      queue: this.#queue.counts(),
      intents: this.#journal.intentCounts(),
      unannounced: this.#journal.allUnannounced(),
      pendingTaps: this.#journal
        .allPending()
        .map((i) => ({ cardId: toHex(i.cardId), amount: i.amount, createdAt: i.createdAt })),
      pendingLoads: this.#loads.all().map((l) => ({
        cardId: toHex(l.cardId),
        amount: l.amount,
        state: l.state,
        createdAt: l.createdAt,
        ...(l.detail !== null && { detail: l.detail }),
      })),
      unansweredBatches: this.#queue.unansweredUploads().length,
      incidents: this.#incidents.all(),
      ...(deny !== undefined && { denyList: { ...deny, ageSeconds: now - deny.freshAt } }),
      sync: this.#config.syncMarks(),
      storage,
      canTakePayments: problems.length === 0,
      problems,
      warnings,
    };
  }

  /** Free space against the reserve and a day of receipts (see TerminalStatus.storage). */
  private storageStanding(now: number, maxOfflineCount: number): TerminalStatus['storage'] {
    const receiptsPerDay = Math.max(maxOfflineCount, this.#queue.countSince(now - 86_400));
    return {
      freeBytes: freeBytes(this.dataDir),
      reserveBytes: this.#storageReserveBytes,
      receiptsPerDay,
      dayBytes: receiptsPerDay * BYTES_PER_RECEIPT,
    };
  }

  /**
   * Syncs with the ledger now, retrying transient failures with backoff (default 3 attempts).
   * @throws TerminalError NOT_ENROLLED, NO_LEDGER, LEDGER_*, TRUST_REJECTED (the queue is intact whatever fails).
   */
  async sync(options: SyncOptions = {}): Promise<SyncReport> {
    const { identity } = this.ready();
    const trust = this.#config.ledgerTrust();
    if (options.ledgerUrl !== undefined) this.#config.saveLedgerUrl(ledgerUrlFor(options.ledgerUrl, trust).href);
    const url = this.#config.ledgerUrl();
    if (url === undefined)
      throw new TerminalError(TerminalErrorCode.NoLedger, 'no ledger URL is configured', {
        next: NextStep.ConfigureLedger,
      });
    const client = new LedgerClient(url, {
      timeoutMs: this.#ledgerTimeoutMs,
      trust,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    return withRetry(
      () =>
        syncOnce({
          config: this.#config,
          queue: this.#queue,
          loads: this.#loads,
          incidents: this.#incidents,
          trust: this.#trust,
          identity,
          client,
          verifier: this.#verifier,
          now: this.#now,
          ...(this.#fault !== undefined && { fault: this.#fault }),
        }),
      options.retry ?? SYNC_RETRY,
      {
        onFailure: (e) => {
          try {
            this.#config.recordSync(this.#now(), e instanceof Error ? e.message : String(e));
          } catch (markFailure) {
            // The disk may be the failure itself: the error that ends the sync says so; its mark in status can wait.
            if (!(markFailure instanceof TerminalError && markFailure.code === TerminalErrorCode.StorageUnavailable))
              throw markFailure;
          }
        },
        ...(options.signal !== undefined && { signal: options.signal }),
        ...(options.random !== undefined && { random: options.random }),
        ...(options.onRetry !== undefined && { onRetry: options.onRetry }),
      },
    );
  }

  /** Runs the upload daemon until `options.signal` aborts (see runDaemon). */
  async daemon(
    options: DaemonOptions & { readonly retry: RetryPolicy; readonly random?: () => number },
  ): Promise<void> {
    await runDaemon(
      (onRetry) =>
        this.sync({
          retry: options.retry,
          onRetry,
          ...(options.signal !== undefined && { signal: options.signal }),
          ...(options.random !== undefined && { random: options.random }),
        }),
      options,
    );
  }

  /** Exports waiting receipts to a signed batch file (see exportBatch). @throws TerminalError NOT_ENROLLED, BAD_FILE */
  export(options: ExportOptions = {}): ExportReport {
    const { identity } = this.ready();
    return exportBatch(this.#queue, identity, this.dataDir, options, this.#now(), this.#fault);
  }

  /** Applies a ledger BatchResult file to the receipts of one of this terminal's batches. */
  importBatchResult(bytes: Uint8Array): ImportedResult {
    const { identity, trust } = this.ready();
    return importBatchResult(this.#queue, trust.trust, identity, bytes, this.#verifier, this.#now());
  }

  /**
   * Installs a deny list brought by hand (terminals that never get online). Never goes backwards.
   * @returns whether it replaced the one held.
   * @throws TerminalError TRUST_REJECTED
   */
  importDenyList(bytes: Uint8Array): { sequence: number; issuedAt: number; entries: number; updated: boolean } {
    const { trust } = this.ready();
    const { record } = checkDenyList(bytes, trust.trust, this.#verifier, this.#config.denyList()?.sequence);
    return {
      sequence: record.sequence,
      issuedAt: record.issuedAt,
      entries: record.entries,
      updated: this.#config.saveDenyList(record, this.#now()),
    };
  }

  /** Installs a trust-anchor bundle brought by hand; it must chain to the root already trusted. @throws TerminalError TRUST_REJECTED */
  importTrustAnchors(bytes: Uint8Array): void {
    const { trust } = this.ready();
    verifyTrustBundle(bytes, trust.trust.root.id, this.#verifier);
    this.#config.saveTrustBundle(bytes, this.#now());
  }

  /** Makes the terminal key if needed and returns the enrolment request for these merchant details. */
  prepareEnrolment(fields: EnrolmentFields): EnrolmentRequest {
    return prepareEnrolment(this.#config, fields, this.#now());
  }

  /**
   * Enrols online with the acquirer's ledger service and a single-use enrolment code, reaching it with `trust` (the
   * CA to pin, whether http: is allowed), and remembers its URL and that trust for every later call.
   * @throws TerminalError BAD_CONFIG (an http: URL without trust.insecureHttp), and those of enrolOnline
   */
  async enrolOnline(
    ledgerUrl: string,
    code: string,
    pinnedRoot: Uint8Array,
    trust: LedgerTrust = DEFAULT_LEDGER_TRUST,
  ): Promise<EnrolmentReport> {
    const client = new LedgerClient(ledgerUrl, { timeoutMs: this.#ledgerTimeoutMs, trust });
    const report = await enrolOnline(
      this.#config,
      this.#journal,
      client,
      code,
      pinnedRoot,
      this.#verifier,
      this.#now(),
    );
    this.#config.saveLedger(ledgerUrl, trust);
    this.#identity = enrolledIdentity(this.#config.identity());
    return report;
  }

  /** Installs a certificate signed offline for this terminal's request, with its trust anchors. */
  installEnrolment(
    certificate: Uint8Array,
    trustBundle: Uint8Array,
    options: { pinnedRoot?: Uint8Array; denyList?: Uint8Array } = {},
  ): EnrolmentReport {
    const report = installEnrolment(
      this.#config,
      this.#journal,
      certificate,
      trustBundle,
      options,
      this.#verifier,
      this.#now(),
    );
    this.#identity = enrolledIdentity(this.#config.identity());
    return report;
  }

  /** Changes some risk limits (the others keep their values). @throws TerminalError BAD_CONFIG */
  setLimits(limits: Partial<TerminalLimits>): TerminalLimits {
    this.#config.saveLimits({ ...this.#config.limits(), ...limits });
    return this.#config.limits();
  }

  /**
   * Sets the ledger URL used by sync, the daemon and top-ups; with `trust`, also what it is reached with (otherwise
   * the trust held applies to the new URL).
   * @throws TerminalError BAD_CONFIG (not a URL, or http: not allowed)
   */
  setLedgerUrl(url: string, trust?: LedgerTrust): void {
    const t = trust ?? this.#config.ledgerTrust();
    this.#config.saveLedger(ledgerUrlFor(url, t).href, t);
  }

  /** Closes the database. */
  close(): void {
    this.#database.close();
  }

  private checkAmount(amount: number): void {
    // Checked before any intent is recorded: a card cannot hold more than Limits.maxCardAmount, so no PAY may ask it.
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > Limits.maxCardAmount) {
      throw new TerminalError(TerminalErrorCode.InvalidAmount, `not a payment amount in minor units: ${amount}`, {
        next: NextStep.FixAmount,
      });
    }
  }

  private ready(): { identity: EnrolledIdentity; trust: TrustState } {
    const identity = this.#identity;
    const trust = this.#trust.current();
    if (identity === undefined || trust === undefined) {
      throw new TerminalError(TerminalErrorCode.NotEnrolled, 'this terminal is not enrolled', {
        next: NextStep.Enrol,
      });
    }
    return { identity, trust };
  }
}
