import {
  CodecError,
  TrustStore,
  bytesEqual,
  decodeTrustAnchorBundle,
  type SignatureVerifier,
  type TrustAnchorBundle,
} from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { NextStep } from '../errors/next-step.js';

/**
 * Opens and verifies a trust-anchor bundle: every certificate chains to its root, and that root is the one the
 * terminal pinned (compared by payload identity, so a re-encoded signature is still the same root).
 * @param pinnedRootId SHA-256 of the pinned root's payload; undefined only at first installation from a file.
 * @throws TerminalError TRUST_REJECTED with the failed check.
 * @example const trust = verifyTrustBundle(bytes, rootId, verifier)
 */
export function verifyTrustBundle(
  bytes: Uint8Array,
  pinnedRootId: Uint8Array | undefined,
  verifier: SignatureVerifier,
): TrustStore {
  let bundle: TrustAnchorBundle;
  try {
    bundle = decodeTrustAnchorBundle(bytes);
  } catch (e) {
    if (e instanceof CodecError) throw rejected(`the trust-anchor bundle is malformed: ${e.message}`, 'structure', e);
    throw e;
  }
  const created = TrustStore.create(bundle.root, bundle.certificates, verifier);
  if (!created.ok) throw rejected(`the trust-anchor bundle does not verify: ${created.reason}`, created.check);
  if (pinnedRootId !== undefined && !bytesEqual(created.value.root.id, pinnedRootId)) {
    throw rejected('the trust-anchor bundle is for another root than the one this terminal trusts', 'cert-chain');
  }
  return created.value;
}

function rejected(message: string, check: string, cause?: unknown): TerminalError {
  return new TerminalError(TerminalErrorCode.TrustRejected, message, { next: NextStep.GetTrustAnchors, check }, cause);
}
