import { TransportError, TransportErrorCode, type CardConnection, type CardTransport } from '@ehkd/core';
import { PcscCardConnection, type TransmitFailureListener } from './pcsc-card-connection.js';
import { toTransportError } from './pcsc-error-map.js';
import type { ReaderSlot } from './reader-slot.js';

/**
 * CardTransport over one PC/SC reader, bound to the reader's name: it keeps working across pcscd
 * restarts and reader re-plugs (the driver re-attaches the new reader object to the same name).
 * Obtain it from `PcscReaderManager.transport` or `openPcscTransport`.
 */
export class PcscTransport implements CardTransport {
  readonly #slot: ReaderSlot;
  readonly #onFailure: TransmitFailureListener;
  readonly #onClose: () => Promise<void>;
  #current: PcscCardConnection | undefined;
  #closed = false;
  readonly #closeListeners = new Set<() => void>();

  /** @param onClose runs once on `close` (an owning manager closes itself there). */
  constructor(slot: ReaderSlot, onFailure: TransmitFailureListener, onClose: () => Promise<void>) {
    this.#slot = slot;
    this.#onFailure = onFailure;
    this.#onClose = onClose;
  }

  get readerName(): string {
    return this.#slot.name;
  }

  /**
   * Whether pcscd reports a usable card in the reader now (for "remove the card" prompts).
   * False after an exchange failed with CARD_REMOVED, until pcscd reports a card again or a
   * `waitForCard` takes the card back after SUSPECT_GRACE_MS.
   */
  get cardPresent(): boolean {
    return this.#slot.reader !== undefined && this.#slot.card !== undefined;
  }

  /**
   * Resolves with a session as soon as a powered card is in the reader (at once if one already is).
   * While the reader is absent (pcscd restarting), the wait goes on until it is back.
   * A new session supersedes this transport's previous one.
   *
   * @throws TransportError TIMEOUT after `timeoutMs`, ABORTED when `signal` fires, READER_REMOVED
   *   if the reader goes away during the wait, CLOSED after `close`.
   * @example
   * const connection = await transport.waitForCard({ timeoutMs: 30_000 });
   */
  waitForCard(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CardConnection> {
    const { timeoutMs, signal } = options;
    const detail = { reader: this.#slot.name };
    if (this.#closed) return Promise.reject(this.#closedError());
    if (signal?.aborted)
      return Promise.reject(
        new TransportError(TransportErrorCode.Aborted, 'waiting for a card was aborted', { detail }),
      );

    return new Promise<CardConnection>((resolve, reject) => {
      let readerSeen = this.#slot.reader !== undefined;
      let checking = false;
      let recheck = false;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      let reviveTimer: NodeJS.Timeout | undefined;

      const finish = (outcome: { connection: PcscCardConnection } | { error: TransportError }): void => {
        if (done) return;
        done = true;
        unsubscribe();
        this.#closeListeners.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        clearTimeout(reviveTimer);
        if ('error' in outcome) {
          reject(outcome.error);
          return;
        }
        this.#current?.supersede();
        this.#current = outcome.connection;
        resolve(outcome.connection);
      };

      const check = async (): Promise<void> => {
        if (checking) {
          recheck = true;
          return;
        }
        checking = true;
        try {
          do {
            recheck = false;
            if (done) return;
            const reader = this.#slot.reader;
            if (reader === undefined) {
              if (readerSeen) {
                finish({
                  error: new TransportError(TransportErrorCode.ReaderRemoved, `reader '${this.#slot.name}' went away`, {
                    detail,
                  }),
                });
              }
              continue;
            }
            readerSeen = true;
            if (this.#slot.card === undefined) {
              const wait = this.#slot.reviveSuspect();
              if (wait !== undefined && wait > 0) {
                clearTimeout(reviveTimer);
                reviveTimer = setTimeout(() => void check(), wait + 1);
              }
            }
            const card = this.#slot.card;
            if (card === undefined) continue;
            if (!reader.connection) {
              // Our own earlier disconnect released the handle; the card is still in the field.
              try {
                await this.#slot.serialize(() => reader.connect());
              } catch (cause) {
                this.#onFailure(
                  this.#slot,
                  card.generation,
                  toTransportError(cause, this.#slot.name, 'SCardConnect', TransportErrorCode.TransmitFailed),
                );
                continue;
              }
              if (this.#slot.card !== card) {
                recheck = true;
                continue;
              }
            }
            finish({ connection: new PcscCardConnection(this.#slot, card.generation, card.atr, this.#onFailure) });
          } while (recheck);
        } finally {
          checking = false;
        }
      };

      const onAbort = (): void =>
        finish({ error: new TransportError(TransportErrorCode.Aborted, 'waiting for a card was aborted', { detail }) });
      const onClose = (): void => finish({ error: this.#closedError() });
      const unsubscribe = this.#slot.subscribe(() => void check());
      this.#closeListeners.add(onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            finish({
              error: new TransportError(
                TransportErrorCode.Timeout,
                `no card in '${this.#slot.name}' within ${timeoutMs} ms`,
                { detail },
              ),
            }),
          timeoutMs,
        );
      }
      void check();
    });
  }

  /** Ends the current session and stops waiting; pending waits reject with CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of [...this.#closeListeners]) listener();
    const current = this.#current;
    this.#current = undefined;
    await current?.disconnect();
    await this.#onClose();
  }

  #closedError(): TransportError {
    return new TransportError(TransportErrorCode.Closed, `the transport for '${this.#slot.name}' was closed`, {
      detail: { reader: this.#slot.name },
    });
  }
}
