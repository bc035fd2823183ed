import { EhkdError } from '@ehkd/core';

/** Stable codes of the card layer (the simulated secure element, its storage and its personalisation). */
export const CardErrorCode = {
  /**
   * Power was cut (a tear hook fired): the card stops at once and answers nothing. Raised only by
   * tear-injection hooks; the applet lets it through so that the transport sees a card that went silent.
   */
  PowerLost: 'CARD_POWER_LOST',
  /** A read, write, fsync or rename of the card's storage failed; the applet answers 6581. */
  StorageFailed: 'CARD_STORAGE_FAILED',
  /**
   * The card file is refused as damaged: no valid committed state, a wrong length, or slots that cannot prove they
   * hold the last released commit (`detail.reason` says which); the card never signs from such a file.
   */
  CorruptState: 'CARD_CORRUPT_STATE',
  /** A card file already exists where a new card was to be created. */
  FileExists: 'CARD_FILE_EXISTS',
  /** No card file at the given path. */
  FileNotFound: 'CARD_FILE_NOT_FOUND',
  /** The card file (it holds the card's private key) can be read or written by group or others; `detail.mode` has its bits. */
  FilePermissions: 'CARD_FILE_PERMISSIONS',
  /** Personalisation inputs are inconsistent (issuer certificate vs signer, limits, validity). */
  Personalisation: 'CARD_PERSONALISATION',
} as const;
export type CardErrorCode = (typeof CardErrorCode)[keyof typeof CardErrorCode];

/**
 * Why a card file was refused as damaged (CORRUPT_STATE): its length, no valid slot, both slots at one generation,
 * no intact high-water record, the last released commit lost, or a slot ahead of what any commit could write.
 */
export type DamageReason =
  'length' | 'no-state' | 'same-generation' | 'no-high-water' | 'released-commit-lost' | 'ahead-of-high-water';

/**
 * Error of the card layer; `detail.path` names the card file where there is one, `detail.reason` a damage,
 * `detail.mode` a file's permission bits.
 */
export class CardError extends EhkdError<
  CardErrorCode,
  { path?: string; reason?: DamageReason; size?: number; released?: number; mode?: number }
> {
  readonly layer = 'card';
}

/**
 * The error a tear hook throws to cut the card's power at that point.
 * @example onStep: (step) => { if (step.index === 3) throw powerLost(); }
 */
export function powerLost(): CardError {
  return new CardError(CardErrorCode.PowerLost, 'power cut by a tear hook');
}

/** True for the simulated power cut (`powerLost()`), which no layer may turn into an answer. */
export function isPowerLoss(error: unknown): boolean {
  return error instanceof CardError && error.code === CardErrorCode.PowerLost;
}
