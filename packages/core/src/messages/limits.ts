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
  /** A load authorisation or issuer command (COSE_Sign1), sent as one short C-APDU. */
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
  batchResultBytes: 4 * 1024 * 1024,
  /** Double-spend evidence. */
  evidenceBytes: 64 * 1024,
  /** Receipts in one evidence. */
  evidenceReceipts: 64,
  /** Certificates in a trust-anchor bundle. */
  trustAnchorCertificates: 1024,
  /** Largest counter value (the card refuses value-changing commands past it). */
  maxCounter: 0xffffffff,
  /** Times are Unix seconds, unsigned 32-bit (until 2106). */
  maxTime: 0xffffffff,
  /** Names (issuer, acquirer, merchant) in certificates, in UTF-16 code units. */
  nameLength: 64,
  /** Human-readable reasons in batch results. */
  reasonLength: 200,
} as const;
