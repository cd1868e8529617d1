/*
 * obol PBOC tests: every error path of the purse and the PSAM, through APDUs.
 * Status words as PBOC 2.0 part 1 (and PROTOCOLS.md) assign them: 9302 MAC error,
 * 9303 application locked, 9401 insufficient balance, 9403 key index not supported,
 * 9406 MAC/TAC not available, 6985 conditions (no INITIALIZE, replay), 6700, 6A86,
 * 6D00, 6982 (ED without PIN); SELECT of a locked purse 6A81.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "pboc_test.h"

static pt_card card, psam;

static void setup(void)
{
    pt_open(&card, "purse", 0, 0);
    pt_open(&psam, "psam", 0, 0);
    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
}

static void teardown(void)
{
    pt_close(&card);
    pt_close(&psam);
}

TestSuite(errors, .init = setup, .fini = teardown);

static void load(uint32_t amount)
{
    pt_load l;

    memset(&l, 0, sizeof l);
    l.purse = 2;
    l.kid = 1;
    l.amount = amount;
    pt_load_run(&card, &l);
    cr_assert_eq(l.stage, 0, "load stopped at stage %d, SW %04X", l.stage, l.sw);
}

/* INITIALIZE FOR PURCHASE of AMOUNT (EP, key index 1) and INIT SAM: fills a DEBIT
 * command (21 bytes) with the PSAM's MAC1. Returns the offline counter. */
static uint16_t prepare_debit(uint32_t amount, uint8_t debit[21])
{
    pt_purchase p;
    uint8_t cmd[64], r[32];
    size_t n;

    memset(&p, 0, sizeof p);
    cr_assert_eq(pt_select(&psam, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    pt_read_ids(&card, p.serial, p.issuer);
    memcpy(cmd, "\x80\x50\x01\x02\x0B\x01", 6);
    cmd[6] = (uint8_t)(amount >> 24);
    cmd[7] = (uint8_t)(amount >> 16);
    cmd[8] = (uint8_t)(amount >> 8);
    cmd[9] = (uint8_t)amount;
    pt_unhex("112233445566 0F", cmd + 10, 7);
    cr_assert_eq(pt_tx(&card, cmd, 17, r, &n), 0x9000);
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, r + 11, 4);
    memcpy(cmd + 9, r + 4, 2);
    cmd[11] = (uint8_t)(amount >> 24);
    cmd[12] = (uint8_t)(amount >> 16);
    cmd[13] = (uint8_t)(amount >> 8);
    cmd[14] = (uint8_t)amount;
    cmd[15] = 0x06;
    pt_unhex("20261122 083000", cmd + 16, 7);
    cmd[23] = r[9];
    cmd[24] = r[10];
    memcpy(cmd + 25, p.serial, 8);
    memcpy(cmd + 33, p.issuer, 8);
    cmd[41] = 8;
    {
        uint16_t ctr = (uint16_t)(r[4] << 8 | r[5]);
        cr_assert_eq(pt_tx(&psam, cmd, 42, r, &n), 0x9000);
        memcpy(debit, "\x80\x54\x01\x00\x0F", 5);
        memcpy(debit + 5, r, 4);
        pt_unhex("20261122 083000", debit + 9, 7);
        memcpy(debit + 16, r + 4, 4);
        debit[20] = 8;
        return ctr;
    }
}

static uint16_t offline_counter(void)
{
    uint8_t r[32];
    size_t n;

    cr_assert_eq(pt_txh(&card, "80 50 01 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    return (uint16_t)(r[4] << 8 | r[5]);
}

Test(errors, wrong_mac1_debits_nothing)
{
    uint8_t d[21], r[16];
    size_t n;

    load(1000);
    cr_assert_eq(prepare_debit(100, d), 0);
    d[19] ^= 0x01;
    cr_expect_eq(pt_tx(&card, d, 21, r, &n), 0x9302);
    cr_expect_eq(n, 0);
    /* The session is over: the right MAC1 now is too late. */
    d[19] ^= 0x01;
    cr_expect_eq(pt_tx(&card, d, 21, r, &n), 0x6985);
    cr_expect_eq(pt_balance(&card, 2), 1000, "no debit");
    /* The counter is not incremented by a refused DEBIT (pinned choice). */
    cr_expect_eq(offline_counter(), 0);
}

Test(errors, insufficient_balance)
{
    uint8_t r[32];
    size_t n;

    load(99);
    cr_expect_eq(pt_txh(&card, "80 50 01 02 0B 01 00000064 112233445566 0F", r, &n), 0x9401);
    cr_expect_eq(pt_txh(&card, "80 50 01 02 0B 01 00000063 112233445566 0F", r, &n), 0x9000);
}

Test(errors, wrong_key_index)
{
    uint8_t r[32];
    size_t n;

    cr_expect_eq(pt_txh(&card, "80 50 01 02 0B 07 00000000 112233445566 0F", r, &n), 0x9403);
    cr_expect_eq(pt_txh(&card, "80 50 00 02 0B 02 00000001 112233445566 10", r, &n), 0x9403,
                 "no load key of index 2");
    cr_expect_eq(pt_txh(&card, "80 50 03 02 0B 00 00000000 112233445566 0F", r, &n), 0x9403);
}

Test(errors, replayed_debit_is_refused)
{
    uint8_t d[21], r[16];
    size_t n;

    load(1000);
    prepare_debit(100, d);
    cr_assert_eq(pt_tx(&card, d, 21, r, &n), 0x9000);
    cr_expect_eq(pt_tx(&card, d, 21, r, &n), 0x6985, "replay in the same session");
    /* after a new INITIALIZE the old MAC1 no longer verifies (new random, counter) */
    cr_assert_eq(pt_txh(&card, "80 50 01 02 0B 01 00000064 112233445566 0F", r, &n), 0x9000);
    cr_expect_eq(pt_tx(&card, d, 21, r, &n), 0x9302);
    cr_expect_eq(pt_balance(&card, 2), 900, "debited once");
}

Test(errors, debit_and_credit_without_initialize)
{
    uint8_t r[16];
    size_t n;

    cr_expect_eq(pt_txh(&card, "80 54 01 00 0F 00000001 20261122 083000 00000000 08", r, &n),
                 0x6985);
    cr_expect_eq(pt_txh(&card, "80 52 00 00 0B 20261122 083000 00000000 04", r, &n), 0x6985);
    cr_expect_eq(pt_txh(&card, "80 DC 01 B8 30", r, &n), 0x6985);
    /* a purchase session does not allow CREDIT FOR LOAD, and any other command ends it */
    cr_assert_eq(pt_txh(&card, "80 50 01 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    cr_expect_eq(pt_txh(&card, "80 52 00 00 0B 20261122 083000 00000000 04", r, &n), 0x6985);
    cr_expect_eq(pt_txh(&card, "80 54 01 00 0F 00000001 20261122 083000 00000000 08", r, &n),
                 0x6985);
}

Test(errors, command_between_initialize_and_debit_ends_the_session)
{
    uint8_t d[21], r[16];
    size_t n;

    load(1000);
    prepare_debit(100, d);
    cr_assert_eq(pt_balance(&card, 2), 1000);
    cr_expect_eq(pt_tx(&card, d, 21, r, &n), 0x6985);
}

Test(errors, mac_failures_lock_the_purse)
{
    uint8_t d[21], r[16];
    size_t n;
    int i;

    load(1000);
    /* Two failures, a success: the count is of consecutive failures. */
    for (i = 0; i < 2; i++) {
        prepare_debit(1, d);
        d[16] ^= 0xFF;
        cr_assert_eq(pt_tx(&card, d, 21, r, &n), 0x9302);
    }
    prepare_debit(1, d);
    cr_assert_eq(pt_tx(&card, d, 21, r, &n), 0x9000);
    /* Three in a row (mac_fail_limit=3 in purse.profile) lock the application. */
    for (i = 0; i < 3; i++) {
        prepare_debit(1, d);
        d[16] ^= 0xFF;
        cr_assert_eq(pt_tx(&card, d, 21, r, &n), 0x9302);
    }
    cr_expect_eq(pt_txh(&card, "80 5C 00 02 04", r, &n), 0x9303);
    cr_expect_eq(pt_txh(&card, "80 50 01 02 0B 01 00000001 112233445566 0F", r, &n), 0x9303);
    /* The lock is persistent: after a power cycle SELECT answers 6A81. */
    pt_reset(&card);
    cr_expect_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x6A81);
}

Test(errors, wrong_mac2_on_load_counts_and_credits_nothing)
{
    pt_load l;
    uint8_t r[16];
    size_t n;

    memset(&l, 0, sizeof l);
    l.purse = 2;
    l.kid = 1;
    l.amount = 500;
    l.bad_mac2 = 1;
    pt_load_run(&card, &l);
    cr_expect_eq(l.stage, 3);
    cr_expect_eq(l.sw, 0x9302);
    cr_expect_eq(pt_balance(&card, 2), 0);
    /* the online counter is unchanged */
    cr_assert_eq(pt_txh(&card, "80 50 00 02 0B 01 00000001 112233445566 10", r, &n), 0x9000);
    cr_expect_eq(r[4] << 8 | r[5], 0);
}

Test(errors, load_beyond_the_maximum_balance)
{
    uint8_t r[32];
    size_t n;

    /* purse.profile: max_balance=100000000 (05F5E100) */
    cr_expect_eq(pt_txh(&card, "80 50 00 02 0B 01 05F5E101 112233445566 10", r, &n), 0x6985);
    cr_expect_eq(pt_txh(&card, "80 50 00 02 0B 01 05F5E100 112233445566 10", r, &n), 0x9000);
}

Test(errors, malformed_commands)
{
    uint8_t r[32];
    size_t n;

    cr_expect_eq(pt_txh(&card, "80 50 01 02 0A 01 00000000 1122334455 0F", r, &n), 0x6700);
    cr_expect_eq(pt_txh(&card, "80 50 01 03 0B 01 00000000 112233445566 0F", r, &n), 0x6A86);
    cr_expect_eq(pt_txh(&card, "80 50 02 02 0B 01 00000000 112233445566 0F", r, &n), 0x6A86);
    cr_expect_eq(pt_txh(&card, "80 50 03 01 0B 01 00000000 112233445566 0F", r, &n), 0x6A86,
                 "CAPP is EP only");
    cr_expect_eq(pt_txh(&card, "80 5C 01 02 04", r, &n), 0x6A86);
    cr_expect_eq(pt_txh(&card, "80 5C 00 03 04", r, &n), 0x6A86);
    cr_expect_eq(pt_txh(&card, "80 5A 00 07 02 0001 08", r, &n), 0x6A86);
    cr_expect_eq(pt_txh(&card, "80 5A 00 06 01 00 08", r, &n), 0x6700);
    cr_expect_eq(pt_txh(&card, "80 5A 00 06 02 0001 08", r, &n), 0x9406, "nothing to prove");
    cr_expect_eq(pt_txh(&card, "80 99 00 00 00", r, &n), 0x6D00);
    cr_assert_eq(pt_txh(&card, "80 50 01 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    cr_expect_eq(pt_txh(&card, "80 54 01 00 0E 00000001 20261122 083000 000000 08", r, &n), 0x6700);
    cr_assert_eq(pt_txh(&card, "80 50 01 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    cr_expect_eq(pt_txh(&card, "80 54 02 00 0F 00000001 20261122 083000 00000000 08", r, &n),
                 0x6A86);
}

Test(errors, capp_cache_errors)
{
    uint8_t r[32];
    size_t n;
    char cmd[256];

    cr_assert_eq(pt_txh(&card, "80 50 03 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    /* no EF with SFI 0x16 in the purse */
    cr_expect_eq(pt_txh(&card, "80 DC 01 B0 01 00", r, &n), 0x6A82);
    cr_assert_eq(pt_txh(&card, "80 50 03 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    cr_expect_eq(pt_txh(&card, "80 DC 03 B8 01 00", r, &n), 0x6A83, "record 3 of 2");
    cr_assert_eq(pt_txh(&card, "80 50 03 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    cr_expect_eq(pt_txh(&card, "80 DC 01 B8 02 0000", r, &n), 0x6700, "records are 48 bytes");
    cr_assert_eq(pt_txh(&card, "80 50 03 02 0B 01 00000000 112233445566 0F", r, &n), 0x9000);
    strcpy(cmd, "80 DC 01 B8 30");
    for (n = 0; n < 48; n++)
        strcat(cmd, "00");
    cr_expect_eq(pt_txh(&card, cmd, r, &n), 0x9000);
    strcpy(cmd, "80 DC 02 B8 30");
    for (n = 0; n < 48; n++)
        strcat(cmd, "00");
    cr_expect_eq(pt_txh(&card, cmd, r, &n), 0x6985, "one record per composite purchase");
}

Test(errors, psam_errors)
{
    uint8_t r[32];
    size_t n;

    cr_assert_eq(pt_select(&psam, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    cr_expect_eq(pt_txh(&psam, "80 72 00 00 04 00000000", r, &n), 0x6985, "no INIT SAM");
    cr_expect_eq(pt_txh(&psam,
                        "80 70 00 00 23 " /* one byte short */
                        "11223344 0001 00000064 06 20261122 083000 01 00 "
                        "0000000000000001 12345678000000",
                        r, &n),
                 0x6700);
    cr_expect_eq(pt_txh(&psam,
                        "80 70 00 00 24 11223344 0001 00000064 06 20261122 083000 09 00 "
                        "0000000000000001 1234567800000000 08",
                        r, &n),
                 0x9403, "no key version 09");
    cr_expect_eq(pt_txh(&psam,
                        "80 70 01 00 24 11223344 0001 00000064 06 20261122 083000 01 00 "
                        "0000000000000001 1234567800000000 08",
                        r, &n),
                 0x6A86);
    cr_assert_eq(pt_txh(&psam,
                        "80 70 00 00 24 11223344 0001 00000064 06 20261122 083000 01 00 "
                        "0000000000000001 1234567800000000 08",
                        r, &n),
                 0x9000);
    cr_expect_eq(pt_txh(&psam, "80 72 00 00 04 00000000", r, &n), 0x9302, "wrong MAC2");
    cr_expect_eq(pt_txh(&psam, "80 72 00 00 04 00000000", r, &n), 0x6985, "one try only");
    cr_expect_eq(pt_txh(&psam, "80 98 00 00 00", r, &n), 0x6D00);
}
