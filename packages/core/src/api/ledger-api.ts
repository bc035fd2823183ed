/**
 * The ledger's HTTP API (served by @ehkd/ledger, used by the terminal). Bodies marked CBOR are sent as
 * `application/cbor`; all binary messages are the exact COSE/CBOR bytes defined in docs/protocol.md.
 * Refusals are JSON `{ error, check?, reason }`: 400 malformed request, 401 bad enrolment code, 403 terminal not
 * enrolled or revoked, or card revoked, 409 terminal conflict, 429 too many failed enrolments, 413 body too large, 415 not CBOR, 422 failed verification (`check` names
 * the check id), 503 verification unavailable (retry later). See docs/protocol.md section 7.1.
 */
export const LedgerApi = {
  /** POST, body: UploadBatch COSE_Sign1 (CBOR). 200: BatchResult COSE_Sign1 signed by the acquirer. Idempotent per receipt. */
  batches: '/v1/batches',
  /** GET. 200: the newest DenyList COSE_Sign1. */
  denyList: '/v1/deny-list',
  /** GET. 200: TrustAnchorBundle (CBOR). */
  trustAnchors: '/v1/trust-anchors',
  /**
   * POST, body JSON { publicKey: hex (33-byte SEC1) } and nothing else, with header `authorization: Bearer <enrolment
   * code>` (a single-use invite from `ehkd-ledger terminal invite`, which names the merchant and optionally the
   * terminal id). 200 JSON { certificate: hex, acquirerId: hex, terminalId: hex, merchantId: hex, mcc, name }.
   * 401 for a missing, unknown, expired or used code; 429 after too many failed attempts.
   */
  enrolTerminal: '/v1/terminals',
  /**
   * POST, body: LoadRequest COSE_Sign1 (CBOR) signed by an enrolled load point, which is debited the amount in settlement.
   * 200: LoadAuthorization COSE_Sign1 signed by the card's issuer (CBOR). Idempotent per card challenge: the same request
   * again gets the same authorization.
   */
  authorizeLoad: '/v1/loads',
  /** POST, body: LoadReceipt COSE_Sign1 (CBOR). 200 JSON { status: 'accepted' | 'duplicate' | 'rejected' | 'double-spend', check?, reason? }. */
  loadReceipts: '/v1/load-receipts',
  /**
   * POST, body: DoubleSpendEvidence (CBOR, at most Limits.evidenceBytes), for example a terminal's proof that a card
   * signed two receipts for one counter. 200 JSON { caseId, created, revoked }: the case recorded (or the one
   * already open for that proof) and whether this delivery revoked the card. 422 when it does not prove a double
   * spend against this ledger's trust anchors (`check`). Idempotent.
   */
  evidence: '/v1/evidence',
  /** GET. 200 JSON { ok: true, time }. */
  health: '/v1/health',
} as const;

/** Content type of CBOR bodies. */
export const CBOR_CONTENT_TYPE = 'application/cbor';

/**
 * A terminal's certificate request: what `ehkd-terminal enrol --request` writes for an operator enrolling it offline
 * (`ehkd-ledger terminal enrol --public-key … --merchant …`), and what the terminal checks the certificate it is
 * given against. Online only `publicKey` is sent: the invite code decides the merchant and the terminal id.
 */
export interface EnrolmentRequest {
  /** The terminal's compressed SEC1 P-256 public key (33 bytes). */
  readonly publicKey: Uint8Array;
  /** The terminal id the merchant was given; the certificate must name it. */
  readonly terminalId?: Uint8Array;
  /** The merchant id the merchant was given; the certificate must name it. Name and MCC come from the operator's merchant record. */
  readonly merchantId?: Uint8Array;
}
