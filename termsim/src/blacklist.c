/*
 * obol terminal kernel: the blacklist. The list as last downloaded is kept in the store
 * (table blacklist, its version as parameter kind TERM__PARAM_BL) and in memory as an
 * array sorted by serial, searched at every tap. A download is committed to the store
 * first and only then used, so a crash never leaves the terminal with a list that
 * the store does not have.
 */
#include <stdlib.h>
#include <string.h>

#include "term_internal.h"

static int cmp_bl(const void *a, const void *b)
{
    uint64_t x = ((const term__bl *)a)->serial, y = ((const term__bl *)b)->serial;
    return x < y ? -1 : x > y;
}

/* Index of the first entry >= SERIAL in the sorted array. */
static size_t lower(const term__bl *v, size_t n, uint64_t serial)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].serial < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const term__bl *term__bl_find(const term *t, uint64_t serial)
{
    size_t i;

    if (t->bl_n == 0)
        return NULL;
    i = lower(t->bl, t->bl_n, serial);
    return i < t->bl_n && t->bl[i].serial == serial ? &t->bl[i] : NULL;
}

int term_blacklisted(const term *t, uint64_t serial)
{
    return t != NULL && term__bl_find(t, serial) != NULL;
}

uint32_t term_blacklist_version(const term *t)
{
    return t != NULL ? t->bl_version : 0;
}

int term__bl_load(term *t)
{
    sqlite3_stmt *st;
    term__bl *v = NULL;
    size_t n = 0, cap = 0;
    int r, rc;

    if ((st = term__stmt(t->store, TERM__ST_PARAM_GET, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int(st, 2, TERM__PARAM_BL);
    r = sqlite3_step(st);
    t->bl_version = r == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
    rc = r == SQLITE_ROW || r == SQLITE_DONE
             ? 0
             : term__store_err(t->store, sqlite3_extended_errcode(t->store->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != 0)
        return rc;
    if ((st = term__stmt(t->store, TERM__ST_BL_ALL, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            term__bl *q = realloc(v, nc * sizeof *q);
            if (q == NULL) {
                rc = TERM_ERR_NOMEM;
                break;
            }
            v = q;
            cap = nc;
        }
        v[n].serial = (uint64_t)sqlite3_column_int64(st, 0);
        v[n].reason = (uint8_t)sqlite3_column_int(st, 1);
        n++;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = term__store_err(t->store, sqlite3_extended_errcode(t->store->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != 0) {
        free(v);
        return rc;
    }
    /* Stored as signed integers: sort again as unsigned serials. */
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_bl);
    free(t->bl);
    t->bl = v;
    t->bl_n = n;
    t->bl_cap = cap;
    return 0;
}

/* The new list: a copy of the current one (or empty when FULL) with E applied. A
 * full list is sorted once; a delta is applied entry by entry (deltas are short). */
static int build(const term *t, int full, const host_bl_entry *e, size_t n, term__bl **out,
                 size_t *outn)
{
    size_t cap = (full ? 0 : t->bl_n) + n + 1, m = 0;
    term__bl *v = malloc(cap * sizeof *v);

    if (v == NULL)
        return TERM_ERR_NOMEM;
    if (full) {
        for (size_t i = 0; i < n; i++)
            if (e[i].op == HOST_BL_ADD) {
                v[m].serial = e[i].serial;
                v[m].reason = e[i].reason;
                m++;
            }
        if (m > 1)
            qsort(v, m, sizeof *v, cmp_bl);
        /* A serial listed twice keeps one entry. */
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (k == 0 || v[k - 1].serial != v[i].serial)
                v[k++] = v[i];
        m = k;
        *out = v;
        *outn = m;
        return 0;
    }
    if (t->bl_n > 0) {
        memcpy(v, t->bl, t->bl_n * sizeof *v);
        m = t->bl_n;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = lower(v, m, e[i].serial);
        int here = k < m && v[k].serial == e[i].serial;
        if (e[i].op == HOST_BL_ADD) {
            if (here) {
                v[k].reason = e[i].reason;
            } else {
                memmove(v + k + 1, v + k, (m - k) * sizeof *v);
                v[k].serial = e[i].serial;
                v[k].reason = e[i].reason;
                m++;
            }
        } else if (here) {
            memmove(v + k, v + k + 1, (m - k - 1) * sizeof *v);
            m--;
        }
    }
    *out = v;
    *outn = m;
    return 0;
}

int term__bl_apply(term *t, uint32_t version, int full, const host_bl_entry *e, size_t n)
{
    sqlite3_stmt *st;
    term__bl *v = NULL;
    size_t m = 0;
    int rc;

    if (n > 0 && e == NULL)
        return TERM_ERR_ARG;
    if ((rc = build(t, full, e, n, &v, &m)) != 0)
        return rc;
    if ((rc = term__unit_begin(t->store, 0)) != 0)
        goto out;
    if (full) {
        if ((st = term__stmt(t->store, TERM__ST_BL_CLEAR, &rc)) == NULL)
            goto fail;
        sqlite3_bind_int64(st, 1, (int64_t)t->id);
        if ((rc = term__step_done(t->store, st)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        int add = e[i].op == HOST_BL_ADD;
        if ((st = term__stmt(t->store, add ? TERM__ST_BL_ADD : TERM__ST_BL_DEL, &rc)) == NULL)
            goto fail;
        sqlite3_bind_int64(st, 1, (int64_t)t->id);
        sqlite3_bind_int64(st, 2, (int64_t)e[i].serial);
        if (add)
            sqlite3_bind_int(st, 3, e[i].reason);
        if ((rc = term__step_done(t->store, st)) != 0)
            goto fail;
    }
    if ((st = term__stmt(t->store, TERM__ST_PARAM_PUT, &rc)) == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int(st, 2, TERM__PARAM_BL);
    sqlite3_bind_int64(st, 3, version);
    sqlite3_bind_null(st, 4);
    if ((rc = term__step_done(t->store, st)) != 0 || (rc = term__unit_commit(t->store)) != 0)
        goto fail;
    free(t->bl);
    t->bl = v;
    t->bl_n = m;
    t->bl_cap = m;
    t->bl_version = version;
    return 0;
fail:
    term__unit_rollback(t->store);
out:
    free(v);
    return rc;
}

int term_install_blacklist(term *t, uint32_t version, int full, const host_bl_entry *e, size_t n)
{
    if (t == NULL || t->dead)
        return TERM_ERR_ARG;
    return term__bl_apply(t, version, full, e, n);
}
