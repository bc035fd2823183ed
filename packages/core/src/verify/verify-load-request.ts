import { verifyCoseSign1 } from '../cose/cose-sign1.js';
import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { bytesEqual, toHex } from '../ids/identifiers.js';
import { Role } from '../messages/certificate.js';
import { Limits } from '../messages/limits.js';
import { decodeLoadRequest, type LoadRequest } from '../messages/load-request.js';
import type { Signed } from '../messages/signed-message.js';
import { CheckId, fail, pass, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';
import type { TrustStore, VerifiedCertificate } from './trust-store.js';

/** A load request whose load point signature and certificate chain verified. */
export interface VerifiedLoadRequest {
  readonly request: Signed<LoadRequest>;
  readonly terminal: VerifiedCertificate;
}

/**
 * Verifies a load request's envelope: structure, the load point's terminal certificate (role, chain, validity at
 * `now`: no grace, a load is online), that it is this terminal's request, and the terminal's signature. The card
 * certificate and challenge inside are checked by the issuer's authorisation, not here.
 * @example verifyLoadRequest(bytes, trust, verifier, Math.floor(Date.now() / 1000))
 */
export function verifyLoadRequest(bytes: Uint8Array, trust: TrustStore, verifier: SignatureVerifier, now: number): Verification<VerifiedLoadRequest> {
  const r = openOrFail(bytes, Limits.loadRequestBytes, decodeLoadRequest, 'load request');
  if (!r.ok) return r;
  const t = trust.verifyLeaf(r.value.payload.terminalCertificate, Role.Terminal, verifier, now);
  if (!t.ok) return t;
  if (!bytesEqual(t.value.payload.subject, r.value.payload.terminalId)) return fail(CheckId.CertChain, `load request of terminal ${toHex(r.value.payload.terminalId)} carries the certificate of ${toHex(t.value.payload.subject)}`);
  if (!verifyCoseSign1(r.value.cose, t.value.payload.publicKey, verifier)) return fail(CheckId.Signature, 'the terminal signature on the load request does not verify');
  return pass({ request: r.value, terminal: t.value });
}
