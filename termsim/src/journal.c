/*
 * obol terminal kernel: journal rows (term_store.h): insert and resolve transactions,
 * read them back, per-terminal sequences and the event log. Callers wrap writes in
 * units of work (store.c); these functions never commit by themselves.
 *
 * Serials and terminal ids are stored as SQLite INTEGERs holding the 64-bit pattern
 * (a serial with its top bit set reads back unchanged through the casts).
 */
#include <string.h>

#include "term_internal.h"

static int64_t i64(uint64_t v)
{
    return (int64_t)v;
}

static void blob(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
    const void *p = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);

    memset(out, 0, len);
    if (p != NULL)
        memcpy(out, p, n < len ? n : len);
}

void term__journal_row(sqlite3_stmt *st, term_txn *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    t->state = (uint8_t)sqlite3_column_int(st, 1);
    t->kind = (uint8_t)sqlite3_column_int(st, 2);
    t->flags = (uint16_t)sqlite3_column_int(st, 3);
    t->rec.serial = (uint64_t)sqlite3_column_int64(st, 4);
    t->rec.card_type = (uint8_t)sqlite3_column_int(st, 5);
    t->rec.type = (uint8_t)sqlite3_column_int(st, 6);
    t->rec.counter = (uint16_t)sqlite3_column_int(st, 7);
    t->rec.amount = (uint32_t)sqlite3_column_int64(st, 8);
    t->rec.terminal = (uint64_t)sqlite3_column_int64(st, 9);
    t->rec.ttn = (uint32_t)sqlite3_column_int64(st, 10);
    blob(st, 11, t->rec.date, 4);
    blob(st, 12, t->rec.time, 3);
    t->rec.balance_before = (uint32_t)sqlite3_column_int64(st, 13);
    t->rec.balance_after = (uint32_t)sqlite3_column_int64(st, 14);
    blob(st, 15, t->rec.tac, 4);
    t->rec.key_version = (uint8_t)sqlite3_column_int(st, 16);
    t->rec.alg = (uint8_t)sqlite3_column_int(st, 17);
    t->rec.entry_station = (uint16_t)sqlite3_column_int(st, 18);
    t->rec.exit_station = (uint16_t)sqlite3_column_int(st, 19);
    t->rec.operator_id = (uint32_t)sqlite3_column_int64(st, 20);
    t->batch = (uint32_t)sqlite3_column_int64(st, 21);
    t->acked = (uint8_t)sqlite3_column_int(st, 22);
    t->ack_result = (uint8_t)sqlite3_column_int(st, 23);
    t->ack_reason = (uint8_t)sqlite3_column_int(st, 24);
    t->at = sqlite3_column_int64(st, 25);
}

int term__journal_insert(term_store *s, term_txn *t)
{
    sqlite3_stmt *st;
    int rc;

    if ((st = term__stmt(s, TERM__ST_TXN_INSERT, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, i64(t->rec.terminal));
    sqlite3_bind_int64(st, 2, t->rec.ttn);
    sqlite3_bind_int(st, 3, t->state);
    sqlite3_bind_int(st, 4, t->kind);
    sqlite3_bind_int(st, 5, t->flags);
    sqlite3_bind_int64(st, 6, i64(t->rec.serial));
    sqlite3_bind_int(st, 7, t->rec.card_type);
    sqlite3_bind_int(st, 8, t->rec.type);
    sqlite3_bind_int(st, 9, t->rec.counter);
    sqlite3_bind_int64(st, 10, t->rec.amount);
    sqlite3_bind_blob(st, 11, t->rec.date, 4, SQLITE_STATIC);
    sqlite3_bind_blob(st, 12, t->rec.time, 3, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, t->rec.balance_before);
    sqlite3_bind_int64(st, 14, t->rec.balance_after);
    sqlite3_bind_blob(st, 15, t->rec.tac, 4, SQLITE_STATIC);
    sqlite3_bind_int(st, 16, t->rec.key_version);
    sqlite3_bind_int(st, 17, t->rec.alg);
    sqlite3_bind_int(st, 18, t->rec.entry_station);
    sqlite3_bind_int(st, 19, t->rec.exit_station);
    sqlite3_bind_int64(st, 20, t->rec.operator_id);
    sqlite3_bind_int64(st, 21, t->at);
    if ((rc = term__step_done(s, st)) != 0)
        return rc;
    t->id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int term__journal_finish(term_store *s, int64_t id, int state, uint16_t flags, const uint8_t tac[4],
                         uint32_t balance_after, int64_t at)
{
    static const uint8_t zero[4];
    sqlite3_stmt *st;
    int rc;

    if ((st = term__stmt(s, TERM__ST_TXN_FINISH, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_int(st, 3, flags);
    sqlite3_bind_blob(st, 4, tac != NULL ? tac : zero, 4, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, balance_after);
    sqlite3_bind_int64(st, 6, at);
    if ((rc = term__step_done(s, st)) != 0)
        return rc;
    return sqlite3_changes(s->db) == 1 ? 0 : TERM_ERR_NOT_FOUND;
}

/* Steps a one-row query into OUT. */
static int one_row(term_store *s, sqlite3_stmt *st, term_txn *out)
{
    int r = sqlite3_step(st), rc;

    if (r == SQLITE_ROW) {
        term__journal_row(st, out);
        rc = 0;
    } else if (r == SQLITE_DONE) {
        rc = TERM_ERR_NOT_FOUND;
    } else {
        rc = term__store_err(s, sqlite3_extended_errcode(s->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int term_journal_get(term_store *s, int64_t id, term_txn *out)
{
    sqlite3_stmt *st;
    int rc;

    if (s == NULL || out == NULL)
        return TERM_ERR_ARG;
    if ((st = term__stmt(s, TERM__ST_TXN_GET, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return one_row(s, st, out);
}

int term_journal_find(term_store *s, uint64_t terminal, uint32_t ttn, term_txn *out)
{
    sqlite3_stmt *st;
    int rc;

    if (s == NULL || out == NULL)
        return TERM_ERR_ARG;
    if ((st = term__stmt(s, TERM__ST_TXN_FIND, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, i64(terminal));
    sqlite3_bind_int64(st, 2, ttn);
    return one_row(s, st, out);
}

int term_journal_each(term_store *s, uint64_t terminal, int state, term_txn_fn fn, void *ctx)
{
    sqlite3_stmt *st = NULL;
    term_txn t;
    int r, rc = 0;

    if (s == NULL || fn == NULL)
        return TERM_ERR_ARG;
    r = sqlite3_prepare_v2(s->db,
                           "SELECT " TERM__TXN_COLUMNS " FROM txn WHERE (?1 = 0 OR terminal = ?1)"
                           " AND (?2 < 0 OR state = ?2) ORDER BY id",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return term__store_err(s, r);
    sqlite3_bind_int64(st, 1, i64(terminal));
    sqlite3_bind_int(st, 2, state);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        term__journal_row(st, &t);
        if ((rc = fn(ctx, &t)) != 0)
            break;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = term__store_err(s, sqlite3_extended_errcode(s->db));
    sqlite3_finalize(st);
    return rc;
}

int term_journal_count(term_store *s, uint64_t terminal, int state, int acked, int64_t *n)
{
    sqlite3_stmt *st = NULL;
    int r, rc = 0;

    if (s == NULL || n == NULL)
        return TERM_ERR_ARG;
    r = sqlite3_prepare_v2(s->db,
                           "SELECT count(*) FROM txn WHERE (?1 = 0 OR terminal = ?1)"
                           " AND (?2 < 0 OR state = ?2) AND (?3 < 0 OR acked = ?3)",
                           -1, &st, NULL);
    if (r != SQLITE_OK)
        return term__store_err(s, r);
    sqlite3_bind_int64(st, 1, i64(terminal));
    sqlite3_bind_int(st, 2, state);
    sqlite3_bind_int(st, 3, acked);
    if ((r = sqlite3_step(st)) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = term__store_err(s, sqlite3_extended_errcode(s->db));
    sqlite3_finalize(st);
    return rc;
}

int term__seq_next(term_store *s, uint64_t terminal, int which, uint32_t *out)
{
    sqlite3_stmt *st;
    int64_t next = 1;
    int r, rc;

    if ((st = term__stmt(s, TERM__ST_SEQ_GET, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, i64(terminal));
    sqlite3_bind_int(st, 2, which);
    r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        next = sqlite3_column_int64(st, 0);
    rc = r == SQLITE_ROW || r == SQLITE_DONE ? 0
                                             : term__store_err(s, sqlite3_extended_errcode(s->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != 0)
        return rc;
    if (next <= 0 || next > 0x7FFFFFFF)
        return TERM_ERR_STATE; /* numbers used up */
    if ((st = term__stmt(s, TERM__ST_SEQ_PUT, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, i64(terminal));
    sqlite3_bind_int(st, 2, which);
    sqlite3_bind_int64(st, 3, next + 1);
    if ((rc = term__step_done(s, st)) != 0)
        return rc;
    *out = (uint32_t)next;
    return 0;
}

int term__event_add(term_store *s, uint64_t terminal, int64_t at, int kind, uint64_t serial,
                    int detail)
{
    sqlite3_stmt *st;
    int rc;

    if ((st = term__stmt(s, TERM__ST_EVENT_ADD, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, i64(terminal));
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int(st, 3, kind);
    sqlite3_bind_int64(st, 4, i64(serial));
    sqlite3_bind_int(st, 5, detail);
    return term__step_done(s, st);
}
