import { hash } from 'node:crypto';
import {
  CheckId,
  CodecError,
  CoseError,
  Limits,
  Role,
  decodeCardReceipt,
  decodeCertificate,
  decodeCoseSign1,
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
 * Verifies the pay receipts of an upload batch, one by one (spec 7.2 step 4.1 to 4.7): structure, a certificate of
 * the card in the batch that chains to an issuer of the trust store, the validity of card, issuer and root at the
 * receipt's time (payments stay valid after a certificate expires: a hand-carried batch can arrive late), currency,
 * the amount within the certificate's maximum payment, the card's signature over the bytes received, and that the
 * payee is the uploading terminal. Step 4.8 is BatchIngestor's (see `check`).
 * Card certificates are verified once per verifier and cached, because a card pays many times.
 * Receipts are read in place (readReceiptInPlace) and their verdicts written straight into the packed records:
 * an accepted receipt allocates two short strings (its card's key and its SHA-256) and nothing else. What that
 * reader declines goes through core's generic decoders, which reject it with their usual reason; either reader
 * fills the same fields, and one function (`check`) runs the checks on them.
 * Runs in verification workers; usable in any thread.
 */
export class BatchReceiptVerifier {
  private readonly certCache = new Map<string, CertEntry>();
  private readonly fields = receiptFields();
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
    const f = this.fields;
    let start = 0;
    for (let i = 0; i < offsets.length; i++) {
      const end = offsets[i] as number;
      if (readReceiptInPlace(data, start, end, f)) {
        f.cardIdIn = f.field5In = f.nonceIn = f.prevHashIn = f.payloadIn = f.signatureIn = data;
        this.check(i, f, cards, payee, out);
      } else {
        const malformed = readGeneric(data.subarray(start, end), f);
        if (malformed === null) this.check(i, f, cards, payee, out);
        else out.reject(i, CheckId.Structure, malformed);
      }
      start = end;
    }
    return out;
  }

  /**
   * The receipt checks of spec 7.2 step 4.1 to 4.7, in the spec's order, on the fields either reader filled (the
   * reader did 4.1's decoding): records the first failure's check and reason, or the verified fields. The only
   * place that order and those reasons are written. Step 4.8 (time within the terminal certificate) needs the
   * terminal certificate, which the verification workers never see: BatchIngestor.verify applies it to what this
   * accepts.
   */
  private check(i: number, f: ReceiptFields, cards: BatchCards, payee: Uint8Array, out: CheckRecords): void {
    if (f.type !== MessageType.PayReceipt) return out.reject(i, CheckId.Structure, LOAD_IN_BATCH);
    const card = cards.get(idKeyAt(f.cardIdIn, f.cardIdAt));
    if (card === undefined)
      return out.reject(i, CheckId.CertChain, noCertificate(f.cardIdIn.subarray(f.cardIdAt, f.cardIdAt + 8)));
    const entry = card.entry;
    if (!entry.ok) return out.reject(i, entry.check, entry.reason);
    const invalid = invalidAt(entry, f.time);
    if (invalid !== null) return out.reject(i, CheckId.CertExpiry, invalid);
    if (entry.cert.card === undefined || f.currency !== entry.cert.card.currency)
      return out.reject(i, CheckId.Currency, wrongCurrency(f.currency));
    if (f.amount > entry.cert.card.maxPayment)
      return out.reject(i, CheckId.Amount, overMaxPayment(f.amount, entry.cert.card.maxPayment));
    // Both readers accept only the protected header {1: -7}, so the Sig_structure is the fixed prefix, the
    // payload's byte-string head and the payload, copied into place instead of encoded.
    const payload = f.payloadIn;
    const length = f.payloadEnd - f.payloadStart;
    const sig1 = this.sig1;
    let at = SIG1_PREFIX.length;
    if (length < 24) sig1[at++] = 0x40 + length;
    else {
      sig1[at++] = 0x58;
      sig1[at++] = length;
    }
    for (let k = f.payloadStart; k < f.payloadEnd; k++) sig1[at++] = payload[k] as number;
    const signature = this.signature;
    for (let k = 0; k < ES256_SIGNATURE_LENGTH; k++) signature[k] = f.signatureIn[f.signatureAt + k] as number;
    if (!this.verifier.verify(entry.cert.publicKey, this.sig1Views[length] as Buffer, signature))
      return out.reject(i, CheckId.Signature, BAD_SIGNATURE);
    for (let k = 0; k < 8; k++) {
      if (f.field5In[f.field5At + k] !== payee[k])
        return out.reject(i, CheckId.Payee, wrongPayee(f.field5In.subarray(f.field5At, f.field5At + 8), payee));
    }
    // node:crypto's one-shot SHA-256 is several times core's portable one; the identity is the same SHA-256 of the
    // payload. As a 'binary' (latin1) string it costs no buffer: a third of the CPU, garbage collection included.
    const id = hash('sha256', this.payloadViews[length] as Buffer, 'binary');
    out.accept(
      i,
      card.index,
      f.counter,
      f.currency,
      f.amount,
      f.balanceAfter,
      f.time,
      id,
      f.cardIdIn,
      f.cardIdAt,
      f.prevHashIn,
      f.prevHashAt,
      entry.cert.signer,
    );
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
          ...(issuer === undefined
            ? []
            : [[issuer.payload.notBefore, issuer.payload.notAfter, `issuer ${toHex(cert.signer)}`] as const]),
          [root.notBefore, root.notAfter, 'root'],
        ],
      };
    }
    if (this.certCache.size >= this.cacheSize) this.certCache.delete(this.certCache.keys().next().value as string);
    this.certCache.set(key, entry);
    return entry;
  }
}

/**
 * The fields of one receipt that the checks read, from either reader: the in-place reader's numbers and offsets,
 * plus the array each byte field lies in (the received chunk for the in-place reader, core's decoded copies for
 * the generic one). One instance per verifier, overwritten for every receipt, so the hot path allocates none.
 */
interface ReceiptFields extends InPlaceReceipt {
  cardIdIn: Uint8Array;
  field5In: Uint8Array;
  nonceIn: Uint8Array;
  prevHashIn: Uint8Array;
  payloadIn: Uint8Array;
  signatureIn: Uint8Array;
}

function receiptFields(): ReceiptFields {
  const none = new Uint8Array(0);
  return {
    ...inPlaceReceipt(),
    cardIdIn: none,
    field5In: none,
    nonceIn: none,
    prevHashIn: none,
    payloadIn: none,
    signatureIn: none,
  };
}

/**
 * The reference reader, core's generic decoders, for whatever the in-place reader declines: fills `f` from the
 * decoded receipt, or returns why the receipt does not decode (check `structure`, spec 7.2 step 4.1).
 */
function readGeneric(bytes: Uint8Array, f: ReceiptFields): string | null {
  let cose;
  let receipt;
  try {
    cose = decodeCoseSign1(bytes, Limits.receiptBytes);
    receipt = decodeCardReceipt(cose.payload);
  } catch (e) {
    if (e instanceof CoseError || e instanceof CodecError) return `receipt: ${e.message}`;
    throw e;
  }
  f.payloadIn = cose.payload;
  f.payloadStart = 0;
  f.payloadEnd = cose.payload.length;
  f.signatureIn = cose.signature;
  f.signatureAt = 0;
  f.cardIdIn = receipt.cardId;
  f.cardIdAt = 0;
  f.counter = receipt.counter;
  f.amount = receipt.amount;
  f.currency = receipt.currency;
  f.field5At = 0;
  if (receipt.kind === 'pay') {
    f.type = MessageType.PayReceipt;
    f.field5In = receipt.payee;
    f.nonceIn = receipt.nonce;
    f.nonceAt = 0;
    f.time = receipt.time;
  } else {
    f.type = MessageType.LoadReceipt;
    f.field5In = receipt.authorizationId;
    f.nonceAt = -1;
    f.time = -1;
  }
  f.balanceAfter = receipt.balanceAfter;
  f.prevHashIn = receipt.prevHash;
  f.prevHashAt = 0;
  return null;
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
    if (time < notBefore || time > notAfter)
      return `${what} certificate not valid at the payment time ${new Date(time * 1000).toISOString()}`;
  }
  return null;
}
