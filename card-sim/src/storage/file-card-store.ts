import {
  closeSync,
  fchmodSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { GROUP_OTHER_BITS } from '@ehkd/core/node';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CardError, CardErrorCode, isPowerLoss, type DamageReason } from '../card-error.js';
import { StorageOp, type CardStore, type StorageHook, type StorageStep } from './card-store.js';
import {
  CARD_FILE_SIZE,
  HIGH_WATER_OFFSET,
  MAX_GENERATION,
  SECTOR_SIZE,
  SLOT_SIZE,
  encodeHighWater,
  encodeSlot,
  parseHighWater,
  parseSlot,
  type HighWater,
} from './journal-slot.js';
import { decodePurseState, encodePurseState, type PurseState } from '../applet/purse-state.js';

/** Options of FileCardStore. */
export interface FileCardStoreOptions {
  /** Tear-injection hook called before and after every storage step (see StorageHook). */
  readonly onStep?: StorageHook;
}

interface ActiveSlot {
  readonly slot: 0 | 1;
  readonly generation: number;
}

/**
 * A card's non-volatile memory as one file: a two-slot journal and a high-water record (see journal-slot.ts).
 *
 * Commit: encode the whole state into the slot that is NOT the current one, with generation + 1 and a
 * SHA-256 checksum, write it sector by sector, then fdatasync; then write the high-water record (generation and
 * counter of this commit) into each of its two copies in turn, with an fdatasync after each. Only then does the applet release
 * the answer. Load: the valid slot with the highest generation wins, and must be at least the highest intact
 * high-water record: a newest slot damaged after its answer was released cannot silently hand the card back its
 * previous counter (the card would sign that counter again); such a file is refused as damaged. A slot one
 * generation ahead of the record is a commit whose record update was cut: it was never released, and the load
 * completes its record. The current slot is never written during a commit, so a cut at any write, or any subset
 * of sectors reaching the medium, leaves the old state winning. A file of any other length than CARD_FILE_SIZE is
 * refused (a short file would hide its second slot). No rename and no directory update per commit.
 * New card files are created whole under a temporary name, fsynced, then linked into place (atomic and
 * never replacing an existing card) and the directory fsynced.
 *
 * @example
 * const store = FileCardStore.create('alice.card', personalizeCard(options).state);
 * const applet = new PurseApplet(store);
 */
export class FileCardStore implements CardStore {
  readonly path: string;
  readonly #hook: StorageHook | undefined;
  #fd: number | undefined;
  #active: ActiveSlot | undefined;

  private constructor(path: string, fd: number, hook: StorageHook | undefined) {
    this.path = path;
    this.#fd = fd;
    this.#hook = hook;
  }

  /**
   * Creates a new card file holding `state` and opens it. Either the whole file appears or none does.
   * @throws CardError FILE_EXISTS if `path` exists, STORAGE_FAILED, POWER_LOST (from the hook)
   */
  static create(path: string, state: PurseState, options: FileCardStoreOptions = {}): FileCardStore {
    const image = new Uint8Array(CARD_FILE_SIZE);
    image.set(encodeSlot(1, encodePurseState(state)));
    const mark = encodeHighWater({ generation: 1, counter: state.counter });
    image.set(mark, HIGH_WATER_OFFSET);
    image.set(mark, HIGH_WATER_OFFSET + SECTOR_SIZE);
    createFileAtomically(path, image, options.onStep);
    return FileCardStore.open(path, options);
  }

  /**
   * Opens an existing card file and finds its committed state. The file holds the card's private key: one that
   * group or others can read or write is refused.
   * @throws CardError FILE_NOT_FOUND, FILE_PERMISSIONS, CORRUPT_STATE, STORAGE_FAILED
   */
  static open(path: string, options: FileCardStoreOptions = {}): FileCardStore {
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new CardError(CardErrorCode.FileNotFound, `no card file at ${path}`, { cause: e, detail: { path } });
      throw storageFailed(`cannot open ${path}`, e, path);
    }
    const store = new FileCardStore(path, fd, options.onStep);
    try {
      const mode = fstatSync(fd).mode & 0o777;
      if ((mode & GROUP_OTHER_BITS) !== 0)
        throw new CardError(
          CardErrorCode.FilePermissions,
          `${path} holds a card's private key and is open to other users (mode ${mode.toString(8).padStart(4, '0')})`,
          { detail: { path, mode } },
        );
      store.load();
    } catch (e) {
      store.close();
      throw e;
    }
    return store;
  }

  /**
   * Re-reads the file: after a power cut this is what survived. Refuses, as CORRUPT_STATE with `detail.reason`, a
   * file whose state cannot be trusted not to fall back past a released counter.
   * @throws CardError CORRUPT_STATE, STORAGE_FAILED
   */
  load(): PurseState {
    const fd = this.#openFd();
    const image = new Uint8Array(CARD_FILE_SIZE);
    let size: number;
    try {
      size = fstatSync(fd).size;
      if (size === CARD_FILE_SIZE) readSync(fd, image, 0, CARD_FILE_SIZE, 0);
    } catch (e) {
      throw storageFailed(`cannot read ${this.path}`, e, this.path);
    }
    if (size !== CARD_FILE_SIZE)
      throw this.#damaged(
        'length',
        `${this.path} is ${size} bytes; a card file is exactly ${CARD_FILE_SIZE} (it was cut short, extended, or is of an earlier format)`,
        { size },
      );
    const a = parseSlot(image.subarray(0, SLOT_SIZE));
    const b = parseSlot(image.subarray(SLOT_SIZE, 2 * SLOT_SIZE));
    const mark = highest(
      parseHighWater(image.subarray(HIGH_WATER_OFFSET, HIGH_WATER_OFFSET + SECTOR_SIZE)),
      parseHighWater(image.subarray(HIGH_WATER_OFFSET + SECTOR_SIZE, CARD_FILE_SIZE)),
    );
    if (a === undefined && b === undefined) throw this.#damaged('no-state', `${this.path} holds no valid card state`);
    if (a !== undefined && b !== undefined && a.generation === b.generation) {
      // Commits always write generation + 1 into the other slot; equal generations mean outside tampering.
      throw this.#damaged('same-generation', `${this.path}: both journal slots claim generation ${a.generation}`);
    }
    if (mark === undefined)
      throw this.#damaged(
        'no-high-water',
        `${this.path}: no intact high-water record, so the last released commit cannot be proven`,
      );
    const slot: 0 | 1 = b === undefined || (a !== undefined && a.generation > b.generation) ? 0 : 1;
    const chosen = slot === 0 ? a! : b!;
    if (chosen.generation < mark.generation) {
      throw this.#damaged(
        'released-commit-lost',
        `${this.path}: the last released commit (generation ${mark.generation}, counter ${mark.counter}) is damaged, and the card would sign that counter again from an older state`,
        { released: mark.counter },
      );
    }
    if (chosen.generation > mark.generation + 1)
      throw this.#damaged(
        'ahead-of-high-water',
        `${this.path}: a slot of generation ${chosen.generation} is ahead of every commit the high-water record allows (${mark.generation})`,
      );
    const state = decodePurseState(chosen.payload);
    if (state.counter < mark.counter)
      throw this.#damaged(
        'released-commit-lost',
        `${this.path}: the state holds counter ${state.counter}, below the released counter ${mark.counter}`,
        { released: mark.counter },
      );
    this.#active = { slot, generation: chosen.generation };
    // A commit durable in its slot whose record update was cut: never released, now completed before anything is.
    if (chosen.generation === mark.generation + 1)
      this.#writeHighWater({ generation: chosen.generation, counter: state.counter }, 0);
    return state;
  }

  commit(state: PurseState): void {
    const fd = this.#openFd();
    const active = this.#active;
    if (active === undefined)
      throw new CardError(CardErrorCode.StorageFailed, `${this.path}: commit before load`, {
        detail: { path: this.path },
      });
    if (active.generation >= MAX_GENERATION)
      throw new CardError(CardErrorCode.StorageFailed, `${this.path}: journal generation exhausted`, {
        detail: { path: this.path },
      });
    const target: 0 | 1 = active.slot === 0 ? 1 : 0;
    const generation = active.generation + 1;
    const image = encodeSlot(generation, encodePurseState(state));
    const base = target * SLOT_SIZE;
    let index = 0;
    for (let offset = 0; offset < image.length; offset += SECTOR_SIZE) {
      const length = Math.min(SECTOR_SIZE, image.length - offset);
      this.#step({ op: StorageOp.Write, index: index++, path: this.path, offset: base + offset, length }, () => {
        writeSync(fd, image, offset, length, base + offset);
      });
    }
    this.#step({ op: StorageOp.Fsync, index: index++, path: this.path }, () => fdatasyncSync(fd));
    this.#active = { slot: target, generation };
    this.#writeHighWater({ generation, counter: state.counter }, index);
  }

  /**
   * Writes the high-water record into both copies, one after the other, each synced before the next is written: a
   * cut leaves at least one copy intact (the new record or the previous one), and after the commit damage to the
   * newest slot and to one copy together still leaves the other copy to prove the released counter.
   */
  #writeHighWater(mark: HighWater, index: number): void {
    const fd = this.#openFd();
    const sector = encodeHighWater(mark);
    for (let copy = 0; copy < 2; copy++) {
      const offset = HIGH_WATER_OFFSET + copy * SECTOR_SIZE;
      this.#step({ op: StorageOp.Write, index: index + 2 * copy, path: this.path, offset, length: SECTOR_SIZE }, () => {
        writeSync(fd, sector, 0, SECTOR_SIZE, offset);
      });
      this.#step({ op: StorageOp.Fsync, index: index + 2 * copy + 1, path: this.path }, () => fdatasyncSync(fd));
    }
  }

  #damaged(reason: DamageReason, message: string, more: { size?: number; released?: number } = {}): CardError {
    return new CardError(CardErrorCode.CorruptState, message, { detail: { path: this.path, reason, ...more } });
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Nothing is pending: every commit ended with an fdatasync, so a failing close loses nothing.
    }
  }

  #openFd(): number {
    if (this.#fd === undefined)
      throw new CardError(CardErrorCode.StorageFailed, `${this.path} is closed`, { detail: { path: this.path } });
    return this.#fd;
  }

  #step(step: Omit<StorageStep, 'phase'>, run: () => void): void {
    runStep(this.#hook, step, run);
  }
}

/** Runs one storage step between the hook's 'before' and 'after' calls, mapping failures to CardError. */
function runStep(hook: StorageHook | undefined, step: Omit<StorageStep, 'phase'>, run: () => void): void {
  const call = (phase: 'before' | 'after'): void => {
    if (hook === undefined) return;
    try {
      hook({ ...step, phase });
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      throw storageFailed(`${step.op} #${step.index} of ${step.path} failed (${phase})`, e, step.path);
    }
  };
  call('before');
  try {
    run();
  } catch (e) {
    throw storageFailed(`${step.op} #${step.index} of ${step.path} failed`, e, step.path);
  }
  call('after');
}

/**
 * Writes `image` as a new file at `path`: temporary name, fsync, hard link into place (fails instead
 * of replacing an existing file), fsync of the directory, then the temporary name is removed.
 * A cut before the link leaves no card (only a stray temporary file); after it, the whole card.
 * @throws CardError FILE_EXISTS, STORAGE_FAILED, POWER_LOST (from the hook)
 */
export function createFileAtomically(path: string, image: Uint8Array, hook?: StorageHook): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o600);
    fchmodSync(fd, 0o600); // the umask can only take bits away; this also keeps the owner's own
  } catch (e) {
    throw storageFailed(`cannot create ${temp}`, e, path);
  }
  let linked = false;
  try {
    try {
      // The temporary file is invisible until linked, so its write need not be torn sector by sector.
      runStep(hook, { op: StorageOp.Write, index: 0, path: temp, offset: 0, length: image.length }, () =>
        writeSync(fd, image, 0, image.length, 0),
      );
      runStep(hook, { op: StorageOp.Fsync, index: 1, path: temp }, () => fsyncSync(fd));
    } finally {
      closeSync(fd);
    }
    try {
      runStep(hook, { op: StorageOp.Link, index: 2, path }, () => linkSync(temp, path));
    } catch (e) {
      if (e instanceof CardError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') {
        throw new CardError(CardErrorCode.FileExists, `${path} already exists`, { detail: { path } });
      }
      throw e;
    }
    linked = true;
    runStep(hook, { op: StorageOp.FsyncDir, index: 3, path: dir }, () => fsyncDirectory(dir));
    runStep(hook, { op: StorageOp.Unlink, index: 4, path: temp }, () => unlinkSync(temp));
  } catch (e) {
    // After a simulated power cut the process "is dead": leave the files exactly as the cut left them.
    if (!isPowerLoss(e) && !linked) removeQuietly(temp);
    throw e;
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the directory is unwritable: a stray temporary file is harmless.
  }
}

/** The intact record with the higher generation, if any. */
function highest(a: HighWater | undefined, b: HighWater | undefined): HighWater | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a.generation >= b.generation ? a : b;
}

function storageFailed(message: string, cause: unknown, path: string): CardError {
  if (cause instanceof CardError) return cause;
  return new CardError(
    CardErrorCode.StorageFailed,
    `${message}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause, detail: { path } },
  );
}
