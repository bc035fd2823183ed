import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { Limits } from '../messages/limits.js';
import { decodeLoadRequest, type LoadRequest } from '../messages/load-request.js';
import type { Signed } from '../messages/signed-message.js';
import { pass, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';
import type { TrustStore, VerifiedCertificate } from './trust-store.js';
import { verifyTerminalSignature } from './verify-terminal-signature.js';

/** A load request whose load point signature and certificate chain verified. */
export interface VerifiedLoadRequest {
  readonly request: Signed<LoadRequest>;
  readonly terminal: VerifiedCertificate;
}

/**
 * Verifies a load request's envelope: structure, the load point's terminal certificate (role, chain, validity at
 * `now`: no grace, a load is online), that it is this terminal's request, and the terminal's signature. The card
 * certificate and challenge inside are checked by the issuer's authorization, not here.
 * @example verifyLoadRequest(bytes, trust, verifier, Math.floor(Date.now() / 1000))
 */
export function verifyLoadRequest(
  bytes: Uint8Array,
  trust: TrustStore,
  verifier: SignatureVerifier,
  now: number,
): Verification<VerifiedLoadRequest> {
  const r = openOrFail(bytes, Limits.loadRequestBytes, decodeLoadRequest, 'load request');
  if (!r.ok) return r;
  const t = verifyTerminalSignature(
    r.value.cose,
    r.value.payload.terminalCertificate,
    r.value.payload.terminalId,
    'load request',
    trust,
    verifier,
    now,
  );
  return t.ok ? pass({ request: r.value, terminal: t.value }) : t;
}
