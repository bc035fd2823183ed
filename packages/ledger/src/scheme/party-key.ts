import { ROLE_NAME, CodecError, parseKeyFile, type Certificate, type Role, type Signer } from '@ehkd/core';
import { createNodeSigner } from '../crypto/node-signer.js';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';

/** A scheme party's signing key with its certificate, as the ledger uses it (root, issuer or acquirer). */
export interface PartyKey {
  readonly role: Role;
  readonly id: Uint8Array;
  /** The certificate (COSE_Sign1 bytes) and its decoded payload. */
  readonly certificate: Uint8Array;
  readonly cert: Certificate;
  readonly privateKey: Uint8Array;
  /** A node:crypto signer for the key. */
  readonly signer: Signer;
}

/**
 * Reads a key file (core's `formatKeyFile` JSON) and checks that it is of the role expected.
 * @throws LedgerError KEY_FILE if it does not parse, is inconsistent, or holds another role's key.
 * @example partyKeyFromFile(readFileSync('acquirer.key.json', 'utf8'), Role.Acquirer, 'acquirer.key.json')
 */
export function partyKeyFromFile(text: string, role: Role, source: string): PartyKey {
  let k;
  try {
    k = parseKeyFile(text);
  } catch (e) {
    if (e instanceof CodecError)
      throw new LedgerError(LedgerErrorCode.KeyFile, `${source}: ${e.message}`, { cause: e, detail: { source } });
    throw e;
  }
  if (k.role !== role)
    throw new LedgerError(
      LedgerErrorCode.KeyFile,
      `${source} holds a ${ROLE_NAME[k.role]} key, not a ${ROLE_NAME[role]} key`,
      { detail: { source } },
    );
  return {
    role: k.role,
    id: k.id,
    certificate: k.certificate,
    cert: k.cert,
    privateKey: k.privateKey,
    signer: createNodeSigner(k.privateKey),
  };
}
