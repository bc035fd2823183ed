/**
 * Brief "The card": every value-changing command is atomic against tearing. The exhaustive campaign
 * (src/tear-campaign.ts) cuts power before and after every storage step of every PAY, LOAD and ISSUER
 * COMMAND action, tears sectors and loses unsynced writes, then reopens the card from disk each time.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePurseState, encodePurseState, StorageOp, type CardStore, type PurseState, type StorageHook } from '../src/index.js';
import { runTearCampaign, type CampaignStorage } from '../src/tear-campaign.js';

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

describe('tearing', () => {
  it('leaves the card exactly before or exactly after every operation, at every tear point', () => {
    const started = performance.now();
    const result = runTearCampaign();
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`tear campaign: ${result.tearPoints} tear points and ${result.ioFailures} storage failures covered in ${seconds} s`, result.byOperation);
    expect(result.violations).toEqual([]);
    // Every operation was torn at each step of its commit (at least one write and one fsync: 2 x 2 + 3).
    for (const [op, points] of Object.entries(result.byOperation)) expect(points, op).toBeGreaterThanOrEqual(7);
    expect(Object.keys(result.byOperation)).toEqual(expect.arrayContaining(['PAY (fresh)', 'LOAD (full log)', 'ISSUER Lock', 'ISSUER Unlock', 'ISSUER ResetOfflineCounters', 'ISSUER UpdateLimits']));
    expect(result.tearPoints).toBeGreaterThan(100);
    expect(result.ioFailures).toBeGreaterThan(30);
  });

  it('catches a store that rewrites its state in place (the campaign can fail)', () => {
    const result = runTearCampaign({ storage: inPlace });
    expect(result.violations.length).toBeGreaterThan(0);
    expect(result.violations.some((v) => /neither exactly before nor exactly after|does not boot/.test(v))).toBe(true);
  });
});
