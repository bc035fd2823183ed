import { EhkdError } from '../errors/ehkd-error.js';

/** Stable codes for failures between the terminal and a card. */
export const TransportErrorCode = {
  /** The card left the field (or its server disconnected) during or before an exchange. */
  CardRemoved: 'CARD_REMOVED',
  /** The reader itself disappeared (unplugged, pcscd stopped). */
  ReaderRemoved: 'READER_REMOVED',
  /** No reader with the requested name, or none at all. */
  NoReader: 'NO_READER',
  /** Waiting for a card took longer than the caller allowed. */
  Timeout: 'TIMEOUT',
  /** The caller cancelled the wait through its AbortSignal. */
  Aborted: 'ABORTED',
  /** The PC/SC stack (library or daemon) is not available on this machine. */
  PcscUnavailable: 'PCSC_UNAVAILABLE',
  /** The exchange failed for another reason reported by the stack. */
  TransmitFailed: 'TRANSMIT_FAILED',
  /** The card answered something that is not a valid R-APDU (for example fewer than 2 bytes). */
  MalformedResponse: 'MALFORMED_RESPONSE',
  /** The transport was used after close(). */
  Closed: 'CLOSED',
} as const;
export type TransportErrorCode = (typeof TransportErrorCode)[keyof typeof TransportErrorCode];

/** Error of the transport layer (PC/SC driver, simulator transports). */
export class TransportError extends EhkdError<TransportErrorCode, { reader?: string; pcscCode?: number }> {
  readonly layer = 'transport';
}
