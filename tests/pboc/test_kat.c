/*
 * obol PBOC tests: known-answer vectors.
 *
 * 1. The host's OpenSSL route (obol_host) against the PROTOCOLS.md reference vectors
 *    (recomputed there with pycryptodome): SESPK, SESLK, MAC1/MAC2/TAC of purchase
 *    (06), composite purchase (09) and load, and the dispersion example.
 * 2. The purse applet through APDUs with the vector keys and a fixed card random
 *    (11223344): it must produce and accept exactly those values.
 * 3. The PSAM through APDUs: MAC1 for a card whose key is the dispersion example,
 *    computed once with OpenSSL (obol_host) and pinned here; and the pinned order of
 *    two-level dispersion (issuer/city code first, then the card serial).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "obol/host_crypto.h"
#include "pboc_test.h"

static const char *KEY = "11223344556677888877665544332211"; /* TEST KEY (PROTOCOLS.md) */

static void h(const char *hex, uint8_t *out, size_t n)
{
    cr_assert_eq(pt_unhex(hex, out, n), n);
}

static host_pboc_purchase vec_purchase(uint8_t type)
{
    host_pboc_purchase p;

    memset(&p, 0, sizeof p);
    p.amount = 0x64;
    p.type = type;
    h("112233445566", p.terminal_id, 6);
    p.ttn = 0x10;
    h("20261122", p.date, 4);
    h("083000", p.time, 3);
    return p;
}

Test(kat, host_purchase_vectors)
{
    uint8_t k[16], rnd[4], s[8], m[4];
    host_pboc_purchase p6 = vec_purchase(6), p9 = vec_purchase(9);

    h(KEY, k, 16);
    h("11223344", rnd, 4);
    cr_assert_eq(host_pboc_sespk(k, rnd, 1, 0x10, s), 0);
    pt_expect_hex("SESPK", s, 8, "AC847C301E81C45D");
    host_pboc_purchase_mac1(s, &p6, m);
    pt_expect_hex("MAC1 06", m, 4, "D4328229");
    host_pboc_purchase_mac1(s, &p9, m);
    pt_expect_hex("MAC1 09", m, 4, "285D2B9A");
    host_pboc_purchase_mac2(s, 0x64, m);
    pt_expect_hex("MAC2", m, 4, "072B5966");
    host_pboc_purchase_tac(k, &p6, m);
    pt_expect_hex("TAC 06", m, 4, "BE5A9E80");
    host_pboc_purchase_tac(k, &p9, m);
    pt_expect_hex("TAC 09", m, 4, "0ED7EDE7");
}

Test(kat, host_load_and_dispersion_vectors)
{
    uint8_t k[16], rnd[4], s[8], m[4], mk[16], f[8], out[16];
    host_pboc_load l;

    h(KEY, k, 16);
    h("11223344", rnd, 4);
    cr_assert_eq(host_pboc_seslk(k, rnd, 0, s), 0);
    pt_expect_hex("SESLK", s, 8, "9B1D924E05595603");
    memset(&l, 0, sizeof l);
    l.old_balance = 0x3E8;
    l.amount = 0x64;
    l.type = 2;
    h("112233445566", l.terminal_id, 6);
    h("20261122", l.date, 4);
    h("083000", l.time, 3);
    host_pboc_load_mac1(s, &l, m);
    pt_expect_hex("load MAC1", m, 4, "8FB1BF26");
    host_pboc_load_mac2(s, &l, m);
    pt_expect_hex("load MAC2", m, 4, "A58E3ED2");
    host_pboc_load_tac(k, &l, m);
    pt_expect_hex("load TAC", m, 4, "FC583600");
    h("0123456789ABCDEFFEDCBA9876543210", mk, 16);
    h("1234567890ABCDEF", f, 8);
    host_pboc_diversify(mk, f, out);
    pt_expect_hex("dispersion", out, 16, "479EF7C1ECFE64AC9BB75999A2E5CD53");
}

/* A purse card with the vector keys, EP balance 03E8, card random 11223344. */
static void kat_card(pt_card *c)
{
    uint8_t rnd[4] = {0x11, 0x22, 0x33, 0x44};

    pt_open(c, PT_TEST_DIR "/kat.profile", 0, 0);
    pt_fix_rng(c, rnd);
    cr_assert_eq(pt_select(c, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
}

/* A purchase of 1 with offline counter 0 (MAC1 from OpenSSL) so that the vector's
 * purchase finds offline counter 0001. */
static void bump_offline(pt_card *c)
{
    uint8_t k[16], rnd[4], s[8], m[4], r[16], cmd[21];
    host_pboc_purchase p = vec_purchase(6);
    size_t n;

    h(KEY, k, 16);
    h("11223344", rnd, 4);
    cr_assert_eq(pt_txh(c, "80 50 01 02 0B 01 00000001 112233445566 0F", r, &n), 0x9000);
    p.amount = 1;
    p.ttn = 1;
    host_pboc_sespk(k, rnd, 0, 1, s);
    host_pboc_purchase_mac1(s, &p, m);
    h("80 54 01 00 0F 00000001 20261122 083000", cmd, 16);
    memcpy(cmd + 16, m, 4);
    cmd[20] = 8;
    cr_assert_eq(pt_tx(c, cmd, 21, r, &n), 0x9000);
}

Test(kat, card_load_vector)
{
    pt_card c;
    uint8_t r[32];
    size_t n;

    kat_card(&c);
    cr_assert_eq(pt_txh(&c, "80 50 00 02 0B 01 00000064 112233445566 10", r, &n), 0x9000);
    /* old balance, online counter 0000, key version 01, algorithm 00, random, MAC1 */
    pt_expect_hex("INITIALIZE FOR LOAD", r, n, "000003E8 0000 01 00 11223344 8FB1BF26");
    cr_assert_eq(pt_txh(&c, "80 52 00 00 0B 20261122 083000 A58E3ED2 04", r, &n), 0x9000);
    pt_expect_hex("CREDIT FOR LOAD TAC", r, n, "FC583600");
    cr_expect_eq(pt_balance(&c, 2), 0x44C);
    /* The proof of the load: the host's MAC2 and the TAC, under counter 0001. */
    cr_assert_eq(pt_txh(&c, "80 5A 00 02 02 0001 08", r, &n), 0x9000);
    pt_expect_hex("GET TRANSACTION PROVE (load)", r, n, "A58E3ED2 FC583600");
    pt_close(&c);
}

Test(kat, card_purchase_vector)
{
    pt_card c;
    uint8_t r[32];
    size_t n;

    kat_card(&c);
    bump_offline(&c);
    cr_assert_eq(pt_txh(&c, "80 50 01 02 0B 01 00000064 112233445566 0F", r, &n), 0x9000);
    /* balance 03E7, offline counter 0001, overdraft 000000, version 01, alg 00, random */
    pt_expect_hex("INITIALIZE FOR PURCHASE", r, n, "000003E7 0001 000000 01 00 11223344");
    cr_assert_eq(pt_txh(&c, "80 54 01 00 0F 00000010 20261122 083000 D4328229 08", r, &n), 0x9000);
    pt_expect_hex("DEBIT FOR PURCHASE: TAC || MAC2", r, n, "BE5A9E80 072B5966");
    cr_expect_eq(pt_balance(&c, 2), 0x3E7 - 0x64);
    /* GET TRANSACTION PROVE with the counter after the increment: MAC2 || TAC. */
    cr_assert_eq(pt_txh(&c, "80 5A 00 06 02 0002 08", r, &n), 0x9000);
    pt_expect_hex("GET TRANSACTION PROVE", r, n, "072B5966 BE5A9E80");
    /* The log's newest record: counter, overdraft, amount, type, terminal, date, time. */
    cr_assert_eq(pt_txh(&c, "00 B2 01 C4 17", r, &n), 0x9000);
    pt_expect_hex("log record 1", r, n, "0001 000000 00000064 06 112233445566 20261122 083000");
    pt_close(&c);
}

Test(kat, card_capp_purchase_vector)
{
    pt_card c;
    uint8_t r[32];
    size_t n;

    kat_card(&c);
    bump_offline(&c);
    cr_assert_eq(pt_txh(&c, "80 50 03 02 0B 01 00000064 112233445566 0F", r, &n), 0x9000);
    pt_expect_hex("INITIALIZE FOR CAPP PURCHASE", r, n, "000003E7 0001 000000 01 00 11223344");
    cr_assert_eq(pt_txh(&c, "80 DC 01 B8 10 0102030405060708090A0B0C0D0E0F10", r, &n), 0x9000);
    cr_assert_eq(pt_txh(&c, "80 54 01 00 0F 00000010 20261122 083000 285D2B9A 08", r, &n), 0x9000);
    pt_expect_hex("DEBIT FOR CAPP PURCHASE: TAC || MAC2", r, n, "0ED7EDE7 072B5966");
    cr_assert_eq(pt_txh(&c, "00 B2 01 BC 10", r, &n), 0x9000);
    pt_expect_hex("CAPP record", r, n, "0102030405060708090A0B0C0D0E0F10");
    cr_assert_eq(pt_txh(&c, "80 5A 00 09 02 0002 08", r, &n), 0x9000);
    pt_expect_hex("GET TRANSACTION PROVE (CAPP)", r, n, "072B5966 0ED7EDE7");
    pt_close(&c);
}

/* The PSAM's MAC1 for card serial 1234567890ABCDEF under the dispersion example key,
 * card random 11223344, offline counter 0001, the vector's purchase. Pinned values
 * were computed once with OpenSSL (obol_host) and are recomputed here as well. */
Test(kat, psam_mac1_one_level)
{
    pt_card p;
    uint8_t r[16], mk[16], serial[8], dpk[16], rnd[4], s[8], m[4];
    host_pboc_purchase hp = vec_purchase(6);
    size_t n;

    pt_open(&p, PT_TEST_DIR "/kat-psam.profile", 0, 0);
    cr_assert_eq(pt_select(&p, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    cr_assert_eq(pt_txh(&p,
                        "80 70 00 00 24 11223344 0001 00000064 06 20261122 083000 01 00 "
                        "1234567890ABCDEF 2026112200000001 08",
                        r, &n),
                 0x9000);
    pt_expect_hex("INIT SAM FOR PURCHASE", r, n, "00000010 C0250E9D");
    h("0123456789ABCDEFFEDCBA9876543210", mk, 16);
    h("1234567890ABCDEF", serial, 8);
    h("11223344", rnd, 4);
    host_pboc_diversify(mk, serial, dpk);
    pt_expect_hex("DPK", dpk, 16, "479EF7C1ECFE64AC9BB75999A2E5CD53");
    host_pboc_sespk(dpk, rnd, 1, 0x10, s);
    pt_expect_hex("SESPK", s, 8, "773BDE2EA5039BD4");
    host_pboc_purchase_mac1(s, &hp, m);
    cr_expect_eq(memcmp(m, r + 4, 4), 0, "OpenSSL MAC1 differs from the PSAM's");
    /* CREDIT SAM FOR PURCHASE accepts exactly MAC2 = MAC(SESPK, amount). */
    cr_assert_eq(pt_txh(&p, "80 72 00 00 04 0CA7FA89", r, &n), 0x9000);
    pt_close(&p);
}

/* Two-level dispersion: K1 = Div(MPK, issuer/city code), DPK = Div(K1, card serial).
 * The PSAM's MAC1 must match that order (pinned DPK E69A5F3E..) and not the reverse. */
Test(kat, psam_two_level_order_pinned)
{
    pt_card p;
    uint8_t r[16], mk[16], serial[8], issuer[8], dpk[16], rnd[4], s[8], m[4];
    host_pboc_purchase hp = vec_purchase(6);
    size_t n;

    pt_open(&p, PT_TEST_DIR "/kat-psam.profile", 0, 0);
    cr_assert_eq(pt_select(&p, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    cr_assert_eq(pt_txh(&p,
                        "80 70 00 00 24 11223344 0001 00000064 06 20261122 083000 02 00 "
                        "1234567890ABCDEF 2026112200000001 08",
                        r, &n),
                 0x9000);
    pt_expect_hex("INIT SAM FOR PURCHASE (two levels)", r, n, "00000010 1987FCF4");
    h("0123456789ABCDEFFEDCBA9876543210", mk, 16);
    h("1234567890ABCDEF", serial, 8);
    h("2026112200000001", issuer, 8);
    h("11223344", rnd, 4);
    host_pboc_diversify2(mk, issuer, serial, dpk);
    pt_expect_hex("DPK issuer first", dpk, 16, "E69A5F3EBEAAC6CE32CAFF73C429B454");
    host_pboc_sespk(dpk, rnd, 1, 0x10, s);
    host_pboc_purchase_mac1(s, &hp, m);
    cr_expect_eq(memcmp(m, r + 4, 4), 0);
    host_pboc_diversify2(mk, serial, issuer, dpk); /* the other order */
    host_pboc_sespk(dpk, rnd, 1, 0x10, s);
    host_pboc_purchase_mac1(s, &hp, m);
    cr_expect_neq(memcmp(m, r + 4, 4), 0, "the reversed order must not match");
    pt_expect_hex("reversed order MAC1 (not used)", m, 4, "58718EAE");
    pt_close(&p);
}

/* VERIFY TAC: the PSAM checks a TAC under the TAC key dispersed from its master. */
Test(kat, psam_verify_tac)
{
    pt_card p;
    uint8_t r[16];
    size_t n;

    pt_open(&p, PT_TEST_DIR "/kat-psam.profile", 0, 0);
    cr_assert_eq(pt_select(&p, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    /* DTK = Div(MK, 1234567890ABCDEF) = the dispersion example; TAC over the vector's
     * purchase TAC input, computed with OpenSSL: 5FB00523. */
    cr_assert_eq(pt_txh(&p,
                        "80 7A 00 00 2B 01 1234567890ABCDEF 0000000000000000 "
                        "00000064 06 112233445566 00000010 20261122 083000 5FB00523",
                        r, &n),
                 0x9000);
    cr_assert_eq(pt_txh(&p,
                        "80 7A 00 00 2B 01 1234567890ABCDEF 0000000000000000 "
                        "00000064 06 112233445566 00000010 20261122 083000 5FB00524",
                        r, &n),
                 0x9302);
    cr_assert_eq(pt_txh(&p,
                        "80 7A 00 00 2B 07 1234567890ABCDEF 0000000000000000 "
                        "00000064 06 112233445566 00000010 20261122 083000 5FB00523",
                        r, &n),
                 0x9403);
    pt_close(&p);
}
