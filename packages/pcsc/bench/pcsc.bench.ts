/**
 * PC/SC bench: APDU round trips through the whole real stack (nfc-pcsc -> pcscd -> vpcd -> a
 * software card), with the TCP_NODELAY shim that scripts/pcsc-stack.sh loads into pcscd, and,
 * when this run may restart pcscd, a short sample without it for comparison.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransportError, TransportErrorCode, type CardConnection, type CardTransport } from '@ehkd/core';
import { SimulatedReader } from '@ehkd/card-sim';
import { serveOverVpcd } from '@ehkd/card-sim/vpcd';
import { benchCard, enrolBenchTerminal } from '../../../terminal/bench/bench-fixture.js';
import type { BenchRow } from '@ehkd/bench-kit';
import { percentile } from '@ehkd/bench-kit';
import { openPcsc, type PcscTransport } from '../src/index.js';
import { prepareStack, runStack, VPCD_SLOTS } from '../test/support/pcsc-stack.js';
import { SELECT_TEST_APPLET, TestApplet, TestIns } from '../test/support/test-applet.js';

const SECTION = 'pcsc';
const ROUND_TRIPS = 2000;
const WARM_UP = 500;
/** Without the shim each APDU takes ~44 ms: 40 of them tell the median in about 2 s. */
const ROUND_TRIPS_WITHOUT_SHIM = 40;
/** A typical short purse command: 8 data bytes in, 8 out. */
const ECHO = Uint8Array.of(0x80, TestIns.Echo, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8);
/** Full taps measured per transport (after a few to warm up). */
const TAPS = 300;

/**
 * Measures APDU round-trip time (p50, p99) over ~2000 APDUs through pcscd + vpcd.
 *
 * @returns the rows of section 'pcsc'.
 * @throws Error saying why, if the PC/SC stack cannot be installed or started here.
 * @example
 * const rows = await run();
 */
export async function run(): Promise<BenchRow[]> {
  const session = await prepareStack();
  if (!session.ready) throw new Error(`the PC/SC stack cannot run here: ${session.reason}`);
  const slot = VPCD_SLOTS[0];
  const server = serveOverVpcd(new TestApplet(), { port: slot.port });
  const pcsc = await openPcsc();
  try {
    await server.whenConnected({ timeoutMs: 5000 });
    const transport = await pcsc.transport({ readerName: slot.reader, timeoutMs: 5000 });
    const times = await roundTrips(transport, WARM_UP, ROUND_TRIPS);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);

    let withoutShim: number | undefined;
    let withoutShimNote =
      'not measured: pcscd was not started by scripts/pcsc-stack.sh, so this run may not restart it';
    if (session.ownedByScript) {
      // The same driver and card carry on across both restarts: pcscd recovery is exercised too.
      await mustRun('stop');
      await mustRun('start', '--no-nodelay');
      try {
        withoutShim = percentile(await roundTrips(transport, 2, ROUND_TRIPS_WITHOUT_SHIM), 50);
        withoutShimNote = `without the TCP_NODELAY shim: median ${withoutShim.toFixed(1)} ms over ${ROUND_TRIPS_WITHOUT_SHIM} APDUs`;
      } finally {
        await mustRun('stop');
        await mustRun('start');
      }
    }
    const limit =
      withoutShim === undefined ? undefined : { name: 'same stack without the TCP_NODELAY shim', value: withoutShim };
    const taps = await fullTaps(pcsc.transport.bind(pcsc));
    return [
      {
        section: SECTION,
        name: 'APDU round trip through pcscd + vpcd, p50',
        value: p50,
        unit: 'ms',
        ...(limit === undefined ? {} : { limit, ratio: p50 / limit.value }),
        note: `${ROUND_TRIPS} APDUs of 13 bytes in, 10 out; ${withoutShimNote}`,
      },
      {
        section: SECTION,
        name: 'APDU round trip through pcscd + vpcd, p99',
        value: p99,
        unit: 'ms',
        note: `${ROUND_TRIPS} APDUs`,
      },
      ...taps,
    ];
  } finally {
    await pcsc.close();
    await server.close();
    await session.stop();
  }
}

/**
 * A full terminal tap (SELECT, PAY, receipt verification, two durable commits) with the real purse applet, through
 * pcscd + vpcd and in process, so that the table shows what the PC/SC stack adds to a tap.
 */
async function fullTaps(
  openTransport: (c: { readerName: string; timeoutMs: number }) => Promise<PcscTransport>,
): Promise<BenchRow[]> {
  const slot = VPCD_SLOTS[1];
  const pcscCard = await benchCard();
  const server = serveOverVpcd(pcscCard.applet, { port: slot.port });
  const reader = new SimulatedReader({ readerName: 'in-process' });
  reader.insert((await benchCard()).applet);
  try {
    await server.whenConnected({ timeoutMs: 5000 });
    const throughPcsc = await tapTimes(await openTransport({ readerName: slot.reader, timeoutMs: 5000 }));
    const inProcess = await tapTimes(reader);
    const row = (name: string, value: number, peer: number, note: string): BenchRow => ({
      section: SECTION,
      name,
      value,
      unit: 'ms',
      limit: { name: 'same tap in-process', value: peer },
      ratio: value / peer,
      note,
    });
    const [p50, p99, i50, i99] = [
      percentile(throughPcsc, 50),
      percentile(throughPcsc, 99),
      percentile(inProcess, 50),
      percentile(inProcess, 99),
    ];
    return [
      row(
        'full tap through pcscd + vpcd, p50',
        p50,
        i50,
        `${TAPS} terminal taps (SELECT + PAY + verify + 2 fsyncs); PC/SC adds ${(p50 - i50).toFixed(2)} ms at the median`,
      ),
      row('full tap through pcscd + vpcd, p99', p99, i99, `${TAPS} taps`),
      { section: SECTION, name: 'full tap in-process, p50', value: i50, unit: 'ms' },
      { section: SECTION, name: 'full tap in-process, p99', value: i99, unit: 'ms' },
    ];
  } finally {
    reader.remove();
    await server.close();
  }
}

async function tapTimes(transport: CardTransport): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ehkd-pcsc-bench-'));
  const terminal = enrolBenchTerminal(dir);
  const connection = await transport.waitForCard({ timeoutMs: 5000 });
  try {
    const times: number[] = [];
    for (let i = 0; i < TAPS + 20; i++) {
      const start = performance.now();
      const r = await terminal.tap(connection, 100);
      const elapsed = performance.now() - start;
      if (r.outcome !== 'approved') throw new Error(`bench tap not approved: ${r.outcome}`);
      if (i >= 20) times.push(elapsed);
    }
    return times;
  } finally {
    terminal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function roundTrips(transport: PcscTransport, warmUp: number, count: number): Promise<number[]> {
  const connection = await selectedCard(transport);
  for (let i = 0; i < warmUp; i++) await connection.transmit(ECHO);
  const times = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await connection.transmit(ECHO);
    times[i] = performance.now() - t0;
  }
  await connection.disconnect();
  return times;
}

/**
 * A session with the test applet selected. Right after a pcscd restart the first session can
 * still be one the driver has not yet seen die; like a terminal, try again on removal errors.
 */
async function selectedCard(transport: PcscTransport): Promise<CardConnection> {
  for (let attempt = 1; ; attempt++) {
    const connection = await transport.waitForCard({ timeoutMs: 10_000 });
    try {
      await connection.transmit(SELECT_TEST_APPLET);
      return connection;
    } catch (error) {
      const removed =
        error instanceof TransportError &&
        (error.code === TransportErrorCode.CardRemoved || error.code === TransportErrorCode.ReaderRemoved);
      if (!removed || attempt === 3) throw error;
    }
  }
}

async function mustRun(...args: string[]): Promise<void> {
  const result = await runStack(...args);
  if (!result.ok) throw new Error(`scripts/pcsc-stack.sh ${args.join(' ')} failed: ${result.output}`);
}
