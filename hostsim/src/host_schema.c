/*
 * obol host platform: the database schema (version 1), created by the code.
 *
 * One table per kind of fact; docs/host-platform.md describes each. Serials and
 * terminal ids are INTEGER keys (the 8- and 6-byte values as numbers), amounts are
 * integers in fen, days are YYYYMMDD and times hhmmss numbers, timestamps seconds
 * since 1970 from the platform clock. A later schema version adds an upgrade step
 * in host__db_schema() and bumps HOST_DB_SCHEMA_VERSION.
 */
#include <stddef.h>

#include "host_db_internal.h"

static const char SCHEMA_V1[] =
    /* Key/value facts about this platform (the storage-key check value). */
    "CREATE TABLE meta("
    "  key TEXT PRIMARY KEY,"
    "  value BLOB NOT NULL"
    ") WITHOUT ROWID;"

    /* Issuers (card issuers, cities) and the serials they allocate. */
    "CREATE TABLE issuer("
    "  code INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  serial_prefix INTEGER NOT NULL CHECK(serial_prefix BETWEEN 0 AND 4294967295),"
    "  next_serial INTEGER NOT NULL DEFAULT 1"
    ");"

    /* Master keys, wrapped under the storage key (AES-256-GCM, the row's identity as
     * associated data). Never stored or returned in clear. */
    "CREATE TABLE master_key("
    "  issuer INTEGER NOT NULL REFERENCES issuer(code),"
    "  industry INTEGER NOT NULL,"
    "  usage INTEGER NOT NULL,"
    "  version INTEGER NOT NULL CHECK(version BETWEEN 0 AND 255),"
    "  levels INTEGER NOT NULL CHECK(levels IN (1, 2)),"
    "  label TEXT NOT NULL,"
    "  kcv BLOB NOT NULL,"
    "  wrapped BLOB NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  PRIMARY KEY(issuer, industry, usage, version)"
    ") WITHOUT ROWID;"

    /* The card registry: one row per application serial, with its life cycle. */
    "CREATE TABLE card("
    "  serial INTEGER PRIMARY KEY,"
    "  issuer INTEGER NOT NULL REFERENCES issuer(code),"
    "  industry INTEGER NOT NULL,"
    "  card_type INTEGER NOT NULL,"
    "  key_version INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  initial_balance INTEGER NOT NULL,"
    "  max_balance INTEGER NOT NULL,"
    "  deposit INTEGER NOT NULL,"
    "  expiry INTEGER NOT NULL,"
    "  issued_at INTEGER NOT NULL,"
    "  state_at INTEGER NOT NULL,"
    "  replaced_by INTEGER REFERENCES card(serial)"
    ");"
    "CREATE TABLE card_event("
    "  id INTEGER PRIMARY KEY,"
    "  serial INTEGER NOT NULL REFERENCES card(serial),"
    "  at INTEGER NOT NULL,"
    "  from_state INTEGER NOT NULL,"
    "  to_state INTEGER NOT NULL,"
    "  reason INTEGER NOT NULL"
    ");"
    "CREATE INDEX card_event_serial ON card_event(serial);"

    /* Operators (who is settled) and their terminals, with what each terminal has
     * acknowledged of the blacklist and parameters. */
    "CREATE TABLE operator("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL"
    ");"
    "CREATE TABLE terminal("
    "  id INTEGER PRIMARY KEY CHECK(id BETWEEN 1 AND 281474976710655),"
    "  operator INTEGER NOT NULL REFERENCES operator(id),"
    "  kind INTEGER NOT NULL,"
    "  station INTEGER NOT NULL,"
    "  param_set INTEGER NOT NULL,"
    "  in_service INTEGER NOT NULL DEFAULT 1,"
    "  bl_version INTEGER NOT NULL DEFAULT 0,"
    "  bl_acked_at INTEGER,"
    "  fare_version INTEGER NOT NULL DEFAULT 0,"
    "  param_version INTEGER NOT NULL DEFAULT 0,"
    "  last_seen INTEGER"
    ");"

    /* The blacklist: every change is a version; the current list is derived. */
    "CREATE TABLE blacklist_change("
    "  version INTEGER PRIMARY KEY,"
    "  serial INTEGER NOT NULL,"
    "  op INTEGER NOT NULL CHECK(op IN (0, 1)),"
    "  reason INTEGER NOT NULL,"
    "  at INTEGER NOT NULL"
    ");"
    "CREATE INDEX blacklist_change_serial ON blacklist_change(serial, version);"
    "CREATE TABLE blacklist("
    "  serial INTEGER PRIMARY KEY,"
    "  reason INTEGER NOT NULL,"
    "  version INTEGER NOT NULL"
    ");"

    /* Parameters by version: fare tables per operator, terminal parameter sets. The
     * payload is the protocol's encoding (host_fare.h), served as stored. */
    "CREATE TABLE fare_table("
    "  operator INTEGER NOT NULL REFERENCES operator(id),"
    "  version INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  PRIMARY KEY(operator, version)"
    ") WITHOUT ROWID;"
    "CREATE TABLE param_set("
    "  set_id INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  PRIMARY KEY(set_id, version)"
    ") WITHOUT ROWID;"

    /* Clearing: batches (idempotent by terminal and sequence), accepted
     * transactions, and everything refused or flagged. */
    "CREATE TABLE batch("
    "  id INTEGER PRIMARY KEY,"
    "  terminal INTEGER NOT NULL REFERENCES terminal(id),"
    "  seq INTEGER NOT NULL,"
    "  digest BLOB NOT NULL,"
    "  received INTEGER NOT NULL,"
    "  records INTEGER NOT NULL,"
    "  accepted INTEGER NOT NULL,"
    "  duplicates INTEGER NOT NULL,"
    "  rejected INTEGER NOT NULL,"
    "  repeats INTEGER NOT NULL DEFAULT 0,"
    "  notes BLOB NOT NULL,"
    "  UNIQUE(terminal, seq)"
    ");"
    "CREATE TABLE txn("
    "  id INTEGER PRIMARY KEY,"
    "  batch INTEGER NOT NULL REFERENCES batch(id),"
    "  serial INTEGER NOT NULL REFERENCES card(serial),"
    "  kind INTEGER NOT NULL,"
    "  counter INTEGER NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  card_type INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  terminal INTEGER NOT NULL,"
    "  ttn INTEGER NOT NULL,"
    "  day INTEGER NOT NULL,"
    "  time INTEGER NOT NULL,"
    "  balance_before INTEGER NOT NULL,"
    "  balance_after INTEGER NOT NULL,"
    "  tac BLOB NOT NULL,"
    "  key_version INTEGER NOT NULL,"
    "  alg INTEGER NOT NULL,"
    "  entry_station INTEGER NOT NULL,"
    "  exit_station INTEGER NOT NULL,"
    "  operator INTEGER NOT NULL,"
    "  UNIQUE(serial, kind, counter),"
    "  UNIQUE(terminal, ttn)"
    ");"
    "CREATE INDEX txn_day ON txn(day, operator);"
    "CREATE TABLE exception("
    "  id INTEGER PRIMARY KEY,"
    "  at INTEGER NOT NULL,"
    "  source INTEGER NOT NULL,"
    "  severity INTEGER NOT NULL,"
    "  reason INTEGER NOT NULL,"
    "  terminal INTEGER,"
    "  batch_seq INTEGER,"
    "  batch INTEGER REFERENCES batch(id),"
    "  rec_index INTEGER,"
    "  serial INTEGER,"
    "  counter INTEGER,"
    "  detail TEXT NOT NULL,"
    "  raw BLOB"
    ");"
    "CREATE INDEX exception_reason ON exception(reason);"
    "CREATE TABLE counter_gap("
    "  serial INTEGER NOT NULL REFERENCES card(serial),"
    "  kind INTEGER NOT NULL,"
    "  first_missing INTEGER NOT NULL,"
    "  last_missing INTEGER NOT NULL,"
    "  detected INTEGER NOT NULL,"
    "  PRIMARY KEY(serial, kind, first_missing)"
    ") WITHOUT ROWID;"
    "CREATE TABLE settlement("
    "  operator INTEGER NOT NULL REFERENCES operator(id),"
    "  day INTEGER NOT NULL,"
    "  purchases INTEGER NOT NULL,"
    "  purchase_amount INTEGER NOT NULL,"
    "  loads INTEGER NOT NULL,"
    "  load_amount INTEGER NOT NULL,"
    "  computed INTEGER NOT NULL,"
    "  PRIMARY KEY(operator, day)"
    ") WITHOUT ROWID;"

    /* Online load authorizations: the latest per card and online counter. */
    "CREATE TABLE load_auth("
    "  serial INTEGER NOT NULL REFERENCES card(serial),"
    "  online_counter INTEGER NOT NULL,"
    "  terminal INTEGER NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  old_balance INTEGER NOT NULL,"
    "  request BLOB NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  reason INTEGER NOT NULL,"
    "  mac2 BLOB NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  PRIMARY KEY(serial, online_counter)"
    ") WITHOUT ROWID;"

    /* TSM: OTA campaigns and their delivery to each card. */
    "CREATE TABLE tsm_campaign("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  op INTEGER NOT NULL,"
    "  app_aid BLOB NOT NULL,"
    "  elf_aid BLOB,"
    "  module_aid BLOB,"
    "  privileges BLOB,"
    "  params BLOB,"
    "  kvn INTEGER NOT NULL,"
    "  level INTEGER NOT NULL,"
    "  max_attempts INTEGER NOT NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE tsm_delivery("
    "  campaign INTEGER NOT NULL REFERENCES tsm_campaign(id),"
    "  serial INTEGER NOT NULL REFERENCES card(serial),"
    "  state INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  sessions INTEGER NOT NULL DEFAULT 0,"
    "  script BLOB NOT NULL,"
    "  how INTEGER NOT NULL DEFAULT 0,"
    "  last_reason INTEGER NOT NULL DEFAULT 0,"
    "  last_sw INTEGER NOT NULL DEFAULT 0,"
    "  updated INTEGER NOT NULL,"
    "  PRIMARY KEY(campaign, serial)"
    ") WITHOUT ROWID;"
    "CREATE INDEX tsm_delivery_card ON tsm_delivery(serial, state);";

int host__db_schema(host_db *db)
{
    sqlite3_stmt *st = NULL;
    int64_t version = 0, app = 0, tables = 0;
    int rc;

    /* Read what is there: an empty file has no tables, version 0 and id 0. */
    rc = sqlite3_prepare_v2(db->sql,
                            "SELECT (SELECT user_version FROM pragma_user_version),"
                            " (SELECT application_id FROM pragma_application_id),"
                            " (SELECT count(*) FROM sqlite_schema)",
                            -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        version = sqlite3_column_int64(st, 0);
        app = sqlite3_column_int64(st, 1);
        tables = sqlite3_column_int64(st, 2);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        rc = host__db_err(db, sqlite3_extended_errcode(db->sql));
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    if (tables > 0 || version != 0 || app != 0) {
        if (app != HOST_DB_APPLICATION_ID)
            return HOST_ERR_CORRUPT; /* somebody else's database */
        if (version > HOST_DB_SCHEMA_VERSION)
            return HOST_ERR_SCHEMA;
        if (version < 1)
            return HOST_ERR_CORRUPT; /* ours, but never finished creating */
        return 0;
    }
    /* A new platform: the whole schema in one transaction, stamped at the end. */
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host__db_exec(db, SCHEMA_V1)) != 0 ||
        (rc = host__db_exec(db, "PRAGMA application_id=1329745740")) != 0 ||
        (rc = host__db_exec(db, "PRAGMA user_version=1")) != 0) {
        host__db_rollback(db);
        return rc;
    }
    return host__db_commit(db);
}
