import type { CardStore } from './card-store.js';
import { decodePurseState, encodePurseState, type PurseState } from '../applet/purse-state.js';

/**
 * A card store in memory, for pure in-process use (tests, fuzzing, benches, the demo's throwaway cards).
 * It keeps the encoded bytes, not the object, so that `load` returns what a real medium would and a
 * committed state cannot be changed behind the store's back. A commit is one assignment: atomic.
 * @example const applet = new PurseApplet(new MemoryCardStore(personalizeCard(options).state))
 */
export class MemoryCardStore implements CardStore {
  #bytes: Uint8Array;

  constructor(initial: PurseState) {
    this.#bytes = encodePurseState(initial);
  }

  load(): PurseState {
    return decodePurseState(this.#bytes);
  }

  commit(state: PurseState): void {
    this.#bytes = encodePurseState(state);
  }

  /** The committed state's encoding: compare snapshots to prove that a command changed nothing. */
  snapshot(): Uint8Array {
    return this.#bytes.slice();
  }

  close(): void {}
}
