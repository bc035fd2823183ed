import type { NfcReader } from './nfc-pcsc-module.js';

/** The card currently in a reader, as pcscd reported it. */
export interface PresentCard {
  readonly atr: Uint8Array;
  /**
   * Identifies this presence of a card: every insertion, removal, reader loss or failed exchange
   * gets a new number, so a connection made for one card can never talk to the next one.
   */
  readonly generation: number;
}

/**
 * How long pcscd may go on reporting a card present after an exchange with it failed before the
 * driver believes it: pcscd polls presence about every 400 ms and reports a removal within ~370 ms.
 */
export const SUSPECT_GRACE_MS = 800;

/**
 * What the driver knows about one reader name. Outlives the nfc-pcsc reader objects: when pcscd
 * restarts, the new reader object of the same name is attached to the same slot, so transports
 * bound to the name keep working.
 */
export class ReaderSlot {
  readonly name: string;
  #reader: NfcReader | undefined;
  #card: PresentCard | undefined;
  /** A card whose exchange failed while pcscd still reported it present. */
  #suspect: { readonly atr: Uint8Array; readonly since: number } | undefined;
  #generation = 0;
  readonly #listeners = new Set<() => void>();
  /** Exchanges on one reader run one at a time, so GET RESPONSE chains never interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(name: string) {
    this.name = name;
  }

  /** The live nfc-pcsc reader, or undefined while the reader (or pcscd) is gone. */
  get reader(): NfcReader | undefined {
    return this.#reader;
  }

  get card(): PresentCard | undefined {
    return this.#card;
  }

  /** Calls `listener` after every change of reader or card; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  attach(reader: NfcReader): void {
    this.#reader = reader;
    this.#card = undefined;
    this.#suspect = undefined;
    this.#generation++;
    this.#notify();
  }

  /** The reader went away (unplugged, or pcscd stopped): so did its card. */
  detach(): void {
    this.#reader = undefined;
    this.#card = undefined;
    this.#suspect = undefined;
    this.#generation++;
    this.#notify();
  }

  cardInserted(atr: Uint8Array): void {
    this.#suspect = undefined;
    this.#card = { atr, generation: ++this.#generation };
    this.#notify();
  }

  /** pcscd reported the card removed. */
  cardRemoved(): void {
    this.#suspect = undefined;
    if (this.#card === undefined) return;
    this.#card = undefined;
    this.#generation++;
    this.#notify();
  }

  /**
   * An exchange with the card of `generation` failed as if the card had left. Its sessions end at
   * once; the card counts as present again when pcscd reports a card anew, or, if pcscd goes on
   * reporting it present for `SUSPECT_GRACE_MS` (it came back before pcscd's next poll, or never
   * left the field), from then on. Ignored for an older generation.
   */
  cardFailed(generation: number): void {
    if (this.#card === undefined || this.#card.generation !== generation) return;
    this.#suspect = { atr: this.#card.atr, since: performance.now() };
    this.#card = undefined;
    this.#generation++;
    this.#notify();
  }

  /**
   * Milliseconds until a failed card counts as present again (0: now, after which `card` is set);
   * undefined if no failed card is pending.
   */
  reviveSuspect(): number | undefined {
    const suspect = this.#suspect;
    if (suspect === undefined || this.#reader === undefined) return undefined;
    const wait = suspect.since + SUSPECT_GRACE_MS - performance.now();
    if (wait > 0) return wait;
    this.#suspect = undefined;
    this.#card = { atr: suspect.atr, generation: ++this.#generation };
    return 0;
  }

  /** Runs `task` after every exchange queued before it on this reader. */
  serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
