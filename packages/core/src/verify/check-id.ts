/**
 * Stable identifiers of verification checks. A failed verification names exactly one, so that a cashier's
 * screen, a batch result and an auditor's report all say the same thing about why.
 */
export const CheckId = {
  /** The bytes are not a well-formed message of the expected type (CBOR, COSE or codec failure). */
  Structure: 'structure',
  /** The certificate's signer is unknown or has the wrong role, or the certificate's signature is invalid. */
  CertChain: 'cert-chain',
  /** The certificate has a role other than the one required here. */
  CertRole: 'cert-role',
  /** The certificate (or its signer's) is outside its validity period. */
  CertExpiry: 'cert-expiry',
  /** The card is on the deny list. */
  DenyList: 'deny-list',
  /** The object's signature does not verify under the key it must come from. */
  Signature: 'signature',
  /** The receipt names another card than the certificate presented with it. */
  Card: 'card',
  /** The receipt does not carry the terminal's nonce for this tap. */
  Nonce: 'nonce',
  /** The receipt's amount is not the amount asked. */
  Amount: 'amount',
  /** The currency is not the one asked, or not the card's. */
  Currency: 'currency',
  /**
   * A counter is not the one the card is bound to: a load receipt not at its authorization's counter + 1, a card
   * challenge whose counter is behind the card's chain as the ledger knows it, or (terminal, before PAY) a card
   * whose counter is behind a receipt of it the terminal holds, or at that receipt's counter while its newest logged
   * receipt is another one: a card file restored from an old copy, a copied card, or a clone.
   */
  Counter: 'counter',
  /** The receipt's payee is not this terminal (or not the uploading terminal). */
  Payee: 'payee',
  /** The deny list is older than the terminal allows, or older than one it already has. */
  DenyListAge: 'deny-list-age',
  /** The evidence does not prove the double spend it claims. */
  Evidence: 'evidence',
} as const;
export type CheckId = (typeof CheckId)[keyof typeof CheckId];

/** Outcome of a verification: the verified value, or the one check that failed and why. */
export type Verification<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly check: CheckId; readonly reason: string; readonly cause?: unknown };

/** A failed verification. */
export function fail(
  check: CheckId,
  reason: string,
  cause?: unknown,
): { readonly ok: false; readonly check: CheckId; readonly reason: string; readonly cause?: unknown } {
  return cause === undefined ? { ok: false, check, reason } : { ok: false, check, reason, cause };
}

/** A successful verification. */
export function pass<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}
