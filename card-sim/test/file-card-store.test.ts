/**
 * The card file: a two-slot journal with checksums (src/journal-slot.ts, src/file-card-store.ts).
 * Creation, reopening, slot alternation, damaged slots, storage failures (6581, state unchanged) and the
 * double fault (the card goes mute until it is power-cycled).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusWord, parseResponseApdu, purseApdus } from '@ehkd/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CARD_FILE_SIZE,
  CardError,
  CardErrorCode,
  FileCardStore,
  HIGH_WATER_OFFSET,
  PurseApplet,
  SECTOR_SIZE,
  SLOT_SIZE,
  StorageOp,
  encodePurseState,
  personalizeCard,
  type StorageStep,
} from '../src/index.js';
import { loadCard } from '../src/applet/issuer-online.js';
import { hex, issuer, payCommand } from './support/card-fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ehkd-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const personalised = personalizeCard({ issuer, seed: new Uint8Array(32).fill(4) });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof CardError ? e.code : String(e);
  }
}

async function loadedCard(
  path: string,
  onStep?: (s: StorageStep) => void,
): Promise<{ applet: PurseApplet; store: FileCardStore }> {
  FileCardStore.create(path, personalised.state).close();
  const store = FileCardStore.open(path, onStep === undefined ? {} : { onStep });
  const applet = new PurseApplet(store);
  expect((await loadCard((c) => applet.process(c), issuer.signer, { amount: 50_000 })).sw).toBe(StatusWord.Ok);
  return { applet, store };
}

describe('FileCardStore', () => {
  it('creates a two-slot file readable only by its owner, and reopens it to the same state', () => {
    const path = join(dir, 'a.card');
    FileCardStore.create(path, personalised.state).close();
    expect(statSync(path).size).toBe(CARD_FILE_SIZE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const store = FileCardStore.open(path);
    expect(hex(encodePurseState(store.load()))).toBe(hex(encodePurseState(personalised.state)));
    store.close();
  });

  it('never replaces an existing card file, and reports missing and damaged files', () => {
    const path = join(dir, 'a.card');
    FileCardStore.create(path, personalised.state).close();
    expect(codeOf(() => FileCardStore.create(path, personalised.state))).toBe(CardErrorCode.FileExists);
    expect(codeOf(() => FileCardStore.open(join(dir, 'missing.card')))).toBe(CardErrorCode.FileNotFound);
    writeFileSync(join(dir, 'junk.card'), new Uint8Array(CARD_FILE_SIZE).fill(0x42), { mode: 0o600 });
    expect(codeOf(() => FileCardStore.open(join(dir, 'junk.card')))).toBe(CardErrorCode.CorruptState);
    writeFileSync(join(dir, 'empty.card'), new Uint8Array(0), { mode: 0o600 });
    expect(codeOf(() => FileCardStore.open(join(dir, 'empty.card')))).toBe(CardErrorCode.CorruptState);
  });

  it('writes each commit into the other slot, sector by sector, then an fdatasync, then the two high-water copies each synced', async () => {
    const steps: StorageStep[] = [];
    const { applet } = await loadedCard(join(dir, 'a.card'), (s) => {
      if (s.phase === 'before') steps.push(s);
    });
    const regionOf = (s: StorageStep): string =>
      s.offset! >= HIGH_WATER_OFFSET
        ? `mark ${(s.offset! - HIGH_WATER_OFFSET) / SECTOR_SIZE}`
        : `slot ${Math.floor(s.offset! / SLOT_SIZE)}`;
    const firstSlot = steps.filter((s) => s.op === StorageOp.Write).map(regionOf);
    expect([...new Set(firstSlot)]).toEqual(['slot 1', 'mark 0', 'mark 1']);
    expect(steps.slice(-4).map((s) => s.op)).toEqual([
      StorageOp.Write,
      StorageOp.Fsync,
      StorageOp.Write,
      StorageOp.Fsync,
    ]);
    steps.length = 0;
    applet.process(purseApdus.select());
    expect(parseResponseApdu(applet.process(purseApdus.pay(payCommand(100)))).sw).toBe(StatusWord.Ok);
    const secondSlot = steps.filter((s) => s.op === StorageOp.Write);
    expect([...new Set(secondSlot.map(regionOf))]).toEqual(['slot 0', 'mark 0', 'mark 1']);
    expect(secondSlot.every((s) => s.length! <= 512)).toBe(true);
    expect(steps.filter((s) => s.op === StorageOp.Fsync)).toHaveLength(3);
  });

  it('refuses a file whose newest slot is damaged after its answer was released: it would sign that counter again', async () => {
    const path = join(dir, 'a.card');
    const { applet, store } = await loadedCard(path);
    applet.process(purseApdus.select());
    applet.process(purseApdus.pay(payCommand(100)));
    store.close();
    // The payment went to slot 0 (generation 3); damage one byte of its payload.
    const bytes = new Uint8Array(readFileSync(path));
    bytes[100] ^= 0xff;
    writeFileSync(path, bytes);
    expect(() => FileCardStore.open(path)).toThrow(
      expect.objectContaining({
        code: CardErrorCode.CorruptState,
        detail: expect.objectContaining({ reason: 'released-commit-lost', released: 2 }),
      }),
    );
  });

  it('refuses a file cut short or extended (a short file would hide its second slot)', async () => {
    const path = join(dir, 'a.card');
    (await loadedCard(path)).store.close();
    const bytes = new Uint8Array(readFileSync(path));
    for (const image of [
      bytes.subarray(0, CARD_FILE_SIZE - 1),
      bytes.subarray(0, SLOT_SIZE + 100),
      Uint8Array.from([...bytes, 0]),
    ]) {
      writeFileSync(path, image);
      expect(() => FileCardStore.open(path)).toThrow(
        expect.objectContaining({
          code: CardErrorCode.CorruptState,
          detail: expect.objectContaining({ reason: 'length', size: image.length }),
        }),
      );
    }
  });

  it('completes the high-water record of a commit whose record update was cut, before it releases anything', async () => {
    const path = join(dir, 'a.card');
    const { store } = await loadedCard(path);
    store.close();
    const intact = new Uint8Array(readFileSync(path));
    const steps: StorageStep[] = [];
    const cut = FileCardStore.open(path, {
      onStep: (s) => {
        if (s.phase === 'before') steps.push(s);
        if (s.phase === 'before' && s.op === StorageOp.Write && s.offset! >= HIGH_WATER_OFFSET)
          throw new CardError(CardErrorCode.PowerLost, 'cut');
      },
    });
    const applet = new PurseApplet(cut);
    applet.process(purseApdus.select());
    expect(() => applet.process(purseApdus.pay(payCommand(100)))).toThrow();
    cut.close();
    expect(hex(new Uint8Array(readFileSync(path)).subarray(HIGH_WATER_OFFSET))).toBe(
      hex(intact.subarray(HIGH_WATER_OFFSET)),
    );
    const reopened = FileCardStore.open(path);
    expect(reopened.load().counter).toBe(2);
    const marks = new Uint8Array(readFileSync(path)).subarray(HIGH_WATER_OFFSET);
    expect(hex(marks)).not.toBe(hex(intact.subarray(HIGH_WATER_OFFSET)));
    reopened.close();
  });

  it('answers 6581 to a storage failure and keeps its state in RAM and on disk', async () => {
    const path = join(dir, 'a.card');
    let failNext = false;
    const { applet, store } = await loadedCard(path, (s) => {
      if (failNext && s.op === StorageOp.Write && s.phase === 'before') {
        failNext = false;
        throw new Error('EIO');
      }
    });
    applet.process(purseApdus.select());
    const before = hex(encodePurseState(applet.state));
    failNext = true;
    expect(parseResponseApdu(applet.process(purseApdus.pay(payCommand(100)))).sw).toBe(StatusWord.MemoryFailure);
    expect(hex(encodePurseState(applet.state))).toBe(before);
    expect(hex(encodePurseState(FileCardStore.open(path).load()))).toBe(before);
    expect(parseResponseApdu(applet.process(purseApdus.pay(payCommand(100)))).sw).toBe(StatusWord.Ok);
    store.close();
  });

  it('goes mute (6581) when the rollback fails too, and boots from its file at the next power-on', async () => {
    const path = join(dir, 'a.card');
    let broken = false;
    const { applet, store } = await loadedCard(path, (s) => {
      if (broken && s.op === StorageOp.Write) throw new Error('medium gone');
    });
    applet.process(purseApdus.select());
    const before = hex(encodePurseState(applet.state));
    broken = true;
    expect(parseResponseApdu(applet.process(purseApdus.pay(payCommand(100)))).sw).toBe(StatusWord.MemoryFailure);
    expect(parseResponseApdu(applet.process(purseApdus.getState())).sw).toBe(StatusWord.MemoryFailure);
    expect(parseResponseApdu(applet.process(purseApdus.select())).sw).toBe(StatusWord.MemoryFailure);
    broken = false;
    applet.powerOff();
    applet.powerOn();
    expect(hex(encodePurseState(applet.state))).toBe(before);
    expect(parseResponseApdu(applet.process(purseApdus.select())).sw).toBe(StatusWord.Ok);
    expect(parseResponseApdu(applet.process(purseApdus.pay(payCommand(100)))).sw).toBe(StatusWord.Ok);
    store.close();
  });
});
