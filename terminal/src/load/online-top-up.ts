import {
  Currency,
  StatusWord,
  bytesEqual,
  decodeCardChallenge,
  encodeLoadRequest,
  sha256,
  signCoseSign1,
  toHex,
  decodeSelectResponse,
  decodeCertificate,
  decodeCoseSign1,
  parseResponseApdu,
  purseApdus,
  statusWordName,
  verifyCardReceipt,
  Limits,
  type CardConnection,
  type CardReceipt,
  type Certificate,
  type SignatureVerifier,
  type Signed,
  type Verification,
  CodecError,
  CoseError,
  CheckId,
  decodeLoadAuthorization,
  type LoadAuthorization,
} from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import type { LedgerClient } from '../sync/ledger-client.js';
import { NextStep } from '../errors/next-step.js';

/** What a completed top-up did to the card. */
export interface TopUpReport {
  readonly cardId: Uint8Array;
  readonly amount: number;
  readonly balanceAfter: number;
  /** The card's counter after the load. */
  readonly counter: number;
  /** Identity of the card's load receipt (SHA-256 of its payload). */
  readonly receiptId: Uint8Array;
  /** Identity of the issuer's authorization the card executed. */
  readonly authorizationId: Uint8Array;
  /** The answer to LOAD was lost and the receipt was read back from the card's log (resumeTopUp). */
  readonly resumed: boolean;
  /**
   * Whether the ledger took the card's load receipt. When not (ledger unreachable, or it refused the receipt), the
   * load still happened: the receipt is held in the terminal (`deliveryProblem` says why) and the next sync delivers it.
   */
  readonly receiptDelivered: boolean;
  readonly deliveryProblem?: { readonly code: TerminalErrorCode; readonly message: string };
}

/** Where the caller (the Terminal, with its journal) takes part in a top-up; each hook may throw to stop it. */
export interface TopUpHooks {
  /** The card is known (SELECT), nothing asked of the ledger yet. */
  readonly beforeAuthorize?: (cardId: Uint8Array) => void;
  /** Just before LOAD goes to the card. */
  readonly onLoadSent?: (load: SentLoad) => void;
  /** The card's load receipt verified, before it goes to the ledger. */
  readonly onReceipt?: (authorizationId: Uint8Array, receipt: Uint8Array) => void;
}

async function exchange(connection: CardConnection, command: Uint8Array, what: string): Promise<Uint8Array> {
  const answer = parseResponseApdu(await connection.transmit(command));
  if (answer.sw !== StatusWord.Ok) {
    const next =
      answer.sw === StatusWord.BalanceLimitExceeded
        ? NextStep.SmallerAmount
        : answer.sw === StatusWord.CardLocked
          ? NextStep.ReferToBank
          : NextStep.TapCardAgain;
    throw new TerminalError(TerminalErrorCode.TopUpFailed, `the card refused ${what} (${statusWordName(answer.sw)})`, {
      next,
    });
  }
  return answer.data;
}

/** Reads an answer of the card: one that does not decode (CBOR, COSE, codec) is TOP_UP_FAILED, not a bug. */
async function purseAnswer<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof CodecError || e instanceof CoseError)) throw e;
    throw new TerminalError(
      TerminalErrorCode.TopUpFailed,
      `the card answered something that is not a purse answer: ${e.message}`,
      { next: NextStep.TapCardAgain },
      e,
    );
  }
}

/** The card in the field as SELECT shows it. */
export interface SelectedCard {
  /** Its certificate (COSE_Sign1 bytes) and what it says. */
  readonly certificate: Uint8Array;
  readonly cert: Certificate;
  /** Its counter now. */
  readonly counter: number;
}

/**
 * SELECT: the card in the field, its certificate and its counter.
 * @throws TerminalError TOP_UP_FAILED (a refusal, or an answer that is not a purse's); TransportError
 */
export function selectCard(connection: CardConnection): Promise<SelectedCard> {
  return purseAnswer(async () => {
    const selected = decodeSelectResponse(await exchange(connection, purseApdus.select(), 'SELECT'));
    return {
      certificate: selected.certificate,
      cert: decodeCertificate(decodeCoseSign1(selected.certificate, Limits.certificateBytes).payload),
      counter: selected.state.counter,
    };
  });
}

/** A load the ledger authorized and the terminal sent to the card: what it takes to find out later whether it happened. */
export interface SentLoad {
  readonly cardId: Uint8Array;
  readonly cardCertificate: Uint8Array;
  readonly amount: number;
  /** The card's counter when it issued the challenge: the load, if executed, is the receipt at counter + 1. */
  readonly counter: number;
  /** SHA-256 of the LoadAuthorization payload: what the card's load receipt names. */
  readonly authorizationId: Uint8Array;
}

/**
 * An online top-up at a load point: SELECT, GET CHALLENGE, a LoadRequest signed with this terminal's key, the
 * issuer's LoadAuthorization for it through the ledger (POST /v1/loads; the ledger debits the amount to this
 * terminal's merchant, who took the customer's money), LOAD, then the card's signed load receipt back to the ledger
 * (POST /v1/load-receipts). A load is an online contact: the card resets its offline risk counters.
 * `hooks.onLoadSent` is told just before LOAD goes to the card: if the exchange then fails, `resumeTopUp` on the
 * card's next presentation says whether the load happened. A ledger that does not take the receipt afterwards does
 * not undo the load: the report says so (`receiptDelivered`), and `hooks.onReceipt` already has the receipt.
 * @throws TerminalError TOP_UP_FAILED (card refusal, unverifiable answer), LEDGER_UNREACHABLE / LEDGER_REFUSED;
 *   TransportError when the card leaves the field.
 * @example await topUpOnline(connection, new LedgerClient(url), identity, 50_000, verifier, now)
 */
export async function topUpOnline(
  connection: CardConnection,
  ledger: LedgerClient,
  identity: EnrolledIdentity,
  amount: number,
  verifier: SignatureVerifier,
  now: number,
  hooks: TopUpHooks = {},
): Promise<TopUpReport> {
  const { certificate, cert: cardCert } = await selectCard(connection);
  const challenge = await exchange(connection, purseApdus.getChallenge(), 'GET CHALLENGE');
  const { counter } = await purseAnswer(async () => decodeCardChallenge(challenge));
  hooks.beforeAuthorize?.(cardCert.subject);
  const request = encodeLoadRequest({
    terminalId: identity.terminalId,
    terminalCertificate: identity.certificate,
    cardCertificate: certificate,
    challenge,
    amount,
    currency: cardCert.card?.currency ?? Currency.HKD,
    time: now,
  });
  const authorization = await ledger.authorizeLoad(signCoseSign1(identity.signer, request));
  let authorizationId: Uint8Array;
  let bound: LoadAuthorization;
  try {
    const payload = decodeCoseSign1(authorization, Limits.issuerMessageBytes).payload;
    bound = decodeLoadAuthorization(payload);
    authorizationId = sha256(payload);
  } catch (e) {
    if (e instanceof CodecError || e instanceof CoseError)
      throw new TerminalError(
        TerminalErrorCode.LedgerAnswerInvalid,
        `the ledger's load authorization is malformed: ${(e as Error).message}`,
        { next: NextStep.RetryThenCallAcquirer },
        e,
      );
    throw e;
  }
  // The card checks the issuer's signature; the load point checks that it is the load it asked for, so that what it
  // journals (amount, counter) is what the card will be asked to execute.
  if (!bytesEqual(bound.cardId, cardCert.subject) || bound.counter !== counter || bound.amount !== amount) {
    throw new TerminalError(
      TerminalErrorCode.LedgerAnswerInvalid,
      `the ledger's load authorization is not for this load (card ${toHex(bound.cardId)}, counter ${bound.counter}, amount ${bound.amount})`,
      { next: NextStep.RetryThenCallAcquirer },
    );
  }
  hooks.onLoadSent?.({ cardId: cardCert.subject, cardCertificate: certificate, amount, counter, authorizationId });
  const receiptBytes = await exchange(connection, purseApdus.load(authorization), 'LOAD');
  return recordLoad(
    ledger,
    receiptBytes,
    verifyCardReceipt(receiptBytes, cardCert, verifier),
    { amount, counter, authorizationId },
    false,
    hooks,
  );
}

/**
 * After a LOAD whose answer was lost: with the card back in the field and selected (`selectCard`; it must be the
 * same card), finds out whether it executed the load from its counter and its log, from the newest receipt down
 * to the one after the challenge's counter: the load receipt naming this authorization means it did (the receipt then goes to the
 * ledger as usual); none means it did not, and never will (the challenge died with the power-off).
 * @returns the report of the load, or null when the card did not execute it.
 * @throws TerminalError TOP_UP_FAILED (another card, an unverifiable answer), TOP_UP_UNCERTAIN (the card's log no
 *   longer reaches back to the load); TransportError when the card leaves again.
 */
export async function resumeTopUp(
  connection: CardConnection,
  card: SelectedCard,
  ledger: LedgerClient,
  load: SentLoad,
  verifier: SignatureVerifier,
  hooks: TopUpHooks = {},
): Promise<TopUpReport | null> {
  const { cert: cardCert, counter } = card;
  if (!bytesEqual(cardCert.subject, load.cardId)) {
    throw new TerminalError(
      TerminalErrorCode.TopUpFailed,
      `this is card ${toHex(cardCert.subject)}, the interrupted load was for card ${toHex(load.cardId)}`,
      { next: NextStep.PresentLoadedCard },
    );
  }
  if (counter === load.counter) return null;
  for (let record = 1; record <= 0xff; record++) {
    const answer = parseResponseApdu(await connection.transmit(purseApdus.readLog(record)));
    if (answer.sw === StatusWord.RecordNotFound) break;
    if (answer.sw !== StatusWord.Ok)
      throw new TerminalError(
        TerminalErrorCode.TopUpFailed,
        `the card refused READ LOG (${statusWordName(answer.sw)})`,
        { next: NextStep.TapCardAgain },
      );
    const logged = verifyCardReceipt(answer.data, cardCert, verifier);
    if (!logged.ok)
      throw new TerminalError(
        TerminalErrorCode.TopUpFailed,
        `a receipt in the card's log does not verify (${logged.check})`,
        { next: NextStep.ReferToBank, check: logged.check },
      );
    const p = logged.value.payload;
    if (p.kind === 'load' && bytesEqual(p.authorizationId, load.authorizationId))
      return recordLoad(ledger, answer.data, logged, load, true, hooks);
    // The load, had it happened, would be the receipt right after the challenge's counter: at or below it, it did not.
    if (p.counter <= load.counter + 1) return null;
  }
  throw new TerminalError(
    TerminalErrorCode.TopUpUncertain,
    `the card's log no longer reaches back to counter ${load.counter + 1}: whether the load happened cannot be read from the card`,
    { next: NextStep.ReferToBank },
  );
}

/**
 * Checks that the card's verified receipt is this load's (its authorization, amount, and the counter after the one
 * the authorization binds: a genuine card executes it nowhere else) and hands it to the ledger.
 */
async function recordLoad(
  ledger: LedgerClient,
  receiptBytes: Uint8Array,
  receipt: Verification<Signed<CardReceipt>>,
  load: Pick<SentLoad, 'amount' | 'counter' | 'authorizationId'>,
  resumed: boolean,
  hooks: TopUpHooks,
): Promise<TopUpReport> {
  const { amount, authorizationId } = load;
  const mismatch = !receipt.ok
    ? receipt.check
    : receipt.value.payload.kind !== 'load' ||
        receipt.value.payload.amount !== amount ||
        !bytesEqual(receipt.value.payload.authorizationId, authorizationId)
      ? CheckId.Amount
      : receipt.value.payload.counter !== load.counter + 1
        ? CheckId.Counter
        : null;
  if (!receipt.ok || mismatch !== null) {
    throw new TerminalError(
      TerminalErrorCode.TopUpFailed,
      `the card's load receipt does not verify (${receipt.ok ? `not this load: ${mismatch}` : receipt.check})`,
      { next: NextStep.ReferToBank, check: mismatch ?? CheckId.Structure },
    );
  }
  hooks.onReceipt?.(authorizationId, receiptBytes);
  const p = receipt.value.payload;
  const report = {
    cardId: p.cardId,
    amount: p.amount,
    balanceAfter: p.balanceAfter,
    counter: p.counter,
    receiptId: receipt.value.id,
    authorizationId,
    resumed,
  };
  try {
    await ledger.recordLoadReceipt(receiptBytes);
  } catch (e) {
    if (e instanceof TerminalError)
      return { ...report, receiptDelivered: false, deliveryProblem: { code: e.code, message: e.message } };
    throw e;
  }
  return { ...report, receiptDelivered: true };
}
