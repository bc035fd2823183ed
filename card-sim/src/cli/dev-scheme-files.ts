import { existsSync, mkdirSync } from 'node:fs';
import { getRandomValues } from 'node:crypto';
import { join } from 'node:path';
import { encodeTrustAnchorBundle, formatKeyFile } from '@ehkd/core';
import { createDevScheme } from '@ehkd/core/testing';
import { CardError, CardErrorCode } from '../card-error.js';
import { createFileAtomically } from '../storage/file-card-store.js';

/** File names of a development scheme directory (the ledger's CLI writes and reads the same names). */
export const DEV_SCHEME_FILES = {
  root: 'root.key.json',
  issuer: 'issuer.key.json',
  acquirer: 'acquirer.key.json',
  /** Root + issuer + acquirer certificates (TrustAnchorBundle CBOR): what terminals are given, without any key. */
  trustAnchors: 'trust-anchors.cbor',
} as const;

/**
 * Creates a development scheme in `dir`: root, issuer and acquirer key files (`formatKeyFile`, mode 0600)
 * and the trust-anchor bundle. Refuses if any of these files exists, so an existing scheme is never replaced.
 * @param seed 32 bytes for a reproducible scheme; default random.
 * @returns the paths written.
 * @throws CardError FILE_EXISTS if a scheme (or part of one) is there, STORAGE_FAILED
 * @example writeDevScheme('./scheme')
 */
export function writeDevScheme(
  dir: string,
  seed: Uint8Array = getRandomValues(new Uint8Array(32)),
): Record<keyof typeof DEV_SCHEME_FILES, string> {
  const paths = {
    root: join(dir, DEV_SCHEME_FILES.root),
    issuer: join(dir, DEV_SCHEME_FILES.issuer),
    acquirer: join(dir, DEV_SCHEME_FILES.acquirer),
    trustAnchors: join(dir, DEV_SCHEME_FILES.trustAnchors),
  };
  const existing = Object.values(paths).filter((p) => existsSync(p));
  if (existing.length > 0)
    throw new CardError(
      CardErrorCode.FileExists,
      `a scheme already exists in ${dir} (${existing.join(', ')}); not replacing it`,
      { detail: { path: dir } },
    );
  mkdirSync(dir, { recursive: true });
  const scheme = createDevScheme(seed);
  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  createFileAtomically(paths.root, text(formatKeyFile(scheme.root.keyFile)));
  createFileAtomically(paths.issuer, text(formatKeyFile(scheme.issuer.keyFile)));
  createFileAtomically(paths.acquirer, text(formatKeyFile(scheme.acquirer.keyFile)));
  createFileAtomically(
    paths.trustAnchors,
    encodeTrustAnchorBundle({
      root: scheme.root.certificate,
      certificates: [scheme.issuer.certificate, scheme.acquirer.certificate],
    }),
  );
  return paths;
}
