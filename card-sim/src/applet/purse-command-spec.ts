import { CLA_ISO, CLA_PROPRIETARY, Ins, Limits, NONCE_LENGTH, encodeCardState, type ApduCase } from '@ehkd/core';

/** What ISO 7816-4 checks the applet applies to one command before its own logic. */
export interface PurseCommandSpec {
  readonly ins: Ins;
  /** Accepted cases (3 and 4 for SELECT, whose Le is optional). */
  readonly cases: readonly ApduCase[];
  /** P1 and P2 acceptable for this command. */
  readonly acceptsP1P2: (p1: number, p2: number) => boolean;
  /** Exact Lc, for commands with fixed-size data. */
  readonly lc?: number;
  /**
   * Smallest Ne accepted, for commands that change state: their answer must be deliverable before
   * anything is committed, so an Le too small for the longest answer is refused up front (6700).
   */
  readonly minNe?: number;
}

const p1p2 = (p1: number, p2: number) => (a: number, b: number) => a === p1 && b === p2;

/** The longest CardPublicState encoding (every field at its maximum): the size bound of an issuer command's answer. */
export const MAX_STATE_ANSWER_BYTES = encodeCardState({
  balance: Limits.maxCardAmount,
  counter: Limits.maxCounter,
  flags: 0xff,
  offlineCount: 0xffff,
  offlineAmount: Limits.maxCardAmount,
  limits: {
    maxBalance: Limits.maxCardAmount,
    maxPayment: Limits.maxCardAmount,
    maxOfflineCount: 0xffff,
    maxOfflineAmount: Limits.maxCardAmount,
  },
}).length;

const SELECT: PurseCommandSpec = { ins: Ins.Select, cases: [3, 4], acceptsP1P2: p1p2(0x04, 0x00) };

const PURSE: ReadonlyMap<number, PurseCommandSpec> = new Map<number, PurseCommandSpec>([
  [Ins.Pay, { ins: Ins.Pay, cases: [4], acceptsP1P2: p1p2(0, 0), minNe: Limits.receiptBytes }],
  [Ins.Recover, { ins: Ins.Recover, cases: [4], acceptsP1P2: p1p2(0, 0), lc: NONCE_LENGTH }],
  // P1 = record number (1 = newest); 0 is not a record number.
  [Ins.ReadLog, { ins: Ins.ReadLog, cases: [2], acceptsP1P2: (p1, p2) => p1 !== 0 && p2 === 0 }],
  [Ins.GetState, { ins: Ins.GetState, cases: [2], acceptsP1P2: p1p2(0, 0) }],
  [Ins.GetChallenge, { ins: Ins.GetChallenge, cases: [2], acceptsP1P2: p1p2(0, 0) }],
  [Ins.Load, { ins: Ins.Load, cases: [4], acceptsP1P2: p1p2(0, 0), minNe: Limits.receiptBytes }],
  [Ins.IssuerCommand, { ins: Ins.IssuerCommand, cases: [4], acceptsP1P2: p1p2(0, 0), minNe: MAX_STATE_ANSWER_BYTES }],
]);

/** The command a class + instruction pair names, or undefined (6D00). SELECT is interindustry, the rest proprietary. */
export function purseCommandSpec(cla: number, ins: number): PurseCommandSpec | undefined {
  if (cla === CLA_ISO) return ins === Ins.Select ? SELECT : undefined;
  if (cla === CLA_PROPRIETARY) return PURSE.get(ins);
  return undefined;
}
