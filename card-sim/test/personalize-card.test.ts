/** docs/protocol.md "Card (applet)": the personalised state, the card certificate and deterministic personalisation. */
import { GENESIS_HASH, Limits, Role, TrustStore, decodeCertificate, decodeCoseSign1, nobleVerifier } from '@ehkd/core';
import { describe, expect, it } from 'vitest';
import { CardError, CardErrorCode, DEFAULT_CARD_LIMITS, encodePurseState, personalizeCard } from '../src/index.js';
import { hex, issuer, rogueScheme, scheme } from './support/card-fixtures.js';

const seed = new Uint8Array(32).fill(5);

describe('personalizeCard', () => {
  it('starts at balance 0, counter 0, the genesis hash, unlocked, with the certificate profile as limits', () => {
    const limits = { maxBalance: 200_000, maxPayment: 10_000, maxOfflineCount: 5, maxOfflineAmount: 30_000 };
    const { state, certificate, cardId } = personalizeCard({ issuer, seed, limits });
    expect(state).toMatchObject({
      balance: 0,
      counter: 0,
      flags: 0,
      offlineCount: 0,
      offlineAmount: 0,
      limits,
      currency: 344,
      log: [],
    });
    expect(hex(state.lastHash)).toBe(hex(GENESIS_HASH));
    expect(hex(state.issuerId)).toBe(hex(scheme.issuer.id));
    expect(hex(state.issuerPublicKey)).toBe(hex(scheme.issuer.signer.publicKey));
    const cert = decodeCertificate(decodeCoseSign1(certificate, Limits.certificateBytes).payload);
    expect(cert).toMatchObject({ role: Role.Card, card: { currency: 344, ...limits } });
    expect(hex(cert.subject)).toBe(hex(cardId));
    const trust = TrustStore.create(scheme.root.certificate, [scheme.issuer.certificate], nobleVerifier);
    if (!trust.ok) throw new Error(trust.reason);
    expect(trust.value.verifyLeaf(certificate, Role.Card, nobleVerifier, cert.notBefore).ok).toBe(true);
  });

  it('is deterministic with a seed and random without one', () => {
    const a = personalizeCard({ issuer, seed });
    const b = personalizeCard({ issuer, seed });
    expect(hex(encodePurseState(a.state))).toBe(hex(encodePurseState(b.state)));
    expect(a.state.limits).toEqual(DEFAULT_CARD_LIMITS);
    const c = personalizeCard({ issuer });
    const d = personalizeCard({ issuer });
    expect(hex(c.cardId)).not.toBe(hex(d.cardId));
    expect(hex(c.state.privateKey)).not.toBe(hex(d.state.privateKey));
  });

  it('refuses an issuer certificate that is not an issuer certificate or does not certify the signer', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
        return undefined;
      } catch (e) {
        return e instanceof CardError ? e.code : String(e);
      }
    };
    expect(
      code(() => personalizeCard({ issuer: { signer: scheme.root.signer, certificate: scheme.root.certificate } })),
    ).toBe(CardErrorCode.Personalisation);
    expect(
      code(() =>
        personalizeCard({ issuer: { signer: rogueScheme.issuer.signer, certificate: scheme.issuer.certificate } }),
      ),
    ).toBe(CardErrorCode.Personalisation);
    expect(code(() => personalizeCard({ issuer, limits: { maxPayment: -1 } }))).toBe(CardErrorCode.Personalisation);
    expect(code(() => personalizeCard({ issuer, cardId: new Uint8Array(4) }))).toBe(CardErrorCode.Personalisation);
    expect(code(() => personalizeCard({ issuer: { signer: issuer.signer, certificate: new Uint8Array(10) } }))).toBe(
      CardErrorCode.Personalisation,
    );
  });
});
