/*
 * obol GlobalPlatform tests: card content from load files. LOAD of a load file (in
 * blocks of several sizes, with and without its hash), INSTALL of instances with new
 * AIDs and the files, records and parameters the load file carries, make selectable,
 * DELETE of instances and load files (with related objects), GET STATUS in every
 * form with its 6310 continuation, DAP verification, and the errors of each.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gp_test.h"
#include "obol/cos_crypto.h"
#include "obol/host_crypto.h"

static const uint8_t ELF_AID[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x01};
static const uint8_t MOD_AID[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x01, 0x01};
static const uint8_t APP1[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x41, 0x01};
static const uint8_t APP2[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x41, 0x02};
static const uint8_t NOPRIV[3] = {0, 0, 0};

static const uint8_t CITY[8] = {0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t FCI[5] = {0x9F, 0x08, 0x01, 0x02, 0x00};
static const uint8_t RECS[2 * 16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
static const uint8_t PARAMS[4] = {0x81, 0x02, 0x05, 0x10};

/* A "transit city" load file: the application class, an ADF FID, FCI, parameters, a
 * transparent EF with the city code and a cyclic EF with two records. */
static size_t transit_olf(uint8_t *out)
{
    static const gt_file files[2] = {
        {0x0015, 0x15, 0x01, 30, 0, 0, 0x00, 0xFF, CITY, 8},
        {0x0018, 0x18, 0x06, 0, 16, 10, 0x00, 0xFF, RECS, 32},
    };
    gt_module m = {MOD_AID, 9, GT_APP_CLASS, 0x1001, FCI, 5, PARAMS, 4, files, 2};
    return gt_olf(ELF_AID, 8, 0x0102, &m, 1, out);
}

static void open_isd(gcard *g, uint8_t level)
{
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    cr_assert_eq(gt_open(g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, level), 0x9000);
}

static void load_transit(gcard *g, size_t block)
{
    uint8_t olf[512];
    size_t n = transit_olf(olf);
    cr_assert_eq(gt_load(g, olf, n, ELF_AID, 8, NULL, 0, 1, NULL, 0, NULL, block), 0x9000,
                 "load: %04X", g->sw);
}

Test(content, load_install_select_and_read)
{
    gcard g;
    uint8_t c9[3] = {0x82, 0x01, 0x07};

    gt_blank(&g, NULL);
    open_isd(&g, 0x03);
    load_transit(&g, 100);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, c9, 3, 1), 0x9000);
    cr_assert(gt_data_is(&g, "00"));
    /* The new application: its FCI, files and parameters come from the load file. */
    cr_assert_eq(gt_select(&g, APP1, 9), 0x9000);
    cr_assert(gt_data_is(&g, "6F12 8409F06F626F6C5452410 1 A5059F08010200"));
    cr_assert_eq(gt_txh(&g, "00B0950008"), 0x9000);
    cr_assert(gt_data_is(&g, "2100000000000001"));
    cr_assert_eq(gt_txh(&g, "00B201C410"), 0x9000); /* record 1 of SFI 18: the newest */
    cr_assert(gt_data_is(&g, "02020202020202020202020202020202"));
    cr_assert_eq(gt_txh(&g, "80CA000100"), 0x9000);
    cr_assert(gt_data_is(&g, "81020510 820107"), "module parameters then C9");
    /* A second instance of the same module, only installed (not selectable). */
    open_isd(&g, 0x01);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP2, 9, NOPRIV, NULL, 0, 0), 0x9000);
    cr_assert_eq(gt_select(&g, APP2, 9), 0x6A82);
    open_isd(&g, 0x01);
    host_gp_install ms = {0};
    uint8_t cmd[64];
    size_t n;
    ms.p1 = HOST_GP_INSTALL_SELECTABLE;
    ms.app_aid = APP2;
    ms.app_aid_len = 9;
    ms.privileges = NOPRIV;
    ms.privileges_len = 3;
    cr_assert_eq(host_gp_install_cmd(&ms, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x9000);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6985); /* selectable already */
    cr_assert_eq(gt_select(&g, APP2, 9), 0x9000);
    gt_close(&g);
}

Test(content, load_block_sizes_and_hash)
{
    static const size_t blocks[] = {8, 16, 100, 239}; /* block 00 holds the C4 header */
    for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
        gcard g;
        uint8_t olf[512];
        size_t n = transit_olf(olf);
        gt_blank(&g, NULL);
        open_isd(&g, 0x01);
        cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, NULL, 0, b & 1, NULL, 0, NULL, blocks[b]),
                     0x9000);
        cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x9000);
        gt_close(&g);
    }
}

Test(content, load_errors)
{
    gcard g;
    uint8_t olf[512], cmd[300], hash[32];
    size_t n;

    gt_blank(&g, NULL);
    open_isd(&g, 0x01);
    n = transit_olf(olf);
    /* LOAD without INSTALL [for load]. */
    cr_assert_eq(gt_sch(&g, "80E88000 03 C40100 00"), 0x6985);
    /* Wrong hash: the last block fails and the load file is gone. */
    host_gp_install in;
    memset(&in, 0, sizeof in);
    in.p1 = 0x02;
    in.elf_aid = ELF_AID;
    in.elf_aid_len = 8;
    memset(hash, 0x55, 32);
    in.hash = hash;
    in.hash_len = 32;
    size_t m;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &m), 0);
    cr_assert_eq(gt_sc(&g, cmd, m), 0x9000);
    cmd[0] = 0x80;
    cmd[1] = 0xE8;
    cmd[2] = 0x80;
    cmd[3] = 0x00;
    cmd[4] = (uint8_t)(n + 3);
    cmd[5] = 0xC4;
    cmd[6] = 0x81;
    cmd[7] = (uint8_t)n;
    memcpy(cmd + 8, olf, n);
    cmd[8 + n] = 0;
    cr_assert_lt(n, 200);
    cr_assert_eq(gt_sc(&g, cmd, 9 + n), 0x6A80);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x6A88);
    /* A load file whose AID is not the one announced. */
    uint8_t other[8];
    memcpy(other, ELF_AID, 8);
    other[7] = 0x09;
    cr_assert_eq(gt_load(&g, olf, n, other, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x6A80);
    /* Blocks out of sequence. */
    memset(&in, 0, sizeof in);
    in.p1 = 0x02;
    in.elf_aid = ELF_AID;
    in.elf_aid_len = 8;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &m), 0);
    cr_assert_eq(gt_sc(&g, cmd, m), 0x9000);
    cr_assert_eq(gt_sch(&g, "80E80001 03 C48200 00"), 0x6A86);
    /* A corrupt load file (an unknown tag). */
    uint8_t bad[64];
    size_t bn = gt_hex("C10101 4F08F06F626F6C545201 7701 00", bad);
    cr_assert_eq(gt_load(&g, bad, bn, ELF_AID, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x6A80);
    /* The AID of an existing application or of ROM cannot name a load file. */
    cr_assert_eq(gt_load(&g, olf, n, GT_ISD, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x6A80);
    /* INSTALL of an unknown module, of a taken AID, of a class the ROM lacks. */
    load_transit(&g, 200);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, APP1, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x6A88);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, GT_ISD, 8, NOPRIV, NULL, 0, 1), 0x6A80);
    gt_module ghost = {MOD_AID, 9, 0x7EEE, 0, NULL, 0, NULL, 0, NULL, 0};
    uint8_t gelf[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x47, 0x48, 0x01};
    n = gt_olf(gelf, 8, 1, &ghost, 1, olf);
    cr_assert_eq(gt_load(&g, olf, n, gelf, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(gt_install(&g, gelf, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x6A80);
    gt_close(&g);
}

Test(content, delete_instances_and_load_files)
{
    gcard g;

    gt_blank(&g, NULL);
    open_isd(&g, 0x01);
    load_transit(&g, 200);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x9000);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP2, 9, NOPRIV, NULL, 0, 1), 0x9000);
    /* The load file has instances: only with related objects. */
    cr_assert_eq(gt_delete(&g, ELF_AID, 8, 0), 0x6985);
    cr_assert_eq(gt_delete(&g, APP1, 9, 0), 0x9000);
    cr_assert(gt_data_is(&g, "00"));
    cr_assert_eq(gt_delete(&g, APP1, 9, 0), 0x6A88);
    cr_assert_eq(gt_delete(&g, ELF_AID, 8, 1), 0x9000);
    cr_assert_eq(gt_select(&g, APP2, 9), 0x6A82);
    /* The ISD and ROM are not deletable. */
    open_isd(&g, 0x01);
    cr_assert_eq(gt_delete(&g, GT_ISD, 8, 0), 0x6985);
    cr_assert_eq(gt_sch(&g, "80E40000 09 4F07A0000001515350 00"), 0x6985);
    /* The freed load file slot takes a new load. */
    load_transit(&g, 200);
    gt_close(&g);
}

/* Counts E3 entries of the last answer. */
static int entries(const gcard *g)
{
    int k = 0;
    for (size_t i = 0; i + 1 < g->rlen; i += 2u + g->rsp[i + 1]) {
        cr_assert_eq(g->rsp[i], 0xE3);
        k++;
    }
    return k;
}

Test(content, get_status_forms_and_continuation)
{
    gcard g;
    uint8_t aid[9];
    int total = 0, rounds = 0;

    gt_blank(&g, NULL);
    open_isd(&g, 0x03);
    load_transit(&g, 200);
    memcpy(aid, APP1, 9);
    for (int k = 0; k < 12; k++) {
        aid[8] = (uint8_t)(0x10 + k);
        cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, aid, 9, NOPRIV, NULL, 0, 1), 0x9000);
    }
    /* ISD */
    cr_assert_eq(gt_sch(&g, "80F28002 02 4F00 00"), 0x9000);
    cr_assert(gt_data_is(&g, "E313 4F08A000000151000000 9F700101 C5039E7C00"), "ISD entry");
    /* Applications: 12 of them do not fit in one answer. */
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x6310);
    total += entries(&g);
    cr_assert_eq(g.rsp[2], 0x4F);
    while (g.sw == 0x6310) {
        cr_assert_lt(++rounds, 10);
        gt_sch(&g, "80F24003 02 4F00 00");
        cr_assert(g.sw == 0x6310 || g.sw == 0x9000);
        total += entries(&g);
    }
    cr_assert_eq(total, 12);
    cr_assert_geq(rounds, 1);
    /* The entry of one application: AID, state, privileges, load file, SD. */
    cr_assert_eq(gt_sch(&g, "80F24002 0B 4F09F06F626F6C5452411B 00"), 0x9000);
    cr_assert(gt_data_is(&g, "E3 28 4F09F06F626F6C5452411B 9F700107 C503000000"
                             " C408F06F626F6C545201 CC08A000000151000000"));
    /* "Next" without a 6310 before it. */
    cr_assert_eq(gt_sch(&g, "80F24003 02 4F00 00"), 0x6985);
    /* Load files, and load files with their modules. */
    cr_assert_eq(gt_sch(&g, "80F22002 02 4F00 00"), 0x9000);
    cr_assert_eq(entries(&g), 2); /* ROM and the transit load file */
    cr_assert_eq(gt_sch(&g, "80F21002 0A 4F08F06F626F6C545201 00"), 0x9000);
    cr_assert(gt_data_is(&g, "E3 27 4F08F06F626F6C545201 9F700101 CE020102"
                             " 8409F06F626F6C54520101 CC08A000000151000000"));
    /* Nothing matches; bad P1/P2. */
    cr_assert_eq(gt_sch(&g, "80F24002 04 4F02EEEE 00"), 0x6A88);
    cr_assert_eq(gt_sch(&g, "80F24000 02 4F00 00"), 0x6A86);
    cr_assert_eq(gt_sch(&g, "80F20102 02 4F00 00"), 0x6A86);
    gt_close(&g);
}

Test(content, dap_verification)
{
    gcard g;
    uint8_t olf[512], dap[16], kcv[3], cmd[300], blk[80];
    size_t n, m;
    const uint8_t sd_priv[3] = {0xC0, 0x40, 0x00}; /* SD, DAP Verification; AM */
    uint8_t c9[3] = {0x81, 0x01, 0x60};

    gt_blank(&g, NULL);
    open_isd(&g, 0x01);
    /* An SSD with DAP Verification and its DAP key (TEST: 0x73 x 16). */
    cr_assert_eq(
        gt_install(&g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_TRANSIT_SD, 9, sd_priv, c9, 3, 1),
        0x9000);
    memset(dap, 0x73, 16);
    /* The SSD's keys: personalized by the ISD (encrypted STORE DATA), then its own DAP
     * key by PUT KEY through the SSD's channel. */
    cr_assert_eq(gt_perso(&g, GT_TRANSIT_SD, 9), 0x9000);
    n = gt_d8(0x30, GT_TEST_KEY, 1, blk);
    cr_assert_eq(gt_store_enc(&g, 0x90, 0, blk, n), 0x9000);
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0x30);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x60, &k, 0x01), 0x9000);
    cr_assert_eq(host_gp_put_key_cmd(&g.s, 0, 0x73, 1, dap, 1, 16, cmd, sizeof cmd, &m), 0);
    cr_assert_eq(gt_sc(&g, cmd, m), 0x9000);
    host_kcv_aes(dap, 16, kcv);
    cr_assert_eq(g.rlen, 4);
    cr_assert_eq(g.rsp[0], 0x73);
    cr_assert_arr_eq(g.rsp + 1, kcv, 3);
    n = transit_olf(olf);
    /* Loading into the SSD from the ISD: the DAP is required ... */
    open_isd(&g, 0x01);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, GT_TRANSIT_SD, 9, 0, NULL, 0, NULL, 200), 0x6A80);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, GT_TRANSIT_SD, 9, 1, NULL, 0, NULL, 200), 0x6985);
    /* ... and checked: a wrong DAP key fails, the right one passes. */
    uint8_t wrong[16];
    memset(wrong, 0x37, 16);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, GT_TRANSIT_SD, 9, 1, GT_TRANSIT_SD, 9, wrong, 200),
                 0x6985);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, GT_TRANSIT_SD, 9, 1, GT_TRANSIT_SD, 9, dap, 200),
                 0x9000);
    /* The SSD loads into itself with its own key as well. */
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x60, &k, 0x01), 0x9000);
    uint8_t elf2[8];
    memcpy(elf2, ELF_AID, 8);
    elf2[7] = 0x02;
    gt_module mm = {MOD_AID, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    mm.aid = APP2; /* module AID */
    n = gt_olf(elf2, 8, 1, &mm, 1, olf);
    cr_assert_eq(gt_load(&g, olf, n, elf2, 8, NULL, 0, 1, GT_TRANSIT_SD, 9, dap, 200), 0x9000);
    gt_close(&g);
}

/* A controlling authority's SD with Mandated DAP Verification: every load file on the
 * card, whatever SD it goes to, needs its DAP. */
Test(content, mandated_dap)
{
    gcard g;
    uint8_t olf[512], dap[16], cmd[300], blk[80];
    size_t n, m;
    const uint8_t ca_priv[3] = {0xC1, 0x00, 0x00}; /* SD, DAP, Mandated DAP */
    uint8_t c9[3] = {0x81, 0x01, 0x60};

    gt_blank(&g, NULL);
    open_isd(&g, 0x01);
    cr_assert_eq(
        gt_install(&g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_SOCIAL_SD, 9, ca_priv, c9, 3, 1),
        0x9000);
    cr_assert_eq(gt_perso(&g, GT_SOCIAL_SD, 9), 0x9000);
    n = gt_d8(0x30, GT_TEST_KEY, 1, blk);
    cr_assert_eq(gt_store_enc(&g, 0x90, 0, blk, n), 0x9000);
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0x30);
    cr_assert_eq(gt_open(&g, GT_SOCIAL_SD, 9, HOST_GP_SCP03, 0x60, &k, 0x01), 0x9000);
    memset(dap, 0x73, 16); /* TEST DAP key */
    cr_assert_eq(host_gp_put_key_cmd(&g.s, 0, 0x73, 1, dap, 1, 16, cmd, sizeof cmd, &m), 0);
    cr_assert_eq(gt_sc(&g, cmd, m), 0x9000);
    /* The issuer loads for itself: the authority's DAP is still required. */
    open_isd(&g, 0x01);
    n = transit_olf(olf);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x6985);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, NULL, 0, 1, GT_SOCIAL_SD, 9, dap, 200), 0x9000);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x9000);
    gt_close(&g);
}
