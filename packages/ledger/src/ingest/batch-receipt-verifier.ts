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
  toHex,
  type Certificate,
  type SignatureVerifier,
  type TrustStore,
} from '@ehkd/core';
import { byteKey } from '../ids/byte-key.js';
import { openOrReject } from '../verify/open-or-reject.js';
import type { ReceiptCheck } from './receipt-check.js';

/** A card certificate's verification, cached by its exact bytes; `subject` is the card id's byteKey (null if unreadable). */
type CertEntry = { readonly subject: string | null } & (
  | { readonly ok: true; readonly cert: Certificate; readonly windows: readonly (readonly [number, number, string])[] }
  | { readonly ok: false; readonly check: CheckId; readonly reason: string }
);

// Sig_structure = ["Signature1", h'a10126', h'', payload]: everything before the payload's byte-string head is
// fixed in our profile (decodeCoseSign1 accepts no other protected header), so it is built by hand here instead
// of re-encoding the array through the CBOR encoder for every receipt.
const SIG1_PREFIX = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode('Signature1'), 0x43, 0xa1, 0x01, 0x26, 0x40);

/** The ES256 Sig_structure of a receipt payload (at most Limits.receiptBytes, so at most a 2-byte head). */
function receiptSigStructure(payload: Uint8Array): Uint8Array {
  const head = payload.length < 24 ? 1 : 2;
  const out = new Uint8Array(SIG1_PREFIX.length + head + payload.length);
  out.set(SIG1_PREFIX);
  if (head === 1) out[SIG1_PREFIX.length] = 0x40 + payload.length;
  else {
    out[SIG1_PREFIX.length] = 0x58;
    out[SIG1_PREFIX.length + 1] = payload.length;
  }
  out.set(payload, SIG1_PREFIX.length + head);
  return out;
}

/** The certificates of one batch, indexed by card id. */
export type BatchCards = ReadonlyMap<string, { readonly entry: CertEntry; readonly index: number }>;

/**
 * Verifies the pay receipts of an upload batch, one by one: structure, a certificate of the card in the batch
 * that chains to an issuer of the trust store, the validity of card, issuer and root at the receipt's time
 * (payments stay valid after a certificate expires: a hand-carried batch can arrive late), currency, the card's
 * signature over the bytes received, and that the payee is the uploading terminal.
 * Card certificates are verified once per verifier and cached, because a card pays many times.
 * Runs in verification workers; usable in any thread.
 */
export class BatchReceiptVerifier {
  private readonly certCache = new Map<string, CertEntry>();

  constructor(
    private readonly trust: TrustStore,
    private readonly verifier: SignatureVerifier,
    private readonly cacheSize = 200_000,
  ) {}

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

  /** Verifies each receipt against the batch's cards; one verdict per receipt, in order. */
  verify(receipts: readonly Uint8Array[], cards: BatchCards, payee: Uint8Array): ReceiptCheck[] {
    return receipts.map((bytes) => this.verifyOne(bytes, cards, payee));
  }

  private verifyOne(bytes: Uint8Array, cards: BatchCards, payee: Uint8Array): ReceiptCheck {
    let cose;
    let receipt;
    try {
      cose = decodeCoseSign1(bytes, Limits.receiptBytes);
      receipt = decodeCardReceipt(cose.payload);
    } catch (e) {
      if (e instanceof CoseError || e instanceof CodecError) return { ok: false, check: CheckId.Structure, reason: `receipt: ${e.message}` };
      throw e;
    }
    if (receipt.kind !== 'pay') return { ok: false, check: CheckId.Structure, reason: 'a load receipt in an upload batch (loads are recorded online)' };
    const card = cards.get(byteKey(receipt.cardId));
    if (card === undefined) return { ok: false, check: CheckId.CertChain, reason: `no certificate of card ${toHex(receipt.cardId)} in the batch` };
    const entry = card.entry;
    if (!entry.ok) return { ok: false, check: entry.check, reason: entry.reason };
    for (const [notBefore, notAfter, what] of entry.windows) {
      if (receipt.time < notBefore || receipt.time > notAfter) {
        return { ok: false, check: CheckId.CertExpiry, reason: `${what} certificate not valid at the payment time ${new Date(receipt.time * 1000).toISOString()}` };
      }
    }
    if (entry.cert.card === undefined || receipt.currency !== entry.cert.card.currency) return { ok: false, check: CheckId.Currency, reason: `receipt currency ${receipt.currency} is not the card's` };
    if (!this.verifier.verify(entry.cert.publicKey, receiptSigStructure(cose.payload), cose.signature)) return { ok: false, check: CheckId.Signature, reason: 'the card signature does not verify' };
    if (!bytesEqual(receipt.payee, payee)) return { ok: false, check: CheckId.Payee, reason: `payee ${toHex(receipt.payee)} is not the uploading terminal ${toHex(payee)}` };
    // node:crypto's one-shot SHA-256 is several times core's portable one; the identity is the same SHA-256 of the payload.
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
    const opened = openOrReject(bytes, Limits.certificateBytes, decodeCertificate, 'card certificate');
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
