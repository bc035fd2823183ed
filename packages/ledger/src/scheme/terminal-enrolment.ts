import { randomBytes } from 'node:crypto';
import {
  ID_LENGTH,
  Limits,
  P256_COMPRESSED_KEY_LENGTH,
  Role,
  bytesEqual,
  fromHex,
  isValidPublicKey,
  issueCertificate,
  sha256,
  toHex,
} from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import type { LedgerContext } from '../ledger-context.js';
import type {
  EnrolmentFound,
  EnrolmentInviteRecord,
  MerchantRecord,
  TerminalRecord,
  TerminalStatus,
} from '../store/ledger-store.js';
import type { PartyKey } from './party-key.js';
import { RequestFields } from './request-fields.js';

/** Default validity of a terminal certificate. */
export const TERMINAL_VALIDITY_SECONDS = 2 * 365 * 86_400;

/** Random bytes in an enrolment code: 128 bits, beyond any guessing however many attempts get through. */
export const ENROLMENT_CODE_BYTES = 16;

/** Default lifetime of an enrolment invite: a day, long enough to carry the code to the shop. */
export const DEFAULT_INVITE_TTL_SECONDS = 86_400;

/** Longest lifetime an invite may be given: an unused code is a standing credential, so it must not live long. */
export const MAX_INVITE_TTL_SECONDS = 30 * 86_400;

/** What a terminal certificate is signed for: the terminal's key and id, and the merchant fields from the merchant record. */
export interface CertificateRequest {
  readonly publicKey: Uint8Array;
  /** The terminal id; a random one when absent. */
  readonly terminalId?: Uint8Array;
  readonly merchantId: Uint8Array;
  readonly mcc: number;
  readonly name: string;
}

/** The body of POST /v1/terminals: only the terminal's key (everything else comes from the invite and the merchant record). */
export interface OnlineEnrolmentRequest {
  readonly publicKey: Uint8Array;
}

/** A merchant to register; a random id when none is given. */
export interface NewMerchant {
  readonly merchantId?: Uint8Array;
  readonly name: string;
  readonly mcc: number;
}

/** An invite to create: for a registered merchant, optionally for one terminal id (a replacement or a chosen id). */
export interface NewInvite {
  readonly merchantId: Uint8Array;
  readonly terminalId?: Uint8Array;
  /** Seconds until the code expires; default DEFAULT_INVITE_TTL_SECONDS, at most MAX_INVITE_TTL_SECONDS. */
  readonly ttlSeconds?: number;
}

/** A created invite: the code to hand to the merchant (shown once, never stored) and what was stored. */
export interface IssuedInvite {
  readonly code: string;
  readonly invite: EnrolmentInviteRecord;
}

/**
 * Reads an enrolment request from JSON { publicKey }. Any other field is refused, merchant fields above all: the
 * merchant a terminal is certified for is the operator's decision, recorded in the invite, never the terminal's.
 * @throws LedgerError BAD_REQUEST
 * @example parseEnrolmentRequest({ publicKey: '02…' }).publicKey
 */
export function parseEnrolmentRequest(body: unknown): OnlineEnrolmentRequest {
  const f = new RequestFields(body, 'enrolment request');
  f.only(['publicKey']);
  return { publicKey: publicKeyField(f) };
}

/**
 * A fresh enrolment code and the hash the ledger stores: 16 random bytes written as 32 lower-case hex digits in
 * eight groups of four (`3f9a-0c1e-…`), which survive being read out, typed or pasted.
 * @example const { code, hash } = newEnrolmentCode()
 */
export function newEnrolmentCode(): { readonly code: string; readonly hash: Uint8Array } {
  const secret = new Uint8Array(randomBytes(ENROLMENT_CODE_BYTES));
  return { code: toHex(secret).replace(/(.{4})(?!$)/g, '$1-'), hash: sha256(secret) };
}

/**
 * The stored hash of an enrolment code as a terminal presents it; case, dashes and spaces do not matter. The
 * ledger looks the hash up and never compares codes, so no comparison's timing depends on the secret.
 * @throws LedgerError UNAUTHORIZED if it is not 32 hex digits
 */
export function enrolmentCodeHash(code: string): Uint8Array {
  const digits = code.replace(/[-\s]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(digits))
    throw new LedgerError(
      LedgerErrorCode.Unauthorized,
      'an enrolment code (32 hex digits, from `ehkd-ledger terminal invite`) is required',
    );
  return sha256(fromHex(digits));
}

/**
 * Registers a merchant: the name and MCC every certificate of its terminals will carry.
 * @throws LedgerError BAD_REQUEST (name not 1..64 bytes of UTF-8, MCC not 0..9999), MERCHANT_CONFLICT
 * @example const m = await addMerchant(ctx, { name: 'Kam Wah Cafe', mcc: 5814 })
 */
export async function addMerchant(
  ctx: Pick<LedgerContext, 'store' | 'clock'>,
  merchant: NewMerchant,
): Promise<MerchantRecord> {
  const f = new RequestFields({ name: merchant.name, mcc: merchant.mcc }, 'merchant');
  const record: MerchantRecord = {
    merchantId: merchant.merchantId ?? new Uint8Array(randomBytes(ID_LENGTH)),
    name: f.text('name', Limits.nameLength),
    mcc: f.int('mcc', 0, 9999),
    createdAt: ctx.clock(),
  };
  if (record.merchantId.length !== ID_LENGTH)
    throw new LedgerError(LedgerErrorCode.BadRequest, `a merchant id is ${ID_LENGTH} bytes`);
  await ctx.store.putMerchant(record);
  return record;
}

/**
 * Issues a single-use, expiring enrolment code for a registered merchant (and optionally one terminal id: an
 * enrolment with it replaces that terminal's certificate). Only the code's hash is stored.
 * @throws LedgerError NOT_FOUND (no such merchant), TERMINAL_CONFLICT (the terminal is revoked or another merchant's), BAD_REQUEST
 * @example const { code } = await inviteTerminal(ctx, { merchantId }); // hand `code` to the merchant
 */
export async function inviteTerminal(
  ctx: Pick<LedgerContext, 'store' | 'clock'>,
  request: NewInvite,
): Promise<IssuedInvite> {
  const ttl = request.ttlSeconds ?? DEFAULT_INVITE_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 60 || ttl > MAX_INVITE_TTL_SECONDS)
    throw new LedgerError(LedgerErrorCode.BadRequest, `an invite lives 60..${MAX_INVITE_TTL_SECONDS} seconds`);
  if (request.terminalId !== undefined) {
    if (request.terminalId.length !== ID_LENGTH)
      throw new LedgerError(LedgerErrorCode.BadRequest, `a terminal id is ${ID_LENGTH} bytes`);
    const existing = await ctx.store.terminal(request.terminalId);
    // Checked again when the code is redeemed; refusing now saves handing out a code that cannot work.
    if (existing !== undefined) replaceable(existing, request.merchantId);
  }
  const now = ctx.clock();
  const { code, hash } = newEnrolmentCode();
  const invite: EnrolmentInviteRecord = {
    codeHash: hash,
    merchantId: request.merchantId,
    terminalId: request.terminalId ?? null,
    createdAt: now,
    expiresAt: now + ttl,
    usedAt: null,
    enrolledTerminalId: null,
  };
  await ctx.store.putEnrolmentInvite(invite);
  return { code, invite };
}

/**
 * Online enrolment (POST /v1/terminals): redeems the invite code and certifies the key for the invite's merchant,
 * with the name and MCC of the merchant record, under the invite's terminal id or a fresh one.
 * @throws LedgerError UNAUTHORIZED (code malformed, unknown, expired or used), TERMINAL_CONFLICT, NOT_FOUND
 */
export function enrolWithCode(
  ctx: LedgerContext,
  code: string,
  request: OnlineEnrolmentRequest,
): Promise<TerminalRecord> {
  const codeHash = enrolmentCodeHash(code);
  const now = ctx.clock();
  return ctx.store.enrolTerminal({ via: 'invite', codeHash, freshTerminalId: freshId(), now }, (found) =>
    certify(ctx.acquirer, request.publicKey, found, now),
  );
}

/**
 * The operator's own enrolment (`ehkd-ledger terminal enrol`, offline, trusted): certifies a key for a registered
 * merchant; naming an enrolled terminal id replaces its certificate.
 * @throws LedgerError BAD_REQUEST (not a compressed P-256 key), NOT_FOUND (no such merchant), TERMINAL_CONFLICT
 */
export function enrolByOperator(
  ctx: LedgerContext,
  request: { readonly publicKey: Uint8Array; readonly merchantId: Uint8Array; readonly terminalId?: Uint8Array },
): Promise<TerminalRecord> {
  const publicKey = publicKeyField(new RequestFields({ publicKey: toHex(request.publicKey) }, 'enrolment'));
  const now = ctx.clock();
  const grant = {
    via: 'operator',
    merchantId: request.merchantId,
    terminalId: request.terminalId ?? null,
    freshTerminalId: freshId(),
    now,
  } as const;
  return ctx.store.enrolTerminal(grant, (found) => certify(ctx.acquirer, publicKey, found, now));
}

/**
 * Signs a terminal certificate with the acquirer key (validity from 5 minutes ago, for clock skew, to `validity`
 * seconds ahead, clipped to the acquirer's own validity) and returns the enrolment record to store.
 * @throws LedgerError KEY_FILE if the acquirer certificate has expired
 */
export function signTerminalCertificate(
  acquirer: PartyKey,
  request: CertificateRequest,
  now: number,
  validity = TERMINAL_VALIDITY_SECONDS,
): TerminalRecord {
  const terminalId = request.terminalId ?? freshId();
  const notBefore = Math.max(now - 300, acquirer.cert.notBefore);
  const notAfter = Math.min(now + validity, acquirer.cert.notAfter);
  if (notAfter < notBefore)
    throw new LedgerError(LedgerErrorCode.KeyFile, 'the acquirer certificate has expired: no terminal can be enrolled');
  const certificate = issueCertificate(acquirer.signer, {
    role: Role.Terminal,
    subject: terminalId,
    signer: acquirer.id,
    publicKey: request.publicKey,
    notBefore,
    notAfter,
    name: request.name,
    terminal: { merchantId: request.merchantId, mcc: request.mcc },
  });
  return {
    terminalId,
    merchantId: request.merchantId,
    mcc: request.mcc,
    name: request.name,
    publicKey: request.publicKey,
    certificate,
    enrolledAt: now,
  };
}

/** The enrolment policy, run inside the store's enrolment transaction on what it found. */
function certify(acquirer: PartyKey, publicKey: Uint8Array, found: EnrolmentFound, now: number): TerminalRecord {
  const { invite, merchant, replaced } = found;
  if (invite !== null && invite.usedAt !== null)
    throw new LedgerError(LedgerErrorCode.Unauthorized, 'this enrolment code was already used');
  if (invite !== null && now >= invite.expiresAt)
    throw new LedgerError(
      LedgerErrorCode.Unauthorized,
      `this enrolment code expired at ${new Date(invite.expiresAt * 1000).toISOString()}`,
    );
  if (merchant === undefined)
    throw new LedgerError(
      LedgerErrorCode.NotFound,
      'the merchant to enrol for is not registered (`ehkd-ledger merchant add`)',
    );
  if (replaced !== undefined) replaceable(replaced, merchant.merchantId);
  return signTerminalCertificate(
    acquirer,
    {
      publicKey,
      terminalId: found.terminalId,
      merchantId: merchant.merchantId,
      mcc: merchant.mcc,
      name: merchant.name,
    },
    now,
  );
}

/** An enrolled terminal may get a new certificate only for its own merchant, and never once revoked. @throws LedgerError TERMINAL_CONFLICT */
function replaceable(terminal: TerminalStatus, merchantId: Uint8Array): void {
  const id = toHex(terminal.terminalId);
  if (terminal.revokedAt !== null)
    throw new LedgerError(
      LedgerErrorCode.TerminalConflict,
      `terminal ${id} is revoked and is never enrolled again: enrol the replacement under a new id`,
      { detail: { terminalId: id } },
    );
  if (!bytesEqual(terminal.merchantId, merchantId))
    throw new LedgerError(
      LedgerErrorCode.TerminalConflict,
      `terminal ${id} is a terminal of merchant ${toHex(terminal.merchantId)}`,
      { detail: { terminalId: id } },
    );
}

function publicKeyField(f: RequestFields): Uint8Array {
  const publicKey = f.hex('publicKey', P256_COMPRESSED_KEY_LENGTH);
  if ((publicKey[0] !== 2 && publicKey[0] !== 3) || !isValidPublicKey(publicKey))
    throw new LedgerError(LedgerErrorCode.BadRequest, 'enrolment request: publicKey is not a compressed P-256 point');
  return publicKey;
}

function freshId(): Uint8Array {
  return new Uint8Array(randomBytes(ID_LENGTH));
}
