import {
  Limits,
  decodeCardReceipt,
  decodeCertificate,
  decodeCoseSign1,
  formatAmount,
  isSupportedCurrency,
  sha256,
  toHex,
} from '@ehkd/core';
import { isLocked, type PurseState } from '../applet/purse-state.js';

/** One logged receipt as `inspect` shows it. */
export interface LogLine {
  readonly counter: number;
  readonly kind: 'pay' | 'load';
  readonly amount: number;
  readonly balanceAfter: number;
  /** Receipt identity: SHA-256 of its payload (hex). */
  readonly id: string;
  readonly payee?: string;
  readonly nonce?: string;
  readonly time?: number;
  readonly authorizationId?: string;
  /** The signed receipt (COSE_Sign1, hex). */
  readonly receipt: string;
}

/** What `ehkd-card inspect` reports: the card's state without its private key. */
export interface CardReport {
  readonly cardId: string;
  readonly issuerId: string;
  readonly currency: number;
  readonly balance: number;
  readonly counter: number;
  readonly locked: boolean;
  readonly flags: number;
  readonly offlineCount: number;
  readonly offlineAmount: number;
  readonly limits: PurseState['limits'];
  readonly lastHash: string;
  readonly certificate: {
    readonly notBefore: number;
    readonly notAfter: number;
    readonly publicKey: string;
    readonly bytes: string;
  };
  /** Newest first. */
  readonly log: readonly LogLine[];
}

/**
 * The card's state for people and programs, never its private key.
 * @throws CodecError/CoseError if the card holds a certificate or receipt that does not decode (a damaged file).
 */
export function cardReport(s: PurseState): CardReport {
  const cert = decodeCertificate(decodeCoseSign1(s.certificate, Limits.certificateBytes).payload);
  return {
    cardId: toHex(s.cardId),
    issuerId: toHex(s.issuerId),
    currency: s.currency,
    balance: s.balance,
    counter: s.counter,
    locked: isLocked(s),
    flags: s.flags,
    offlineCount: s.offlineCount,
    offlineAmount: s.offlineAmount,
    limits: s.limits,
    lastHash: toHex(s.lastHash),
    certificate: {
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      publicKey: toHex(cert.publicKey),
      bytes: toHex(s.certificate),
    },
    log: s.log.map((e) => {
      const payload = decodeCoseSign1(e.receipt, Limits.receiptBytes).payload;
      const r = decodeCardReceipt(payload);
      const common = {
        counter: r.counter,
        kind: r.kind,
        amount: r.amount,
        balanceAfter: r.balanceAfter,
        id: toHex(sha256(payload)),
        receipt: toHex(e.receipt),
      };
      return r.kind === 'pay'
        ? { ...common, payee: toHex(r.payee), nonce: toHex(r.nonce), time: r.time }
        : { ...common, authorizationId: toHex(r.authorizationId) };
    }),
  };
}

/** The report as aligned text lines. */
export function formatCardReport(r: CardReport, path: string): string {
  const money = (minor: number): string =>
    isSupportedCurrency(r.currency) ? formatAmount(minor, r.currency) : `${minor} (currency ${r.currency})`;
  const day = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
  const lines = [
    `card        ${r.cardId} (issuer ${r.issuerId})`,
    `file        ${path}`,
    `balance     ${money(r.balance)}`,
    `counter     ${r.counter}`,
    `status      ${r.locked ? 'LOCKED by the issuer' : 'unlocked'}`,
    `offline     ${r.offlineCount} payment(s), ${money(r.offlineAmount)} since the last online contact`,
    `limits      balance ${money(r.limits.maxBalance)}, payment ${money(r.limits.maxPayment)}, offline ${r.limits.maxOfflineCount} payments / ${money(r.limits.maxOfflineAmount)}`,
    `certificate valid ${day(r.certificate.notBefore)} .. ${day(r.certificate.notAfter)}, key ${r.certificate.publicKey}`,
    `last hash   ${r.lastHash}`,
    `log         ${r.log.length === 0 ? '(empty)' : 'newest first'}`,
    ...r.log.map((e) =>
      e.kind === 'pay'
        ? `  #${e.counter} pay  ${money(e.amount)} to ${e.payee} (nonce ${e.nonce}), balance ${money(e.balanceAfter)}, id ${e.id.slice(0, 16)}`
        : `  #${e.counter} load ${money(e.amount)}, balance ${money(e.balanceAfter)}, id ${e.id.slice(0, 16)}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
