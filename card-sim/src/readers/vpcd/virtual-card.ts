/**
 * What a software card must offer to be served to pcscd over vpcd (see `serveOverVpcd`).
 * The purse applet is adapted to it; tests use small applets of their own.
 *
 * Calls are strictly sequential: the server never calls a method while a `process` is pending,
 * so an implementation needs no locking.
 *
 * @example
 * const card: VirtualCard = {
 *   atr: contactlessAtr(Uint8Array.of()),
 *   powerOn() {}, powerOff() {}, reset() {},
 *   process: (command) => Uint8Array.of(0x90, 0x00),
 * };
 */
export interface VirtualCard {
  /** Answer-to-reset the reader reports for this card (build one with `contactlessAtr`). */
  readonly atr: Uint8Array;
  /** The card entered the field (or the reader powered it): volatile state starts fresh. */
  powerOn(): void;
  /**
   * The card lost power: it left the field, the reader powered it down, or pcscd went away.
   * Volatile state (selected application, pending chains) is lost; persistent state stays.
   */
  powerOff(): void;
  /** Warm reset requested by the reader: volatile state starts fresh, as after power-on. */
  reset(): void;
  /**
   * Processes one C-APDU and returns the complete R-APDU (response data, then SW1 SW2).
   * May be asynchronous (a signature takes time). If it throws or returns fewer than 2 bytes,
   * the server answers 6F00 and reports the error through `VpcdServerOptions.onError`.
   */
  process(command: Uint8Array): Uint8Array | Promise<Uint8Array>;
}
