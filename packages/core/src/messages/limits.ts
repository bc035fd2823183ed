/**
 * Size and range limits of every message. Checked before decoding (sizes) and by the codecs (values).
 * docs/protocol.md section "Limits" mirrors this file.
 */
export const Limits = {
  /** A certificate (COSE_Sign1) of any role. */
  certificateBytes: 400,
  /** A pay or load receipt (COSE_Sign1): must fit one short R-APDU with its status word. */
  receiptBytes: 254,
  /** PAY command data. */
  payCommandBytes: 128,
  /** A load authorization or issuer command (COSE_Sign1), sent as one short C-APDU. */
  issuerMessageBytes: 255,
  /** SELECT response data (certificate + state): must fit one short R-APDU with its status word. */
  selectResponseBytes: 254,
  /** A deny list (COSE_Sign1). */
  denyListBytes: 2 * 1024 * 1024,
  /** Entries in a deny list. */
  denyListEntries: 200_000,
  /** An upload batch (COSE_Sign1). */
  batchBytes: 8 * 1024 * 1024,
  /** Receipts in one upload batch. */
  batchReceipts: 20_000,
  /** Card certificates in one upload batch. */
  batchCardCertificates: 20_000,
  /** A batch result (COSE_Sign1). */
  batchResultBytes: 8 * 1024 * 1024,
  /** Double-spend evidence. */
  evidenceBytes: 512 * 1024,
  /** Receipts in one evidence. */
  evidenceReceipts: 1024,
  /** Certificates in a trust-anchor bundle. */
  trustAnchorCertificates: 1024,
  /** Largest counter value (the card refuses value-changing commands past it). */
  maxCounter: 0xffffffff,
  /** Times are Unix seconds, unsigned 32-bit (until 2106). */
  maxTime: 0xffffffff,
  /** Names (root, issuer, acquirer, merchant) in certificates, in UTF-8 bytes. */
  nameLength: 64,
  /** Human-readable reasons in batch results, in UTF-8 bytes. */
  reasonLength: 200,
  /** Check ids and evidence kind names in batch results, in UTF-8 bytes. */
  checkLength: 32,
  /** A terminal-signed load request (COSE_Sign1): two certificates, the card's challenge and a few integers. */
  loadRequestBytes: 1024,
  /** GET CHALLENGE answer. */
  cardChallengeBytes: 64,
  /**
   * Largest amount, balance or limit a card or its certificate may hold: 2^32 - 1 minor units (HK$42.9 million).
   * Keeps every card-side integer within 5 bytes, so SELECT's answer provably fits one short R-APDU.
   */
  maxCardAmount: 0xffffffff,
} as const;
