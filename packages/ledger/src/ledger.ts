import {
  Limits,
  Role,
  TrustStore,
  bytesEqual,
  decodeCoseSign1,
  decodeDenyList,
  encodeDenyList,
  encodeTrustAnchorBundle,
  signCoseSign1,
  toHex,
  type ReceiptOutcome,
  type Verification,
} from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { LedgerError, LedgerErrorCode } from './errors/ledger-error.js';
import { publishRevocations } from './detect/deny-list-outbox.js';
import { recordReportedEvidence, type RecordedCase } from './detect/reported-evidence.js';
import { BatchIngestor, type BatchRefusal, type IngestedBatch, type VerifiedBatch } from './ingest/batch-ingestor.js';
import { VerifyPool } from './ingest/verify-pool.js';
import type { LedgerContext } from './ledger-context.js';
import {
  authorizeDeskLoad,
  authorizeLoad,
  recordLoadReceipt,
  type DeskLoadRequest,
  type LoadAuthorizationResult,
} from './scheme/load-authorization.js';
import type { PartyKey } from './scheme/party-key.js';
import {
  addMerchant,
  enrolByOperator,
  enrolWithCode,
  inviteTerminal,
  type IssuedInvite,
  type NewInvite,
  type NewMerchant,
  type OnlineEnrolmentRequest,
} from './scheme/terminal-enrolment.js';
import type { LedgerStore, MerchantRecord, TerminalRecord, TerminalStatus } from './store/ledger-store.js';

/** How old a served deny list may be before the ledger re-signs it with a fresh `issuedAt` (1 hour). */
export const DENY_LIST_REFRESH_SECONDS = 3_600;

/** Default grace after a revocation: terminals must fetch a deny list at least daily (as Octopus readers do). */
export const DEFAULT_DENY_LIST_GRACE_SECONDS = 86_400;

/** Default upload grace after a terminal certificate expires: a month of hand-carried batches. */
export const DEFAULT_TERMINAL_EXPIRY_GRACE_SECONDS = 30 * 86_400;

/** How to open a ledger. */
export interface LedgerOptions {
  readonly store: LedgerStore;
  /** This ledger's acquirer key: its certificate must be one of the stored trust anchors. */
  readonly acquirer: PartyKey;
  /** Issuer keys for online load authorization (none: loads are refused with UNKNOWN_ISSUER). */
  readonly issuers?: readonly PartyKey[];
  /** Unix seconds; default the system clock. */
  readonly clock?: () => number;
  readonly denyListGraceSeconds?: number;
  readonly terminalExpiryGraceSeconds?: number;
  /** Verification workers; default one per core. */
  readonly workers?: number;
}

const systemClock = (): number => Math.floor(Date.now() / 1000);

/**
 * The settlement ledger: scheme operations (terminal enrolment, load authorization, deny list, trust anchors)
 * and batch ingestion on one store. The HTTP service and the CLI are thin layers over it.
 * @example const ledger = await Ledger.open({ store, acquirer }); await ledger.ingestBatch(bytes, 'file')
 */
export class Ledger {
  private pool: Promise<VerifyPool> | null = null;

  private constructor(
    readonly context: LedgerContext,
    private readonly workers: number | undefined,
  ) {}

  /**
   * Records the scheme in an empty store: the root, the issuer and acquirer certificates (each verified against
   * the root) and the first, empty deny list signed by the acquirer.
   * @throws LedgerError KEY_FILE if a certificate does not verify against the root; ALREADY_INITIALISED.
   */
  static async initialise(
    store: LedgerStore,
    root: Uint8Array,
    anchors: readonly Uint8Array[],
    acquirer: PartyKey,
    clock: () => number = systemClock,
  ): Promise<void> {
    const all = anchors.some((a) => bytesEqual(a, acquirer.certificate))
      ? [...anchors]
      : [...anchors, acquirer.certificate];
    const trust = TrustStore.create(root, all, createNodeVerifier());
    if (!trust.ok) throw new LedgerError(LedgerErrorCode.KeyFile, `trust anchors: ${trust.reason}`);
    if (!bytesEqual(acquirer.cert.signer, trust.value.root.payload.subject))
      throw new LedgerError(LedgerErrorCode.KeyFile, 'the acquirer key is not certified by this root');
    const now = clock();
    const denyList = signCoseSign1(
      acquirer.signer,
      encodeDenyList({ signer: acquirer.id, sequence: 1, issuedAt: now, cardIds: [] }),
    );
    await store.initialise({
      root,
      anchors: trust.value
        .certificates()
        .map((c) => ({ role: c.payload.role, subject: c.payload.subject, certificate: c.cose.bytes })),
      denyList: { sequence: 1, issuedAt: now, bytes: denyList },
    });
  }

  /**
   * Opens a ledger on an initialised store.
   * @throws LedgerError NOT_INITIALISED, KEY_FILE (acquirer or issuer key not among the trust anchors)
   */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const anchors = await options.store.trustAnchors();
    const verifier = createNodeVerifier();
    const trust = TrustStore.create(anchors.root, anchors.certificates, verifier);
    if (!trust.ok)
      throw new LedgerError(LedgerErrorCode.Storage, `stored trust anchors do not verify: ${trust.reason}`);
    const anchorOf = (k: PartyKey): void => {
      const stored = trust.value.get(k.role as typeof Role.Issuer | typeof Role.Acquirer, k.id);
      if (stored === undefined || !bytesEqual(stored.payload.publicKey, k.cert.publicKey)) {
        throw new LedgerError(
          LedgerErrorCode.KeyFile,
          `the ${k.role === Role.Issuer ? 'issuer' : 'acquirer'} key ${toHex(k.id)} is not one of this ledger's trust anchors`,
        );
      }
    };
    anchorOf(options.acquirer);
    for (const i of options.issuers ?? []) anchorOf(i);
    const context: LedgerContext = {
      store: options.store,
      trust: trust.value,
      verifier,
      acquirer: options.acquirer,
      issuers: new Map((options.issuers ?? []).map((k) => [toHex(k.id), k])),
      clock: options.clock ?? systemClock,
      denyListGraceSeconds: options.denyListGraceSeconds ?? DEFAULT_DENY_LIST_GRACE_SECONDS,
      terminalExpiryGraceSeconds: options.terminalExpiryGraceSeconds ?? DEFAULT_TERMINAL_EXPIRY_GRACE_SECONDS,
    };
    // Revocations committed by a process that died before signing their deny list are published now.
    await publishRevocations(context);
    return new Ledger(context, options.workers);
  }

  /**
   * Ingests one upload batch (see BatchIngestor). Verification workers start on first use.
   * @throws LedgerError WORKER / STORAGE
   */
  async ingestBatch(
    bytes: Uint8Array,
    source: string,
    onProgress?: (verified: number, total: number) => void,
  ): Promise<IngestedBatch | BatchRefusal> {
    return new BatchIngestor(this.context, await this.verifyPool()).ingest(bytes, source, onProgress);
  }

  /** Verifies a batch without storing anything (first half of ingestBatch). @throws LedgerError WORKER */
  async verifyBatch(
    bytes: Uint8Array,
    source: string,
    onProgress?: (verified: number, total: number) => void,
  ): Promise<VerifiedBatch | BatchRefusal> {
    return new BatchIngestor(this.context, await this.verifyPool()).verify(bytes, source, onProgress);
  }

  /** Applies a verified batch (second half of ingestBatch). @throws LedgerError STORAGE */
  async applyBatch(batch: VerifiedBatch): Promise<IngestedBatch> {
    return new BatchIngestor(this.context, await this.verifyPool()).apply(batch);
  }

  /**
   * Registers a merchant (see scheme/terminal-enrolment.ts). @throws LedgerError BAD_REQUEST, MERCHANT_CONFLICT
   */
  addMerchant(merchant: NewMerchant): Promise<MerchantRecord> {
    return addMerchant(this.context, merchant);
  }

  /**
   * Issues a single-use, expiring enrolment code for a registered merchant (see scheme/terminal-enrolment.ts).
   * @throws LedgerError NOT_FOUND, TERMINAL_CONFLICT, BAD_REQUEST
   */
  inviteTerminal(invite: NewInvite): Promise<IssuedInvite> {
    return inviteTerminal(this.context, invite);
  }

  /**
   * Online enrolment: redeems an invite code and certifies the terminal's key for the invite's merchant.
   * @throws LedgerError UNAUTHORIZED, TERMINAL_CONFLICT, NOT_FOUND
   */
  enrolWithCode(code: string, request: OnlineEnrolmentRequest): Promise<TerminalRecord> {
    return enrolWithCode(this.context, code, request);
  }

  /**
   * The operator's enrolment of a terminal key for a registered merchant (CLI, trusted); naming an enrolled
   * terminal id replaces its certificate. @throws LedgerError BAD_REQUEST, NOT_FOUND, TERMINAL_CONFLICT
   */
  enrolTerminal(request: {
    readonly publicKey: Uint8Array;
    readonly merchantId: Uint8Array;
    readonly terminalId?: Uint8Array;
  }): Promise<TerminalRecord> {
    return enrolByOperator(this.context, request);
  }

  /** Revokes a terminal now: its uploads and load requests are refused from then on. @throws LedgerError NOT_FOUND */
  revokeTerminal(terminalId: Uint8Array): Promise<TerminalStatus> {
    return this.context.store.revokeTerminal(terminalId, this.context.clock());
  }

  /**
   * Authorizes an online load a load point asked for with a signed LoadRequest; its merchant is debited the amount
   * (see scheme/load-authorization.ts). @throws LedgerError UNKNOWN_ISSUER, STORAGE
   */
  authorizeLoad(signedRequest: Uint8Array): Promise<LoadAuthorizationResult> {
    return authorizeLoad(this.context, signedRequest);
  }

  /** Authorizes an online load at the issuer's own desk (no load point; see scheme/load-authorization.ts). @throws LedgerError UNKNOWN_ISSUER, STORAGE */
  authorizeDeskLoad(request: DeskLoadRequest): Promise<LoadAuthorizationResult> {
    return authorizeDeskLoad(this.context, request);
  }

  /** Records a card's load receipt (see scheme/load-authorization.ts). */
  recordLoadReceipt(bytes: Uint8Array): Promise<Verification<ReceiptOutcome>> {
    return recordLoadReceipt(this.context, bytes);
  }

  /**
   * Records delivered DoubleSpendEvidence (a terminal's proof, POST /v1/evidence): proven against this ledger's
   * trust anchors, it opens a fraud case (or finds the one open for that proof) and revokes the card (see
   * detect/reported-evidence.ts). @throws LedgerError STORAGE
   */
  recordEvidence(bytes: Uint8Array): Promise<Verification<RecordedCase>> {
    return recordReportedEvidence(this.context, bytes);
  }

  /**
   * The newest signed deny list (COSE_Sign1 bytes). A list signed more than DENY_LIST_REFRESH_SECONDS ago is
   * re-signed first, same sequence and entries with a fresh `issuedAt`: terminals age their list by that signed time,
   * so a network attacker replaying an old list cannot make it look current.
   */
  async denyList(): Promise<Uint8Array> {
    const { store, acquirer } = this.context;
    await publishRevocations(this.context);
    const latest = await store.latestDenyList();
    const now = this.context.clock();
    if (now - latest.issuedAt < DENY_LIST_REFRESH_SECONDS) return latest.bytes;
    const { cardIds } = decodeDenyList(decodeCoseSign1(latest.bytes, Limits.denyListBytes).payload);
    const bytes = signCoseSign1(
      acquirer.signer,
      encodeDenyList({ signer: acquirer.id, sequence: latest.sequence, issuedAt: now, cardIds }),
    );
    await store.refreshDenyList({ sequence: latest.sequence, issuedAt: now, bytes });
    return bytes;
  }

  /** The trust-anchor bundle (root, issuers, acquirers) for terminals. */
  async trustAnchorBundle(): Promise<Uint8Array> {
    const anchors = await this.context.store.trustAnchors();
    return encodeTrustAnchorBundle({ root: anchors.root, certificates: anchors.certificates });
  }

  /** Starts the verification workers now rather than on the first ingest (a server answers its first upload sooner). */
  async startWorkers(): Promise<void> {
    await this.verifyPool();
  }

  /** Stops the verification workers (the store stays open: its owner closes it). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await (await pool).close();
  }

  private async verifyPool(): Promise<VerifyPool> {
    const running = this.pool;
    if (running !== null) {
      const current = await running.catch(() => null);
      // A pool whose worker died fails every verification: replace it rather than refuse all further uploads.
      if (current !== null && !current.healthy && this.pool === running) {
        this.pool = null;
        await current.close();
      }
    }
    if (this.pool === null) {
      const anchors = this.context.trust;
      const started = VerifyPool.start(
        { root: anchors.root.cose.bytes, certificates: anchors.certificates().map((c) => c.cose.bytes) },
        this.workers === undefined ? {} : { size: this.workers },
      );
      // A failed start is not cached: the next ingest tries again.
      started.catch(() => {
        if (this.pool === started) this.pool = null;
      });
      this.pool = started;
    }
    return this.pool;
  }
}
