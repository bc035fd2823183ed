import { CheckId, bytesEqual, toHex, type VerifiedCertificate } from '@ehkd/core';
import type { LedgerContext } from '../ledger-context.js';

/** A terminal allowed to act at this ledger, by its merchant; or why not (`cert-chain`: HTTP 403). */
export type EnrolledMerchant = { readonly ok: true; readonly merchantId: Uint8Array } | { readonly ok: false; readonly check: CheckId; readonly reason: string };

/**
 * Whether the terminal of an already verified certificate may upload or ask for loads here: enrolled at this ledger,
 * certified by this ledger's acquirer, with the key it enrolled. Its merchant is the certificate's (or the
 * enrolment record's). `what` names the message in the reason ('batch').
 * @throws LedgerError STORAGE
 */
export async function enrolledMerchant(ctx: LedgerContext, terminal: VerifiedCertificate, what: string): Promise<EnrolledMerchant> {
  const enrolled = await ctx.store.terminal(terminal.payload.subject);
  if (enrolled === undefined || !bytesEqual(terminal.payload.signer, ctx.acquirer.id)) {
    return { ok: false, check: CheckId.CertChain, reason: `terminal ${toHex(terminal.payload.subject)} is not enrolled at this ledger` };
  }
  if (!bytesEqual(enrolled.publicKey, terminal.payload.publicKey)) {
    return { ok: false, check: CheckId.CertChain, reason: `the ${what} carries a certificate of terminal ${toHex(enrolled.terminalId)} for another key than the one enrolled` };
  }
  return { ok: true, merchantId: (terminal.payload.terminal ?? enrolled).merchantId };
}
