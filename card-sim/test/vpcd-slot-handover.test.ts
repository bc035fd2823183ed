/**
 * Handing a vpcd slot from one card to the next. vpcd takes a new connection only on a poll, and only after it
 * has noticed that the previous card on the slot left; until then pcscd still reports that previous card and
 * sends APDUs to its dead socket (SCARD_E_NOT_TRANSACTED). So a card is `connected` when vpcd first talks to it,
 * not when TCP connects. And a card that left mid-exchange keeps the slot for `minAbsenceMs` when closed, so
 * that pcscd sees the slot empty before the next card. A fake vpcd here accepts connections and decides when
 * to poll.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { TransportErrorCode } from '@ehkd/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  contactlessAtr,
  encodeFrame,
  FrameReader,
  serveOverVpcd,
  VpcdControl,
  VpcdServerState,
  type VirtualCard,
  type VpcdCardServer,
} from '../src/readers/vpcd/index.js';

const card: VirtualCard = {
  atr: contactlessAtr(Uint8Array.of()),
  powerOn() {},
  powerOff() {},
  reset() {},
  process: () => Uint8Array.of(0x90, 0x00),
};

/** A stand-in for pcscd's vpcd: hands out each card connection, says nothing until told to. */
async function fakeVpcd(): Promise<{ server: Server; port: number; nextCard(): Promise<Socket> }> {
  const server = createServer();
  const waiting: Socket[] = [];
  const takers: ((socket: Socket) => void)[] = [];
  server.on('connection', (socket: Socket) => {
    const taker = takers.shift();
    if (taker) taker(socket);
    else waiting.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    nextCard: () => {
      const socket = waiting.shift();
      return socket ? Promise.resolve(socket) : new Promise<Socket>((resolve) => takers.push(resolve));
    },
  };
}

/** vpcd's poll: GET ATR, and the one frame the card answers with. */
async function poll(socket: Socket): Promise<Uint8Array> {
  const frames = new FrameReader();
  const answer = new Promise<Uint8Array>((resolve) => {
    const onData = (chunk: Uint8Array): void => {
      const [frame] = frames.push(chunk);
      if (frame === undefined) return;
      socket.off('data', onData);
      resolve(Uint8Array.from(frame));
    };
    socket.on('data', onData);
  });
  socket.write(encodeFrame(Uint8Array.of(VpcdControl.GetAtr)));
  return answer;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function served(
  minAbsenceMs = 600,
): Promise<{ vpcd: Awaited<ReturnType<typeof fakeVpcd>>; server: VpcdCardServer }> {
  const vpcd = await fakeVpcd();
  cleanup.push(() => new Promise<void>((resolve) => vpcd.server.close(() => resolve())));
  const server = serveOverVpcd(card, { port: vpcd.port, maxReconnectDelayMs: 50, minAbsenceMs });
  cleanup.push(() => server.close());
  return { vpcd, server };
}

describe('a card served over vpcd is in the reader once vpcd polls it', () => {
  it('stays connecting while vpcd holds the TCP connection without polling it', async () => {
    const { vpcd, server } = await served();
    await vpcd.nextCard();
    const waited = await server.whenConnected({ timeoutMs: 200 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(waited).toMatchObject({ code: TransportErrorCode.Timeout });
    expect(server.state).toBe(VpcdServerState.Connecting);
  });

  it("is connected from vpcd's first poll, which it answers with its ATR", async () => {
    const { vpcd, server } = await served();
    const socket = await vpcd.nextCard();
    const connected = server.whenConnected({ timeoutMs: 2_000 });
    expect(await poll(socket)).toEqual(card.atr);
    await connected;
    expect(server.state).toBe(VpcdServerState.Connected);
  });

  it('waits for a poll again after vpcd drops it, and does not count the new TCP connection as one', async () => {
    const { vpcd, server } = await served();
    const first = await vpcd.nextCard();
    await poll(first);
    await server.whenConnected({ timeoutMs: 2_000 });
    first.destroy();
    const second = await vpcd.nextCard();
    expect(server.state).toBe(VpcdServerState.Connecting);
    await expect(server.whenConnected({ timeoutMs: 200 })).rejects.toMatchObject({ code: TransportErrorCode.Timeout });
    expect(await poll(second)).toEqual(card.atr);
    await server.whenConnected({ timeoutMs: 2_000 });
    expect(server.state).toBe(VpcdServerState.Connected);
  });
});

describe('closing a card hands its slot on only once pcscd can have seen it empty', () => {
  it('keeps the slot for the rest of minAbsenceMs after the card was pulled away', async () => {
    const { vpcd, server } = await served(400);
    await poll(await vpcd.nextCard());
    await server.whenConnected({ timeoutMs: 2_000 });
    await server.pullAway();
    const left = performance.now();
    await server.close();
    // A little slack: timers are rounded to the millisecond.
    expect(performance.now() - left).toBeGreaterThanOrEqual(395);
    expect(server.state).toBe(VpcdServerState.Closed);
  });

  it('hands it on at once when the card was in the reader (vpcd then notices on its next poll)', async () => {
    const { vpcd, server } = await served(10_000);
    await poll(await vpcd.nextCard());
    await server.whenConnected({ timeoutMs: 2_000 });
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
