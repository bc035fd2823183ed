import { readFileSync } from 'node:fs';
import { fromHex } from '@ehkd/core';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { parseLedgerCa, type LedgerTrust } from '../sync/ledger-client.js';
import { NextStep } from '../errors/next-step.js';

/** Largest file the terminal reads (the largest message is a 2 MiB deny list, hex doubles it). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/**
 * Reads a message file as the acquirer hands it over: binary CBOR/COSE, or the same bytes as hex text (what
 * `cert.hex` files hold), or a key-file JSON whose `certificate` field is taken (public part only).
 * @throws TerminalError BAD_FILE
 * @example const cert = readMessageFile('cert.hex', 'terminal certificate')
 */
export function readMessageFile(path: string, what: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new TerminalError(
      TerminalErrorCode.BadFile,
      `cannot read the ${what} file ${path}: ${(e as Error).message}`,
      { next: NextStep.CheckFile },
      e,
    );
  }
  if (raw.length > MAX_FILE_BYTES)
    throw new TerminalError(TerminalErrorCode.BadFile, `the ${what} file ${path} is too large`, {
      next: NextStep.CheckFile,
    });
  const text = raw.toString('latin1').trim();
  if (text.length > 0 && /^[0-9a-fA-F\s]+$/.test(text)) {
    const hex = text.replace(/\s+/g, '');
    if (hex.length % 2 === 0) return fromHex(hex);
  }
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as { certificate?: unknown };
      if (typeof o.certificate === 'string' && /^[0-9a-fA-F]+$/.test(o.certificate)) return fromHex(o.certificate);
    } catch {
      // Not JSON after all: binary content that happens to start with '{' is handled below.
    }
  }
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * The ledger trust typed on the command line: the PEM file of --ledger-ca (checked) and --insecure-http.
 * @throws TerminalError BAD_FILE
 * @example const trust = ledgerTrustArgs({ ledgerCa: 'ledger-ca.pem' })
 */
export function ledgerTrustArgs(o: { readonly ledgerCa?: string; readonly insecureHttp?: boolean }): LedgerTrust {
  if (o.ledgerCa === undefined) return { insecureHttp: o.insecureHttp === true };
  let pem: string;
  try {
    pem = readFileSync(o.ledgerCa, 'utf8');
  } catch (e) {
    throw new TerminalError(
      TerminalErrorCode.BadFile,
      `cannot read the ledger CA file ${o.ledgerCa}: ${(e as Error).message}`,
      { next: NextStep.CheckFile },
      e,
    );
  }
  return { ca: parseLedgerCa(pem), insecureHttp: o.insecureHttp === true };
}
