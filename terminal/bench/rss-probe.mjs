// Run by terminal.bench.ts in a fresh process, as plain JavaScript on the built packages (dist/, no TypeScript
// loader): opens the terminal of the data directory given, takes taps from the card file given (in-process, as
// `charge --sim` does), and prints the process's resident memory (bytes) as JSON: the terminal's own footprint.
import { FileCardStore, PurseApplet, SimulatedReader } from '@ehkd/card-sim';
import { Terminal } from '@ehkd/terminal';

const [dataDir, cardFile, taps] = [process.argv[2], process.argv[3], Number(process.argv[4])];
const terminal = Terminal.open({ dataDir });
const store = FileCardStore.open(cardFile);
const reader = new SimulatedReader();
reader.insert(new PurseApplet(store));
for (let i = 0; i < taps; i++) {
  const r = await terminal.charge(reader, 125);
  if (r.outcome !== 'approved') throw new Error(`tap not approved: ${r.outcome}`);
}
terminal.close();
store.close();
process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss }));
