/*
 * obol tests: issuance and the card life cycle (host_issue.h), the blacklist service
 * with versions, full lists, deltas and per-terminal acknowledgement
 * (host_blacklist.h), and versioned parameters (host_param.h) — directly and through
 * the protocol's BL_REQ and PARAM_REQ.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "obol/host_blacklist.h"
#include "obol/host_param.h"
#include "obol/host_term.h"

static fx f;

static void setup(void)
{
    fx_open(&f, NULL);
}

static void teardown(void)
{
    fx_close(&f);
}

TestSuite(host_issue, .init = setup, .fini = teardown);
TestSuite(host_blacklist, .init = setup, .fini = teardown);
TestSuite(host_param, .init = setup, .fini = teardown);

/* ---- issuance -------------------------------------------------------------------- */

Test(host_issue, serials_perso_and_life_cycle)
{
    host_issue_req req;
    host_perso a, b, repl;
    host_card c;
    host_card_keys k;
    uint8_t reason;

    memset(&req, 0, sizeof req);
    req.issuer = FX_ISSUER;
    req.industry = HOST_INDUSTRY_TRANSIT;
    req.card_type = 1;
    req.key_version = 1;
    req.gp_kvn = FX_KVN;
    req.initial_balance = 2000;
    req.expiry = 20301231;
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &a), 0);
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &b), 0);
    cr_assert_eq(a.serial, ((uint64_t)FX_PREFIX << 32) | 1u);
    cr_assert_eq(b.serial, a.serial + 1);
    cr_assert_eq(a.issuer, FX_ISSUER);
    cr_assert_eq(a.initial_balance, 2000u);
    cr_assert_eq(a.max_balance, 1000000u, "the default limit");
    cr_assert(a.has_gp);
    cr_assert_eq(host_hsm_card_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, a.serial, &k), 0);
    cr_assert_arr_eq(a.keys.dtk, k.dtk, 16);
    cr_assert_neq(memcmp(a.keys.dtk, b.keys.dtk, 16), 0, "keys are per card");
    req.serial = a.serial;
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &repl), HOST_ERR_DUPLICATE);
    req.serial = 0;
    req.key_version = 5;
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &repl), HOST_ERR_NOTFOUND, "no keys v5");

    cr_assert_eq(host_card_get(f.db, a.serial, &c), 0);
    cr_assert_eq(c.state, HOST_CARD_ISSUED);
    cr_assert_eq(host_card_set_state(f.db, a.serial, HOST_CARD_ACTIVE, 0), 0);
    cr_assert_eq(host_card_set_state(f.db, a.serial, HOST_CARD_ISSUED, 0), HOST_ERR_STATE);
    cr_assert_eq(host_card_set_state(f.db, a.serial, HOST_CARD_BLOCKED, HOST_BLR_FRAUD), 0);
    cr_assert_eq(host_blacklist_contains(f.db, a.serial, &reason), 1);
    cr_assert_eq(reason, HOST_BLR_FRAUD);
    cr_assert_eq(host_card_set_state(f.db, a.serial, HOST_CARD_ACTIVE, HOST_BLR_ISSUER), 0);
    cr_assert_eq(host_blacklist_contains(f.db, a.serial, NULL), 0, "unblocked: off the list");
    cr_assert_eq(host_card_set_state(f.db, a.serial, HOST_CARD_LOST, HOST_BLR_LOST), 0);
    cr_assert_eq(host_card_set_state(f.db, a.serial, HOST_CARD_ACTIVE, 0), HOST_ERR_STATE);

    cr_assert_eq(host_card_replace(f.db, f.hsm, a.serial, 0, 1234, &repl), 0);
    cr_assert_eq(repl.serial, a.serial + 2, "the failed issues allocated no serial");
    cr_assert_eq(repl.initial_balance, 1234u);
    cr_assert_eq(repl.card_type, 1);
    cr_assert_eq(host_card_get(f.db, a.serial, &c), 0);
    cr_assert_eq(c.state, HOST_CARD_REPLACED);
    cr_assert_eq(c.replaced_by, repl.serial);
    cr_assert_eq(host_blacklist_contains(f.db, a.serial, &reason), 1);
    cr_assert_eq(reason, HOST_BLR_REPLACED);
    cr_assert_eq(host_card_replace(f.db, f.hsm, a.serial, 0, 0, &repl), HOST_ERR_STATE);
    cr_assert_eq(host_card_get(f.db, 0x42, &c), HOST_ERR_NOTFOUND);
}

/* ---- blacklist ------------------------------------------------------------------- */

static void expect(const host_bl_list *l, size_t i, uint64_t serial, uint8_t op, uint8_t reason)
{
    cr_assert_lt(i, l->n);
    cr_assert_eq(l->e[i].serial, serial, "entry %zu serial", i);
    cr_assert_eq(l->e[i].op, op, "entry %zu op", i);
    cr_assert_eq(l->e[i].reason, reason, "entry %zu reason", i);
}

Test(host_blacklist, versions_full_lists_and_deltas)
{
    host_bl_list l;
    uint32_t v;

    cr_assert_eq(host_blacklist_version(f.db, &v), 0);
    cr_assert_eq(v, 0u);
    cr_assert_eq(host_blacklist_add(f.db, 30, HOST_BLR_LOST, &v), 0); /* v1 */
    cr_assert_eq(v, 1u);
    cr_assert_eq(host_blacklist_add(f.db, 10, HOST_BLR_FRAUD, &v), 0); /* v2 */
    cr_assert_eq(host_blacklist_add(f.db, 20, HOST_BLR_LOST, &v), 0);  /* v3 */
    cr_assert_eq(host_blacklist_add(f.db, 20, HOST_BLR_LOST, &v), HOST_ERR_DUPLICATE);
    cr_assert_eq(host_blacklist_remove(f.db, 30, HOST_BLR_ISSUER, &v), 0); /* v4 */
    cr_assert_eq(host_blacklist_remove(f.db, 30, HOST_BLR_ISSUER, &v), HOST_ERR_NOTFOUND);
    cr_assert_eq(host_blacklist_add(f.db, 40, HOST_BLR_BLOCKED, &v), 0);   /* v5 */
    cr_assert_eq(host_blacklist_remove(f.db, 40, HOST_BLR_ISSUER, &v), 0); /* v6 */
    cr_assert_eq(host_blacklist_remove(f.db, 10, HOST_BLR_ISSUER, &v), 0); /* v7 */
    cr_assert_eq(host_blacklist_add(f.db, 10, HOST_BLR_LOST, &v), 0);      /* v8 */
    cr_assert_eq(v, 8u);

    cr_assert_eq(host_blacklist_full(f.db, 0, &l), 0);
    cr_assert_eq(l.to_version, 8u);
    cr_assert_eq(l.n, 2u);
    expect(&l, 0, 10, HOST_BL_ADD, HOST_BLR_LOST);
    expect(&l, 1, 20, HOST_BL_ADD, HOST_BLR_LOST);
    host_bl_list_free(&l);
    cr_assert_eq(host_blacklist_full(f.db, 3, &l), 0);
    cr_assert_eq(l.n, 3u);
    expect(&l, 0, 10, HOST_BL_ADD, HOST_BLR_FRAUD);
    expect(&l, 2, 30, HOST_BL_ADD, HOST_BLR_LOST);
    host_bl_list_free(&l);
    cr_assert_eq(host_blacklist_full(f.db, 9, &l), HOST_ERR_NOTFOUND);

    /* v3 -> v8: 30 removed; 40 added and removed (no entry); 10 re-listed with
     * another reason (an ADD carrying the new reason). */
    cr_assert_eq(host_blacklist_delta(f.db, 3, 0, &l), 0);
    cr_assert_eq(l.from_version, 3u);
    cr_assert_eq(l.to_version, 8u);
    cr_assert_eq(l.n, 2u);
    expect(&l, 0, 10, HOST_BL_ADD, HOST_BLR_LOST);
    expect(&l, 1, 30, HOST_BL_REMOVE, HOST_BLR_ISSUER);
    host_bl_list_free(&l);
    /* v0 -> v3 is the full list at v3; v8 -> v8 is empty. */
    cr_assert_eq(host_blacklist_delta(f.db, 0, 3, &l), 0);
    cr_assert_eq(l.n, 3u);
    host_bl_list_free(&l);
    cr_assert_eq(host_blacklist_delta(f.db, 8, 8, &l), 0);
    cr_assert_eq(l.n, 0u);
    host_bl_list_free(&l);
    cr_assert_eq(host_blacklist_delta(f.db, 5, 4, &l), HOST_ERR_ARG);
    cr_assert_eq(host_blacklist_delta(f.db, 1, 9, &l), HOST_ERR_NOTFOUND);
}

/* Sends BL_REQ from TERMINAL holding HAVE; returns the decoded reply (raw in *RAW). */
static host_msg bl_request(uint64_t terminal, uint32_t have, uint8_t mode, uint8_t **raw)
{
    host_msg_bl_req q = {terminal, have, mode};
    uint8_t frame[64];
    host_msg r;
    size_t n;

    cr_assert_eq(host_proto_encode_bl_req(11, &q, frame, sizeof frame, &n), 0);
    fx_call(&f, frame, n, &r, raw);
    cr_assert_eq(r.type, HOST_MSG_BL_REPLY);
    cr_assert_eq(r.id, 11u);
    return r;
}

Test(host_blacklist, distribution_through_the_protocol_and_acknowledgements)
{
    host_bl_entry e;
    host_terminal t;
    host_msg r;
    uint64_t lag[8];
    uint8_t *raw;
    size_t n;

    cr_assert_eq(host_blacklist_add(f.db, 0x31000001000000AAull, HOST_BLR_LOST, NULL), 0);
    cr_assert_eq(host_blacklist_add(f.db, 0x31000001000000BBull, HOST_BLR_FRAUD, NULL), 0);
    /* A new terminal: the full list. */
    r = bl_request(FX_GATE_A, 0, HOST_BL_DELTA, &raw);
    cr_assert_eq(r.u.bl_reply.kind, HOST_BL_LIST);
    cr_assert_eq(r.u.bl_reply.to_version, 2u);
    cr_assert_eq(r.u.bl_reply.count, 2u);
    cr_assert_eq(host_proto_bl_entry(&r, 1, &e), 0);
    cr_assert_eq(e.serial, 0x31000001000000BBull);
    free(raw);
    /* Every in-service terminal is behind version 2 until it says it holds it. */
    cr_assert_eq(host_blacklist_lagging(f.db, 0, lag, 8, &n), 0);
    cr_assert_eq(n, 4u);
    r = bl_request(FX_GATE_A, 2, HOST_BL_DELTA, &raw);
    cr_assert_eq(r.u.bl_reply.kind, HOST_BL_CURRENT);
    cr_assert_eq(r.u.bl_reply.count, 0u);
    free(raw);
    cr_assert_eq(host_terminal_get(f.db, FX_GATE_A, &t), 0);
    cr_assert_eq(t.bl_version, 2u, "acknowledged");
    cr_assert_eq(host_blacklist_lagging(f.db, 0, lag, 8, &n), 0);
    cr_assert_eq(n, 3u);

    /* One more change: gate A gets a delta. */
    cr_assert_eq(host_blacklist_remove(f.db, 0x31000001000000AAull, HOST_BLR_ISSUER, NULL), 0);
    r = bl_request(FX_GATE_A, 2, HOST_BL_DELTA, &raw);
    cr_assert_eq(r.u.bl_reply.kind, HOST_BL_CHANGES);
    cr_assert_eq(r.u.bl_reply.from_version, 2u);
    cr_assert_eq(r.u.bl_reply.to_version, 3u);
    cr_assert_eq(r.u.bl_reply.count, 1u);
    cr_assert_eq(host_proto_bl_entry(&r, 0, &e), 0);
    cr_assert_eq(e.op, HOST_BL_REMOVE);
    free(raw);
    /* Full on request; a version the platform never issued also gets the full list. */
    r = bl_request(FX_GATE_B, 2, HOST_BL_FULL, &raw);
    cr_assert_eq(r.u.bl_reply.kind, HOST_BL_LIST);
    cr_assert_eq(r.u.bl_reply.count, 1u);
    free(raw);
    r = bl_request(FX_BUS, 99, HOST_BL_DELTA, &raw);
    cr_assert_eq(r.u.bl_reply.kind, HOST_BL_LIST);
    free(raw);
    /* An unknown terminal is refused with a reason. */
    r = bl_request(0x0000FFFFFFFFull, 0, HOST_BL_DELTA, &raw);
    cr_assert_eq(r.u.bl_reply.status, 1);
    cr_assert_eq(r.u.bl_reply.reason, HOST_REASON_UNKNOWN_TERMINAL);
    free(raw);
    cr_assert_eq(host_blacklist_ack(f.db, FX_BUS, 3), 0);
    cr_assert_eq(host_blacklist_ack(f.db, FX_BUS, 4), HOST_ERR_ARG);
    cr_assert_eq(host_blacklist_ack(f.db, 0x0000FFFFFFFFull, 1), HOST_ERR_NOTFOUND);
}

/* ---- parameters ------------------------------------------------------------------ */

static void table(host_fare_table *t, uint32_t base)
{
    memset(t, 0, sizeof *t);
    t->operator_id = FX_METRO;
    t->kind = HOST_FARE_DISTANCE;
    t->n_stations = 2;
    t->stations[0] = (host_fare_station){101, 0, 0};
    t->stations[1] = (host_fare_station){102, 0, 5000};
    t->n_bands = 1;
    t->bands[0] = (host_fare_band){10000, base};
}

static host_msg param_request(uint64_t terminal, uint8_t kind, uint32_t have, uint8_t **raw)
{
    host_msg_param_req q = {terminal, kind, have};
    uint8_t frame[64];
    host_msg r;
    size_t n;

    cr_assert_eq(host_proto_encode_param_req(12, &q, frame, sizeof frame, &n), 0);
    fx_call(&f, frame, n, &r, raw);
    cr_assert_eq(r.type, HOST_MSG_PARAM_REPLY);
    return r;
}

Test(host_param, fare_versions_download_and_acknowledge)
{
    host_fare_table t, got;
    host_terminal term;
    host_msg r;
    uint8_t *raw;
    uint32_t v, fare;

    r = param_request(FX_GATE_A, HOST_PARAM_FARE, 0, &raw);
    cr_assert_eq(r.u.param_reply.status, 1);
    cr_assert_eq(r.u.param_reply.reason, HOST_REASON_NOT_FOUND, "nothing published yet");
    free(raw);
    table(&t, 300);
    cr_assert_eq(host_param_fare_publish(f.db, &t, &v), 0);
    cr_assert_eq(v, 1u);
    cr_assert_eq(t.version, 1u);
    table(&t, 350);
    cr_assert_eq(host_param_fare_publish(f.db, &t, &v), 0);
    cr_assert_eq(v, 2u);
    t.n_bands = 0;
    cr_assert_eq(host_param_fare_publish(f.db, &t, &v), HOST_ERR_ARG);
    t.n_bands = 1;
    t.operator_id = 77;
    cr_assert_eq(host_param_fare_publish(f.db, &t, &v), HOST_ERR_NOTFOUND);

    cr_assert_eq(host_param_fare_get(f.db, FX_METRO, 1, &got), 0);
    cr_assert_eq(got.version, 1u);
    cr_assert_eq(host_fare_compute(&got, 0, 101, 102, NULL, &fare), 0);
    cr_assert_eq(fare, 300u);
    cr_assert_eq(host_param_fare_get(f.db, FX_METRO, 0, &got), 0);
    cr_assert_eq(got.version, 2u);
    cr_assert_eq(host_param_fare_get(f.db, FX_METRO, 3, &got), HOST_ERR_NOTFOUND);

    r = param_request(FX_GATE_A, HOST_PARAM_FARE, 1, &raw);
    cr_assert_eq(r.u.param_reply.status, 0);
    cr_assert_eq(r.u.param_reply.version, 2u);
    cr_assert_eq(r.u.param_reply.current, 0);
    cr_assert_eq(host_fare_decode(r.u.param_reply.payload, r.u.param_reply.length, &got), 0);
    cr_assert_eq(got.bands[0].fare, 350u);
    free(raw);
    cr_assert_eq(host_terminal_get(f.db, FX_GATE_A, &term), 0);
    cr_assert_eq(term.fare_version, 1u, "the version it reported holding");
    r = param_request(FX_GATE_A, HOST_PARAM_FARE, 2, &raw);
    cr_assert_eq(r.u.param_reply.current, 1);
    cr_assert_eq(r.u.param_reply.length, 0u);
    free(raw);
    cr_assert_eq(host_terminal_get(f.db, FX_GATE_A, &term), 0);
    cr_assert_eq(term.fare_version, 2u);
}

Test(host_param, terminal_parameter_sets)
{
    host_term_params p, got;
    host_terminal term;
    host_msg r;
    uint8_t *raw;
    uint32_t v;

    memset(&p, 0, sizeof p);
    p.set_id = FX_METRO; /* the fixture's gates use set = operator */
    p.operator_id = FX_METRO;
    p.max_offline_amount = 20000;
    p.min_entry_balance = 200;
    p.purchase_key_index = 1;
    p.purchase_key_version = 1;
    cr_assert_eq(host_param_term_publish(f.db, &p, &v), 0);
    p.min_entry_balance = 300;
    cr_assert_eq(host_param_term_publish(f.db, &p, &v), 0);
    cr_assert_eq(v, 2u);
    cr_assert_eq(host_param_term_get(f.db, FX_METRO, 1, &got), 0);
    cr_assert_eq(got.min_entry_balance, 200u);
    r = param_request(FX_GATE_B, HOST_PARAM_TERMINAL, 0, &raw);
    cr_assert_eq(r.u.param_reply.version, 2u);
    cr_assert_eq(host_term_params_decode(r.u.param_reply.payload, r.u.param_reply.length, &got), 0);
    cr_assert_eq(got.min_entry_balance, 300u);
    cr_assert_eq(got.version, 2u);
    free(raw);
    cr_assert_eq(host_param_ack(f.db, FX_GATE_B, HOST_PARAM_TERMINAL, 2), 0);
    cr_assert_eq(host_terminal_get(f.db, FX_GATE_B, &term), 0);
    cr_assert_eq(term.param_version, 2u);
    /* The bus terminal's set (2) has nothing published. */
    r = param_request(FX_BUS, HOST_PARAM_TERMINAL, 0, &raw);
    cr_assert_eq(r.u.param_reply.reason, HOST_REASON_NOT_FOUND);
    free(raw);
}
