/**
 * The one interface between a terminal and a card. The PC/SC driver (`@ehkd/pcsc`) and the
 * software card's in-process transport (`@ehkd/card-sim`) both implement it, so the terminal
 * never knows which one it talks to.
 *
 * All failures are `TransportError`s with a stable code.
 */
export interface CardTransport {
  /** Human-readable reader name (for PC/SC: the reader name pcscd reports). */
  readonly readerName: string;
  /**
   * Resolves when a card is in the field and powered, with a connection to it.
   * Rejects with TIMEOUT after `timeoutMs`, ABORTED when `signal` fires, READER_REMOVED if the reader goes away.
   */
  waitForCard(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CardConnection>;
  /** Releases the reader. Idempotent. */
  close(): Promise<void>;
}

/** A powered card in the field. */
export interface CardConnection {
  /** Answer-to-reset bytes as reported by the reader. */
  readonly atr: Uint8Array;
  /**
   * Sends one short C-APDU and resolves with the complete R-APDU (response data followed by SW1 SW2).
   * GET RESPONSE (61xx) and wrong-Le (6Cxx) are handled by the transport, so callers see the final answer.
   * Rejects with CARD_REMOVED if the card leaves the field before the answer arrives.
   */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  /** Ends the session with this card (no effect on the card's state). Idempotent. */
  disconnect(): Promise<void>;
}
