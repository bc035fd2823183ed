import { toHex, verifyDenyList, type SignatureVerifier, type TrustStore } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import type { DenyListRecord } from '../store/config-store.js';
import { NextStep } from '../errors/next-step.js';

/** The denied card ids of the list in force, for a constant-time lookup per tap. */
export class DenySet {
  readonly #ids: ReadonlySet<string>;

  constructor(cardIds: readonly Uint8Array[]) {
    this.#ids = new Set(cardIds.map(toHex));
  }

  /** True if the card is denied. */
  has(cardId: Uint8Array): boolean {
    return this.#ids.has(toHex(cardId));
  }
}

/**
 * Verifies a received deny list: structure, signed by an acquirer in the trust store, and not older than the
 * sequence already held (a list never goes backwards).
 * @throws TerminalError TRUST_REJECTED with the failed check.
 * @example const { record, denied } = checkDenyList(bytes, trust, verifier, held?.sequence)
 */
export function checkDenyList(
  bytes: Uint8Array,
  trust: TrustStore,
  verifier: SignatureVerifier,
  heldSequence: number | undefined,
): { record: Omit<DenyListRecord, 'updatedAt'>; denied: DenySet } {
  const v = verifyDenyList(bytes, trust, verifier, heldSequence);
  if (!v.ok) {
    throw new TerminalError(TerminalErrorCode.TrustRejected, `deny list refused: ${v.reason}`, {
      next: NextStep.KeepDenyList,
      check: v.check,
    });
  }
  const p = v.value.payload;
  return {
    record: { bytes, sequence: p.sequence, issuedAt: p.issuedAt, entries: p.cardIds.length },
    denied: new DenySet(p.cardIds),
  };
}
