import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile, ensurePrivateDirectory, exposedMode } from '@ehkd/core/node';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { CrashPoint, type FaultHook } from '../faults/crash-point.js';
import { storageFault, storageUnavailable } from './storage-space.js';
import { MIGRATION_1_TO_2, MIGRATION_2_TO_3, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { NextStep } from '../errors/next-step.js';

/** File name of the terminal's database inside its data directory. */
export const DATABASE_FILE = 'terminal.db';

/**
 * The terminal's SQLite database: WAL journal with synchronous=FULL, so a transaction is on disk (the WAL is
 * fsynced) when `write` returns, and a crash at any instant leaves either all of it or none of it.
 * Several processes may open the same file (the CLI's `charge` while `daemon` runs): writers take the lock
 * up front (BEGIN IMMEDIATE) and wait for each other up to the busy timeout.
 */
export class TerminalDatabase {
  /** Durable write transactions committed by this handle (each one fsync of the WAL). */
  #commits = 0;

  private constructor(
    readonly db: Database.Database,
    private readonly dataDir: string,
    private readonly fault: FaultHook | undefined,
  ) {}

  /**
   * Opens (creating if needed) the database in `dataDir`. It holds the terminal's private key: a new data directory
   * is made 0700 and a new database 0600 (SQLite gives its -wal and -shm files the same mode); an existing database
   * or journal that group or others can read or write is refused.
   * @throws TerminalError STORE_FAILED if it cannot be opened or has another schema version; FILE_PERMISSIONS;
   *   STORAGE_UNAVAILABLE when the disk is full, read-only or failing.
   */
  static open(dataDir: string, fault?: FaultHook): TerminalDatabase {
    const path = join(dataDir, DATABASE_FILE);
    let db: Database.Database;
    try {
      ensurePrivateDirectory(dataDir);
      if (!createPrivateFile(path)) refuseExposed(path);
      db = new Database(path);
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      if (e instanceof TerminalError) throw e;
      const fault = storageFault(e);
      if (fault !== undefined) throw storageUnavailable({ ...fault, dataDir }, e);
      throw new TerminalError(
        TerminalErrorCode.StoreFailed,
        `cannot open the terminal database in ${dataDir}: ${(e as Error).message}`,
        { next: NextStep.CheckDataDir },
        e,
      );
    }
    const store = new TerminalDatabase(db, dataDir, fault);
    store.migrate(dataDir);
    return store;
  }

  /** Commits counted so far (for the benchmark's fsyncs-per-tap figure). */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Runs `fn` in one durable write transaction (BEGIN IMMEDIATE ... COMMIT); rolls back if it throws.
   * @throws TerminalError STORAGE_UNAVAILABLE when the disk is full, read-only or failing (nothing of `fn` is kept)
   * @example db.write(() => insertIntent.run(...))
   */
  write<T>(fn: () => T): T {
    const result = this.storage(() => this.db.transaction(this.beforeCommit(fn)).immediate());
    this.#commits++;
    return result;
  }

  /**
   * Runs `fn` in a write transaction committed WITHOUT waiting for the disk (synchronous=NORMAL for this one
   * commit): it survives a process crash, and the next durable commit makes it durable against power loss too.
   * Only for marks whose loss errs on the safe side.
   */
  writeRelaxed<T>(fn: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.storage(() => this.db.transaction(this.beforeCommit(fn)).immediate());
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** `fn`, then the fault hook's commit point, inside the transaction (an injected failure rolls it back). */
  private beforeCommit<T>(fn: () => T): () => T {
    const fault = this.fault;
    if (fault === undefined) return fn;
    return () => {
      const result = fn();
      fault(CrashPoint.Commit);
      return result;
    };
  }

  /** Runs a write, turning a storage fault (ENOSPC, EROFS, EIO as SQLite reports them) into the terminal's error. */
  private storage<T>(write: () => T): T {
    try {
      return write();
    } catch (e) {
      const fault = storageFault(e);
      if (fault === undefined) throw e;
      throw storageUnavailable({ ...fault, dataDir: this.dataDir }, e);
    }
  }

  /** Closes the handle (checkpointing the WAL when it is the last one). Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(dataDir: string): void {
    // A current database is opened without a write, so that `status` and the like still work on a full disk.
    const current =
      this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get() !== undefined &&
      (
        this.db.prepare("SELECT value FROM settings WHERE key = 'schema_version'").get() as
          { value: string } | undefined
      )?.value === String(SCHEMA_VERSION);
    if (current) return;
    const version = this.write(() => {
      const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get();
      if (exists === undefined) {
        this.db.exec(SCHEMA_SQL);
        this.db.prepare("INSERT INTO settings (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      }
      const row = this.db.prepare("SELECT value FROM settings WHERE key = 'schema_version'").get() as
        { value: string } | undefined;
      if (row === undefined) return undefined;
      const found = Number(row.value);
      if (found !== 1 && found !== 2) return found;
      if (found === 1) this.db.exec(MIGRATION_1_TO_2);
      this.db.exec(MIGRATION_2_TO_3);
      this.db.prepare("UPDATE settings SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION));
      return SCHEMA_VERSION;
    });
    if (version !== SCHEMA_VERSION) {
      this.close();
      throw new TerminalError(
        TerminalErrorCode.StoreFailed,
        `the database in ${dataDir} has schema version ${String(version)}, this terminal needs ${SCHEMA_VERSION}`,
        {
          next: NextStep.UseMatchingVersion,
        },
      );
    }
  }
}

/** Refuses a database, or its -wal or -shm file, that group or others can read or write. @throws TerminalError FILE_PERMISSIONS */
function refuseExposed(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const mode = exposedMode(file);
    if (mode === undefined) continue;
    const bits = mode.toString(8).padStart(4, '0');
    throw new TerminalError(
      TerminalErrorCode.FilePermissions,
      `${file} holds the terminal's private key and is open to other users (mode ${bits})`,
      {
        next: NextStep.FixPermissions,
        path: file,
        mode,
      },
    );
  }
}

/** A blob read from SQLite as a plain Uint8Array view (Buffer stays at this I/O edge). */
export function blob(value: unknown): Uint8Array {
  const b = value as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
