import type { SignatureVerifier, TrustStore } from '@ehkd/core';
import type { PartyKey } from './scheme/party-key.js';
import type { LedgerStore } from './store/ledger-store.js';

/** Everything the ledger's operations share: storage, trust, keys, clock and policy. */
export interface LedgerContext {
  readonly store: LedgerStore;
  /** Trust anchors as stored, verified against the root. */
  readonly trust: TrustStore;
  /** node:crypto verifier for the main thread (envelopes, certificates, load receipts). */
  readonly verifier: SignatureVerifier;
  /** This ledger's acquirer: enrols terminals, signs batch results and deny lists. */
  readonly acquirer: PartyKey;
  /** Issuers whose loads this ledger authorizes, by lower-case hex id. */
  readonly issuers: ReadonlyMap<string, PartyKey>;
  /** Unix seconds. */
  readonly clock: () => number;
  /** Maximum deny-list age terminals are allowed: the grace after a revocation (see detect/loss-attribution.ts). */
  readonly denyListGraceSeconds: number;
  /**
   * How long after its certificate expired a terminal may still upload: a terminal offline when its certificate ran
   * out still delivers what it took while valid (payments taken after the expiry are rejected, `cert-expiry`).
   */
  readonly terminalExpiryGraceSeconds: number;
}
