import { CLA_PROPRIETARY, Ins, StatusWord, parseResponseApdu, statusWordName, toHex } from '@ehkd/core';
import { FileCardStore } from '../storage/file-card-store.js';
import { PurseApplet } from '../applet/purse-applet.js';
import { VPCD_DEFAULT_PORT, serveOverVpcd, type TornExchange, type VpcdCardServer } from './vpcd/index.js';

/** Options of `serveCardFiles`. */
export interface ServeCardFilesOptions {
  /** vpcd port of the first card; card i uses basePort + i (vpcd's slots: 35963, 35964). Default 35963. */
  readonly basePort?: number;
  readonly host?: string;
  /** Tear every Nth PAY of each card: the card commits it, withholds the receipt and leaves the field. */
  readonly pullAfterPay?: number;
  /** How long a torn card stays out before it is reinserted. Default 1000 ms. */
  readonly reinsertAfterMs?: number;
  /** Receives one human-readable line per event (tears, reinsertions, errors). */
  readonly onEvent?: (message: string) => void;
}

/** One card file served on one vpcd port. */
export interface ServedCard {
  readonly path: string;
  readonly port: number;
  readonly applet: PurseApplet;
  readonly server: VpcdCardServer;
}

const isPay = (command: Uint8Array): boolean => command[0] === CLA_PROPRIETARY && command[1] === Ins.Pay;

/**
 * Serves card files to pcscd through vpcd, one card per port, so that PC/SC tools and our terminal see
 * real readers with our cards in them. Each card commits to its own file; pcscd restarts are survived by
 * the vpcd client's reconnection. Tears happen on demand (`tearNextPay`, `pullAway`) or every Nth PAY.
 *
 * @throws CardError FILE_NOT_FOUND, CORRUPT_STATE, STORAGE_FAILED if a card file cannot be opened.
 * @example
 * const serving = serveCardFiles(['alice.card', 'bob.card'], { pullAfterPay: 3 });
 * await serving.whenConnected(5000);
 */
export function serveCardFiles(paths: readonly string[], options: ServeCardFilesOptions = {}): CardServing {
  return new CardServing(paths, options);
}

/** Cards served over vpcd; create with `serveCardFiles`. */
export class CardServing {
  readonly cards: readonly ServedCard[];
  readonly #stores: FileCardStore[] = [];
  readonly #options: ServeCardFilesOptions;
  readonly #payCounts: number[];
  #closed = false;

  constructor(paths: readonly string[], options: ServeCardFilesOptions) {
    this.#options = options;
    const basePort = options.basePort ?? VPCD_DEFAULT_PORT;
    const cards: ServedCard[] = [];
    try {
      paths.forEach((path, i) => {
        const store = FileCardStore.open(path);
        this.#stores.push(store);
        const applet = new PurseApplet(store);
        const port = basePort + i;
        const server = serveOverVpcd(applet, {
          port,
          ...(options.host !== undefined && { host: options.host }),
          onError: (error) => this.#event(`card ${i} (${path}): ${error.message}`),
        });
        cards.push({ path, port, applet, server });
      });
    } catch (e) {
      for (const card of cards) void card.server.close();
      for (const store of this.#stores) store.close();
      throw e;
    }
    this.cards = cards;
    this.#payCounts = cards.map(() => 0);
    if (options.pullAfterPay !== undefined) cards.forEach((_, i) => this.#armEveryNthPay(i));
  }

  /** Resolves once vpcd has taken every card (accepted and polled it). @throws TransportError TIMEOUT, CLOSED */
  async whenConnected(timeoutMs: number): Promise<void> {
    await Promise.all(this.cards.map((card) => card.server.whenConnected({ timeoutMs })));
  }

  /** Takes card `index` out of the field now. @throws RangeError for an unknown index */
  async pullAway(index: number): Promise<void> {
    await this.#card(index).server.pullAway();
    this.#event(`card ${index}: pulled away`);
  }

  /** Puts card `index` back into the field. @throws RangeError for an unknown index */
  async reinsert(index: number): Promise<void> {
    await this.#card(index).server.reinsert();
    this.#event(`card ${index}: inserted`);
  }

  /**
   * Tears the next PAY of card `index`: it commits, the response is withheld, the card leaves the field
   * and comes back after `reinsertAfterMs`. @throws RangeError for an unknown index
   */
  tearNextPay(index: number): void {
    // One arm per card: this replaces the every-Nth arm, which resumes once this tear is done.
    void this.#tearWhen(index, isPay).then((torn) => {
      if (torn && this.#options.pullAfterPay !== undefined && !this.#closed) this.#armEveryNthPay(index);
    });
    this.#event(`card ${index}: the next PAY will be torn`);
  }

  /** One line per card: file, port, connection state, balance and counter. */
  status(): string[] {
    return this.cards.map(
      (c, i) =>
        `card ${i}: ${c.path} on port ${c.port}, ${c.server.state}, balance ${c.applet.state.balance}, counter ${c.applet.state.counter}`,
    );
  }

  /** Disconnects every card and closes the card files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.cards.map((card) => card.server.close()));
    for (const store of this.#stores) store.close();
  }

  #armEveryNthPay(index: number): void {
    const every = this.#options.pullAfterPay!;
    void this.#tearWhen(index, (command) => isPay(command) && ++this.#payCounts[index]! % every === 0).then((torn) => {
      if (torn) this.#armEveryNthPay(index);
    });
  }

  /** Arms a tear on card `index`; resolves true once it happened and the card is back, false if it never will. */
  async #tearWhen(index: number, predicate: (command: Uint8Array) => boolean): Promise<boolean> {
    const card = this.#card(index);
    let torn: TornExchange;
    try {
      torn = await card.server.pullAwayAfterNextCommand(predicate);
    } catch {
      // Replaced by a newer arm, or the server closed: nothing was torn.
      return false;
    }
    const { sw, data } = parseResponseApdu(torn.response);
    this.#event(
      `card ${index}: PAY torn after the card answered ${statusWordName(sw)}${sw === StatusWord.Ok ? ` (receipt ${toHex(data).slice(0, 16)}... withheld)` : ''}; card out of the field`,
    );
    await new Promise((resolve) => setTimeout(resolve, this.#options.reinsertAfterMs ?? 1000));
    if (this.#closed) return false;
    try {
      await card.server.reinsert();
    } catch {
      // Closed while the card was out.
      return false;
    }
    this.#event(`card ${index}: reinserted`);
    return true;
  }

  #card(index: number): ServedCard {
    const card = this.cards[index];
    if (card === undefined) throw new RangeError(`no card ${index}: serving ${this.cards.length}`);
    return card;
  }

  #event(message: string): void {
    this.#options.onEvent?.(message);
  }
}
