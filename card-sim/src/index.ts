/**
 * The software e-HKD purse card (`@ehkd/card-sim`): the applet, personalisation, tear-safe stores,
 * an in-process reader and issuer online helpers (the tear campaign is in `@ehkd/card-sim/testing`). Serving over a real PC/SC stack
 * lives in `@ehkd/card-sim/vpcd` (the vpcd client) and `serveCardFiles` (the purse on top of it).
 */
export { CardError, CardErrorCode, isPowerLoss, powerLost } from './card-error.js';
export { StorageOp, type CardStore, type StorageHook, type StorageStep } from './card-store.js';
export { MemoryCardStore } from './memory-card-store.js';
export { FileCardStore, createFileAtomically, type FileCardStoreOptions } from './file-card-store.js';
export { CARD_FILE_SIZE, HIGH_WATER_OFFSET, SECTOR_SIZE, SLOT_SIZE } from './journal-slot.js';
export { LOG_CAPACITY, MAX_STATE_BYTES, decodePurseState, encodePurseState, isLocked, publicState, type LogEntry, type PurseState } from './purse-state.js';
export { MAX_STATE_ANSWER_BYTES } from './purse-command-spec.js';
export { PurseApplet, type PurseAppletOptions } from './purse-applet.js';
export { DEFAULT_CARD_LIMITS, personalizeCard, type IssuerCredentials, type PersonalizeOptions, type PersonalizedCard } from './personalize-card.js';
export { loadCard, sendIssuerCommand, type ApduExchange, type IssuerOrder, type LoadOrder } from './issuer-online.js';
export { SimulatedReader } from './simulated-reader.js';
export { createSoftCard, type SoftCard, type SoftCardOptions } from './soft-card.js';
export { CardServing, serveCardFiles, type ServeCardFilesOptions, type ServedCard } from './serve-card-files.js';
export { cardReport, formatCardReport, type CardReport, type LogLine } from './card-report.js';
