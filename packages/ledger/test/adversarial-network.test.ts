// A hostile network client against the real service on real sockets (TCP and TLS): each phase of a request has a
// deadline, connections are capped in all and per address, and one address's flood is answered 429 while another
// address is served. Deadlines are set short here so that each case proves its bound in a second or two.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CBOR_CONTENT_TYPE, LedgerApi } from '@ehkd/core';
import { createDevCertificate, type DevCertificate } from '../src/http/dev-certificate.js';
import type { LedgerServerLimits } from '../src/http/ledger-server.js';
import { createTestScheme, type TestScheme } from './fixtures/test-scheme.js';
import { startTestServer, type TestServer } from './fixtures/test-server.js';

let scheme: TestScheme;
let tls: DevCertificate;
let server: TestServer | undefined;

beforeAll(async () => {
  scheme = createTestScheme();
  tls = await createDevCertificate({ hosts: ['127.0.0.1'] });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(limits: Partial<LedgerServerLimits>, withTls = false): Promise<TestServer> {
  server = await startTestServer(scheme, { limits, workers: 1, ...(withTls && { tls }) });
  return server;
}

/** A TCP connection from `localAddress` (any address of 127/8 reaches the loopback service), once connected. */
function connect(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds from now until `socket` closes; rejects if it is still open after `withinMs`. */
function closedWithin(socket: Socket, withinMs: number): Promise<number> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the service still held the connection after ${withinMs} ms`));
    }, withinMs);
    socket.on('error', () => undefined); // a reset is one way of being dropped
    socket.resume(); // read what the service says last (a 408), or 'close' never comes
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - start);
    });
  });
}

/** Sends one keep-alive GET /v1/health on `socket` and resolves with the status line once the answer starts. */
function health(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString('latin1').split('\r\n')[0]!));
    socket.once('close', () => reject(new Error('closed without an answer')));
    socket.write(`GET ${LedgerApi.health} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
  });
}

/** One request through node:http from `localAddress`: status, retry-after and body. */
function get(
  port: number,
  path: string,
  localAddress: string,
  method: 'GET' | 'POST' = 'GET',
): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        localAddress,
        agent: false,
        headers: method === 'POST' ? { 'content-type': CBOR_CONTENT_TYPE } : {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }),
        );
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? Buffer.from([0xa0]) : undefined);
  });
}

describe('deadlines: a client that stops sending is dropped', () => {
  it('drops a client that sends its headers and half a body, then stalls', async () => {
    const { port } = await serve({ bodyIdleTimeoutMs: 1_000 });
    const socket = await connect(port);
    socket.write(
      `POST ${LedgerApi.batches} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${CBOR_CONTENT_TYPE}\r\ncontent-length: 100000\r\n\r\n`,
    );
    socket.write(Buffer.alloc(50_000, 0x41));
    const after = await closedWithin(socket, 4_000);
    expect(after).toBeGreaterThanOrEqual(900);
  });

  it('drops a client that keeps a body trickling below the minimum rate', async () => {
    // 2,000 bytes at 1,000 bytes/s after 1 s of grace: the body is due within 3 s. One byte every 300 ms is never
    // silent long enough for the idle rule; only the rate rule can end it.
    const { port } = await serve({ bodyIdleTimeoutMs: 1_000, bodyGraceMs: 1_000, bodyMinBytesPerSecond: 1_000 });
    const socket = await connect(port);
    socket.write(
      `POST ${LedgerApi.loadReceipts} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${CBOR_CONTENT_TYPE}\r\ncontent-length: 200\r\n\r\n`,
    );
    const drip = setInterval(() => socket.writable && socket.write('x'), 300);
    try {
      const after = await closedWithin(socket, 5_000);
      // 200 bytes: due after 1 s + 0.2 s
      expect(after).toBeGreaterThanOrEqual(1_000);
      expect(after).toBeLessThan(3_000);
    } finally {
      clearInterval(drip);
    }
  });

  it('drops a client that never sends its headers, or stops in the middle of them', async () => {
    const { port } = await serve({ headersTimeoutMs: 1_000 });
    const silent = await connect(port);
    const partial = await connect(port);
    partial.write(`POST ${LedgerApi.batches} HTTP/1.1\r\nhost: 127.0.0.1\r\n`);
    // node checks header deadlines once a second
    const [a, b] = await Promise.all([closedWithin(silent, 4_000), closedWithin(partial, 4_000)]);
    expect(Math.min(a, b)).toBeGreaterThanOrEqual(900);
  });

  it('over TLS: drops a client that never starts the handshake, and one that sends no request after it', async () => {
    const { port } = await serve({ handshakeTimeoutMs: 1_000, headersTimeoutMs: 1_000 }, true);
    const noHandshake = await connect(port);
    const noRequest = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: tls.cert }, () => resolve(s));
      s.once('error', reject);
    });
    expect(noRequest.authorized).toBe(true);
    const [a, b] = await Promise.all([closedWithin(noHandshake, 4_000), closedWithin(noRequest, 4_000)]);
    expect(Math.min(a, b)).toBeGreaterThanOrEqual(900);
  });
});

describe('connection caps', () => {
  it('closes connections past the cap at once, and accepts again when one is freed', async () => {
    const { port } = await serve({ maxConnections: 4, maxConnectionsPerClient: 100 });
    const held = await Promise.all([1, 2, 3, 4].map(() => connect(port)));
    for (const s of held) expect(await health(s)).toBe('HTTP/1.1 200 OK');
    const extra = await connect(port);
    await expect(health(extra)).rejects.toThrow('closed without an answer');
    held[0]!.destroy();
    // the service counts the freed slot once it has seen the close: try for a second
    let next: Socket | undefined;
    for (const start = Date.now(); next === undefined && Date.now() - start < 1_000;) {
      const attempt = await connect(port);
      if ((await health(attempt).catch(() => 'refused')) === 'HTTP/1.1 200 OK') next = attempt;
    }
    expect(next).toBeDefined();
    for (const s of [...held, next!]) s.destroy();
  });

  it('caps one address without starving another', async () => {
    const { port } = await serve({ maxConnections: 100, maxConnectionsPerClient: 2 });
    const mine = [await connect(port, '127.0.0.2'), await connect(port, '127.0.0.2')];
    for (const s of mine) expect(await health(s)).toBe('HTTP/1.1 200 OK');
    await expect(health(await connect(port, '127.0.0.2'))).rejects.toThrow('closed without an answer');
    const other = await connect(port, '127.0.0.3');
    expect(await health(other)).toBe('HTTP/1.1 200 OK');
    for (const s of [...mine, other]) s.destroy();
  });
});

describe('rate limit per client address', () => {
  it('answers a flood from one address 429 with retry-after, on every route, while another address is served', async () => {
    const { port } = await serve({ rateLimitMax: 5, rateLimitWindowMs: 60_000 });
    for (let i = 0; i < 5; i++) expect((await get(port, LedgerApi.health, '127.0.0.2')).status).toBe(200);
    for (const [path, method] of [
      [LedgerApi.health, 'GET'],
      [LedgerApi.denyList, 'GET'],
      [LedgerApi.batches, 'POST'],
      [LedgerApi.authorizeLoad, 'POST'],
    ] as const) {
      const refused = await get(port, path, '127.0.0.2', method);
      expect(refused.status).toBe(429);
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'LEDGER_RATE_LIMITED' });
    }
    expect((await get(port, LedgerApi.health, '127.0.0.3')).status).toBe(200);
  });
});

describe('HTTPS', () => {
  it('serves a client that trusts the certificate and fails one that trusts only the system CAs', async () => {
    const { port, base } = await serve({}, true);
    expect(base).toMatch(/^https:/);
    const call = (ca: string | undefined): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: LedgerApi.health, agent: false, ...(ca !== undefined && { ca }) },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await call(tls.cert)).toBe(200);
    await expect(call(undefined)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
