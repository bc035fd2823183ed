import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  Currency,
  IssuerAction,
  Limits,
  StatusWord,
  bytesEqual,
  concatBytes,
  decodeCardChallenge,
  decodeCardReceipt,
  decodeCoseSign1,
  encodeIssuerCommand,
  encodeLoadAuthorization,
  parseResponseApdu,
  sha256,
  signCoseSign1,
  toHex,
  type CardChallenge,
  type CardLimits,
  type ResponseApdu,
  purseApdus,
} from '@ehkd/core';
import { createDevScheme, type DevScheme } from '@ehkd/core/testing';
import { CardError, CardErrorCode, isPowerLoss, powerLost } from '../card-error.js';
import { CARD_FILE_SIZE, HIGH_WATER_OFFSET, SECTOR_SIZE, SLOT_SIZE, parseSlot } from '../storage/journal-slot.js';
import { StorageOp, type CardStore, type StorageHook, type StorageStep } from '../storage/card-store.js';
import { FileCardStore } from '../storage/file-card-store.js';
import { personalizeCard } from '../applet/personalize-card.js';
import { PurseApplet } from '../applet/purse-applet.js';
import { encodePurseState, type PurseState } from '../applet/purse-state.js';

/** How the campaign creates and opens card files; the default is FileCardStore. */
export interface CampaignStorage {
  create(path: string, state: PurseState, onStep?: StorageHook): CardStore;
  open(path: string, onStep?: StorageHook): CardStore;
}

/** Options of `runTearCampaign`. */
export interface TearCampaignOptions {
  /** Where card files go; default a fresh temporary directory, removed afterwards. */
  readonly dir?: string;
  /** The store design under test; default FileCardStore (a test passes a naive design to see the campaign catch it). */
  readonly storage?: CampaignStorage;
}

/** What the campaign did and found. */
export interface TearCampaignResult {
  /** Power cuts injected: before and after every storage step of every operation, torn sectors, lost unsynced writes. */
  readonly tearPoints: number;
  /** Single storage failures injected (the card must answer 6581 and keep its state). */
  readonly ioFailures: number;
  /** Tear points per operation, e.g. 'PAY (full log)': 25. */
  readonly byOperation: Readonly<Record<string, number>>;
  /** Damaged card files tried (truncated, extended, bytes flipped in each region, regions wiped), and how many the card refused. */
  readonly damages: number;
  readonly refusedDamages: number;
  /** Every broken guarantee, one line each; empty when the store is tear-safe. */
  readonly violations: readonly string[];
}

const fileStorage: CampaignStorage = {
  create: (path, state, onStep) => FileCardStore.create(path, state, onStep === undefined ? {} : { onStep }),
  open: (path, onStep) => FileCardStore.open(path, onStep === undefined ? {} : { onStep }),
};

const SEED = new Uint8Array(32).fill(0x7e);
const TIME = 1_800_000_000;
const PAYEE = Uint8Array.of(0x05, 0, 0, 0, 0, 0, 0, 0x42);
const LIMITS: CardLimits = {
  maxBalance: 1_000_000,
  maxPayment: 10_000,
  maxOfflineCount: 1_000,
  maxOfflineAmount: 1_000_000,
};

/** Card challenges from a fixed seed, so that every replay of an operation produces the same bytes. */
function seededRandom(): (length: number) => Uint8Array {
  let n = 0;
  return (length) => sha256(concatBytes(SEED, Uint8Array.of(n >>> 8, n++ & 0xff))).slice(0, length);
}

function nonce(tag: number): Uint8Array {
  const out = new Uint8Array(16).fill(0x11);
  out[15] = tag;
  return out;
}

type Send = (command: Uint8Array) => ResponseApdu;
const sender =
  (applet: PurseApplet): Send =>
  (command) =>
    parseResponseApdu(applet.process(command));

/** The operation under test: preparatory commands, then the one command that commits; returns its R-APDU. */
interface Operation {
  readonly name: string;
  readonly base: string;
  /** For PAY: the nonce RECOVER must find after an 'after' outcome. */
  readonly nonce?: Uint8Array;
  run(applet: PurseApplet): Uint8Array;
}

// Made at first use, not at import: importing a module does no work.
let scheme: DevScheme | undefined;
function devScheme(): DevScheme {
  scheme ??= createDevScheme(SEED);
  return scheme;
}

function issuerMessage(applet: PurseApplet, build: (challenge: CardChallenge) => Uint8Array): Uint8Array {
  const send = sender(applet);
  send(purseApdus.select());
  const c = decodeCardChallenge(send(purseApdus.getChallenge()).data);
  return build(c);
}

function loadOp(amount: number, loadTag: number): (applet: PurseApplet) => Uint8Array {
  return (applet) => {
    const auth = issuerMessage(applet, (c) =>
      signCoseSign1(
        devScheme().issuer.signer,
        encodeLoadAuthorization({ ...c, amount, currency: Currency.HKD, loadId: nonce(loadTag), time: TIME }),
      ),
    );
    return applet.process(purseApdus.load(auth));
  };
}

function issuerOp(action: IssuerAction, limits?: CardLimits): (applet: PurseApplet) => Uint8Array {
  return (applet) => {
    const cmd = issuerMessage(applet, (c) =>
      signCoseSign1(
        devScheme().issuer.signer,
        encodeIssuerCommand({ ...c, action, ...(limits !== undefined && { limits }), time: TIME }),
      ),
    );
    return applet.process(purseApdus.issuerCommand(cmd));
  };
}

function payOp(amount: number, tag: number): (applet: PurseApplet) => Uint8Array {
  return (applet) => {
    sender(applet)(purseApdus.select());
    return applet.process(
      purseApdus.pay({ amount, currency: Currency.HKD, payee: PAYEE, nonce: nonce(tag), time: TIME }),
    );
  };
}

/** Histories of the base cards, run once at set-up; the receipts of their loads and payments count as released. */
const BASES: Readonly<
  Record<string, readonly { readonly run: (applet: PurseApplet) => Uint8Array; readonly receipt: boolean }[]>
> = {
  fresh: [{ run: loadOp(100_000, 1), receipt: true }],
  'full log': [
    { run: loadOp(100_000, 2), receipt: true },
    ...Array.from({ length: 17 }, (_, i) => ({ run: payOp(100 + i, 100 + i), receipt: true })),
  ],
  locked: [
    { run: loadOp(100_000, 3), receipt: true },
    { run: issuerOp(IssuerAction.Lock), receipt: false },
  ],
};

const OPERATIONS: readonly Operation[] = [
  { name: 'PAY (fresh)', base: 'fresh', nonce: nonce(200), run: payOp(1_250, 200) },
  { name: 'PAY (full log)', base: 'full log', nonce: nonce(201), run: payOp(1_250, 201) },
  { name: 'LOAD (fresh)', base: 'fresh', run: loadOp(5_000, 202) },
  { name: 'LOAD (full log)', base: 'full log', run: loadOp(5_000, 203) },
  { name: 'ISSUER Lock', base: 'fresh', run: issuerOp(IssuerAction.Lock) },
  { name: 'ISSUER Unlock', base: 'locked', run: issuerOp(IssuerAction.Unlock) },
  { name: 'ISSUER ResetOfflineCounters', base: 'full log', run: issuerOp(IssuerAction.ResetOfflineCounters) },
  {
    name: 'ISSUER UpdateLimits',
    base: 'fresh',
    run: issuerOp(IssuerAction.UpdateLimits, { ...LIMITS, maxPayment: 777 }),
  },
];

interface Base {
  readonly path: string;
  readonly snapshot: Uint8Array;
  readonly released: readonly Uint8Array[];
}

/** One injected fault: where, and what happens there. */
interface Fault {
  readonly index: number;
  readonly phase: 'before' | 'after';
  readonly kind: 'cut' | 'torn-sector' | 'lost-unsynced-even' | 'lost-unsynced-odd' | 'io-failure';
}

/**
 * The exhaustive tearing campaign. For every value- or state-changing command (PAY, LOAD, each ISSUER
 * COMMAND action; on a fresh card and on one whose log is full) it first runs the command once to list
 * the storage steps of its commit, then for EVERY step: cuts the power before it and after it, tears the
 * sector being written (half new bytes, half garbage), and loses the unsynced writes (every other sector
 * reverted) before the fsync; each time it reopens the card from disk and checks that
 *   - the persisted state is byte for byte exactly the state before or exactly the state after,
 *   - the card boots and works: after a torn PAY, RECOVER returns exactly the receipt of a payment that
 *     happened and 6A88 for one that did not,
 *   - no counter value ever has two different released receipts, and the log is one unbroken hash chain.
 * It also injects a single storage failure at every step (the card must answer 6581, keep its state in RAM
 * and on disk, and go on working), and cuts power at every step of a card file's creation.
 *
 * @returns counts and violations (empty for a tear-safe store); never throws for a violation.
 * @example const { tearPoints, violations } = runTearCampaign();
 */
export function runTearCampaign(options: TearCampaignOptions = {}): TearCampaignResult {
  const storage = options.storage ?? fileStorage;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ehkd-tear-'));
  const violations: string[] = [];
  const byOperation: Record<string, number> = {};
  let tearPoints = 0;
  let ioFailures = 0;
  let damages = 0;
  let refusedDamages = 0;
  try {
    const personalised = personalizeCard({
      issuer: { signer: devScheme().issuer.signer, certificate: devScheme().issuer.certificate },
      seed: SEED,
      limits: LIMITS,
    });
    tearPoints += personalisationCampaign(storage, dir, personalised.state, violations);
    byOperation['personalise (card file creation)'] = tearPoints;

    const bases = new Map<string, Base>();
    for (const [name, history] of Object.entries(BASES)) {
      const path = join(dir, `base-${name.replace(/\W/g, '-')}.card`);
      const store = storage.create(path, personalised.state);
      const applet = new PurseApplet(store, { random: seededRandom() });
      const released = history.flatMap((op) => {
        const data = parseResponseApdu(op.run(applet)).data;
        return op.receipt ? [data] : [];
      });
      store.close();
      const reopened = storage.open(path);
      bases.set(name, { path, snapshot: encodePurseState(reopened.load()), released });
      reopened.close();
    }

    for (const base of bases.values()) {
      const found = damageCampaign(storage, dir, base, violations);
      damages += found.tried;
      refusedDamages += found.refused;
    }

    for (const op of OPERATIONS) {
      const base = bases.get(op.base)!;
      const work = join(dir, 'work.card');
      // Dry run: the steps of this commit, the state after, and the response.
      copyFileSync(base.path, work);
      const steps: StorageStep[] = [];
      const store = storage.open(work, (s) => {
        if (s.phase === 'before') steps.push(s);
      });
      const response = parseResponseApdu(op.run(new PurseApplet(store, { random: seededRandom() })));
      store.close();
      if (response.sw !== StatusWord.Ok) {
        violations.push(`${op.name}: dry run answered ${response.sw.toString(16)}`);
        continue;
      }
      const after = readState(storage, work);
      const faults: Fault[] = [];
      steps.forEach((s, index) => {
        faults.push(
          { index, phase: 'before', kind: 'cut' },
          { index, phase: 'after', kind: 'cut' },
          { index, phase: 'before', kind: 'io-failure' },
        );
        if (s.op === StorageOp.Write) faults.push({ index, phase: 'after', kind: 'torn-sector' });
        if (s.op === StorageOp.Fsync)
          faults.push(
            { index, phase: 'before', kind: 'lost-unsynced-even' },
            { index, phase: 'before', kind: 'lost-unsynced-odd' },
          );
      });
      let points = 0;
      for (const fault of faults) {
        copyFileSync(base.path, work);
        const label = `${op.name}, ${fault.kind} ${fault.phase} step ${fault.index} (${steps[fault.index]!.op})`;
        if (fault.kind === 'io-failure') {
          ioFailures++;
          checkIoFailure(storage, work, op, fault, base, label, violations);
        } else {
          points++;
          checkTear(storage, work, op, fault, base, { after, receipt: response.data }, label, violations);
        }
      }
      byOperation[op.name] = points;
      tearPoints += points;
    }
  } finally {
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
  return { tearPoints, ioFailures, byOperation, damages, refusedDamages, violations };
}

/** One way a card file at rest can be damaged (a developer's disk, a bad copy). */
interface Damage {
  readonly name: string;
  /** The damaged image, from the intact one. */
  apply(image: Uint8Array): Uint8Array;
}

function flipAt(image: Uint8Array, at: number): Uint8Array {
  const out = Uint8Array.from(image);
  if (at < out.length) out[at]! ^= 0x01;
  return out;
}

/** The last checksum byte of the slot at `base` (its place follows the payload length in the slot header). */
function checksumEnd(image: Uint8Array, base: number): number {
  if (image.length < base + 14) return base + SLOT_SIZE - 1;
  return base + 14 + new DataView(image.buffer, image.byteOffset + base, 14).getUint32(10) + 31;
}

/** Every damage class of the storage fault model (docs/protocol.md 5.7), for a file whose newest slot is `newest`. */
function damageClasses(newest: 0 | 1): Damage[] {
  const flip = (name: string, at: number): Damage => ({ name, apply: (image) => flipAt(image, at) });
  const wipe = (name: string, from: number, length: number): Damage => ({
    name,
    apply: (image) => {
      const out = Uint8Array.from(image);
      out.fill(0, from, from + length);
      return out;
    },
  });
  const out: Damage[] = [];
  for (let length = 0; length < CARD_FILE_SIZE; length += SECTOR_SIZE) {
    out.push({ name: `cut to ${length} bytes`, apply: (image) => image.slice(0, length) });
    if (length > 0) out.push({ name: `cut to ${length - 1} bytes`, apply: (image) => image.slice(0, length - 1) });
  }
  out.push({ name: 'one byte short', apply: (image) => image.slice(0, CARD_FILE_SIZE - 1) });
  out.push({ name: 'one byte too long', apply: (image) => Uint8Array.from([...image, 0]) });
  out.push({
    name: 'a sector too long',
    apply: (image) => Uint8Array.from([...image, ...new Uint8Array(SECTOR_SIZE)]),
  });
  const regions: [string, number][] = [
    ['magic', 0],
    ['format', 5],
    ['generation', 9],
    ['length', 13],
    ['payload start', 14],
    ['payload middle', 400],
    ['payload end', 1_000],
    ['checksum', -1],
  ];
  for (const [slot, which] of [
    [newest, 'newest'],
    [newest === 0 ? 1 : 0, 'older'],
  ] as const) {
    const base = slot * SLOT_SIZE;
    for (const [region, offset] of regions) {
      // The checksum's place depends on the slot's payload length: find it from the image at apply time.
      if (offset < 0)
        out.push({
          name: `${which} slot: checksum byte flipped`,
          apply: (image) => flipAt(image, checksumEnd(image, base)),
        });
      else out.push(flip(`${which} slot: ${region} byte flipped`, base + offset));
    }
    out.push(wipe(`${which} slot wiped`, base, SLOT_SIZE));
  }
  for (const [copy, which] of [
    [0, 'first'],
    [1, 'second'],
  ] as const) {
    const base = HIGH_WATER_OFFSET + copy * SECTOR_SIZE;
    for (const [region, offset] of [
      ['magic', 0],
      ['generation', 9],
      ['counter', 13],
      ['checksum', 45],
    ] as const)
      out.push(flip(`${which} high-water record: ${region} byte flipped`, base + offset));
    out.push(wipe(`${which} high-water record wiped`, base, SECTOR_SIZE));
  }
  out.push(wipe('both high-water records wiped', HIGH_WATER_OFFSET, 2 * SECTOR_SIZE));
  for (const copy of [0, 1]) {
    out.push({
      name: `newest slot and high-water copy ${copy + 1} wiped`,
      apply: (image) => {
        const o = Uint8Array.from(image);
        o.fill(0, newest * SLOT_SIZE, (newest + 1) * SLOT_SIZE);
        o.fill(0, HIGH_WATER_OFFSET + copy * SECTOR_SIZE, HIGH_WATER_OFFSET + (copy + 1) * SECTOR_SIZE);
        return o;
      },
    });
  }
  return out;
}

/**
 * Damages a copy of the base card file in every way of `damageClasses` and opens it: the card must refuse it
 * (CORRUPT_STATE), or boot into a state at or past its last released counter and, paying once more, release no
 * second receipt for any counter. A fallback below a released counter is the violation this campaign exists for.
 */
function damageCampaign(
  storage: CampaignStorage,
  dir: string,
  base: Base,
  violations: string[],
): { tried: number; refused: number } {
  const intact = new Uint8Array(readFileSync(base.path));
  const newest: 0 | 1 =
    (parseSlot(intact.subarray(0, SLOT_SIZE))?.generation ?? 0) >
    (parseSlot(intact.subarray(SLOT_SIZE, 2 * SLOT_SIZE))?.generation ?? 0)
      ? 0
      : 1;
  const released = Math.max(
    0,
    ...base.released.map((r) => decodeCardReceipt(decodeCoseSign1(r, Limits.receiptBytes).payload).counter),
  );
  let tried = 0;
  let refused = 0;
  for (const damage of damageClasses(newest)) {
    tried++;
    const label = `${basename(base.path)}, ${damage.name}`;
    const work = join(dir, 'damaged.card');
    rmSync(work, { force: true });
    writeFileSync(work, damage.apply(intact), { mode: 0o600 });
    let store: CardStore;
    try {
      store = storage.open(work);
    } catch (e) {
      if (e instanceof CardError && e.code === CardErrorCode.CorruptState) refused++;
      else violations.push(`${label}: opening failed with ${String(e)} instead of a refusal as damaged`);
      continue;
    }
    try {
      const applet = new PurseApplet(store, { random: seededRandom() });
      if (applet.state.counter < released)
        violations.push(
          `${label}: the card fell back to counter ${applet.state.counter} below its released counter ${released}`,
        );
      const send = sender(applet);
      send(purseApdus.select());
      const next = send(
        purseApdus.pay({ amount: 1, currency: Currency.HKD, payee: PAYEE, nonce: nonce(252), time: TIME }),
      );
      checkReceipts(
        applet,
        next.sw === StatusWord.Ok ? [...base.released, next.data] : base.released,
        label,
        violations,
      );
    } catch (e) {
      // A store that opens lazily may only fail at the first load: that too must be a refusal as damaged.
      if (e instanceof CardError && e.code === CardErrorCode.CorruptState) refused++;
      else violations.push(`${label}: the card failed with ${String(e)} instead of a refusal as damaged`);
    } finally {
      store.close();
    }
  }
  return { tried, refused };
}

function readState(storage: CampaignStorage, path: string): Uint8Array {
  const store = storage.open(path);
  try {
    return encodePurseState(store.load());
  } finally {
    store.close();
  }
}

/** A hook that fires `fault` at its step of the first commit only (a rollback's steps restart at index 0). */
function faultHook(fault: Fault, path: string, preImage: Uint8Array): StorageHook {
  let fired = false;
  const written: StorageStep[] = [];
  return (step) => {
    if (fired) return;
    if (step.op === StorageOp.Write && step.phase === 'after') written.push(step);
    // What an fsync returned for is on the medium: only writes after the last one can be lost.
    if (step.op === StorageOp.Fsync && step.phase === 'after') written.length = 0;
    if (step.index !== fault.index || step.phase !== fault.phase) return;
    fired = true;
    switch (fault.kind) {
      case 'cut':
        throw powerLost();
      case 'io-failure':
        throw new Error('EIO (injected)');
      case 'torn-sector': {
        const half = Math.ceil(step.length! / 2);
        overwrite(path, step.offset! + half, new Uint8Array(step.length! - half).fill(0xa5));
        throw powerLost();
      }
      case 'lost-unsynced-even':
      case 'lost-unsynced-odd': {
        // The page cache never reached the medium for these sectors: they hold what they held before.
        const parity = fault.kind === 'lost-unsynced-even' ? 0 : 1;
        for (const w of written.filter((_, i) => i % 2 === parity))
          overwrite(path, w.offset!, preImage.subarray(w.offset!, w.offset! + w.length!));
        throw powerLost();
      }
    }
  };
}

function overwrite(path: string, offset: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

function checkTear(
  storage: CampaignStorage,
  work: string,
  op: Operation,
  fault: Fault,
  base: Base,
  expected: { after: Uint8Array; receipt: Uint8Array },
  label: string,
  violations: string[],
): void {
  const preImage = new Uint8Array(readFileSync(work));
  const torn = storage.open(work, faultHook(fault, work, preImage));
  try {
    op.run(new PurseApplet(torn, { random: seededRandom() }));
    violations.push(`${label}: the power cut never happened (the command completed)`);
    return;
  } catch (e) {
    if (!isPowerLoss(e)) {
      violations.push(`${label}: expected a power cut, got ${String(e)}`);
      return;
    }
  } finally {
    torn.close();
  }
  let store: CardStore;
  let state: Uint8Array;
  try {
    store = storage.open(work);
    state = encodePurseState(store.load());
  } catch (e) {
    violations.push(`${label}: the card does not boot after the tear: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  try {
    const outcome = bytesEqual(state, base.snapshot)
      ? 'before'
      : bytesEqual(state, expected.after)
        ? 'after'
        : undefined;
    if (outcome === undefined) {
      violations.push(`${label}: the card is neither exactly before nor exactly after the operation`);
      return;
    }
    const applet = new PurseApplet(store, { random: seededRandom() });
    const send = sender(applet);
    send(purseApdus.select());
    const released = [...base.released];
    if (op.nonce !== undefined) {
      const recovered = send(purseApdus.recover(op.nonce));
      if (outcome === 'after' && (recovered.sw !== StatusWord.Ok || !bytesEqual(recovered.data, expected.receipt))) {
        violations.push(
          `${label}: the payment happened but RECOVER answered ${recovered.sw.toString(16)} or another receipt`,
        );
      }
      if (outcome === 'before' && recovered.sw !== StatusWord.ReferencedDataNotFound) {
        violations.push(`${label}: the payment did not happen but RECOVER answered ${recovered.sw.toString(16)}`);
      }
      if (recovered.sw === StatusWord.Ok) released.push(recovered.data);
    }
    // The terminal's next tap: a new payment, which takes the counter value a torn-away receipt would have had.
    const next = send(
      purseApdus.pay({ amount: 1, currency: Currency.HKD, payee: PAYEE, nonce: nonce(250), time: TIME }),
    );
    if (next.sw === StatusWord.Ok) released.push(next.data);
    checkReceipts(applet, released, label, violations);
  } finally {
    store.close();
  }
}

function checkIoFailure(
  storage: CampaignStorage,
  work: string,
  op: Operation,
  fault: Fault,
  base: Base,
  label: string,
  violations: string[],
): void {
  const store = storage.open(work, faultHook(fault, work, new Uint8Array(readFileSync(work))));
  try {
    const applet = new PurseApplet(store, { random: seededRandom() });
    const r = parseResponseApdu(op.run(applet));
    if (r.sw !== StatusWord.MemoryFailure) violations.push(`${label}: answered ${r.sw.toString(16)} instead of 6581`);
    if (!bytesEqual(encodePurseState(applet.state), base.snapshot))
      violations.push(`${label}: the state in RAM changed although the command failed`);
    if (!bytesEqual(readState(storage, work), base.snapshot))
      violations.push(`${label}: the state on disk changed although the command failed`);
    // The card goes on working after a failed commit: a payment commits and disk and RAM agree.
    const next = sender(applet)(
      purseApdus.pay({ amount: 1, currency: Currency.HKD, payee: PAYEE, nonce: nonce(251), time: TIME }),
    );
    if (next.sw === StatusWord.MemoryFailure)
      violations.push(`${label}: the card stayed broken after one storage failure`);
    if (!bytesEqual(readState(storage, work), encodePurseState(applet.state)))
      violations.push(`${label}: disk and RAM disagree after the next command`);
  } catch (e) {
    violations.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    store.close();
  }
}

/** No counter with two different released receipts; the log is an unbroken chain ending at the card's lastHash. */
function checkReceipts(
  applet: PurseApplet,
  released: readonly Uint8Array[],
  label: string,
  violations: string[],
): void {
  const byCounter = new Map<number, string>();
  for (const bytes of released) {
    const payload = decodeCoseSign1(bytes, Limits.receiptBytes).payload;
    const counter = decodeCardReceipt(payload).counter;
    const id = toHex(sha256(payload));
    const seen = byCounter.get(counter);
    if (seen !== undefined && seen !== id)
      violations.push(`${label}: two different released receipts for counter ${counter}`);
    byCounter.set(counter, id);
  }
  const state = applet.state;
  let expectedHash = state.lastHash;
  let expectedCounter = state.counter;
  for (const entry of state.log) {
    const payload = decodeCoseSign1(entry.receipt, Limits.receiptBytes).payload;
    const receipt = decodeCardReceipt(payload);
    if (!bytesEqual(sha256(payload), expectedHash) || receipt.counter !== expectedCounter) {
      violations.push(`${label}: the log is not one hash chain at counter ${receipt.counter}`);
      return;
    }
    expectedHash = receipt.prevHash;
    expectedCounter--;
  }
}

/** Power cuts at every step of a card file's creation: afterwards there is no card, or the complete one. */
function personalisationCampaign(
  storage: CampaignStorage,
  dir: string,
  state: PurseState,
  violations: string[],
): number {
  const steps: StorageStep[] = [];
  const dry = join(dir, 'personalise-dry.card');
  storage
    .create(dry, state, (s) => {
      if (s.phase === 'before') steps.push(s);
    })
    .close();
  const expected = readState(storage, dry);
  let points = 0;
  steps.forEach((step, index) => {
    for (const phase of ['before', 'after'] as const) {
      points++;
      const path = join(dir, `personalise-${index}-${phase}.card`);
      const label = `personalise, cut ${phase} step ${index} (${step.op})`;
      try {
        storage
          .create(path, state, (s) => {
            if (s.index === index && s.phase === phase) throw powerLost();
          })
          .close();
        violations.push(`${label}: the power cut never happened`);
      } catch (e) {
        if (!isPowerLoss(e)) violations.push(`${label}: ${String(e)}`);
      }
      if (!existsSync(path)) continue;
      try {
        if (!bytesEqual(readState(storage, path), expected))
          violations.push(`${label}: a card file exists but is not the personalised card`);
      } catch (e) {
        violations.push(
          `${label}: a card file exists but does not open: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  });
  return points;
}
