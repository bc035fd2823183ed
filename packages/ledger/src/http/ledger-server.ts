import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CBOR_CONTENT_TYPE, LedgerApi, Limits, RECEIPT_STATUS_NAME, toHex } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import type { Ledger } from '../ledger.js';
import type { TerminalRecord } from '../store/ledger-store.js';
import { parseEnrolmentRequest } from '../scheme/terminal-enrolment.js';
import { DEFAULT_ENROLMENT_LIMITS, EnrolmentThrottle, type EnrolmentLimits } from './enrolment-throttle.js';

/**
 * How long the service waits for each part of a request and how much one client may take. Every wait is bounded:
 * a client that stops sending is dropped, whatever phase it stops in.
 */
export interface LedgerServerLimits {
  /** TLS handshake, from TCP connect (HTTPS only). */
  readonly handshakeTimeoutMs: number;
  /** Request line and headers, from the connection or the end of the previous request. */
  readonly headersTimeoutMs: number;
  /** Longest silence while a request body is arriving. */
  readonly bodyIdleTimeoutMs: number;
  /**
   * Minimum-rate rule for bodies: the whole body must arrive within `bodyGraceMs` plus its length (the declared
   * length, at most the route's body limit) at `bodyMinBytesPerSecond`.
   */
  readonly bodyGraceMs: number;
  readonly bodyMinBytesPerSecond: number;
  /** Longest silence at any other time, including while the ledger works on a request (fastify connectionTimeout). */
  readonly idleTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections in all; further ones are closed at once. */
  readonly maxConnections: number;
  /** Open connections from one IP address; further ones are closed at once. */
  readonly maxConnectionsPerClient: number;
  /** Requests one IP address may make per window, on every route; more are answered 429 with retry-after. */
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
}

/**
 * Defaults. Headers are small: 10 s is ample. Bodies: silence over 10 s ends the upload, and the minimum rate
 * 64 KiB/s (after 10 s of grace) lets an 8 MiB batch take up to 138 s, far beyond what the reference terminal waits
 * for its answer (15 s), so no honest upload is cut, while a client holding a body open without sending is
 * dropped after 10 s. 256 connections in all and 32 per address bound what stalled uploads can pin
 * (at most 8 MiB each) and keep one address from taking every slot. 1,200 requests a minute per address is
 * a sync (3-4 requests) every 0.2 s: generous for terminals behind one NAT address, fatal to a flood.
 */
export const DEFAULT_LEDGER_SERVER_LIMITS: LedgerServerLimits = {
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  bodyIdleTimeoutMs: 10_000,
  bodyGraceMs: 10_000,
  bodyMinBytesPerSecond: 64 * 1024,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 10_000,
  maxConnections: 256,
  maxConnectionsPerClient: 32,
  rateLimitMax: 1_200,
  rateLimitWindowMs: 60_000,
};

/** The certificate chain and private key the service presents (PEM). */
export interface LedgerServerTls {
  readonly cert: string;
  readonly key: string;
}

/** Options of the HTTP service. */
export interface LedgerServerOptions {
  readonly ledger: Ledger;
  /** When failed enrolment attempts lock clients out; default DEFAULT_ENROLMENT_LIMITS. */
  readonly enrolmentLimits?: EnrolmentLimits;
  /** Serve HTTPS with this certificate and key; without it the service speaks plain HTTP. */
  readonly tls?: LedgerServerTls;
  /** Overrides of DEFAULT_LEDGER_SERVER_LIMITS. */
  readonly limits?: Partial<LedgerServerLimits>;
  /** Fastify's logger (pino) on or off; default off. */
  readonly logger?: boolean;
}

/** The service: fastify on node:https, or on node:http without TLS. */
export type LedgerServer = FastifyInstance<Server | HttpsServer>;

/** Largest JSON body any endpoint takes (an enrolment request). */
const JSON_BODY_LIMIT = 16 * 1024;

const STATUS_OF_ERROR: Readonly<Record<string, number>> = {
  [LedgerErrorCode.BadRequest]: 400,
  [LedgerErrorCode.Unauthorized]: 401,
  [LedgerErrorCode.NotFound]: 404,
  [LedgerErrorCode.TerminalConflict]: 409,
  [LedgerErrorCode.UnknownIssuer]: 422,
  [LedgerErrorCode.RateLimited]: 429,
  [LedgerErrorCode.Worker]: 503,
};

/**
 * The ledger's HTTP API (core's LedgerApi), on fastify, over HTTPS when `tls` is given. Wire data that fails
 * verification is answered with a typed refusal { error, check, reason } (422, or 403 when the terminal or the card
 * is not allowed); malformed requests get 400, oversized bodies 413, wrong content types 415, a client over its
 * rate 429. Every phase of a request has a deadline (`limits`), and connections are capped in all and per address.
 * Nothing a client sends can crash the service or hold it indefinitely. Enrolment takes a single-use invite code;
 * failed attempts are counted per client address and in all, and past the limits the service answers 429 without
 * looking at the code (so a lockout never uses up a valid one).
 * Call `listen` on the result; `close` stops it (the caller closes the ledger and its store).
 * @throws RangeError if a limit is not a positive number.
 * @example const app = buildLedgerServer({ ledger, tls: { cert, key } }); await app.listen({ port: 8443 })
 */
export function buildLedgerServer(options: LedgerServerOptions): LedgerServer {
  const { ledger } = options;
  const limits = checkedLimits(options.limits);
  const throttle = new EnrolmentThrottle(options.enrolmentLimits ?? DEFAULT_ENROLMENT_LIMITS, ledger.context.clock);
  // Node checks headers and request deadlines on this tick (default 30 s, which would stretch every deadline).
  const nodeServer = { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: 1_000 };
  const app: LedgerServer = Fastify({
    logger: options.logger ?? false,
    bodyLimit: JSON_BODY_LIMIT,
    ...(options.tls === undefined
      ? { http: nodeServer }
      : {
          https: {
            ...nodeServer,
            cert: options.tls.cert,
            key: options.tls.key,
            handshakeTimeout: limits.handshakeTimeoutMs,
          },
        }),
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node's own bound on receiving a whole request: the longest body deadline, as a backstop for the hook below.
    requestTimeout: limits.headersTimeoutMs + bodyDeadlineMs(Limits.batchBytes, limits),
  });
  capConnections(app.server, limits);
  const overRate = rateLimiter(limits);
  app.addHook('onRequest', (request, reply, done) => {
    guardBody(request.raw, reply.raw, request.routeOptions.bodyLimit ?? JSON_BODY_LIMIT, limits);
    const retryAfterSeconds = overRate(request);
    if (retryAfterSeconds === undefined) return done();
    void reply.header('retry-after', String(retryAfterSeconds));
    done(
      new LedgerError(
        LedgerErrorCode.RateLimited,
        `more than ${limits.rateLimitMax} requests from this address in ${limits.rateLimitWindowMs / 1000} s: retry in ${retryAfterSeconds} s`,
        { detail: { retryAfterSeconds } },
      ),
    );
  });

  app.addContentTypeParser(CBOR_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    if (error instanceof LedgerError) {
      const status = STATUS_OF_ERROR[error.code] ?? 500;
      return reply.code(status).send({ error: error.code, reason: status === 500 ? 'internal error' : error.message });
    }
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply
      .code(status)
      .send({ error: error.code ?? 'INTERNAL', reason: status === 500 ? 'internal error' : error.message });
  });

  app.post(LedgerApi.batches, { bodyLimit: Limits.batchBytes }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return unsupported(reply);
    const result = await ledger.ingestBatch(bodyBytes(request.body), 'http');
    if (!result.ok) return refuse(reply, result.enrolled ? 422 : 403, result.check, result.reason);
    return cbor(reply, result.result);
  });

  app.get(LedgerApi.denyList, async (_request, reply) => cbor(reply, await ledger.denyList()));

  app.get(LedgerApi.trustAnchors, async (_request, reply) => cbor(reply, await ledger.trustAnchorBundle()));

  app.post(LedgerApi.enrolTerminal, async (request, reply) => {
    const wait = throttle.retryAfter(request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new LedgerError(LedgerErrorCode.RateLimited, `too many failed enrolment attempts: try again in ${wait} s`);
    }
    // A malformed body is refused before the code is looked at, so it neither counts as a guess nor uses a code up.
    const body = parseEnrolmentRequest(request.body);
    const header = request.headers.authorization;
    const code = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    let record: TerminalRecord;
    try {
      record = await ledger.enrolWithCode(code, body);
    } catch (e) {
      if (e instanceof LedgerError && e.code === LedgerErrorCode.Unauthorized) throttle.fail(request.ip);
      throw e;
    }
    return {
      certificate: toHex(record.certificate),
      acquirerId: toHex(ledger.context.acquirer.id),
      terminalId: toHex(record.terminalId),
      merchantId: toHex(record.merchantId),
      mcc: record.mcc,
      name: record.name,
    };
  });

  app.post(LedgerApi.authorizeLoad, { bodyLimit: Limits.loadRequestBytes }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return unsupported(reply);
    const result = await ledger.authorizeLoad(bodyBytes(request.body));
    if (!result.ok) return refuse(reply, result.forbidden ? 403 : 422, result.check, result.reason);
    return cbor(reply, result.value);
  });

  app.post(LedgerApi.loadReceipts, { bodyLimit: Limits.receiptBytes }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return unsupported(reply);
    const result = await ledger.recordLoadReceipt(bodyBytes(request.body));
    if (!result.ok) return refuse(reply, 422, result.check, result.reason);
    const o = result.value;
    return {
      status: RECEIPT_STATUS_NAME[o.status],
      ...(o.check !== undefined && { check: o.check }),
      ...(o.reason !== undefined && { reason: o.reason }),
    };
  });

  // Proof that a card's key signed what no genuine card signs, from a terminal that saw it (6.2): self-verifying.
  app.post(LedgerApi.evidence, { bodyLimit: Limits.evidenceBytes }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return unsupported(reply);
    const result = await ledger.recordEvidence(bodyBytes(request.body));
    if (!result.ok) return refuse(reply, 422, result.check, result.reason);
    return { caseId: result.value.caseId, created: result.value.created, revoked: result.value.revoked };
  });

  app.get(LedgerApi.health, async () => ({ ok: true, time: ledger.context.clock() }));

  return app;
}

function checkedLimits(overrides: Partial<LedgerServerLimits> | undefined): LedgerServerLimits {
  const limits = { ...DEFAULT_LEDGER_SERVER_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`server limit ${name} must be a positive whole number, got ${String(value)}`);
  }
  return limits;
}

/** How long a body of `bytes` may take to arrive under the minimum-rate rule. */
function bodyDeadlineMs(bytes: number, limits: LedgerServerLimits): number {
  return limits.bodyGraceMs + Math.ceil((bytes * 1000) / limits.bodyMinBytesPerSecond);
}

/**
 * Bounds the body of one request: silence over bodyIdleTimeoutMs, or a body slower than the minimum rate, closes
 * the connection (the client learns nothing more than a reset; an honest terminal retries). Runs before the rate
 * limit, so a refused request's unread body is bounded too.
 */
function guardBody(
  request: IncomingMessage,
  response: ServerResponse,
  bodyLimit: number,
  limits: LedgerServerLimits,
): void {
  const declared = Number(request.headers['content-length'] ?? 0);
  const chunked = request.headers['transfer-encoding'] !== undefined;
  if (!chunked && !(declared > 0)) return;
  const socket = request.socket;
  const expected = chunked || !Number.isSafeInteger(declared) ? bodyLimit : Math.min(declared, bodyLimit);
  socket.setTimeout(limits.bodyIdleTimeoutMs);
  const deadline = setTimeout(() => socket.destroy(), bodyDeadlineMs(expected, limits));
  const received = (): void => {
    clearTimeout(deadline);
    // Once the answer is out, node's keep-alive timer owns the socket's timeout.
    if (!socket.destroyed && !response.writableEnded) socket.setTimeout(limits.idleTimeoutMs);
  };
  request.once('end', received);
  request.once('close', received);
}

/**
 * Per-address request counts in fixed windows: the returned function counts a request and answers undefined, or the
 * seconds until the window ends when the address is over its limit. The table is dropped at each new window, so it
 * holds at most the addresses seen in one window (each needed a TCP connection: spoofed addresses cannot fill it).
 */
function rateLimiter(limits: LedgerServerLimits): (request: FastifyRequest) => number | undefined {
  let window = -1;
  let counts = new Map<string, number>();
  return (request) => {
    const now = Date.now();
    const current = Math.floor(now / limits.rateLimitWindowMs);
    if (current !== window) {
      window = current;
      counts = new Map();
    }
    const count = (counts.get(request.ip) ?? 0) + 1;
    counts.set(request.ip, count);
    return count <= limits.rateLimitMax
      ? undefined
      : Math.ceil(((current + 1) * limits.rateLimitWindowMs - now) / 1000);
  };
}

/** Closes connections past the cap in all (node's maxConnections) and past the cap per client address. */
function capConnections(server: Server | HttpsServer, limits: LedgerServerLimits): void {
  server.maxConnections = limits.maxConnections;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? '';
    const count = (open.get(client) ?? 0) + 1;
    if (count > limits.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    open.set(client, count);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left === 0) open.delete(client);
      else open.set(client, left);
    });
  });
}

/** The request body as bytes (the CBOR parser hands over a Buffer; the handlers checked that). */
function bodyBytes(body: unknown): Uint8Array {
  const b = body as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** 415: a CBOR endpoint got another content type (which fastify parsed as text or JSON). */
function unsupported(reply: FastifyReply): FastifyReply {
  return reply.code(415).send({ error: 'unsupported-media-type', reason: `the body must be ${CBOR_CONTENT_TYPE}` });
}

function cbor(reply: FastifyReply, bytes: Uint8Array): FastifyReply {
  return reply.type(CBOR_CONTENT_TYPE).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function refuse(reply: FastifyReply, status: number, check: string, reason: string): FastifyReply {
  return reply.code(status).send({ error: 'refused', check, reason });
}
