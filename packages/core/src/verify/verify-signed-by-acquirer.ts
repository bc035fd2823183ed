import { verifyCoseSign1 } from '../cose/cose-sign1.js';
import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { bytesEqual, toHex } from '../ids/identifiers.js';
import { decodeBatchResult, type BatchResult } from '../messages/batch-result.js';
import { Role } from '../messages/certificate.js';
import { decodeDenyList, type DenyList } from '../messages/deny-list.js';
import { Limits } from '../messages/limits.js';
import type { Signed } from '../messages/signed-message.js';
import { CheckId, fail, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';
import type { TrustStore } from './trust-store.js';

/**
 * Verifies a deny list: structure, signed by an acquirer in the trust store, and (when `current` is given)
 * not older than the list the receiver already holds.
 * @example verifyDenyList(bytes, trust, verifier, currentSequence)
 */
export function verifyDenyList(
  bytes: Uint8Array,
  trust: TrustStore,
  verifier: SignatureVerifier,
  currentSequence?: number,
): Verification<Signed<DenyList>> {
  const r = openOrFail(bytes, Limits.denyListBytes, decodeDenyList, 'deny list');
  if (!r.ok) return r;
  const acquirer = trust.get(Role.Acquirer, r.value.payload.signer);
  if (acquirer === undefined)
    return fail(CheckId.CertChain, `deny list signed by unknown acquirer ${toHex(r.value.payload.signer)}`);
  if (!verifyCoseSign1(r.value.cose, acquirer.payload.publicKey, verifier))
    return fail(CheckId.Signature, 'deny list signature does not verify');
  if (currentSequence !== undefined && r.value.payload.sequence < currentSequence) {
    return fail(
      CheckId.DenyListAge,
      `deny list ${r.value.payload.sequence} is older than the one held (${currentSequence})`,
    );
  }
  return r;
}

/**
 * Verifies the ledger's answer to an upload: structure, signed by the terminal's acquirer, and about this batch.
 * @example verifyBatchResult(bytes, trust, acquirerId, batchId, verifier)
 */
export function verifyBatchResult(
  bytes: Uint8Array,
  trust: TrustStore,
  acquirerId: Uint8Array,
  batchId: Uint8Array,
  verifier: SignatureVerifier,
): Verification<Signed<BatchResult>> {
  const r = openOrFail(bytes, Limits.batchResultBytes, decodeBatchResult, 'batch result');
  if (!r.ok) return r;
  const acquirer = trust.get(Role.Acquirer, acquirerId);
  if (acquirer === undefined) return fail(CheckId.CertChain, `unknown acquirer ${toHex(acquirerId)}`);
  if (!verifyCoseSign1(r.value.cose, acquirer.payload.publicKey, verifier))
    return fail(CheckId.Signature, 'batch result signature does not verify');
  if (!bytesEqual(r.value.payload.batchId, batchId))
    return fail(CheckId.Structure, 'the batch result answers another batch');
  return r;
}
