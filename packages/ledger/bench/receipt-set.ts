// Generates (or reads from the cache under .tmp/) a large set of upload batches for the ledger bench and the
// crash test: a scheme, cards loaded through issuer-signed authorizations, and terminal-signed batches of pay
// receipts that keep every card's counter, hash chain and balance exact. Signing uses node:crypto (OpenSSL), about
// 25x faster than the portable signer, so 100k receipts take seconds rather than minutes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Currency,
  Limits,
  NONCE_LENGTH,
  Role,
  decodeCardChallenge,
  decodeCertificate,
  decodeCoseSign1,
  decodeLoadAuthorization,
  encodeLoadAuthorization,
  formatKeyFile,
  fromHex,
  generatePrivateKey,
  sha256,
  signCoseSign1,
  toHex,
  type KeyFile,
} from '@ehkd/core';
import { createNodeSigner } from '../src/crypto/node-signer.js';
import { recordAuthorization } from '../src/scheme/load-authorization.js';
import { signTerminalCertificate } from '../src/scheme/terminal-enrolment.js';
import type { Ledger } from '../src/ledger.js';
import type { LedgerStore, TerminalRecord } from '../src/store/ledger-store.js';
import {
  TestCard,
  createTestScheme,
  nowSeconds,
  party,
  signBatch,
  type TestScheme,
  type TestTerminal,
} from '../test/fixtures/test-scheme.js';

/** Shape of a generated set. */
export interface ReceiptSetParams {
  readonly cards: number;
  readonly terminals: number;
  readonly paysPerCard: number;
  /** Receipts per upload batch. */
  readonly batchSize: number;
}

/** A generated set: keys, what the ledger must know before ingesting (terminals, loads), and the batches. */
export interface ReceiptSet {
  readonly params: ReceiptSetParams;
  readonly scheme: TestScheme;
  readonly terminals: readonly TerminalRecord[];
  /** Per card: its certificate, the issuer-signed authorization and the card's load receipt. */
  readonly loads: readonly {
    readonly certificate: Uint8Array;
    readonly authorization: Uint8Array;
    readonly loadReceipt: Uint8Array;
    readonly amount: number;
    readonly time: number;
  }[];
  /** Upload batches (COSE_Sign1 bytes). */
  readonly batches: readonly Uint8Array[];
  readonly receipts: number;
  /** Total amount paid, in minor units. */
  readonly paid: number;
  readonly loaded: number;
}

// 3: load authorizations bind the card's counter (key 7).
const FORMAT = 3;
const CACHE = new URL('../../../.tmp/ledger-bench/', import.meta.url);

/**
 * Reads the set for `params` from the cache, generating and caching it first if needed.
 * @example const set = receiptSet({ cards: 2000, terminals: 100, paysPerCard: 50, batchSize: 1000 })
 */
export function receiptSet(params: ReceiptSetParams): ReceiptSet {
  const dir = join(
    CACHE.pathname,
    `v${FORMAT}-c${params.cards}-t${params.terminals}-p${params.paysPerCard}-b${params.batchSize}`,
  );
  const index = join(dir, 'set.json');
  if (!existsSync(index)) {
    const set = generateReceiptSet(params);
    const staging = `${dir}.${process.pid}.tmp`;
    mkdirSync(staging, { recursive: true });
    set.batches.forEach((b, i) => writeFileSync(join(staging, `batch-${i}.cbor`), b));
    writeFileSync(
      join(staging, 'set.json'),
      JSON.stringify({
        params,
        keyFiles: {
          root: formatKeyFile(set.scheme.keyFiles.root),
          issuer: formatKeyFile(set.scheme.keyFiles.issuer),
          acquirer: formatKeyFile(set.scheme.keyFiles.acquirer),
        },
        terminals: set.terminals.map((t) => ({ ...hexFields(t), mcc: t.mcc, name: t.name, enrolledAt: t.enrolledAt })),
        loads: set.loads.map((l) => ({
          certificate: toHex(l.certificate),
          authorization: toHex(l.authorization),
          loadReceipt: toHex(l.loadReceipt),
          amount: l.amount,
          time: l.time,
        })),
        batches: set.batches.length,
        receipts: set.receipts,
        paid: set.paid,
        loaded: set.loaded,
      }),
    );
    // A rename publishes the whole set at once: a killed generator leaves no half-written cache.
    if (!existsSync(dir)) renameSync(staging, dir);
  }
  return readSet(dir);
}

/**
 * Records what the ledger must know before the set's batches arrive: the terminals (as enrolled), the cards'
 * certificates and load authorizations (as the issuer signed them), and the cards' load receipts (through the
 * ledger's verified path).
 */
export async function recordSetPrerequisites(set: ReceiptSet, store: LedgerStore, ledger: Ledger): Promise<void> {
  for (const t of set.terminals) await store.putTerminal(t);
  for (const l of set.loads) {
    const cert = decodeCertificate(decodeCoseSign1(l.certificate, Limits.certificateBytes).payload);
    const card = {
      cardId: cert.subject,
      issuerId: cert.signer,
      currency: cert.card?.currency ?? Currency.HKD,
      certificate: l.certificate,
    };
    const payload = decodeCoseSign1(l.authorization, Limits.issuerMessageBytes).payload;
    const a = decodeLoadAuthorization(payload);
    await store.withCards([card], (tx) =>
      recordAuthorization(tx, {
        authorizationId: sha256(payload),
        loadId: a.loadId,
        cardId: a.cardId,
        amount: a.amount,
        currency: a.currency,
        time: a.time,
        bytes: l.authorization,
        challenge: a.challenge,
        terminalId: null,
        merchantId: null,
        cardCounter: a.counter,
      }),
    );
    const recorded = await ledger.recordLoadReceipt(l.loadReceipt);
    if (!recorded.ok) throw new Error(`load receipt refused: ${recorded.reason}`);
  }
}

function readSet(dir: string): ReceiptSet {
  const j = JSON.parse(readFileSync(join(dir, 'set.json'), 'utf8')) as {
    params: ReceiptSetParams;
    keyFiles: Record<'root' | 'issuer' | 'acquirer', string>;
    terminals: Record<string, string | number>[];
    loads: { certificate: string; authorization: string; loadReceipt: string; amount: number; time: number }[];
    batches: number;
    receipts: number;
    paid: number;
    loaded: number;
  };
  const parse = (text: string, role: Role): KeyFile => {
    const o = JSON.parse(text) as Record<string, string>;
    return {
      role,
      id: fromHex(o['id'] as string),
      privateKey: fromHex(o['privateKey'] as string),
      certificate: fromHex(o['certificate'] as string),
    };
  };
  const keyFiles = {
    root: parse(j.keyFiles.root, Role.Root),
    issuer: parse(j.keyFiles.issuer, Role.Issuer),
    acquirer: parse(j.keyFiles.acquirer, Role.Acquirer),
  };
  const scheme: TestScheme = {
    root: party(keyFiles.root, Role.Root),
    issuer: party(keyFiles.issuer, Role.Issuer),
    acquirer: party(keyFiles.acquirer, Role.Acquirer),
    keyFiles,
  };
  return {
    params: j.params,
    scheme,
    terminals: j.terminals.map((t) => ({
      terminalId: fromHex(t['terminalId'] as string),
      merchantId: fromHex(t['merchantId'] as string),
      publicKey: fromHex(t['publicKey'] as string),
      certificate: fromHex(t['certificate'] as string),
      mcc: t['mcc'] as number,
      name: t['name'] as string,
      enrolledAt: t['enrolledAt'] as number,
    })),
    loads: j.loads.map((l) => ({
      certificate: fromHex(l.certificate),
      authorization: fromHex(l.authorization),
      loadReceipt: fromHex(l.loadReceipt),
      amount: l.amount,
      time: l.time,
    })),
    batches: Array.from({ length: j.batches }, (_, i) => new Uint8Array(readFileSync(join(dir, `batch-${i}.cbor`)))),
    receipts: j.receipts,
    paid: j.paid,
    loaded: j.loaded,
  };
}

function hexFields(t: TerminalRecord): Record<string, string> {
  return {
    terminalId: toHex(t.terminalId),
    merchantId: toHex(t.merchantId),
    publicKey: toHex(t.publicKey),
    certificate: toHex(t.certificate),
  };
}

/** Generates a set without caching it. */
export function generateReceiptSet(params: ReceiptSetParams): ReceiptSet {
  const scheme = createTestScheme();
  const now = nowSeconds();
  const terminals: TestTerminal[] = [];
  const records: TerminalRecord[] = [];
  for (let t = 0; t < params.terminals; t++) {
    const signer = createNodeSigner(generatePrivateKey());
    const merchantId = new Uint8Array(randomBytes(8));
    const record = signTerminalCertificate(
      scheme.acquirer,
      { publicKey: signer.publicKey, merchantId, mcc: 5411, name: `Merchant ${t}` },
      now,
    );
    records.push(record);
    terminals.push({ id: record.terminalId, merchantId, signer, certificate: record.certificate });
  }
  const loads: ReceiptSet['loads'][number][] = [];
  const perTerminal: { receipts: Uint8Array[]; cards: Map<string, TestCard> }[] = terminals.map(() => ({
    receipts: [],
    cards: new Map(),
  }));
  const batches: Uint8Array[] = [];
  let paid = 0;
  let loaded = 0;
  let receipts = 0;
  let next = 0;
  const flush = (t: number): void => {
    const slot = perTerminal[t] as (typeof perTerminal)[number];
    if (slot.receipts.length === 0) return;
    batches.push(signBatch(terminals[t] as TestTerminal, slot.receipts, [...slot.cards.values()]));
    slot.receipts = [];
    slot.cards = new Map();
  };
  for (let c = 0; c < params.cards; c++) {
    const card = TestCard.issue(scheme.issuer);
    const amounts = Array.from({ length: params.paysPerCard }, (_, i) => 100 + ((c * 7919 + i * 104_729) % 4_900));
    const amount = amounts.reduce((a, b) => a + b, 0) + 1_000;
    const challenge = card.challenge();
    const authorization = signCoseSign1(
      scheme.issuer.signer,
      encodeLoadAuthorization({
        cardId: card.id,
        challenge: decodeCardChallenge(challenge).challenge,
        counter: decodeCardChallenge(challenge).counter,
        amount,
        currency: Currency.HKD,
        loadId: new Uint8Array(randomBytes(NONCE_LENGTH)),
        time: now,
      }),
    );
    loads.push({
      certificate: card.certificate,
      authorization,
      loadReceipt: card.load(authorization),
      amount,
      time: now,
    });
    loaded += amount;
    for (const a of amounts) {
      const t = next++ % params.terminals;
      const slot = perTerminal[t] as (typeof perTerminal)[number];
      slot.receipts.push(card.pay(a, (terminals[t] as TestTerminal).id, now - 3600));
      slot.cards.set(toHex(card.id), card);
      paid += a;
      receipts++;
      if (slot.receipts.length === params.batchSize) flush(t);
    }
  }
  for (let t = 0; t < params.terminals; t++) flush(t);
  return { params, scheme, terminals: records, loads, batches, receipts, paid, loaded };
}
