/**
 * Brief "The card": every value-changing command is atomic against tearing. The exhaustive campaign
 * (src/tear-campaign.ts) cuts power before and after every storage step of every PAY, LOAD and ISSUER
 * COMMAND action, tears sectors and loses unsynced writes, then reopens the card from disk each time.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CardError,
  FileCardStore,
  HIGH_WATER_OFFSET,
  SECTOR_SIZE,
  SLOT_SIZE,
  decodePurseState,
  encodePurseState,
  StorageOp,
  type CardStore,
  type PurseState,
  type StorageHook,
} from '../src/index.js';
import { encodeHighWater, parseSlot } from '../src/storage/journal-slot.js';
import { runTearCampaign, type CampaignStorage } from '../src/testing/tear-campaign.js';

/**
 * A store WITHOUT a journal: the state is rewritten in place, sector by sector. It is what the campaign
 * must catch; if it passed, the campaign would prove nothing.
 */
class InPlaceStore implements CardStore {
  constructor(
    private readonly path: string,
    private readonly onStep: StorageHook | undefined,
  ) {}

  load(): PurseState {
    const bytes = new Uint8Array(readFileSync(this.path));
    const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    return decodePurseState(bytes.subarray(4, 4 + length));
  }

  commit(state: PurseState): void {
    const encoded = encodePurseState(state);
    const image = new Uint8Array(4 + encoded.length);
    new DataView(image.buffer).setUint32(0, encoded.length);
    image.set(encoded, 4);
    const fd = openSync(this.path, 'r+');
    try {
      let index = 0;
      for (let offset = 0; offset < image.length; offset += 512) {
        const length = Math.min(512, image.length - offset);
        const step = { op: StorageOp.Write, index: index++, path: this.path, offset, length };
        this.onStep?.({ ...step, phase: 'before' });
        writeSync(fd, image, offset, length, offset);
        this.onStep?.({ ...step, phase: 'after' });
      }
      this.onStep?.({ op: StorageOp.Fsync, index, path: this.path, phase: 'before' });
      fdatasyncSync(fd);
      this.onStep?.({ op: StorageOp.Fsync, index, path: this.path, phase: 'after' });
    } finally {
      closeSync(fd);
    }
  }

  close(): void {}
}

const inPlace: CampaignStorage = {
  create(path, state, onStep) {
    closeSync(openSync(path, 'wx'));
    const store = new InPlaceStore(path, onStep);
    store.commit(state);
    return store;
  },
  open: (path, onStep) => new InPlaceStore(path, onStep),
};

/**
 * The journal as it was before the high-water record: a damaged newest slot silently hands the card its previous
 * state. It stands for any design the damage campaign must catch.
 */
const fallingBack: CampaignStorage = {
  create: (path, state, onStep) => FileCardStore.create(path, state, onStep === undefined ? {} : { onStep }),
  open(path, onStep) {
    const options = onStep === undefined ? {} : { onStep };
    try {
      return FileCardStore.open(path, options);
    } catch (e) {
      if (!(e instanceof CardError && e.detail?.reason === 'released-commit-lost')) throw e;
      // Forget the released commit: high-water records that claim only the older slot's generation.
      const image = new Uint8Array(readFileSync(path));
      const older = Math.max(
        ...[parseSlot(image.subarray(0, SLOT_SIZE)), parseSlot(image.subarray(SLOT_SIZE, 2 * SLOT_SIZE))].map(
          (s) => s?.generation ?? 0,
        ),
      );
      const mark = encodeHighWater({ generation: older, counter: 0 });
      image.set(mark, HIGH_WATER_OFFSET);
      image.set(mark, HIGH_WATER_OFFSET + SECTOR_SIZE);
      writeFileSync(path, image);
      return FileCardStore.open(path, options);
    }
  },
};

describe('tearing', () => {
  // spec R8 (never two released receipts for one counter) and R9 (exactly before or after, at every tear point).
  it('leaves the card exactly before or exactly after every operation, at every tear point', () => {
    const started = performance.now();
    const result = runTearCampaign();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `tear campaign: ${result.tearPoints} tear points and ${result.ioFailures} storage failures covered in ${seconds} s`,
      result.byOperation,
    );
    expect(result.violations).toEqual([]);
    // Every operation was torn at each step of its commit (at least one write and one fsync: 2 x 2 + 3).
    for (const [op, points] of Object.entries(result.byOperation)) expect(points, op).toBeGreaterThanOrEqual(7);
    expect(Object.keys(result.byOperation)).toEqual(
      expect.arrayContaining([
        'PAY (fresh)',
        'LOAD (full log)',
        'ISSUER Lock',
        'ISSUER Unlock',
        'ISSUER ResetOfflineCounters',
        'ISSUER UpdateLimits',
      ]),
    );
    expect(result.tearPoints).toBeGreaterThan(100);
    expect(result.ioFailures).toBeGreaterThan(30);
    // Every damage class on every base card; most are refused, the rest (older slot, one high-water copy) recover.
    console.log(`damage campaign: ${result.damages} damaged card files, ${result.refusedDamages} refused as damaged`);
    expect(result.damages).toBeGreaterThan(250);
    expect(result.refusedDamages).toBeGreaterThan(200);
    expect(result.refusedDamages).toBeLessThan(result.damages);
  });

  it('catches a journal that falls back to its older slot when the newest one is damaged (the damage campaign can fail)', () => {
    const result = runTearCampaign({ storage: fallingBack });
    expect(result.violations.some((v) => /fell back to counter|two different released receipts/.test(v))).toBe(true);
  });

  it('catches a store that rewrites its state in place (the campaign can fail)', () => {
    const result = runTearCampaign({ storage: inPlace });
    expect(result.violations.length).toBeGreaterThan(0);
    expect(result.violations.some((v) => /neither exactly before nor exactly after|does not boot/.test(v))).toBe(true);
  });
});
