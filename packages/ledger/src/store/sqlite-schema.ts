/**
 * Version of the schema below, stored in `meta`; any other version is refused, not touched. Version 3 changed what
 * a load authorization signs (the card's counter, key 7), so earlier databases cannot be carried over; version 4
 * keeps each card's running state on its row (kept under the card's lock by the domain code, not derived by SQL),
 * the state of each load authorization, and the deny-list outbox. No pilot ran on an earlier version: such a
 * database is refused with the advice to initialise a new one, rather than migrated.
 */
export const SQLITE_SCHEMA_VERSION = 4;

/**
 * The SQLite schema. Ids, hashes and keys are BLOBs; amounts are INTEGER minor units (never REAL).
 * Receipts are appended in rowid order (a batch's rows land on a few consecutive pages, so a commit writes little)
 * and found through the one index (card_id, counter) that every lookup needs: the per-receipt chain lookup
 * (counter-1 .. counter+1 of one card) also finds a duplicate, since equal payloads have equal card and counter.
 * A card's row carries its running state (authorized and paid totals, the highest primary receipt as the chain's
 * tail, the count of pending load authorizations), written in the transaction that changes it; the value audit
 * recomputes all of it from the receipts. A deny_list row without a sequence waits in the outbox for the next list.
 * Merchants, enrolment invites (only a hash of each code) and terminal revocations are tables of their own, created
 * IF NOT EXISTS: a database of an earlier version gets them on open without a schema version step.
 */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS anchors (
  role INTEGER NOT NULL, subject BLOB NOT NULL, certificate BLOB NOT NULL,
  PRIMARY KEY (role, subject)) STRICT;
CREATE TABLE IF NOT EXISTS terminals (
  terminal_id BLOB PRIMARY KEY, merchant_id BLOB NOT NULL, mcc INTEGER NOT NULL, name TEXT NOT NULL,
  public_key BLOB NOT NULL, certificate BLOB NOT NULL, enrolled_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS merchants (
  merchant_id BLOB PRIMARY KEY, name TEXT NOT NULL, mcc INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS enrolment_invites (
  code_hash BLOB PRIMARY KEY, merchant_id BLOB NOT NULL, terminal_id BLOB, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, used_at INTEGER, enrolled_terminal_id BLOB) STRICT;
CREATE TABLE IF NOT EXISTS terminal_revocations (terminal_id BLOB PRIMARY KEY, revoked_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS cards (
  card_id BLOB PRIMARY KEY, issuer_id BLOB NOT NULL, currency INTEGER NOT NULL, certificate BLOB NOT NULL,
  revoked_at INTEGER, over_spend_case INTEGER,
  authorized INTEGER NOT NULL DEFAULT 0, paid INTEGER NOT NULL DEFAULT 0, pending_loads INTEGER NOT NULL DEFAULT 0,
  tail_id BLOB, tail_counter INTEGER NOT NULL DEFAULT 0, tail_prev_hash BLOB, tail_balance INTEGER NOT NULL DEFAULT 0,
  tail_kind INTEGER, tail_amount INTEGER) STRICT;
CREATE TABLE IF NOT EXISTS load_authorizations (
  authorization_id BLOB PRIMARY KEY, load_id BLOB NOT NULL UNIQUE, card_id BLOB NOT NULL,
  amount INTEGER NOT NULL, currency INTEGER NOT NULL, time INTEGER NOT NULL, bytes BLOB NOT NULL,
  challenge BLOB NOT NULL, terminal_id BLOB, merchant_id BLOB, card_counter INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 1, receipt_id BLOB) STRICT;
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
  card_id BLOB PRIMARY KEY, revoked_at INTEGER NOT NULL, case_id INTEGER NOT NULL, sequence INTEGER) STRICT;
CREATE INDEX IF NOT EXISTS deny_list_outbox ON deny_list (card_id) WHERE sequence IS NULL;
CREATE TABLE IF NOT EXISTS deny_list_versions (
  sequence INTEGER PRIMARY KEY, issued_at INTEGER NOT NULL, bytes BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS batches (
  batch_id BLOB PRIMARY KEY, terminal_id BLOB NOT NULL, sequence INTEGER NOT NULL, created_at INTEGER NOT NULL,
  source TEXT NOT NULL, first_received_at INTEGER NOT NULL, last_received_at INTEGER NOT NULL,
  submissions INTEGER NOT NULL, receipts INTEGER NOT NULL, accepted INTEGER NOT NULL, duplicates INTEGER NOT NULL,
  rejected INTEGER NOT NULL, double_spends INTEGER NOT NULL) STRICT;
`;
