/**
 * The software e-HKD purse card (`@ehkd/card-sim`): the applet, personalisation, tear-safe stores,
 * an in-process reader and issuer online helpers (the tear campaign is in `@ehkd/card-sim/testing`). Serving over a real PC/SC stack
 * lives in `@ehkd/card-sim/vpcd` (the vpcd client) and `serveCardFiles` (the purse on top of it).
 */
export { CardError, CardErrorCode, isPowerLoss, powerLost } from './card-error.js';
export { StorageOp, type CardStore, type StorageHook, type StorageStep } from './storage/card-store.js';
export { MemoryCardStore } from './storage/memory-card-store.js';
export { FileCardStore, createFileAtomically, type FileCardStoreOptions } from './storage/file-card-store.js';
export { CARD_FILE_SIZE, HIGH_WATER_OFFSET, SECTOR_SIZE, SLOT_SIZE } from './storage/journal-slot.js';
export {
  LOG_CAPACITY,
  MAX_STATE_BYTES,
  decodePurseState,
  encodePurseState,
  isLocked,
  publicState,
  type LogEntry,
  type PurseState,
} from './applet/purse-state.js';
export { MAX_STATE_ANSWER_BYTES } from './applet/purse-command-spec.js';
export { PurseApplet, type PurseAppletOptions } from './applet/purse-applet.js';
export {
  DEFAULT_CARD_LIMITS,
  personalizeCard,
  type IssuerCredentials,
  type PersonalizeOptions,
  type PersonalizedCard,
} from './applet/personalize-card.js';
export {
  loadCard,
  sendIssuerCommand,
  type ApduExchange,
  type IssuerOrder,
  type LoadOrder,
} from './applet/issuer-online.js';
export { SimulatedReader } from './readers/simulated-reader.js';
export { createSoftCard, type SoftCard, type SoftCardOptions } from './applet/soft-card.js';
export {
  CardServing,
  serveCardFiles,
  type ServeCardFilesOptions,
  type ServedCard,
} from './readers/serve-card-files.js';
export { cardReport, formatCardReport, type CardReport, type LogLine } from './cli/card-report.js';
