import {
  createSigner,
  bytesEqual,
  fromHex,
  decodeCertificate,
  generatePrivateKey,
  openSigned,
  Limits,
  Role,
  toHex,
  CodecError,
  CoseError,
  type SignatureVerifier,
  type TrustStore,
} from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import type { ConfigStore, EnrolmentRequest } from '../store/config-store.js';
import type { TapJournal } from '../store/tap-journal.js';
import { checkDenyList } from '../trust/deny-list-check.js';
import { verifyTrustBundle } from '../trust/trust-anchors.js';
import type { LedgerClient } from '../sync/ledger-client.js';
import { NextStep } from '../errors/next-step.js';

/** The ids a terminal being enrolled offline was given, which its certificate must name. */
export interface EnrolmentFields {
  /** The merchant id the acquirer registered the merchant under. */
  readonly merchantId?: Uint8Array;
  /** A terminal id to ask for; otherwise the acquirer assigns one. */
  readonly terminalId?: Uint8Array;
}

/** What an installed enrolment says: the certificate's terminal, merchant (as the operator registered it) and acquirer. */
export interface EnrolmentReport {
  readonly terminalId: string;
  readonly merchantId: string;
  /** The merchant's name as the certificate carries it. */
  readonly merchantName?: string;
  readonly mcc: number;
  readonly acquirerId: string;
  readonly notAfter: number;
  readonly denyListSequence?: number;
}

/**
 * Makes the terminal's key (once: an existing key is kept, so a certificate for an earlier request still
 * installs and renewals keep the key) and stores the request for these ids.
 * @returns the request: the file an offline acquirer signs (or, with no ids, what online enrolment sends).
 * @throws TerminalError BAD_CONFIG on ids that are not 8 bytes.
 * @example const request = prepareEnrolment(config, { merchantId }, now)
 */
export function prepareEnrolment(config: ConfigStore, fields: EnrolmentFields, now: number): EnrolmentRequest {
  if (
    (fields.merchantId !== undefined && fields.merchantId.length !== 8) ||
    (fields.terminalId !== undefined && fields.terminalId.length !== 8)
  ) {
    throw new TerminalError(TerminalErrorCode.BadConfig, 'merchant and terminal ids are 8 bytes (16 hex digits)', {
      next: NextStep.CheckEnrolment,
    });
  }
  const held = config.identity();
  const ids = {
    ...(fields.terminalId !== undefined && { terminalId: fields.terminalId }),
    ...(fields.merchantId !== undefined && { merchantId: fields.merchantId }),
  };
  if (held !== undefined) {
    const request = { publicKey: held.publicKey, ...ids };
    config.saveRequest(request);
    return request;
  }
  const privateKey = generatePrivateKey();
  const request = { publicKey: createSigner(privateKey).publicKey, ...ids };
  config.saveIdentity(privateKey, request, now);
  return request;
}

/**
 * Online enrolment: send this terminal's key with the single-use enrolment code the acquirer issued (which decides
 * the merchant and the terminal id), fetch the trust anchors (which must chain to the root the operator pinned)
 * and the deny list, verify all of it, and install it in one transaction.
 * @throws TerminalError ENROLMENT_FAILED, TRUST_REJECTED, LEDGER_* errors (LEDGER_REFUSED for a bad or used code).
 * @example const report = await enrolOnline(config, journal, client, code, root, verifier, now); show(report.merchantName)
 */
export async function enrolOnline(
  config: ConfigStore,
  journal: TapJournal,
  client: LedgerClient,
  code: string,
  pinnedRoot: Uint8Array,
  verifier: SignatureVerifier,
  now: number,
): Promise<EnrolmentReport> {
  const request = prepareEnrolment(config, {}, now);
  const answer = await client.enrolTerminal(code, { publicKey: toHex(request.publicKey) });
  const bundle = await client.trustAnchors();
  const trust = verifyTrustBundle(bundle, rootIdOf(pinnedRoot), verifier);
  const report = checkCertificate(config, journal, answer.certificate, trust, request, verifier, now);
  if (!bytesEqual(answer.acquirerId, fromHex(report.acquirerId)))
    throw failed('the ledger named another acquirer than the one that signed the certificate');
  const deny = checkDenyList(await client.denyList(), trust, verifier, undefined);
  config.installCertificate(answer.certificate, bundle, deny.record, now);
  return { ...report, denyListSequence: deny.record.sequence };
}

/**
 * Offline enrolment, second step: installs a certificate signed for this terminal's request, with the trust
 * anchors it chains to (and optionally a deny list), all verified first. With `pinnedRoot`, the bundle must
 * chain to that root.
 * @throws TerminalError ENROLMENT_FAILED, TRUST_REJECTED.
 */
export function installEnrolment(
  config: ConfigStore,
  journal: TapJournal,
  certificate: Uint8Array,
  bundle: Uint8Array,
  options: { pinnedRoot?: Uint8Array; denyList?: Uint8Array },
  verifier: SignatureVerifier,
  now: number,
): EnrolmentReport {
  const held = config.identity();
  if (held === undefined)
    throw new TerminalError(TerminalErrorCode.NotEnrolled, 'this terminal has no key yet', {
      next: NextStep.RequestEnrolmentFirst,
    });
  const trust = verifyTrustBundle(
    bundle,
    options.pinnedRoot === undefined ? undefined : rootIdOf(options.pinnedRoot),
    verifier,
  );
  const report = checkCertificate(config, journal, certificate, trust, held.request, verifier, now);
  const deny = options.denyList === undefined ? undefined : checkDenyList(options.denyList, trust, verifier, undefined);
  config.installCertificate(certificate, bundle, deny?.record, now);
  return { ...report, ...(deny !== undefined && { denyListSequence: deny.record.sequence }) };
}

/** SHA-256 of a root certificate's payload: what pinning compares. @throws TerminalError BAD_FILE */
export function rootIdOf(rootCertificate: Uint8Array): Uint8Array {
  try {
    const root = openSigned(rootCertificate, Limits.certificateBytes, decodeCertificate);
    if (root.payload.role !== Role.Root)
      throw new TerminalError(
        TerminalErrorCode.BadFile,
        'the pinned root file holds a certificate that is not a root',
        { next: NextStep.GiveSchemeRoot },
      );
    return root.id;
  } catch (e) {
    if (e instanceof CodecError || e instanceof CoseError)
      throw new TerminalError(
        TerminalErrorCode.BadFile,
        `the root certificate is malformed: ${e.message}`,
        { next: NextStep.GiveSchemeRoot },
        e,
      );
    throw e;
  }
}

function checkCertificate(
  config: ConfigStore,
  journal: TapJournal,
  bytes: Uint8Array,
  trust: TrustStore,
  request: EnrolmentRequest,
  verifier: SignatureVerifier,
  now: number,
): Omit<EnrolmentReport, 'denyListSequence'> {
  const v = trust.verifyLeaf(bytes, Role.Terminal, verifier, now);
  if (!v.ok) throw failed(`the terminal certificate does not verify (${v.check}): ${v.reason}`, v.check);
  const cert = v.value.payload;
  if (!bytesEqual(cert.publicKey, request.publicKey))
    throw failed("the certificate is for another key than this terminal's");
  if (request.terminalId !== undefined && !bytesEqual(cert.subject, request.terminalId))
    throw failed(`the certificate names terminal ${toHex(cert.subject)}, not ${toHex(request.terminalId)}`);
  if (cert.terminal === undefined) throw failed('the certificate names no merchant');
  if (request.merchantId !== undefined && !bytesEqual(cert.terminal.merchantId, request.merchantId))
    throw failed(`the certificate names merchant ${toHex(cert.terminal.merchantId)}, not ${toHex(request.merchantId)}`);
  const heldCert = config.identity()?.certificate;
  if (heldCert !== undefined) {
    const held = openSigned(heldCert, Limits.certificateBytes, decodeCertificate).payload;
    const exposure = journal.exposure();
    if (!bytesEqual(held.subject, cert.subject) && exposure.receipts + exposure.pendingIntents > 0) {
      throw new TerminalError(
        TerminalErrorCode.AlreadyEnrolled,
        `this terminal is enrolled as ${toHex(held.subject)} and holds unsettled payments for that id`,
        {
          next: NextStep.SettleBeforeReEnrol,
        },
      );
    }
  }
  return {
    terminalId: toHex(cert.subject),
    merchantId: toHex(cert.terminal.merchantId),
    ...(cert.name !== undefined && { merchantName: cert.name }),
    mcc: cert.terminal.mcc,
    acquirerId: toHex(cert.signer),
    notAfter: cert.notAfter,
  };
}

function failed(message: string, check?: string): TerminalError {
  return new TerminalError(TerminalErrorCode.EnrolmentFailed, message, {
    next: NextStep.CheckEnrolment,
    ...(check !== undefined && { check }),
  });
}
