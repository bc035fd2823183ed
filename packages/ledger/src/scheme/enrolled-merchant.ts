import { CheckId, Limits, bytesEqual, decodeCoseSign1, sha256, toHex, type VerifiedCertificate } from '@ehkd/core';
import type { LedgerContext } from '../ledger-context.js';

/** A terminal allowed to act at this ledger, by its merchant; or why not (`cert-chain`: HTTP 403). */
export type EnrolledMerchant =
  | { readonly ok: true; readonly merchantId: Uint8Array }
  | { readonly ok: false; readonly check: CheckId; readonly reason: string };

/**
 * Whether the terminal of an already verified certificate may upload or ask for loads here: enrolled at this ledger,
 * not revoked, certified by this ledger's acquirer with the certificate of its current enrolment (a re-enrolment
 * replaces the certificate, and the replaced one is refused even for the same key). Its merchant is the
 * certificate's. `what` names the message in the reason ('batch').
 * @throws LedgerError STORAGE
 * @example const merchant = await enrolledMerchant(ctx, envelope.terminal, 'batch'); if (!merchant.ok) return 403
 */
export async function enrolledMerchant(
  ctx: LedgerContext,
  terminal: VerifiedCertificate,
  what: string,
): Promise<EnrolledMerchant> {
  const enrolled = await ctx.store.terminal(terminal.payload.subject);
  if (enrolled === undefined || !bytesEqual(terminal.payload.signer, ctx.acquirer.id)) {
    return {
      ok: false,
      check: CheckId.CertChain,
      reason: `terminal ${toHex(terminal.payload.subject)} is not enrolled at this ledger`,
    };
  }
  const id = toHex(enrolled.terminalId);
  if (enrolled.revokedAt !== null) {
    return {
      ok: false,
      check: CheckId.CertChain,
      reason: `terminal ${id} was revoked at ${new Date(enrolled.revokedAt * 1000).toISOString()}: a revoked terminal's ${what} is refused`,
    };
  }
  if (!bytesEqual(enrolled.publicKey, terminal.payload.publicKey)) {
    return {
      ok: false,
      check: CheckId.CertChain,
      reason: `the ${what} carries a certificate of terminal ${id} for another key than the one enrolled`,
    };
  }
  // Identity of a certificate is its payload hash (as for receipts): a re-encoded signature is the same certificate.
  if (!bytesEqual(sha256(decodeCoseSign1(enrolled.certificate, Limits.certificateBytes).payload), terminal.id)) {
    return {
      ok: false,
      check: CheckId.CertChain,
      reason: `the ${what} carries a certificate of terminal ${id} that a later enrolment replaced`,
    };
  }
  return { ok: true, merchantId: enrolled.merchantId };
}
