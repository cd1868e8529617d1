/*
 * obol termsim tests: the journal. Every decision is committed before it is reported
 * (seen from a second connection to a durable store, inside the result callback);
 * batches go to the host with their sequence fixed before sending, so a lost
 * acknowledgement is answered by the same batch again and counted once; batch sizes
 * follow the parameters; simulated terminals sharing a store keep their own state
 * through a crash.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tt.h"

typedef struct seen {
    const char *path;  /* durable store file, read with a second connection */
    term_store *store; /* or the store itself */
    int calls, found;
    uint8_t state;
    uint8_t tac[4];
} seen;

/* The result callback: at "gate open" time the record must be committed. */
static void on_result(void *ctx, const term_result *r)
{
    seen *s = ctx;

    s->calls++;
    if (r->status != TERM_APPROVED)
        return;
    if (s->path != NULL) {
        sqlite3 *db;
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        cr_assert_eq(sqlite3_prepare_v2(db, "SELECT state, tac FROM txn WHERE id=?", -1, &st, NULL),
                     SQLITE_OK);
        sqlite3_bind_int64(st, 1, r->journal_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            s->found = 1;
            s->state = (uint8_t)sqlite3_column_int(st, 0);
            memcpy(s->tac, sqlite3_column_blob(st, 1), 4);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    } else {
        term_txn x;
        if (term_journal_get(s->store, r->journal_id, &x) == 0) {
            s->found = 1;
            s->state = x.state;
            memcpy(s->tac, x.rec.tac, 4);
        }
    }
}

Test(journal, committed_before_the_gate_opens_durable)
{
    char path[] = "/tmp/obol-term-journal-XXXXXX";
    char db[600];
    term_store_options o = {.mode = TERM_STORE_DURABLE};
    seen sn;
    term_config cfg = {
        .kind = TERM_GATE_ENTRY, .station = 101, .operator_id = TT_METRO, .on_result = on_result};
    host_fare_table ft;
    term_store *s;
    tt_term gate;
    tt_card card;
    term_result r;

    cr_assert_not_null(mkdtemp(path));
    snprintf(db, sizeof db, "%s/term.db", path);
    cr_assert_eq(term_store_open(db, &o, &s), 0);
    memset(&sn, 0, sizeof sn);
    sn.path = db;
    cfg.result_ctx = &sn;
    tt_term_open(&gate, &cfg, 0x0000000000110301ull, s);
    tt_fare_metro(&ft);
    tt_install_fare(gate.t, &ft, 1);
    tt_card_open(&card, "transit-card", 0x0000000100000301ull, NULL);
    tt_card_fund(&card, 1000);
    term_simreader_insert(&gate.card_rd, &card.card);
    cr_assert_eq(term_tap(gate.t, TT_T0, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(sn.calls, 1);
    cr_assert(sn.found, "the record was not visible to another connection at gate open");
    cr_assert_eq(sn.state, TERM_TXN_COMPLETE);
    cr_assert_eq(memcmp(sn.tac, r.tac, 4), 0);
    tt_card_close(&card);
    tt_term_close(&gate);
    term_store_close(s);
    snprintf(db, sizeof db, "rm -rf %s", path);
    cr_assert_eq(system(db), 0);
}

Test(journal, committed_before_the_gate_opens_sim)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    seen sn;
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 5000, .on_result = on_result};
    term_store *s;
    tt_term pos;
    tt_card card;
    term_result r;

    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    memset(&sn, 0, sizeof sn);
    sn.store = s;
    cfg.result_ctx = &sn;
    tt_term_open(&pos, &cfg, 0x0000000000310301ull, s);
    tt_card_open(&card, "transit-card", 0x0000000100000302ull, NULL);
    tt_card_fund(&card, 1000);
    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 300, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert(sn.found);
    cr_assert_eq(sn.state, TERM_TXN_COMPLETE);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
}

/* N purchases of 1 yuan at POS X. */
static void buy(tt_term *x, tt_card *card, int n, int64_t t0)
{
    term_result r;

    for (int i = 0; i < n; i++) {
        term_simreader_insert(&x->card_rd, &card->card);
        cr_assert_eq(term_purchase(x->t, t0 + TT_MIN(i), 100, &r), 0);
        cr_assert_eq(r.status, TERM_APPROVED);
    }
}

Test(journal, lost_acknowledgement_is_retried_and_counted_once)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    tt_host h;
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 5000, .host = tt_host_link};
    term_upload_stats st;
    term_store *s;
    tt_term pos;
    tt_card card;
    int64_t n;

    tt_host_init(&h);
    cfg.host_ctx = &h;
    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&pos, &cfg, 0x0000000000310302ull, s);
    tt_card_open(&card, "transit-card", 0x0000000100000303ull, NULL);
    tt_card_fund(&card, 5000);
    buy(&pos, &card, 5, TT_T0);

    /* The host takes the batch, its acknowledgement is lost. */
    h.drop_replies = 1;
    memset(&st, 0, sizeof st);
    cr_assert_eq(term_upload(pos.t, TT_T0 + TT_MIN(10), &st), TERM_ERR_OFFLINE);
    cr_assert_eq(h.batches, 1);
    cr_assert_eq(h.records, 5);
    cr_assert_eq(term_journal_count(s, 0, TERM_TXN_COMPLETE, 0, &n), 0);
    cr_assert_eq(n, 5, "nothing may be marked without an acknowledgement");
    /* More sales meanwhile; they go in the next batch, not into the open one. */
    buy(&pos, &card, 2, TT_T0 + TT_MIN(20));
    memset(&st, 0, sizeof st);
    cr_assert_eq(term_upload(pos.t, TT_T0 + TT_MIN(30), &st), 0);
    cr_assert_eq(st.retries, 1);
    cr_assert_eq(st.batches_sent, 2);
    cr_assert_eq(st.batches_acked, 2);
    cr_assert_eq(st.records_acked, 7);
    cr_assert_eq(h.repeats, 1);
    cr_assert_eq(h.batches, 2);
    cr_assert_eq(h.records, 7, "the host counted %u records", h.records);
    cr_assert_eq(term_journal_count(s, 0, TERM_TXN_COMPLETE, 1, &n), 0);
    cr_assert_eq(n, 7);
    /* A lost request is just sent again too. */
    buy(&pos, &card, 1, TT_T0 + TT_MIN(40));
    h.drop_requests = 1;
    cr_assert_eq(term_upload(pos.t, TT_T0 + TT_MIN(41), NULL), TERM_ERR_OFFLINE);
    cr_assert_eq(term_upload(pos.t, TT_T0 + TT_MIN(42), NULL), 0);
    cr_assert_eq(h.records, 8);
    cr_assert_eq(h.repeats, 1);
    /* Nothing left: no empty batch. */
    cr_assert_eq(term_upload(pos.t, TT_T0 + TT_MIN(43), NULL), 0);
    cr_assert_eq(h.batches, 3);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
    tt_host_free(&h);
}

Test(journal, batch_size_from_parameters)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    tt_host h;
    term_config cfg = {.kind = TERM_POS, .pin_free_limit = 5000, .host = tt_host_link};
    host_term_params p;
    term_upload_stats st;
    term_store *s;
    tt_term pos;
    tt_card card;

    tt_host_init(&h);
    cfg.host_ctx = &h;
    memset(&p, 0, sizeof p);
    p.set_id = 1;
    p.operator_id = 33;
    p.max_batch_records = 3;
    p.purchase_key_index = 2; /* the one-level key, version 2 */
    cr_assert_eq(host_term_params_encode(&p, h.params, sizeof h.params, &h.params_len), 0);
    h.params_version = 2;
    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&pos, &cfg, 0x0000000000310303ull, s);
    cr_assert_eq(term_sync(pos.t, TT_T0, NULL), 0);
    cr_assert_not_null(term_params(pos.t));
    cr_assert_eq(term_params(pos.t)->operator_id, 33);
    tt_card_open(&card, "transit-card", 0x0000000100000304ull, NULL);
    tt_card_fund(&card, 5000);
    buy(&pos, &card, 7, TT_T0);
    memset(&st, 0, sizeof st);
    cr_assert_eq(term_upload(pos.t, TT_T0 + TT_MIN(10), &st), 0);
    cr_assert_eq(st.batches_acked, 3);
    cr_assert_eq(h.records, 7);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
    tt_host_free(&h);
}

/* Counts records per state for one terminal. */
static int64_t count(term_store *s, uint64_t tid, int state)
{
    int64_t n = -1;
    cr_assert_eq(term_journal_count(s, tid, state, -1, &n), 0);
    return n;
}

Test(journal, simulated_terminals_share_a_store_and_crash_alone)
{
    term_store_options o = {.mode = TERM_STORE_SIM, .group = 3};
    term_config a_cfg = {
        .kind = TERM_POS, .pin_free_limit = 5000, .crash_at = TERM_CRASH_AFTER_DEBIT};
    term_config b_cfg = {.kind = TERM_POS, .pin_free_limit = 5000};
    term_store *s;
    tt_term a, b;
    tt_card ca, cb;
    term_result r;

    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&a, &a_cfg, 0x0000000000310401ull, s);
    tt_term_open(&b, &b_cfg, 0x0000000000310402ull, s);
    tt_card_open(&ca, "transit-card", 0x0000000100000401ull, NULL);
    tt_card_open(&cb, "transit-card", 0x0000000100000402ull, NULL);
    tt_card_fund(&ca, 1000);
    tt_card_fund(&cb, 1000);
    buy(&b, &cb, 4, TT_T0);
    term_simreader_insert(&a.card_rd, &ca.card);
    cr_assert_eq(term_purchase(a.t, TT_T0, 100, &r), TERM_ERR_CRASHED);
    buy(&b, &cb, 4, TT_T0 + TT_MIN(10));
    /* A comes back with exactly what it had committed: one PENDING record. */
    a.cfg.crash_at = 0;
    tt_term_restart(&a);
    cr_assert_eq(count(s, term_id(a.t), TERM_TXN_PENDING), 1);
    cr_assert_eq(count(s, term_id(a.t), TERM_TXN_COMPLETE), 0);
    cr_assert_eq(count(s, term_id(b.t), TERM_TXN_COMPLETE), 8);
    term_simreader_insert(&a.card_rd, &ca.card);
    cr_assert_eq(term_purchase(a.t, TT_T0 + TT_MIN(20), 100, &r), 0);
    cr_assert_eq(r.reason, TERM_R_RECOVERED);
    cr_assert_eq(count(s, term_id(a.t), TERM_TXN_COMPLETE), 1);
    cr_assert_eq(tt_card_balance(&ca), 900);
    cr_assert_eq(term_store_flush(s), 0);
    tt_card_close(&ca);
    tt_card_close(&cb);
    tt_term_close(&a);
    tt_term_close(&b);
    term_store_close(s);
}

Test(journal, store_refuses_a_foreign_database)
{
    char path[] = "/tmp/obol-term-foreign-XXXXXX";
    char db[600];
    sqlite3 *h;
    term_store *s;

    cr_assert_not_null(mkdtemp(path));
    snprintf(db, sizeof db, "%s/other.db", path);
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(h, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    cr_assert_eq(term_store_open(db, NULL, &s), TERM_ERR_CORRUPT);
    cr_assert_eq(term_store_open(NULL, NULL, &s), TERM_ERR_ARG); /* memory is not durable */
    snprintf(db, sizeof db, "rm -rf %s", path);
    cr_assert_eq(system(db), 0);
}
