/**
 * Version of the schema below. Versions 1 and 2 are migrated on open (MIGRATION_1_TO_2, then MIGRATION_2_TO_3);
 * any other version is refused.
 */
export const SCHEMA_VERSION = 3;

/**
 * Loads this terminal sent to a card as a load point (version 2): written before LOAD goes out ('sent': the card
 * may or may not execute it), then holding the card's load receipt until the ledger has it ('loaded'), or the
 * ledger's refusal of it ('refused'). A row is deleted once the ledger has the receipt or the card is known not to
 * have executed the load.
 */
const LOAD_INTENTS_SQL = `
CREATE TABLE load_intents (
  authorization_id  BLOB PRIMARY KEY,
  card_id           BLOB NOT NULL,
  card_certificate  BLOB NOT NULL,
  amount            INTEGER NOT NULL CHECK (amount > 0),
  counter_seen      INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('sent', 'loaded', 'refused')),
  receipt           BLOB,
  detail            TEXT
) STRICT;
CREATE INDEX load_intents_by_card ON load_intents (card_id);
`;

/** What version 2 adds to a version 1 database. */
export const MIGRATION_1_TO_2 = LOAD_INTENTS_SQL;

/**
 * Cards the tap declined because their counter went back below a receipt this terminal holds (version 3): a
 * restored or copied card file, or a clone. `evidence` is the DoubleSpendEvidence when the card's own log showed a
 * receipt conflicting with a held one (card-signed proof, delivered to the ledger at the next sync: `evidence_state`
 * pending -> delivered | refused); a plain rollback has no proof and no evidence. One row per distinct evidence.
 */
const CARD_INCIDENTS_SQL = `
CREATE TABLE card_incidents (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  card_id          BLOB NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('rollback', 'conflicting-counter', 'chain-fork')),
  counter_seen     INTEGER NOT NULL,
  held_counter     INTEGER NOT NULL,
  detail           TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  evidence         BLOB,
  evidence_id      BLOB UNIQUE,
  evidence_state   TEXT CHECK (evidence_state IN ('pending', 'delivered', 'refused')),
  evidence_answer  TEXT,
  delivered_at     INTEGER
) STRICT;
CREATE INDEX card_incidents_pending ON card_incidents (seq) WHERE evidence_state = 'pending';
`;

/** What version 3 adds to a version 2 database. */
export const MIGRATION_2_TO_3 = CARD_INCIDENTS_SQL;

/**
 * The terminal's durable state, one SQLite file (WAL, synchronous=FULL).
 *
 * Receipt states (see receipt-state.ts): queued -> uploading -> accepted | duplicate | rejected | double-spend,
 * queued -> exported -> uploading, and uploading -> queued when the ledger refused the whole batch or left a
 * receipt out of its answer. Intent states: pending -> completed | voided; a completed intent is `announced`
 * once its approval was shown (after a crash before that, the next tap of its card shows it instead of charging).
 * Blobs are raw bytes (ids, keys, COSE messages exactly as received); times are Unix seconds.
 */
export const SCHEMA_SQL = `
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE identity (
  singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
  private_key  BLOB NOT NULL,
  public_key   BLOB NOT NULL,
  request      TEXT NOT NULL,
  certificate  BLOB,
  created_at   INTEGER NOT NULL,
  enrolled_at  INTEGER
) STRICT;

CREATE TABLE trust_anchors (
  singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
  bundle      BLOB NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE deny_list (
  singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
  bytes         BLOB NOT NULL,
  sequence      INTEGER NOT NULL,
  issued_at     INTEGER NOT NULL,
  entries       INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  confirmed_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE card_certificates (
  id       BLOB PRIMARY KEY,
  card_id  BLOB NOT NULL,
  bytes    BLOB NOT NULL
) STRICT;

CREATE TABLE intents (
  nonce                BLOB PRIMARY KEY,
  card_id              BLOB NOT NULL,
  card_certificate_id  BLOB NOT NULL REFERENCES card_certificates (id),
  amount               INTEGER NOT NULL CHECK (amount > 0),
  currency             INTEGER NOT NULL,
  counter_seen         INTEGER NOT NULL,
  created_at           INTEGER NOT NULL,
  state                TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'voided')),
  resolution           TEXT,
  detail               TEXT,
  receipt_id           BLOB,
  resolved_at          INTEGER,
  announced_at         INTEGER
) STRICT;
CREATE INDEX intents_pending_by_card ON intents (card_id) WHERE state = 'pending';
CREATE INDEX intents_unannounced_by_card ON intents (card_id) WHERE state = 'completed' AND announced_at IS NULL;

CREATE TABLE batches (
  id            BLOB PRIMARY KEY,
  sequence      INTEGER NOT NULL UNIQUE,
  purpose       TEXT NOT NULL CHECK (purpose IN ('upload', 'export')),
  bytes         BLOB NOT NULL,
  receipts      INTEGER NOT NULL,
  amount        INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'answered', 'refused', 'exported')),
  created_at    INTEGER NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  last_error    TEXT,
  answered_at   INTEGER,
  result        BLOB,
  file          TEXT
) STRICT;

CREATE TABLE receipts (
  seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
  id                   BLOB NOT NULL UNIQUE,
  bytes                BLOB NOT NULL,
  card_id              BLOB NOT NULL,
  counter              INTEGER NOT NULL,
  amount               INTEGER NOT NULL,
  currency             INTEGER NOT NULL,
  nonce                BLOB NOT NULL UNIQUE REFERENCES intents (nonce),
  balance_after        INTEGER NOT NULL,
  time                 INTEGER NOT NULL,
  card_certificate_id  BLOB NOT NULL REFERENCES card_certificates (id),
  state                TEXT NOT NULL CHECK (state IN ('queued', 'uploading', 'accepted', 'duplicate', 'rejected', 'double-spend', 'exported')),
  batch_id             BLOB REFERENCES batches (id),
  check_id             TEXT,
  reason               TEXT,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) STRICT;
CREATE INDEX receipts_by_state ON receipts (state, seq);
CREATE INDEX receipts_by_card ON receipts (card_id, counter);

CREATE TABLE batch_receipts (
  batch_id    BLOB NOT NULL REFERENCES batches (id),
  receipt_id  BLOB NOT NULL REFERENCES receipts (id),
  PRIMARY KEY (batch_id, receipt_id)
) STRICT, WITHOUT ROWID;
${LOAD_INTENTS_SQL}${CARD_INCIDENTS_SQL}`;
