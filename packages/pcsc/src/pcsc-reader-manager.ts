import { TransportError, TransportErrorCode } from '@ehkd/core';
import { loadNfcPcsc, type Nfc, type NfcPcscModule, type NfcReader } from './nfc-pcsc-module.js';
import { isServiceGone, toTransportError } from './pcsc-error-map.js';
import { isPcscdListening, pcscdSocketPath } from './pcscd-probe.js';
import { PcscTransport } from './pcsc-transport.js';
import { ReaderSlot } from './reader-slot.js';

/** Options of `openPcsc`. */
export interface PcscOptions {
  /** Longest wait between attempts to reach pcscd while it is away. Default 500 ms. */
  readonly maxRecoveryDelayMs?: number;
  /**
   * Receives the PC/SC failures the driver handles by itself (pcscd stopped, a reader's monitor
   * failed), for logs. The driver recovers either way.
   */
  readonly onError?: (error: TransportError) => void;
}

/** Options of `PcscReaderManager.transport`. */
export interface ReaderChoice {
  /** Exact reader name as pcscd reports it; default: the first reader. */
  readonly readerName?: string;
  /** How long to wait for the reader (and pcscd) to appear. Default 3000 ms. */
  readonly timeoutMs?: number;
}

const FIRST_RECOVERY_DELAY_MS = 50;

/**
 * Opens the PC/SC stack through nfc-pcsc: one PC/SC context watching every reader, handing out
 * one CardTransport per reader. When pcscd stops, the nfc-pcsc objects never recover, so the
 * manager drops them, probes pcscd's socket with bounded backoff, and builds new ones once it
 * is back; transports are bound to reader names and carry on.
 *
 * @throws TransportError PCSC_UNAVAILABLE if nfc-pcsc or its native addon is not installed
 *   (the message says what to install).
 * @example
 * const pcsc = await openPcsc();
 * const [a, b] = await Promise.all([
 *   pcsc.transport({ readerName: 'Virtual PCD 00 00' }),
 *   pcsc.transport({ readerName: 'Virtual PCD 00 01' }),
 * ]);
 * // ...
 * await pcsc.close();
 */
export async function openPcsc(options: PcscOptions = {}): Promise<PcscReaderManager> {
  const module = await loadNfcPcsc();
  const manager = new PcscReaderManager(module, options);
  await manager.start();
  return manager;
}

/**
 * Opens PC/SC and returns the transport of one reader; closing the transport closes PC/SC.
 *
 * @throws TransportError PCSC_UNAVAILABLE (library missing, or pcscd not running within the
 *   timeout), NO_READER (no reader of that name, or none at all).
 * @example
 * const transport = await openPcscTransport({ readerName: 'ACS ACR122U PICC Interface 00 00' });
 * const card = await transport.waitForCard({ timeoutMs: 30_000 });
 */
export async function openPcscTransport(choice: ReaderChoice & PcscOptions = {}): Promise<PcscTransport> {
  const manager = await openPcsc(choice);
  try {
    return await manager.transport(choice, () => manager.close());
  } catch (error) {
    await manager.close();
    throw error;
  }
}

/** Every reader pcscd offers, with pcscd-restart recovery. Create it with `openPcsc`. */
export class PcscReaderManager {
  readonly #module: NfcPcscModule;
  readonly #maxRecoveryDelayMs: number;
  readonly #onError: (error: TransportError) => void;
  readonly #slots = new Map<string, ReaderSlot>();
  readonly #transports = new Set<PcscTransport>();
  readonly #listeners = new Set<() => void>();
  #nfc: Nfc | undefined;
  /** Reader objects of the current `#nfc`, to close with it. */
  #readers: NfcReader[] = [];
  #everConnected = false;
  #recovering = false;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #recoveryDelayMs = FIRST_RECOVERY_DELAY_MS;
  #closed = false;

  /** Use `openPcsc`. */
  constructor(module: NfcPcscModule, options: PcscOptions = {}) {
    this.#module = module;
    this.#maxRecoveryDelayMs = options.maxRecoveryDelayMs ?? 500;
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Connects to pcscd now if it is running, else keeps trying in the background. */
  async start(): Promise<void> {
    if (await isPcscdListening()) this.#createNfc();
    else this.#scheduleRecovery();
  }

  /** Names of the readers present now, in pcscd's order. */
  readerNames(): string[] {
    return [...this.#slots.values()].filter((slot) => slot.reader !== undefined).map((slot) => slot.name);
  }

  /**
   * The transport of one reader: the one named `readerName` exactly, or the first one. Waits up
   * to `timeoutMs` for it (and for pcscd) to appear. Several transports (one per reader) may be
   * used at once.
   *
   * @param onClose runs when the transport is closed (used by `openPcscTransport`).
   * @throws TransportError NO_READER if no such reader appears in time, PCSC_UNAVAILABLE if pcscd
   *   was never reachable in that time, CLOSED after `close`.
   * @example
   * const transport = await manager.transport({ readerName: 'Virtual PCD 00 01' });
   */
  async transport(
    choice: ReaderChoice = {},
    onClose: () => Promise<void> = async () => undefined,
  ): Promise<PcscTransport> {
    const slot = await this.#waitForReader(choice.readerName, choice.timeoutMs ?? 3000);
    const transport: PcscTransport = new PcscTransport(
      slot,
      (failedSlot, generation, error) => this.#onTransmitFailure(failedSlot, generation, error),
      async () => {
        this.#transports.delete(transport);
        await onClose();
      },
    );
    this.#transports.add(transport);
    return transport;
  }

  /** Closes every transport and the PC/SC context. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#recoveryTimer !== undefined) clearTimeout(this.#recoveryTimer);
    await Promise.all([...this.#transports].map((transport) => transport.close()));
    this.#dropNfc();
    this.#notify();
  }

  #waitForReader(readerName: string | undefined, timeoutMs: number): Promise<ReaderSlot> {
    return new Promise((resolve, reject) => {
      const find = (): ReaderSlot | undefined => {
        for (const slot of this.#slots.values()) {
          if (slot.reader !== undefined && (readerName === undefined || slot.name === readerName)) return slot;
        }
        return undefined;
      };
      const settle = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(onChange);
      };
      const onChange = (): void => {
        if (this.#closed) {
          settle();
          reject(new TransportError(TransportErrorCode.Closed, 'the PC/SC reader manager was closed'));
          return;
        }
        const slot = find();
        if (slot !== undefined) {
          settle();
          resolve(slot);
        }
      };
      const timer = setTimeout(() => {
        settle();
        reject(this.#noReaderError(readerName, timeoutMs));
      }, timeoutMs);
      this.#listeners.add(onChange);
      onChange();
    });
  }

  #noReaderError(readerName: string | undefined, timeoutMs: number): TransportError {
    if (!this.#everConnected) {
      return new TransportError(
        TransportErrorCode.PcscUnavailable,
        `pcscd is not running (nothing answers on ${pcscdSocketPath()} within ${timeoutMs} ms): ` +
          'start it (scripts/pcsc-stack.sh start, or systemctl start pcscd)',
      );
    }
    const present = this.readerNames();
    const list = present.length === 0 ? 'none' : present.map((name) => `'${name}'`).join(', ');
    const wanted = readerName === undefined ? 'no PC/SC reader' : `no PC/SC reader named '${readerName}'`;
    return new TransportError(
      TransportErrorCode.NoReader,
      `${wanted} within ${timeoutMs} ms; readers present: ${list}`,
      {
        ...(readerName === undefined ? {} : { detail: { reader: readerName } }),
      },
    );
  }

  #createNfc(): void {
    let nfc: Nfc;
    try {
      nfc = new this.#module.NFC();
    } catch (cause) {
      this.#onError(toTransportError(cause, '(all)', 'SCardEstablishContext', TransportErrorCode.PcscUnavailable));
      this.#scheduleRecovery();
      return;
    }
    this.#nfc = nfc;
    this.#everConnected = true;
    this.#recoveryDelayMs = FIRST_RECOVERY_DELAY_MS;
    nfc.on('reader', (reader) => this.#attachReader(nfc, reader));
    nfc.on('error', (cause) => {
      if (this.#nfc !== nfc) return;
      this.#onError(toTransportError(cause, '(all)', 'PC/SC monitor', TransportErrorCode.ReaderRemoved));
      this.#startRecovery();
    });
  }

  #attachReader(nfc: Nfc, reader: NfcReader): void {
    if (this.#nfc !== nfc) return;
    // Otherwise nfc-pcsc sends its own SELECT (or GET UID) to every card and never emits 'card'.
    reader.autoProcessing = false;
    this.#readers.push(reader);
    let slot = this.#slots.get(reader.name);
    if (slot === undefined) {
      slot = new ReaderSlot(reader.name);
      this.#slots.set(reader.name, slot);
    }
    const current = slot;
    const live = (): boolean => this.#nfc === nfc && current.reader === reader;
    reader.on('card', (card) => {
      if (live()) current.cardInserted(new Uint8Array(card.atr ?? []));
    });
    reader.on('card.off', () => {
      if (live()) current.cardRemoved();
    });
    // Required: an 'error' without a listener on any reader would crash the process.
    reader.on('error', (cause) => {
      if (!live()) return;
      this.#onError(toTransportError(cause, reader.name, 'SCardGetStatusChange', TransportErrorCode.ReaderRemoved));
      // The reader's monitor thread stops on any error; only a new PC/SC context brings it back.
      this.#startRecovery();
    });
    reader.on('end', () => {
      if (live()) current.detach();
      this.#notify();
    });
    current.attach(reader);
    this.#notify();
  }

  #onTransmitFailure(slot: ReaderSlot, generation: number, error: TransportError): void {
    if (error.code === TransportErrorCode.CardRemoved) {
      // No new session on this card until pcscd confirms it (see ReaderSlot.cardFailed).
      slot.cardFailed(generation);
    } else if (error.code === TransportErrorCode.ReaderRemoved && isServiceGone(error.detail?.pcscCode)) {
      this.#startRecovery();
    }
  }

  /** Drops the PC/SC context at once and retries pcscd with backoff until it answers. */
  #startRecovery(): void {
    if (this.#recovering || this.#closed) return;
    this.#recovering = true;
    // Not inside the native callback that reported the failure: closing a reader there would
    // wait on a mutex that callback holds.
    setImmediate(() => {
      this.#dropNfc();
      this.#notify();
      this.#scheduleRecovery();
    });
  }

  #scheduleRecovery(): void {
    if (this.#closed) return;
    this.#recovering = true;
    const delay = this.#recoveryDelayMs;
    this.#recoveryDelayMs = Math.min(this.#maxRecoveryDelayMs, this.#recoveryDelayMs * 2);
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = undefined;
      void isPcscdListening().then((listening) => {
        if (this.#closed) return;
        if (!listening) {
          this.#scheduleRecovery();
          return;
        }
        this.#recovering = false;
        this.#createNfc();
      });
    }, delay);
  }

  #dropNfc(): void {
    const nfc = this.#nfc;
    const readers = this.#readers;
    this.#nfc = undefined;
    this.#readers = [];
    for (const slot of this.#slots.values()) if (slot.reader !== undefined) slot.detach();
    for (const reader of readers) {
      try {
        reader.reader.close();
      } catch {
        // Already stopped: its monitor thread ended with the failure that brought us here.
      }
    }
    try {
      nfc?.close();
    } catch {
      // Same: nothing left to stop.
    }
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}
