// Entry of a verification worker thread: verifies chunks of batch receipts with node:crypto (cached key objects)
// and answers with packed, transferable results. Started by VerifyPool through spawnTsWorker.
import { parentPort, workerData } from 'node:worker_threads';
import { TrustStore } from '@ehkd/core';
import { createNodeVerifier } from '@ehkd/core/node';
import { BatchReceiptVerifier, cardKeys, type BatchCards } from './batch-receipt-verifier.js';
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
  const handle = async (m: WorkerRequest): Promise<void> => {
    if (m.type === 'release') {
      tasks.delete(m.taskId);
      return;
    }
    try {
      let cards = tasks.get(m.taskId);
      if (cards === undefined) {
        cards = receipts.cards(m.certificates === null ? [] : unpackBytes(m.certificates));
        tasks.set(m.taskId, cards);
        // The keys of cards new to this worker, built ahead in one go: cheaper than one by one at first use.
        await verifier.prepare(cardKeys(cards));
      }
      const { records, rejections } = receipts.verify(m.receipts, cards, m.payee);
      port.postMessage(
        { type: 'chunk', taskId: m.taskId, chunkId: m.chunkId, records, rejections } satisfies WorkerResponse,
        [records],
      );
    } catch (e) {
      port.postMessage({
        type: 'chunk-failed',
        taskId: m.taskId,
        chunkId: m.chunkId,
        reason: e instanceof Error ? (e.stack ?? e.message) : String(e),
      } satisfies WorkerResponse);
    }
  };
  // Messages are handled one after the other, in arrival order, although preparing keys awaits.
  let queue = Promise.resolve();
  port.on('message', (m: WorkerRequest) => {
    queue = queue.then(() => handle(m));
  });
  port.postMessage({ type: 'ready' } satisfies WorkerResponse);
}
