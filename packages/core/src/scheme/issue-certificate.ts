import { signCoseSign1 } from '../cose/cose-sign1.js';
import type { Signer } from '../crypto/signer.js';
import { encodeCertificate, type Certificate } from '../messages/certificate.js';

/**
 * Signs a certificate: the one way every CLI and test issues certificates (root self-signature included).
 * @throws CodecError if the certificate breaks the codec's rules (misuse).
 * @example const rootCert = issueCertificate(rootSigner, { role: Role.Root, subject: rootId, signer: rootId, ... })
 */
export function issueCertificate(signer: Signer, certificate: Certificate): Uint8Array {
  return signCoseSign1(signer, encodeCertificate(certificate));
}
