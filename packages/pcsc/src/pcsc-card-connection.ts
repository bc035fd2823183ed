import { TransportError, TransportErrorCode, type CardConnection } from '@ehkd/core';
import { exchangeApdu } from './apdu-exchange.js';
import { toTransportError } from './pcsc-error-map.js';
import type { ReaderSlot } from './reader-slot.js';

/**
 * Response buffer given to SCardTransmit: an extended R-APDU (65536 data bytes + SW1 SW2) fits.
 * nfc-pcsc's own default is far smaller and would cut longer answers off.
 */
const RESPONSE_MAX_LENGTH = 65538;

/** What a connection reports back to its driver about a failed exchange. */
export type TransmitFailureListener = (slot: ReaderSlot, generation: number, error: TransportError) => void;

/**
 * A session with one presence of a card in a PC/SC reader (see CardConnection).
 * Created by `PcscTransport.waitForCard`.
 */
export class PcscCardConnection implements CardConnection {
  readonly atr: Uint8Array;
  readonly #slot: ReaderSlot;
  readonly #generation: number;
  readonly #onFailure: TransmitFailureListener;
  #ended = false;

  constructor(slot: ReaderSlot, generation: number, atr: Uint8Array, onFailure: TransmitFailureListener) {
    this.#slot = slot;
    this.#generation = generation;
    this.atr = atr;
    this.#onFailure = onFailure;
  }

  /**
   * Sends one C-APDU and resolves with the final R-APDU, GET RESPONSE (61xx) and wrong Le (6Cxx)
   * handled. Exchanges on one reader are serialised.
   *
   * @throws TransportError CARD_REMOVED if the card left (before or during the exchange: then the
   *   card may have processed the command), READER_REMOVED if the reader or pcscd went away,
   *   CLOSED after `disconnect`, MALFORMED_RESPONSE for an answer shorter than SW1 SW2,
   *   TRANSMIT_FAILED for a command shorter than 4 bytes or another PC/SC failure.
   * @example
   * const response = await connection.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x06, ...aid));
   */
  transmit(command: Uint8Array): Promise<Uint8Array> {
    if (command.length < 4) {
      return Promise.reject(
        new TransportError(TransportErrorCode.TransmitFailed, `a C-APDU has at least 4 bytes, got ${command.length}`, {
          detail: { reader: this.#slot.name },
        }),
      );
    }
    return this.#slot.serialize(() => exchangeApdu(command, (apdu) => this.#transmitRaw(apdu)));
  }

  /**
   * Ends this session, leaving the card as it is (SCardDisconnect with SCARD_LEAVE_CARD); the card
   * stays in the field and a later `waitForCard` connects to it again. Idempotent.
   */
  async disconnect(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const reader = this.#slot.reader;
    if (reader?.connection && this.#slot.card?.generation === this.#generation) {
      // Serialised so an exchange in flight finishes first; a failure means the handle is gone anyway.
      await this.#slot.serialize(() => reader.disconnect()).catch(() => undefined);
    }
  }

  /** Marks the session ended without touching the PC/SC handle (a newer session took over). */
  supersede(): void {
    this.#ended = true;
  }

  async #transmitRaw(apdu: Uint8Array): Promise<Uint8Array> {
    const reader = this.#liveReader();
    let response: Uint8Array;
    try {
      response = await reader.transmit(Buffer.from(apdu.buffer, apdu.byteOffset, apdu.byteLength), RESPONSE_MAX_LENGTH);
    } catch (cause) {
      const error = toTransportError(cause, this.#slot.name, 'SCardTransmit', TransportErrorCode.TransmitFailed);
      this.#onFailure(this.#slot, this.#generation, error);
      throw error;
    }
    if (response.length === 0) {
      // A card always answers at least SW1 SW2. vpcd reports "success, no bytes" when the card's
      // connection closed during the exchange: the card left, and may have processed the command.
      const error = new TransportError(
        TransportErrorCode.CardRemoved,
        `the card in '${this.#slot.name}' left without answering`,
        {
          detail: { reader: this.#slot.name },
        },
      );
      this.#onFailure(this.#slot, this.#generation, error);
      throw error;
    }
    return new Uint8Array(response.buffer, response.byteOffset, response.byteLength);
  }

  #liveReader(): NonNullable<ReaderSlot['reader']> {
    const detail = { reader: this.#slot.name };
    if (this.#ended) {
      throw new TransportError(
        TransportErrorCode.Closed,
        `the session with the card in '${this.#slot.name}' was ended`,
        { detail },
      );
    }
    const reader = this.#slot.reader;
    if (reader === undefined) {
      throw new TransportError(TransportErrorCode.ReaderRemoved, `reader '${this.#slot.name}' is gone`, { detail });
    }
    if (this.#slot.card?.generation !== this.#generation || !reader.connection) {
      throw new TransportError(TransportErrorCode.CardRemoved, `the card left reader '${this.#slot.name}'`, { detail });
    }
    return reader;
  }
}
