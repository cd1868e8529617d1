/*
 * obol host platform: versioned fare tables and terminal parameter sets
 * (host_param.h). Each version is stored as its protocol payload and served as is.
 */
#include <stdlib.h>
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_param.h"
#include "obol/host_proto.h"

static const char SQL_FARE_NEXT[] =
    "SELECT coalesce(max(version), 0) + 1 FROM fare_table WHERE operator = ?1";
static const char SQL_FARE_PUT[] =
    "INSERT INTO fare_table(operator, version, created, payload) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_FARE_GET[] =
    "SELECT version, payload FROM fare_table WHERE operator = ?1 AND (?2 = 0 OR version = ?2) "
    "ORDER BY version DESC LIMIT 1";
static const char SQL_SET_NEXT[] =
    "SELECT coalesce(max(version), 0) + 1 FROM param_set WHERE set_id = ?1";
static const char SQL_SET_PUT[] =
    "INSERT INTO param_set(set_id, version, created, payload) VALUES(?1, ?2, ?3, ?4)";
static const char SQL_SET_GET[] =
    "SELECT version, payload FROM param_set WHERE set_id = ?1 AND (?2 = 0 OR version = ?2) "
    "ORDER BY version DESC LIMIT 1";
static const char SQL_ACK_FARE[] =
    "UPDATE terminal SET fare_version = ?2, last_seen = ?3 WHERE id = ?1";
static const char SQL_ACK_PARAM[] =
    "UPDATE terminal SET param_version = ?2, last_seen = ?3 WHERE id = ?1";

/* Stores the next version of series SERIES: ENCODE writes the payload once the
 * version is known (it goes into the payload too). */
typedef int (*encode_fn)(void *obj, uint32_t version, uint8_t *out, size_t cap, size_t *len);

static int publish(host_db *db, const char *sql_next, const char *sql_put, uint32_t series,
                   void *obj, size_t size, encode_fn encode, uint32_t *version)
{
    sqlite3_stmt *st;
    uint8_t *buf = NULL;
    uint32_t v;
    size_t len;
    int rc;

    buf = malloc(size);
    if (buf == NULL)
        return HOST_ERR_NOMEM;
    if ((rc = host__db_begin(db)) != 0)
        goto out;
    if ((rc = host__db_stmt(db, sql_next, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, series);
    if ((rc = host__db_step(db, st)) != 1) {
        rc = rc == 0 ? HOST_ERR_DB : rc;
        goto fail;
    }
    v = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if ((rc = encode(obj, v, buf, size, &len)) != 0)
        goto fail;
    if ((rc = host__db_stmt(db, sql_put, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, series);
    sqlite3_bind_int64(st, 2, v);
    sqlite3_bind_int64(st, 3, host__db_now(db));
    sqlite3_bind_blob(st, 4, buf, (int)len, SQLITE_STATIC);
    if ((rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_commit(db)) != 0)
        goto out;
    if (version != NULL)
        *version = v;
    goto out;
fail:
    host__db_rollback(db);
out:
    free(buf);
    return rc;
}

static int encode_fare(void *obj, uint32_t version, uint8_t *out, size_t cap, size_t *len)
{
    host_fare_table *t = obj;
    uint32_t old = t->version;
    int rc;

    t->version = version;
    rc = host_fare_encode(t, out, cap, len);
    t->version = rc == 0 ? version : old;
    return rc;
}

static int encode_term(void *obj, uint32_t version, uint8_t *out, size_t cap, size_t *len)
{
    host_term_params *p = obj;
    uint32_t old = p->version;
    int rc;

    p->version = version;
    rc = host_term_params_encode(p, out, cap, len);
    p->version = rc == 0 ? version : old;
    return rc;
}

int host_param_fare_publish(host_db *db, host_fare_table *t, uint32_t *version)
{
    if (db == NULL || t == NULL || host_fare_check(t) != 0)
        return HOST_ERR_ARG;
    return publish(db, SQL_FARE_NEXT, SQL_FARE_PUT, t->operator_id, t, host_fare_size(t),
                   encode_fare, version);
}

int host_param_term_publish(host_db *db, host_term_params *p, uint32_t *version)
{
    if (db == NULL || p == NULL || p->set_id == 0)
        return HOST_ERR_ARG;
    return publish(db, SQL_SET_NEXT, SQL_SET_PUT, p->set_id, p, host_term_params_size(p),
                   encode_term, version);
}

int host_param_payload(host_db *db, int kind, uint32_t series, uint32_t version, uint8_t **payload,
                       size_t *len, uint32_t *version_out)
{
    sqlite3_stmt *st;
    const void *blob;
    int rc, n;

    if (db == NULL || payload == NULL || len == NULL ||
        (kind != HOST_PARAM_FARE && kind != HOST_PARAM_TERMINAL))
        return HOST_ERR_ARG;
    *payload = NULL;
    *len = 0;
    if ((rc = host__db_stmt(db, kind == HOST_PARAM_FARE ? SQL_FARE_GET : SQL_SET_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, series);
    sqlite3_bind_int64(st, 2, version);
    rc = host__db_step(db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    blob = sqlite3_column_blob(st, 1);
    n = sqlite3_column_bytes(st, 1);
    *payload = malloc(n > 0 ? (size_t)n : 1);
    if (*payload == NULL) {
        sqlite3_reset(st);
        return HOST_ERR_NOMEM;
    }
    if (n > 0)
        memcpy(*payload, blob, (size_t)n);
    *len = (size_t)n;
    if (version_out != NULL)
        *version_out = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int host_param_fare_get(host_db *db, uint32_t operator_id, uint32_t version, host_fare_table *out)
{
    uint8_t *p;
    size_t n;
    int rc;

    if (out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host_param_payload(db, HOST_PARAM_FARE, operator_id, version, &p, &n, NULL)) != 0)
        return rc;
    /* The store holds what publish encoded; a payload that does not decode was changed
     * behind the platform's back. */
    rc = host_fare_decode(p, n, out) == 0 ? 0 : HOST_ERR_CORRUPT;
    free(p);
    return rc;
}

int host_param_term_get(host_db *db, uint32_t set_id, uint32_t version, host_term_params *out)
{
    uint8_t *p;
    size_t n;
    int rc;

    if (out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host_param_payload(db, HOST_PARAM_TERMINAL, set_id, version, &p, &n, NULL)) != 0)
        return rc;
    rc = host_term_params_decode(p, n, out) == 0 ? 0 : HOST_ERR_CORRUPT;
    free(p);
    return rc;
}

int host_param_ack(host_db *db, uint64_t terminal, int kind, uint32_t version)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || (kind != HOST_PARAM_FARE && kind != HOST_PARAM_TERMINAL))
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, kind == HOST_PARAM_FARE ? SQL_ACK_FARE : SQL_ACK_PARAM, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(terminal));
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_int64(st, 3, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        return rc;
    return sqlite3_changes(db->sql) == 1 ? 0 : HOST_ERR_NOTFOUND;
}
