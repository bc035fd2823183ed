import { X509Certificate } from 'node:crypto';
import { CBOR_CONTENT_TYPE, LedgerApi, Limits, fromHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { httpExchange, type HttpAnswer } from './http-client.js';
import { NextStep } from '../errors/next-step.js';

/** What the acquirer returns to an online enrolment. */
export interface EnrolmentAnswer {
  readonly certificate: Uint8Array;
  readonly acquirerId: Uint8Array;
}

/**
 * Parses the ledger's base URL.
 * @throws TerminalError BAD_CONFIG if it is not an http(s) URL.
 * @example ledgerBaseUrl('https://127.0.0.1:8443')
 */
export function ledgerBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (e) {
    throw new TerminalError(TerminalErrorCode.BadConfig, `not a URL: ${text}`, { next: NextStep.FixLedgerUrl }, e);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TerminalError(TerminalErrorCode.BadConfig, `not an http(s) URL: ${text}`, {
      next: NextStep.FixLedgerUrl,
    });
  return url;
}

/**
 * What the terminal trusts when it calls its ledger, as given at enrolment (or by `config`): the certificates HTTPS
 * calls accept, and whether plain http: was explicitly allowed.
 */
export interface LedgerTrust {
  /**
   * PEM certificates (a CA, or the ledger's own self-signed certificate): HTTPS calls accept a ledger certificate
   * that chains to these and nothing else. Absent: the system's CAs.
   */
  readonly ca?: string;
  /** http: ledger URLs were allowed explicitly (`enrol --insecure-http`); otherwise only https: is used. */
  readonly insecureHttp: boolean;
}

/** Trust of a terminal that was given nothing: https only, the system's CAs. */
export const DEFAULT_LEDGER_TRUST: LedgerTrust = { insecureHttp: false };

/**
 * Checks a ledger URL against the trust it is to be used with: an http: URL needs `insecureHttp`.
 * @throws TerminalError BAD_CONFIG if it is not an http(s) URL, or is http: without insecureHttp.
 * @example ledgerUrlFor('https://ledger.example:8443', { insecureHttp: false })
 */
export function ledgerUrlFor(text: string, trust: LedgerTrust): URL {
  const url = ledgerBaseUrl(text);
  if (url.protocol === 'http:' && !trust.insecureHttp) {
    throw new TerminalError(
      TerminalErrorCode.BadConfig,
      `refusing plain HTTP to the ledger (${url.origin}): enrolment tokens, load requests and receipts would cross the network unencrypted`,
      {
        next: NextStep.UseHttps,
      },
    );
  }
  return url;
}

/**
 * Checks PEM text of the certificates to pin for the ledger (a CA or the ledger's self-signed certificate) and
 * returns just the certificates.
 * @throws TerminalError BAD_FILE if it holds no certificate or one that does not parse.
 * @example const ca = parseLedgerCa(readFileSync('ledger-ca.pem', 'utf8'))
 */
export function parseLedgerCa(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const bad = (why: string, cause?: unknown): TerminalError =>
    new TerminalError(TerminalErrorCode.BadFile, `the ledger CA file ${why}`, { next: NextStep.GiveLedgerCa }, cause);
  if (blocks.length === 0) throw bad('holds no PEM certificate');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (e) {
      throw bad(`holds a certificate that does not parse: ${(e as Error).message}`, e);
    }
  }
  return `${blocks.join('\n')}\n`;
}

/** SHA-256 fingerprint of the first pinned certificate (for status output). */
export function ledgerCaFingerprint(ca: string): string {
  return new X509Certificate(ca).fingerprint256;
}

/** Options of a ledger client. */
export interface LedgerClientOptions {
  /** How the ledger is reached: pinned certificates, and whether http: is allowed. Default DEFAULT_LEDGER_TRUST. */
  readonly trust?: LedgerTrust;
  /** Per request; uploads of large batches get the same bound. Default 15 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The terminal's side of the ledger HTTP API (core's LedgerApi). Every answer is returned as bytes to be verified
 * by the caller; HTTP failures become TerminalErrors: 5xx, 408 and 429 are LEDGER_UNREACHABLE (try later), other
 * 4xx are LEDGER_REFUSED (repeating will not help). Over HTTPS with a pinned CA, a ledger whose certificate does
 * not chain to it is never talked to (LEDGER_UNREACHABLE: nothing is sent).
 */
export class LedgerClient {
  readonly #base: URL;
  readonly #ca: string | undefined;
  readonly #timeoutMs: number;
  readonly #signal: AbortSignal | undefined;

  /** @throws TerminalError BAD_CONFIG if `baseUrl` is not an http(s) URL, or is http: and the trust does not allow it. */
  constructor(baseUrl: string, options: LedgerClientOptions = {}) {
    const trust = options.trust ?? DEFAULT_LEDGER_TRUST;
    this.#base = ledgerUrlFor(baseUrl, trust);
    this.#ca = trust.ca;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#signal = options.signal;
  }

  /** POST /v1/batches: the signed BatchResult bytes (to verify). `onSent` runs once the batch is on the wire. */
  async uploadBatch(batch: Uint8Array, onSent?: () => void): Promise<Uint8Array> {
    const a = await this.call(
      'POST',
      LedgerApi.batches,
      Limits.batchResultBytes,
      { 'content-type': CBOR_CONTENT_TYPE, accept: CBOR_CONTENT_TYPE },
      batch,
      onSent,
    );
    return a.body;
  }

  /** GET /v1/deny-list: the newest DenyList COSE_Sign1 (to verify). */
  async denyList(): Promise<Uint8Array> {
    return (await this.call('GET', LedgerApi.denyList, Limits.denyListBytes, { accept: CBOR_CONTENT_TYPE })).body;
  }

  /** GET /v1/trust-anchors: the TrustAnchorBundle CBOR (to verify against the pinned root). */
  async trustAnchors(): Promise<Uint8Array> {
    return (
      await this.call(
        'GET',
        LedgerApi.trustAnchors,
        Limits.certificateBytes * (Limits.trustAnchorCertificates + 1) + 64,
        { accept: CBOR_CONTENT_TYPE },
      )
    ).body;
  }

  /** POST /v1/terminals with a single-use enrolment code: the terminal certificate (to verify) and the acquirer's id. */
  async enrolTerminal(code: string, request: { readonly publicKey: string }): Promise<EnrolmentAnswer> {
    const body = new TextEncoder().encode(JSON.stringify(request));
    const a = await this.call(
      'POST',
      LedgerApi.enrolTerminal,
      64 * 1024,
      { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${code}` },
      body,
    );
    try {
      const o = JSON.parse(new TextDecoder().decode(a.body)) as { certificate?: unknown; acquirerId?: unknown };
      if (typeof o.certificate !== 'string' || typeof o.acquirerId !== 'string')
        throw new TypeError('certificate and acquirerId must be hex strings');
      return { certificate: fromHex(o.certificate), acquirerId: fromHex(o.acquirerId) };
    } catch (e) {
      throw new TerminalError(
        TerminalErrorCode.LedgerAnswerInvalid,
        `the ledger's enrolment answer is malformed: ${(e as Error).message}`,
        { next: NextStep.RetryThenCallAcquirer },
        e,
      );
    }
  }

  /**
   * POST /v1/loads: hands the ledger this load point's signed LoadRequest, asking the card's issuer to authorize a
   * load bound to the card's challenge. Answers the issuer-signed LoadAuthorization bytes (the card verifies them).
   */
  async authorizeLoad(signedRequest: Uint8Array): Promise<Uint8Array> {
    return (
      await this.call(
        'POST',
        LedgerApi.authorizeLoad,
        Limits.issuerMessageBytes,
        { 'content-type': CBOR_CONTENT_TYPE, accept: CBOR_CONTENT_TYPE },
        signedRequest,
      )
    ).body;
  }

  /** POST /v1/load-receipts: hands the ledger the card's signed load receipt. */
  async recordLoadReceipt(receipt: Uint8Array): Promise<void> {
    await this.call(
      'POST',
      LedgerApi.loadReceipts,
      64 * 1024,
      { 'content-type': CBOR_CONTENT_TYPE, accept: 'application/json' },
      receipt,
    );
  }

  /**
   * POST /v1/evidence: hands the ledger DoubleSpendEvidence this terminal collected (a card that signed two receipts
   * for one counter). Answers the ledger's JSON text ({ caseId, created, revoked }), kept with the incident.
   */
  async deliverEvidence(evidence: Uint8Array): Promise<string> {
    const a = await this.call(
      'POST',
      LedgerApi.evidence,
      64 * 1024,
      { 'content-type': CBOR_CONTENT_TYPE, accept: 'application/json' },
      evidence,
    );
    return new TextDecoder().decode(a.body);
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    maxResponseBytes: number,
    headers: Record<string, string>,
    body?: Uint8Array,
    onSent?: () => void,
  ): Promise<HttpAnswer> {
    const a = await httpExchange({
      method,
      url: new URL(path, this.#base),
      headers,
      maxResponseBytes,
      timeoutMs: this.#timeoutMs,
      ...(this.#ca !== undefined && { ca: this.#ca }),
      ...(body !== undefined && { body }),
      ...(onSent !== undefined && { onSent }),
      ...(this.#signal !== undefined && { signal: this.#signal }),
    });
    if (a.status === 200) return a;
    const text = new TextDecoder().decode(a.body.subarray(0, 300)).replace(/\s+/g, ' ');
    const what = `${method} ${path} answered HTTP ${a.status}${text === '' ? '' : `: ${text}`}`;
    if (a.status >= 500 || a.status === 408 || a.status === 429) {
      throw new TerminalError(TerminalErrorCode.LedgerUnreachable, `the ledger is not available: ${what}`, {
        next: NextStep.RetryLater,
        httpStatus: a.status,
      });
    }
    throw new TerminalError(TerminalErrorCode.LedgerRefused, `the ledger refused: ${what}`, {
      next: NextStep.CallAcquirer,
      httpStatus: a.status,
    });
  }
}
