import { TransportError, TransportErrorCode } from '@ehkd/core';

/** PC/SC return codes (winscard / pcsc-lite `pcsclite.h`) that the driver tells apart. */
export const PcscCode = {
  Cancelled: 0x80100002,
  InvalidHandle: 0x80100003,
  UnknownReader: 0x80100009,
  Timeout: 0x8010000a,
  NoSmartcard: 0x8010000c,
  CommError: 0x80100013,
  NotTransacted: 0x80100016,
  ReaderUnavailable: 0x80100017,
  NoService: 0x8010001d,
  ServiceStopped: 0x8010001e,
  NoReadersAvailable: 0x8010002e,
  UnresponsiveCard: 0x80100066,
  UnpoweredCard: 0x80100067,
  ResetCard: 0x80100068,
  RemovedCard: 0x80100069,
} as const;
export type PcscCode = (typeof PcscCode)[keyof typeof PcscCode];

/** Codes after which the card is gone or its session was lost: the outcome of the exchange is unknown. */
const CARD_GONE: ReadonlySet<number> = new Set([
  PcscCode.NoSmartcard,
  // SCardTransmit reports a vpcd card killed mid-APDU (and a contactless card leaving mid-frame) this way.
  PcscCode.NotTransacted,
  PcscCode.UnresponsiveCard,
  PcscCode.UnpoweredCard,
  PcscCode.ResetCard,
  PcscCode.RemovedCard,
]);

/** Codes after which the reader or the whole PC/SC service is gone. */
const READER_GONE: ReadonlySet<number> = new Set([
  PcscCode.InvalidHandle,
  PcscCode.UnknownReader,
  PcscCode.CommError,
  PcscCode.ReaderUnavailable,
  PcscCode.NoService,
  PcscCode.ServiceStopped,
  PcscCode.NoReadersAvailable,
]);

/**
 * Extracts the PC/SC return code from an error of @pokusew/pcsclite ("SCardTransmit error: ...(0x80100016)"),
 * looking through nfc-pcsc's wrapper (`previous`) and `cause`.
 *
 * @returns the code, or undefined if the error carries none.
 * @example
 * pcscCodeOf(new Error('SCardTransmit error: Transaction failed.(0x80100016)')); // 0x80100016
 */
export function pcscCodeOf(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const match = /\(0x([0-9a-f]{8})\)/i.exec(current.message);
    if (match) return Number.parseInt(match[1]!, 16);
    const next = (current as { previous?: unknown }).previous ?? current.cause;
    current = next;
  }
  return undefined;
}

/** True if the code says the PC/SC service (pcscd) itself is gone, not only one reader or card. */
export function isServiceGone(code: number | undefined): boolean {
  return code === PcscCode.NoService || code === PcscCode.ServiceStopped || code === PcscCode.InvalidHandle;
}

/**
 * Maps a failure of a PC/SC call to a TransportError: CARD_REMOVED when the card left (or its
 * session was lost), READER_REMOVED when the reader or pcscd went away, else `fallback`.
 *
 * @example
 * throw toTransportError(error, 'Virtual PCD 00 00', 'SCardTransmit', TransportErrorCode.TransmitFailed);
 */
export function toTransportError(
  error: unknown,
  reader: string,
  operation: string,
  fallback: TransportErrorCode,
): TransportError {
  if (error instanceof TransportError) return error;
  const pcscCode = pcscCodeOf(error);
  const detail = pcscCode === undefined ? { reader } : { reader, pcscCode };
  const hex = pcscCode === undefined ? '' : ` (PC/SC 0x${pcscCode.toString(16).padStart(8, '0')})`;
  if (pcscCode !== undefined && CARD_GONE.has(pcscCode)) {
    return new TransportError(TransportErrorCode.CardRemoved, `${operation}: the card left reader '${reader}'${hex}`, {
      cause: error,
      detail,
    });
  }
  if (pcscCode !== undefined && READER_GONE.has(pcscCode)) {
    return new TransportError(
      TransportErrorCode.ReaderRemoved,
      `${operation}: reader '${reader}' or pcscd went away${hex}`,
      { cause: error, detail },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError(fallback, `${operation} on reader '${reader}' failed${hex}: ${message}`, {
    cause: error,
    detail,
  });
}
