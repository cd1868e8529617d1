/*
 * obol GlobalPlatform tests: a blank card personalized end to end through secure
 * channels only. The card leaves the factory with an ISD and its initial key set (KVN
 * FF); the issuer stores its card data, replaces the initial keys, creates the transit
 * operator's SSD and gives it activation keys, and loads the new city's transit load
 * file for it; the operator takes its SSD over with its own keys, installs and
 * personalizes the city's application; the issuer secures the card. Once with SCP03
 * at full protection (C-DEC, R-MAC, R-ENC), once with SCP02 (i=55, C-DEC and R-MAC).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gp_test.h"

static const uint8_t CITY_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x43, 0x59, 0x01};
static const uint8_t CITY_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x43, 0x59, 0x01, 0x01};
static const uint8_t CITY_APP[10] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05, 0x10, 0x01};
static const uint8_t NOPRIV[3] = {0, 0, 0};
static const uint8_t SSD_PRIV[3] = {0x80, 0x40, 0x00};

/* TEST keys. */
static const uint8_t ISD_KEY[16] = {0x49, 0x53, 0x44, 0x31, 0x49, 0x53, 0x44, 0x31,
                                    0x49, 0x53, 0x44, 0x31, 0x49, 0x53, 0x44, 0x31};
static const uint8_t OP_ACT[16] = {0x4F, 0x41, 0x31, 0x31, 0x4F, 0x41, 0x31, 0x31,
                                   0x4F, 0x41, 0x31, 0x31, 0x4F, 0x41, 0x31, 0x31};
static const uint8_t OP_MGT[16] = {0x4F, 0x4D, 0x31, 0x31, 0x4F, 0x4D, 0x31, 0x31,
                                   0x4F, 0x4D, 0x31, 0x31, 0x4F, 0x4D, 0x31, 0x31};

static size_t city_olf(uint8_t *out)
{
    static const uint8_t city[8] = {0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05};
    static const uint8_t fci[4] = {0x9F, 0x08, 0x01, 0x02};
    static const gt_file files[3] = {
        {0x0015, 0x15, 0x01, 30, 0, 0, 0x00, 0xFF, city, 8},
        {0x0017, 0x17, 0x02, 0, 48, 3, 0x00, 0xFF, NULL, 0},
        {0x0018, 0x18, 0x06, 0, 23, 10, 0x00, 0xFF, NULL, 0},
    };
    gt_module m = {CITY_MOD, 9, GT_APP_CLASS, 0x1001, fci, 4, NULL, 0, files, 3};
    return gt_olf(CITY_ELF, 8, 0x0100, &m, 1, out);
}

static void personalize(int scp)
{
    gcard g;
    gp_isd_config c;
    uint8_t i = scp == HOST_GP_SCP02 ? 0x55 : 0x70, lvl = scp == HOST_GP_SCP02 ? 0x13 : 0x33;
    uint8_t data[128], olf[512], d8[80];
    size_t n;

    memset(&c, 0, sizeof c);
    if (scp == HOST_GP_SCP02) {
        c.scp02_i = 0x55;
        c.key_alg = COS_ALG_DES;
    }
    gt_blank(&g, &c);

    /* 1. The issuer: card data, in two blocks, then its own keys. */
    host_gp_keys fac = gt_keys(GT_TEST_KEY, 0xFF), isd = gt_keys(ISD_KEY, 0x01);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, i, &fac, lvl), 0x9000);
    n = gt_hex("42 03 623101  45 0A 00010203040506070809", data);
    cr_assert_eq(gt_store(&g, 0x10, 0, data, n), 0x9000);
    n = gt_hex("CF 0A 11223344556677889900", data);
    cr_assert_eq(gt_store(&g, 0x90, 1, data, n), 0x9000);
    cr_assert_eq(gt_store(&g, 0x90, 0, data, n), 0x9000); /* a new sequence from 00 */
    cr_assert_eq(gt_store(&g, 0x90, 5, data, n), 0x6A86); /* out of sequence */
    cr_assert_eq(gt_sch(&g, "80CA004500"), 0x9000);
    cr_assert(gt_data_is(&g, "450A00010203040506070809"));
    /* CPLC, the chip maker's data, while the card is OP_READY. */
    data[0] = 0x9F;
    data[1] = 0x7F;
    data[2] = 42;
    for (int b = 0; b < 42; b++)
        data[3 + b] = (uint8_t)b;
    cr_assert_eq(gt_store(&g, 0x90, 0, data, 45), 0x9000);
    cr_assert_eq(gt_sch(&g, "80CA9F7F00"), 0x9000);
    cr_assert_eq(g.rlen, 45);
    cr_assert_arr_eq(g.rsp, data, 45);
    cr_assert_eq(gt_put_keyset(&g, 0xFF, 0x01, ISD_KEY), 0x9000);
    cr_assert_eq(gt_sch(&g, "80F08007"), 0x9000); /* INITIALIZED */

    /* 2. The transit operator's SSD, its activation keys, the city's load file. */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, i, &isd, lvl), 0x9000);
    cr_assert_eq(gt_txh(&g, "80CA00CF00"), 0x6982); /* plain in a C-MAC session: it ends */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, i, &isd, lvl), 0x9000);
    uint8_t c9[3] = {0x81, 0x01, 0x70};
    cr_assert_eq(gt_install(&g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_TRANSIT_SD, 9, SSD_PRIV,
                            c9, 3, 1),
                 0x9000);
    cr_assert_eq(gt_perso(&g, GT_TRANSIT_SD, 9), 0x9000);
    n = gt_d8(0x30, OP_ACT, 1, d8);
    cr_assert_eq(gt_store_enc(&g, 0x90, 0, d8, n), 0x9000);
    n = city_olf(olf);
    cr_assert_eq(gt_load(&g, olf, n, CITY_ELF, 8, GT_TRANSIT_SD, 9, 1, NULL, 0, NULL, 180), 0x9000);

    /* 3. The operator takes its SSD over and installs the city's application. */
    host_gp_keys act = gt_keys(OP_ACT, 0x30), mgt = gt_keys(OP_MGT, 0x31);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &act, 0x33), 0x9000);
    cr_assert_eq(gt_put_keyset(&g, 0x30, 0x31, OP_MGT), 0x9000);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &mgt, 0x33), 0x9000);
    uint8_t city_params[4] = {0x81, 0x02, 0x05, 0x10};
    cr_assert_eq(gt_install(&g, CITY_ELF, 8, CITY_MOD, 9, CITY_APP, 10, NOPRIV, city_params, 4, 1),
                 0x9000);
    cr_assert_eq(gt_perso(&g, CITY_APP, 10), 0x9000);
    n = gt_hex("DF20 08 0000000000001234", data);
    cr_assert_eq(gt_store(&g, 0x00, 0, data, n), 0x9000);
    n = gt_hex("DF21 02 0064", data);
    cr_assert_eq(gt_store(&g, 0x80, 1, data, n), 0x9000);
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x9000);
    cr_assert_eq(g.rsp[0], 0xE3);

    /* 4. The issuer secures the card. */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, i, &isd, lvl), 0x9000);
    cr_assert_eq(gt_sch(&g, "80F0800F"), 0x9000);
    cr_assert_eq(gt_sch(&g, "80F28002 02 4F00 00"), 0x9000);
    cr_assert_eq(g.rsp[15], GP_CARD_SECURED);
    cr_assert_eq(gt_sch(&g, "80CA004200"), 0x9000);
    cr_assert(gt_data_is(&g, "4203623101"));

    /* The card as a terminal sees it. */
    cr_assert_eq(gt_select(&g, CITY_APP, 10), 0x9000);
    cr_assert_eq(gt_txh(&g, "00B0950008"), 0x9000);
    cr_assert(gt_data_is(&g, "3100000000000005"));
    cr_assert_eq(gt_txh(&g, "80CA000200"), 0x9000);
    cr_assert(gt_data_is(&g, "DF2008000000000000 1234 DF21020064"));
    cr_assert_eq(gt_txh(&g, "80CA000100"), 0x9000);
    cr_assert(gt_data_is(&g, "81020510"));
    /* The factory keys are gone, the activation keys too. */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, i, &fac, 0x01), 0x6A88);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &act, 0x01), 0x6A88);
    gt_close(&g);
}

Test(perso, blank_card_end_to_end_scp03)
{
    personalize(HOST_GP_SCP03);
}

Test(perso, blank_card_end_to_end_scp02)
{
    personalize(HOST_GP_SCP02);
}

/* An error answer in an R-MAC session carries no R-MAC (no data with an error status
 * word, ISO/IEC 7816-4 5.6), and the session goes on. */
Test(perso, rmac_session_survives_an_error)
{
    for (int scp = HOST_GP_SCP02; scp <= HOST_GP_SCP03; scp++) {
        gcard g;
        gp_isd_config c;
        memset(&c, 0, sizeof c);
        if (scp == HOST_GP_SCP02) {
            c.scp02_i = 0x15;
            c.key_alg = COS_ALG_DES;
        }
        gt_blank(&g, &c);
        host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
        cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, scp == 2 ? 0x15 : 0x70, &k, 0x13), 0x9000);
        cr_assert_eq(gt_sch(&g, "80CA00FE00"), 0x6A88);
        cr_assert_eq(g.rlen, 0);
        cr_assert_eq(gt_sch(&g, "80CA006600"), 0x9000);
        cr_assert_eq(g.rsp[0], 0x66);
        gt_close(&g);
    }
}
