import type { CborValue } from '../cbor/cbor-value.js';
import { encodeCbor } from '../cbor/deterministic-encode.js';
import { CodecError, CodecErrorCode } from '../codec/codec-error.js';
import { MapReader } from '../codec/map-reader.js';
import { P256_COMPRESSED_KEY_LENGTH } from '../crypto/signature-verifier.js';
import { ID_LENGTH, bytesEqual } from '../ids/identifiers.js';
import { isSupportedCurrency } from '../money/money.js';
import { decodePayload } from './decode-payload.js';
import { Limits } from './limits.js';
import { MessageType } from './message-type.js';

/** Roles of the scheme's public-key infrastructure. */
export const Role = { Root: 1, Issuer: 2, Card: 3, Acquirer: 4, Terminal: 5 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Which role must have signed a certificate of each role (the root signs itself). */
export const SIGNER_ROLE: Readonly<Record<Role, Role>> = {
  [Role.Root]: Role.Root,
  [Role.Issuer]: Role.Root,
  [Role.Acquirer]: Role.Root,
  [Role.Card]: Role.Issuer,
  [Role.Terminal]: Role.Acquirer,
};

/** Stable lower-case role names for output. */
export const ROLE_NAME: Readonly<Record<Role, string>> = {
  [Role.Root]: 'root',
  [Role.Issuer]: 'issuer',
  [Role.Card]: 'card',
  [Role.Acquirer]: 'acquirer',
  [Role.Terminal]: 'terminal',
};

/** Card-side risk limits, in minor units of the card's currency (counts for the offline count). */
export interface CardLimits {
  /** Largest balance a load may bring the card to. */
  readonly maxBalance: number;
  /** Largest single payment. */
  readonly maxPayment: number;
  /** Consecutive offline payments allowed since the last online contact. */
  readonly maxOfflineCount: number;
  /** Cumulative offline amount allowed since the last online contact. */
  readonly maxOfflineAmount: number;
}

/** What a card certificate says about the card: its currency and its limits at issuance. */
export interface CardProfile extends CardLimits {
  readonly currency: number;
}

/** What a terminal certificate says about the terminal: who gets paid, and the merchant category code. */
export interface TerminalProfile {
  readonly merchantId: Uint8Array;
  /** ISO 18245 merchant category code, 0..9999. */
  readonly mcc: number;
}

/** The payload of a certificate (message type 1). */
export interface Certificate {
  readonly role: Role;
  /** Identifier of the certified entity (card id, terminal id, issuer id, ...). */
  readonly subject: Uint8Array;
  /** Identifier of the entity that signed it (its own for the root). */
  readonly signer: Uint8Array;
  /** Compressed SEC1 P-256 key (33 bytes). */
  readonly publicKey: Uint8Array;
  /** Validity, Unix seconds, inclusive. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** Display name of root, issuer, acquirer or merchant; never on cards (SELECT must fit one short R-APDU). */
  readonly name?: string;
  readonly card?: CardProfile;
  readonly terminal?: TerminalProfile;
}

/**
 * Encodes a certificate payload (deterministic CBOR, ready to be signed by the signer role).
 * @throws CodecError if it would not decode (role rules, ranges): encoding and decoding enforce the same rules.
 */
export function encodeCertificate(cert: Certificate): Uint8Array {
  const m = new Map<number, CborValue>([
    [0, MessageType.Certificate],
    [1, cert.role],
    [2, cert.subject],
    [3, cert.signer],
    [4, cert.publicKey],
    [5, cert.notBefore],
    [6, cert.notAfter],
  ]);
  if (cert.name !== undefined) m.set(7, cert.name);
  if (cert.card !== undefined) {
    const profile = cardLimitsMap(cert.card);
    profile.set(1, cert.card.currency);
    m.set(10, profile);
  }
  if (cert.terminal !== undefined)
    m.set(
      11,
      new Map<number, CborValue>([
        [1, cert.terminal.merchantId],
        [2, cert.terminal.mcc],
      ]),
    );
  const bytes = encodeCbor(m);
  decodeCertificate(bytes);
  return bytes;
}

/**
 * Decodes and validates a certificate payload: types, lengths, ranges and role rules
 * (cards carry a card profile, terminals a terminal profile, the root is self-issued).
 * @throws CodecError
 */
export function decodeCertificate(payload: Uint8Array): Certificate {
  const r = new MapReader(decodePayload(payload, Limits.certificateBytes, 'Certificate'), 'Certificate');
  r.messageType(MessageType.Certificate);
  const role = r.uint(1, Role.Terminal, Role.Root) as Role;
  const subject = r.bytes(2, ID_LENGTH);
  const signer = r.bytes(3, ID_LENGTH);
  const publicKey = r.bytes(4, P256_COMPRESSED_KEY_LENGTH);
  if (publicKey[0] !== 0x02 && publicKey[0] !== 0x03)
    throw new CodecError(CodecErrorCode.WrongType, 'Certificate.4: public key must be a compressed SEC1 point', {
      detail: { path: 'Certificate.4' },
    });
  const notBefore = r.uint(5, Limits.maxTime);
  const notAfter = r.uint(6, Limits.maxTime);
  if (notAfter < notBefore) throw inconsistent('notAfter is before notBefore');
  const name = r.has(7) ? r.text(7, Limits.nameLength) : undefined;
  const card = r.has(10) ? r.nested(10, readCardProfile) : undefined;
  const terminal = r.has(11)
    ? r.nested(11, (t) => ({ merchantId: t.bytes(1, ID_LENGTH), mcc: t.uint(2, 9999) }))
    : undefined;
  r.done();
  if ((role === Role.Card) !== (card !== undefined))
    throw inconsistent('a card profile is required for, and only for, card certificates');
  if ((role === Role.Terminal) !== (terminal !== undefined))
    throw inconsistent('a terminal profile is required for, and only for, terminal certificates');
  if (role === Role.Root && !bytesEqual(subject, signer)) throw inconsistent('a root certificate must be self-issued');
  if (role === Role.Card && name !== undefined) throw inconsistent('card certificates carry no name');
  return {
    role,
    subject,
    signer,
    publicKey,
    notBefore,
    notAfter,
    ...(name !== undefined && { name }),
    ...(card && { card }),
    ...(terminal && { terminal }),
  };
}

function readCardProfile(p: MapReader): CardProfile {
  const currency = p.uint(1, 999);
  if (!isSupportedCurrency(currency))
    throw new CodecError(CodecErrorCode.OutOfRange, `Certificate.10.1: unsupported currency ${currency}`, {
      detail: { path: 'Certificate.10.1' },
    });
  const limits = readCardLimitFields(p);
  return { currency, ...limits };
}

/** Reads the four card limits at keys 2..5 of a map (shared by certificates, card state and issuer commands). */
export function readCardLimitFields(p: MapReader): CardLimits {
  return {
    maxBalance: p.uint(2, Limits.maxCardAmount),
    maxPayment: p.uint(3, Limits.maxCardAmount),
    maxOfflineCount: p.uint(4, 0xffff),
    maxOfflineAmount: p.uint(5, Limits.maxCardAmount),
  };
}

/** The four card limits as a CBOR map with keys 2..5. */
export function cardLimitsMap(l: CardLimits): Map<number, number> {
  return new Map([
    [2, l.maxBalance],
    [3, l.maxPayment],
    [4, l.maxOfflineCount],
    [5, l.maxOfflineAmount],
  ]);
}

function inconsistent(message: string): CodecError {
  return new CodecError(CodecErrorCode.Inconsistent, `Certificate: ${message}`, { detail: { path: 'Certificate' } });
}
