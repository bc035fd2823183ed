// Bench worker: verifies a fixed set of (key, message, signature) triples with node:crypto and cached key objects
// for a given time, and reports how many it verified: the machine's raw ES256 verification rate on one core.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { createNodeVerifier } from '@ehkd/core/node';

interface Job {
  readonly samples: readonly {
    readonly publicKey: Uint8Array;
    readonly message: Uint8Array;
    readonly signature: Uint8Array;
  }[];
  readonly durationMs: number;
}

const port = parentPort;
if (port === null) throw new Error('raw-verify-worker must run in a worker thread');
port.on('message', (job: Job) => {
  const verifier = createNodeVerifier();
  for (const s of job.samples)
    if (!verifier.verify(s.publicKey, s.message, s.signature)) throw new Error('a bench sample does not verify');
  let count = 0;
  const cpuBefore = threadCpuMs();
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < job.durationMs) {
    for (const s of job.samples) verifier.verify(s.publicKey, s.message, s.signature);
    count += job.samples.length;
    elapsed = performance.now() - started;
  }
  const cpuAfter = threadCpuMs();
  port.postMessage({
    count,
    elapsedMs: elapsed,
    cpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  });
});

/** This thread's CPU time in ms (Linux /proc; null elsewhere): the machine is shared, wall time alone misleads. */
function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}
port.postMessage('ready');
