/*
 * obol tests: a day in miniature on the platform, end to end through the protocol.
 *
 * Cards are issued (keys from the HSM), the metro publishes a fare table that the gates
 * download (PARAM_REQ), riders load value online (LOAD_REQ: the host checks MAC1 and
 * returns MAC2, the test card checks MAC2 as a purse does), ride the metro (composite
 * purchases priced with the downloaded table and its card-type discounts) and the bus,
 * and the terminals upload their journals in batches (BATCH). Settlement per operator
 * and day must match the test's own sums to the fen, every TAC must have verified,
 * and the reconciliation must find each card's balance where the card says it is.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "obol/host_fare.h"
#include "obol/host_param.h"
#include "obol/host_settle.h"

enum { NCARDS = 12, DAY = 20261122, MAX_REC = 256 };

/* A terminal's journal, uploaded in batches of BATCH_SIZE records. */
typedef struct journal {
    uint64_t terminal;
    uint32_t ttn;
    uint32_t seq;
    host_txn rec[MAX_REC];
    size_t n;
} journal;

static void upload(fx *f, journal *j, size_t batch_size)
{
    size_t off;

    for (off = 0; off < j->n; off += batch_size) {
        size_t n = j->n - off < batch_size ? j->n - off : batch_size, len;
        uint8_t *frame = fx_batch_frame(j->terminal, ++j->seq, j->rec + off, n, &len), *raw;
        host_msg ack;
        fx_call(f, frame, len, &ack, &raw);
        cr_assert_eq(ack.type, HOST_MSG_BATCH_ACK);
        cr_assert_eq(ack.u.ack.status, HOST_ACK_ACCEPTED, "batch refused: %s",
                     host_reason_name(ack.u.ack.reason));
        cr_assert_eq(ack.u.ack.accepted, n);
        cr_assert_eq(ack.u.ack.n_notes, 0u);
        cr_assert_eq(ack.u.ack.seq, j->seq);
        free(frame);
        free(raw);
    }
}

static void metro_fares(host_fare_table *t)
{
    memset(t, 0, sizeof *t);
    t->operator_id = FX_METRO;
    t->kind = HOST_FARE_ZONE;
    t->max_fare = 900;
    t->n_stations = 3;
    t->stations[0] = (host_fare_station){101, 0, 0};
    t->stations[1] = (host_fare_station){102, 0, 0};
    t->stations[2] = (host_fare_station){103, 1, 0};
    t->n_zones = 2;
    t->zone_fares[0][0] = 300;
    t->zone_fares[0][1] = 500;
    t->zone_fares[1][0] = 500;
    t->zone_fares[1][1] = 300;
    t->n_discounts = 2;
    t->discounts[0] = (host_fare_discount){1, 50}; /* students pay half */
    t->discounts[1] = (host_fare_discount){2, 0};  /* seniors ride free */
}

/* The gate downloads the current fare table through the protocol. */
static void download_fares(fx *f, uint64_t gate, host_fare_table *t)
{
    host_msg_param_req q = {gate, HOST_PARAM_FARE, 0};
    uint8_t frame[64], *raw;
    host_msg r;
    size_t n;

    cr_assert_eq(host_proto_encode_param_req(3, &q, frame, sizeof frame, &n), 0);
    fx_call(f, frame, n, &r, &raw);
    cr_assert_eq(r.type, HOST_MSG_PARAM_REPLY);
    cr_assert_eq(r.u.param_reply.status, 0);
    cr_assert_eq(r.u.param_reply.version, 1u);
    cr_assert_eq(host_fare_decode(r.u.param_reply.payload, r.u.param_reply.length, t), 0);
    free(raw);
}

Test(host_day, issue_load_ride_upload_settle_reconcile)
{
    static journal gate_a, gate_b, bus, loader;
    static fx_card cards[NCARDS];
    host_fare_table fares, published;
    host_settlement rows[8];
    host_hsm_stats stats;
    host_recon recon;
    host_gap gaps[4];
    int64_t metro_p = 0, metro_pa = 0, metro_l = 0, metro_la = 0, bus_p = 0, bus_pa = 0, exc;
    int64_t balances = 0, initial = 0;
    size_t i, k, n, total = 0;
    fx f;

    fx_open(&f, NULL);
    gate_a.terminal = FX_GATE_A;
    gate_b.terminal = FX_GATE_B;
    bus.terminal = FX_BUS;
    loader.terminal = FX_LOADER;
    metro_fares(&published);
    cr_assert_eq(host_param_fare_publish(f.db, &published, NULL), 0);
    download_fares(&f, FX_GATE_A, &fares);

    for (i = 0; i < NCARDS; i++) {
        uint8_t type = i < 8 ? 0 : i < 10 ? 1 : 2;
        fx_card_issue(&f, &cards[i], type, (uint32_t)(1000 + 10 * i));
        initial += cards[i].balance;
    }
    cr_assert_eq(cards[1].p.serial, ((uint64_t)FX_PREFIX << 32) | 2u);

    for (i = 0; i < NCARDS; i++) {
        fx_card *c = &cards[i];
        host_txn *t = &loader.rec[loader.n];
        uint32_t fare;
        /* Morning top-up at the station's load terminal. */
        cr_assert_eq(fx_card_load(&f, c, FX_LOADER, FX_METRO, ++loader.ttn, 5000, DAY,
                                  71500 + (uint32_t)i, t, NULL),
                     HOST_LOAD_APPROVED);
        loader.n++;
        metro_l++;
        metro_la += 5000;
        /* Three metro trips: 101 -> 102, 102 -> 103, 103 -> 101, priced at the exit gate. */
        for (k = 0; k < 3; k++) {
            static const uint16_t from[3] = {101, 102, 103}, to[3] = {102, 103, 101};
            journal *g = k % 2 == 0 ? &gate_a : &gate_b;
            cr_assert_eq(host_fare_compute(&fares, c->p.card_type, from[k], to[k], NULL, &fare), 0);
            fx_card_purchase(c, g->terminal, FX_METRO, ++g->ttn, fare, HOST_PBOC_CAPP_PURCHASE, DAY,
                             80000 + 10000 * (uint32_t)k + (uint32_t)i, &g->rec[g->n]);
            g->rec[g->n].entry_station = from[k];
            g->rec[g->n].exit_station = to[k];
            g->n++;
            metro_p++;
            metro_pa += fare;
        }
        /* Two bus rides, 2 yuan, half for students. */
        for (k = 0; k < 2; k++) {
            uint32_t amount = c->p.card_type == 1 ? 100 : 200;
            fx_card_purchase(c, FX_BUS, FX_BUSCO, ++bus.ttn, amount, HOST_PBOC_EP_PURCHASE, DAY,
                             170000 + 100 * (uint32_t)k + (uint32_t)i, &bus.rec[bus.n++]);
            bus_p++;
            bus_pa += amount;
        }
    }
    cr_assert_eq(metro_pa, 8 * (300 + 500 + 500) + 2 * (150 + 250 + 250), "fare table applied");

    upload(&f, &gate_a, 7);
    upload(&f, &gate_b, 5);
    upload(&f, &bus, 10);
    upload(&f, &loader, 100);
    total = gate_a.n + gate_b.n + bus.n + loader.n;

    cr_assert_eq(host_settle_run(f.db, DAY, DAY, rows, 8, &n), 0);
    cr_assert_eq(n, 2u);
    cr_assert_eq(rows[0].operator_id, FX_METRO);
    cr_assert_eq(rows[0].day, (uint32_t)DAY);
    cr_assert_eq(rows[0].purchases, metro_p);
    cr_assert_eq(rows[0].purchase_amount, metro_pa);
    cr_assert_eq(rows[0].loads, metro_l);
    cr_assert_eq(rows[0].load_amount, metro_la);
    cr_assert_eq(rows[1].operator_id, FX_BUSCO);
    cr_assert_eq(rows[1].purchases, bus_p);
    cr_assert_eq(rows[1].purchase_amount, bus_pa);
    cr_assert_eq(rows[1].loads, 0);

    /* Every record's TAC went through the HSM and verified. */
    host_hsm_get_stats(f.hsm, &stats);
    cr_assert_eq(stats.tac_verified, total);
    cr_assert_eq(stats.tac_failed, 0u);
    cr_assert_eq(stats.tac_key_derived, (uint64_t)NCARDS, "one TAC key derivation per card");
    cr_assert_eq(host_exception_count(f.db, -1, -1, &exc), 0);
    cr_assert_eq(exc, 0);

    cr_assert_eq(host_settle_gaps(f.db, gaps, 4, &n), 0);
    cr_assert_eq(n, 0u);
    cr_assert_eq(host_settle_reconcile(f.db, &recon, NULL, 0, &n), 0);
    for (i = 0; i < NCARDS; i++) {
        host_recon_card rc;
        balances += cards[i].balance;
        cr_assert_eq(host_recon_card_get(f.db, cards[i].p.serial, &rc), 0);
        cr_assert_eq(rc.implied, (int64_t)cards[i].balance);
        cr_assert_eq(rc.reported, (int64_t)cards[i].balance);
        cr_assert(rc.seen);
    }
    cr_assert_eq(recon.cards, NCARDS);
    cr_assert_eq(recon.cards_seen, NCARDS);
    cr_assert_eq(recon.mismatches, 0);
    cr_assert_eq(n, 0u);
    cr_assert_eq(recon.sum_initial, initial);
    cr_assert_eq(recon.sum_implied, balances);
    cr_assert_eq(recon.sum_reported, balances);
    cr_assert_eq(recon.sum_initial + metro_la - metro_pa - bus_pa, balances, "to the fen");
    cr_assert_eq(recon.loads_unconfirmed, 0);
    fx_close(&f);
}
