/*
 * obol host platform: the blacklist service (host_blacklist.h). The change log
 * (blacklist_change, one row per version) is the truth; the table `blacklist` is the
 * current list kept in step with it for fast lookups and full lists.
 */
#include <stdlib.h>
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_blacklist.h"

static const char SQL_VERSION[] = "SELECT coalesce(max(version), 0) FROM blacklist_change";
static const char SQL_CONTAINS[] = "SELECT reason FROM blacklist WHERE serial = ?1";
static const char SQL_CHANGE[] =
    "INSERT INTO blacklist_change(version, serial, op, reason, at) VALUES(?1, ?2, ?3, ?4, ?5)";
static const char SQL_LIST_ADD[] =
    "INSERT INTO blacklist(serial, reason, version) VALUES(?1, ?2, ?3)";
static const char SQL_LIST_DEL[] = "DELETE FROM blacklist WHERE serial = ?1";
static const char SQL_FULL_NOW[] = "SELECT serial, reason FROM blacklist ORDER BY serial";
/* The list at version ?1: each card's last change up to ?1, when that is an add. */
static const char SQL_FULL_AT[] = "SELECT c.serial, c.reason FROM blacklist_change c "
                                  "WHERE c.version = (SELECT max(version) FROM blacklist_change "
                                  "                   WHERE serial = c.serial AND version <= ?1) "
                                  "AND c.op = 1 ORDER BY c.serial";
/* For each card changed in (?1, ?2]: its last change up to ?2 and up to ?1. */
static const char SQL_DELTA[] =
    "SELECT s.serial,"
    " (SELECT op | (reason << 1) FROM blacklist_change "
    "  WHERE serial = s.serial AND version <= ?2 ORDER BY version DESC LIMIT 1),"
    " (SELECT op | (reason << 1) FROM blacklist_change "
    "  WHERE serial = s.serial AND version <= ?1 ORDER BY version DESC LIMIT 1) "
    "FROM (SELECT DISTINCT serial FROM blacklist_change WHERE version > ?1 AND version <= ?2) s "
    "ORDER BY s.serial";
static const char SQL_ACK[] =
    "UPDATE terminal SET bl_version = ?2, bl_acked_at = ?3, last_seen = ?3 WHERE id = ?1";
static const char SQL_LAGGING[] =
    "SELECT id FROM terminal WHERE in_service = 1 AND bl_version < ?1 ORDER BY id";

void host_bl_list_free(host_bl_list *l)
{
    if (l == NULL)
        return;
    free(l->e);
    memset(l, 0, sizeof *l);
}

static int list_push(host_bl_list *l, uint64_t serial, uint8_t op, uint8_t reason)
{
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 64 : l->cap * 2;
        host_bl_entry *e = realloc(l->e, cap * sizeof *e);
        if (e == NULL)
            return HOST_ERR_NOMEM;
        l->e = e;
        l->cap = cap;
    }
    l->e[l->n].serial = serial;
    l->e[l->n].op = op;
    l->e[l->n].reason = reason;
    l->n++;
    return 0;
}

int host_blacklist_version(host_db *db, uint32_t *version)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || version == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_VERSION, &st)) != 0)
        return rc;
    rc = host__db_step(db, st);
    if (rc < 0)
        return rc;
    *version = rc == 1 ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return 0;
}

int host_blacklist_contains(host_db *db, uint64_t serial, uint8_t *reason)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_CONTAINS, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(serial));
    rc = host__db_step(db, st);
    if (rc == 1) {
        if (reason != NULL)
            *reason = (uint8_t)sqlite3_column_int(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

/* One change: the log row and the current list, in one transaction. */
static int change(host_db *db, uint64_t serial, int op, uint8_t reason, uint32_t *version)
{
    sqlite3_stmt *st;
    uint32_t v;
    int rc, listed;

    if (db == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((listed = host_blacklist_contains(db, serial, NULL)) < 0) {
        rc = listed;
        goto fail;
    }
    if (op == HOST_BL_ADD && listed) {
        rc = HOST_ERR_DUPLICATE;
        goto fail;
    }
    if (op == HOST_BL_REMOVE && !listed) {
        rc = HOST_ERR_NOTFOUND;
        goto fail;
    }
    if ((rc = host_blacklist_version(db, &v)) != 0)
        goto fail;
    v++;
    if ((rc = host__db_stmt(db, SQL_CHANGE, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, v);
    sqlite3_bind_int64(st, 2, host__i64(serial));
    sqlite3_bind_int(st, 3, op);
    sqlite3_bind_int(st, 4, reason);
    sqlite3_bind_int64(st, 5, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_stmt(db, op == HOST_BL_ADD ? SQL_LIST_ADD : SQL_LIST_DEL, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, host__i64(serial));
    if (op == HOST_BL_ADD) {
        sqlite3_bind_int(st, 2, reason);
        sqlite3_bind_int64(st, 3, v);
    }
    if ((rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_commit(db)) != 0)
        return rc;
    if (version != NULL)
        *version = v;
    return 0;
fail:
    host__db_rollback(db);
    return rc;
}

int host_blacklist_add(host_db *db, uint64_t serial, uint8_t reason, uint32_t *version)
{
    return change(db, serial, HOST_BL_ADD, reason, version);
}

int host_blacklist_remove(host_db *db, uint64_t serial, uint8_t reason, uint32_t *version)
{
    return change(db, serial, HOST_BL_REMOVE, reason, version);
}

/* Collects (serial, reason) rows of ST as ADD entries. */
static int collect_adds(host_db *db, sqlite3_stmt *st, host_bl_list *out)
{
    int rc;

    while ((rc = host__db_step(db, st)) == 1)
        if ((rc = list_push(out, host__u64(sqlite3_column_int64(st, 0)), HOST_BL_ADD,
                            (uint8_t)sqlite3_column_int(st, 1))) != 0) {
            sqlite3_reset(st);
            return rc;
        }
    return rc;
}

int host_blacklist_full(host_db *db, uint32_t version, host_bl_list *out)
{
    sqlite3_stmt *st;
    uint32_t now;
    int rc;

    if (db == NULL || out == NULL)
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    /* One read transaction so the version and the list agree. */
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host_blacklist_version(db, &now)) != 0)
        goto done;
    if (version > now) {
        rc = HOST_ERR_NOTFOUND;
        goto done;
    }
    if (version == 0)
        version = now;
    if ((rc = host__db_stmt(db, version == now ? SQL_FULL_NOW : SQL_FULL_AT, &st)) != 0)
        goto done;
    if (version != now)
        sqlite3_bind_int64(st, 1, version);
    rc = collect_adds(db, st, out);
    out->to_version = version;
done:
    if (rc == 0)
        rc = host__db_commit(db);
    else
        host__db_rollback(db);
    if (rc != 0)
        host_bl_list_free(out);
    return rc;
}

int host_blacklist_delta(host_db *db, uint32_t from, uint32_t to, host_bl_list *out)
{
    sqlite3_stmt *st;
    uint32_t now;
    int rc;

    if (db == NULL || out == NULL)
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host_blacklist_version(db, &now)) != 0)
        goto done;
    if (to == 0)
        to = now;
    if (to > now || from > now) {
        rc = HOST_ERR_NOTFOUND;
        goto done;
    }
    if (from > to) {
        rc = HOST_ERR_ARG;
        goto done;
    }
    if ((rc = host__db_stmt(db, SQL_DELTA, &st)) != 0)
        goto done;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while ((rc = host__db_step(db, st)) == 1) {
        uint64_t serial = host__u64(sqlite3_column_int64(st, 0));
        int at_to = sqlite3_column_int(st, 1); /* op | reason << 1; the card changed by TO */
        int at_from = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 2);
        int listed_to = at_to & 1, listed_from = at_from & 1, prc = 0;
        if (listed_to && (!listed_from || at_from != at_to))
            prc = list_push(out, serial, HOST_BL_ADD, (uint8_t)(at_to >> 1));
        else if (!listed_to && listed_from)
            prc = list_push(out, serial, HOST_BL_REMOVE, (uint8_t)(at_to >> 1));
        if (prc != 0) {
            sqlite3_reset(st);
            rc = prc;
            break;
        }
    }
    out->from_version = from;
    out->to_version = to;
done:
    if (rc == 0)
        rc = host__db_commit(db);
    else
        host__db_rollback(db);
    if (rc != 0)
        host_bl_list_free(out);
    return rc;
}

int host_blacklist_ack(host_db *db, uint64_t terminal, uint32_t version)
{
    sqlite3_stmt *st;
    uint32_t now;
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    if ((rc = host_blacklist_version(db, &now)) != 0)
        return rc;
    if (version > now)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_ACK, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(terminal));
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        return rc;
    return sqlite3_changes(db->sql) == 1 ? 0 : HOST_ERR_NOTFOUND;
}

int host_blacklist_lagging(host_db *db, uint32_t version, uint64_t *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st;
    size_t count = 0;
    int rc;

    if (db == NULL || n == NULL || (cap > 0 && out == NULL))
        return HOST_ERR_ARG;
    if (version == 0 && (rc = host_blacklist_version(db, &version)) != 0)
        return rc;
    if ((rc = host__db_stmt(db, SQL_LAGGING, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, version);
    while ((rc = host__db_step(db, st)) == 1) {
        if (count < cap)
            out[count] = host__u64(sqlite3_column_int64(st, 0));
        count++;
    }
    *n = count;
    return rc;
}
