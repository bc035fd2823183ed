import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { unpackChecks } from './checked-receipt-codec.js';
import { packBytes, type PackedBytes } from './packed-bytes.js';
import type { ReceiptCheck } from './receipt-check.js';
import { spawnTsWorker } from './spawn-ts-worker.js';
import type { VerifyWorkerData, WorkerRequest, WorkerResponse } from './verify-worker-protocol.js';

/** Receipts per message to a worker: large enough to amortise messaging, small enough to balance the workers. */
const CHUNK = 1024;
/** Chunks queued at each worker, so that it never waits for the main thread between two chunks. */
const IN_FLIGHT_PER_WORKER = 2;

/** One batch's receipts to verify. */
export interface VerifyRequest {
  readonly receipts: readonly Uint8Array[];
  readonly cardCertificates: readonly Uint8Array[];
  /** The uploading terminal's id. */
  readonly payee: Uint8Array;
}

interface Task {
  readonly id: number;
  readonly results: ReceiptCheck[];
  /** Batch positions of the receipts of each chunk. */
  readonly positions: Uint32Array[];
  /** The certificates each worker needs: those of the cards of its lane (all, for receipts not laid out as usual). */
  readonly certificates: PackedBytes[];
  readonly sentTo: Set<PoolWorker>;
  remaining: number;
  done: number;
  readonly onProgress: ((verified: number) => void) | undefined;
  readonly resolve: (checks: ReceiptCheck[]) => void;
  readonly reject: (e: Error) => void;
}

interface Chunk {
  readonly task: Task;
  readonly chunkId: number;
  readonly payee: Uint8Array;
  readonly receipts: PackedBytes;
}

interface PoolWorker {
  readonly worker: Worker;
  inFlight: number;
  /** Chunks waiting for this worker. */
  readonly queue: Chunk[];
}

/**
 * Verification workers, one per core: each verifies chunks of receipts with node:crypto and cached keys, and
 * returns packed results as transferables. A card's receipts always go to the same worker (by a byte of the card
 * id), so each card's public key object is built and its certificate verified in one worker only: building a key
 * object costs about three verifications. Chunks are served first-in first-out across batches, so while the main
 * thread commits one batch the workers already verify the next.
 * @example const pool = await VerifyPool.start(anchors); const checks = await pool.verify({ receipts, cardCertificates, payee })
 */
export class VerifyPool {
  private readonly tasks = new Map<number, Task>();
  private nextTask = 1;
  private broken: LedgerError | null = null;
  private closing = false;

  private constructor(private readonly workers: PoolWorker[]) {
    for (const w of workers) {
      w.worker.on('message', (m: WorkerResponse) => this.onMessage(w, m));
      w.worker.on('error', (e) =>
        this.fail(new LedgerError(LedgerErrorCode.Worker, `verification worker failed: ${e.message}`, { cause: e })),
      );
      w.worker.on('exit', (code) => {
        if (!this.closing)
          this.fail(new LedgerError(LedgerErrorCode.Worker, `verification worker exited with code ${code}`));
      });
    }
  }

  /**
   * Starts `size` workers (default: one per core) that trust `anchors`.
   * @throws LedgerError WORKER if a worker cannot start or rejects the trust anchors.
   */
  static async start(anchors: VerifyWorkerData, options: { size?: number } = {}): Promise<VerifyPool> {
    const size = Math.max(1, options.size ?? availableParallelism());
    // Built JavaScript starts the built worker; the sources (tests, tsx) start the TypeScript one.
    const module = new URL(
      import.meta.url.endsWith('.ts') ? './verify-worker.ts' : './verify-worker.js',
      import.meta.url,
    );
    const workers = Array.from({ length: size }, () =>
      spawnTsWorker(module, { workerData: { root: anchors.root, certificates: [...anchors.certificates] } }),
    );
    try {
      await Promise.all(workers.map((w) => ready(w)));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new VerifyPool(workers.map((worker) => ({ worker, inFlight: 0, queue: [] })));
  }

  /** False once a worker died or the pool was closed: start a new pool then. */
  get healthy(): boolean {
    return this.broken === null;
  }

  /**
   * Verifies a batch's receipts; one verdict per receipt, in order. `onProgress` gets the count verified so far.
   * @throws LedgerError WORKER if a worker died.
   */
  verify(request: VerifyRequest, onProgress?: (verified: number) => void): Promise<ReceiptCheck[]> {
    if (this.broken !== null) return Promise.reject(this.broken);
    if (request.receipts.length === 0) return Promise.resolve([]);
    return new Promise<ReceiptCheck[]>((resolve, reject) => {
      const n = this.workers.length;
      let lanes: number[][] = Array.from({ length: n }, () => []);
      let needsAll = new Array<boolean>(n).fill(false);
      request.receipts.forEach((r, i) => {
        const lane = cardLane(r, RECEIPT_CARD_ID, n);
        if (lane === null) needsAll[i % n] = true;
        (lanes[lane ?? i % n] as number[]).push(i);
      });
      // A large batch of very few cards would leave workers idle: spread it evenly, every worker with every certificate.
      const total = request.receipts.length;
      if (n > 1 && total >= n * CHUNK && Math.max(...lanes.map((l) => l.length)) > (2 * total) / n) {
        lanes = Array.from({ length: n }, (_, w) =>
          Array.from({ length: total }, (_x, i) => i).filter((i) => Math.floor(i / CHUNK) % n === w),
        );
        needsAll = new Array<boolean>(n).fill(true);
      }
      const certLanes = request.cardCertificates.map((c) => cardLane(c, CERTIFICATE_SUBJECT, n));
      const task: Task = {
        id: this.nextTask++,
        results: new Array<ReceiptCheck>(request.receipts.length),
        positions: [],
        certificates: lanes.map((_, w) =>
          packBytes(
            request.cardCertificates.filter(
              (_c, k) => needsAll[w] === true || certLanes[k] === null || certLanes[k] === w,
            ),
          ),
        ),
        sentTo: new Set(),
        remaining: 0,
        done: 0,
        onProgress,
        resolve,
        reject,
      };
      this.tasks.set(task.id, task);
      lanes.forEach((lane, w) => {
        for (let start = 0; start < lane.length; start += CHUNK) {
          const positions = Uint32Array.from(lane.slice(start, start + CHUNK));
          const receipts = packBytes(Array.from(positions, (p) => request.receipts[p] as Uint8Array));
          task.positions.push(positions);
          (this.workers[w] as PoolWorker).queue.push({
            task,
            chunkId: task.remaining++,
            payee: request.payee,
            receipts,
          });
        }
      });
      this.dispatch();
    });
  }

  /** Stops the workers (pending verifications fail). */
  async close(): Promise<void> {
    this.closing = true;
    this.fail(new LedgerError(LedgerErrorCode.Worker, 'the verification pool is closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private dispatch(): void {
    for (const target of this.workers) {
      while (target.inFlight < IN_FLIGHT_PER_WORKER && target.queue.length > 0)
        this.send(target, target.queue.shift() as Chunk);
    }
  }

  private send(target: PoolWorker, chunk: Chunk): void {
    const first = !chunk.task.sentTo.has(target);
    chunk.task.sentTo.add(target);
    const message: WorkerRequest = {
      type: 'verify',
      taskId: chunk.task.id,
      chunkId: chunk.chunkId,
      payee: chunk.payee,
      receipts: chunk.receipts,
      certificates: first ? (chunk.task.certificates[this.workers.indexOf(target)] as PackedBytes) : null,
    };
    target.inFlight++;
    // The buffers move to the worker instead of being copied: each chunk's receipts are packed for one message, and
    // so are each worker's certificates of a task, sent with its first chunk only.
    const transfer = [chunk.receipts.data.buffer as ArrayBuffer, chunk.receipts.offsets.buffer as ArrayBuffer];
    if (message.certificates !== null)
      transfer.push(
        message.certificates.data.buffer as ArrayBuffer,
        message.certificates.offsets.buffer as ArrayBuffer,
      );
    target.worker.postMessage(message, transfer);
  }

  private onMessage(w: PoolWorker, m: WorkerResponse): void {
    if (m.type === 'ready' || m.type === 'failed') return;
    w.inFlight--;
    const task = this.tasks.get(m.taskId);
    if (task !== undefined) {
      if (m.type === 'chunk-failed') {
        this.finish(task);
        task.reject(new LedgerError(LedgerErrorCode.Worker, `verification failed: ${m.reason}`));
      } else {
        const checks = unpackChecks(m.records, m.rejections);
        const positions = task.positions[m.chunkId] as Uint32Array;
        checks.forEach((c, k) => (task.results[positions[k] as number] = c));
        task.done += checks.length;
        task.onProgress?.(task.done);
        if (--task.remaining === 0) {
          this.finish(task);
          task.resolve(task.results);
        }
      }
    }
    this.dispatch();
  }

  private finish(task: Task): void {
    this.tasks.delete(task.id);
    for (const w of this.workers) {
      for (let i = w.queue.length - 1; i >= 0; i--) if ((w.queue[i] as Chunk).task === task) w.queue.splice(i, 1);
    }
    for (const w of task.sentTo) w.worker.postMessage({ type: 'release', taskId: task.id } satisfies WorkerRequest);
  }

  private fail(error: LedgerError): void {
    this.broken ??= error;
    for (const w of this.workers) w.queue.length = 0;
    for (const task of this.tasks.values()) task.reject(error);
    this.tasks.clear();
  }
}

/**
 * Where the card id sits in a receipt, and the card's id (the subject) in its certificate, as deterministic CBOR
 * lays them out: tag 18, [h'a10126', {}, h'<payload of 24..255 bytes>' (head 58 LL), ...], and the payload map
 * starting {0: type, 1: ...} with the id as an 8-byte string (head 48). `expect` lists the bytes that must be
 * there for the id to be where it is assumed; `id` is the offset of the id's last byte.
 */
const RECEIPT_CARD_ID = {
  expect: [
    [0, 0xd2],
    [7, 0x58],
    [10, 0x00],
    [12, 0x01],
    [13, 0x48],
  ],
  id: 21,
} as const;
const CERTIFICATE_SUBJECT = {
  expect: [
    [0, 0xd2],
    [7, 0x58],
    [10, 0x00],
    [11, 0x01],
    [12, 0x01],
    [14, 0x02],
    [15, 0x48],
  ],
  id: 23,
} as const;

/**
 * The worker lane of a card, from a byte of its id, so that a card's receipts and its certificate meet in one
 * worker; null when the bytes are not laid out as expected (such a receipt goes to any worker with every
 * certificate, and is verified, and most likely rejected, all the same).
 */
function cardLane(
  bytes: Uint8Array,
  layout: typeof RECEIPT_CARD_ID | typeof CERTIFICATE_SUBJECT,
  lanes: number,
): number | null {
  if (bytes.length <= layout.id) return null;
  for (const [at, value] of layout.expect) if (bytes[at] !== value) return null;
  return (bytes[layout.id] as number) % lanes;
}

function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerResponse): void => {
      cleanup();
      if (m.type === 'ready') resolve();
      else
        reject(
          new LedgerError(LedgerErrorCode.Worker, m.type === 'failed' ? m.reason : `unexpected ${m.type} before ready`),
        );
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(
        new LedgerError(LedgerErrorCode.Worker, `verification worker could not start: ${e.message}`, { cause: e }),
      );
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new LedgerError(LedgerErrorCode.Worker, `verification worker exited with code ${code} while starting`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
