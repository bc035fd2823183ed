import { TransportError, TransportErrorCode, type CardConnection, type CardTransport } from '@ehkd/core';
import { isPowerLoss } from '../card-error.js';
import type { TornExchange, VirtualCard } from './vpcd/index.js';

interface Presence {
  readonly card: VirtualCard;
  /** Increases at every insertion: a connection belongs to one presence of one card. */
  readonly generation: number;
}

interface PullArm {
  readonly predicate: (command: Uint8Array) => boolean;
  resolve(exchange: TornExchange): void;
  reject(error: TransportError): void;
}

/**
 * An in-process contactless reader implementing CardTransport: put a card (the purse applet, or any
 * VirtualCard) into its field with `insert`, take it out with `remove`, or let it leave right after it
 * processed a command with `pullAwayAfter` (the card commits, the terminal gets CARD_REMOVED).
 *
 * Semantics follow the PC/SC driver: `waitForCard` resolves at once if a card is present; a new session
 * supersedes the previous one; a session ends with its card's presence. R-APDUs pass through unchanged
 * (the purse never answers 61xx or 6Cxx: its answers fit one short response).
 *
 * @example
 * const reader = new SimulatedReader();
 * reader.insert(applet);
 * const connection = await reader.waitForCard({ timeoutMs: 1000 });
 * const torn = reader.pullAwayAfter((c) => c[1] === Ins.Pay);
 * await connection.transmit(payApdu); // rejects CARD_REMOVED; `await torn` has the receipt the card kept
 */
export class SimulatedReader implements CardTransport {
  readonly readerName: string;
  #presence: Presence | undefined;
  #generation = 0;
  #closed = false;
  #arm: PullArm | undefined;
  readonly #waiters = new Set<() => void>();
  #current: SimulatedConnection | undefined;
  /** Exchanges run one at a time, as on a real reader. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: { readerName?: string } = {}) {
    this.readerName = options.readerName ?? 'eHKD Simulated Reader 00';
  }

  /** Whether a card is in the field now. */
  get cardPresent(): boolean {
    return this.#presence !== undefined;
  }

  /** The card in the field, if any. */
  get card(): VirtualCard | undefined {
    return this.#presence?.card;
  }

  /**
   * Puts `card` into the field and powers it (a card already there is removed first).
   * @throws TransportError CLOSED after `close`.
   */
  insert(card: VirtualCard): void {
    if (this.#closed) throw this.#closedError();
    this.remove();
    this.#presence = { card, generation: ++this.#generation };
    card.powerOn();
    for (const wake of [...this.#waiters]) wake();
  }

  /** Takes the card out of the field (power off). Its sessions then fail with CARD_REMOVED. Idempotent. */
  remove(): void {
    const presence = this.#presence;
    if (presence === undefined) return;
    this.#presence = undefined;
    presence.card.powerOff();
  }

  /**
   * Arms a one-shot pull-away: the next C-APDU matching `predicate` (default: any) is processed by the card,
   * so whatever it commits stays committed, then the card leaves the field before the answer gets out.
   * The terminal's transmit rejects with CARD_REMOVED. Replaces an earlier arm, which rejects with CLOSED.
   * @returns the torn command and the response the card produced but never delivered.
   * @example const torn = reader.pullAwayAfter((command) => command[1] === Ins.Pay)
   */
  pullAwayAfter(predicate: (command: Uint8Array) => boolean = () => true): Promise<TornExchange> {
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#arm?.reject(
      new TransportError(TransportErrorCode.Closed, 'replaced by a newer pullAwayAfter', {
        detail: { reader: this.readerName },
      }),
    );
    return new Promise<TornExchange>((resolve, reject) => {
      this.#arm = { predicate, resolve, reject };
    });
  }

  waitForCard(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CardConnection> {
    const { timeoutMs, signal } = options;
    const detail = { reader: this.readerName };
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted)
      return Promise.reject(
        new TransportError(TransportErrorCode.Aborted, 'waiting for a card was aborted', { detail }),
      );
    return new Promise<CardConnection>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        this.#waiters.delete(check);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        if (this.#closed) {
          settle();
          reject(this.#closedError());
          return;
        }
        const presence = this.#presence;
        if (presence === undefined) return;
        settle();
        this.#current?.supersede();
        const generation = presence.generation;
        this.#current = new SimulatedConnection(this.readerName, presence.card.atr, (command) =>
          this.#exchange(generation, command),
        );
        resolve(this.#current);
      };
      const onAbort = (): void => {
        settle();
        reject(new TransportError(TransportErrorCode.Aborted, 'waiting for a card was aborted', { detail }));
      };
      this.#waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          settle();
          reject(
            new TransportError(TransportErrorCode.Timeout, `no card in '${this.readerName}' within ${timeoutMs} ms`, {
              detail,
            }),
          );
        }, timeoutMs);
      }
      check();
    });
  }

  /** Ends the current session and pending waits (CLOSED); the card stays in the field. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#current?.supersede();
    this.#arm?.reject(this.#closedError());
    this.#arm = undefined;
    for (const wake of [...this.#waiters]) wake();
  }

  /** One exchange for a connection of `generation` (serialised with every other exchange). */
  #exchange(generation: number, command: Uint8Array): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#exchangeNow(generation, command));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #exchangeNow(generation: number, command: Uint8Array): Promise<Uint8Array> {
    const detail = { reader: this.readerName };
    if (this.#closed) throw this.#closedError();
    const presence = this.#presence;
    if (presence === undefined || presence.generation !== generation) throw cardRemoved(this.readerName);
    let response: Uint8Array;
    try {
      response = await presence.card.process(command);
    } catch (e) {
      if (isPowerLoss(e)) {
        // The card lost power mid-command: it is out of the field as far as the reader can tell.
        if (this.#presence === presence) this.remove();
        throw cardRemoved(this.readerName, e);
      }
      throw new TransportError(
        TransportErrorCode.TransmitFailed,
        `the card failed to process the command: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e, detail },
      );
    }
    if (this.#presence !== presence) throw cardRemoved(this.readerName);
    const arm = this.#arm;
    if (arm !== undefined && arm.predicate(command)) {
      this.#arm = undefined;
      this.remove();
      arm.resolve({ command: command.slice(), response });
      throw cardRemoved(this.readerName);
    }
    if (response.length < 2)
      throw new TransportError(
        TransportErrorCode.MalformedResponse,
        `the card answered ${response.length} byte(s); an R-APDU ends with SW1 SW2`,
        { detail },
      );
    return response;
  }

  #closedError(): TransportError {
    return new TransportError(TransportErrorCode.Closed, `the reader '${this.readerName}' was closed`, {
      detail: { reader: this.readerName },
    });
  }
}

/** A session with one presence of a card in a SimulatedReader. */
class SimulatedConnection implements CardConnection {
  readonly atr: Uint8Array;
  readonly #readerName: string;
  readonly #exchange: (command: Uint8Array) => Promise<Uint8Array>;
  #ended = false;

  constructor(readerName: string, atr: Uint8Array, exchange: (command: Uint8Array) => Promise<Uint8Array>) {
    this.#readerName = readerName;
    this.atr = atr;
    this.#exchange = exchange;
  }

  /**
   * @throws TransportError CARD_REMOVED (card gone before or during the exchange: it may have processed the
   *   command), CLOSED after `disconnect` or a newer session, TRANSMIT_FAILED for fewer than 4 bytes,
   *   MALFORMED_RESPONSE for an answer without status word.
   */
  transmit(command: Uint8Array): Promise<Uint8Array> {
    const detail = { reader: this.#readerName };
    if (this.#ended)
      return Promise.reject(
        new TransportError(TransportErrorCode.Closed, `the session with the card in '${detail.reader}' was ended`, {
          detail,
        }),
      );
    if (command.length < 4)
      return Promise.reject(
        new TransportError(TransportErrorCode.TransmitFailed, `a C-APDU has at least 4 bytes, got ${command.length}`, {
          detail,
        }),
      );
    return this.#exchange(command.slice());
  }

  async disconnect(): Promise<void> {
    this.#ended = true;
  }

  supersede(): void {
    this.#ended = true;
  }
}

function cardRemoved(reader: string, cause?: unknown): TransportError {
  return new TransportError(TransportErrorCode.CardRemoved, `the card left reader '${reader}'`, {
    detail: { reader },
    ...(cause !== undefined && { cause }),
  });
}
