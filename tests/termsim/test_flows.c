/*
 * obol termsim tests: the card flows of each terminal kind, end to end through APDUs
 * (card and PSAM on simulated readers, the journal in an in-memory store): a POS
 * purchase (PIN-free EP and ED with PIN), metro entry and exit with a fare from the
 * fare table and a card-type discount, a bus tap with a transfer, a set-top box debit
 * over the contact interface, an online load with MAC2 from a host.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tt.h"

static term_store *mem_store(void)
{
    term_store_options o = {.mode = TERM_STORE_SIM};
    term_store *s;
    int rc = term_store_open(NULL, &o, &s);

    cr_assert_eq(rc, 0, "term_store_open: %s", term_strerror(rc));
    return s;
}

static term_txn journal(term_store *s, int64_t id)
{
    term_txn x;
    int rc = term_journal_get(s, id, &x);

    cr_assert_eq(rc, 0, "journal %lld: %s", (long long)id, term_strerror(rc));
    return x;
}

Test(flows, pos_purchase_pin_free_and_with_pin)
{
    term_store *s = mem_store();
    term_config cfg = {
        .kind = TERM_POS, .pin_free_limit = 1000, .pin = tt_pin_ok, .operator_id = 7};
    tt_term pos;
    tt_card card;
    term_result r;
    term_txn x;

    tt_term_open(&pos, &cfg, 0x0000000000310001ull, s);
    cr_assert_eq(term_id(pos.t), 0x000000310001ull);
    tt_card_open(&card, "transit-card", 0x0000000100000001ull, NULL);
    tt_card_fund(&card, 5000);
    term_simreader_insert(&pos.card_rd, &card.card);

    /* 9.90 yuan: below the limit, from the EP without a PIN */
    cr_assert_eq(term_purchase(pos.t, TT_T0, 990, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.kind, TERM_TXN_PURCHASE);
    cr_assert_eq(r.amount, 990);
    cr_assert_eq(r.balance_before, 5000);
    cr_assert_eq(r.balance_after, 4010);
    cr_assert_eq(r.serial, 0x0000000100000001ull);
    cr_assert_eq(r.flags & TERM_F_PIN, 0);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.state, TERM_TXN_COMPLETE);
    cr_assert_eq(x.rec.type, 0x06);
    cr_assert_eq(x.rec.operator_id, 7);
    cr_assert_eq(memcmp(x.rec.tac, r.tac, 4), 0);
    tt_expect_tac(&x.rec);
    cr_assert_eq(tt_card_balance(&card), 4010);
    term_simreader_insert(&pos.card_rd, &card.card);

    /* 20 yuan: above the limit; the ED needs the PIN, and the ED is empty */
    cr_assert_eq(term_purchase(pos.t, TT_T0 + TT_MIN(1), 2000, &r), 0);
    cr_assert_eq(r.status, TERM_DECLINED);
    cr_assert_eq(r.reason, TERM_R_NO_FUNDS);
    cr_assert(r.flags & TERM_F_PIN);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
}

Test(flows, pos_ed_purchase_after_online_load)
{
    term_store *s = mem_store();
    tt_host h;
    term_config cfg = {.kind = TERM_POS,
                       .pin_free_limit = 1000,
                       .pin = tt_pin_ok,
                       .host = tt_host_link,
                       .host_ctx = &h};
    tt_term pos;
    tt_card card;
    term_result r;
    term_txn x;

    tt_host_init(&h);
    cfg.host_ctx = &h;
    tt_term_open(&pos, &cfg, 0x0000000000310002ull, s);
    tt_card_open(&card, "transit-card", 0x0000000100000002ull, NULL);
    term_simreader_insert(&pos.card_rd, &card.card);
    /* Load 100 yuan into the ED (PIN) with MAC2 from the host. */
    cr_assert_eq(term_load(pos.t, TT_T0, 10000, 1, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.kind, TERM_TXN_LOAD);
    cr_assert_eq(r.balance_after, 10000);
    cr_assert_eq(h.loads, 1);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.rec.type, 0x01);
    cr_assert_geq(x.rec.ttn, 0x80000001u);
    tt_expect_tac(&x.rec);
    /* 25 yuan from the ED with the PIN */
    cr_assert_eq(term_purchase(pos.t, TT_T0 + TT_MIN(1), 2500, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert(r.flags & TERM_F_PIN);
    cr_assert_eq(r.balance_after, 7500);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.rec.type, 0x05);
    tt_expect_tac(&x.rec);
    /* an EP load too */
    cr_assert_eq(term_load(pos.t, TT_T0 + TT_MIN(2), 3000, 2, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(tt_card_balance(&card), 3000);
    tt_card_close(&card);
    tt_term_close(&pos);
    term_store_close(s);
    tt_host_free(&h);
}

Test(flows, gate_entry_exit_fare_and_discount)
{
    term_store *s = mem_store();
    term_config in_cfg = {.kind = TERM_GATE_ENTRY, .station = 101, .operator_id = TT_METRO};
    term_config out_cfg = {.kind = TERM_GATE_EXIT, .station = 104, .operator_id = TT_METRO};
    host_fare_table ft;
    tt_term in, out;
    tt_card adult, student;
    term_result r;
    term_txn x;

    tt_fare_metro(&ft);
    tt_term_open(&in, &in_cfg, 0x0000000000110001ull, s);
    tt_term_open(&out, &out_cfg, 0x0000000000110002ull, s);
    tt_install_fare(in.t, &ft, 1);
    tt_install_fare(out.t, &ft, 1);
    tt_card_open(&adult, "transit-card", 0x0000000100000011ull, NULL);
    tt_card_open(&student, "transit-student", 0x0000000100000012ull, NULL);

    /* Below the maximum fare (8 yuan) the entry gate refuses. */
    tt_card_fund(&adult, 700);
    term_simreader_insert(&in.card_rd, &adult.card);
    cr_assert_eq(term_tap(in.t, TT_T0, &r), 0);
    cr_assert_eq(r.status, TERM_DECLINED);
    cr_assert_eq(r.reason, TERM_R_NO_FUNDS);
    cr_assert_eq(r.journal_id, 0);
    tt_card_fund(&adult, 2000);

    /* Entry at 101: 0 taken, entry record written. */
    term_simreader_insert(&in.card_rd, &adult.card);
    cr_assert_eq(term_tap(in.t, TT_T0, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.kind, TERM_TXN_ENTRY);
    cr_assert_eq(r.amount, 0);
    cr_assert_eq(r.entry_station, 101);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.rec.type, 0x09);
    cr_assert_eq(x.rec.entry_station, 101);
    tt_expect_tac(&x.rec);
    /* Exit at 104 (zone 0 -> zone 2): 5 yuan. */
    term_simreader_insert(&out.card_rd, &adult.card);
    cr_assert_eq(term_tap(out.t, TT_T0 + TT_MIN(25), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.kind, TERM_TXN_EXIT);
    cr_assert_eq(r.amount, 500);
    cr_assert_eq(r.entry_station, 101);
    cr_assert_eq(r.exit_station, 104);
    cr_assert_eq(r.flags & (TERM_F_PENALTY | TERM_F_DISCOUNT | TERM_F_TRANSFER), 0);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.rec.exit_station, 104);
    cr_assert_eq(x.rec.balance_after, 2700 - 500);
    tt_expect_tac(&x.rec);
    cr_assert_eq(tt_card_balance(&adult), 2200);

    /* A student pays half: 2.50 yuan. */
    tt_card_fund(&student, 1000);
    term_simreader_insert(&in.card_rd, &student.card);
    cr_assert_eq(term_tap(in.t, TT_T0 + TT_MIN(1), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.card_type, 1);
    term_simreader_insert(&out.card_rd, &student.card);
    cr_assert_eq(term_tap(out.t, TT_T0 + TT_MIN(30), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.amount, 250);
    cr_assert(r.flags & TERM_F_DISCOUNT);

    /* Exit again without an entry: the maximum fare. */
    term_simreader_insert(&out.card_rd, &adult.card);
    cr_assert_eq(term_tap(out.t, TT_T0 + TT_MIN(40), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.amount, 800);
    cr_assert(r.flags & TERM_F_PENALTY);
    /* Entry twice: the second charges the trip left open (8 yuan) and needs the
     * hold of 8 yuan on top. */
    tt_card_fund(&student, 1000);
    term_simreader_insert(&in.card_rd, &student.card);
    cr_assert_eq(term_tap(in.t, TT_T0 + TT_MIN(50), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.amount, 0);
    term_simreader_insert(&in.card_rd, &student.card);
    cr_assert_eq(term_tap(in.t, TT_T0 + TT_MIN(51), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s", term_reason_name(r.reason));
    cr_assert_eq(r.amount, 800);
    cr_assert(r.flags & TERM_F_PENALTY);
    cr_assert_eq(r.balance_after, 1750 - 800);
    term_simreader_insert(&in.card_rd, &student.card);
    cr_assert_eq(term_tap(in.t, TT_T0 + TT_MIN(52), &r), 0);
    cr_assert_eq(r.status, TERM_DECLINED); /* 9.50 left: penalty 8 + hold 8 */
    cr_assert_eq(r.reason, TERM_R_NO_FUNDS);

    tt_card_close(&adult);
    tt_card_close(&student);
    tt_term_close(&in);
    tt_term_close(&out);
    term_store_close(s);
}

Test(flows, bus_tap_flat_fare_and_transfer_to_metro)
{
    term_store *s = mem_store();
    term_config bus_cfg = {.kind = TERM_BUS, .station = 2, .operator_id = TT_BUS};
    term_config in_cfg = {.kind = TERM_GATE_ENTRY, .station = 102, .operator_id = TT_METRO};
    term_config out_cfg = {.kind = TERM_GATE_EXIT, .station = 103, .operator_id = TT_METRO};
    host_fare_table bus_ft, metro_ft;
    tt_term bus, in, out;
    tt_card card;
    term_result r;
    term_txn x;

    tt_fare_bus(&bus_ft);
    tt_fare_metro(&metro_ft);
    tt_term_open(&bus, &bus_cfg, 0x0000000000220001ull, s);
    tt_term_open(&in, &in_cfg, 0x0000000000110003ull, s);
    tt_term_open(&out, &out_cfg, 0x0000000000110004ull, s);
    tt_install_fare(bus.t, &bus_ft, 3);
    tt_install_fare(in.t, &metro_ft, 1);
    tt_install_fare(out.t, &metro_ft, 1);
    tt_card_open(&card, "transit-card", 0x0000000100000021ull, NULL);
    tt_card_fund(&card, 3000);

    term_simreader_insert(&bus.card_rd, &card.card);
    cr_assert_eq(term_tap(bus.t, TT_T0, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.kind, TERM_TXN_BUS);
    cr_assert_eq(r.amount, 200);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.rec.operator_id, TT_BUS);
    cr_assert_eq(x.rec.entry_station, 2);
    tt_expect_tac(&x.rec);
    /* Into the metro 20 minutes later, out at 103 (zone 0 -> 1: 3 yuan) less the
     * 1 yuan transfer from the bus. */
    term_simreader_insert(&in.card_rd, &card.card);
    cr_assert_eq(term_tap(in.t, TT_T0 + TT_MIN(20), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    term_simreader_insert(&out.card_rd, &card.card);
    cr_assert_eq(term_tap(out.t, TT_T0 + TT_MIN(45), &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED);
    cr_assert_eq(r.amount, 200);
    cr_assert(r.flags & TERM_F_TRANSFER);
    /* And back on a bus 2 hours later: no transfer any more. */
    term_simreader_insert(&bus.card_rd, &card.card);
    cr_assert_eq(term_tap(bus.t, TT_T0 + TT_MIN(200), &r), 0);
    cr_assert_eq(r.amount, 200);
    cr_assert_eq(r.flags & TERM_F_TRANSFER, 0);
    cr_assert_eq(tt_card_balance(&card), 3000 - 200 - 200 - 200);
    tt_card_close(&card);
    tt_term_close(&bus);
    tt_term_close(&in);
    tt_term_close(&out);
    term_store_close(s);
}

Test(flows, set_top_box_subscription_over_contact)
{
    term_store *s = mem_store();
    term_config cfg = {.kind = TERM_STB, .operator_id = 9};
    tt_term stb;
    tt_card card;
    term_result r;
    term_txn x;

    tt_term_open(&stb, &cfg, 0x0000000000550001ull, s);
    cr_assert_eq(stb.card_rd.base.iface, TERM_IF_CONTACT);
    tt_card_open(&card, "transit-card", 0x0000000100000031ull, NULL);
    tt_card_fund(&card, 5000);
    term_simreader_insert(&stb.card_rd, &card.card);
    cr_assert_eq(term_purchase(stb.t, TT_T0, 3000, &r), 0);
    cr_assert_eq(r.status, TERM_APPROVED, "reason %s sw %04X", term_reason_name(r.reason), r.sw);
    cr_assert_eq(r.kind, TERM_TXN_SUBSCRIPTION);
    x = journal(s, r.journal_id);
    cr_assert_eq(x.rec.type, 0x06);
    cr_assert_eq(x.rec.operator_id, 9);
    tt_expect_tac(&x.rec);
    /* the next month's fee does not fit */
    term_simreader_insert(&stb.card_rd, &card.card);
    cr_assert_eq(term_purchase(stb.t, TT_T0 + TT_MIN(1), 3000, &r), 0);
    cr_assert_eq(r.status, TERM_DECLINED);
    cr_assert_eq(r.reason, TERM_R_NO_FUNDS);
    /* a gate cannot sell, a set-top box cannot take taps */
    cr_assert_eq(term_tap(stb.t, TT_T0, &r), TERM_ERR_STATE);
    tt_card_close(&card);
    tt_term_close(&stb);
    term_store_close(s);
}

Test(flows, no_card_and_unknown_card)
{
    term_store *s = mem_store();
    term_config cfg = {.kind = TERM_POS};
    tt_term pos;
    tt_card psam_as_card;
    term_result r;

    tt_term_open(&pos, &cfg, 0x0000000000310009ull, s);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 100, &r), TERM_ERR_NO_CARD);
    /* a card without the purse application */
    tt_card_open(&psam_as_card, "term-psam", 0x77, NULL);
    term_simreader_insert(&pos.card_rd, &psam_as_card.card);
    cr_assert_eq(term_purchase(pos.t, TT_T0, 100, &r), 0);
    cr_assert_eq(r.status, TERM_DECLINED);
    cr_assert_eq(r.reason, TERM_R_NO_APP);
    tt_card_close(&psam_as_card);
    tt_term_close(&pos);
    term_store_close(s);
}
