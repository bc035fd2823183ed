import { connect, type Socket } from 'node:net';
import { TransportError, TransportErrorCode } from '@ehkd/core';
import type { VirtualCard } from './virtual-card.js';
import { encodeFrame, FrameReader, MAX_FRAME_PAYLOAD, VpcdControl } from './vpcd-frame.js';

/** vpcd's first slot ("Virtual PCD 00 00"); the second ("Virtual PCD 00 01") is the next port. */
export const VPCD_DEFAULT_PORT = 35963;

/** Where a served card is. */
export const VpcdServerState = {
  /**
   * Trying to reach vpcd (first connection, or pcscd went away and we retry with backoff), or
   * connected and waiting for vpcd to accept the card on its next poll.
   */
  Connecting: 'connecting',
  /**
   * In the reader: vpcd accepted the connection and polled the card, so pcscd has seen this card
   * (not a card that left the slot before it).
   */
  Connected: 'connected',
  /** Taken out of the field on purpose (`pullAway`); back only with `reinsert`. */
  PulledAway: 'pulled-away',
  /** Closed for good. */
  Closed: 'closed',
} as const;
export type VpcdServerState = (typeof VpcdServerState)[keyof typeof VpcdServerState];

/** Options of `serveOverVpcd`. */
export interface VpcdServerOptions {
  /** vpcd TCP port: 35963 is reader "Virtual PCD 00 00", 35964 is "Virtual PCD 00 01". Default 35963. */
  readonly port?: number;
  /** Host where pcscd's vpcd listens. Default 127.0.0.1. */
  readonly host?: string;
  /** Longest wait between reconnect attempts while vpcd is unreachable. Default 500 ms. */
  readonly maxReconnectDelayMs?: number;
  /**
   * Shortest time a pulled-away card stays out before `reinsert` brings it back (and before `close`
   * hands its slot to another card). pcscd polls a vpcd slot about every 400 ms; a card back sooner
   * can go unnoticed as removed, and the terminal would keep a handle to a card that was in fact
   * power-cycled. Default 600 ms.
   */
  readonly minAbsenceMs?: number;
  /**
   * Receives errors that cannot go back on the wire: a `process` that threw or returned a bad
   * R-APDU (the card answered 6F00 instead), an unknown control code. Default: a process warning.
   */
  readonly onError?: (error: Error) => void;
}

/** A command the card processed (and committed) whose response never left the card. */
export interface TornExchange {
  readonly command: Uint8Array;
  /** The response the card produced and withheld. */
  readonly response: Uint8Array;
}

/** R-APDU 6F00 (no precise diagnosis): what a card answers when its code fails. */
const SW_NO_PRECISE_DIAGNOSIS = Uint8Array.of(0x6f, 0x00);
const FIRST_RECONNECT_DELAY_MS = 25;

interface Waiter {
  resolve(): void;
  reject(error: TransportError): void;
}

interface TearArm {
  readonly predicate: (command: Uint8Array) => boolean;
  resolve(exchange: TornExchange): void;
  reject(error: TransportError): void;
}

/**
 * Serves a software card to pcscd through the vpcd driver: connects to vpcd's TCP port as the
 * card ("inserts" it), answers vpcd's control frames and C-APDUs, and reconnects with bounded
 * backoff when pcscd restarts. One server per vpcd port; run several for several cards.
 *
 * @example
 * const server = serveOverVpcd(card, { port: 35963 });
 * await server.whenConnected({ timeoutMs: 2000 });
 * const torn = server.pullAwayAfterNextCommand((c) => c[1] === 0x50); // tear the next PAY
 * // ... the terminal sends PAY, gets CARD_REMOVED; `await torn` gives the withheld receipt
 * await server.reinsert();
 * await server.close();
 */
export function serveOverVpcd(card: VirtualCard, options: VpcdServerOptions = {}): VpcdCardServer {
  return new VpcdCardServer(card, options);
}

/** A software card connected to vpcd. Create it with `serveOverVpcd`. */
export class VpcdCardServer {
  readonly #card: VirtualCard;
  readonly #host: string;
  readonly #port: number;
  readonly #maxReconnectDelayMs: number;
  readonly #minAbsenceMs: number;
  readonly #onError: (error: Error) => void;

  #state: VpcdServerState = VpcdServerState.Connecting;
  #socket: Socket | undefined;
  #socketClosed: Promise<void> = Promise.resolve();
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failedAttempts = 0;
  #pulledAwayAt = 0;
  #powered = false;
  /** Every card event runs here, one at a time, in arrival order. */
  #queue: Promise<void> = Promise.resolve();
  readonly #waiters = new Set<Waiter>();
  #tearArm: TearArm | undefined;

  /** @throws RangeError on a port outside 1..65535 or a negative delay. */
  constructor(card: VirtualCard, options: VpcdServerOptions = {}) {
    const port = options.port ?? VPCD_DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new RangeError(`invalid vpcd port ${port}`);
    const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 500;
    const minAbsenceMs = options.minAbsenceMs ?? 600;
    if (!(maxReconnectDelayMs >= 0) || !(minAbsenceMs >= 0)) throw new RangeError('delays must be >= 0 ms');
    this.#card = card;
    this.#host = options.host ?? '127.0.0.1';
    this.#port = port;
    this.#maxReconnectDelayMs = maxReconnectDelayMs;
    this.#minAbsenceMs = minAbsenceMs;
    this.#onError = options.onError ?? ((error) => process.emitWarning(error));
    this.#connect();
  }

  /** The vpcd port this card uses. */
  get port(): number {
    return this.#port;
  }

  get state(): VpcdServerState {
    return this.#state;
  }

  /**
   * Resolves once vpcd has accepted the card and polled it (at once if it has): from then on a
   * PC/SC connection to the reader reaches this card. vpcd polls about every 400 ms, and takes a
   * new connection only on the poll after it noticed that the previous card left; a TCP connection
   * alone proves nothing, since until then pcscd still reports the previous card as present and
   * sends its APDUs to that card's dead socket.
   *
   * @throws TransportError TIMEOUT after `timeoutMs`, ABORTED when `signal` fires, CLOSED if the
   *   server is or gets closed.
   * @example
   * await server.whenConnected({ timeoutMs: 2000 });
   */
  whenConnected(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === VpcdServerState.Connected) return Promise.resolve();
    if (this.#state === VpcdServerState.Closed) return Promise.reject(this.#closedError());
    const { timeoutMs, signal } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new TransportError(TransportErrorCode.Aborted, 'waiting for the vpcd connection was aborted'),
      );
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        settle();
        reject(new TransportError(TransportErrorCode.Aborted, 'waiting for the vpcd connection was aborted'));
      };
      const settle = (): void => {
        this.#waiters.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          settle();
          reject(
            new TransportError(
              TransportErrorCode.Timeout,
              `vpcd on ${this.#host}:${this.#port} did not take the card within ${timeoutMs} ms (is pcscd with vpcd running? scripts/pcsc-stack.sh start)`,
            ),
          );
        }, timeoutMs);
      }
    });
  }

  /**
   * Takes the card out of the field now: closes the connection (pcscd sees the card removed on
   * its next poll) and powers the card off. A pending command still completes inside the card,
   * but its response is lost. Stays out until `reinsert`. Idempotent.
   *
   * @throws TransportError CLOSED after `close`.
   */
  async pullAway(): Promise<void> {
    if (this.#state === VpcdServerState.Closed) throw this.#closedError();
    this.#takeOut();
    await this.#enqueue(() => this.#losePower());
    await this.#socketClosed;
  }

  /**
   * Arms a one-shot tear: the next C-APDU that matches `predicate` (default: any) is processed by
   * the card, so its effects are committed, but instead of sending the response the card leaves
   * the field (as `pullAway`). This is the "card gone before the terminal got the answer" case.
   * Replaces an earlier arm that has not fired (which then rejects with CLOSED).
   *
   * @returns resolves with the torn command and the withheld response once it happened.
   * @throws TransportError CLOSED if the server is closed before the tear happens.
   * @example
   * const torn = server.pullAwayAfterNextCommand((command) => command[1] === 0x50);
   */
  pullAwayAfterNextCommand(predicate: (command: Uint8Array) => boolean = () => true): Promise<TornExchange> {
    if (this.#state === VpcdServerState.Closed) return Promise.reject(this.#closedError());
    this.#tearArm?.reject(
      new TransportError(TransportErrorCode.Closed, 'replaced by a newer pullAwayAfterNextCommand'),
    );
    return new Promise<TornExchange>((resolve, reject) => {
      this.#tearArm = { predicate, resolve, reject };
    });
  }

  /**
   * Puts a pulled-away card back: reconnects to vpcd, no sooner than `minAbsenceMs` after it left,
   * and resolves once connected. On a card that is not pulled away it only waits for the connection.
   *
   * @throws TransportError CLOSED after `close`.
   */
  reinsert(): Promise<void> {
    if (this.#state === VpcdServerState.Closed) return Promise.reject(this.#closedError());
    if (this.#state === VpcdServerState.PulledAway) {
      this.#state = VpcdServerState.Connecting;
      this.#failedAttempts = 0;
      const wait = this.#pulledAwayAt + this.#minAbsenceMs - performance.now();
      this.#scheduleConnect(Math.max(0, wait));
    }
    return this.whenConnected();
  }

  /**
   * Takes the card away for good and releases the socket. Idempotent. Resolves once the slot is
   * ready for another card: a card pulled away (or torn) less than `minAbsenceMs` ago keeps it
   * for the rest of that time. vpcd drops a card that leaves mid-exchange at once and takes the
   * next connection on its very next poll, so a card arriving sooner would never let pcscd see the
   * slot empty; pcscd, which marked the slot empty when the exchange failed, would then refuse
   * every connection to the new card (SCARD_E_NO_SMARTCARD) until it is removed again.
   */
  async close(): Promise<void> {
    const absentFor =
      this.#state === VpcdServerState.PulledAway ? performance.now() - this.#pulledAwayAt : Number.POSITIVE_INFINITY;
    if (this.#state !== VpcdServerState.Closed) {
      this.#state = VpcdServerState.Closed;
      this.#clearReconnectTimer();
      this.#socket?.destroy();
      for (const waiter of [...this.#waiters]) waiter.reject(this.#closedError());
      this.#tearArm?.reject(this.#closedError());
      this.#tearArm = undefined;
    }
    await this.#enqueue(() => this.#losePower());
    await this.#socketClosed;
    if (absentFor < this.#minAbsenceMs)
      await new Promise((resolve) => setTimeout(resolve, this.#minAbsenceMs - absentFor));
  }

  #connect(): void {
    const socket = connect({ host: this.#host, port: this.#port });
    // vpcd answers each frame only after reading it whole: never let Nagle hold our replies back.
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    const frames = new FrameReader();
    socket.on('data', (chunk: Uint8Array) => {
      // vpcd writes to a connection only once it has accepted it: its first frame is the proof.
      if (this.#socket === socket && this.#state === VpcdServerState.Connecting) this.#accepted();
      for (const frame of frames.push(chunk)) void this.#enqueue(() => this.#handleFrame(socket, frame));
    });
    // Refused or reset connections are normal here (pcscd stopped); 'close' follows and retries.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      void this.#enqueue(() => this.#losePower());
      if (this.#state === VpcdServerState.Connected || this.#state === VpcdServerState.Connecting) {
        this.#state = VpcdServerState.Connecting;
        const delay = Math.min(this.#maxReconnectDelayMs, FIRST_RECONNECT_DELAY_MS * 2 ** this.#failedAttempts);
        this.#failedAttempts = Math.min(this.#failedAttempts + 1, 20);
        this.#scheduleConnect(delay);
      }
    });
  }

  #accepted(): void {
    this.#failedAttempts = 0;
    this.#state = VpcdServerState.Connected;
    for (const waiter of [...this.#waiters]) waiter.resolve();
  }

  #takeOut(): void {
    if (this.#state === VpcdServerState.PulledAway) return;
    this.#state = VpcdServerState.PulledAway;
    this.#pulledAwayAt = performance.now();
    this.#clearReconnectTimer();
    // vpcd passes a pending exchange on to pcscd as an empty answer (Debian's vpcd 3.3, whether
    // the connection is closed or reset); the PC/SC driver reports that as CARD_REMOVED.
    this.#socket?.destroy();
  }

  #scheduleConnect(delayMs: number): void {
    this.#clearReconnectTimer();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === VpcdServerState.Connecting) this.#connect();
    }, delayMs);
  }

  #clearReconnectTimer(): void {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }

  async #handleFrame(socket: Socket, frame: Uint8Array): Promise<void> {
    if (frame.length === 0) return;
    if (frame.length === 1) {
      this.#handleControl(socket, frame[0]!);
      return;
    }
    // A contactless card is powered by the field it is in: a command implies power.
    if (!this.#powered) this.#powerOn();
    const response = await this.#process(frame);
    const arm = this.#tearArm;
    if (arm !== undefined && this.#socket === socket && this.#matches(arm, frame)) {
      this.#tearArm = undefined;
      // Already inside the event queue: lose power here rather than queue behind ourselves.
      this.#takeOut();
      this.#losePower();
      arm.resolve({ command: frame, response });
      return;
    }
    if (this.#socket === socket && !socket.destroyed) socket.write(encodeFrame(response));
  }

  #handleControl(socket: Socket, code: number): void {
    switch (code) {
      case VpcdControl.PowerOff:
        this.#losePower();
        return;
      case VpcdControl.PowerOn:
        this.#powerOn();
        return;
      case VpcdControl.Reset:
        this.#powered = true;
        this.#card.reset();
        return;
      case VpcdControl.GetAtr:
        if (this.#socket === socket && !socket.destroyed) socket.write(encodeFrame(this.#card.atr));
        return;
      default:
        this.#onError(new Error(`vpcd sent unknown control code 0x${code.toString(16).padStart(2, '0')}`));
    }
  }

  async #process(command: Uint8Array): Promise<Uint8Array> {
    try {
      const response = await this.#card.process(command);
      if (!(response instanceof Uint8Array) || response.length < 2 || response.length > MAX_FRAME_PAYLOAD) {
        throw new Error(
          `the card returned an invalid R-APDU (${response instanceof Uint8Array ? `${response.length} bytes` : typeof response})`,
        );
      }
      return response;
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
      return SW_NO_PRECISE_DIAGNOSIS;
    }
  }

  #matches(arm: TearArm, command: Uint8Array): boolean {
    try {
      return arm.predicate(command);
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }

  #powerOn(): void {
    this.#powered = true;
    this.#card.powerOn();
  }

  #losePower(): void {
    if (!this.#powered) return;
    this.#powered = false;
    this.#card.powerOff();
  }

  #enqueue(task: () => void | Promise<void>): Promise<void> {
    const run = this.#queue.then(task).catch((error: unknown) => {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
    });
    this.#queue = run;
    return run;
  }

  #closedError(): TransportError {
    return new TransportError(TransportErrorCode.Closed, `the card on vpcd port ${this.#port} was closed`);
  }
}
