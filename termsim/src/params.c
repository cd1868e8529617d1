/*
 * obol terminal kernel: the parameter sets a terminal runs with: the fare table and the
 * terminal parameters (host_fare.h), kept in the store as the protocol's payloads and
 * decoded in memory. A new set is decoded and checked first, committed next, and
 * only then replaces the one in use.
 */
#include <stdlib.h>
#include <string.h>

#include "term_internal.h"

uint8_t term__key_index(const term *t)
{
    return t->params_version && t->params.purchase_key_index ? t->params.purchase_key_index : 1;
}

uint32_t term__operator(const term *t)
{
    return t->params_version && t->params.operator_id ? t->params.operator_id : t->cfg.operator_id;
}

uint16_t term__max_batch(const term *t)
{
    return t->params_version && t->params.max_batch_records ? t->params.max_batch_records : 500;
}

const host_fare_table *term_fare(const term *t)
{
    return t != NULL ? t->fare : NULL;
}

const host_term_params *term_params(const term *t)
{
    return t != NULL && t->params_version ? &t->params : NULL;
}

int term__params_apply(term *t, int kind, uint32_t version, const uint8_t *payload, size_t len,
                       int store)
{
    host_fare_table *ft = NULL;
    host_term_params tp;
    sqlite3_stmt *st;
    int rc;

    if (payload == NULL || version == 0)
        return TERM_ERR_ARG;
    if (kind == HOST_PARAM_FARE) {
        if ((ft = malloc(sizeof *ft)) == NULL)
            return TERM_ERR_NOMEM;
        if (host_fare_decode(payload, len, ft) != 0) {
            free(ft);
            return TERM_ERR_BADMSG;
        }
        ft->version = version;
    } else if (kind == HOST_PARAM_TERMINAL) {
        if (host_term_params_decode(payload, len, &tp) != 0)
            return TERM_ERR_BADMSG;
        tp.version = version;
    } else {
        return TERM_ERR_ARG;
    }
    if (store) {
        if ((rc = term__unit_begin(t->store, 1)) != 0)
            goto fail;
        if ((st = term__stmt(t->store, TERM__ST_PARAM_PUT, &rc)) == NULL)
            goto rollback;
        sqlite3_bind_int64(st, 1, (int64_t)t->id);
        sqlite3_bind_int(st, 2, kind);
        sqlite3_bind_int64(st, 3, version);
        sqlite3_bind_blob(st, 4, payload, (int)len, SQLITE_STATIC);
        if ((rc = term__step_done(t->store, st)) != 0 || (rc = term__unit_commit(t->store)) != 0)
            goto rollback;
    }
    if (kind == HOST_PARAM_FARE) {
        free(t->fare);
        t->fare = ft;
        t->fare_version = version;
    } else {
        t->params = tp;
        t->params_version = version;
    }
    return 0;
rollback:
    term__unit_rollback(t->store);
fail:
    free(ft);
    return rc;
}

int term__params_load(term *t)
{
    static const int kinds[] = {HOST_PARAM_FARE, HOST_PARAM_TERMINAL};
    sqlite3_stmt *st;
    int r, rc;

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if ((st = term__stmt(t->store, TERM__ST_PARAM_GET, &rc)) == NULL)
            return rc;
        sqlite3_bind_int64(st, 1, (int64_t)t->id);
        sqlite3_bind_int(st, 2, kinds[i]);
        r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            /* The store only holds sets that decoded when they arrived. */
            rc = term__params_apply(t, kinds[i], (uint32_t)sqlite3_column_int64(st, 0),
                                    sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
                                    0);
        } else if (r != SQLITE_DONE) {
            rc = term__store_err(t->store, sqlite3_extended_errcode(t->store->db));
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int term_install_params(term *t, int kind, uint32_t version, const uint8_t *payload, size_t len)
{
    if (t == NULL || t->dead)
        return TERM_ERR_ARG;
    return term__params_apply(t, kind, version, payload, len, 1);
}
