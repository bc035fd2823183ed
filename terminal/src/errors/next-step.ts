/**
 * What to do next after a terminal error or a tap that did not approve: a stable id, so that every screen (the CLI,
 * the cashier page, in any language) words the advice itself from the id and the error's or result's data.
 */
export const NextStep = {
  // A cashier's steps, after a tap.
  /** Ask the customer to tap again and hold the card still. */
  TapAgain: 'tap-again',
  /** An earlier payment of this card may be pending: only the same card settles it; take no other method meanwhile. */
  TapSameCard: 'tap-same-card',
  /** The card paid but the receipt could not be saved: fix the terminal's storage, then tap the same card again. */
  FreeSpaceThenTapSameCard: 'free-space-then-tap-same-card',
  /** Do not accept this card: ask for another payment method. */
  OtherPaymentMethod: 'other-payment-method',
  /** Above a per-payment limit (the card's or the terminal's): another method or a smaller amount. */
  SmallerAmount: 'smaller-amount',
  /** The card's balance or offline allowance is used up: it must be topped up (online), else another method. */
  TopUpCard: 'top-up-card',
  /** The terminal cannot take offline payments now (deny list too old, offline limits reached): get it online. */
  GoOnline: 'go-online',
  /** A tap's outcome is in doubt: look at the receipt list before tapping again. */
  CheckReceipts: 'check-receipts',
  /** No card came: charge again. */
  ChargeAgain: 'charge-again',
  /** A top-up: tap the card again; if it repeats, refer the customer to the bank. */
  TapCardAgain: 'tap-card-again',
  /** The card or the load needs the bank. */
  ReferToBank: 'refer-to-bank',
  /** A load was sent to another card than the one presented: present the card being loaded. */
  PresentLoadedCard: 'present-loaded-card',
  /** A load's outcome is unknown: resolve it with the same card on the reader (`top-up --resolve`). */
  ResolveLoad: 'resolve-load',
  /** A top-up was cut before it reached the card: run it again (a new authorization). */
  TopUpAgain: 'top-up-again',
  // An operator's steps.
  /** The ledger could not be reached: nothing is lost; try again when the network is back. */
  RetryLater: 'retry-later',
  /** Try again; if it repeats, call the acquirer. */
  RetryThenCallAcquirer: 'retry-then-call-acquirer',
  /** Repeating will not help: call the acquirer. */
  CallAcquirer: 'call-acquirer',
  /** Run the sync again. */
  SyncAgain: 'sync-again',
  /** The terminal is not enrolled: enrol it. */
  Enrol: 'enrol',
  /** Payments of the old terminal id are unsettled: sync or export them before enrolling under another id. */
  SettleBeforeReEnrol: 'settle-before-re-enrol',
  /** Check the enrolment files, ids or code with the acquirer, and enrol again. */
  CheckEnrolment: 'check-enrolment',
  /** An offline enrolment needs its request first (`enrol --request`). */
  RequestEnrolmentFirst: 'request-enrolment-first',
  /** Give the scheme's root certificate. */
  GiveSchemeRoot: 'give-scheme-root',
  /** No ledger URL is configured: give one. */
  ConfigureLedger: 'configure-ledger',
  /** The ledger URL is malformed. */
  FixLedgerUrl: 'fix-ledger-url',
  /** A plain-HTTP ledger URL: use https (or say a TLS tunnel protects the link). */
  UseHttps: 'use-https',
  /** The ledger's CA certificate is not a PEM certificate. */
  GiveLedgerCa: 'give-ledger-ca',
  /** A batch result file is not genuine or not this terminal's: get the right one from the operator. */
  GetResultFile: 'get-result-file',
  /** An export could not be written: check the destination and export again. */
  CheckDestination: 'check-destination',
  /** The reader is missing or failed: check it (and pcscd). */
  CheckReader: 'check-reader',
  /** The PC/SC stack is not installed or not running. */
  InstallPcsc: 'install-pcsc',
  /** A software card file is unusable. */
  CheckCardFile: 'check-card-file',
  /** A file given is missing or not what it claims to be. */
  CheckFile: 'check-file',
  /** The data directory is unusable (path, permissions, space). */
  CheckDataDir: 'check-data-dir',
  /** The data directory cannot take a write: free space or fix the disk (`detail.storage` says which). */
  FixStorage: 'fix-storage',
  /** The terminal's database is open to other users (`detail.path`): close it to them. */
  FixPermissions: 'fix-permissions',
  /** The data directory is of another terminal version. */
  UseMatchingVersion: 'use-matching-version',
  /** A deny list offered does not verify: keep the one in force and fetch a current one. */
  KeepDenyList: 'keep-deny-list',
  /** Trust anchors do not verify: get them again from the acquirer; take no payments with them. */
  GetTrustAnchors: 'get-trust-anchors',
  /** An amount typed is not valid. */
  FixAmount: 'fix-amount',
  /** A setting or option value is not valid (`detail.field` names it). */
  FixInput: 'fix-input',
  /** The command line is not usable as given: see the command's help. */
  FixUsage: 'fix-usage',
} as const;
export type NextStep = (typeof NextStep)[keyof typeof NextStep];
