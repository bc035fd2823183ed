import { StatusWord, statusWordName } from '@ehkd/core';
import { CardError, CardErrorCode } from '../card-error.js';
import type { CardStore } from '../storage/card-store.js';
import { FileCardStore } from '../storage/file-card-store.js';
import { loadCard } from './issuer-online.js';
import { MemoryCardStore } from '../storage/memory-card-store.js';
import { personalizeCard, type PersonalizeOptions } from './personalize-card.js';
import { PurseApplet, type PurseAppletOptions } from './purse-applet.js';

/** Options of `createSoftCard`: personalisation, plus where the card lives and what it starts with. */
export interface SoftCardOptions extends PersonalizeOptions {
  /** A new card file to create (atomically; never replaces one). Default: an in-memory card. */
  readonly file?: string;
  /** Minor units loaded right away through a real issuer-signed LOAD. Default none (balance 0). */
  readonly initialLoad?: number;
  readonly applet?: PurseAppletOptions;
}

/** A personalised software card, ready to be inserted into a SimulatedReader or served over vpcd. */
export interface SoftCard {
  readonly applet: PurseApplet;
  readonly store: CardStore;
  readonly cardId: Uint8Array;
  /** The card certificate (COSE_Sign1 bytes). */
  readonly certificate: Uint8Array;
}

/**
 * Personalises a card and puts it into a store and an applet: the one-call way for the terminal's tests
 * and the demo to get a card that behaves exactly like the real one.
 * @throws CardError PERSONALISATION (bad inputs, or the initial load refused by the card), FILE_EXISTS, STORAGE_FAILED
 * @example
 * const card = await createSoftCard({ issuer: { signer: scheme.issuer.signer, certificate: scheme.issuer.certificate }, initialLoad: 100_000 });
 * reader.insert(card.applet);
 */
export async function createSoftCard(options: SoftCardOptions): Promise<SoftCard> {
  const personalised = personalizeCard(options);
  const store =
    options.file === undefined
      ? new MemoryCardStore(personalised.state)
      : FileCardStore.create(options.file, personalised.state);
  const applet = new PurseApplet(store, options.applet);
  if (options.initialLoad !== undefined) {
    const r = await loadCard((command) => applet.process(command), options.issuer.signer, {
      amount: options.initialLoad,
      currency: personalised.state.currency,
    });
    if (r.sw !== StatusWord.Ok) {
      throw new CardError(
        CardErrorCode.Personalisation,
        `the initial load of ${options.initialLoad} was refused: ${statusWordName(r.sw)}`,
      );
    }
  }
  applet.powerOff();
  return { applet, store, cardId: personalised.cardId, certificate: personalised.certificate };
}
