import { verifyCoseSign1, type CoseSign1 } from '../cose/cose-sign1.js';
import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { bytesEqual, toHex } from '../ids/identifiers.js';
import { Role } from '../messages/certificate.js';
import { CheckId, fail, type Verification } from './check-id.js';
import type { TrustStore, VerifiedCertificate } from './trust-store.js';

/**
 * The checks every terminal-signed message gets, in this order: the terminal certificate it carries (role, chain,
 * validity at `now`, or expired less than `graceSeconds` ago), that the certificate is of the terminal the message
 * names, and the terminal's signature over the message. `what` names the message in the reasons ('batch').
 * @returns the terminal's verified certificate.
 * @example verifyTerminalSignature(opened.cose, batch.terminalCertificate, batch.terminalId, 'batch', trust, verifier, now)
 */
export function verifyTerminalSignature(
  cose: CoseSign1,
  terminalCertificate: Uint8Array,
  terminalId: Uint8Array,
  what: string,
  trust: TrustStore,
  verifier: SignatureVerifier,
  now: number,
  graceSeconds = 0,
): Verification<VerifiedCertificate> {
  const t = trust.verifyLeaf(terminalCertificate, Role.Terminal, verifier, now, graceSeconds);
  if (!t.ok) return t;
  if (!bytesEqual(t.value.payload.subject, terminalId))
    return fail(
      CheckId.CertChain,
      `${what} of terminal ${toHex(terminalId)} carries the certificate of ${toHex(t.value.payload.subject)}`,
    );
  if (!verifyCoseSign1(cose, t.value.payload.publicKey, verifier))
    return fail(CheckId.Signature, `the terminal signature on the ${what} does not verify`);
  return t;
}
