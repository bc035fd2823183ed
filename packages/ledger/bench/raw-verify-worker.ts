// Bench worker: verifies a fixed set of (key, message, signature) triples with node:crypto and cached key objects
// for a given time, and reports how many it verified: the machine's raw ES256 verification rate on one core.
import { parentPort } from 'node:worker_threads';
import { createNodeVerifier } from '@ehkd/core/node';

interface Job {
  readonly samples: readonly { readonly publicKey: Uint8Array; readonly message: Uint8Array; readonly signature: Uint8Array }[];
  readonly durationMs: number;
}

const port = parentPort;
if (port === null) throw new Error('raw-verify-worker must run in a worker thread');
port.on('message', (job: Job) => {
  const verifier = createNodeVerifier();
  for (const s of job.samples) if (!verifier.verify(s.publicKey, s.message, s.signature)) throw new Error('a bench sample does not verify');
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < job.durationMs) {
    for (const s of job.samples) verifier.verify(s.publicKey, s.message, s.signature);
    count += job.samples.length;
    elapsed = performance.now() - started;
  }
  port.postMessage({ count, elapsedMs: elapsed });
});
port.postMessage('ready');
