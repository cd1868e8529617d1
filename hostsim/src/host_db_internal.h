/*
 * obol host platform: what hostsim's services share about the store (private).
 *
 * The host_db structure, the statement cache, transactions as nestable savepoints,
 * and the translation of SQLite codes. A service keeps its SQL as `static const char`
 * strings and asks host__db_stmt() for the cached prepared statement: the string's
 * address is the cache key, so each statement is prepared once per connection.
 */
#ifndef OBOL_HOST_DB_INTERNAL_H
#define OBOL_HOST_DB_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "obol/host_db.h"

enum { HOST__DB_STMT_SLOTS = 256 };

typedef struct host__stmt_slot {
    const char *sql;
    sqlite3_stmt *st;
} host__stmt_slot;

struct host_db {
    sqlite3 *sql;
    host__stmt_slot stmts[HOST__DB_STMT_SLOTS];
    int depth;     /* open savepoints */
    int64_t now;   /* platform clock, or -1 for the wall clock */
    int last_code; /* SQLite extended code of the last translated error */
    char errmsg[256];
};

/* Translates the SQLite result RC into 0 or a HOST_ERR_* code, remembering the
 * message and code on DB when it is an error. SQLITE_ROW and SQLITE_DONE are 0. */
int host__db_err(host_db *db, int rc);

/* The cached prepared statement for SQL (which must be a string with static storage
 * duration: its address is the key), reset and with its bindings cleared. */
int host__db_stmt(host_db *db, const char *sql, sqlite3_stmt **out);

/* Steps ST once: 1 for a row, 0 when done, or a negative HOST_ERR_*. On done or error
 * the statement is reset so it holds no read lock. */
int host__db_step(host_db *db, sqlite3_stmt *st);

/* Steps ST to completion expecting no row (INSERT/UPDATE/DELETE) and resets it. */
int host__db_run(host_db *db, sqlite3_stmt *st);

/* Executes SQL (one or more statements, no results) without caching. */
int host__db_exec(host_db *db, const char *sql);

/* Transactions: begin opens a savepoint (the outermost one is the transaction);
 * commit releases it; rollback undoes everything since its begin and releases it.
 * Every begin is matched by exactly one commit or rollback. */
int host__db_begin(host_db *db);
int host__db_commit(host_db *db);
void host__db_rollback(host_db *db);

/* The platform clock. */
int64_t host__db_now(const host_db *db);

/* Creates the schema in an empty database or checks an existing one (host_schema.c). */
int host__db_schema(host_db *db);

/* Binding helpers for the 64-bit serial and terminal ids: SQLite integers are signed,
 * so a serial with its top bit set is stored as the negative number with the same bits. */
static inline int64_t host__i64(uint64_t v)
{
    return (int64_t)v;
}

static inline uint64_t host__u64(int64_t v)
{
    return (uint64_t)v;
}

#endif /* OBOL_HOST_DB_INTERNAL_H */
