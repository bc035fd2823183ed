// Entry of a verification worker thread: verifies chunks of batch receipts with node:crypto (cached key objects)
// and answers with packed, transferable results. Started by VerifyPool through spawnTsWorker.
import { parentPort, workerData } from 'node:worker_threads';
import { TrustStore } from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { BatchReceiptVerifier, type BatchCards } from './batch-receipt-verifier.js';
import { unpackBytes } from './packed-bytes.js';
import type { WorkerRequest, WorkerResponse, VerifyWorkerData } from './verify-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('verify-worker must run in a worker thread');
const data = workerData as VerifyWorkerData;
const verifier = createNodeVerifier();
const trust = TrustStore.create(data.root, data.certificates, verifier);
if (!trust.ok) {
  port.postMessage({ type: 'failed', reason: `trust anchors: ${trust.reason}` } satisfies WorkerResponse);
} else {
  const receipts = new BatchReceiptVerifier(trust.value, verifier);
  // Card certificates of the batches this worker has chunks of; sent with a task's first chunk, dropped on release.
  const tasks = new Map<number, BatchCards>();
  port.on('message', (m: WorkerRequest) => {
    if (m.type === 'release') {
      tasks.delete(m.taskId);
      return;
    }
    try {
      let cards = tasks.get(m.taskId);
      if (cards === undefined) {
        cards = receipts.cards(m.certificates === null ? [] : unpackBytes(m.certificates));
        tasks.set(m.taskId, cards);
      }
      const { records, rejections } = receipts.verify(m.receipts, cards, m.payee);
      port.postMessage({ type: 'chunk', taskId: m.taskId, chunkId: m.chunkId, records, rejections } satisfies WorkerResponse, [records]);
    } catch (e) {
      port.postMessage({ type: 'chunk-failed', taskId: m.taskId, chunkId: m.chunkId, reason: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies WorkerResponse);
    }
  });
  port.postMessage({ type: 'ready' } satisfies WorkerResponse);
}
