/*
 * obol host platform: the SQLite store (host_db.h) — connection, pragmas, statement
 * cache, savepoint transactions and the translation of SQLite result codes into
 * HOST_ERR_* (the only place hostsim looks at SQLite codes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host_db_internal.h"

int host__db_err(host_db *db, int rc)
{
    int err;

    switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_NOMEM:
        err = HOST_ERR_NOMEM;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        err = HOST_ERR_BUSY;
        break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        err = HOST_ERR_IO;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        err = HOST_ERR_CORRUPT;
        break;
    case SQLITE_CONSTRAINT:
        /* A unique key names an existing row; a foreign key a missing one. Other
         * constraints (CHECK, NOT NULL) mean the caller passed a bad value. */
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
            rc == SQLITE_CONSTRAINT_ROWID)
            err = HOST_ERR_DUPLICATE;
        else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            err = HOST_ERR_NOTFOUND;
        else
            err = HOST_ERR_ARG;
        break;
    default:
        err = HOST_ERR_DB;
        break;
    }
    if (db != NULL) {
        db->last_code = rc;
        snprintf(db->errmsg, sizeof db->errmsg, "%s",
                 db->sql != NULL ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
    }
    return err;
}

/* The cache slot for SQL: open addressing on the string's address. */
static host__stmt_slot *slot_for(host_db *db, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) * 2654435761u, i;

    for (i = 0; i < HOST__DB_STMT_SLOTS; i++) {
        host__stmt_slot *s = &db->stmts[(h + i) % HOST__DB_STMT_SLOTS];
        if (s->sql == sql || s->sql == NULL)
            return s;
    }
    return NULL;
}

int host__db_stmt(host_db *db, const char *sql, sqlite3_stmt **out)
{
    host__stmt_slot *s = slot_for(db, sql);
    int rc;

    *out = NULL;
    if (s == NULL)
        return HOST_ERR_NOMEM; /* more distinct statements than slots: raise the limit */
    if (s->sql == NULL) {
        rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
        if (rc != SQLITE_OK) {
            s->st = NULL;
            return host__db_err(db, rc);
        }
        s->sql = sql;
    }
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    *out = s->st;
    return 0;
}

int host__db_step(host_db *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    int err;

    if (rc == SQLITE_ROW)
        return 1;
    /* Translate before the reset so the message is the step's. */
    err = rc == SQLITE_DONE ? 0 : host__db_err(db, rc);
    sqlite3_reset(st);
    return err;
}

int host__db_run(host_db *db, sqlite3_stmt *st)
{
    int rc = host__db_step(db, st);

    if (rc == 1) {
        sqlite3_reset(st);
        return 0;
    }
    return rc;
}

int host__db_exec(host_db *db, const char *sql)
{
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : host__db_err(db, sqlite3_extended_errcode(db->sql));
}

int host__db_begin(host_db *db)
{
    /* Savepoints nest; the outermost one opens the transaction. */
    int rc = host__db_exec(db, "SAVEPOINT host");

    if (rc == 0)
        db->depth++;
    return rc;
}

int host__db_commit(host_db *db)
{
    int rc = host__db_exec(db, "RELEASE host");

    if (rc != 0) {
        /* A failed commit (I/O error, disk full) leaves the transaction open: undo
         * it so the caller sees all or nothing. */
        host__db_rollback(db);
        return rc;
    }
    db->depth--;
    return 0;
}

void host__db_rollback(host_db *db)
{
    int code = db->last_code;
    char msg[sizeof db->errmsg];

    if (db->depth == 0)
        return;
    /* Keep the error that made the caller roll back, not the rollback's own. */
    memcpy(msg, db->errmsg, sizeof msg);
    if (sqlite3_get_autocommit(db->sql) == 0) {
        sqlite3_exec(db->sql, "ROLLBACK TO host", NULL, NULL, NULL);
        sqlite3_exec(db->sql, "RELEASE host", NULL, NULL, NULL);
    }
    /* SQLite may already have rolled back the whole transaction (e.g. after SQLITE_FULL
     * or an I/O error in the journal): then every savepoint is gone. */
    if (sqlite3_get_autocommit(db->sql) != 0)
        db->depth = 0;
    else
        db->depth--;
    db->last_code = code;
    memcpy(db->errmsg, msg, sizeof msg);
}

int64_t host__db_now(const host_db *db)
{
    return db->now >= 0 ? db->now : (int64_t)time(NULL);
}

void host_db_set_time(host_db *db, int64_t t)
{
    if (db != NULL)
        db->now = t < 0 ? -1 : t;
}

int64_t host_db_time(const host_db *db)
{
    return db == NULL ? 0 : host__db_now(db);
}

/* Runs a PRAGMA that returns one integer. */
static int pragma_int(host_db *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);

    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            if (out != NULL)
                *out = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK)
        rc = host__db_err(db, sqlite3_extended_errcode(db->sql));
    sqlite3_finalize(st);
    return rc;
}

int host_db_open(const char *path, const host_db_options *opt, host_db **out)
{
    host_db_options dflt;
    host_db *db = NULL;
    char sql[64];
    int rc, flags;

    if (out == NULL || path == NULL)
        return HOST_ERR_ARG;
    *out = NULL;
    if (opt == NULL) {
        memset(&dflt, 0, sizeof dflt);
        opt = &dflt;
    }
    db = calloc(1, sizeof *db);
    if (db == NULL)
        return HOST_ERR_NOMEM;
    db->now = -1;
    flags = opt->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    /* One connection per handle, used by one thread at a time: no SQLite mutexes. */
    flags |= SQLITE_OPEN_NOMUTEX;
    rc = sqlite3_open_v2(path, &db->sql, flags, opt->vfs);
    if (rc != SQLITE_OK) {
        rc = db->sql != NULL ? host__db_err(db, sqlite3_extended_errcode(db->sql)) : HOST_ERR_NOMEM;
        goto fail;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    sqlite3_busy_timeout(db->sql, 5000);
    if ((rc = host__db_exec(db, "PRAGMA foreign_keys=ON")) != 0)
        goto fail;

    if (!opt->read_only) {
        /* WAL: readers (reports, a second process) do not block the ingesting writer,
         * and a commit is one append to the log. */
        if ((rc = pragma_int(db, "PRAGMA journal_mode=WAL", NULL)) != 0)
            goto fail;
        if ((rc = host__db_exec(db, opt->durable ? "PRAGMA synchronous=FULL"
                                                 : "PRAGMA synchronous=NORMAL")) != 0)
            goto fail;
    }
    if (opt->cache_kib > 0) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", opt->cache_kib);
        if ((rc = host__db_exec(db, sql)) != 0)
            goto fail;
    }
    if ((rc = host__db_schema(db)) != 0)
        goto fail;
    *out = db;
    return 0;
fail:
    host_db_close(db);
    return rc;
}

void host_db_close(host_db *db)
{
    size_t i;

    if (db == NULL)
        return;
    for (i = 0; i < HOST__DB_STMT_SLOTS; i++)
        if (db->stmts[i].st != NULL)
            sqlite3_finalize(db->stmts[i].st);
    if (db->sql != NULL)
        sqlite3_close_v2(db->sql);
    free(db);
}

int host_db_schema_version(host_db *db)
{
    int64_t v = 0;
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    rc = pragma_int(db, "PRAGMA user_version", &v);
    return rc != 0 ? rc : (int)v;
}

int host_db_checkpoint(host_db *db)
{
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    rc = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return rc == SQLITE_OK ? 0 : host__db_err(db, rc);
}

int host_db_size(host_db *db, uint64_t *bytes)
{
    int64_t pages = 0, page_size = 0;
    sqlite3_file *wal = NULL;
    sqlite3_int64 wal_size = 0;
    int rc;

    if (db == NULL || bytes == NULL)
        return HOST_ERR_ARG;
    if ((rc = pragma_int(db, "PRAGMA page_count", &pages)) != 0 ||
        (rc = pragma_int(db, "PRAGMA page_size", &page_size)) != 0)
        return rc;
    /* The WAL's size through the VFS: the journal file handle of the main database. */
    if (sqlite3_file_control(db->sql, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
        wal != NULL && wal->pMethods != NULL && wal->pMethods->xFileSize(wal, &wal_size) != 0)
        wal_size = 0;
    *bytes = (uint64_t)(pages * page_size) + (uint64_t)wal_size;
    return 0;
}

const char *host_db_errmsg(const host_db *db)
{
    return db == NULL ? "" : db->errmsg;
}

int host_db_sqlite_code(const host_db *db)
{
    return db == NULL ? 0 : db->last_code;
}
