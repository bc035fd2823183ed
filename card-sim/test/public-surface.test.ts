/**
 * The public surface of @ehkd/card-sim is deliberate: each entry point of its exports map exports exactly these runtime names
 * (types are checked by the typecheck). A change here is a change of the package's API, made on purpose.
 */
import { describe, expect, it } from 'vitest';

const SURFACE: Readonly<Record<string, readonly string[]>> = {
  '@ehkd/card-sim': [
    'CARD_FILE_SIZE',
    'CardError',
    'CardErrorCode',
    'CardServing',
    'DEFAULT_CARD_LIMITS',
    'FileCardStore',
    'HIGH_WATER_OFFSET',
    'LOG_CAPACITY',
    'MAX_STATE_ANSWER_BYTES',
    'MAX_STATE_BYTES',
    'MemoryCardStore',
    'PurseApplet',
    'SECTOR_SIZE',
    'SLOT_SIZE',
    'SimulatedReader',
    'StorageOp',
    'cardReport',
    'createFileAtomically',
    'createSoftCard',
    'decodePurseState',
    'encodePurseState',
    'formatCardReport',
    'isLocked',
    'isPowerLoss',
    'loadCard',
    'personalizeCard',
    'powerLost',
    'publicState',
    'sendIssuerCommand',
    'serveCardFiles',
  ],
  '@ehkd/card-sim/vpcd': [
    'ForwardingCard',
    'FrameReader',
    'MAX_FRAME_PAYLOAD',
    'SIMULATOR_ATR',
    'VPCD_DEFAULT_PORT',
    'VpcdCardServer',
    'VpcdControl',
    'VpcdServerState',
    'contactlessAtr',
    'encodeFrame',
    'serveOverVpcd',
  ],
  '@ehkd/card-sim/testing': ['runTearCampaign'],
};

describe('the public surface of @ehkd/card-sim', () => {
  for (const [entry, names] of Object.entries(SURFACE)) {
    it(`${entry} exports exactly its list`, async () => {
      expect(Object.keys((await import(entry)) as Record<string, unknown>).sort()).toEqual([...names].sort());
    });
  }
});
