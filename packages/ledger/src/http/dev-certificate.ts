import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

/** A self-signed TLS server certificate and its key, PEM. */
export interface DevCertificate {
  /** The certificate: what the service presents and what terminals pin (`ehkd-terminal enrol --ledger-ca`). */
  readonly cert: string;
  /** PKCS#8 private key. */
  readonly key: string;
}

/** Options of createDevCertificate. */
export interface DevCertificateOptions {
  /** Names the certificate is valid for: IP addresses and DNS names. Default 127.0.0.1, ::1 and localhost. */
  readonly hosts?: readonly string[];
  /** Validity from now. Default 365 days. */
  readonly days?: number;
  /** Start of validity; default now. */
  readonly now?: Date;
}

const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * Makes a throwaway self-signed TLS server certificate (ECDSA P-256, SHA-256, the hosts as subject alternative
 * names, server authentication only, not a CA) for development, tests and the demo. A production ledger presents
 * a certificate from the operator's PKI; terminals pin whichever they are given at enrolment.
 * @throws RangeError if no host is given or `days` is not a positive whole number.
 * @example const { cert, key } = await createDevCertificate({ hosts: ['127.0.0.1'] })
 */
export async function createDevCertificate(options: DevCertificateOptions = {}): Promise<DevCertificate> {
  const hosts = options.hosts ?? ['127.0.0.1', '::1', 'localhost'];
  const days = options.days ?? 365;
  if (hosts.length === 0) throw new RangeError('a certificate needs at least one host name or address');
  if (!Number.isSafeInteger(days) || days < 1)
    throw new RangeError(`days must be a positive whole number, got ${days}`);
  // Loaded on demand: it installs a Reflect polyfill, which a ledger that only serves has no use for.
  const x509 = await import('@peculiar/x509');
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const notBefore = options.now ?? new Date();
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // a positive INTEGER
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: `CN=${hosts[0]!}`,
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * 86_400_000),
      keys,
      signingAlgorithm: P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((h) => (isIP(h) === 0 ? { type: 'dns' as const, value: h } : { type: 'ip' as const, value: h })),
        ),
      ],
    },
    webcrypto as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' });
  return { cert: cert.toString('pem'), key: String(key) };
}
