import { TransportError, TransportErrorCode } from '@ehkd/core';

/**
 * The part of nfc-pcsc 0.8.1 (and the @pokusew/pcsclite reader under it) that this driver uses.
 * nfc-pcsc ships no types; these describe its runtime objects.
 */
export interface NfcPcscModule {
  readonly NFC: new () => Nfc;
}

/** nfc-pcsc's `NFC`: one PC/SC context, emits 'reader' per reader and 'error' when PC/SC fails. */
export interface Nfc {
  on(event: 'reader', listener: (reader: NfcReader) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  close(): void;
}

/** nfc-pcsc's `Reader`, wrapping one @pokusew/pcsclite `CardReader`. */
export interface NfcReader {
  readonly name: string;
  /** When true (the default) nfc-pcsc sends its own SELECT or GET UID on every card and hides the card event. */
  autoProcessing: boolean;
  /** The current card, set before 'card' is emitted and cleared on removal. */
  card: { atr?: Uint8Array } | null;
  /** The PC/SC handle to the current card, if connected. */
  connection: { type: number; protocol: number } | null;
  readonly reader: PcscliteCardReader;
  on(event: 'card', listener: (card: { atr?: Uint8Array }) => void): this;
  on(event: 'card.off', listener: (card: { atr?: Uint8Array }) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'end', listener: () => void): this;
  /** SCardConnect in shared mode. */
  connect(): Promise<unknown>;
  /** SCardDisconnect leaving the card as it is; throws synchronously if not connected. */
  disconnect(): Promise<unknown>;
  /** SCardTransmit; rejects with an nfc-pcsc TransmitError whose `previous` is the PC/SC error. */
  transmit(data: Uint8Array, responseMaxLength: number): Promise<Uint8Array>;
}

/** @pokusew/pcsclite's native `CardReader`. */
export interface PcscliteCardReader {
  /** Stops the reader's status thread. */
  close(): void;
}

/**
 * Loads nfc-pcsc, an optional dependency with a native addon that builds only where the PC/SC
 * headers are installed.
 *
 * @throws TransportError PCSC_UNAVAILABLE, saying what to install, if the package or its addon
 *   (or libpcsclite itself) cannot be loaded.
 * @example
 * const { NFC } = await loadNfcPcsc();
 */
export async function loadNfcPcsc(): Promise<NfcPcscModule> {
  // A specifier in a variable keeps TypeScript from demanding types nfc-pcsc does not ship.
  const specifier = 'nfc-pcsc';
  let loaded: unknown;
  try {
    loaded = await import(specifier);
  } catch (error) {
    throw unavailable(error);
  }
  const NFC = (loaded as { NFC?: unknown }).NFC;
  if (typeof NFC !== 'function') throw unavailable(new Error('nfc-pcsc loaded but exports no NFC class'));
  return { NFC: NFC as NfcPcscModule['NFC'] };
}

function unavailable(cause: unknown): TransportError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return new TransportError(
    TransportErrorCode.PcscUnavailable,
    'PC/SC is not available: the optional package nfc-pcsc or its native addon @pokusew/pcsclite could not be loaded ' +
      `(${reason}). Install the PC/SC daemon and headers: apt-get install pcscd libpcsclite-dev; then build ` +
      'the addon: scripts/pcsc-stack.sh install (does both), or `pnpm install` again after deleting node_modules ' +
      '(a plain re-run of `pnpm install` or `pnpm rebuild` does not retry an optional build that failed).',
    { cause },
  );
}
