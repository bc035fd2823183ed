/**
 * The card's APDU command set (see docs/protocol.md, "APDU command set").
 * Shared by the applet (card-sim), the terminal and the ledger's load path so all agree on the bytes.
 */

/** Application identifier of the e-HKD offline purse: proprietary RID 'F0' + "eHKD" + version 01. */
export const PURSE_AID = Uint8Array.of(0xf0, 0x65, 0x48, 0x4b, 0x44, 0x01);

/** ISO 7816-4 interindustry class, used only for SELECT. */
export const CLA_ISO = 0x00;
/** Proprietary class of every purse command. */
export const CLA_PROPRIETARY = 0x80;

/** Instruction bytes. */
export const Ins = {
  /** SELECT by AID (CLA 00, P1 04, P2 00): answers card certificate + public state. */
  Select: 0xa4,
  /** PAY: data = PayCommand (CBOR); answers the signed pay receipt (COSE_Sign1). */
  Pay: 0x50,
  /** RECOVER: data = 16-byte terminal nonce; answers the receipt already signed for it, or 6A88. */
  Recover: 0x52,
  /** READ LOG: P1 = record number (1 = newest); answers that logged receipt, or 6A83. */
  ReadLog: 0x54,
  /** GET STATE: answers the public state (CBOR). */
  GetState: 0x5c,
  /** GET CHALLENGE: answers a CardChallenge (CBOR: fresh 16-byte challenge, card id, counter) for one LOAD or issuer command. */
  GetChallenge: 0x84,
  /** LOAD: data = issuer-signed LoadAuthorization (COSE_Sign1); answers the signed load receipt. */
  Load: 0x56,
  /** ISSUER COMMAND: data = issuer-signed IssuerCommand (COSE_Sign1); answers the new public state. */
  IssuerCommand: 0x58,
} as const;
export type Ins = (typeof Ins)[keyof typeof Ins];

/** Status words (SW1SW2 as one 16-bit number). Status words are data: compare numbers, never text. */
export const StatusWord = {
  Ok: 0x9000,
  /** ISO: wrong length (Lc/Le inconsistent with the command). */
  WrongLength: 0x6700,
  /** ISO: security status not satisfied (bad issuer signature, wrong challenge binding, wrong card). */
  SecurityStatusNotSatisfied: 0x6982,
  /** ISO: conditions of use not satisfied (application not selected, no pending challenge, counter exhausted). */
  ConditionsNotSatisfied: 0x6985,
  /** ISO: incorrect parameters in the data field (malformed or non-canonical CBOR, bad field). */
  WrongData: 0x6a80,
  /** ISO: file or application not found (SELECT of an unknown AID). */
  FileNotFound: 0x6a82,
  /** ISO: record not found (READ LOG past the end of the log). */
  RecordNotFound: 0x6a83,
  /** ISO: incorrect parameters P1-P2. */
  WrongP1P2: 0x6a86,
  /** ISO: referenced data not found (RECOVER of a nonce the card never signed). */
  ReferencedDataNotFound: 0x6a88,
  /** ISO: instruction code not supported. */
  InsNotSupported: 0x6d00,
  /** ISO: class not supported. */
  ClaNotSupported: 0x6e00,
  /** ISO: memory failure (a write did not complete; the operation was rolled back). */
  MemoryFailure: 0x6581,
  /** ISO: no precise diagnosis. */
  NoPreciseDiagnosis: 0x6f00,
  /** Purse: balance too low for the amount. */
  InsufficientFunds: 0x9f01,
  /** Purse: amount above the card's per-payment maximum. */
  AmountOverLimit: 0x9f02,
  /** Purse: consecutive offline payment cap reached; the card must go online (load or reset). */
  OfflineCountExceeded: 0x9f03,
  /** Purse: cumulative offline amount cap reached; the card must go online. */
  OfflineAmountExceeded: 0x9f04,
  /** Purse: the issuer locked the card. */
  CardLocked: 0x9f05,
  /** Purse: currency differs from the card's currency. */
  CurrencyMismatch: 0x9f06,
  /** Purse: this terminal nonce was already used; use RECOVER to fetch its receipt. */
  NonceReused: 0x9f07,
  /** Purse: a load would take the balance above the card's maximum balance. */
  BalanceLimitExceeded: 0x9f08,
} as const;
export type StatusWord = (typeof StatusWord)[keyof typeof StatusWord];

/** Stable name of a status word, for logs and JSON output (unknown words print as hex). */
export function statusWordName(sw: number): string {
  for (const [name, value] of Object.entries(StatusWord)) if (value === sw) return name;
  return `SW_${sw.toString(16).padStart(4, '0').toUpperCase()}`;
}
