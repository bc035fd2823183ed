import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { CBOR_CONTENT_TYPE, LedgerApi, Limits, RECEIPT_STATUS_NAME, toHex } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import type { Ledger } from '../ledger.js';
import type { TerminalRecord } from '../store/ledger-store.js';
import { parseEnrolmentRequest } from '../scheme/terminal-enrolment.js';
import { DEFAULT_ENROLMENT_LIMITS, EnrolmentThrottle, type EnrolmentLimits } from './enrolment-throttle.js';

/** Options of the HTTP service. */
export interface LedgerServerOptions {
  readonly ledger: Ledger;
  /** When failed enrolment attempts lock clients out; default DEFAULT_ENROLMENT_LIMITS. */
  readonly enrolmentLimits?: EnrolmentLimits;
  /** Fastify's logger (pino) on or off; default off. */
  readonly logger?: boolean;
}

/** Largest JSON body any endpoint takes (an enrolment request). */
const JSON_BODY_LIMIT = 16 * 1024;

const STATUS_OF_ERROR: Readonly<Record<string, number>> = {
  [LedgerErrorCode.BadRequest]: 400,
  [LedgerErrorCode.Unauthorised]: 401,
  [LedgerErrorCode.NotFound]: 404,
  [LedgerErrorCode.RateLimited]: 429,
  [LedgerErrorCode.TerminalConflict]: 409,
  [LedgerErrorCode.UnknownIssuer]: 422,
  [LedgerErrorCode.Worker]: 503,
};

/**
 * The ledger's HTTP API (core's LedgerApi), on fastify. Wire data that fails verification is answered with a
 * typed refusal { error, check, reason } (422, or 403 when the terminal or the card is not allowed); malformed
 * requests get 400, oversized bodies 413, wrong content types 415. Nothing a client sends can crash the service.
 * Enrolment takes a single-use invite code; failed attempts are counted per client address and in all, and past
 * the limits the service answers 429 without looking at the code (so a lockout never uses up a valid one).
 * Call `listen` on the result; `close` stops it (the caller closes the ledger and its store).
 * @example const app = buildLedgerServer({ ledger }); await app.listen({ port: 8080 })
 */
export function buildLedgerServer(options: LedgerServerOptions): FastifyInstance {
  const { ledger } = options;
  const throttle = new EnrolmentThrottle(options.enrolmentLimits ?? DEFAULT_ENROLMENT_LIMITS, ledger.context.clock);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: JSON_BODY_LIMIT });

  app.addContentTypeParser(CBOR_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
    if (error instanceof LedgerError) {
      const status = STATUS_OF_ERROR[error.code] ?? 500;
      return reply.code(status).send({ error: error.code, reason: status === 500 ? 'internal error' : error.message });
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ error: error.code ?? 'INTERNAL', reason: status === 500 ? 'internal error' : error.message });
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
      if (e instanceof LedgerError && e.code === LedgerErrorCode.Unauthorised) throttle.fail(request.ip);
      throw e;
    }
    return {
      certificate: toHex(record.certificate), acquirerId: toHex(ledger.context.acquirer.id), terminalId: toHex(record.terminalId),
      merchantId: toHex(record.merchantId), mcc: record.mcc, name: record.name,
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
    return { status: RECEIPT_STATUS_NAME[o.status], ...(o.check !== undefined && { check: o.check }), ...(o.reason !== undefined && { reason: o.reason }) };
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
