import { closeSync, fchmodSync, fdatasyncSync, fstatSync, fsyncSync, linkSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { GROUP_OTHER_BITS } from '@ehkd/core/node';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CardError, CardErrorCode, isPowerLoss } from './card-error.js';
import { StorageOp, type CardStore, type StorageHook, type StorageStep } from './card-store.js';
import { CARD_FILE_SIZE, MAX_GENERATION, SECTOR_SIZE, SLOT_SIZE, encodeSlot, parseSlot } from './journal-slot.js';
import { decodePurseState, encodePurseState, type PurseState } from './purse-state.js';

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
 * A card's non-volatile memory as one file: a two-slot journal (see journal-slot.ts).
 *
 * Commit: encode the whole state into the slot that is NOT the current one, with generation + 1 and a
 * SHA-256 checksum, write it sector by sector, then fdatasync. Load: the valid slot with the highest
 * generation wins. The current slot is never written during a commit, so a cut at any write, or any
 * subset of sectors reaching the medium, leaves the old slot winning; once the fdatasync returns the new
 * slot wins. No rename and no directory update per commit: the file's size and name never change.
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
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CardError(CardErrorCode.FileNotFound, `no card file at ${path}`, { cause: e, detail: { path } });
      throw storageFailed(`cannot open ${path}`, e, path);
    }
    const store = new FileCardStore(path, fd, options.onStep);
    try {
      const mode = fstatSync(fd).mode & 0o777;
      if ((mode & GROUP_OTHER_BITS) !== 0) throw new CardError(CardErrorCode.FilePermissions, `${path} holds a card's private key and is open to other users (mode ${mode.toString(8).padStart(4, '0')})`, { detail: { path, mode } });
      store.load();
    } catch (e) {
      store.close();
      throw e;
    }
    return store;
  }

  /** Re-reads both slots from the file: after a power cut this is what survived. */
  load(): PurseState {
    const fd = this.#openFd();
    const image = new Uint8Array(CARD_FILE_SIZE);
    let length: number;
    try {
      length = readSync(fd, image, 0, CARD_FILE_SIZE, 0);
    } catch (e) {
      throw storageFailed(`cannot read ${this.path}`, e, this.path);
    }
    const slots = [0, 1].map((i) => (length >= (i + 1) * SLOT_SIZE ? parseSlot(image.subarray(i * SLOT_SIZE, (i + 1) * SLOT_SIZE)) : undefined));
    const [a, b] = slots;
    if (a === undefined && b === undefined) throw new CardError(CardErrorCode.CorruptState, `${this.path} holds no valid card state`, { detail: { path: this.path } });
    if (a !== undefined && b !== undefined && a.generation === b.generation) {
      // Commits always write generation + 1 into the other slot; equal generations mean outside tampering.
      throw new CardError(CardErrorCode.CorruptState, `${this.path}: both journal slots claim generation ${a.generation}`, { detail: { path: this.path } });
    }
    const slot: 0 | 1 = b === undefined || (a !== undefined && a.generation > b.generation) ? 0 : 1;
    const chosen = slot === 0 ? a! : b!;
    const state = decodePurseState(chosen.payload);
    this.#active = { slot, generation: chosen.generation };
    return state;
  }

  commit(state: PurseState): void {
    const fd = this.#openFd();
    const active = this.#active;
    if (active === undefined) throw new CardError(CardErrorCode.StorageFailed, `${this.path}: commit before load`, { detail: { path: this.path } });
    if (active.generation >= MAX_GENERATION) throw new CardError(CardErrorCode.StorageFailed, `${this.path}: journal generation exhausted`, { detail: { path: this.path } });
    const target: 0 | 1 = active.slot === 0 ? 1 : 0;
    const image = encodeSlot(active.generation + 1, encodePurseState(state));
    const base = target * SLOT_SIZE;
    let index = 0;
    for (let offset = 0; offset < image.length; offset += SECTOR_SIZE) {
      const length = Math.min(SECTOR_SIZE, image.length - offset);
      this.#step({ op: StorageOp.Write, index: index++, path: this.path, offset: base + offset, length }, () => {
        writeSync(fd, image, offset, length, base + offset);
      });
    }
    this.#step({ op: StorageOp.Fsync, index, path: this.path }, () => fdatasyncSync(fd));
    this.#active = { slot: target, generation: active.generation + 1 };
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
    if (this.#fd === undefined) throw new CardError(CardErrorCode.StorageFailed, `${this.path} is closed`, { detail: { path: this.path } });
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
      runStep(hook, { op: StorageOp.Write, index: 0, path: temp, offset: 0, length: image.length }, () => writeSync(fd, image, 0, image.length, 0));
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

function storageFailed(message: string, cause: unknown, path: string): CardError {
  if (cause instanceof CardError) return cause;
  return new CardError(CardErrorCode.StorageFailed, `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, detail: { path } });
}
