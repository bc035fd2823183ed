/**
 * PC/SC bench: APDU round trips through the whole real stack (nfc-pcsc -> pcscd -> vpcd -> a
 * software card), with the TCP_NODELAY shim that scripts/pcsc-stack.sh loads into pcscd, and,
 * when this run may restart pcscd, a short sample without it for comparison.
 */
import { TransportError, TransportErrorCode, type CardConnection } from '@ehkd/core';
import { serveOverVpcd } from '@ehkd/card-sim/vpcd';
import type { BenchRow } from '../../../scripts/bench/bench-row.js';
import { percentile } from '../../../scripts/bench/measure.js';
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
    let withoutShimNote = 'not measured: pcscd was not started by scripts/pcsc-stack.sh, so this run may not restart it';
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
    const limit = withoutShim === undefined ? undefined : { name: 'same stack without the TCP_NODELAY shim', value: withoutShim };
    return [
      {
        section: SECTION,
        name: 'APDU round trip through pcscd + vpcd, p50',
        value: p50,
        unit: 'ms',
        ...(limit === undefined ? {} : { limit, ratio: p50 / limit.value }),
        note: `${ROUND_TRIPS} APDUs of 13 bytes in, 10 out; ${withoutShimNote}`,
      },
      { section: SECTION, name: 'APDU round trip through pcscd + vpcd, p99', value: p99, unit: 'ms', note: `${ROUND_TRIPS} APDUs` },
    ];
  } finally {
    await pcsc.close();
    await server.close();
    await session.stop();
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
      const removed = error instanceof TransportError && (error.code === TransportErrorCode.CardRemoved || error.code === TransportErrorCode.ReaderRemoved);
      if (!removed || attempt === 3) throw error;
    }
  }
}

async function mustRun(...args: string[]): Promise<void> {
  const result = await runStack(...args);
  if (!result.ok) throw new Error(`scripts/pcsc-stack.sh ${args.join(' ')} failed: ${result.output}`);
}
