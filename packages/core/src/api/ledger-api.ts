/**
 * The ledger's HTTP API (served by @ehkd/ledger, used by the terminal). Bodies marked CBOR are sent as
 * `application/cbor`; all binary messages are the exact COSE/CBOR bytes defined in docs/protocol.md.
 * Refusals are JSON `{ error, check?, reason }`: 400 malformed request, 401 bad token, 403 terminal not enrolled
 * or card revoked, 409 terminal conflict, 413 body too large, 415 not CBOR, 422 failed verification (`check` names
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
   * POST, body JSON { publicKey: hex (33-byte SEC1), terminalId?: hex, merchantId: hex, mcc: number, name: string }
   * with header `authorization: Bearer <enrolment token>`. 200 JSON { certificate: hex, acquirerId: hex, terminalId: hex }.
   */
  enrolTerminal: '/v1/terminals',
  /**
   * POST, body: LoadRequest COSE_Sign1 (CBOR) signed by an enrolled load point, which is debited the amount in settlement.
   * 200: LoadAuthorization COSE_Sign1 signed by the card's issuer (CBOR). Idempotent per card challenge: the same request
   * again gets the same authorisation.
   */
  authorizeLoad: '/v1/loads',
  /** POST, body: LoadReceipt COSE_Sign1 (CBOR). 200 JSON { status: 'accepted' | 'duplicate' | 'rejected' | 'double-spend', check?, reason? }. */
  loadReceipts: '/v1/load-receipts',
  /** GET. 200 JSON { ok: true, time }. */
  health: '/v1/health',
} as const;

/** Content type of CBOR bodies. */
export const CBOR_CONTENT_TYPE = 'application/cbor';

/**
 * A terminal's enrolment request: the JSON body of POST /v1/terminals (bytes as hex, without the token), which is
 * also what `ehkd-terminal enrol --request` writes for offline enrolment and `ehkd-ledger terminal enrol` signs.
 */
export interface EnrolmentRequest {
  /** The terminal's compressed SEC1 P-256 public key (33 bytes). */
  readonly publicKey: Uint8Array;
  /** The terminal id asked for; the acquirer assigns a random one when absent. */
  readonly terminalId?: Uint8Array;
  readonly merchantId: Uint8Array;
  /** ISO 18245 merchant category code. */
  readonly mcc: number;
  /** Merchant display name (at most 64 bytes of UTF-8). */
  readonly name: string;
}
