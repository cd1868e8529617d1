/*
 * obol terminal kernel: the store (term_store.h): opening in one of the two durability
 * modes, the schema, units of work, cached statements, and the translation of
 * SQLite's result codes into TERM_ERR_* (the only place they are looked at).
 *
 * Units of work. DURABLE: BEGIN IMMEDIATE .. COMMIT (one statement: autocommit) with
 * synchronous=FULL in WAL mode, so a unit is on disk when term__unit_commit() returns.
 * SIM: the store keeps one long transaction open and each unit is a savepoint
 * released into it (one statement needs none: it is atomic by itself); every GROUP
 * units (and at flush/close) the long transaction commits with synchronous=OFF. A
 * released unit can only be lost with the whole process, never with one simulated
 * terminal, so a terminal "crash" in a simulation keeps exactly its committed units.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term_internal.h"

static const char SCHEMA_V1[] =
    /* The journal: one row per transaction that reached the PSAM's MAC1. */
    "CREATE TABLE txn("
    "  id INTEGER PRIMARY KEY,"
    "  terminal INTEGER NOT NULL,"
    "  ttn INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  flags INTEGER NOT NULL,"
    "  serial INTEGER NOT NULL,"
    "  card_type INTEGER NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  counter INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  date BLOB NOT NULL,"
    "  time BLOB NOT NULL,"
    "  balance_before INTEGER NOT NULL,"
    "  balance_after INTEGER NOT NULL,"
    "  tac BLOB NOT NULL,"
    "  key_version INTEGER NOT NULL,"
    "  alg INTEGER NOT NULL,"
    "  entry_station INTEGER NOT NULL,"
    "  exit_station INTEGER NOT NULL,"
    "  operator INTEGER NOT NULL,"
    "  batch INTEGER NOT NULL DEFAULT 0,"
    "  acked INTEGER NOT NULL DEFAULT 0,"
    "  ack_result INTEGER NOT NULL DEFAULT 0,"
    "  ack_reason INTEGER NOT NULL DEFAULT 0,"
    "  at INTEGER NOT NULL,"
    "  UNIQUE(terminal, ttn)"
    ");"
    /* Serves the upload (batch 0, state COMPLETE) and the pending records (batch 0,
     * state PENDING) alike. */
    "CREATE INDEX txn_todo ON txn(terminal, batch, state);"
    /* Upload batches: content fixed when created (the records carry its seq). */
    "CREATE TABLE batch("
    "  terminal INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  status INTEGER NOT NULL," /* 0 to send or resend, 1 acknowledged, 2 rejected */
    "  records INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  reason INTEGER NOT NULL DEFAULT 0,"
    "  accepted INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0,"
    "  rejected INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL,"
    "  done INTEGER,"
    "  PRIMARY KEY(terminal, seq)"
    ") WITHOUT ROWID;"
    /* Per-terminal sequences (batch numbers, load transaction numbers). */
    "CREATE TABLE seq("
    "  terminal INTEGER NOT NULL,"
    "  which INTEGER NOT NULL,"
    "  next INTEGER NOT NULL,"
    "  PRIMARY KEY(terminal, which)"
    ") WITHOUT ROWID;"
    /* Parameter sets as downloaded (the protocol's payload); kind 3 = blacklist version. */
    "CREATE TABLE param("
    "  terminal INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  payload BLOB,"
    "  PRIMARY KEY(terminal, kind)"
    ") WITHOUT ROWID;"
    "CREATE TABLE blacklist("
    "  terminal INTEGER NOT NULL,"
    "  serial INTEGER NOT NULL,"
    "  reason INTEGER NOT NULL,"
    "  PRIMARY KEY(terminal, serial)"
    ") WITHOUT ROWID;"
    "CREATE TABLE event("
    "  id INTEGER PRIMARY KEY,"
    "  terminal INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  serial INTEGER NOT NULL,"
    "  detail INTEGER NOT NULL"
    ");";

static const char *const STMT_SQL[TERM__ST_COUNT] = {
    [TERM__ST_TXN_INSERT] =
        "INSERT INTO txn(terminal, ttn, state, kind, flags, serial, card_type, type, counter,"
        " amount, date, time, balance_before, balance_after, tac, key_version, alg,"
        " entry_station, exit_station, operator, at)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [TERM__ST_TXN_FINISH] = "UPDATE txn SET state=?2, flags=?3, tac=?4, balance_after=?5, at=?6"
                            " WHERE id=?1",
    [TERM__ST_TXN_GET] = "SELECT " TERM__TXN_COLUMNS " FROM txn WHERE id=?",
    [TERM__ST_TXN_FIND] = "SELECT " TERM__TXN_COLUMNS " FROM txn WHERE terminal=? AND ttn=?",
    [TERM__ST_TXN_PENDING] = "SELECT id, serial FROM txn WHERE terminal=? AND batch=0 AND state=0"
                             " ORDER BY id",
    [TERM__ST_TXN_ASSIGN] = "UPDATE txn SET batch=?3 WHERE id IN (SELECT id FROM txn"
                            " WHERE terminal=?1 AND batch=0 AND state=1 ORDER BY id LIMIT ?2)",
    [TERM__ST_TXN_BATCH] = "SELECT " TERM__TXN_COLUMNS " FROM txn WHERE terminal=? AND batch=?"
                           " ORDER BY id",
    [TERM__ST_TXN_ACK] = "UPDATE txn SET acked=1 WHERE terminal=? AND batch=?",
    [TERM__ST_TXN_NOTE] = "UPDATE txn SET ack_result=?2, ack_reason=?3 WHERE id=?1",
    [TERM__ST_BATCH_INSERT] = "INSERT INTO batch(terminal, seq, status, records, created)"
                              " VALUES(?,?,0,?,?)",
    [TERM__ST_BATCH_OPEN] = "SELECT seq, attempts FROM batch WHERE terminal=? AND status=0"
                            " ORDER BY seq LIMIT 1",
    [TERM__ST_BATCH_DONE] = "UPDATE batch SET status=?3, reason=?4, accepted=?5, duplicates=?6,"
                            " rejected=?7, done=?8 WHERE terminal=?1 AND seq=?2",
    [TERM__ST_BATCH_ATTEMPT] = "UPDATE batch SET attempts=attempts+1 WHERE terminal=? AND seq=?",
    [TERM__ST_SEQ_GET] = "SELECT next FROM seq WHERE terminal=? AND which=?",
    [TERM__ST_SEQ_PUT] = "INSERT OR REPLACE INTO seq(terminal, which, next) VALUES(?,?,?)",
    [TERM__ST_PARAM_GET] = "SELECT version, payload FROM param WHERE terminal=? AND kind=?",
    [TERM__ST_PARAM_PUT] = "INSERT OR REPLACE INTO param(terminal, kind, version, payload)"
                           " VALUES(?,?,?,?)",
    [TERM__ST_BL_CLEAR] = "DELETE FROM blacklist WHERE terminal=?",
    [TERM__ST_BL_ADD] = "INSERT OR REPLACE INTO blacklist(terminal, serial, reason) VALUES(?,?,?)",
    [TERM__ST_BL_DEL] = "DELETE FROM blacklist WHERE terminal=? AND serial=?",
    [TERM__ST_BL_ALL] = "SELECT serial, reason FROM blacklist WHERE terminal=? ORDER BY serial",
    [TERM__ST_EVENT_ADD] =
        "INSERT INTO event(terminal, at, kind, serial, detail) VALUES(?,?,?,?,?)",
};

/* Control statements, prepared once. */
enum { C_BEGIN, C_BEGIN_IMM, C_COMMIT, C_ROLLBACK, C_SAVEPOINT, C_RELEASE, C_ROLLBACK_TO, C_N };
static const char *const CTL_SQL[C_N] = {
    "BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK", "SAVEPOINT u", "RELEASE u", "ROLLBACK TO u",
};

typedef struct store_full {
    term_store s;
    sqlite3_stmt *ctl[C_N];
} store_full;

int term__store_err(term_store *s, int rc)
{
    const char *msg;

    if (s == NULL)
        return TERM_ERR_DB;
    s->sqlite_code = rc;
    msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    snprintf(s->errmsg, sizeof s->errmsg, "%s", msg != NULL ? msg : "");
    switch (rc & 0xFF) {
    case SQLITE_NOMEM:
        return TERM_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return TERM_ERR_BUSY;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return TERM_ERR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return TERM_ERR_CORRUPT;
    default:
        return TERM_ERR_DB;
    }
}

sqlite3_stmt *term__stmt(term_store *s, int id, int *rc)
{
    sqlite3_stmt *st = s->st[id];
    int r;

    if (st != NULL) {
        *rc = 0;
        return st;
    }
    r = sqlite3_prepare_v3(s->db, STMT_SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (r != SQLITE_OK) {
        *rc = term__store_err(s, r);
        return NULL;
    }
    s->st[id] = st;
    *rc = 0;
    return st;
}

int term__step_done(term_store *s, sqlite3_stmt *st)
{
    int r = sqlite3_step(st);
    int rc = r == SQLITE_DONE || r == SQLITE_ROW
                 ? 0
                 : term__store_err(s, sqlite3_extended_errcode(s->db));

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static int ctl(term_store *s, int which)
{
    store_full *f = (store_full *)s;
    int r;

    if (f->ctl[which] == NULL) {
        r = sqlite3_prepare_v3(s->db, CTL_SQL[which], -1, SQLITE_PREPARE_PERSISTENT, &f->ctl[which],
                               NULL);
        if (r != SQLITE_OK)
            return term__store_err(s, r);
    }
    return term__step_done(s, f->ctl[which]);
}

/* SIM: SQLite may have rolled the whole long transaction back on an error (I/O error,
 * disk full); then there is no outer transaction any more. */
static void sync_outer(term_store *s)
{
    if (s->mode == TERM_STORE_SIM && sqlite3_get_autocommit(s->db))
        s->outer = 0;
}

int term__unit_begin(term_store *s, int single)
{
    int rc = 0;

    if (s->in_unit)
        return TERM_ERR_STATE;
    if (s->mode == TERM_STORE_DURABLE) {
        /* One statement is a transaction of its own (autocommit), as durable. */
        if (!single)
            rc = ctl(s, C_BEGIN_IMM);
    } else {
        sync_outer(s);
        if (!s->outer) {
            if ((rc = ctl(s, C_BEGIN)) != 0)
                return rc;
            s->outer = 1;
            s->in_group = 0;
        }
        /* One statement is atomic by itself (SQLite undoes a failed statement), so it
         * needs no savepoint. */
        if (!single)
            rc = ctl(s, C_SAVEPOINT);
    }
    if (rc == 0) {
        s->in_unit = 1;
        s->single = single != 0;
    }
    return rc;
}

int term__unit_commit(term_store *s)
{
    int rc = 0;

    if (!s->in_unit)
        return TERM_ERR_STATE;
    s->in_unit = 0;
    if (s->mode == TERM_STORE_DURABLE) {
        if (s->single)
            return 0;
        rc = ctl(s, C_COMMIT);
        if (rc != 0) {
            /* A failed COMMIT may leave the transaction open: end it. */
            if (!sqlite3_get_autocommit(s->db))
                ctl(s, C_ROLLBACK);
        }
        return rc;
    }
    if (!s->single && (rc = ctl(s, C_RELEASE)) != 0) {
        sync_outer(s);
        return rc;
    }
    if (++s->in_group >= s->group) {
        rc = ctl(s, C_COMMIT);
        sync_outer(s);
        if (rc == 0) {
            s->outer = 0;
        } else if (s->outer) {
            ctl(s, C_ROLLBACK); /* the group is lost, as with a power cut */
            s->outer = 0;
        }
    }
    return rc;
}

void term__unit_rollback(term_store *s)
{
    if (!s->in_unit)
        return;
    s->in_unit = 0;
    if (s->single)
        return; /* the failed statement undid itself */
    if (s->mode == TERM_STORE_DURABLE) {
        if (!sqlite3_get_autocommit(s->db))
            ctl(s, C_ROLLBACK);
        return;
    }
    sync_outer(s);
    if (s->outer) {
        ctl(s, C_ROLLBACK_TO);
        ctl(s, C_RELEASE);
    }
}

int term_store_flush(term_store *s)
{
    int rc = 0;

    if (s == NULL)
        return TERM_ERR_ARG;
    if (s->in_unit)
        return TERM_ERR_STATE;
    sync_outer(s);
    if (s->mode == TERM_STORE_SIM && s->outer) {
        rc = ctl(s, C_COMMIT);
        sync_outer(s);
        if (rc == 0)
            s->outer = 0;
    }
    return rc;
}

int term_store_mode(const term_store *s)
{
    return s != NULL ? s->mode : 0;
}

const char *term_store_errmsg(const term_store *s)
{
    return s != NULL ? s->errmsg : "";
}

static int exec(term_store *s, const char *sql)
{
    int r = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return r == SQLITE_OK ? 0 : term__store_err(s, sqlite3_extended_errcode(s->db));
}

/* Creates or checks the schema (PRAGMA user_version, application_id). */
static int schema(term_store *s)
{
    sqlite3_stmt *st = NULL;
    int64_t version = 0, app = 0, tables = 0;
    char pragma[64];
    int r, rc;

    r = sqlite3_prepare_v2(s->db,
                           "SELECT (SELECT user_version FROM pragma_user_version),"
                           " (SELECT application_id FROM pragma_application_id),"
                           " (SELECT count(*) FROM sqlite_schema)",
                           -1, &st, NULL);
    if (r == SQLITE_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        version = sqlite3_column_int64(st, 0);
        app = sqlite3_column_int64(st, 1);
        tables = sqlite3_column_int64(st, 2);
        r = SQLITE_OK;
    }
    rc = r == SQLITE_OK ? 0 : term__store_err(s, sqlite3_extended_errcode(s->db));
    sqlite3_finalize(st);
    if (rc != 0)
        return rc;
    if (tables > 0 || version != 0 || app != 0) {
        if (app != TERM_STORE_APPLICATION_ID)
            return TERM_ERR_CORRUPT; /* somebody else's database */
        if (version > TERM_STORE_SCHEMA_VERSION)
            return TERM_ERR_SCHEMA;
        if (version < 1)
            return TERM_ERR_CORRUPT;
        return 0;
    }
    if ((rc = exec(s, "BEGIN IMMEDIATE")) != 0)
        return rc;
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d", (int)TERM_STORE_APPLICATION_ID);
    if ((rc = exec(s, SCHEMA_V1)) != 0 || (rc = exec(s, pragma)) != 0 ||
        (rc = exec(s, "PRAGMA user_version=1")) != 0 || (rc = exec(s, "COMMIT")) != 0) {
        exec(s, "ROLLBACK");
        return rc;
    }
    return 0;
}

int term_store_open(const char *path, const term_store_options *opt, term_store **out)
{
    term_store_options o;
    store_full *f;
    term_store *s;
    char pragma[64];
    int mem, r, rc;

    if (out == NULL)
        return TERM_ERR_ARG;
    *out = NULL;
    memset(&o, 0, sizeof o);
    if (opt != NULL)
        o = *opt;
    if (o.mode == 0)
        o.mode = TERM_STORE_DURABLE;
    if (o.mode != TERM_STORE_DURABLE && o.mode != TERM_STORE_SIM)
        return TERM_ERR_ARG;
    mem = path == NULL || strcmp(path, ":memory:") == 0;
    if (mem && o.mode != TERM_STORE_SIM)
        return TERM_ERR_ARG; /* an in-memory store cannot be durable */
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return TERM_ERR_NOMEM;
    s = &f->s;
    s->mode = o.mode;
    s->group = o.group ? o.group : 4096;
    r = sqlite3_open_v2(mem ? ":memory:" : path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, o.vfs);
    if (r != SQLITE_OK) {
        rc = s->db != NULL ? term__store_err(s, sqlite3_extended_errcode(s->db)) : TERM_ERR_NOMEM;
        if ((r & 0xFF) == SQLITE_CANTOPEN || (r & 0xFF) == SQLITE_PERM)
            rc = TERM_ERR_IO;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    if (o.cache_kib > 0) {
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", o.cache_kib);
        if ((rc = exec(s, pragma)) != 0)
            goto fail;
    }
    /* Reading the schema first tells a foreign file (NOTADB) from ours. */
    if ((rc = exec(s, "SELECT count(*) FROM sqlite_schema")) != 0)
        goto fail;
    if (!mem && (rc = exec(s, "PRAGMA journal_mode=WAL")) != 0)
        goto fail;
    rc = exec(s,
              o.mode == TERM_STORE_DURABLE ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
    if (rc != 0)
        goto fail;
    if ((rc = schema(s)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    term_store_close(s);
    return rc;
}

void term_store_close(term_store *s)
{
    store_full *f = (store_full *)s;

    if (s == NULL)
        return;
    if (s->db != NULL) {
        if (s->in_unit)
            term__unit_rollback(s);
        term_store_flush(s);
        for (int i = 0; i < TERM__ST_COUNT; i++)
            sqlite3_finalize(s->st[i]);
        for (int i = 0; i < C_N; i++)
            sqlite3_finalize(f->ctl[i]);
        sqlite3_close(s->db);
    }
    free(f);
}
