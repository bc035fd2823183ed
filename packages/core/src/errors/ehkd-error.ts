/**
 * Base class of every error this project throws. Each layer has exactly one subclass
 * (CborError, CodecError, CoseError, CardError, TransportError, TerminalError, LedgerError),
 * with a stable string `code` that programs switch on and a typed `detail` for humans and logs.
 */
export abstract class EhkdError<Code extends string = string, Detail = unknown> extends Error {
  /** Which layer raised it: stable, used in logs and reports. */
  abstract readonly layer: string;
  readonly code: Code;
  readonly detail: Detail | undefined;

  constructor(code: Code, message: string, options?: { cause?: unknown; detail?: Detail }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = options?.detail;
    this.name = new.target.name;
  }
}
