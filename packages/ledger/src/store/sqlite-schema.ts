/** Version of the schema below, stored in `meta`. Version 1 is migrated on open; any other version is refused. */
export const SQLITE_SCHEMA_VERSION = 2;

/**
 * Columns version 2 added to load_authorizations: the load point and merchant of a terminal-signed load request;
 * the challenge, unique per card; the card's counter when it issued the challenge (the load, if executed, is the
 * card's receipt at that counter + 1); and the id of the load receipt that executed it, set in the transaction
 * that records the receipt. The same definitions for a new database and for the migration of a version 1
 * database, whose loads were all authorised without a load point and whose challenge counters are unknown.
 */
export const LOAD_AUTHORIZATION_COLUMNS_V2 = ["challenge BLOB NOT NULL DEFAULT x''", 'terminal_id BLOB', 'merchant_id BLOB', 'card_counter INTEGER', 'receipt_id BLOB'] as const;

/**
 * SQL condition on load_authorizations `a`: the card cannot have executed it. Its receipt is not recorded, and
 * the card's primary chain already holds another receipt at the counter the load would have taken.
 */
export const LOAD_NEVER_EXECUTED = `(a.receipt_id IS NULL AND a.card_counter IS NOT NULL AND EXISTS (
  SELECT 1 FROM receipts r WHERE r.card_id = a.card_id AND r.counter = a.card_counter + 1 AND r.is_primary = 1))`;

/**
 * The SQLite schema. Ids, hashes and keys are BLOBs; amounts are INTEGER minor units (never REAL).
 * Receipts are appended in rowid order (a batch's rows land on a few consecutive pages, so a commit writes little)
 * and found through the one index (card_id, counter) that every lookup needs: the per-receipt chain lookup
 * (counter-1 .. counter+1 of one card) also finds a duplicate, since equal payloads have equal card and counter.
 * A card's authorised and paid totals are derived (sums over load_authorizations and receipts), never stored twice.
 */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS anchors (
  role INTEGER NOT NULL, subject BLOB NOT NULL, certificate BLOB NOT NULL,
  PRIMARY KEY (role, subject)) STRICT;
CREATE TABLE IF NOT EXISTS terminals (
  terminal_id BLOB PRIMARY KEY, merchant_id BLOB NOT NULL, mcc INTEGER NOT NULL, name TEXT NOT NULL,
  public_key BLOB NOT NULL, certificate BLOB NOT NULL, enrolled_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS cards (
  card_id BLOB PRIMARY KEY, issuer_id BLOB NOT NULL, currency INTEGER NOT NULL, certificate BLOB NOT NULL,
  revoked_at INTEGER, over_spend_case INTEGER) STRICT;
CREATE TABLE IF NOT EXISTS load_authorizations (
  authorization_id BLOB PRIMARY KEY, load_id BLOB NOT NULL UNIQUE, card_id BLOB NOT NULL,
  amount INTEGER NOT NULL, currency INTEGER NOT NULL, time INTEGER NOT NULL, bytes BLOB NOT NULL,
  ${LOAD_AUTHORIZATION_COLUMNS_V2.join(', ')}) STRICT;
CREATE INDEX IF NOT EXISTS load_authorizations_card ON load_authorizations (card_id);
CREATE UNIQUE INDEX IF NOT EXISTS load_authorizations_challenge ON load_authorizations (card_id, challenge);
CREATE TABLE IF NOT EXISTS receipts (
  card_id BLOB NOT NULL, counter INTEGER NOT NULL, id BLOB NOT NULL,
  kind INTEGER NOT NULL, amount INTEGER NOT NULL, currency INTEGER NOT NULL, balance_after INTEGER NOT NULL,
  prev_hash BLOB NOT NULL, time INTEGER NOT NULL,
  is_primary INTEGER NOT NULL, disposition INTEGER NOT NULL, liability INTEGER, case_id INTEGER,
  terminal_id BLOB, merchant_id BLOB, batch_id BLOB, ingested_at INTEGER NOT NULL, bytes BLOB NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS receipts_card_counter ON receipts (card_id, counter);
CREATE TABLE IF NOT EXISTS cases (
  case_id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, card_id BLOB NOT NULL, issuer_id BLOB NOT NULL,
  counters TEXT NOT NULL, detected_at INTEGER NOT NULL, receipt_id BLOB NOT NULL, batch_id BLOB, evidence BLOB) STRICT;
CREATE TABLE IF NOT EXISTS deny_list (
  card_id BLOB PRIMARY KEY, revoked_at INTEGER NOT NULL, case_id INTEGER NOT NULL, sequence INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS deny_list_versions (
  sequence INTEGER PRIMARY KEY, issued_at INTEGER NOT NULL, bytes BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS batches (
  batch_id BLOB PRIMARY KEY, terminal_id BLOB NOT NULL, sequence INTEGER NOT NULL, created_at INTEGER NOT NULL,
  source TEXT NOT NULL, first_received_at INTEGER NOT NULL, last_received_at INTEGER NOT NULL,
  submissions INTEGER NOT NULL, receipts INTEGER NOT NULL, accepted INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  rejected INTEGER NOT NULL, double_spends INTEGER NOT NULL) STRICT;
`;
