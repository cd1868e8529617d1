/* obol card OS tests: the NVM journal, transactions and recovery, the allocator. */
#include <criterion/criterion.h>
#include <string.h>

#include "cos_test.h"

static void open_small_journal(tcard *t, uint16_t journal)
{
    cos_card_config cfg;
    cos_format_params fp = {journal, 0, NULL, 0};
    uint8_t atr[40];
    size_t n;
    memset(t, 0, sizeof *t);
    cr_assert_eq(cos_host_open_mem(&t->host, TC_NVM, TC_PAGE, TC_SEED), 0);
    cos_host_config(&t->host, tc_classes, tc_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&t->card, &cfg), 0);
    cr_assert_eq(cos_format(&t->card, &fp), 0);
    cr_assert_eq(cos_power_on(&t->card, 0, 0, atr, sizeof atr, &n), 0);
}

Test(nvm, journal_full_rolls_back)
{
    tcard t;
    cos_ef_spec e = {0x0001, 1, COS_EF_TRANSPARENT, COS_AC_ALWAYS, COS_AC_ALWAYS, 200, 0, 0,
                     NULL,   0};
    char cmd[600] = "00D68100 64 ";
    open_small_journal(&t, 64);
    cr_assert_eq(cos_perso_ef(&t.card, cos_perso_mf(&t.card), &e, NULL), 0, "fresh: no undo");
    for (int i = 0; i < 100; i++)
        strcat(cmd, "AB");
    cr_assert_eq(tc_tx(&t, cmd), 0x6F00, "100 old bytes do not fit a 64-byte journal");
    cr_assert_eq(cos_last_fault(&t.card).err, COS_ERR_JOURNAL_FULL);
    cr_assert_eq(tc_tx(&t, "00B0810004"), 0x9000);
    cr_assert(tc_data_is(&t, "00000000"));
    cr_assert_eq(tc_tx(&t, "00D6810004 01020304"), 0x9000, "small writes still work");
    tc_close(&t);
}

Test(nvm, torn_transaction_recovers_at_power_on)
{
    tcard t;
    uint8_t before[32], after[32], atr[40];
    size_t n;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(cos_nvm_digest(&t.card, before), 0);
    /* Cut inside the data write of an UPDATE BINARY (journal record, count, data). */
    cos_host_cut_after(&t.host, 2, 3);
    uint8_t cmd[] = {0x00, 0xD6, 0x81, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8}, rsp[16];
    cr_assert_eq(cos_transmit(&t.card, 0, cmd, sizeof cmd, rsp, sizeof rsp, &n),
                 COS_ERR_POWER_LOST);
    cr_assert_not(cos_is_powered(&t.card));
    cr_assert_eq(cos_transmit(&t.card, 0, cmd, sizeof cmd, rsp, sizeof rsp, &n), COS_ERR_POWER_LOST,
                 "mute until powered on again");
    cr_assert_eq(t.host.nvm[32], 1, "the journal holds one record");
    cos_host_restore_power(&t.host);
    cr_assert_eq(cos_power_on(&t.card, 0, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(t.host.nvm[32], 0, "recovered");
    cr_assert_eq(cos_nvm_digest(&t.card, after), 0);
    cr_assert_arr_eq(before, after, 32);
    cr_assert_eq(tc_tx(&t, "00B0810004"), 0x9000);
    cr_assert(tc_data_is(&t, "6F626F6C"));
    tc_close(&t);
}

Test(nvm, torn_recovery_is_recovered_again)
{
    tcard t;
    uint8_t before[32], after[32], atr[40];
    size_t n;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(cos_nvm_digest(&t.card, before), 0);
    cos_host_cut_after(&t.host, 2, 0);
    uint8_t cmd[] = {0x00, 0xD6, 0x81, 0x00, 0x04, 1, 2, 3, 4}, rsp[16];
    cr_assert_eq(cos_transmit(&t.card, 0, cmd, sizeof cmd, rsp, sizeof rsp, &n),
                 COS_ERR_POWER_LOST);
    /* Power fails again during the recovery's first write. */
    cos_host_restore_power(&t.host);
    cos_host_cut_after(&t.host, 0, 1);
    cr_assert_eq(cos_power_on(&t.card, 0, 0, atr, sizeof atr, &n), COS_ERR_POWER_LOST);
    cos_host_restore_power(&t.host);
    cr_assert_eq(cos_power_on(&t.card, 0, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(cos_nvm_digest(&t.card, after), 0);
    cr_assert_arr_eq(before, after, 32);
    tc_close(&t);
}

Test(nvm, corrupt_and_blank_images)
{
    tcard t;
    uint8_t atr[40];
    size_t n;
    tc_open(&t, 0, COS_IF_CONTACT);
    cos_power_off(&t.card);
    t.host.nvm[32] = 0xFF; /* an impossible journal count */
    cr_assert_eq(cos_power_on(&t.card, 0, 0, atr, sizeof atr, &n), COS_ERR_CORRUPT);
    t.host.nvm[32] = 0;
    t.host.nvm[8] ^= 1; /* the image size */
    cr_assert_eq(cos_power_on(&t.card, 0, 0, atr, sizeof atr, &n), COS_ERR_CORRUPT);
    tc_close(&t);
}

Test(nvm, default_card_fits_and_digest_is_stable)
{
    tcard a, b;
    uint8_t da[32], db[32];
    tc_open(&a, 0, COS_IF_CONTACT);
    tc_open(&b, 0, COS_IF_CONTACT);
    cr_assert_eq(cos_nvm_digest(&a.card, da), 0);
    cr_assert_eq(cos_nvm_digest(&b.card, db), 0);
    cr_assert_arr_eq(da, db, 32, "personalization is deterministic");
    cr_assert_eq(tc_tx(&a, "00D6810001 01"), 0x9000);
    cr_assert_eq(cos_nvm_digest(&a.card, da), 0);
    cr_assert_arr_neq(da, db, 32);
    /* How much of the 8 KB image the default card uses (for the purse budget). */
    uint32_t used = 0;
    for (uint32_t i = TC_NVM; i-- > 0;)
        if (a.host.nvm[i] != 0xFF) {
            used = i + 1;
            break;
        }
    cr_log_info("default card: %u of %u NVM bytes up to the last used one", used, TC_NVM);
    cr_assert_lt(used, TC_NVM);
    tc_close(&a);
    tc_close(&b);
}
