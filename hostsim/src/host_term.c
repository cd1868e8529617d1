/*
 * obol host platform: the operator and terminal registry (host_term.h).
 */
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_term.h"

static const char SQL_OP_ADD[] = "INSERT INTO operator(id, name) VALUES(?1, ?2)";
static const char SQL_TERM_ADD[] =
    "INSERT INTO terminal(id, operator, kind, station, param_set, in_service) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_TERM_GET[] =
    "SELECT operator, kind, station, param_set, in_service, bl_version, fare_version, "
    "param_version, coalesce(last_seen, 0) FROM terminal WHERE id = ?1";
static const char SQL_TERM_SERVICE[] = "UPDATE terminal SET in_service = ?2 WHERE id = ?1";
static const char SQL_TERM_SEEN[] = "UPDATE terminal SET last_seen = ?2 WHERE id = ?1";

int host_operator_add(host_db *db, uint32_t id, const char *name)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || name == NULL || id == 0 || id > 0x7FFFFFFFu)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_OP_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    return host__db_run(db, st);
}

int host_terminal_add(host_db *db, const host_terminal *t)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || t == NULL || t->id == 0 || t->id >> 48 != 0)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_TERM_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(t->id));
    sqlite3_bind_int64(st, 2, t->operator_id);
    sqlite3_bind_int(st, 3, t->kind);
    sqlite3_bind_int(st, 4, t->station);
    sqlite3_bind_int64(st, 5, t->param_set);
    sqlite3_bind_int(st, 6, t->in_service ? 1 : 0);
    return host__db_run(db, st);
}

int host_terminal_get(host_db *db, uint64_t id, host_terminal *out)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_TERM_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(id));
    rc = host__db_step(db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    memset(out, 0, sizeof *out);
    out->id = id;
    out->operator_id = (uint32_t)sqlite3_column_int64(st, 0);
    out->kind = (uint8_t)sqlite3_column_int(st, 1);
    out->station = (uint16_t)sqlite3_column_int(st, 2);
    out->param_set = (uint32_t)sqlite3_column_int64(st, 3);
    out->in_service = sqlite3_column_int(st, 4);
    out->bl_version = (uint32_t)sqlite3_column_int64(st, 5);
    out->fare_version = (uint32_t)sqlite3_column_int64(st, 6);
    out->param_version = (uint32_t)sqlite3_column_int64(st, 7);
    out->last_seen = sqlite3_column_int64(st, 8);
    sqlite3_reset(st);
    return 0;
}

int host_terminal_set_service(host_db *db, uint64_t id, int in_service)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_TERM_SERVICE, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(id));
    sqlite3_bind_int(st, 2, in_service ? 1 : 0);
    if ((rc = host__db_run(db, st)) != 0)
        return rc;
    return sqlite3_changes(db->sql) == 1 ? 0 : HOST_ERR_NOTFOUND;
}

int host_terminal_seen(host_db *db, uint64_t id)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_TERM_SEEN, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(id));
    sqlite3_bind_int64(st, 2, host__db_now(db));
    return host__db_run(db, st);
}
