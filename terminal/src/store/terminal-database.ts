import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TerminalError, TerminalErrorCode } from '../errors/terminal-error.js';
import { MIGRATION_1_TO_2, MIGRATION_2_TO_3, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';

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

  private constructor(readonly db: Database.Database) {}

  /**
   * Opens (creating if needed) the database in `dataDir`.
   * @throws TerminalError STORE_FAILED if it cannot be opened or has another schema version.
   */
  static open(dataDir: string): TerminalDatabase {
    let db: Database.Database;
    try {
      mkdirSync(dataDir, { recursive: true });
      db = new Database(join(dataDir, DATABASE_FILE));
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      throw new TerminalError(TerminalErrorCode.StoreFailed, `cannot open the terminal database in ${dataDir}: ${(e as Error).message}`, { action: 'Check the data directory (path, permissions, free space).' }, e);
    }
    const store = new TerminalDatabase(db);
    store.migrate(dataDir);
    return store;
  }

  /** Commits counted so far (for the benchmark's fsyncs-per-tap figure). */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Runs `fn` in one durable write transaction (BEGIN IMMEDIATE ... COMMIT); rolls back if it throws.
   * @example db.write(() => insertIntent.run(...))
   */
  write<T>(fn: () => T): T {
    const result = this.db.transaction(fn).immediate();
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
      return this.db.transaction(fn).immediate();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /** Closes the handle (checkpointing the WAL when it is the last one). Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(dataDir: string): void {
    const version = this.write(() => {
      const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get();
      if (exists === undefined) {
        this.db.exec(SCHEMA_SQL);
        this.db.prepare("INSERT INTO settings (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      }
      const row = this.db.prepare("SELECT value FROM settings WHERE key = 'schema_version'").get() as { value: string } | undefined;
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
      throw new TerminalError(TerminalErrorCode.StoreFailed, `the database in ${dataDir} has schema version ${String(version)}, this terminal needs ${SCHEMA_VERSION}`, {
        action: 'Use the terminal version that created this data directory, or a new data directory.',
      });
    }
  }
}

/** A blob read from SQLite as a plain Uint8Array view (Buffer stays at this I/O edge). */
export function blob(value: unknown): Uint8Array {
  const b = value as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
