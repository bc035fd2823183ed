import { CheckId, formatAmount } from '@ehkd/core';
import { NextStep } from '../errors/next-step.js';
import type { TerminalError } from '../errors/terminal-error.js';
import { TerminalCheck } from '../tap/tap-check.js';
import type { TapResult } from '../tap/tap-result.js';

/** What the wording of a next step may use. */
export interface AdviceFacts {
  /** The command being run (`charge`, `enrol`, `top-up`, `sync`, ...). */
  readonly command?: string | undefined;
  /** The failed check of a declined tap. */
  readonly check?: string | undefined;
  /** The terminal's floor limit, and the currency to show it in. */
  readonly floorLimit?: number | undefined;
  readonly currency?: number | undefined;
  /** The setting or option concerned. */
  readonly field?: string | undefined;
  /** The file concerned. */
  readonly path?: string | undefined;
  /** For fix-storage: what is wrong with the storage. */
  readonly storageReason?: 'full' | 'read-only' | 'io' | undefined;
}

const GO_ONLINE =
  'Connect the terminal to the network and run `ehkd-terminal sync` (or load a current deny list), then charge again.';
const OTHER_METHOD = 'Do not accept this card: ask for another payment method.';

/** Why the check failed, for the cashier, before what to do (the declined reason says what the check saw). */
const CHECK_WORDS: Readonly<Record<string, string>> = {
  [CheckId.CertChain]: 'This is not a genuine e-HKD card.',
  [CheckId.CertRole]: 'This is not a genuine e-HKD card.',
  [CheckId.CertExpiry]: "The card has expired (or this terminal's clock is wrong: check it).",
  [CheckId.DenyList]: 'This card is blocked by the scheme.',
  [TerminalCheck.CardLocked]: 'This card is locked by its issuer.',
  [CheckId.Currency]: 'This card holds another currency.',
  [CheckId.Counter]:
    "This card's stored state went back in time (a restored or copied card); the terminal reports it to the scheme at the next sync.",
  [TerminalCheck.DenyListAge]: "This terminal's deny list is too old to take offline payments.",
  [TerminalCheck.OfflineAmount]: 'This terminal has reached its offline limit.',
  [TerminalCheck.OfflineCount]: 'This terminal has reached its offline limit.',
};

/** The English wording of every next step: a Record, so that a new step cannot go without words. */
const WORDS: Readonly<Record<NextStep, (f: AdviceFacts) => string>> = {
  [NextStep.TapAgain]: (f) =>
    f.check === CheckId.Structure
      ? 'The card answered garbled data: ask the customer to tap again; if it repeats, ask for another payment method.'
      : 'Ask the customer to tap again and hold the card still until the terminal beeps; if it repeats, ask for another payment method.',
  [NextStep.TapSameCard]: () =>
    'Ask the customer to tap the SAME card again and hold it still, to finish this payment. Do not take another payment method until then.',
  [NextStep.FreeSpaceThenTapSameCard]: () =>
    'Do NOT take another payment method. Free space on the terminal (or fix its disk), then ask the customer to tap the SAME card again: the terminal collects this payment from the card without charging twice.',
  [NextStep.OtherPaymentMethod]: (f) =>
    f.check !== undefined && CHECK_WORDS[f.check] !== undefined
      ? `${CHECK_WORDS[f.check] as string} ${OTHER_METHOD}`
      : f.check === undefined
        ? OTHER_METHOD
        : `The card's receipt is invalid, so the payment was NOT taken. ${OTHER_METHOD}`,
  [NextStep.SmallerAmount]: (f) =>
    f.floorLimit === undefined
      ? 'Ask for another payment method or a smaller amount.'
      : `The amount is above this terminal's offline limit per payment (${formatAmount(f.floorLimit, f.currency ?? 344)}): ask for another payment method or a smaller amount.`,
  [NextStep.TopUpCard]: () =>
    'The customer must top up the card (online) before paying with it again: ask for another payment method.',
  [NextStep.GoOnline]: (f) => `${f.check === undefined ? '' : `${CHECK_WORDS[f.check] ?? ''} `}${GO_ONLINE}`,
  [NextStep.CheckReceipts]: () => 'Check the receipt list; tap again only if no payment is shown.',
  [NextStep.ChargeAgain]: () => 'Charge again and ask the customer to tap the card on the reader.',
  [NextStep.TapCardAgain]: () => 'Tap the card again; if it repeats, refer the customer to the bank.',
  [NextStep.ReferToBank]: () =>
    'Refer the customer to the bank with the card: the ledger sees the load if the card made it.',
  [NextStep.PresentLoadedCard]: () => 'Present the card that was being loaded.',
  [NextStep.ResolveLoad]: () =>
    'Hold the same card to the reader and resolve the load (`ehkd-terminal top-up --resolve`) before any new top-up of it.',
  [NextStep.TopUpAgain]: () =>
    "Run the top-up again (a new authorization); the one that was cut shows as unconfirmed in the ledger's audit.",
  [NextStep.RetryLater]: (f) =>
    f.command === 'enrol'
      ? 'Nothing was installed. Check the network (and the ledger URL) and enrol again.'
      : f.command === 'top-up'
        ? 'The card was not loaded and nothing was charged. Top up again when the network is back.'
        : 'Nothing is lost: receipts stay queued. Check the network and run `ehkd-terminal sync` again (the daemon retries by itself).',
  [NextStep.RetryThenCallAcquirer]: () => 'Nothing was marked. Try again; if it repeats, call your acquirer.',
  [NextStep.CallAcquirer]: () => 'Repeating will not help: call your acquirer with this message.',
  [NextStep.SyncAgain]: () => 'Run sync again.',
  [NextStep.Enrol]: () =>
    'Run `ehkd-terminal enrol` (online with a code, or offline with --request then --certificate).',
  [NextStep.SettleBeforeReEnrol]: () =>
    'Sync (or export) and settle every payment before enrolling under another terminal id.',
  [NextStep.CheckEnrolment]: () =>
    'Nothing was installed. Check the files, ids or enrolment code with your acquirer and enrol again.',
  [NextStep.RequestEnrolmentFirst]: () =>
    'Run `ehkd-terminal enrol --request <file>` first and have the acquirer sign it.',
  [NextStep.GiveSchemeRoot]: () => 'Give the scheme root certificate (hex or binary COSE).',
  [NextStep.ConfigureLedger]: () =>
    'Pass --ledger <url> once (it is remembered; or `ehkd-terminal config --ledger <url>`), or export receipts to a file.',
  [NextStep.FixLedgerUrl]: () => 'Give the ledger URL as https://host:port.',
  [NextStep.UseHttps]: () =>
    "Give the ledger's https:// URL (and its CA with --ledger-ca), or enrol with --insecure-http if a TLS tunnel protects the link.",
  [NextStep.GiveLedgerCa]: () =>
    'Give the PEM certificate your acquirer gave for its ledger (-----BEGIN CERTIFICATE-----).',
  [NextStep.GetResultFile]: () =>
    "Nothing was marked. Ask the operator for the genuine signed result file of this terminal's batch.",
  [NextStep.CheckDestination]: () =>
    'Nothing was marked: check the destination (space, permissions, medium) and export again.',
  [NextStep.CheckReader]: () =>
    'Plug the reader in and check pcscd is running (`ehkd-terminal readers` lists what is seen), then try again.',
  [NextStep.InstallPcsc]: () => 'Install and start pcscd (and the nfc-pcsc package), then try again.',
  [NextStep.CheckCardFile]: () => 'Check the card file (create one with `ehkd-card`).',
  [NextStep.CheckFile]: () => 'Check the file path and that it is the right file.',
  [NextStep.CheckDataDir]: () => 'Check the data directory (path, permissions, free space).',
  [NextStep.FixStorage]: (f) =>
    f.storageReason === 'full'
      ? "Free space on the terminal's disk (or move its data directory), then try again. Nothing was charged by this step; receipts already taken are safe."
      : "Check the terminal's disk and its data directory (mounted read-write, permissions, hardware), then try again. Receipts already taken are safe.",
  [NextStep.FixPermissions]: (f) =>
    f.path === undefined
      ? "Only the terminal's user may read the terminal's files: close them to group and others, then start again."
      : `Only the terminal's user may read it: run \`chmod 600 ${f.path}\` (and \`chmod 700\` its directory), then start again.`,
  [NextStep.UseMatchingVersion]: () =>
    'Use the terminal version that created this data directory, or a new data directory.',
  [NextStep.KeepDenyList]: () => 'Keep the deny list in force; fetch a current one from the ledger (sync).',
  [NextStep.GetTrustAnchors]: () => 'Get the trust anchors from your acquirer again; do not take payments with these.',
  [NextStep.FixAmount]: () => 'Type the amount in dollars, above zero and below HK$42,949,672.95, e.g. 12.50.',
  [NextStep.FixInput]: (f) => (f.field === undefined ? 'Give a valid value.' : `Give a valid value for ${f.field}.`),
  [NextStep.FixUsage]: (f) => `See \`ehkd-terminal ${f.command ?? ''}${f.command === undefined ? '' : ' '}--help\`.`,
};

/**
 * The CLI's words for a next step.
 * @example adviceFor(NextStep.RetryLater, { command: 'enrol' })
 */
export function adviceFor(next: NextStep, facts: AdviceFacts = {}): string {
  return WORDS[next](facts);
}

/**
 * What to do after a terminal error, worded for the command that failed.
 * @example process.stderr.write(`What to do: ${errorAdvice(e, 'sync')}`)
 */
export function errorAdvice(e: TerminalError, command?: string): string {
  const d = e.detail;
  return adviceFor(e.next, {
    command,
    field: d?.field,
    path: d?.path,
    storageReason: d?.storage?.reason,
  });
}

/**
 * What the cashier should do after a tap, or undefined when the payment went through.
 * @example const advice = tapAdvice(result, Currency.HKD)
 */
export function tapAdvice(result: TapResult, currency: number): string | undefined {
  switch (result.outcome) {
    case 'approved':
    case 'recovered':
      return undefined;
    case 'declined':
      return adviceFor(result.next, { check: result.check, floorLimit: result.floorLimit, currency });
    case 'card-refused':
      return adviceFor(result.next, { currency });
    case 'interrupted':
      return adviceFor(result.next, { storageReason: result.storage?.reason });
  }
}
