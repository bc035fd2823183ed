import type { SignatureVerifier, TrustStore } from '@ehkd/core';
import type { ConfigStore, DenyListRecord } from '../store/config-store.js';
import { DenySet, checkDenyList } from './deny-list-check.js';
import { verifyTrustBundle } from './trust-anchors.js';

/** The trust material a tap is checked against: trust anchors and the deny list in force. */
export interface TrustState {
  readonly trust: TrustStore;
  readonly denied: DenySet;
  readonly denyList?: DenyListRecord;
}

/**
 * Keeps the trust material loaded from the database and reloads it when another process (the daemon) stored a
 * newer deny list or trust-anchor bundle. Stored material was verified when it arrived and is verified again at
 * load: a database edited behind the terminal's back still cannot make it trust a forged list.
 */
export class TrustCache {
  #key: string | undefined;
  #state: TrustState | undefined;

  constructor(
    private readonly config: ConfigStore,
    private readonly verifier: SignatureVerifier,
  ) {}

  /** The trust material in force, or undefined before enrolment installed trust anchors. */
  current(): TrustState | undefined {
    const key = this.config.trustVersion();
    if (key !== this.#key) {
      this.#state = this.load();
      this.#key = key;
    }
    return this.#state;
  }

  private load(): TrustState | undefined {
    const bundle = this.config.trustBundle();
    if (bundle === undefined) return undefined;
    const trust = verifyTrustBundle(bundle, undefined, this.verifier);
    const denyList = this.config.denyList();
    if (denyList === undefined) return { trust, denied: new DenySet([]) };
    return { trust, denied: checkDenyList(denyList.bytes, trust, this.verifier, undefined).denied, denyList };
  }
}
