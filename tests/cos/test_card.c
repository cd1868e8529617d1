/* obol card OS tests: power, ATR/ATS, CLA/INS screening, costs, faults, the host port. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cos_test.h"

Test(card, size_of_card)
{
    printf("BENCH cos_card_size %zu bytes\n", sizeof(cos_card));
    cr_assert_leq(sizeof(cos_card), 2048);
}

Test(card, atr_t1)
{
    uint8_t atr[40], tck = 0;
    size_t n;
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cos_power_off(&t.card);
    cr_assert_eq(cos_power_on(&t.card, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    uint8_t want[] = {0x3B, 0x9E, 0x13, 0x81, 0x31, 0xFE, 0x45, 0x80, 0x31, 0xC0, 0x73,
                      0xF6, 0x21, 0x5B, 0x64, 'o',  'b',  'o',  'l',  0x81, 0x05};
    cr_assert_eq(n, sizeof want + 1);
    cr_assert_arr_eq(atr, want, sizeof want);
    for (size_t i = 1; i < n; i++)
        tck ^= atr[i];
    cr_assert_eq(tck, 0, "TCK makes T0..TCK XOR to zero");
    cr_assert_eq(cos_power_on(&t.card, COS_IF_CONTACT, 0, atr, 10, &n), COS_ERR_BUFFER);
    tc_close(&t);
}

Test(card, atr_t0_and_ats)
{
    uint8_t atr[40];
    size_t n;
    tcard t;
    tc_open(&t, COS_OPT_T0, COS_IF_CONTACT);
    cos_power_off(&t.card);
    cr_assert_eq(cos_power_on(&t.card, COS_IF_CONTACT | COS_RESET_WARM, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(n, 17);
    cr_assert_eq(atr[0], 0x3B);
    cr_assert_eq(atr[1], 0x1E);
    cr_assert_eq(atr[2], 0x13);
    cr_assert_eq(atr[3], 0x80);
    cr_assert_eq(cos_power_on(&t.card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
    uint8_t ats[] = {19, 0x78, 0x77, 0x81, 0x02, 0x80};
    cr_assert_eq(n, 19);
    cr_assert_arr_eq(atr, ats, sizeof ats);
    tc_close(&t);
}

Test(card, not_powered_and_unformatted)
{
    cos_host h;
    cos_card c;
    cos_card_config cfg;
    uint8_t atr[40], rsp[16], cmd[] = {0x00, 0xA4, 0x00, 0x00};
    size_t n;
    cr_assert_eq(cos_host_open_mem(&h, 4096, 64, 1), 0);
    cos_host_config(&h, NULL, 0, &cfg);
    cr_assert_eq(cos_card_attach(&c, &cfg), 0);
    cr_assert_eq(cos_transmit(&c, 0, cmd, 4, rsp, sizeof rsp, &n), COS_ERR_NOT_POWERED);
    cr_assert_eq(cos_power_on(&c, 0, 0, atr, sizeof atr, &n), COS_ERR_NOT_FORMATTED);
    cr_assert_not(cos_is_powered(&c));
    cr_assert_eq(cos_format(&c, NULL), 0);
    cr_assert_eq(cos_power_on(&c, 0, 0, atr, sizeof atr, &n), 0);
    cr_assert(cos_is_powered(&c));
    cr_assert_eq(atr[n - 2], 0x01, "LCS creation before cos_perso_finish()");
    cfg.nvm_size = 100;
    cr_assert_eq(cos_card_attach(&c, &cfg), COS_ERR_PARAM);
    cos_host_close(&h);
}

Test(card, class_and_instruction_screening)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "FFA40000"), 0x6E00);
    cr_assert_eq(tc_tx(&t, "20A40000"), 0x6E00);
    cr_assert_eq(tc_tx(&t, "A0A40000"), 0x6E00);
    cr_assert_eq(tc_tx(&t, "10A40000"), 0x6884);    /* command chaining */
    cr_assert_eq(tc_tx(&t, "01A40000"), 0x6881);    /* channel 1 not open */
    cr_assert_eq(tc_tx(&t, "40A40000"), 0x6881);    /* channel 4: unsupported */
    cr_assert_eq(tc_tx(&t, "00600000"), 0x6D00);    /* invalid INS 6X */
    cr_assert_eq(tc_tx(&t, "00920000"), 0x6D00);    /* invalid INS 9X */
    cr_assert_eq(tc_tx(&t, "00CA0000 00"), 0x6D00); /* GET DATA: not supported */
    cr_assert_eq(tc_tx(&t, "80CA0000 00"), 0x6E00); /* proprietary, no applet */
    cr_assert_eq(tc_tx(&t, "0CB0810008"), 0x6882);  /* ISO SM not supported */
    tc_close(&t);
}

Test(card, cost_counters)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cos_cost_reset(&t.card);
    cr_assert_eq(tc_tx(&t, "00B0810004"), 0x9000);
    const cos_cost *k = cos_cost_get(&t.card);
    cr_assert_eq(k->apdus, 1);
    cr_assert_eq(k->nvm_writes, 0);
    cr_assert_eq(tc_tx(&t, "00D6810004 01020304"), 0x9000);
    cr_assert_eq(k->apdus, 2);
    /* journal record, count byte, data, commit byte */
    cr_assert_eq(k->nvm_writes, 4);
    cr_assert_eq(k->nvm_bytes, (6 + 4) + 1 + 4 + 1);
    cr_assert_geq(k->nvm_pages, 4);
    cr_assert_eq(k->crypto_blocks, 0);
    cr_assert_eq(tc_tx(&t, "0084000008"), 0x9000);
    cr_assert_eq(k->rng_bytes, 8);
    cr_assert_eq(tc_tx(&t, "0088000108 0001020304050607"), 0x9000);
    cr_assert_eq(k->crypto_blocks, 1);
    tc_close(&t);
}

Test(card, power_off_clears_ram_state)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A4000002 0004"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0000004"), 0x9000);
    tc_reset(&t, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "00B0000004"), 0x6986); /* no current EF */
    cr_assert_eq(tc_tx(&t, "00B0840004"), 0x6982); /* PIN no longer verified */
    tc_close(&t);
}

Test(card, strerror)
{
    for (int e = 0; e >= -19; e--)
        cr_assert_str_neq(cos_strerror(e), "unknown error", "code %d", e);
    cr_assert_str_eq(cos_strerror(-1000), "unknown error");
    cr_assert_str_eq(cos_strerror(COS_ERR_ACCESS), "access denied by the applet firewall");
}

Test(card, file_image_persists)
{
    char path[] = "/tmp/obol_cos_test_XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    unlink(path);
    cos_host h;
    cos_card c;
    cos_card_config cfg;
    uint8_t atr[40], rsp[64];
    size_t n;
    cr_assert_eq(cos_host_open_file(&h, path, TC_NVM, TC_PAGE, 5), 0);
    cos_host_config(&h, tc_classes, tc_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&c, &cfg), 0);
    cr_assert_eq(cos_perso_default(&c, TESTAPP_CLASS, 0), 0);
    cr_assert_eq(cos_power_on(&c, 0, 0, atr, sizeof atr, &n), 0);
    uint8_t upd[] = {0x00, 0xD6, 0x81, 0x00, 0x02, 0xCA, 0xFE};
    cr_assert_eq(cos_transmit(&c, 0, upd, sizeof upd, rsp, sizeof rsp, &n), 0);
    cr_assert_eq(cos_rsp_sw(rsp, n), 0x9000);
    cos_power_off(&c);
    cos_host_close(&h);

    cr_assert_eq(cos_host_open_file(&h, path, TC_NVM, TC_PAGE, 5), 0);
    cos_host_config(&h, tc_classes, tc_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&c, &cfg), 0);
    cr_assert_eq(cos_power_on(&c, 0, 0, atr, sizeof atr, &n), 0);
    uint8_t rd[] = {0x00, 0xB0, 0x81, 0x00, 0x02};
    cr_assert_eq(cos_transmit(&c, 0, rd, sizeof rd, rsp, sizeof rsp, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(rsp[0], 0xCA);
    cr_assert_eq(rsp[1], 0xFE);
    cos_host_close(&h);
    cr_assert_eq(cos_host_open_file(&h, path, TC_NVM * 2, TC_PAGE, 5), COS_ERR_NVM);
    unlink(path);
}

Test(card, host_rng_is_seeded)
{
    cos_host a, b;
    uint8_t x[32], y[32];
    cr_assert_eq(cos_host_open_mem(&a, 1024, 64, 42), 0);
    cr_assert_eq(cos_host_open_mem(&b, 1024, 64, 42), 0);
    cos_host_hal.rng(&a, x, sizeof x);
    cos_host_hal.rng(&b, y, sizeof y);
    cr_assert_arr_eq(x, y, sizeof x);
    cos_host_seed(&b, 43);
    cos_host_hal.rng(&b, y, sizeof y);
    cr_assert_arr_neq(x, y, sizeof x);
    cos_host_close(&a);
    cos_host_close(&b);
}

Test(card, host_cut_injection)
{
    cos_host h;
    uint8_t v[4] = {1, 2, 3, 4};
    cr_assert_eq(cos_host_open_mem(&h, 64, 16, 1), 0);
    cos_host_cut_after(&h, 1, 2);
    cr_assert_eq(cos_host_hal.nvm_write(&h, 0, v, 4), 0);
    cr_assert_eq(cos_host_hal.nvm_write(&h, 8, v, 4), COS_ERR_POWER_LOST);
    cr_assert(cos_host_power_was_cut(&h));
    cr_assert_eq(cos_host_hal.nvm_write(&h, 16, v, 4), COS_ERR_POWER_LOST);
    cr_assert_eq(h.nvm[8], 1);
    cr_assert_eq(h.nvm[9], 2);
    cr_assert_eq(h.nvm[10], 0xFF, "only the first 2 bytes landed");
    cr_assert_eq(h.nvm[16], 0xFF);
    cos_host_restore_power(&h);
    cr_assert_eq(cos_host_hal.nvm_write(&h, 16, v, 4), 0);
    cos_host_close(&h);
}
