/*
 * obol tests: clearing and settlement edge cases — replays of a transaction and of a
 * whole batch (counted once, flagged), sequence conflicts, corrupt frames, unknown
 * terminals, wrong TACs and the other per-record refusals (each with its reason, each
 * recorded), blacklisted cards, counter gaps, reconciliation mismatches, and online
 * load declines.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "obol/host_settle.h"
#include "obol/host_term.h"

enum { DAY = 20261122 };

static fx f;
static fx_card card;

static void setup(void)
{
    fx_open(&f, NULL);
    fx_card_issue(&f, &card, 0, 10000);
}

static void teardown(void)
{
    fx_close(&f);
}

TestSuite(host_settle, .init = setup, .fini = teardown);

static void buy(fx_card *c, uint64_t terminal, uint32_t op, uint32_t ttn, uint32_t amount,
                host_txn *t)
{
    fx_card_purchase(c, terminal, op, ttn, amount, HOST_PBOC_EP_PURCHASE, DAY, 90000 + ttn % 5000,
                     t);
}

static void ingest(uint64_t terminal, uint32_t seq, const host_txn *t, size_t n,
                   host_ingest_result *r)
{
    size_t len;
    uint8_t *frame = fx_batch_frame(terminal, seq, t, n, &len);
    int rc = host_settle_ingest(f.db, f.hsm, frame, len, r);

    cr_assert_eq(rc, 0, "ingest: %s", host_strerror(rc));
    free(frame);
}

static int64_t settled_purchases(uint32_t op, int64_t *amount)
{
    host_settlement s[4];
    size_t n, i;

    cr_assert_eq(host_settle_run(f.db, DAY, DAY, s, 4, &n), 0);
    for (i = 0; i < n; i++)
        if (s[i].operator_id == op) {
            if (amount != NULL)
                *amount = s[i].purchase_amount;
            return s[i].purchases;
        }
    if (amount != NULL)
        *amount = 0;
    return 0;
}

static int64_t exceptions(int reason, int severity)
{
    int64_t n;

    cr_assert_eq(host_exception_count(f.db, reason, severity, &n), 0);
    return n;
}

Test(host_settle, replayed_transaction_counted_once_and_flagged)
{
    host_txn t[3], b2[3];
    host_ingest_result r;
    host_exception e[8];
    fx_card other;
    int64_t amount;
    size_t n;

    buy(&card, FX_GATE_A, FX_METRO, 1, 100, &t[0]);
    buy(&card, FX_GATE_A, FX_METRO, 2, 200, &t[1]);
    buy(&card, FX_GATE_A, FX_METRO, 3, 300, &t[2]);
    ingest(FX_GATE_A, 1, t, 3, &r);
    cr_assert_eq(r.accepted, 3);
    host_ingest_result_free(&r);

    /* Batch 2: record 1 again, one new purchase, and another card's purchase that
     * reuses gate A's transaction number 3. */
    fx_card_issue(&f, &other, 0, 500);
    b2[0] = t[1];
    buy(&card, FX_GATE_A, FX_METRO, 4, 400, &b2[1]);
    buy(&other, FX_GATE_A, FX_METRO, 3, 50, &b2[2]);
    ingest(FX_GATE_A, 2, b2, 3, &r);
    cr_assert_eq(r.status, HOST_ACK_ACCEPTED);
    cr_assert_eq(r.accepted, 1);
    cr_assert_eq(r.duplicates, 2);
    cr_assert_eq(r.n_notes, 2u);
    cr_assert_eq(r.notes[0].index, 0);
    cr_assert_eq(r.notes[0].result, HOST_NOTE_DUPLICATE);
    cr_assert_eq(r.notes[0].reason, HOST_REASON_DUP_CARD_COUNTER);
    cr_assert_eq(r.notes[1].index, 2);
    cr_assert_eq(r.notes[1].reason, HOST_REASON_DUP_TERMINAL_TTN);
    host_ingest_result_free(&r);

    cr_assert_eq(settled_purchases(FX_METRO, &amount), 4);
    cr_assert_eq(amount, 100 + 200 + 300 + 400);
    cr_assert_eq(exceptions(HOST_REASON_DUP_CARD_COUNTER, HOST_SEV_DUPLICATE), 1);
    cr_assert_eq(exceptions(HOST_REASON_DUP_TERMINAL_TTN, HOST_SEV_DUPLICATE), 1);
    cr_assert_eq(host_exception_list(f.db, 0, e, 8, &n), 0);
    cr_assert_eq(n, 2u);
    cr_assert_eq(e[0].serial, card.p.serial);
    cr_assert_eq(e[0].counter, 1);
    cr_assert_eq(e[0].rec_index, 0);
    cr_assert_eq(e[0].batch_seq, 2u);
    cr_assert(strstr(e[0].detail, "replay") != NULL, "%s", e[0].detail);
}

Test(host_settle, same_counter_different_transaction_is_a_conflict)
{
    host_txn t, clone;
    host_ingest_result r;
    host_exception e[2];
    fx_card copy;
    size_t n;

    copy = card; /* a cloned card: same keys, same counter */
    buy(&card, FX_GATE_A, FX_METRO, 1, 100, &t);
    buy(&copy, FX_GATE_B, FX_METRO, 1, 999, &clone);
    ingest(FX_GATE_A, 1, &t, 1, &r);
    host_ingest_result_free(&r);
    ingest(FX_GATE_B, 1, &clone, 1, &r);
    cr_assert_eq(r.duplicates, 1);
    cr_assert_eq(r.notes[0].reason, HOST_REASON_DUP_CARD_COUNTER);
    host_ingest_result_free(&r);
    cr_assert_eq(host_exception_list(f.db, 0, e, 2, &n), 0);
    cr_assert_eq(n, 1u);
    cr_assert(strstr(e[0].detail, "conflict") != NULL, "%s", e[0].detail);
}

Test(host_settle, replayed_batch_acknowledged_again_counted_once)
{
    host_txn t[2], changed;
    host_ingest_result r1, r2;
    size_t len;
    uint8_t *frame;

    buy(&card, FX_GATE_A, FX_METRO, 1, 100, &t[0]);
    t[1] = t[0];
    t[1].tac[0] ^= 1; /* a bad TAC: a note the repeat must reproduce */
    ingest(FX_GATE_A, 5, t, 2, &r1);
    cr_assert_eq(r1.accepted, 1);
    cr_assert_eq(r1.rejected, 1);
    ingest(FX_GATE_A, 5, t, 2, &r2);
    cr_assert_eq(r2.status, HOST_ACK_REPEATED);
    cr_assert_eq(r2.reason, HOST_REASON_BATCH_REPLAY);
    cr_assert_eq(r2.accepted, r1.accepted);
    cr_assert_eq(r2.rejected, r1.rejected);
    cr_assert_eq(r2.n_notes, r1.n_notes);
    cr_assert_eq(memcmp(r2.notes, r1.notes, r1.n_notes * sizeof *r1.notes), 0);
    cr_assert_eq(r2.batch_id, r1.batch_id);
    host_ingest_result_free(&r1);
    host_ingest_result_free(&r2);
    /* The decoded-records path recognises the same batch. */
    cr_assert_eq(host_settle_ingest_txns(f.db, f.hsm, FX_GATE_A, 5, t, 2, &r2), 0);
    cr_assert_eq(r2.status, HOST_ACK_REPEATED);
    host_ingest_result_free(&r2);
    cr_assert_eq(settled_purchases(FX_METRO, NULL), 1);
    cr_assert_eq(exceptions(HOST_REASON_BATCH_REPLAY, HOST_SEV_DUPLICATE), 2);
    cr_assert_eq(exceptions(HOST_REASON_BAD_TAC, -1), 1, "the bad record recorded once");

    /* The same sequence with other records: refused, recorded, nothing counted. */
    buy(&card, FX_GATE_A, FX_METRO, 2, 50, &changed);
    ingest(FX_GATE_A, 5, &changed, 1, &r1);
    cr_assert_eq(r1.status, HOST_ACK_REJECTED);
    cr_assert_eq(r1.reason, HOST_REASON_BATCH_CONFLICT);
    host_ingest_result_free(&r1);
    cr_assert_eq(exceptions(HOST_REASON_BATCH_CONFLICT, HOST_SEV_REJECTED), 1);
    cr_assert_eq(settled_purchases(FX_METRO, NULL), 1);
    frame = fx_batch_frame(FX_GATE_A, 6, &changed, 1, &len);
    cr_assert_eq(host_settle_ingest(f.db, f.hsm, frame, len, &r1), 0);
    cr_assert_eq(r1.accepted, 1, "under its own sequence it is taken");
    host_ingest_result_free(&r1);
    free(frame);
}

Test(host_settle, corrupt_batch_rejected_with_reason_and_recorded)
{
    host_txn t[2];
    host_exception e[4];
    host_msg ack;
    uint8_t *frame, *raw;
    size_t len, n;

    buy(&card, FX_GATE_A, FX_METRO, 1, 100, &t[0]);
    buy(&card, FX_GATE_A, FX_METRO, 2, 100, &t[1]);
    frame = fx_batch_frame(FX_GATE_A, 9, t, 2, &len);
    frame[HOST_PROTO_HDR + 30] ^= 0x40; /* one bit flipped in transit */
    fx_call(&f, frame, len, &ack, &raw);
    cr_assert_eq(ack.type, HOST_MSG_BATCH_ACK);
    cr_assert_eq(ack.id, 1009u);
    cr_assert_eq(ack.u.ack.status, HOST_ACK_REJECTED);
    cr_assert_eq(ack.u.ack.reason, HOST_REASON_CHECKSUM);
    cr_assert_eq(ack.u.ack.terminal, FX_GATE_A, "the sender is named when readable");
    cr_assert_eq(ack.u.ack.seq, 9u);
    free(raw);
    fx_call(&f, frame, len - 7, &ack, &raw);
    cr_assert_eq(ack.u.ack.reason, HOST_REASON_LENGTH);
    free(raw);
    free(frame);

    cr_assert_eq(settled_purchases(FX_METRO, NULL), 0);
    cr_assert_eq(host_exception_list(f.db, 0, e, 4, &n), 0);
    cr_assert_eq(n, 2u);
    cr_assert_eq(e[0].source, HOST_EXC_BATCH);
    cr_assert_eq(e[0].severity, HOST_SEV_REJECTED);
    cr_assert_eq(e[0].reason, HOST_REASON_CHECKSUM);
    cr_assert_eq(e[0].terminal, FX_GATE_A);
    cr_assert_eq(e[1].reason, HOST_REASON_LENGTH);
    /* The corrected batch under the same sequence is taken: nothing was kept. */
    frame = fx_batch_frame(FX_GATE_A, 9, t, 2, &len);
    fx_call(&f, frame, len, &ack, &raw);
    cr_assert_eq(ack.u.ack.status, HOST_ACK_ACCEPTED);
    cr_assert_eq(ack.u.ack.accepted, 2);
    free(raw);
    free(frame);
}

Test(host_settle, unknown_or_retired_terminal_rejected_and_recorded)
{
    host_txn t;
    host_ingest_result r;
    host_exception e[2];
    size_t n;

    buy(&card, 0x0000AABBCCDDull, FX_METRO, 1, 100, &t);
    ingest(0x0000AABBCCDDull, 1, &t, 1, &r);
    cr_assert_eq(r.status, HOST_ACK_REJECTED);
    cr_assert_eq(r.reason, HOST_REASON_UNKNOWN_TERMINAL);
    host_ingest_result_free(&r);
    cr_assert_eq(host_terminal_set_service(f.db, FX_GATE_B, 0), 0);
    buy(&card, FX_GATE_B, FX_METRO, 1, 100, &t);
    ingest(FX_GATE_B, 1, &t, 1, &r);
    cr_assert_eq(r.reason, HOST_REASON_UNKNOWN_TERMINAL);
    host_ingest_result_free(&r);
    cr_assert_eq(host_exception_list(f.db, 0, e, 2, &n), 0);
    cr_assert_eq(n, 2u);
    cr_assert_eq(e[0].terminal, 0x0000AABBCCDDull);
    cr_assert_eq(e[0].reason, HOST_REASON_UNKNOWN_TERMINAL);
    cr_assert_eq(settled_purchases(FX_METRO, NULL), 0);
}

Test(host_settle, bad_records_rejected_each_with_its_reason)
{
    host_txn t[8];
    host_ingest_result r;
    host_hsm_stats st;
    static const int want[] = {HOST_REASON_BAD_TAC,           HOST_REASON_UNKNOWN_CARD,
                               HOST_REASON_BAD_BALANCE,       HOST_REASON_TERMINAL_MISMATCH,
                               HOST_REASON_OPERATOR_MISMATCH, HOST_REASON_UNKNOWN_KEY};
    size_t i;

    for (i = 0; i < 7; i++)
        buy(&card, FX_GATE_A, FX_METRO, (uint32_t)(10 + i), 10, &t[i]);
    t[0].tac[2] ^= 0x01;                 /* wrong TAC */
    t[1].serial = 0x7700000000000001ull; /* never issued */
    t[2].balance_after += 1;             /* balances do not add up */
    t[3].terminal = FX_GATE_B;           /* not the batch's terminal */
    t[4].operator_id = FX_BUSCO;         /* not the terminal's operator */
    t[5].key_version = 7;                /* no such key version */
    ingest(FX_GATE_A, 1, t, 7, &r);
    cr_assert_eq(r.status, HOST_ACK_ACCEPTED);
    cr_assert_eq(r.accepted, 1);
    cr_assert_eq(r.rejected, 6);
    for (i = 0; i < 6; i++) {
        cr_assert_eq(r.notes[i].index, i);
        cr_assert_eq(r.notes[i].result, HOST_NOTE_REJECTED);
        cr_assert_eq(r.notes[i].reason, want[i], "record %zu: %s", i,
                     host_reason_name(r.notes[i].reason));
        cr_assert_eq(exceptions(want[i], HOST_SEV_REJECTED), 1);
    }
    host_ingest_result_free(&r);
    host_hsm_get_stats(f.hsm, &st);
    cr_assert_eq(st.tac_failed, 1u);
    cr_assert_eq(settled_purchases(FX_METRO, NULL), 1);
}

Test(host_settle, blacklisted_card_flagged_but_counted)
{
    host_txn t;
    host_ingest_result r;

    buy(&card, FX_GATE_A, FX_METRO, 1, 100, &t);
    cr_assert_eq(host_card_set_state(f.db, card.p.serial, HOST_CARD_LOST, 1), 0);
    ingest(FX_GATE_A, 1, &t, 1, &r);
    cr_assert_eq(r.accepted, 1);
    cr_assert_eq(r.flagged, 1);
    cr_assert_eq(r.notes[0].result, HOST_NOTE_FLAGGED);
    cr_assert_eq(r.notes[0].reason, HOST_REASON_BLACKLISTED);
    host_ingest_result_free(&r);
    cr_assert_eq(exceptions(HOST_REASON_BLACKLISTED, HOST_SEV_FLAGGED), 1);
    cr_assert_eq(settled_purchases(FX_METRO, NULL), 1);
}

Test(host_settle, counter_gap_and_reconciliation_mismatch_until_the_late_batch)
{
    host_txn t[4];
    host_ingest_result r;
    host_recon recon;
    host_recon_card rc[2];
    host_gap gaps[2];
    size_t n;

    for (int i = 0; i < 4; i++)
        buy(&card, FX_GATE_A, FX_METRO, (uint32_t)(1 + i), (uint32_t)(100 * (i + 1)), &t[i]);
    ingest(FX_GATE_A, 1, t, 2, &r);
    host_ingest_result_free(&r);
    ingest(FX_GATE_A, 3, &t[3], 1, &r); /* batch 2 is late */
    host_ingest_result_free(&r);

    cr_assert_eq(host_settle_gaps(f.db, gaps, 2, &n), 0);
    cr_assert_eq(n, 1u);
    cr_assert_eq(gaps[0].serial, card.p.serial);
    cr_assert_eq(gaps[0].kind, HOST_CTR_OFFLINE);
    cr_assert_eq(gaps[0].first_missing, 2u);
    cr_assert_eq(gaps[0].last_missing, 2u);
    cr_assert_eq(host_settle_reconcile(f.db, &recon, rc, 2, &n), 0);
    cr_assert_eq(recon.mismatches, 1);
    cr_assert_eq(n, 1u);
    cr_assert_eq(rc[0].serial, card.p.serial);
    cr_assert_eq(rc[0].reported, (int64_t)card.balance);
    cr_assert_eq(rc[0].implied, (int64_t)card.balance + 300);
    cr_assert_eq(rc[0].diff, -300, "the missing purchase, to the fen");

    ingest(FX_GATE_A, 2, &t[2], 1, &r);
    host_ingest_result_free(&r);
    cr_assert_eq(host_settle_gaps(f.db, gaps, 2, &n), 0);
    cr_assert_eq(n, 0u);
    cr_assert_eq(host_settle_reconcile(f.db, &recon, rc, 2, &n), 0);
    cr_assert_eq(recon.mismatches, 0);
    cr_assert_eq(recon.sum_implied, (int64_t)card.balance);
}

Test(host_settle, load_declines_have_reasons_and_are_recorded)
{
    fx_card fresh, lost, rich;
    host_recon recon;
    host_txn t;
    uint8_t reason;
    host_issue_req req;

    /* Issued but never activated. */
    memset(&req, 0, sizeof req);
    req.issuer = FX_ISSUER;
    req.industry = HOST_INDUSTRY_TRANSIT;
    req.key_version = 1;
    req.max_balance = 100000;
    memset(&fresh, 0, sizeof fresh);
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &fresh.p), 0);
    cr_assert_eq(fx_card_load(&f, &fresh, FX_LOADER, FX_METRO, 1, 100, DAY, 80000, &t, &reason),
                 HOST_LOAD_DECLINED);
    cr_assert_eq(reason, HOST_REASON_CARD_STATE);

    fx_card_issue(&f, &lost, 0, 0);
    cr_assert_eq(host_card_set_state(f.db, lost.p.serial, HOST_CARD_LOST, 1), 0);
    cr_assert_eq(fx_card_load(&f, &lost, FX_LOADER, FX_METRO, 2, 100, DAY, 80000, &t, &reason),
                 HOST_LOAD_DECLINED);
    cr_assert_eq(reason, HOST_REASON_CARD_STATE);

    fx_card_issue(&f, &rich, 0, 99000);
    cr_assert_eq(fx_card_load(&f, &rich, FX_LOADER, FX_METRO, 3, 2000, DAY, 80000, &t, &reason),
                 HOST_LOAD_DECLINED);
    cr_assert_eq(reason, HOST_REASON_LIMIT);

    cr_assert_eq(
        fx_card_load(&f, &card, 0x0000DEADBEEFull, FX_METRO, 4, 100, DAY, 80000, &t, &reason),
        HOST_LOAD_DECLINED);
    cr_assert_eq(reason, HOST_REASON_UNKNOWN_TERMINAL);

    /* A card with the wrong keys (a forgery): MAC1 does not verify. */
    rich.p.keys.dlk[0] ^= 0x10; /* not a parity bit */
    cr_assert_eq(fx_card_load(&f, &rich, FX_LOADER, FX_METRO, 5, 10, DAY, 80000, &t, &reason),
                 HOST_LOAD_DECLINED);
    cr_assert_eq(reason, HOST_REASON_BAD_MAC1);
    cr_assert_eq(exceptions(-1, HOST_SEV_REJECTED), 5);

    /* Approved, but the load record never arrives: the reconciliation says so. */
    cr_assert_eq(fx_card_load(&f, &card, FX_LOADER, FX_METRO, 6, 500, DAY, 80000, &t, &reason),
                 HOST_LOAD_APPROVED);
    cr_assert_eq(host_settle_reconcile(f.db, &recon, NULL, 0, NULL), 0);
    cr_assert_eq(recon.loads_unconfirmed, 1);
    {
        host_ingest_result r;
        ingest(FX_LOADER, 1, &t, 1, &r);
        cr_assert_eq(r.accepted, 1);
        host_ingest_result_free(&r);
    }
    cr_assert_eq(host_settle_reconcile(f.db, &recon, NULL, 0, NULL), 0);
    cr_assert_eq(recon.loads_unconfirmed, 0);
}
