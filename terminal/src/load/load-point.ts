import {
  formatAmount,
  toHex,
  TransportError,
  type CardConnection,
  type CardTransport,
  type SignatureVerifier,
} from '@ehkd/core';
import type { EnrolledIdentity } from '../enrol/enrolled-identity.js';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import type { LoadJournal } from '../store/load-journal.js';
import type { LedgerClient } from '../sync/ledger-client.js';
import {
  resumeTopUp,
  selectCard,
  topUpOnline,
  type SelectedCard,
  type SentLoad,
  type TopUpHooks,
  type TopUpReport,
} from './online-top-up.js';
import { NextStep } from '../errors/next-step.js';

/** What a load point needs from the terminal that hosts it. */
export interface LoadPointContext {
  readonly loads: LoadJournal;
  readonly verifier: SignatureVerifier;
  readonly now: () => number;
  /** The terminal's currency (it comes with enrolment). */
  readonly currency: () => number;
  /** Waits for a card; throws TerminalError NO_CARD or READER_UNAVAILABLE. */
  readonly waitForCard: (transport: CardTransport, timeoutMs: number) => Promise<CardConnection>;
}

/** The loads one terminal resolved from a card's log: what it executed, and how many it never did. */
export interface ResolvedLoads {
  readonly cardId: Uint8Array;
  readonly loaded: readonly TopUpReport[];
  readonly notLoaded: number;
}

/**
 * The terminal acting as a load point: online top-ups (topUpOnline) kept in the load journal, so that a load cut
 * during LOAD is settled from the card's own log and never sent twice.
 */
export class LoadPoint {
  readonly #c: LoadPointContext;

  constructor(context: LoadPointContext) {
    this.#c = context;
  }

  /**
   * Tops up the card on `transport` by `amount` through `ledger`. If the card leaves while LOAD is in flight, waits
   * (up to the same timeout) for the card to come back and reads its log: the load either happened (the report says
   * `resumed`) or did not (TOP_UP_FAILED, nothing loaded).
   * @throws TerminalError NO_CARD, READER_UNAVAILABLE, TOP_UP_FAILED, TOP_UP_UNCERTAIN, LEDGER_UNREACHABLE, LEDGER_REFUSED
   */
  async topUp(
    transport: CardTransport,
    ledger: LedgerClient,
    identity: EnrolledIdentity,
    amount: number,
    timeoutMs: number,
  ): Promise<TopUpReport> {
    const connection = await this.#c.waitForCard(transport, timeoutMs);
    let sent: SentLoad | undefined;
    try {
      return this.afterDelivery(
        await topUpOnline(
          connection,
          ledger,
          identity,
          amount,
          this.#c.verifier,
          this.#c.now(),
          this.hooks((load) => (sent = load)),
        ),
      );
    } catch (e) {
      // The card left with LOAD in flight: it may hold the value. Ask for it back and read its log.
      if (!(e instanceof TransportError) || sent === undefined) throw e;
      return await this.awaitCardAndResolve(transport, ledger, sent, timeoutMs);
    } finally {
      await connection.disconnect().catch(() => undefined);
    }
  }

  /**
   * Resolves the journalled loads of the card on `transport` whose outcome is not known, from the card's log.
   * @throws TerminalError NO_CARD, READER_UNAVAILABLE, TOP_UP_FAILED, TOP_UP_UNCERTAIN
   */
  async resolve(transport: CardTransport, ledger: LedgerClient, timeoutMs: number): Promise<ResolvedLoads> {
    const connection = await this.#c.waitForCard(transport, timeoutMs);
    try {
      const card = await selectCard(connection);
      const loaded: TopUpReport[] = [];
      let notLoaded = 0;
      for (const load of this.#c.loads.sent(card.cert.subject)) {
        const report = await this.settleSentLoad(connection, card, ledger, load);
        if (report === null) notLoaded++;
        else loaded.push(report);
      }
      return { cardId: card.cert.subject, loaded, notLoaded };
    } catch (e) {
      if (e instanceof TransportError)
        throw new TerminalError(
          TerminalErrorCode.TopUpUncertain,
          'the card left before its loads were resolved',
          { next: NextStep.ResolveLoad },
          e,
        );
      throw e;
    } finally {
      await connection.disconnect().catch(() => undefined);
    }
  }

  /** The journal's part in a top-up: no new load while one for the card is unresolved; each step durable. */
  private hooks(onSent?: (load: SentLoad) => void): TopUpHooks {
    return {
      beforeAuthorize: (cardId) => {
        const open = this.#c.loads.sent(cardId);
        if (open.length > 0) {
          throw new TerminalError(
            TerminalErrorCode.TopUpUncertain,
            `an earlier load of ${formatAmount(open[0]!.amount, this.#c.currency())} to card ${toHex(cardId)} was cut during LOAD and is not resolved: no new load before its outcome is known`,
            {
              next: NextStep.ResolveLoad,
            },
          );
        }
      },
      onLoadSent: (load) => {
        this.#c.loads.recordSent(load, this.#c.now());
        onSent?.(load);
      },
      onReceipt: (authorizationId, receipt) => this.#c.loads.recordReceipt(authorizationId, receipt),
    };
  }

  /** Drops a load from the journal once the ledger has its receipt; otherwise it stays held for the next sync. */
  private afterDelivery(report: TopUpReport): TopUpReport {
    if (report.receiptDelivered) this.#c.loads.forget(report.authorizationId);
    return report;
  }

  /**
   * Reads from the selected card whether it executed a journalled load; the journal follows: a load it did not
   * execute is dropped, an executed one goes the way of any load receipt (afterDelivery).
   * @returns the load's report, or null when the card did not execute it.
   */
  private async settleSentLoad(
    connection: CardConnection,
    card: SelectedCard,
    ledger: LedgerClient,
    load: SentLoad,
  ): Promise<TopUpReport | null> {
    const report = await resumeTopUp(connection, card, ledger, load, this.#c.verifier, this.hooks());
    if (report !== null) return this.afterDelivery(report);
    this.#c.loads.forget(load.authorizationId);
    return null;
  }

  /** A top-up cut during LOAD: waits for the card to come back and settles the load from its log. */
  private async awaitCardAndResolve(
    transport: CardTransport,
    ledger: LedgerClient,
    sent: SentLoad,
    timeoutMs: number,
  ): Promise<TopUpReport> {
    const uncertain = (cause: unknown): TerminalError =>
      new TerminalError(
        TerminalErrorCode.TopUpUncertain,
        `card ${toHex(sent.cardId)} left during LOAD and was not presented again: whether it holds the ${formatAmount(sent.amount, this.#c.currency())} is unknown`,
        {
          next: NextStep.ResolveLoad,
        },
        cause,
      );
    let again: CardConnection;
    try {
      again = await this.#c.waitForCard(transport, timeoutMs);
    } catch (e) {
      throw uncertain(e);
    }
    try {
      const resumed = await this.settleSentLoad(again, await selectCard(again), ledger, sent);
      if (resumed !== null) return resumed;
      throw new TerminalError(
        TerminalErrorCode.TopUpFailed,
        `card ${toHex(sent.cardId)} did not execute the load: nothing was loaded, and the authorization can no longer be used`,
        {
          next: NextStep.TopUpAgain,
        },
      );
    } catch (e) {
      if (e instanceof TransportError) throw uncertain(e);
      throw e;
    } finally {
      await again.disconnect().catch(() => undefined);
    }
  }
}
