/**
 * Run by terminal.bench.ts in a fresh process: opens the terminal of the data directory given, takes taps from
 * an in-process software card, and prints the process's resident memory (bytes) as JSON. A fresh process, so the
 * figure is the terminal's own footprint, not the benchmark runner's.
 */
import { SimulatedReader } from '@ehkd/card-sim';
import { Terminal } from '../src/index.js';
import { benchCard } from './bench-fixture.js';

const [dataDir, taps] = [process.argv[2] as string, Number(process.argv[3])];
const terminal = Terminal.open({ dataDir });
const reader = new SimulatedReader();
reader.insert((await benchCard()).applet);
for (let i = 0; i < taps; i++) {
  const r = await terminal.charge(reader, 125);
  if (r.outcome !== 'approved') throw new Error(`tap not approved: ${r.outcome}`);
}
terminal.close();
process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss }));
