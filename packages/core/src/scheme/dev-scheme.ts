import { createSigner, privateKeyFromSeed, type Signer } from '../crypto/signer.js';
import { Role, type CardProfile, type Certificate } from '../messages/certificate.js';
import { issueCertificate } from './issue-certificate.js';
import type { KeyFile } from './key-file.js';

/** One party of a development scheme: its signer and certificate. */
export interface DevParty {
  readonly id: Uint8Array;
  readonly privateKey: Uint8Array;
  readonly signer: Signer;
  /** COSE_Sign1 certificate bytes. */
  readonly certificate: Uint8Array;
  readonly keyFile: KeyFile;
}

/** A complete development scheme: root, one issuer and one acquirer, all from one seed. */
export interface DevScheme {
  readonly root: DevParty;
  readonly issuer: DevParty;
  readonly acquirer: DevParty;
}

/** Validity used by development schemes: 2025-01-01 .. 2035-01-01 (Unix seconds). */
export const DEV_VALIDITY = { notBefore: 1_735_689_600, notAfter: 2_051_222_400 } as const;

/** An 8-byte id from a small number (development and test ids are readable in hex). */
export function devId(prefix: number, n: number): Uint8Array {
  const id = new Uint8Array(8);
  id[0] = prefix;
  new DataView(id.buffer).setUint32(4, n);
  return id;
}

function party(seed: Uint8Array, label: string, id: Uint8Array, certify: (subject: Signer) => Uint8Array, role: Role): DevParty {
  const privateKey = privateKeyFromSeed(seed, label);
  const signer = createSigner(privateKey);
  const certificate = certify(signer);
  return { id, privateKey, signer, certificate, keyFile: { role, id, privateKey, certificate } };
}

/**
 * Derives a development scheme (root, issuer "eHKD Dev Bank", acquirer "eHKD Dev Acquirer") from a seed.
 * Deterministic: the same seed gives the same keys and byte-identical certificates.
 * @example const scheme = createDevScheme(new Uint8Array(32))
 */
export function createDevScheme(seed: Uint8Array): DevScheme {
  const rootId = devId(0x01, 1);
  const root = party(seed, 'root', rootId, (s) => issueCertificate(s, { role: Role.Root, subject: rootId, signer: rootId, publicKey: s.publicKey, ...DEV_VALIDITY, name: 'eHKD Dev Root' }), Role.Root);
  const under = (label: string, role: typeof Role.Issuer | typeof Role.Acquirer, id: Uint8Array, name: string): DevParty =>
    party(seed, label, id, (s) => issueCertificate(root.signer, { role, subject: id, signer: rootId, publicKey: s.publicKey, ...DEV_VALIDITY, name }), role);
  return {
    root,
    issuer: under('issuer', Role.Issuer, devId(0x02, 1), 'eHKD Dev Bank'),
    acquirer: under('acquirer', Role.Acquirer, devId(0x04, 1), 'eHKD Dev Acquirer'),
  };
}

/**
 * Certifies a card or terminal key under a development issuer or acquirer.
 * @example certifyLeaf(scheme.issuer, { role: Role.Card, subject: devId(3, 1), publicKey, card: profile })
 */
export function certifyLeaf(
  signer: DevParty,
  leaf: { role: typeof Role.Card | typeof Role.Terminal; subject: Uint8Array; publicKey: Uint8Array; card?: CardProfile; terminal?: Certificate['terminal']; name?: string; notBefore?: number; notAfter?: number },
): Uint8Array {
  return issueCertificate(signer.signer, {
    role: leaf.role,
    subject: leaf.subject,
    signer: signer.id,
    publicKey: leaf.publicKey,
    notBefore: leaf.notBefore ?? DEV_VALIDITY.notBefore,
    notAfter: leaf.notAfter ?? DEV_VALIDITY.notAfter,
    ...(leaf.name !== undefined && { name: leaf.name }),
    ...(leaf.card && { card: leaf.card }),
    ...(leaf.terminal && { terminal: leaf.terminal }),
  });
}
