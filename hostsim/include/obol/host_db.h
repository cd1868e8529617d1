/*
 * obol host platform: the platform's store, one SQLite database file per platform.
 *
 * host_db_open() opens (creating when needed) the file, turns on WAL and foreign
 * keys, and creates or checks the schema (PRAGMA user_version, application_id
 * "OBOL"). Every other hostsim service (host_hsm.h, host_issue.h, host_blacklist.h,
 * host_param.h, host_settle.h, host_tsm.h, ...) takes the host_db as its first
 * argument; they keep their prepared statements cached in it and wrap each unit of
 * work (one batch, one card issued) in a transaction. SQLite's result codes never
 * leave hostsim: they are translated into HOST_ERR_* at this boundary (DB, DUPLICATE,
 * NOTFOUND, IO, BUSY, CORRUPT, SCHEMA, NOMEM) and the last SQLite message is kept for
 * diagnostics (host_db_errmsg()).
 *
 * A host_db is one connection: use it from one thread at a time. Other processes may
 * read the file concurrently (WAL). The caller owns the handle and closes it.
 *
 * Time: records are stamped with the platform clock, seconds since 1970. Simulations
 * set it (host_db_set_time()) so runs are reproducible; until then it is the wall
 * clock.
 */
#ifndef OBOL_HOST_DB_H
#define OBOL_HOST_DB_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_error.h"

/* The schema version this code creates and accepts (PRAGMA user_version). */
#define HOST_DB_SCHEMA_VERSION 1
/* PRAGMA application_id of a platform database: "OBOL". */
#define HOST_DB_APPLICATION_ID 0x4F424F4C

typedef struct host_db host_db;

typedef struct host_db_options {
    const char *vfs; /* SQLite VFS name, NULL for the default (see host_faultvfs.h) */
    int read_only;   /* open without write access; writes fail with HOST_ERR_IO */
    int durable;     /* synchronous=FULL (fsync at every commit) instead of NORMAL */
    int cache_kib;   /* page cache size, 0 for SQLite's default */
} host_db_options;

/* Opens the platform database PATH (":memory:" works for tests but is one connection
 * only). OPT may be NULL. On success *OUT is a handle the caller closes with
 * host_db_close(). Returns 0, HOST_ERR_IO (cannot open or create), HOST_ERR_CORRUPT
 * (not a database, or another application's), HOST_ERR_SCHEMA (a newer schema),
 * HOST_ERR_NOMEM, HOST_ERR_ARG. */
int host_db_open(const char *path, const host_db_options *opt, host_db **out);

/* Finalizes the cached statements and closes the connection. NULL is a no-op. */
void host_db_close(host_db *db);

/* The schema version of the open database. */
int host_db_schema_version(host_db *db);

/* Sets the platform clock (seconds since 1970); T < 0 returns to the wall clock. */
void host_db_set_time(host_db *db, int64_t t);
int64_t host_db_time(const host_db *db);

/* Checkpoints the WAL into the main file and truncates it. */
int host_db_checkpoint(host_db *db);

/* Bytes the platform occupies on disk: the main file plus the WAL (page_count *
 * page_size for the main file, so it works on any VFS). */
int host_db_size(host_db *db, uint64_t *bytes);

/* The last SQLite error message seen on this handle ("" if none). Owned by DB, valid
 * until the next call on DB. */
const char *host_db_errmsg(const host_db *db);

/* The SQLite extended result code behind the last HOST_ERR_* translated on this
 * handle (0 if none), for diagnostics and tests. */
int host_db_sqlite_code(const host_db *db);

#endif /* OBOL_HOST_DB_H */
