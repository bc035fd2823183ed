import {
  Currency, StatusWord, decodeCardChallenge, encodeLoadRequest, signCoseSign1, decodeSelectResponse, decodeCertificate, decodeCoseSign1, parseResponseApdu, purseApdus,
  statusWordName, verifyCardReceipt, Limits, type CardConnection, type SignatureVerifier, CodecError, CoseError,
} from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import type { LedgerClient } from '../sync/ledger-client.js';

/** What a completed top-up did to the card. */
export interface TopUpReport {
  readonly cardId: Uint8Array;
  readonly amount: number;
  readonly balanceAfter: number;
  /** The card's counter after the load. */
  readonly counter: number;
  /** Identity of the card's load receipt (SHA-256 of its payload). */
  readonly receiptId: Uint8Array;
}

async function exchange(connection: CardConnection, command: Uint8Array, what: string): Promise<Uint8Array> {
  const answer = parseResponseApdu(await connection.transmit(command));
  if (answer.sw !== StatusWord.Ok) {
    const action = answer.sw === StatusWord.BalanceLimitExceeded ? 'Load a smaller amount: the card would exceed its maximum balance.' : answer.sw === StatusWord.CardLocked ? 'The card is locked by its issuer: refer the customer to the bank.' : 'Tap the card again; if it repeats, refer the customer to the bank.';
    throw new TerminalError(TerminalErrorCode.TopUpFailed, `the card refused ${what} (${statusWordName(answer.sw)})`, { action });
  }
  return answer.data;
}

function invalid(what: string, cause: unknown): TerminalError {
  return new TerminalError(TerminalErrorCode.TopUpFailed, `${what}: ${(cause as Error).message}`, { action: 'Tap the card again; if it repeats, refer the customer to the bank.' }, cause);
}

/**
 * An online top-up at a load point: SELECT, GET CHALLENGE, a LoadRequest signed with this terminal's key, the
 * issuer's LoadAuthorization for it through the ledger (POST /v1/loads; the ledger debits the amount to this
 * terminal's merchant, who took the customer's money), LOAD, then the card's signed load receipt back to the ledger
 * (POST /v1/load-receipts). A load is an online contact: the card resets its offline risk counters.
 * @throws TerminalError TOP_UP_FAILED (card refusal, unverifiable answer), LEDGER_UNREACHABLE / LEDGER_REFUSED;
 *   TransportError when the card leaves the field (the card's log shows whether the load happened: READ LOG).
 * @example await topUpOnline(connection, new LedgerClient(url), identity, 50_000, verifier, now)
 */
export async function topUpOnline(connection: CardConnection, ledger: LedgerClient, identity: EnrolledIdentity, amount: number, verifier: SignatureVerifier, now: number): Promise<TopUpReport> {
  let certificate: Uint8Array;
  let cardCert: ReturnType<typeof decodeCertificate>;
  let challenge: Uint8Array;
  try {
    certificate = decodeSelectResponse(await exchange(connection, purseApdus.select(), 'SELECT')).certificate;
    cardCert = decodeCertificate(decodeCoseSign1(certificate, Limits.certificateBytes).payload);
    challenge = await exchange(connection, purseApdus.getChallenge(), 'GET CHALLENGE');
    decodeCardChallenge(challenge);
  } catch (e) {
    if (e instanceof CodecError || e instanceof CoseError) throw invalid('the card answered something that is not a purse answer', e);
    throw e;
  }
  const request = encodeLoadRequest({
    terminalId: identity.terminalId, terminalCertificate: identity.certificate, cardCertificate: certificate,
    challenge, amount, currency: cardCert.card?.currency ?? Currency.HKD, time: now,
  });
  const authorization = await ledger.authorizeLoad(signCoseSign1(identity.signer, request));
  const receiptBytes = await exchange(connection, purseApdus.load(authorization), 'LOAD');
  const receipt = verifyCardReceipt(receiptBytes, cardCert, verifier);
  if (!receipt.ok || receipt.value.payload.kind !== 'load' || receipt.value.payload.amount !== amount) {
    throw new TerminalError(TerminalErrorCode.TopUpFailed, `the card's load receipt does not verify (${receipt.ok ? 'not this load' : receipt.check})`, { action: 'Refer the card to the bank.', check: receipt.ok ? 'amount' : receipt.check });
  }
  await ledger.recordLoadReceipt(receiptBytes);
  const p = receipt.value.payload;
  return { cardId: p.cardId, amount: p.amount, balanceAfter: p.balanceAfter, counter: p.counter, receiptId: receipt.value.id };
}
