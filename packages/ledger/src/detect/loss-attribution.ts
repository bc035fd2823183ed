import { Liability } from '../store/ledger-store.js';

/**
 * Who carries the loss of a flagged payment. The rule (packages/ledger/README.md, "Who carries the loss"):
 * - A genuine payment that is the first the ledger sees for its (card, counter), fits the card's chain and stays
 *   within the card's authorized loads is credited to the merchant, whatever is discovered about the card later.
 * - A payment that reveals a double spend is flagged and not credited: the value it claims was never loaded.
 *   The card's issuer is liable when the terminal took it (receipt time) no later than the card's revocation plus
 *   the grace period terminals have to fetch the new deny list: the issuer's certificate vouched for a card that
 *   was cloned or whose key leaked, and the evidence lets the acquirer claim the amount from the issuer.
 * - After revocation + grace the merchant (its acquirer) is liable: its terminal accepted a card that was on a
 *   deny list it was obliged to hold. The same applies to non-fraudulent payments taken from a revoked card then.
 * `revokedAt` is the card's revocation before this receipt was applied (null if this receipt causes it).
 * @example liabilityFor(receipt.time, card.revokedAt, 86_400)
 */
export function liabilityFor(receiptTime: number, revokedAt: number | null, graceSeconds: number): Liability {
  return revokedAt === null || receiptTime <= revokedAt + graceSeconds ? Liability.Issuer : Liability.Merchant;
}
