import type { ReceiptOutcome, Signer } from '@ehkd/core';

/**
 * The ledger's storage, behind one interface so that a server database can replace the embedded one.
 * Implemented by SqliteLedgerStore (better-sqlite3, WAL). A PostgresLedgerStore (pg) is the planned second
 * implementation for operators who outgrow one machine; it is not built.
 *
 * Every method is async so that a networked database fits the same contract. The double-spend rules are not
 * storage code: `applyReceipts` implementations call the pure policy functions in `detect/` and only do I/O.
 */
export interface LedgerStore {
  /** Stable name of the implementation, e.g. 'sqlite'. */
  readonly kind: string;
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

  /** Records a card certificate the first time the card is seen (later certificates of a known card are ignored). */
  putCard(card: CardCertificateRecord): Promise<void>;
  card(cardId: Uint8Array): Promise<CardRecord | undefined>;

  /**
   * Records an issued load authorization and adds its amount to the card's authorized total, in one transaction.
   * @throws LedgerError CHALLENGE_USED if the card's challenge was already authorized (one load per challenge)
   */
  putLoadAuthorization(authorization: LoadAuthorizationRecord): Promise<void>;
  loadAuthorization(authorizationId: Uint8Array): Promise<LoadAuthorizationRecord | undefined>;
  /** The authorization issued for this card challenge, if any (a challenge is good for one load). */
  loadAuthorizationForChallenge(
    cardId: Uint8Array,
    challenge: Uint8Array,
  ): Promise<LoadAuthorizationRecord | undefined>;

  /**
   * Applies verified receipts in ONE transaction: deduplication by receipt id, double-spend detection against the
   * stored chains, crediting, fraud cases with evidence, revocations and (if any card was revoked) a newly signed
   * deny list, and the batch record. Either everything is durable or nothing is.
   */
  applyReceipts(input: ReceiptApplication, policy: ApplyPolicy): Promise<AppliedReceipts>;
  /**
   * Records a double spend proven by evidence delivered from outside an upload (POST /v1/evidence), in ONE
   * transaction: the card's certificate if the card is new, a fraud case with the evidence (unless a case of this
   * kind over the same counters of this card exists: the delivery is then answered with that case), the card's
   * revocation if it is not revoked yet, and a newly signed deny list with it. No receipt is stored or credited: the
   * evidence's receipts reach settlement only in the batches of the terminals they pay.
   */
  recordReportedCase(report: ReportedCase, policy: ApplyPolicy): Promise<RecordedCase>;

  /** The newest signed deny list. @throws LedgerError NOT_INITIALISED */
  latestDenyList(): Promise<DenyListVersion>;
  /** Replaces the bytes of deny-list version `sequence` with a re-signing of the same entries issued later (never earlier). */
  refreshDenyList(version: DenyListVersion): Promise<void>;

  /** Per-merchant totals (credited, claims on issuers, merchant losses). */
  merchantSettlement(): Promise<MerchantSettlementRow[]>;
  /** Every card with its totals and latest known state. */
  cards(): Promise<CardRecord[]>;
  /** A card's receipts in counter order (conflicting receipts next to the one they conflict with). */
  cardReceipts(cardId: Uint8Array): Promise<StoredReceipt[]>;
  /** Every stored receipt ordered by card then counter, for the value-conservation audit. */
  receiptsByCard(): AsyncIterable<StoredReceipt>;
  /** Load authorization totals per card (authorized amount and how much of it the card confirmed). */
  loadTotals(): Promise<LoadTotalsRow[]>;
  fraudCases(): Promise<FraudCaseRecord[]>;
  fraudCase(caseId: number): Promise<FraudCaseRecord | undefined>;
  batches(): Promise<BatchRecord[]>;
  close(): Promise<void>;
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

/** A card as the ledger knows it. Amounts in minor units. */
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

/** A batch (or a single load receipt) to apply. */
export interface ReceiptApplication {
  /** Identity of the upload batch (SHA-256 of its payload); null for a load receipt. */
  readonly batch: BatchHeader | null;
  /** Certificates of the cards of `receipts` (stored if new). */
  readonly cards: readonly CardCertificateRecord[];
  /** Verified receipts, in the order of the batch. */
  readonly receipts: readonly VerifiedReceipt[];
  /** Receipts of the batch rejected before reaching the store (counted in the batch record). */
  readonly rejectedCount: number;
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

/** What the store needs from the ledger to apply receipts. */
export interface ApplyPolicy {
  /** Unix seconds. */
  readonly now: number;
  /** How long after a revocation a terminal may still lack the new deny list (its maximum deny-list age). */
  readonly denyListGraceSeconds: number;
  /** The acquirer that signs deny lists. */
  readonly denyListSigner: { readonly id: Uint8Array; readonly signer: Signer };
}

/** The store's answer: one outcome per verified receipt, in input order. */
export interface AppliedReceipts {
  readonly outcomes: readonly ReceiptOutcome[];
  /** Fraud cases opened by this application. */
  readonly newCases: readonly number[];
  /** Cards revoked by this application. */
  readonly revoked: readonly Uint8Array[];
  /** The deny list signed because of those revocations. */
  readonly denyList: DenyListVersion | null;
}

/** A double spend proven by delivered evidence, already verified against the trust anchors. */
export interface ReportedCase {
  /** The card's certificate from the evidence (stored if the card is new). */
  readonly card: CardCertificateRecord;
  /** EvidenceKind. */
  readonly kind: number;
  /** The counters the proof rests on (ProvenDoubleSpend.counters). */
  readonly counters: readonly number[];
  /** The evidence's last receipt: the one the reporter saw revealing the double spend. */
  readonly receiptId: Uint8Array;
  /** The DoubleSpendEvidence bytes as delivered. */
  readonly evidence: Uint8Array;
}

/** What recording a reported case did. */
export interface RecordedCase {
  readonly caseId: number;
  /** False when a case over the same proof was already open (the delivery changed nothing). */
  readonly created: boolean;
  /** True when this delivery revoked the card. */
  readonly revoked: boolean;
  /** The deny list signed because of the revocation. */
  readonly denyList: DenyListVersion | null;
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
