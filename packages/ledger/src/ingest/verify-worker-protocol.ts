import type { PackedRejection } from './checked-receipt-codec.js';
import type { PackedBytes } from './packed-bytes.js';

/** What a verification worker starts with: the trust anchors it verifies card certificates against. */
export interface VerifyWorkerData {
  readonly root: Uint8Array;
  readonly certificates: readonly Uint8Array[];
}

/** Messages to a verification worker. */
export type WorkerRequest =
  | {
      readonly type: 'verify';
      readonly taskId: number;
      readonly chunkId: number;
      /** The uploading terminal: every receipt must name it as payee. */
      readonly payee: Uint8Array;
      readonly receipts: PackedBytes;
      /** The batch's card certificates, with the first chunk of a task this worker gets (null afterwards). */
      readonly certificates: PackedBytes | null;
    }
  | { readonly type: 'release'; readonly taskId: number };

/** Messages from a verification worker. */
export type WorkerResponse =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly reason: string }
  | {
      readonly type: 'chunk';
      readonly taskId: number;
      readonly chunkId: number;
      readonly records: ArrayBuffer;
      readonly rejections: PackedRejection[];
    }
  | { readonly type: 'chunk-failed'; readonly taskId: number; readonly chunkId: number; readonly reason: string };
