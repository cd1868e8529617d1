/*
 * obol PBOC tests: end-to-end purchases and loads through APDUs only (cos_transmit on
 * a purse card from profiles/purse.profile and a PSAM from profiles/psam.profile),
 * with the host checking every MAC2 and TAC with OpenSSL (obol_host).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pboc_test.h"

static pt_card card, psam;

static void setup(void)
{
    pt_open(&card, "purse", 0, 0);
    pt_open(&psam, "psam", 0, 0);
}

static void teardown(void)
{
    pt_close(&card);
    pt_close(&psam);
}

TestSuite(flow, .init = setup, .fini = teardown);

static void purchase_init(pt_purchase *p, uint8_t purse, uint8_t kid, uint32_t amount)
{
    memset(p, 0, sizeof *p);
    p->purse = purse;
    p->kid = kid;
    p->amount = amount;
    pt_unhex("20261122", p->date, 4);
    pt_unhex("083000", p->time, 3);
}

static void load(uint8_t purse, uint32_t amount)
{
    pt_load l;

    memset(&l, 0, sizeof l);
    l.purse = purse;
    l.kid = 1;
    l.amount = amount;
    pt_unhex("AABBCCDDEEFF", l.tid, 6);
    pt_unhex("20261122", l.date, 4);
    pt_unhex("090000", l.time, 3);
    pt_load_run(&card, &l);
    cr_assert_eq(l.stage, 0, "load stopped at stage %d, SW %04X", l.stage, l.sw);
}

static void verify_pin(void)
{
    cr_assert_eq(pt_txh(&card, "00 20 00 01 03 123456", NULL, NULL), 0x9000);
}

Test(flow, ep_load_then_purchases_with_both_key_versions)
{
    pt_purchase p;
    uint8_t r[32];
    size_t n;

    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    cr_assert_eq(pt_balance(&card, 2), 0);
    load(2, 10000);
    cr_assert_eq(pt_balance(&card, 2), 10000);

    /* key index 1: version 01, two-level dispersion in the PSAM */
    purchase_init(&p, 2, 1, 250);
    pt_purchase_run(&card, &psam, &p);
    cr_assert_eq(p.stage, 0, "purchase stopped at stage %d, SW %04X", p.stage, p.sw);
    cr_expect_eq(p.kver, 1);
    cr_expect_eq(p.balance, 10000);
    cr_expect_eq(p.ctr, 0);
    cr_expect_eq(p.ttn, 1);
    /* key index 2: version 02, one level */
    purchase_init(&p, 2, 2, 750);
    pt_purchase_run(&card, &psam, &p);
    cr_assert_eq(p.stage, 0, "purchase stopped at stage %d, SW %04X", p.stage, p.sw);
    cr_expect_eq(p.kver, 2);
    cr_expect_eq(p.ctr, 1);
    cr_expect_eq(p.ttn, 2);
    cr_expect_eq(pt_balance(&card, 2), 9000);
    /* The log holds both purchases and the load, newest first. */
    cr_assert_eq(pt_txh(&card, "00 B2 01 C4 17", r, &n), 0x9000);
    pt_expect_hex("log 1", r, n, "0001 000000 000002EE 06 112233445566 20261122 083000");
    cr_assert_eq(pt_txh(&card, "00 B2 02 C4 17", r, &n), 0x9000);
    pt_expect_hex("log 2", r, n, "0000 000000 000000FA 06 112233445566 20261122 083000");
    cr_assert_eq(pt_txh(&card, "00 B2 03 C4 17", r, &n), 0x9000);
    pt_expect_hex("log 3", r, n, "0000 000000 00002710 02 AABBCCDDEEFF 20261122 090000");
    cr_assert_eq(pt_txh(&card, "00 B2 04 C4 17", r, &n), 0x6A83);
}

Test(flow, load_counts_online_and_proves)
{
    pt_load l;
    uint8_t r[16];
    size_t n;

    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    load(2, 100);
    memset(&l, 0, sizeof l);
    l.purse = 2;
    l.kid = 1;
    l.amount = 200;
    pt_load_run(&card, &l);
    cr_assert_eq(l.stage, 0);
    cr_expect_eq(l.old_balance, 100);
    cr_expect_eq(l.ctr, 1);
    cr_expect_eq(pt_balance(&card, 2), 300);
    cr_assert_eq(pt_txh(&card, "80 5A 00 02 02 0002 08", r, &n), 0x9000);
    cr_expect_eq(memcmp(r, l.mac2, 4), 0);
    cr_expect_eq(memcmp(r + 4, l.tac, 4), 0);
    /* the wrong type or counter: 9406 */
    cr_expect_eq(pt_txh(&card, "80 5A 00 06 02 0002 08", r, &n), 0x9406);
    cr_expect_eq(pt_txh(&card, "80 5A 00 02 02 0001 08", r, &n), 0x9406);
}

Test(flow, capp_purchase_writes_the_trip_record)
{
    pt_purchase p;
    uint8_t rec[48], r[64];
    size_t n;
    int i;

    for (i = 0; i < 48; i++)
        rec[i] = (uint8_t)(0xA0 + i);
    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    load(2, 1000);
    purchase_init(&p, 2, 1, 200);
    p.capp = 1;
    p.capp_rec = rec;
    p.capp_len = 48;
    p.capp_sfi = 0x17;
    p.capp_recno = 2;
    pt_purchase_run(&card, &psam, &p);
    cr_assert_eq(p.stage, 0, "CAPP purchase stopped at stage %d, SW %04X", p.stage, p.sw);
    cr_expect_eq(pt_balance(&card, 2), 800);
    cr_assert_eq(pt_txh(&card, "00 B2 02 BC 30", r, &n), 0x9000);
    cr_expect_eq(n, 48);
    cr_expect_eq(memcmp(r, rec, 48), 0);
    cr_assert_eq(pt_txh(&card, "00 B2 01 C4 17", r, &n), 0x9000);
    cr_expect_eq(r[9], 0x09, "logged as a composite purchase");
}

Test(flow, ed_needs_the_pin)
{
    pt_purchase p;
    uint8_t r[32];
    size_t n;

    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    /* ED without VERIFY: 6982 for load, purchase and balance (PBOC 2.0 part 1, 5.2) */
    cr_expect_eq(pt_txh(&card, "80 50 00 01 0B 01 00000064 112233445566 10", r, &n), 0x6982);
    cr_expect_eq(pt_txh(&card, "80 50 01 01 0B 01 00000001 112233445566 0F", r, &n), 0x6982);
    cr_expect_eq(pt_txh(&card, "80 5C 00 01 04", r, &n), 0x6982);
    cr_expect_eq(pt_txh(&card, "00 20 00 01 03 654321", NULL, NULL), 0x63C2);
    verify_pin();
    load(1, 5000);
    cr_expect_eq(pt_balance(&card, 1), 5000);
    cr_expect_eq(pt_balance(&card, 2), 0, "the EP is a separate purse");
    purchase_init(&p, 1, 1, 1234);
    p.no_select = 1;
    pt_read_ids(&card, p.serial, p.issuer);
    cr_assert_eq(pt_select(&psam, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    cr_assert_eq(pt_txh(&psam, "00 B0 96 00 06", p.tid, &n), 0x9000);
    pt_purchase_run(&card, &psam, &p);
    cr_assert_eq(p.stage, 0, "ED purchase stopped at stage %d, SW %04X", p.stage, p.sw);
    cr_expect_eq(pt_balance(&card, 1), 5000 - 1234);
    cr_assert_eq(pt_txh(&card, "00 B2 01 C4 17", r, &n), 0x9000);
    cr_expect_eq(r[9], 0x05, "logged as an ED purchase");
    /* a reset clears the verification */
    pt_reset(&card);
    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    cr_expect_eq(pt_txh(&card, "80 5C 00 01 04", r, &n), 0x6982);
}

Test(flow, log_keeps_the_last_ten)
{
    pt_purchase p;
    uint8_t r[32];
    size_t n;
    int i;

    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    load(2, 100000);
    for (i = 0; i < 12; i++) {
        purchase_init(&p, 2, 1, (uint32_t)(i + 1));
        pt_purchase_run(&card, &psam, &p);
        cr_assert_eq(p.stage, 0);
    }
    cr_assert_eq(pt_txh(&card, "00 B2 01 C4 17", r, &n), 0x9000);
    cr_expect_eq(r[8], 12, "newest: amount 12");
    cr_assert_eq(pt_txh(&card, "00 B2 0A C4 17", r, &n), 0x9000);
    cr_expect_eq(r[8], 3, "oldest kept: amount 3 (the load and amounts 1, 2 are gone)");
    cr_expect_eq(pt_txh(&card, "00 B2 0B C4 17", r, &n), 0x6A83);
    cr_expect_eq(pt_balance(&card, 2), 100000 - 78);
}

Test(flow, psam_ttn_survives_power_cycles)
{
    pt_purchase p;

    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    load(2, 1000);
    purchase_init(&p, 2, 1, 1);
    pt_purchase_run(&card, &psam, &p);
    cr_assert_eq(p.ttn, 1);
    pt_reset(&psam);
    pt_reset(&card);
    purchase_init(&p, 2, 1, 1);
    pt_purchase_run(&card, &psam, &p);
    cr_assert_eq(p.stage, 0);
    cr_expect_eq(p.ttn, 2);
}

Test(flow, serial_override_makes_another_card)
{
    pt_card other;
    pt_purchase p;
    uint8_t serial[8], issuer[8];

    pt_open(&other, "purse", 0x0102030405060708ull, 0);
    cr_assert_eq(pt_select(&other, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    pt_read_ids(&other, serial, issuer);
    pt_expect_hex("serial", serial, 8, "0102030405060708");
    pt_unhex("AABBCCDDEEFF", p.tid, 6);
    {
        pt_load l;
        memset(&l, 0, sizeof l);
        l.purse = 2;
        l.kid = 1;
        l.amount = 500;
        pt_load_run(&other, &l);
        cr_assert_eq(l.stage, 0, "keys dispersed for the override serial");
    }
    purchase_init(&p, 2, 1, 50);
    pt_purchase_run(&other, &psam, &p);
    cr_assert_eq(p.stage, 0, "the PSAM disperses for the override serial");
    pt_close(&other);
}
