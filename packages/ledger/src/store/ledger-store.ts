/**
 * The ledger's storage: transactional I/O, no policy. The double-spend rules, fraud cases, revocations, load
 * settlement and deny-list signing are domain code (`detect/`, `scheme/`) that reads and writes through this
 * interface, so that every store behaves alike: `test/store-contract.test.ts` is the contract each one passes.
 * Implemented by SqliteLedgerStore (embedded, one writer at a time) and PostgresLedgerStore (several ledger
 * processes on one database).
 *
 * The card is the unit of consistency: `withCards` runs a transaction holding the locks of the cards it names
 * (taken in card-id order, so that two transactions never wait on each other in a cycle); transactions on disjoint
 * cards may run at the same time. Every method is async so that a networked database fits the same contract.
 */
export interface LedgerStore extends LedgerReports {
  /** Stable name of the implementation, e.g. 'sqlite'. */
  readonly kind: string;
  /**
   * How many cards the domain puts in one `withCards` transaction when it applies a batch: a store with one writer
   * takes the whole batch at once (one commit); a store with many writers bounds how long one upload holds a card.
   */
  readonly cardsPerTransaction: number;
  /** Records the scheme's trust anchors and the first (empty) signed deny list. @throws LedgerError ALREADY_INITIALISED */
  initialise(setup: SchemeSetup): Promise<void>;
  /** The root certificate and the issuer and acquirer certificates. @throws LedgerError NOT_INITIALISED */
  trustAnchors(): Promise<TrustAnchorRecord>;

  /**
   * Records a terminal as given, replacing any record of its id (fixtures and benchmarks set up terminals with it;
   * the ledger enrols through `enrolTerminal`).
   */
  putTerminal(terminal: TerminalRecord): Promise<void>;
  /** A terminal's enrolment record and whether it was revoked. */
  terminal(terminalId: Uint8Array): Promise<TerminalStatus | undefined>;
  /** Every enrolled terminal, by merchant then terminal id. */
  terminals(): Promise<TerminalStatus[]>;
  /**
   * Enrols a terminal in ONE transaction: reads what `grant` names (the invite and its merchant, or the merchant and
   * terminal id the operator named) and the terminal it would replace, lets `decide` check them and sign the
   * certificate (it throws to refuse), then records the terminal, replacing the named one, and marks the invite
   * used. Of two redemptions of one invite exactly one succeeds, however they interleave.
   * @throws LedgerError UNAUTHORIZED (unknown invite, or used by a concurrent redemption), TERMINAL_CONFLICT (a fresh
   * terminal id already taken), whatever `decide` throws, STORAGE
   */
  enrolTerminal(grant: EnrolmentGrant, decide: (found: EnrolmentFound) => TerminalRecord): Promise<TerminalRecord>;
  /**
   * Revokes a terminal: from now on its uploads and load requests are refused. Revoking twice keeps the first time.
   * @returns the terminal with its revocation time. @throws LedgerError NOT_FOUND
   */
  revokeTerminal(terminalId: Uint8Array, now: number): Promise<TerminalStatus>;

  /** Registers a merchant. @throws LedgerError MERCHANT_CONFLICT if the id is taken */
  putMerchant(merchant: MerchantRecord): Promise<void>;
  merchant(merchantId: Uint8Array): Promise<MerchantRecord | undefined>;
  /** Every registered merchant, by id. */
  merchants(): Promise<MerchantRecord[]>;
  /** Records an enrolment invite (only the hash of its code). @throws LedgerError NOT_FOUND (no such merchant) */
  putEnrolmentInvite(invite: EnrolmentInviteRecord): Promise<void>;

  /** A load authorization by id (what a card's load receipt names). */
  loadAuthorization(authorizationId: Uint8Array): Promise<LoadAuthorizationRecord | undefined>;

  /**
   * Runs `work` in ONE transaction that holds the locks of the cards in `cards` (certificates of cards not known yet
   * are recorded first; a card given by id only must be known): no other transaction changes those cards until this
   * one ends. Either everything `work` wrote is durable, or (it threw, or the process died) none of it is.
   * @throws LedgerError NOT_FOUND (a card given by id is unknown), whatever `work` throws, STORAGE
   */
  withCards<T>(
    cards: readonly (CardCertificateRecord | Uint8Array)[],
    work: (tx: CardTransaction) => Promise<T>,
  ): Promise<T>;

  /**
   * Publishes the revocations recorded by committed transactions that no deny list carries yet (the outbox), in ONE
   * transaction that no other publication runs beside: `sign` is given the next sequence and every denied card
   * (in card-id order) and returns the signed list, which is stored with those entries. Null when nothing waits.
   */
  publishDenyList(sign: (next: DenyListDraft) => Promise<DenyListVersion>): Promise<DenyListVersion | null>;
  /** The newest signed deny list. @throws LedgerError NOT_INITIALISED */
  latestDenyList(): Promise<DenyListVersion>;
  /** Replaces the bytes of deny-list version `sequence` with a re-signing of the same entries issued later (never earlier). */
  refreshDenyList(version: DenyListVersion): Promise<void>;

  close(): Promise<void>;
}

/**
 * A transaction holding the locks of some cards (`LedgerStore.withCards`). Reads see the transaction's own writes.
 * Every card id passed must be one of the locked cards.
 */
export interface CardTransaction {
  /** The state of a locked card as of this transaction. */
  card(cardId: Uint8Array): CardState;
  /** Stored receipts of locked cards at counters counter-1 .. counter+1 of each query (each receipt once). */
  neighbours(queries: readonly CounterQuery[]): Promise<StoredNeighbour[]>;
  /** Stores classified receipts. */
  insertReceipts(rows: readonly StoredReceipt[]): Promise<void>;
  /** Writes back the cards' running state (totals, chain tail, revocation, over-spend case, pending loads). */
  saveCards(cards: readonly CardState[]): Promise<void>;
  /** Records what became of load authorizations (executed by a receipt, or proven void by one). */
  settleLoads(settlements: readonly LoadSettlement[]): Promise<void>;
  /** Opens a fraud case. @returns its id */
  openCase(fraudCase: NewFraudCase): Promise<number>;
  /** The first case of this kind over exactly these counters of the card, if one is open. */
  caseOfProof(cardId: Uint8Array, kind: number, counters: readonly number[]): Promise<number | undefined>;
  /** Puts the card in the deny-list outbox: the next `publishDenyList` carries it. A card is denied once. */
  denyCard(cardId: Uint8Array, revokedAt: number, caseId: number): Promise<void>;
  /** Records one submission of a batch (the first creates the record; later ones count as replays). */
  recordBatch(batch: BatchSubmission): Promise<void>;
  /**
   * Records an issued load authorization of a locked card (the domain adds its amount to the card's state).
   * @throws LedgerError CHALLENGE_USED if the card's challenge was already authorized (one load per challenge)
   */
  putLoadAuthorization(authorization: LoadAuthorizationRecord): Promise<void>;
  /** The authorization issued for this card challenge, if any (a challenge is good for one load). */
  loadAuthorizationForChallenge(
    cardId: Uint8Array,
    challenge: Uint8Array,
  ): Promise<LoadAuthorizationRecord | undefined>;
  /** What evidence is built from. */
  issuerCertificate(issuerId: Uint8Array): Promise<Uint8Array | undefined>;
  /** COSE bytes of every load authorization of the card, by time then id. */
  cardLoadAuthorizations(cardId: Uint8Array): Promise<Uint8Array[]>;
  /** COSE bytes of the receipts that proved the card's void authorizations void. */
  voidingReceipts(cardId: Uint8Array): Promise<Uint8Array[]>;
  /** The card's largest primary payments, largest first. */
  largestPayments(cardId: Uint8Array, limit: number): Promise<{ bytes: Uint8Array; amount: number }[]>;
  /** A stored receipt's COSE bytes. */
  receiptBytes(cardId: Uint8Array, counter: number, id: Uint8Array): Promise<Uint8Array | undefined>;
  /** A load authorization's COSE bytes. */
  authorizationBytes(authorizationId: Uint8Array): Promise<Uint8Array | undefined>;
}

/** What the reports and the value audit read: no method writes (a read replica could serve it). */
export interface LedgerReports {
  card(cardId: Uint8Array): Promise<CardRecord | undefined>;
  /** Every card with its totals and latest known state, by id. */
  cards(): Promise<CardRecord[]>;
  /** A card's receipts in counter order (conflicting receipts next to the one they conflict with). */
  cardReceipts(cardId: Uint8Array): Promise<StoredReceipt[]>;
  /** Every stored receipt ordered by card then counter, for the value-conservation audit. */
  receiptsByCard(): AsyncIterable<StoredReceipt>;
  /** Per-merchant totals (credited, claims on issuers, merchant losses, loads sold). */
  merchantSettlement(): Promise<MerchantSettlementRow[]>;
  /** Load authorization totals per card (authorized amount and how much of it the card confirmed). */
  loadTotals(): Promise<LoadTotalsRow[]>;
  fraudCases(): Promise<FraudCaseRecord[]>;
  fraudCase(caseId: number): Promise<FraudCaseRecord | undefined>;
  batches(): Promise<BatchRecord[]>;
}

/** A card's running state, kept on its record and changed only under its lock. Amounts in minor units. */
export interface CardState extends CardCertificateRecord {
  /** Sum of the card's load authorizations, less the void ones. */
  authorized: number;
  /** Sum of the card's payments on its primary chain. */
  paid: number;
  /** Unix seconds of revocation, or null. */
  revokedAt: number | null;
  /** The fraud case over-spending payments of the card join, once one is open. */
  overSpendCase: number | null;
  /** The card's highest primary receipt (null before any). */
  tail: ChainLink | null;
  /** Authorizations neither executed nor proven void yet. */
  pendingLoads: PendingLoad[];
}

/** A stored receipt as the chain checks see it. */
export interface ChainLink {
  readonly id: Uint8Array;
  readonly counter: number;
  readonly prevHash: Uint8Array;
  readonly balanceAfter: number;
  readonly kind: ReceiptKind;
  readonly amount: number;
  readonly primary: boolean;
}

/** A stored receipt near a queried counter, with its card. */
export interface StoredNeighbour extends ChainLink {
  readonly cardId: Uint8Array;
}

/** Receipts of `cardId` at counter-1 .. counter+1. */
export interface CounterQuery {
  readonly cardId: Uint8Array;
  readonly counter: number;
}

/** An authorization not executed and not yet proven void: a receipt at counter + 1 decides which. */
export interface PendingLoad {
  readonly authorizationId: Uint8Array;
  /** The card counter the authorization binds. */
  readonly counter: number;
  readonly amount: number;
}

/** What became of a load authorization. */
export const LoadState = {
  /** Issued; no receipt at its counter + 1 yet. */
  Pending: 1,
  /** Its load receipt is on record at its counter + 1. */
  Executed: 2,
  /** The card's primary chain holds another receipt at its counter + 1: the card cannot have executed it. */
  Void: 3,
} as const;
export type LoadState = (typeof LoadState)[keyof typeof LoadState];

/** A load authorization executed or proven void by `receiptId`. */
export interface LoadSettlement {
  readonly authorizationId: Uint8Array;
  readonly state: typeof LoadState.Executed | typeof LoadState.Void;
  readonly receiptId: Uint8Array;
}

/** A fraud case to open. */
export interface NewFraudCase {
  readonly kind: number;
  readonly cardId: Uint8Array;
  readonly issuerId: Uint8Array;
  /** Counter values the evidence rests on, ascending. */
  readonly counters: readonly number[];
  readonly detectedAt: number;
  readonly receiptId: Uint8Array;
  readonly batchId: Uint8Array | null;
  readonly evidence: Uint8Array | null;
}

/** One submission of a batch, with the outcome counts of its receipts. */
export interface BatchSubmission extends BatchHeader {
  readonly receivedAt: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly doubleSpends: number;
}

/** The next deny list to sign: every denied card, in card-id order. */
export interface DenyListDraft {
  readonly sequence: number;
  readonly cardIds: readonly Uint8Array[];
}

/** What `initialise` records. */
export interface SchemeSetup {
  readonly root: Uint8Array;
  /** Issuer and acquirer certificates (COSE_Sign1 bytes), already verified against the root by the caller. */
  readonly anchors: readonly {
    readonly role: number;
    readonly subject: Uint8Array;
    readonly certificate: Uint8Array;
  }[];
  /** The first deny list (sequence 1, empty), signed by the acquirer. */
  readonly denyList: DenyListVersion;
}

/** The trust anchors as stored. */
export interface TrustAnchorRecord {
  readonly root: Uint8Array;
  readonly certificates: readonly Uint8Array[];
}

/** An enrolled terminal: the merchant it pays and its certificate (signed by this ledger's acquirer). */
export interface TerminalRecord {
  readonly terminalId: Uint8Array;
  readonly merchantId: Uint8Array;
  readonly mcc: number;
  /** Merchant display name from the certificate. */
  readonly name: string;
  readonly publicKey: Uint8Array;
  readonly certificate: Uint8Array;
  readonly enrolledAt: number;
}

/** An enrolment record with its standing: a revoked terminal's uploads and load requests are refused. */
export interface TerminalStatus extends TerminalRecord {
  /** Unix seconds of revocation (`ehkd-ledger terminal revoke`), or null. */
  readonly revokedAt: number | null;
}

/** A merchant the operator registered: the only source of the merchant fields of terminal certificates. */
export interface MerchantRecord {
  readonly merchantId: Uint8Array;
  /** Display name, 1..64 bytes of UTF-8 (the certificate's name). */
  readonly name: string;
  /** ISO 18245 merchant category code, 0..9999. */
  readonly mcc: number;
  readonly createdAt: number;
}

/** A single-use enrolment code the operator issued for one merchant (and optionally one terminal id). */
export interface EnrolmentInviteRecord {
  /** SHA-256 of the code's 16 bytes: the code itself is never stored. */
  readonly codeHash: Uint8Array;
  readonly merchantId: Uint8Array;
  /** The terminal id the enrolment gets (replacing that terminal's certificate if it is enrolled); null: a fresh id. */
  readonly terminalId: Uint8Array | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When it was redeemed, and the terminal it enrolled; null while unused. */
  readonly usedAt: number | null;
  readonly enrolledTerminalId: Uint8Array | null;
}

/**
 * What entitles an enrolment: an invite code (online, POST /v1/terminals), or the operator at the CLI naming the
 * merchant and optionally the terminal id. `freshTerminalId` is the id given when none is named.
 */
export type EnrolmentGrant =
  | {
      readonly via: 'invite';
      readonly codeHash: Uint8Array;
      readonly freshTerminalId: Uint8Array;
      readonly now: number;
    }
  | {
      readonly via: 'operator';
      readonly merchantId: Uint8Array;
      readonly terminalId: Uint8Array | null;
      readonly freshTerminalId: Uint8Array;
      readonly now: number;
    };

/** What an enrolment transaction found, for the enrolment policy to decide on. */
export interface EnrolmentFound {
  /** The invite redeemed (null for the operator's own enrolment). */
  readonly invite: EnrolmentInviteRecord | null;
  /** The merchant the certificate is for, if registered. */
  readonly merchant: MerchantRecord | undefined;
  /** The terminal id the certificate names: the invite's or the operator's, else the fresh one. */
  readonly terminalId: Uint8Array;
  /** The terminal of that id, if enrolled: the certificate the new one replaces. */
  readonly replaced: TerminalStatus | undefined;
}

/** A card certificate, verified against the trust anchors before it is stored. */
export interface CardCertificateRecord {
  readonly cardId: Uint8Array;
  readonly issuerId: Uint8Array;
  readonly currency: number;
  readonly certificate: Uint8Array;
}

/** A card as the ledger knows it (reports). Amounts in minor units. */
export interface CardRecord extends CardCertificateRecord {
  /** Sum of the load authorizations the issuer signed for the card, less the void ones (never executed). */
  readonly authorized: number;
  /** Sum of the card's payments on its primary chain (one per counter value), credited or flagged. */
  readonly paid: number;
  /** Unix seconds of revocation (the card is on the deny list), or null. */
  readonly revokedAt: number | null;
  /** Counter and balance after of the card's highest primary receipt (0 and 0 before any). */
  readonly lastCounter: number;
  readonly lastBalance: number;
}

/** An issued load authorization. */
export interface LoadAuthorizationRecord {
  /** SHA-256 of the authorization payload: what the card's load receipt names. */
  readonly authorizationId: Uint8Array;
  readonly loadId: Uint8Array;
  readonly cardId: Uint8Array;
  readonly amount: number;
  readonly currency: number;
  readonly time: number;
  /** The COSE_Sign1 bytes, kept as OverSpend evidence. */
  readonly bytes: Uint8Array;
  /** The card challenge it is bound to. */
  readonly challenge: Uint8Array;
  /**
   * The load point that asked for it (its signed LoadRequest) and that point's merchant, who took the customer's
   * money and is debited the amount in settlement; null for a load authorized at the issuer's own desk (CLI).
   */
  readonly terminalId: Uint8Array | null;
  readonly merchantId: Uint8Array | null;
  /** The card's counter the authorization binds (its key 7): its load receipt, if any, has counter + 1. */
  readonly cardCounter: number;
}

/** Kinds of stored receipts. */
export const ReceiptKind = { Pay: 1, Load: 2 } as const;
export type ReceiptKind = (typeof ReceiptKind)[keyof typeof ReceiptKind];

/** What became of a stored receipt. */
export const Disposition = {
  /** A payment credited to the merchant. */
  Credited: 1,
  /** A payment (or load) held back: it reveals a double spend, or was taken from a card after its revocation. */
  Flagged: 2,
  /** A load the card confirmed. */
  Loaded: 3,
} as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

/** Stable names of dispositions for output. */
export const DISPOSITION_NAME: Readonly<Record<Disposition, string>> = { 1: 'credited', 2: 'flagged', 3: 'loaded' };

/** Who carries the loss of a flagged payment (see detect/loss-attribution.ts). */
export const Liability = { Issuer: 1, Merchant: 2 } as const;
export type Liability = (typeof Liability)[keyof typeof Liability];

/** Stable names of liabilities for output. */
export const LIABILITY_NAME: Readonly<Record<Liability, string>> = { 1: 'issuer', 2: 'merchant' };

/** A card-signed receipt whose signature and certificate chain verified, ready to be applied. */
export interface VerifiedReceipt {
  /** SHA-256 of the payload: the receipt's identity. */
  readonly id: Uint8Array;
  /** The COSE_Sign1 bytes exactly as the card produced them. */
  readonly bytes: Uint8Array;
  readonly kind: ReceiptKind;
  readonly cardId: Uint8Array;
  readonly counter: number;
  readonly amount: number;
  readonly currency: number;
  readonly balanceAfter: number;
  readonly prevHash: Uint8Array;
  /** Terminal time of a payment (Unix seconds); for a load, the authorization's time. */
  readonly time: number;
  /** For a load receipt: the id of the authorization it executed. */
  readonly authorizationId?: Uint8Array;
  /** For a load receipt: the card counter that authorization binds (the receipt belongs at counter + 1). */
  readonly authorizedCounter?: number;
}

/** The uploading terminal and the batch envelope. */
export interface BatchHeader {
  readonly batchId: Uint8Array;
  readonly terminalId: Uint8Array;
  readonly merchantId: Uint8Array;
  readonly sequence: number;
  readonly createdAt: number;
  /** 'http' or 'file'. */
  readonly source: string;
  /** Receipts in the batch, verified or not. */
  readonly receiptCount: number;
}

/** One signed deny list. */
export interface DenyListVersion {
  readonly sequence: number;
  readonly issuedAt: number;
  /** COSE_Sign1 bytes. */
  readonly bytes: Uint8Array;
}

/** A stored receipt. */
export interface StoredReceipt extends VerifiedReceipt {
  /** True for the first receipt recorded for its (card, counter): the one the card's chain is read from. */
  readonly primary: boolean;
  readonly disposition: Disposition;
  readonly liability: Liability | null;
  readonly caseId: number | null;
  readonly terminalId: Uint8Array | null;
  readonly merchantId: Uint8Array | null;
  readonly batchId: Uint8Array | null;
  readonly ingestedAt: number;
}

/** Settlement of one merchant. Amounts in minor units. */
export interface MerchantSettlementRow {
  readonly merchantId: Uint8Array;
  readonly name: string;
  readonly currency: number;
  readonly terminals: number;
  readonly creditedCount: number;
  readonly creditedAmount: number;
  /** Flagged payments the card's issuer is liable for (payable once the issuer settles the claim). */
  readonly issuerClaimCount: number;
  readonly issuerClaimAmount: number;
  /** Flagged payments the merchant is liable for (taken from a card after revocation + grace). */
  readonly merchantLossCount: number;
  readonly merchantLossAmount: number;
  /** Loads the merchant's load points sold (authorized at their signed request): money the merchant owes the issuer. */
  readonly loadCount: number;
  readonly loadAmount: number;
  /** Loads sold that the card's chain proves it never executed (cut during LOAD): not debited. */
  readonly voidLoadCount: number;
  readonly voidLoadAmount: number;
}

/** Authorized and confirmed load totals of one card. */
export interface LoadTotalsRow {
  readonly cardId: Uint8Array;
  readonly authorizedCount: number;
  readonly authorizedAmount: number;
  /** Authorizations the card's chain proves it never executed (not in `authorized*`). */
  readonly voidCount: number;
  readonly voidAmount: number;
  /** Of `authorizedAmount`: the authorizations a load receipt on record executed at their counter + 1. */
  readonly executedAmount: number;
}

/** A detected double spend. */
export interface FraudCaseRecord {
  readonly caseId: number;
  /** EvidenceKind. */
  readonly kind: number;
  readonly cardId: Uint8Array;
  readonly issuerId: Uint8Array;
  /** Counter values the evidence rests on. */
  readonly counters: readonly number[];
  readonly detectedAt: number;
  /** The receipt whose arrival revealed the case. */
  readonly receiptId: Uint8Array;
  readonly batchId: Uint8Array | null;
  /** DoubleSpendEvidence bytes, verifiable by anyone with the root certificate (null only if core's limits cannot hold the proof). */
  readonly evidence: Uint8Array | null;
  /** Flagged payments attached to this case. */
  readonly flaggedCount: number;
  readonly flaggedAmount: number;
}

/** One uploaded batch (first submission; `submissions` counts replays). */
export interface BatchRecord {
  readonly batchId: Uint8Array;
  readonly terminalId: Uint8Array;
  readonly sequence: number;
  readonly createdAt: number;
  readonly source: string;
  readonly firstReceivedAt: number;
  readonly lastReceivedAt: number;
  readonly submissions: number;
  readonly receipts: number;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly doubleSpends: number;
}
