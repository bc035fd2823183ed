import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { NextStep } from '../errors/next-step.js';

/** An HTTP answer with its body read in full (bounded). */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** One request. */
export interface HttpCall {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  /** Whole exchange, connect to last byte. */
  readonly timeoutMs: number;
  /** Larger answers are cut off and refused (hostile or broken servers cannot exhaust memory). */
  readonly maxResponseBytes: number;
  /** https: the only certificates (PEM) the server's certificate may chain to; absent: the system's CAs. */
  readonly ca?: string;
  /** Runs once the request is fully written to the socket (the crash-point hook of "upload sent"). */
  readonly onSent?: () => void;
  readonly signal?: AbortSignal;
}

/**
 * Performs one HTTP(S) request with node:http(s): hard timeout, bounded body, a hook once the request is sent, and
 * with `ca` a server certificate checked against those certificates only (node's `ca` replaces the system's CAs).
 * @throws TerminalError LEDGER_UNREACHABLE on connection failure, timeout or abort; LEDGER_ANSWER_INVALID on an oversized answer.
 * @example const a = await httpExchange({ method: 'GET', url: new URL('/v1/health', base), timeoutMs: 5000, maxResponseBytes: 4096 })
 */
export function httpExchange(call: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = call.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...call.headers };
    if (call.body !== undefined) headers['content-length'] = String(call.body.length);
    let settled = false;
    const fail = (error: TerminalError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const unreachable = (why: string, cause?: unknown): TerminalError =>
      new TerminalError(
        TerminalErrorCode.LedgerUnreachable,
        `the ledger at ${call.url.origin} is unreachable: ${why}`,
        { next: NextStep.RetryLater },
        cause,
      );
    const req = send(
      call.url,
      {
        method: call.method,
        headers,
        ...(call.ca !== undefined && { ca: call.ca }),
        ...(call.signal !== undefined && { signal: call.signal }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > call.maxResponseBytes) {
            fail(
              new TerminalError(
                TerminalErrorCode.LedgerAnswerInvalid,
                `the ledger's answer exceeds ${call.maxResponseBytes} bytes`,
                { next: NextStep.RetryLater },
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (e) => fail(unreachable(e.message, e)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const all = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: new Uint8Array(all.buffer, all.byteOffset, all.byteLength),
          });
        });
      },
    );
    const timer = setTimeout(() => fail(unreachable(`no complete answer within ${call.timeoutMs} ms`)), call.timeoutMs);
    req.on('error', (e) => fail(unreachable(e.message, e)));
    req.end(
      call.body === undefined ? undefined : Buffer.from(call.body.buffer, call.body.byteOffset, call.body.byteLength),
      () => call.onSent?.(),
    );
  });
}
