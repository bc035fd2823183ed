import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Limits, Role, decodeCertificate, decodeCoseSign1, parseKeyFile, type Certificate } from '@ehkd/core';
import { exposedMode, writeFileDurably } from '@ehkd/core/node';
import { LedgerError, LedgerErrorCode } from '../errors/ledger-error.js';
import { partyKeyFromFile, type PartyKey } from '../scheme/party-key.js';
import { SqliteLedgerStore } from '../store/sqlite-ledger-store.js';
import { Ledger } from '../ledger.js';

/** Reads a file as bytes, refusing files larger than `maxBytes` before reading them. @throws LedgerError */
export function readBytes(path: string, maxBytes: number): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new LedgerError(LedgerErrorCode.NotFound, `cannot read ${path}`, { cause: e, detail: { path } });
  }
  if (size > maxBytes)
    throw new LedgerError(LedgerErrorCode.BadRequest, `${path} is ${size} bytes, more than the ${maxBytes} allowed`, {
      detail: { path },
    });
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Reads a key file of the given role. @throws LedgerError KEY_FILE / NOT_FOUND / FILE_PERMISSIONS */
export function readPartyKey(path: string, role: Role): PartyKey {
  return partyKeyFromFile(readSecretText(path, 'key file'), role, path);
}

/**
 * Reads a file holding a private key as text, refusing one that group or others can read or write (before reading it).
 * @throws LedgerError NOT_FOUND / FILE_PERMISSIONS
 * @example const pem = readSecretText('tls.key', 'TLS key')
 */
export function readSecretText(path: string, what: string): string {
  const unreadable = (e: unknown): LedgerError =>
    new LedgerError(LedgerErrorCode.NotFound, `cannot read ${what} ${path}`, { cause: e, detail: { path } });
  let mode: number | undefined;
  try {
    mode = exposedMode(path);
  } catch (e) {
    throw unreadable(e);
  }
  if (mode !== undefined)
    throw new LedgerError(
      LedgerErrorCode.FilePermissions,
      `${what} ${path} holds a private key and is open to other users (mode ${mode.toString(8).padStart(4, '0')})`,
      { detail: { path, mode } },
    );
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw unreadable(e);
  }
}

/**
 * Reads the HTTPS service's certificate (PEM) and its key (PEM, a secret: refused when group or others can read it),
 * and checks that they belong together.
 * @throws LedgerError NOT_FOUND / FILE_PERMISSIONS / KEY_FILE
 * @example const tls = readTlsFiles('tls.crt', 'tls.key')
 */
export function readTlsFiles(certPath: string, keyPath: string): { readonly cert: string; readonly key: string } {
  const cert = new TextDecoder().decode(readBytes(certPath, 1024 * 1024));
  const key = readSecretText(keyPath, 'TLS key');
  try {
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key)))
      throw new Error(`the key in ${keyPath} is not the key of that certificate`);
  } catch (e) {
    throw new LedgerError(
      LedgerErrorCode.KeyFile,
      `${certPath} and ${keyPath} are not a PEM certificate and its private key: ${(e as Error).message}`,
      { cause: e, detail: { path: certPath } },
    );
  }
  return { cert, key };
}

/**
 * Reads a certificate from a certificate file (COSE_Sign1 bytes) or from a key file (JSON: its certificate).
 * @throws LedgerError KEY_FILE
 */
export function readCertificate(path: string): { readonly bytes: Uint8Array; readonly cert: Certificate } {
  const bytes = readBytes(path, 64 * 1024);
  let certificate = bytes;
  try {
    if (bytes[0] === 0x7b) certificate = parseKeyFile(new TextDecoder().decode(bytes)).certificate;
    return {
      bytes: certificate,
      cert: decodeCertificate(decodeCoseSign1(certificate, Limits.certificateBytes).payload),
    };
  } catch (e) {
    if (e instanceof Error && 'layer' in e)
      throw new LedgerError(LedgerErrorCode.KeyFile, `${path} is neither a certificate nor a key file: ${e.message}`, {
        cause: e,
        detail: { path },
      });
    throw e;
  }
}

/**
 * Writes a file that must not exist yet (keys and certificates are never overwritten by accident), atomically: a
 * crash leaves no file or the whole file. @throws LedgerError BAD_REQUEST
 */
export function writeNew(path: string, data: string | Uint8Array, mode = 0o644): void {
  try {
    writeFileDurably(path, data, { exclusive: true, mode });
  } catch (e) {
    throw new LedgerError(LedgerErrorCode.BadRequest, `cannot create ${path} (it may already exist)`, {
      cause: e,
      detail: { path },
    });
  }
}

/**
 * Writes (or replaces) an output file atomically (result files, evidence, certificates): a crash or a failure at
 * any point leaves the previous file or none, never a truncated one. @throws LedgerError BAD_REQUEST
 */
export function writeOutput(path: string, data: string | Uint8Array): void {
  try {
    writeFileDurably(path, data);
  } catch (e) {
    throw new LedgerError(LedgerErrorCode.BadRequest, `cannot write ${path}`, { cause: e, detail: { path } });
  }
}

/** Options naming the ledger database and keys. */
export interface LedgerFileOptions {
  readonly db: string;
  readonly acquirerKey: string;
  readonly issuerKey?: readonly string[];
  readonly workers?: number;
}

/** Opens the store and the ledger from command options; `close` closes both. */
export async function openLedger(
  o: LedgerFileOptions,
): Promise<{ ledger: Ledger; store: SqliteLedgerStore; close: () => Promise<void> }> {
  const acquirer = readPartyKey(o.acquirerKey, Role.Acquirer);
  const issuers = (o.issuerKey ?? []).map((p) => readPartyKey(p, Role.Issuer));
  const store = SqliteLedgerStore.open(o.db);
  try {
    const ledger = await Ledger.open({
      store,
      acquirer,
      issuers,
      ...(o.workers !== undefined && { workers: o.workers }),
    });
    return {
      ledger,
      store,
      close: async () => {
        await ledger.close();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
