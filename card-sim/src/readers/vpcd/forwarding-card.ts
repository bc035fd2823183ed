import type { VirtualCard } from './virtual-card.js';

/** Sees each C-APDU before the wrapped card does and returns the R-APDU in its place (call `inner.process` to pass it on). */
export type CommandInterceptor = (command: Uint8Array, inner: VirtualCard) => Uint8Array | Promise<Uint8Array>;

/**
 * A card that forwards every call to another card: the one place for instrumentation (timing, counting) and for
 * test cards that misbehave on one command. Subclasses override `process`; or pass an interceptor.
 * @example const lossy = new ForwardingCard(applet, (c, inner) => (c[1] === 0x50 ? powerLost() : inner.process(c)))
 */
export class ForwardingCard implements VirtualCard {
  constructor(
    protected readonly inner: VirtualCard,
    private readonly intercept: CommandInterceptor = (command, inner) => inner.process(command),
  ) {}

  get atr(): Uint8Array {
    return this.inner.atr;
  }

  powerOn(): void {
    this.inner.powerOn();
  }

  powerOff(): void {
    this.inner.powerOff();
  }

  reset(): void {
    this.inner.reset();
  }

  process(command: Uint8Array): Uint8Array | Promise<Uint8Array> {
    return this.intercept(command, this.inner);
  }
}
