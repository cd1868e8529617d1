/*
 * obol termsim tests: the store's failure paths, injected through SQLite's VFS
 * (hostsim's fault-injecting VFS). A durable store fails at every write of a tap in
 * turn; whatever fails, the gate does not open on an uncommitted record, the card is
 * never charged twice, and once the store works again the next tap leaves card and
 * journal in agreement.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obol/host_faultvfs.h"
#include "tt.h"

typedef struct paid {
    int64_t amount;
    int complete, pending;
} paid;

static int sum(void *ctx, const term_txn *x)
{
    paid *p = ctx;

    if (x->state == TERM_TXN_COMPLETE || x->state == TERM_TXN_UNPROVEN) {
        p->amount += x->rec.amount;
        p->complete++;
    }
    p->pending += x->state == TERM_TXN_PENDING;
    return 0;
}

typedef struct opened {
    int approved;
} opened;

static void on_result(void *ctx, const term_result *r)
{
    opened *o = ctx;
    o->approved += r->status == TERM_APPROVED;
}

Test(store, io_error_at_every_write_of_a_tap, .timeout = 120)
{
    host_faultvfs *fv;
    int k, done = 0, tried = 0;

    cr_assert_eq(host_faultvfs_new("term-faulty", &fv), 0);
    for (k = 0; !done && k < 200; k++) {
        char dir[] = "/tmp/obol-term-store-XXXXXX", db[600];
        term_store_options o = {.mode = TERM_STORE_DURABLE, .vfs = "term-faulty"};
        opened op = {0};
        term_config cfg = {.kind = TERM_GATE_EXIT,
                           .station = 104,
                           .operator_id = TT_METRO,
                           .on_result = on_result,
                           .result_ctx = &op};
        host_fare_table ft;
        term_store *s;
        tt_term gate;
        tt_card card;
        term_result r;
        paid p;
        int rc;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(db, sizeof db, "%s/term.db", dir);
        cr_assert_eq(term_store_open(db, &o, &s), 0);
        tt_term_open(&gate, &cfg, 0x0000000000110601ull, s);
        tt_fare_metro(&ft);
        tt_install_fare(gate.t, &ft, 1);
        tt_card_open(&card, "transit-card", 0x0000000100000601ull, NULL);
        tt_card_fund(&card, 2000);

        /* The K-th write of the tap (and every one after it) fails. */
        host_faultvfs_arm(fv, HOST_FAULT_IOERR, k, 1);
        term_simreader_insert(&gate.card_rd, &card.card);
        rc = term_tap(gate.t, TT_T0, &r);
        host_faultvfs_disarm(fv);
        if (rc == 0 && r.status == TERM_APPROVED) {
            done = 1; /* K is past the tap's last write */
        } else {
            tried++;
            cr_assert(rc == TERM_ERR_IO || rc == TERM_ERR_DB, "write %d: %s", k, term_strerror(rc));
            cr_assert_neq(r.status, TERM_APPROVED);
            cr_assert_eq(op.approved, 0, "write %d: the gate opened on a failed commit", k);
        }
        /* The store works again: restart the terminal and tap once more. */
        tt_term_restart(&gate);
        term_simreader_insert(&gate.card_rd, &card.card);
        cr_assert_eq(term_tap(gate.t, TT_T0 + TT_MIN(1), &r), 0, "write %d", k);
        cr_assert_eq(r.status, TERM_APPROVED, "write %d: %s", k, term_reason_name(r.reason));
        memset(&p, 0, sizeof p);
        cr_assert_eq(term_journal_each(s, 0, -1, sum, &p), 0);
        cr_assert_eq(p.pending, 0, "write %d", k);
        cr_assert_eq((int64_t)tt_card_balance(&card), 2000 - p.amount,
                     "write %d: card %u, journal %lld", k, tt_card_balance(&card),
                     (long long)p.amount);
        tt_card_close(&card);
        tt_term_close(&gate);
        term_store_close(s);
        snprintf(db, sizeof db, "rm -rf %s", dir);
        cr_assert_eq(system(db), 0);
    }
    cr_assert(done);
    cr_assert_gt(tried, 1, "the tap wrote nothing?");
    cr_log_info("a tap writes %d times; each failure was survived", tried);
    host_faultvfs_free(fv);
}
