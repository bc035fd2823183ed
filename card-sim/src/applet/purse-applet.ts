import { getRandomValues } from 'node:crypto';
import {
  CLA_ISO,
  CLA_PROPRIETARY,
  CardStatusFlag,
  Ins,
  CodecError,
  CoseError,
  IssuerAction,
  Limits,
  NONCE_LENGTH,
  PURSE_AID,
  StatusWord,
  bytesEqual,
  buildResponseApdu,
  createSigner,
  decodeCertificate,
  decodeCoseSign1,
  decodeIssuerCommand,
  decodeLoadAuthorization,
  decodePayCommand,
  encodeCardChallenge,
  encodeCardReceipt,
  encodeCardState,
  encodeSelectResponse,
  nobleVerifier,
  openSigned,
  parseCommandApdu,
  sha256,
  signCoseSign1,
  verifyCoseSign1,
  type CardLimits,
  type CommandApdu,
  type IssuerCommand,
  type LoadAuthorization,
  type PayCommand,
  type Signed,
  type Signer,
} from '@ehkd/core';
import { isPowerLoss } from '../card-error.js';
import type { CardStore } from '../storage/card-store.js';
import { purseCommandSpec } from './purse-command-spec.js';
import { LOG_CAPACITY, isLocked, publicState, type LogEntry, type PurseState } from './purse-state.js';
import { SIMULATOR_ATR, type VirtualCard } from '../readers/vpcd/index.js';

/** Options of PurseApplet. */
export interface PurseAppletOptions {
  /** Source of card challenges. Default: the platform CSPRNG. The tear campaign passes a seeded one to replay runs exactly. */
  readonly random?: (length: number) => Uint8Array;
  /** Answer-to-reset reported by readers. Default SIMULATOR_ATR. */
  readonly atr?: Uint8Array;
}

/** R-APDUs that carry only a status word, built once. */
const STATUS_ONLY = new Map<number, Uint8Array>();
function sw(word: number): Uint8Array {
  let r = STATUS_ONLY.get(word);
  if (r === undefined) STATUS_ONLY.set(word, (r = buildResponseApdu(word)));
  return r.slice();
}

/** Most response data a short R-APDU carries; a case-3 SELECT (no Le) may receive that much. */
const SHORT_RESPONSE_MAX = 256;

/**
 * The e-HKD purse applet as a secure element runs it: one C-APDU in, one R-APDU out, with the state
 * machine, checks and status words of the protocol rules (docs/protocol.md, packages/core/src/apdu/command-set.ts).
 *
 * - ISO 7816-4 short APDUs only; wrong class 6E00, instruction 6D00, P1/P2 6A86, lengths 6700.
 * - Persistent state lives in a CardStore and changes only through one atomic commit per command;
 *   a receipt is released only after its commit is durable. Selection and the load/issuer challenge are
 *   volatile (RAM): power off, reset and SELECT clear them.
 * - No clock: nothing here reads the time. Risk limits are counted, as on EMV cards.
 * - Signs with the card's key through noble without normalising S, as a real secure element does.
 *
 * `process` never throws and always answers at least SW1 SW2, with one exception: a tear hook's
 * simulated power cut (CardError POWER_LOST) propagates, because a card without power answers nothing.
 * The applet then boots from its store again at the next power-on (or command).
 *
 * @example
 * const applet = new PurseApplet(new MemoryCardStore(personalizeCard(options).state));
 * const r = applet.process(buildCommandApdu({ cla: 0, ins: Ins.Select, p1: 4, p2: 0, data: PURSE_AID, ne: 256 }));
 */
export class PurseApplet implements VirtualCard {
  readonly atr: Uint8Array;
  readonly #store: CardStore;
  readonly #random: (length: number) => Uint8Array;
  #state!: PurseState;
  #signer!: Signer;
  /** False after a power cut until the card boots from its store again. */
  #booted = false;
  /** True when a commit and its rollback both failed: the card answers 6581 until it is power-cycled. */
  #mute = false;
  #selected = false;
  #challenge: Uint8Array | undefined;

  /**
   * @throws CardError CORRUPT_STATE or STORAGE_FAILED if the store cannot be read (a card that cannot boot).
   */
  constructor(store: CardStore, options: PurseAppletOptions = {}) {
    this.#store = store;
    this.#random = options.random ?? ((length) => getRandomValues(new Uint8Array(length)));
    this.atr = options.atr ?? SIMULATOR_ATR;
    this.#boot();
  }

  /** The committed persistent state as the card holds it in RAM (for inspection and tests). */
  get state(): PurseState {
    return this.#state;
  }

  /** Whether the purse application is selected (volatile). */
  get selected(): boolean {
    return this.#selected;
  }

  /** Field on: selection and challenge start cleared; after a power cut or a mute spell the card boots from its store. */
  powerOn(): void {
    this.#clearVolatile();
    if (!this.#booted || this.#mute) this.#tryBoot();
  }

  /** Field off: the volatile state (selection, challenge) is lost; the persistent state is already committed. */
  powerOff(): void {
    this.#clearVolatile();
  }

  /** Warm reset: as power-on. */
  reset(): void {
    this.powerOn();
  }

  /**
   * Processes one C-APDU and returns the R-APDU (data, SW1, SW2).
   * @throws CardError POWER_LOST only, when a tear hook cuts the power: the card gives no answer.
   */
  process(command: Uint8Array): Uint8Array {
    // A contactless card is powered by the field that carries the command.
    if (!this.#booted) this.powerOn();
    if (this.#mute || !this.#booted) return sw(StatusWord.MemoryFailure);
    try {
      return this.#dispatch(command);
    } catch (e) {
      if (isPowerLoss(e)) {
        this.#clearVolatile();
        this.#booted = false;
        throw e;
      }
      return sw(StatusWord.NoPreciseDiagnosis);
    }
  }

  #boot(): void {
    const state = this.#store.load();
    this.#signer = createSigner(state.privateKey);
    this.#state = state;
    this.#booted = true;
    this.#mute = false;
  }

  #tryBoot(): void {
    try {
      this.#boot();
    } catch {
      // The medium cannot be read: the card answers 6581 to everything until the next power-on.
      this.#booted = false;
    }
  }

  #clearVolatile(): void {
    this.#selected = false;
    this.#challenge = undefined;
  }

  #dispatch(bytes: Uint8Array): Uint8Array {
    const parsed = parseCommandApdu(bytes);
    const header = parsed.ok ? parsed.apdu : parsed.header;
    if (header === undefined) return sw(StatusWord.WrongLength);
    if (header.cla !== CLA_ISO && header.cla !== CLA_PROPRIETARY) return sw(StatusWord.ClaNotSupported);
    const spec = purseCommandSpec(header.cla, header.ins);
    if (spec === undefined) return sw(StatusWord.InsNotSupported);
    // The challenge is single use: whatever becomes of this LOAD or ISSUER COMMAND, it is gone.
    let challenge: Uint8Array | undefined;
    if (spec.ins === Ins.Load || spec.ins === Ins.IssuerCommand) {
      challenge = this.#challenge;
      this.#challenge = undefined;
    }
    if (!parsed.ok) return sw(StatusWord.WrongLength);
    const apdu = parsed.apdu;
    if (!spec.acceptsP1P2(apdu.p1, apdu.p2)) return sw(StatusWord.WrongP1P2);
    if (!spec.cases.includes(apdu.case) || (spec.lc !== undefined && apdu.data.length !== spec.lc))
      return sw(StatusWord.WrongLength);
    if (spec.minNe !== undefined && apdu.ne < spec.minNe) return sw(StatusWord.WrongLength);
    if (spec.ins === Ins.Select) return this.#select(apdu);
    if (!this.#selected) return sw(StatusWord.ConditionsNotSatisfied);
    switch (spec.ins) {
      case Ins.Pay:
        return this.#pay(apdu);
      case Ins.Recover:
        return this.#recover(apdu);
      case Ins.ReadLog:
        return this.#readLog(apdu);
      case Ins.GetState:
        return reply(apdu, encodeCardState(publicState(this.#state)));
      case Ins.GetChallenge:
        return this.#getChallenge(apdu);
      case Ins.Load:
        return this.#load(apdu, challenge);
      case Ins.IssuerCommand:
        return this.#issuerCommand(apdu, challenge);
    }
  }

  #select(apdu: CommandApdu): Uint8Array {
    // An unknown AID leaves the current selection as it was (ISO 7816-4 7.1.1).
    if (!bytesEqual(apdu.data, PURSE_AID)) return sw(StatusWord.FileNotFound);
    const response = reply(
      apdu,
      encodeSelectResponse({ certificate: this.#state.certificate, state: publicState(this.#state) }),
    );
    this.#selected = true;
    this.#challenge = undefined;
    return response;
  }

  #pay(apdu: CommandApdu): Uint8Array {
    let cmd: PayCommand;
    try {
      cmd = decodePayCommand(apdu.data);
    } catch (e) {
      if (e instanceof CodecError) return sw(StatusWord.WrongData);
      throw e;
    }
    const s = this.#state;
    if (isLocked(s)) return sw(StatusWord.CardLocked);
    if (cmd.currency !== s.currency) return sw(StatusWord.CurrencyMismatch);
    if (s.log.some((e) => e.nonce !== undefined && bytesEqual(e.nonce, cmd.nonce))) return sw(StatusWord.NonceReused);
    if (cmd.amount > s.limits.maxPayment) return sw(StatusWord.AmountOverLimit);
    if (s.offlineCount + 1 > s.limits.maxOfflineCount) return sw(StatusWord.OfflineCountExceeded);
    if (s.offlineAmount + cmd.amount > s.limits.maxOfflineAmount) return sw(StatusWord.OfflineAmountExceeded);
    if (cmd.amount > s.balance) return sw(StatusWord.InsufficientFunds);
    if (s.counter >= Limits.maxCounter) return sw(StatusWord.ConditionsNotSatisfied);
    const payload = encodeCardReceipt({
      kind: 'pay',
      cardId: s.cardId,
      counter: s.counter + 1,
      amount: cmd.amount,
      currency: s.currency,
      payee: cmd.payee,
      nonce: cmd.nonce,
      time: cmd.time,
      balanceAfter: s.balance - cmd.amount,
      prevHash: s.lastHash,
    });
    const receipt = signCoseSign1(this.#signer, payload);
    const next: PurseState = {
      ...s,
      balance: s.balance - cmd.amount,
      counter: s.counter + 1,
      lastHash: sha256(payload),
      offlineCount: s.offlineCount + 1,
      offlineAmount: s.offlineAmount + cmd.amount,
      log: appendLog(s.log, { nonce: cmd.nonce, receipt }),
    };
    return this.#commit(next) ? buildResponseApdu(StatusWord.Ok, receipt) : sw(StatusWord.MemoryFailure);
  }

  #recover(apdu: CommandApdu): Uint8Array {
    const entry = this.#state.log.find((e) => e.nonce !== undefined && bytesEqual(e.nonce, apdu.data));
    return entry === undefined ? sw(StatusWord.ReferencedDataNotFound) : reply(apdu, entry.receipt);
  }

  #readLog(apdu: CommandApdu): Uint8Array {
    const entry = this.#state.log[apdu.p1 - 1];
    return entry === undefined ? sw(StatusWord.RecordNotFound) : reply(apdu, entry.receipt);
  }

  #getChallenge(apdu: CommandApdu): Uint8Array {
    const challenge = this.#random(NONCE_LENGTH);
    const data = encodeCardChallenge({ challenge, cardId: this.#state.cardId, counter: this.#state.counter });
    if (!fits(apdu, data)) return sw(StatusWord.WrongLength);
    this.#challenge = challenge;
    return buildResponseApdu(StatusWord.Ok, data);
  }

  #load(apdu: CommandApdu, challenge: Uint8Array | undefined): Uint8Array {
    const opened = this.#openIssuerMessage(apdu.data, challenge, decodeLoadAuthorization);
    if (typeof opened === 'number') return sw(opened);
    const auth: LoadAuthorization = opened.payload;
    const s = this.#state;
    // The authorization binds the counter the challenge reported: executed here, its receipt sits at counter + 1,
    // so the ledger can prove from the card's own receipts whether it ever was.
    if (auth.counter !== s.counter) return sw(StatusWord.SecurityStatusNotSatisfied);
    if (isLocked(s)) return sw(StatusWord.CardLocked);
    if (auth.currency !== s.currency) return sw(StatusWord.CurrencyMismatch);
    if (s.balance + auth.amount > s.limits.maxBalance) return sw(StatusWord.BalanceLimitExceeded);
    const payload = encodeCardReceipt({
      kind: 'load',
      cardId: s.cardId,
      counter: s.counter + 1,
      amount: auth.amount,
      currency: s.currency,
      authorizationId: opened.id,
      balanceAfter: s.balance + auth.amount,
      prevHash: s.lastHash,
    });
    const receipt = signCoseSign1(this.#signer, payload);
    const next: PurseState = {
      ...s,
      balance: s.balance + auth.amount,
      counter: s.counter + 1,
      lastHash: sha256(payload),
      // A load is an online contact with the issuer: the offline risk counters start again.
      offlineCount: 0,
      offlineAmount: 0,
      log: appendLog(s.log, { receipt }),
    };
    return this.#commit(next) ? buildResponseApdu(StatusWord.Ok, receipt) : sw(StatusWord.MemoryFailure);
  }

  #issuerCommand(apdu: CommandApdu, challenge: Uint8Array | undefined): Uint8Array {
    const opened = this.#openIssuerMessage(apdu.data, challenge, decodeIssuerCommand);
    if (typeof opened === 'number') return sw(opened);
    // The certificate's limits are the ceiling the ledger checks receipts and loads against: an update may lower
    // them, never raise them above it.
    if (opened.payload.limits !== undefined && !withinCertificate(opened.payload.limits, this.#state.certificate))
      return sw(StatusWord.WrongData);
    const next = applyIssuerAction(this.#state, opened.payload);
    return this.#commit(next)
      ? buildResponseApdu(StatusWord.Ok, encodeCardState(publicState(next)))
      : sw(StatusWord.MemoryFailure);
  }

  /**
   * The checks LOAD and ISSUER COMMAND share: a pending challenge (6985), a COSE_Sign1 whose payload
   * decodes (6A80), the issuer's signature (6982), and the binding to this card and challenge (6982).
   */
  #openIssuerMessage<T extends { readonly cardId: Uint8Array; readonly challenge: Uint8Array }>(
    data: Uint8Array,
    challenge: Uint8Array | undefined,
    decode: (payload: Uint8Array) => T,
  ): Signed<T> | number {
    if (challenge === undefined) return StatusWord.ConditionsNotSatisfied;
    let opened: Signed<T>;
    try {
      opened = openSigned(data, Limits.issuerMessageBytes, decode);
    } catch (e) {
      if (e instanceof CoseError || e instanceof CodecError) return StatusWord.WrongData;
      throw e;
    }
    if (!verifyCoseSign1(opened.cose, this.#state.issuerPublicKey, nobleVerifier))
      return StatusWord.SecurityStatusNotSatisfied;
    if (!bytesEqual(opened.payload.cardId, this.#state.cardId) || !bytesEqual(opened.payload.challenge, challenge)) {
      return StatusWord.SecurityStatusNotSatisfied;
    }
    return opened;
  }

  /**
   * Commits `next` durably; true on success. On a storage failure the card rolls back by committing its
   * previous state again (the failed commit may have reached the medium), so that 6581 means "unchanged";
   * if the rollback fails too, the card goes mute (6581) until it is power-cycled and boots from its store.
   */
  #commit(next: PurseState): boolean {
    const previous = this.#state;
    try {
      this.#store.commit(next);
      this.#state = next;
      return true;
    } catch (e) {
      if (isPowerLoss(e)) throw e;
      try {
        this.#store.commit(previous);
      } catch (rollbackError) {
        if (isPowerLoss(rollbackError)) throw rollbackError;
        this.#mute = true;
      }
      return false;
    }
  }
}

/** Whether the terminal's Ne (256 when it sent no Le) can take `data`. */
function fits(apdu: CommandApdu, data: Uint8Array): boolean {
  return data.length <= (apdu.ne === 0 ? SHORT_RESPONSE_MAX : apdu.ne);
}

/** `data` + 9000, or 6700 when the terminal's Ne cannot take it. */
function reply(apdu: CommandApdu, data: Uint8Array): Uint8Array {
  return fits(apdu, data) ? buildResponseApdu(StatusWord.Ok, data) : sw(StatusWord.WrongLength);
}

function applyIssuerAction(s: PurseState, cmd: IssuerCommand): PurseState {
  switch (cmd.action) {
    case IssuerAction.Lock:
      return { ...s, flags: s.flags | CardStatusFlag.Locked };
    case IssuerAction.Unlock:
      return { ...s, flags: s.flags & ~CardStatusFlag.Locked };
    case IssuerAction.ResetOfflineCounters:
      // The issuer's online contact: like a load, it restarts the offline risk counters.
      return { ...s, offlineCount: 0, offlineAmount: 0 };
    case IssuerAction.UpdateLimits:
      // decodeIssuerCommand guarantees limits for (and only for) UpdateLimits.
      return { ...s, limits: cmd.limits! };
  }
}

function withinCertificate(limits: CardLimits, certificate: Uint8Array): boolean {
  const profile = decodeCertificate(decodeCoseSign1(certificate, Limits.certificateBytes).payload).card;
  return (
    profile !== undefined &&
    limits.maxBalance <= profile.maxBalance &&
    limits.maxPayment <= profile.maxPayment &&
    limits.maxOfflineCount <= profile.maxOfflineCount &&
    limits.maxOfflineAmount <= profile.maxOfflineAmount
  );
}

function appendLog(log: readonly LogEntry[], entry: LogEntry): LogEntry[] {
  return [entry, ...log].slice(0, LOG_CAPACITY);
}
