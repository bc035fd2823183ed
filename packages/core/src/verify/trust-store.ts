import { verifyCoseSign1 } from '../cose/cose-sign1.js';
import type { SignatureVerifier } from '../crypto/signature-verifier.js';
import { toHex } from '../ids/identifiers.js';
import { ROLE_NAME, Role, SIGNER_ROLE, decodeCertificate, type Certificate } from '../messages/certificate.js';
import { Limits } from '../messages/limits.js';
import type { Signed } from '../messages/signed-message.js';
import { CheckId, fail, pass, type Verification } from './check-id.js';
import { openOrFail } from './open-or-fail.js';

/** A certificate whose signature chain to the root has been checked (validity periods are checked at use). */
export type VerifiedCertificate = Signed<Certificate>;

/**
 * The scheme's trust anchors: the pinned root and the issuer and acquirer certificates it signed.
 * Build with `TrustStore.create`; every certificate in it has been verified against the root.
 */
export class TrustStore {
  private constructor(
    readonly root: VerifiedCertificate,
    private readonly byId: ReadonlyMap<string, VerifiedCertificate>,
  ) {}

  /**
   * Verifies the root (self-signed, role root) and every other certificate (role issuer or acquirer, signed by
   * the root), and returns the store, or the first certificate that failed and why.
   * @example const trust = TrustStore.create(rootBytes, [issuerBytes, acquirerBytes], nobleVerifier)
   */
  static create(
    root: Uint8Array,
    certificates: readonly Uint8Array[],
    verifier: SignatureVerifier,
  ): Verification<TrustStore> {
    const r = openOrFail(root, Limits.certificateBytes, decodeCertificate, 'root certificate');
    if (!r.ok) return r;
    if (r.value.payload.role !== Role.Root) return fail(CheckId.CertRole, 'the trust anchor is not a root certificate');
    if (!verifyCoseSign1(r.value.cose, r.value.payload.publicKey, verifier))
      return fail(CheckId.CertChain, 'root certificate self-signature is invalid');
    const byId = new Map<string, VerifiedCertificate>();
    for (const bytes of certificates) {
      const c = openOrFail(bytes, Limits.certificateBytes, decodeCertificate, 'trust anchor certificate');
      if (!c.ok) return c;
      const cert = c.value.payload;
      if (cert.role !== Role.Issuer && cert.role !== Role.Acquirer)
        return fail(CheckId.CertRole, `a ${ROLE_NAME[cert.role]} certificate is not a trust anchor`);
      if (toHex(cert.signer) !== toHex(r.value.payload.subject))
        return fail(CheckId.CertChain, `${ROLE_NAME[cert.role]} ${toHex(cert.subject)} is not signed by this root`);
      if (!verifyCoseSign1(c.value.cose, r.value.payload.publicKey, verifier))
        return fail(CheckId.CertChain, `${ROLE_NAME[cert.role]} ${toHex(cert.subject)}: root signature is invalid`);
      const key = `${cert.role}:${toHex(cert.subject)}`;
      if (byId.has(key))
        return fail(CheckId.CertChain, `two ${ROLE_NAME[cert.role]} certificates for ${toHex(cert.subject)}`);
      byId.set(key, c.value);
    }
    return pass(new TrustStore(r.value, byId));
  }

  /** The issuer or acquirer certificate with this id, if the store has it. */
  get(role: typeof Role.Issuer | typeof Role.Acquirer, id: Uint8Array): VerifiedCertificate | undefined {
    return this.byId.get(`${role}:${toHex(id)}`);
  }

  /** All issuer and acquirer certificates. */
  certificates(): VerifiedCertificate[] {
    return [...this.byId.values()];
  }

  /**
   * Verifies a card or terminal certificate: role, chain to its issuer or acquirer in this store, signature,
   * and the validity of the leaf, its signer and the root at `now` (Unix seconds; `undefined` skips validity, as
   * evidence checks do). `graceSeconds` accepts a leaf that expired at most that long ago: the ledger uses it so a
   * terminal whose certificate ran out while it was offline can still upload what it took while valid.
   */
  verifyLeaf(
    bytes: Uint8Array,
    role: typeof Role.Card | typeof Role.Terminal,
    verifier: SignatureVerifier,
    now: number | undefined,
    graceSeconds = 0,
  ): Verification<VerifiedCertificate> {
    const c = openOrFail(bytes, Limits.certificateBytes, decodeCertificate, `${ROLE_NAME[role]} certificate`);
    if (!c.ok) return c;
    const cert = c.value.payload;
    if (cert.role !== role)
      return fail(CheckId.CertRole, `expected a ${ROLE_NAME[role]} certificate, got ${ROLE_NAME[cert.role]}`);
    const signerRole = SIGNER_ROLE[role] as typeof Role.Issuer | typeof Role.Acquirer;
    const signer = this.get(signerRole, cert.signer);
    if (signer === undefined)
      return fail(
        CheckId.CertChain,
        `${ROLE_NAME[role]} certificate signed by unknown ${ROLE_NAME[signerRole]} ${toHex(cert.signer)}`,
      );
    if (!verifyCoseSign1(c.value.cose, signer.payload.publicKey, verifier))
      return fail(
        CheckId.CertChain,
        `${ROLE_NAME[role]} certificate signature by ${ROLE_NAME[signerRole]} ${toHex(cert.signer)} is invalid`,
      );
    if (now !== undefined) {
      for (const x of [cert, signer.payload, this.root.payload]) {
        if (now < x.notBefore || now > x.notAfter + (x === cert ? graceSeconds : 0))
          return fail(
            CheckId.CertExpiry,
            `${ROLE_NAME[x.role]} certificate ${toHex(x.subject)} is not valid at ${new Date(now * 1000).toISOString()}`,
          );
      }
    }
    return pass(c.value);
  }
}
