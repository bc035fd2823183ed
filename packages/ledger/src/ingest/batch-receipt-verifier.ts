import { hash } from 'node:crypto';
import {
  CheckId,
  CodecError,
  CoseError,
  Limits,
  Role,
  bytesEqual,
  decodeCardReceipt,
  decodeCertificate,
  decodeCoseSign1,
  coseSigStructure,
  ES256_SIGNATURE_LENGTH,
  MessageType,
  toHex,
  type Certificate,
  type SignatureVerifier,
  type TrustStore,
  openOrFail,
} from '@ehkd/core';
import { byteKey, idKeyAt } from '../ids/byte-key.js';
import { CheckRecords } from './checked-receipt-codec.js';
import type { PackedBytes } from './packed-bytes.js';
import type { ReceiptCheck } from './receipt-check.js';
import { inPlaceReceipt, readReceiptInPlace, type InPlaceReceipt } from './receipt-in-place.js';

/** A card certificate's verification, cached by its exact bytes; `subject` is the card id's byteKey (null if unreadable). */
type CertEntry = { readonly subject: string | null } & (
  | { readonly ok: true; readonly cert: Certificate; readonly windows: readonly (readonly [number, number, string])[] }
  | { readonly ok: false; readonly check: CheckId; readonly reason: string }
);

// Sig_structure = ["Signature1", h'a10126', h'', payload]: everything before the payload's byte-string head is
// fixed in our profile (decodeCoseSign1 accepts no other protected header), so it is built by hand here instead
// of re-encoding the array through the CBOR encoder for every receipt.
const SIG1_PREFIX = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode('Signature1'), 0x43, 0xa1, 0x01, 0x26, 0x40);

/** The certificates of one batch, by the byteKey of their card's id. */
export type BatchCards = ReadonlyMap<string, { readonly entry: CertEntry; readonly index: number }>;

/** The public keys of a batch's cards whose certificates verified. */
export function cardKeys(cards: BatchCards): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const { entry } of cards.values()) if (entry.ok) keys.push(entry.cert.publicKey);
  return keys;
}

/**
 * Verifies the pay receipts of an upload batch, one by one: structure, a certificate of the card in the batch
 * that chains to an issuer of the trust store, the validity of card, issuer and root at the receipt's time
 * (payments stay valid after a certificate expires: a hand-carried batch can arrive late), currency, the amount
 * within the certificate's maximum payment, the card's signature over the bytes received, and that the payee is
 * the uploading terminal.
 * Card certificates are verified once per verifier and cached, because a card pays many times.
 * Receipts are read in place (readReceiptInPlace) and their verdicts written straight into the packed records:
 * an accepted receipt allocates two short strings (its card's key and its SHA-256) and nothing else. What that
 * reader declines goes through core's generic decoders, which reject it with their usual reason.
 * Runs in verification workers; usable in any thread.
 */
export class BatchReceiptVerifier {
  private readonly certCache = new Map<string, CertEntry>();
  private readonly receipt = inPlaceReceipt();
  /** The Sig_structure under construction: the fixed prefix, then each receipt's payload head and payload. */
  private readonly sig1 = Buffer.alloc(SIG1_PREFIX.length + 2 + Limits.receiptBytes);
  /** Views of `sig1`, by payload length: the whole Sig_structure, and the payload within it. */
  private readonly sig1Views: Buffer[] = [];
  private readonly payloadViews: Buffer[] = [];
  private readonly signature = Buffer.alloc(ES256_SIGNATURE_LENGTH);

  constructor(
    private readonly trust: TrustStore,
    private readonly verifier: SignatureVerifier,
    private readonly cacheSize = 200_000,
  ) {
    this.sig1.set(SIG1_PREFIX);
    for (let length = 0; length <= Limits.receiptBytes; length++) {
      const at = SIG1_PREFIX.length + (length < 24 ? 1 : 2);
      this.sig1Views.push(this.sig1.subarray(0, at + length));
      this.payloadViews.push(this.sig1.subarray(at, at + length));
    }
  }

  /** Indexes a batch's card certificates by card id (verifying those not seen before). */
  cards(certificates: readonly Uint8Array[]): BatchCards {
    const byCard = new Map<string, { entry: CertEntry; index: number }>();
    certificates.forEach((bytes, index) => {
      const entry = this.entry(bytes);
      if (entry.subject === null) return; // no card to file a broken certificate under: its card's receipts find none
      const existing = byCard.get(entry.subject);
      if (existing !== undefined && existing.entry.ok) return;
      byCard.set(entry.subject, { entry, index });
    });
    return byCard;
  }

  /** Verifies each receipt of a packed chunk against the batch's cards; the verdicts, packed in receipt order. */
  verify(receipts: PackedBytes, cards: BatchCards, payee: Uint8Array): CheckRecords {
    const data = receipts.data;
    const offsets = receipts.offsets;
    const out = new CheckRecords(offsets.length);
    const r = this.receipt;
    let start = 0;
    for (let i = 0; i < offsets.length; i++) {
      const end = offsets[i] as number;
      if (readReceiptInPlace(data, start, end, r)) this.verifyInPlace(i, data, r, cards, payee, out);
      else out.put(i, this.verifyGeneric(data.subarray(start, end), cards, payee));
      start = end;
    }
    return out;
  }

  private verifyInPlace(i: number, data: Uint8Array, r: InPlaceReceipt, cards: BatchCards, payee: Uint8Array, out: CheckRecords): void {
    if (r.type !== MessageType.PayReceipt) return out.reject(i, CheckId.Structure, LOAD_IN_BATCH);
    const card = cards.get(idKeyAt(data, r.cardIdAt));
    if (card === undefined) return out.reject(i, CheckId.CertChain, noCertificate(data.subarray(r.cardIdAt, r.cardIdAt + 8)));
    const entry = card.entry;
    if (!entry.ok) return out.reject(i, entry.check, entry.reason);
    const invalid = invalidAt(entry, r.time);
    if (invalid !== null) return out.reject(i, CheckId.CertExpiry, invalid);
    if (entry.cert.card === undefined || r.currency !== entry.cert.card.currency) return out.reject(i, CheckId.Currency, wrongCurrency(r.currency));
    if (r.amount > entry.cert.card.maxPayment) return out.reject(i, CheckId.Amount, overMaxPayment(r.amount, entry.cert.card.maxPayment));
    const length = r.payloadEnd - r.payloadStart;
    const sig1 = this.sig1;
    let at = SIG1_PREFIX.length;
    if (length < 24) sig1[at++] = 0x40 + length;
    else {
      sig1[at++] = 0x58;
      sig1[at++] = length;
    }
    for (let k = r.payloadStart; k < r.payloadEnd; k++) sig1[at++] = data[k] as number;
    const signature = this.signature;
    for (let k = 0; k < ES256_SIGNATURE_LENGTH; k++) signature[k] = data[r.signatureAt + k] as number;
    if (!this.verifier.verify(entry.cert.publicKey, this.sig1Views[length] as Buffer, signature)) return out.reject(i, CheckId.Signature, BAD_SIGNATURE);
    for (let k = 0; k < 8; k++) {
      if (data[r.field5At + k] !== payee[k]) return out.reject(i, CheckId.Payee, wrongPayee(data.subarray(r.field5At, r.field5At + 8), payee));
    }
    // node:crypto's one-shot SHA-256 is several times core's portable one; the identity is the same SHA-256 of the
    // payload. As a 'binary' (latin1) string it costs no buffer: a third of the CPU, garbage collection included.
    const id = hash('sha256', this.payloadViews[length] as Buffer, 'binary');
    out.accept(i, card.index, r.counter, r.currency, r.amount, r.balanceAfter, r.time, id, data, r.cardIdAt, data, r.prevHashAt, entry.cert.signer);
  }

  /** The reference path, on core's generic decoders: for whatever the in-place reader declines. */
  private verifyGeneric(bytes: Uint8Array, cards: BatchCards, payee: Uint8Array): ReceiptCheck {
    let cose;
    let receipt;
    try {
      cose = decodeCoseSign1(bytes, Limits.receiptBytes);
      receipt = decodeCardReceipt(cose.payload);
    } catch (e) {
      if (e instanceof CoseError || e instanceof CodecError) return { ok: false, check: CheckId.Structure, reason: `receipt: ${e.message}` };
      throw e;
    }
    if (receipt.kind !== 'pay') return { ok: false, check: CheckId.Structure, reason: LOAD_IN_BATCH };
    const card = cards.get(byteKey(receipt.cardId));
    if (card === undefined) return { ok: false, check: CheckId.CertChain, reason: noCertificate(receipt.cardId) };
    const entry = card.entry;
    if (!entry.ok) return { ok: false, check: entry.check, reason: entry.reason };
    const invalid = invalidAt(entry, receipt.time);
    if (invalid !== null) return { ok: false, check: CheckId.CertExpiry, reason: invalid };
    if (entry.cert.card === undefined || receipt.currency !== entry.cert.card.currency) return { ok: false, check: CheckId.Currency, reason: wrongCurrency(receipt.currency) };
    if (receipt.amount > entry.cert.card.maxPayment) return { ok: false, check: CheckId.Amount, reason: overMaxPayment(receipt.amount, entry.cert.card.maxPayment) };
    if (!this.verifier.verify(entry.cert.publicKey, coseSigStructure(cose.protectedBytes, cose.payload), cose.signature)) return { ok: false, check: CheckId.Signature, reason: BAD_SIGNATURE };
    if (!bytesEqual(receipt.payee, payee)) return { ok: false, check: CheckId.Payee, reason: wrongPayee(receipt.payee, payee) };
    const digest = hash('sha256', cose.payload, 'buffer');
    return {
      ok: true,
      id: new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength),
      cardId: receipt.cardId,
      prevHash: receipt.prevHash,
      counter: receipt.counter,
      amount: receipt.amount,
      currency: receipt.currency,
      balanceAfter: receipt.balanceAfter,
      time: receipt.time,
      certIndex: card.index,
      issuerId: entry.cert.signer,
    };
  }

  private entry(bytes: Uint8Array): CertEntry {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    const cached = this.certCache.get(key);
    if (cached !== undefined) return cached;
    const opened = openOrFail(bytes, Limits.certificateBytes, decodeCertificate, 'card certificate');
    const subject = opened.ok ? byteKey(opened.value.payload.subject) : null;
    const leaf = this.trust.verifyLeaf(bytes, Role.Card, this.verifier, undefined);
    let entry: CertEntry;
    if (!leaf.ok) entry = { subject, ok: false, check: leaf.check, reason: leaf.reason };
    else {
      const cert = leaf.value.payload;
      const issuer = this.trust.get(Role.Issuer, cert.signer);
      const root = this.trust.root.payload;
      entry = {
        subject,
        ok: true,
        cert,
        windows: [
          [cert.notBefore, cert.notAfter, `card ${toHex(cert.subject)}`],
          ...(issuer === undefined ? [] : [[issuer.payload.notBefore, issuer.payload.notAfter, `issuer ${toHex(cert.signer)}`] as const]),
          [root.notBefore, root.notAfter, 'root'],
        ],
      };
    }
    if (this.certCache.size >= this.cacheSize) this.certCache.delete(this.certCache.keys().next().value as string);
    this.certCache.set(key, entry);
    return entry;
  }
}

const LOAD_IN_BATCH = 'a load receipt in an upload batch (loads are recorded online)';
const BAD_SIGNATURE = 'the card signature does not verify';

function noCertificate(cardId: Uint8Array): string {
  return `no certificate of card ${toHex(cardId)} in the batch`;
}

function wrongCurrency(currency: number): string {
  return `receipt currency ${currency} is not the card's`;
}

// A genuine card refuses a payment above its maxPayment, and issuer commands cannot raise a limit above the
// certificate's (spec 5.4), so a larger signed payment is not a genuine card's.
function overMaxPayment(amount: number, maxPayment: number): string {
  return `amount ${amount} is above the card certificate's maximum payment ${maxPayment}`;
}

function wrongPayee(receiptPayee: Uint8Array, payee: Uint8Array): string {
  return `payee ${toHex(receiptPayee)} is not the uploading terminal ${toHex(payee)}`;
}

/** Why the card's certificate chain was not valid at a payment's time, or null if it was. */
function invalidAt(entry: CertEntry & { readonly ok: true }, time: number): string | null {
  for (const [notBefore, notAfter, what] of entry.windows) {
    if (time < notBefore || time > notAfter) return `${what} certificate not valid at the payment time ${new Date(time * 1000).toISOString()}`;
  }
  return null;
}
