import { fromHex, toHex, type EnrolmentRequest } from '@ehkd/core';
import { DEFAULT_TERMINAL_LIMITS, validateLimits, type TerminalLimits } from '../config/terminal-limits.js';
import type { LedgerTrust } from '../sync/ledger-client.js';
import { blob, type TerminalDatabase } from './terminal-database.js';

export type { EnrolmentRequest };

/** The terminal's key pair and, once enrolled, its certificate. */
export interface IdentityRecord {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly request: EnrolmentRequest;
  /** Terminal certificate (COSE_Sign1 bytes); absent until enrolment completes. */
  readonly certificate?: Uint8Array;
  readonly createdAt: number;
  readonly enrolledAt?: number;
}

/** The deny list in force, as received (verified before it was stored). */
export interface DenyListRecord {
  readonly bytes: Uint8Array;
  readonly sequence: number;
  readonly issuedAt: number;
  readonly entries: number;
  readonly updatedAt: number;
}

/**
 * How current the deny list in force is: as fresh as its signed `issuedAt`. The ledger re-signs the list it serves
 * once it is an hour old (same sequence, fresh `issuedAt`), so a terminal in touch stays current, while an old list
 * replayed by a network attacker cannot pass for a new one. `confirmedAt` records when the list was last received
 * as the newest (for status output only).
 */
export interface DenyListStanding {
  readonly sequence: number;
  readonly issuedAt: number;
  readonly entries: number;
  readonly confirmedAt: number;
  /** The signed issuedAt: what the maximum-age limit is measured from. */
  readonly freshAt: number;
}

/** When the terminal last reached the ledger, and how the last attempt went. */
export interface SyncMarks {
  /** Last sync that uploaded everything and refreshed the deny list. */
  readonly lastSuccessAt?: number;
  readonly lastAttemptAt?: number;
  /** Why the last attempt failed (cleared by a success). */
  readonly lastError?: string;
}

/** JSON form of a certificate request (hex for bytes): the offline request file, and how the terminal keeps it. */
export function enrolmentRequestJson(r: EnrolmentRequest): Record<string, string> {
  return {
    publicKey: toHex(r.publicKey),
    ...(r.terminalId !== undefined && { terminalId: toHex(r.terminalId) }),
    ...(r.merchantId !== undefined && { merchantId: toHex(r.merchantId) }),
  };
}

/** A stored request; requests kept by earlier versions also hold `mcc` and `name`, which the certificate now decides alone. */
function parseRequest(text: string): EnrolmentRequest {
  const o = JSON.parse(text) as Record<string, string | number>;
  return {
    publicKey: fromHex(String(o['publicKey'])),
    ...(o['terminalId'] !== undefined && { terminalId: fromHex(String(o['terminalId'])) }),
    ...(o['merchantId'] !== undefined && { merchantId: fromHex(String(o['merchantId'])) }),
  };
}

/**
 * The terminal's configuration: key, certificate, trust anchors, deny list, limits, ledger URL and sync marks.
 * All of it lives in the database so that a cold start with no network finds everything it needs.
 */
export class ConfigStore {
  constructor(private readonly database: TerminalDatabase) {}

  /** The key pair and certificate, if a key was made. */
  identity(): IdentityRecord | undefined {
    const row = this.database.db
      .prepare(
        'SELECT private_key, public_key, request, certificate, created_at, enrolled_at FROM identity WHERE singleton = 1',
      )
      .get() as
      | {
          private_key: Buffer;
          public_key: Buffer;
          request: string;
          certificate: Buffer | null;
          created_at: number;
          enrolled_at: number | null;
        }
      | undefined;
    if (row === undefined) return undefined;
    return {
      privateKey: blob(row.private_key),
      publicKey: blob(row.public_key),
      request: parseRequest(row.request),
      ...(row.certificate !== null && { certificate: blob(row.certificate) }),
      createdAt: row.created_at,
      ...(row.enrolled_at !== null && { enrolledAt: row.enrolled_at }),
    };
  }

  /** Stores a new key pair and the request made with it (the terminal has no identity yet). */
  saveIdentity(privateKey: Uint8Array, request: EnrolmentRequest, now: number): void {
    this.database.write(() => {
      this.database.db
        .prepare(
          'INSERT INTO identity (singleton, private_key, public_key, request, certificate, created_at, enrolled_at) VALUES (1, ?, ?, ?, NULL, ?, NULL)',
        )
        .run(privateKey, request.publicKey, JSON.stringify(enrolmentRequestJson(request)), now);
    });
  }

  /** Replaces the stored request of the existing key (a renewal, or another merchant or terminal id); keeps the certificate. */
  saveRequest(request: EnrolmentRequest): void {
    this.database.write(() => {
      this.database.db
        .prepare('UPDATE identity SET request = ? WHERE singleton = 1')
        .run(JSON.stringify(enrolmentRequestJson(request)));
    });
  }

  /**
   * Installs a verified certificate together with the trust anchors it was verified against (and a deny list,
   * when one came with it) in one transaction: the terminal is either fully enrolled or not at all.
   */
  installCertificate(
    certificate: Uint8Array,
    trustBundle: Uint8Array,
    denyList: Omit<DenyListRecord, 'updatedAt'> | undefined,
    now: number,
  ): void {
    this.database.write(() => {
      this.database.db
        .prepare('UPDATE identity SET certificate = ?, enrolled_at = ? WHERE singleton = 1')
        .run(certificate, now);
      this.putTrustBundle(trustBundle, now);
      if (denyList !== undefined) this.putDenyList(denyList, now);
    });
  }

  /** The trust-anchor bundle (TrustAnchorBundle CBOR, verified before it was stored). */
  trustBundle(): Uint8Array | undefined {
    const row = this.database.db.prepare('SELECT bundle FROM trust_anchors WHERE singleton = 1').get() as
      { bundle: Buffer } | undefined;
    return row === undefined ? undefined : blob(row.bundle);
  }

  /** Replaces the trust-anchor bundle (verified by the caller against the pinned root). */
  saveTrustBundle(bundle: Uint8Array, now: number): void {
    this.database.write(() => this.putTrustBundle(bundle, now));
  }

  /**
   * A key that changes whenever the trust anchors or the deny list change (in any process): deny lists only
   * move forward in (sequence, issuedAt).
   */
  trustVersion(): string {
    const row = this.database.db
      // The bundle's tail is a certificate signature: it differs between any two different bundles.
      .prepare(
        'SELECT (SELECT length(bundle) || hex(substr(bundle, -16)) FROM trust_anchors) AS t, (SELECT sequence FROM deny_list) AS s, (SELECT issued_at FROM deny_list) AS i',
      )
      .get() as { t: string | null; s: number | null; i: number | null };
    return `${row.t}:${row.s}:${row.i}`;
  }

  /** The deny list in force. */
  denyList(): DenyListRecord | undefined {
    const row = this.database.db
      .prepare('SELECT bytes, sequence, issued_at, entries, updated_at FROM deny_list WHERE singleton = 1')
      .get() as { bytes: Buffer; sequence: number; issued_at: number; entries: number; updated_at: number } | undefined;
    return row === undefined
      ? undefined
      : {
          bytes: blob(row.bytes),
          sequence: row.sequence,
          issuedAt: row.issued_at,
          entries: row.entries,
          updatedAt: row.updated_at,
        };
  }

  /** The deny list's sequence and freshness, without its bytes (read at every tap). */
  denyListStanding(): DenyListStanding | undefined {
    const row = this.database.db
      .prepare('SELECT sequence, issued_at, entries, confirmed_at FROM deny_list WHERE singleton = 1')
      .get() as { sequence: number; issued_at: number; entries: number; confirmed_at: number } | undefined;
    if (row === undefined) return undefined;
    return {
      sequence: row.sequence,
      issuedAt: row.issued_at,
      entries: row.entries,
      confirmedAt: row.confirmed_at,
      freshAt: row.issued_at,
    };
  }

  /**
   * Stores a verified deny list just received as the newest, unless the one held is newer (higher sequence, or same
   * sequence issued later): the list never goes backwards, even when two processes race to store theirs.
   * Receiving the list held again confirms it as still current.
   * @returns whether the list was stored.
   */
  saveDenyList(list: Omit<DenyListRecord, 'updatedAt'>, now: number): boolean {
    return this.database.write(() => this.putDenyList(list, now));
  }

  /** The terminal's risk limits (defaults until configured). */
  limits(): TerminalLimits {
    const text = this.setting('limits');
    return text === undefined ? DEFAULT_TERMINAL_LIMITS : validateLimits(JSON.parse(text) as TerminalLimits);
  }

  /** Replaces the risk limits. @throws TerminalError BAD_CONFIG */
  saveLimits(limits: TerminalLimits): void {
    const v = validateLimits(limits);
    this.saveSetting(
      'limits',
      JSON.stringify({
        floorLimit: v.floorLimit,
        maxOfflineAmount: v.maxOfflineAmount,
        maxOfflineCount: v.maxOfflineCount,
        maxDenyListAgeSeconds: v.maxDenyListAgeSeconds,
      }),
    );
  }

  /** Base URL of the ledger service, if configured. */
  ledgerUrl(): string | undefined {
    return this.setting('ledger_url');
  }

  /** Sets the ledger's base URL. */
  saveLedgerUrl(url: string): void {
    this.saveSetting('ledger_url', url);
  }

  /** The TLS trust and transport policy towards the ledger (no CA pinned, https only, until configured). */
  ledgerTrust(): LedgerTrust {
    const ca = this.setting('ledger_ca');
    return { ...(ca !== undefined && { ca }), insecureHttp: this.setting('ledger_insecure_http') === '1' };
  }

  /** Sets the ledger's base URL together with the trust to reach it by, in one transaction. */
  saveLedger(url: string, trust: LedgerTrust): void {
    this.database.write(() => {
      const put = this.database.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
      put.run('ledger_url', url);
      put.run('ledger_insecure_http', trust.insecureHttp ? '1' : '0');
      if (trust.ca === undefined) this.database.db.prepare("DELETE FROM settings WHERE key = 'ledger_ca'").run();
      else put.run('ledger_ca', trust.ca);
    });
  }

  /** Last sync success and attempt. */
  syncMarks(): SyncMarks {
    const n = (k: string): number | undefined => {
      const v = this.setting(k);
      return v === undefined ? undefined : Number(v);
    };
    const lastSuccessAt = n('last_sync_at');
    const lastAttemptAt = n('last_sync_attempt_at');
    const lastError = this.setting('last_sync_error');
    return {
      ...(lastSuccessAt !== undefined && { lastSuccessAt }),
      ...(lastAttemptAt !== undefined && { lastAttemptAt }),
      ...(lastError !== undefined && { lastError }),
    };
  }

  /** Records a sync attempt: success clears the last error. */
  recordSync(now: number, error: string | undefined): void {
    this.database.write(() => {
      const put = this.database.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
      put.run('last_sync_attempt_at', String(now));
      if (error === undefined) {
        put.run('last_sync_at', String(now));
        this.database.db.prepare("DELETE FROM settings WHERE key = 'last_sync_error'").run();
      } else {
        put.run('last_sync_error', error.slice(0, 500));
      }
    });
  }

  private setting(key: string): string | undefined {
    const row = this.database.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  }

  private saveSetting(key: string, value: string): void {
    this.database.write(() => {
      this.database.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    });
  }

  private putTrustBundle(bundle: Uint8Array, now: number): void {
    this.database.db
      .prepare('INSERT OR REPLACE INTO trust_anchors (singleton, bundle, updated_at) VALUES (1, ?, ?)')
      .run(bundle, now);
  }

  private putDenyList(list: Omit<DenyListRecord, 'updatedAt'>, now: number): boolean {
    const db = this.database.db;
    const held = db.prepare('SELECT sequence, issued_at FROM deny_list WHERE singleton = 1').get() as
      { sequence: number; issued_at: number } | undefined;
    if (
      held !== undefined &&
      (held.sequence > list.sequence || (held.sequence === list.sequence && held.issued_at >= list.issuedAt))
    ) {
      if (held.sequence === list.sequence)
        db.prepare('UPDATE deny_list SET confirmed_at = ? WHERE singleton = 1').run(now);
      return false;
    }
    db.prepare(
      'INSERT OR REPLACE INTO deny_list (singleton, bytes, sequence, issued_at, entries, updated_at, confirmed_at) VALUES (1, ?, ?, ?, ?, ?, ?)',
    ).run(list.bytes, list.sequence, list.issuedAt, list.entries, now, now);
    return true;
  }
}
