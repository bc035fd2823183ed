/**
 * Version of the schema below, stored in `meta`; any other version is refused. Version 3 changed what a load
 * authorization signs (the card's counter, key 7): the authorizations of a version 1 or 2 database cannot be
 * re-signed, so such a database is refused rather than migrated (no pilot ran on one).
 */
export const SQLITE_SCHEMA_VERSION = 3;

/**
 * SQL condition on load_authorizations `a`: the card cannot have executed it. Its receipt is not recorded, and
 * the card's primary chain holds another receipt at the counter + 1 the authorization binds (signed by the
 * issuer into the authorization, and checked by the card before it executes a load): the card signed something
 * else where the load would have been.
 */
export const LOAD_NEVER_EXECUTED = `(a.receipt_id IS NULL AND EXISTS (
  SELECT 1 FROM receipts r WHERE r.card_id = a.card_id AND r.counter = a.card_counter + 1 AND r.is_primary = 1))`;

/**
 * SQL condition on load_authorizations `a`: void (LOAD_NEVER_EXECUTED) and not debited to its load point. A void
 * authorization of a card with a fraud case is debited all the same: the proof that it was never executed rests on
 * the receipt at counter + 1 being a genuine card's, which a cloned card's chain no longer shows.
 */
export const LOAD_NOT_DEBITED = `(${LOAD_NEVER_EXECUTED} AND NOT EXISTS (SELECT 1 FROM cases k WHERE k.card_id = a.card_id))`;

/**
 * The SQLite schema. Ids, hashes and keys are BLOBs; amounts are INTEGER minor units (never REAL).
 * Receipts are appended in rowid order (a batch's rows land on a few consecutive pages, so a commit writes little)
 * and found through the one index (card_id, counter) that every lookup needs: the per-receipt chain lookup
 * (counter-1 .. counter+1 of one card) also finds a duplicate, since equal payloads have equal card and counter.
 * A card's authorized and paid totals are derived (sums over load_authorizations and receipts), never stored twice.
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
  revoked_at INTEGER, over_spend_case INTEGER) STRICT;
CREATE TABLE IF NOT EXISTS load_authorizations (
  authorization_id BLOB PRIMARY KEY, load_id BLOB NOT NULL UNIQUE, card_id BLOB NOT NULL,
  amount INTEGER NOT NULL, currency INTEGER NOT NULL, time INTEGER NOT NULL, bytes BLOB NOT NULL,
  challenge BLOB NOT NULL, terminal_id BLOB, merchant_id BLOB, card_counter INTEGER NOT NULL, receipt_id BLOB) STRICT;
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
