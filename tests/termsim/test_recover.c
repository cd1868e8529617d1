/*
 * obol termsim tests: interrupted transactions. A card pulled away after DEBIT FOR
 * PURCHASE (or CREDIT FOR LOAD) went out leaves a PENDING record; the card's next tap
 * at that terminal recovers the TAC with GET TRANSACTION PROVE instead of charging
 * again, or voids the record when the card never took it. Also a simulated terminal
 * crash between the card's answer and the journal commit, and a power loss inside
 * the card.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tt.h"

typedef struct rig {
    term_store *s;
    tt_term gate;
    tt_card card;
    host_fare_table ft;
} rig;

static void rig_open(rig *g, term_kind kind, int crash_at)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_config cfg = {.kind = kind, .station = 104, .operator_id = TT_METRO, .crash_at = crash_at};

    cr_assert_eq(term_store_open(NULL, &o, &g->s), 0);
    tt_term_open(&g->gate, &cfg, 0x0000000000110101ull, g->s);
    tt_fare_metro(&g->ft);
    tt_install_fare(g->gate.t, &g->ft, 1);
    tt_card_open(&g->card, "transit-card", 0x0000000100000101ull, NULL);
    tt_card_fund(&g->card, 2000);
}

static void rig_close(rig *g)
{
    tt_card_close(&g->card);
    tt_term_close(&g->gate);
    term_store_close(g->s);
}

static int64_t count(term_store *s, int state)
{
    int64_t n = -1;
    cr_assert_eq(term_journal_count(s, 0, state, -1, &n), 0);
    return n;
}

Test(recover, debit_answer_lost_then_tac_recovered)
{
    rig g;
    term_result r, r2;
    term_txn x;

    rig_open(&g, TERM_GATE_EXIT, 0);
    /* The card takes DEBIT but its answer never arrives. */
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    term_simreader_tear_on(&g.gate.card_rd, 0x54, TERM_TEAR_AFTER);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CARD_LOST);
    cr_assert_eq(r.status, TERM_PENDING);
    cr_assert_eq(r.amount, 800); /* no entry: the maximum fare */
    cr_assert_eq(term_pending_count(g.gate.t), 1);
    cr_assert_eq(count(g.s, TERM_TXN_PENDING), 1);
    cr_assert_eq(tt_card_balance(&g.card), 1200); /* the card did pay */

    /* The passenger taps again: the TAC is recovered, nothing is charged again. */
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + 2000000000, &r2), 0);
    cr_assert_eq(r2.status, TERM_APPROVED, "reason %s", term_reason_name(r2.reason));
    cr_assert_eq(r2.reason, TERM_R_RECOVERED);
    cr_assert(r2.flags & TERM_F_RECOVERED);
    cr_assert_eq(r2.ttn, r.ttn);
    cr_assert_eq(r2.amount, 800);
    cr_assert_eq(r2.journal_id, r.journal_id);
    cr_assert_eq(term_journal_get(g.s, r.journal_id, &x), 0);
    cr_assert_eq(x.state, TERM_TXN_COMPLETE);
    cr_assert(x.flags & TERM_F_RECOVERED);
    cr_assert_eq(memcmp(x.rec.tac, r2.tac, 4), 0);
    tt_expect_tac(&x.rec);
    cr_assert_eq(tt_card_balance(&g.card), 1200);
    cr_assert_eq(count(g.s, -1), 1);
    cr_assert_eq(term_pending_count(g.gate.t), 0);

    /* The next tap is a new transaction again. */
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + TT_MIN(1), &r2), 0);
    cr_assert_eq(r2.status, TERM_APPROVED);
    cr_assert_eq(r2.reason, TERM_R_OK);
    cr_assert_eq(tt_card_balance(&g.card), 400);
    rig_close(&g);
}

Test(recover, debit_never_reached_card_is_voided)
{
    rig g;
    term_result r;
    term_txn x;
    int64_t id;

    rig_open(&g, TERM_GATE_EXIT, 0);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    term_simreader_tear_on(&g.gate.card_rd, 0x54, TERM_TEAR_BEFORE);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CARD_LOST);
    cr_assert_eq(r.status, TERM_PENDING);
    id = r.journal_id;
    cr_assert_eq(tt_card_balance(&g.card), 2000);
    /* The proof is not there: the record is voided and the tap charges once. */
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + 2000000000, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.reason, TERM_R_OK);
    cr_assert_neq(r.journal_id, id);
    cr_assert_eq(term_journal_get(g.s, id, &x), 0);
    cr_assert_eq(x.state, TERM_TXN_VOID);
    cr_assert_eq(tt_card_balance(&g.card), 1200);
    cr_assert_eq(count(g.s, TERM_TXN_COMPLETE), 1);
    rig_close(&g);
}

Test(recover, proof_overwritten_elsewhere_is_unproven)
{
    rig g;
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_config pos_cfg = {.kind = TERM_POS, .pin_free_limit = 10000};
    term_store *s2;
    tt_term pos;
    term_result r;
    term_txn x;
    int64_t id;

    rig_open(&g, TERM_GATE_EXIT, 0);
    cr_assert_eq(term_store_open(NULL, &o, &s2), 0);
    tt_term_open(&pos, &pos_cfg, 0x0000000000310101ull, s2);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    term_simreader_tear_on(&g.gate.card_rd, 0x54, TERM_TEAR_AFTER);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CARD_LOST);
    id = r.journal_id;
    /* The card buys something elsewhere: its last proof is that purchase now. */
    term_simreader_insert(&pos.card_rd, &g.card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0 + TT_MIN(5), 100, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    /* Back at the gate: the log shows the card paid; the TAC is gone. */
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + TT_MIN(10), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.reason, TERM_R_OK);
    cr_assert_eq(term_journal_get(g.s, id, &x), 0);
    cr_assert_eq(x.state, TERM_TXN_UNPROVEN);
    cr_assert_eq(tt_card_balance(&g.card), 2000 - 800 - 100 - 800);
    tt_term_close(&pos);
    term_store_close(s2);
    rig_close(&g);
}

Test(recover, load_credit_answer_lost)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_config cfg = {.kind = TERM_POS, .host = tt_host_link};
    term_store *s;
    tt_host h;
    tt_term pos;
    tt_card card;
    term_result r, r2;
    term_txn x;

    tt_host_init(&h);
    cfg.host_ctx = &h;
    cr_assert_eq(term_store_open(NULL, &o, &s), 0);
    tt_term_open(&pos, &cfg, 0x0000000000310102ull, s);
    tt_card_open(&card, "transit-card", 0x0000000100000102ull, NULL);
    term_simreader_insert(&pos.card_rd, &card.card);
    term_simreader_tear_on(&pos.card_rd, 0x52, TERM_TEAR_AFTER);
    cr_assert_eq(term_load(pos.t, TT_T0, 5000, 2, &r), TERM_ERR_CARD_LOST);
    cr_assert_eq(r.status, TERM_PENDING);
    cr_assert_eq(tt_card_balance(&card), 5000);
    /* Next presentation (a purchase): the load is completed first, and reported. */
    term_simreader_insert(&pos.card_rd, &card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0 + TT_MIN(1), 100, &r2), 0);
    cr_assert_eq(r2.reason, TERM_R_RECOVERED);
    cr_assert_eq(r2.kind, TERM_TXN_LOAD);
    cr_assert_eq(term_journal_get(s, r.journal_id, &x), 0);
    cr_assert_eq(x.state, TERM_TXN_COMPLETE);
    tt_expect_tac(&x.rec);
    cr_assert_eq(tt_card_balance(&card), 5000);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
    tt_host_free(&h);
}

Test(recover, crash_after_debit_then_restart)
{
    rig g;
    term_result r;
    int64_t n;

    rig_open(&g, TERM_GATE_EXIT, TERM_CRASH_AFTER_DEBIT);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CRASHED);
    cr_assert_eq(tt_card_balance(&g.card), 1200);
    /* The terminal comes back with what it had committed: the PENDING record. */
    g.gate.cfg.crash_at = 0;
    tt_term_restart(&g.gate);
    cr_assert_eq(term_pending_count(g.gate.t), 1);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + TT_MIN(1), &r), 0);
    cr_assert_eq(r.reason, TERM_R_RECOVERED);
    cr_assert_eq(term_journal_count(g.s, 0, TERM_TXN_COMPLETE, -1, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(tt_card_balance(&g.card), 1200);
    rig_close(&g);
}

Test(recover, crash_after_pending_then_restart_voids)
{
    rig g;
    term_result r;

    rig_open(&g, TERM_GATE_EXIT, TERM_CRASH_AFTER_PENDING);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CRASHED);
    g.gate.cfg.crash_at = 0;
    tt_term_restart(&g.gate);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + TT_MIN(1), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.reason, TERM_R_OK);
    cr_assert_eq(count(g.s, TERM_TXN_VOID), 1);
    cr_assert_eq(count(g.s, TERM_TXN_COMPLETE), 1);
    cr_assert_eq(tt_card_balance(&g.card), 1200);
    rig_close(&g);
}

Test(recover, power_lost_inside_card_during_debit)
{
    rig g;
    term_result r;

    rig_open(&g, TERM_GATE_EXIT, 0);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    /* The card's power fails inside DEBIT's NVM transaction (the tap's first write is
     * UPDATE CAPP DATA CACHE's; PENDING below shows the cut came after it): the card
     * rolls the debit back at its next power-on. */
    cos_host_cut_after(&g.card.host, 3, 0);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CARD_LOST);
    cos_host_restore_power(&g.card.host);
    cr_assert_eq(r.status, TERM_PENDING, "status %d reason %s", r.status,
                 term_reason_name(r.reason));
    cr_assert_eq(tt_card_balance(&g.card), 2000);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + TT_MIN(1), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.reason, TERM_R_OK);
    cr_assert_eq(count(g.s, TERM_TXN_VOID), 1);
    cr_assert_eq(tt_card_balance(&g.card), 1200);
    rig_close(&g);
}

Test(recover, pending_of_a_card_listed_since_is_settled_then_refused)
{
    rig g;
    host_bl_entry e;
    term_result r, r2;
    term_txn x;

    rig_open(&g, TERM_GATE_EXIT, 0);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    term_simreader_tear_on(&g.gate.card_rd, 0x54, TERM_TEAR_AFTER);
    cr_assert_eq(term_tap(g.gate.t, TT_T0, &r), TERM_ERR_CARD_LOST);
    e.serial = g.card.serial;
    e.op = HOST_BL_ADD;
    e.reason = 1;
    cr_assert_eq(term_install_blacklist(g.gate.t, 1, 1, &e, 1), 0);
    term_simreader_insert(&g.gate.card_rd, &g.card.card);
    cr_assert_eq(term_tap(g.gate.t, TT_T0 + TT_MIN(1), &r2), 0);
    cr_assert_eq(r2.status, TERM_DECLINED);
    cr_assert_eq(r2.reason, TERM_R_BLACKLISTED);
    /* The earlier transaction did happen: its record is complete with the card's TAC. */
    cr_assert_eq(term_journal_get(g.s, r.journal_id, &x), 0);
    cr_assert_eq(x.state, TERM_TXN_COMPLETE);
    tt_expect_tac(&x.rec);
    cr_assert_eq(term_pending_count(g.gate.t), 0);
    rig_close(&g);
}
