import { CBOR_CONTENT_TYPE, LedgerApi, Limits, fromHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { httpExchange, type HttpAnswer } from './http-client.js';

/** What the acquirer returns to an online enrolment. */
export interface EnrolmentAnswer {
  readonly certificate: Uint8Array;
  readonly acquirerId: Uint8Array;
}

/**
 * Parses the ledger's base URL.
 * @throws TerminalError BAD_CONFIG if it is not an http(s) URL.
 * @example ledgerBaseUrl('http://127.0.0.1:8080')
 */
export function ledgerBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new TerminalError(TerminalErrorCode.BadConfig, `not a URL: ${text}`, { action: 'Give the ledger URL as http://host:port.' }, e);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TerminalError(TerminalErrorCode.BadConfig, `not an http(s) URL: ${text}`, { action: 'Give the ledger URL as http://host:port.' });
  return url;
}

/** Options of a ledger client. */
export interface LedgerClientOptions {
  /** Per request; uploads of large batches get the same bound. Default 15 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The terminal's side of the ledger HTTP API (core's LedgerApi). Every answer is returned as bytes to be verified
 * by the caller; HTTP failures become TerminalErrors: 5xx, 408 and 429 are LEDGER_UNREACHABLE (try later), other
 * 4xx are LEDGER_REFUSED (repeating will not help).
 */
export class LedgerClient {
  readonly #base: URL;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  /** @throws TerminalError BAD_CONFIG if `baseUrl` is not an http(s) URL. */
  constructor(baseUrl: string, options: LedgerClientOptions = {}) {
    this.#base = ledgerBaseUrl(baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#signal = options.signal;
  }

  /** POST /v1/batches: the signed BatchResult bytes (to verify). `onSent` runs once the batch is on the wire. */
  async uploadBatch(batch: Uint8Array, onSent?: () => void): Promise<Uint8Array> {
    const a = await this.call('POST', LedgerApi.batches, Limits.batchResultBytes, { 'content-type': CBOR_CONTENT_TYPE, accept: CBOR_CONTENT_TYPE }, batch, onSent);
    return a.body;
  }

  /** GET /v1/deny-list: the newest DenyList COSE_Sign1 (to verify). */
  async denyList(): Promise<Uint8Array> {
    return (await this.call('GET', LedgerApi.denyList, Limits.denyListBytes, { accept: CBOR_CONTENT_TYPE })).body;
  }

  /** GET /v1/trust-anchors: the TrustAnchorBundle CBOR (to verify against the pinned root). */
  async trustAnchors(): Promise<Uint8Array> {
    return (await this.call('GET', LedgerApi.trustAnchors, Limits.certificateBytes * (Limits.trustAnchorCertificates + 1) + 64, { accept: CBOR_CONTENT_TYPE })).body;
  }

  /** POST /v1/terminals with a single-use enrolment code: the terminal certificate (to verify) and the acquirer's id. */
  async enrolTerminal(code: string, request: { readonly publicKey: string }): Promise<EnrolmentAnswer> {
    const body = new TextEncoder().encode(JSON.stringify(request));
    const a = await this.call('POST', LedgerApi.enrolTerminal, 64 * 1024, { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${code}` }, body);
    try {
      const o = JSON.parse(new TextDecoder().decode(a.body)) as { certificate?: unknown; acquirerId?: unknown };
      if (typeof o.certificate !== 'string' || typeof o.acquirerId !== 'string') throw new TypeError('certificate and acquirerId must be hex strings');
      return { certificate: fromHex(o.certificate), acquirerId: fromHex(o.acquirerId) };
    } catch (e) {
      throw new TerminalError(TerminalErrorCode.LedgerAnswerInvalid, `the ledger's enrolment answer is malformed: ${(e as Error).message}`, { action: 'Try again; if it repeats, call your acquirer.' }, e);
    }
  }

  /**
   * POST /v1/loads: hands the ledger this load point's signed LoadRequest, asking the card's issuer to authorise a
   * load bound to the card's challenge. Answers the issuer-signed LoadAuthorization bytes (the card verifies them).
   */
  async authorizeLoad(signedRequest: Uint8Array): Promise<Uint8Array> {
    return (await this.call('POST', LedgerApi.authorizeLoad, Limits.issuerMessageBytes, { 'content-type': CBOR_CONTENT_TYPE, accept: CBOR_CONTENT_TYPE }, signedRequest)).body;
  }

  /** POST /v1/load-receipts: hands the ledger the card's signed load receipt. */
  async recordLoadReceipt(receipt: Uint8Array): Promise<void> {
    await this.call('POST', LedgerApi.loadReceipts, 64 * 1024, { 'content-type': CBOR_CONTENT_TYPE, accept: 'application/json' }, receipt);
  }

  /**
   * POST /v1/evidence: hands the ledger DoubleSpendEvidence this terminal collected (a card that signed two receipts
   * for one counter). Answers the ledger's JSON text ({ caseId, created, revoked }), kept with the incident.
   */
  async deliverEvidence(evidence: Uint8Array): Promise<string> {
    const a = await this.call('POST', LedgerApi.evidence, 64 * 1024, { 'content-type': CBOR_CONTENT_TYPE, accept: 'application/json' }, evidence);
    return new TextDecoder().decode(a.body);
  }

  private async call(method: 'GET' | 'POST', path: string, maxResponseBytes: number, headers: Record<string, string>, body?: Uint8Array, onSent?: () => void): Promise<HttpAnswer> {
    const a = await httpExchange({
      method, url: new URL(path, this.#base), headers, maxResponseBytes, timeoutMs: this.#timeoutMs,
      ...(body !== undefined && { body }), ...(onSent !== undefined && { onSent }), ...(this.#signal !== undefined && { signal: this.#signal }),
    });
    if (a.status === 200) return a;
    const text = new TextDecoder().decode(a.body.subarray(0, 300)).replace(/\s+/g, ' ');
    const what = `${method} ${path} answered HTTP ${a.status}${text === '' ? '' : `: ${text}`}`;
    if (a.status >= 500 || a.status === 408 || a.status === 429) {
      throw new TerminalError(TerminalErrorCode.LedgerUnreachable, `the ledger is not available: ${what}`, { action: 'Nothing is lost: try again later (the daemon retries by itself).', httpStatus: a.status });
    }
    throw new TerminalError(TerminalErrorCode.LedgerRefused, `the ledger refused: ${what}`, { action: 'Repeating will not help: call your acquirer with this message.', httpStatus: a.status });
  }
}
