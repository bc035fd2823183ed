import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { MapReader, checkBytes } from '../codec/map-reader.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/**
 * What the evidence proves. Every kind is provable from card-signed receipts alone, except OverSpend, which also
 * needs the issuer's signed load authorizations (and is as complete as the issuer's disclosure), and
 * MisplacedLoad, which needs the one authorization the load receipt names.
 */
export const EvidenceKind = {
  /** Two receipts of one card with one counter value and different payloads. */
  ConflictingCounter: 1,
  /** Receipts n and n+1 of one card where n+1's prevHash is not the hash of n. */
  ChainFork: 2,
  /** Receipts n and n+1 of one card, linked by hash, whose balances do not add up. */
  BalanceMismatch: 3,
  /** Distinct signed payments whose total exceeds everything the issuer authorized to load. */
  OverSpend: 4,
  /** A receipt with counter 1 that does not start the chain (prevHash not the genesis hash, or balance before not 0). */
  BadGenesis: 5,
  /**
   * A load receipt that executes an authorization at a counter other than the authorization's counter + 1: a
   * genuine card executes an authorization only at the counter it binds, and so at most once.
   */
  MisplacedLoad: 6,
} as const;
export type EvidenceKind = (typeof EvidenceKind)[keyof typeof EvidenceKind];

/** Stable names of evidence kinds for output. */
export const EVIDENCE_KIND_NAME: Readonly<Record<EvidenceKind, string>> = {
  [EvidenceKind.ConflictingCounter]: 'conflicting-counter',
  [EvidenceKind.ChainFork]: 'chain-fork',
  [EvidenceKind.BalanceMismatch]: 'balance-mismatch',
  [EvidenceKind.OverSpend]: 'over-spend',
  [EvidenceKind.BadGenesis]: 'bad-genesis',
  [EvidenceKind.MisplacedLoad]: 'misplaced-load',
};

/** Double-spend evidence (message type 10): self-contained, verifiable by anyone holding the root certificate. */
export interface DoubleSpendEvidence {
  readonly kind: EvidenceKind;
  /** The card's certificate (COSE_Sign1 bytes). */
  readonly cardCertificate: Uint8Array;
  /** The card issuer's certificate (COSE_Sign1 bytes), chaining to the root. */
  readonly issuerCertificate: Uint8Array;
  /** The card-signed receipts (COSE_Sign1 bytes) that prove the claim. */
  readonly receipts: readonly Uint8Array[];
  /** Issuer-signed load authorizations (COSE_Sign1 bytes), for OverSpend and MisplacedLoad only. */
  readonly loadAuthorizations: readonly Uint8Array[];
}

/** Encodes evidence. */
export function encodeDoubleSpendEvidence(e: DoubleSpendEvidence): Uint8Array {
  return encodeCbor(
    new Map<number, CborValue>([
      [0, MessageType.DoubleSpendEvidence],
      [1, e.kind],
      [2, e.cardCertificate],
      [3, e.issuerCertificate],
      [4, [...e.receipts]],
      [5, [...e.loadAuthorizations]],
    ]),
  );
}

/** Decodes evidence (nested objects stay bytes until verified). @throws CodecError */
export function decodeDoubleSpendEvidence(bytes: Uint8Array): DoubleSpendEvidence {
  const r = new MapReader(
    decodePayload(bytes, Limits.evidenceBytes, 'DoubleSpendEvidence', { maxItems: Limits.evidenceReceipts }),
    'DoubleSpendEvidence',
  );
  r.messageType(MessageType.DoubleSpendEvidence);
  const cert = { min: 1, max: Limits.certificateBytes };
  const e = {
    kind: r.uint(1, EvidenceKind.MisplacedLoad, EvidenceKind.ConflictingCounter) as EvidenceKind,
    cardCertificate: r.bytes(2, cert),
    issuerCertificate: r.bytes(3, cert),
    receipts: r.array(4, Limits.evidenceReceipts, (v, p) => checkBytes(v, { min: 1, max: Limits.receiptBytes }, p), 1),
    loadAuthorizations: r.array(5, Limits.evidenceReceipts, (v, p) =>
      checkBytes(v, { min: 1, max: Limits.issuerMessageBytes }, p),
    ),
  };
  r.done();
  return e;
}
