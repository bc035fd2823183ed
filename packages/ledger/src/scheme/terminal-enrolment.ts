import { randomBytes } from 'node:crypto';
import { ID_LENGTH, Limits, P256_COMPRESSED_KEY_LENGTH, Role, bytesEqual, isValidPublicKey, issueCertificate, toHex, type EnrolmentRequest } from '@ehkd/core';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import type { TerminalRecord } from '../store/ledger-store.js';
import type { PartyKey } from './party-key.js';
import { RequestFields } from './request-fields.js';

export type { EnrolmentRequest };

/** Default validity of a terminal certificate. */
export const TERMINAL_VALIDITY_SECONDS = 2 * 365 * 86_400;

/**
 * Reads an enrolment request from JSON { publicKey, terminalId?, merchantId, mcc, name }.
 * @throws LedgerError BAD_REQUEST
 */
export function parseEnrolmentRequest(body: unknown): EnrolmentRequest {
  const f = new RequestFields(body, 'enrolment request');
  const publicKey = f.hex('publicKey', P256_COMPRESSED_KEY_LENGTH);
  if ((publicKey[0] !== 2 && publicKey[0] !== 3) || !isValidPublicKey(publicKey)) throw new LedgerError(LedgerErrorCode.BadRequest, 'enrolment request: publicKey is not a compressed P-256 point');
  return {
    publicKey,
    ...(f.has('terminalId') && { terminalId: f.hex('terminalId', ID_LENGTH) }),
    merchantId: f.hex('merchantId', ID_LENGTH),
    mcc: f.int('mcc', 0, 9999),
    name: f.text('name', Limits.nameLength),
  };
}

/**
 * Signs a terminal certificate with the acquirer key (validity from 5 minutes ago, for clock skew, to `validity`
 * seconds ahead, clipped to the acquirer's own validity) and returns the enrolment record to store.
 * @throws LedgerError TERMINAL_CONFLICT if the id is already enrolled with another key.
 */
export function signTerminalCertificate(acquirer: PartyKey, request: EnrolmentRequest, existing: TerminalRecord | undefined, now: number, validity = TERMINAL_VALIDITY_SECONDS): TerminalRecord {
  const terminalId = request.terminalId ?? new Uint8Array(randomBytes(ID_LENGTH));
  if (existing !== undefined && !bytesEqual(existing.publicKey, request.publicKey)) {
    throw new LedgerError(LedgerErrorCode.TerminalConflict, `terminal ${toHex(terminalId)} is already enrolled with another key`, { detail: { terminalId: toHex(terminalId) } });
  }
  const notBefore = Math.max(now - 300, acquirer.cert.notBefore);
  const notAfter = Math.min(now + validity, acquirer.cert.notAfter);
  if (notAfter < notBefore) throw new LedgerError(LedgerErrorCode.KeyFile, 'the acquirer certificate has expired: no terminal can be enrolled');
  const certificate = issueCertificate(acquirer.signer, {
    role: Role.Terminal, subject: terminalId, signer: acquirer.id, publicKey: request.publicKey, notBefore, notAfter, name: request.name,
    terminal: { merchantId: request.merchantId, mcc: request.mcc },
  });
  return { terminalId, merchantId: request.merchantId, mcc: request.mcc, name: request.name, publicKey: request.publicKey, certificate, enrolledAt: now };
}
