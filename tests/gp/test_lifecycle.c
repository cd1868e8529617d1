/*
 * obol GlobalPlatform tests: life cycles (GP CS 2.3 chapter 5, SET STATUS 11.10).
 * The card: OP_READY -> INITIALIZED -> SECURED <-> CARD_LOCKED, -> TERMINATED, with
 * every backward or skipping transition refused; what a locked and a terminated card
 * still do. Applications and SDs: lock, unlock, PERSONALIZED, an SD with its
 * applications.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gp_test.h"

static const uint8_t ELF_AID[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x43, 0x01};
static const uint8_t MOD_AID[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x43, 0x01, 0x01};
static const uint8_t APP1[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x41, 0x00, 0x01};
static const uint8_t APP2[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x41, 0x00, 0x02};
static const uint8_t NOPRIV[3] = {0, 0, 0};

static void open_isd(gcard *g)
{
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    cr_assert_eq(gt_open(g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
}

static uint16_t set_card(gcard *g, uint8_t state)
{
    uint8_t cmd[32];
    size_t n;
    cr_assert_eq(host_gp_set_status_cmd(0x80, state, NULL, 0, cmd, sizeof cmd, &n), 0);
    return gt_sc(g, cmd, n);
}

static uint16_t set_app(gcard *g, uint8_t p1, uint8_t state, const uint8_t *aid, size_t len)
{
    uint8_t cmd[32];
    size_t n;
    cr_assert_eq(host_gp_set_status_cmd(p1, state, aid, len, cmd, sizeof cmd, &n), 0);
    return gt_sc(g, cmd, n);
}

static uint8_t card_state(gcard *g)
{
    cr_assert_eq(gt_sch(g, "80F28002 02 4F00 00"), 0x9000);
    return g->rsp[15]; /* E3 len 4F 08 aid(8) 9F70 01 lcs */
}

static void two_apps(gcard *g)
{
    uint8_t olf[128];
    gt_module m = {MOD_AID, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    size_t n = gt_olf(ELF_AID, 8, 1, &m, 1, olf);
    cr_assert_eq(gt_load(g, olf, n, ELF_AID, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(gt_install(g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x9000);
    cr_assert_eq(gt_install(g, ELF_AID, 8, MOD_AID, 9, APP2, 9, NOPRIV, NULL, 0, 1), 0x9000);
}

Test(lifecycle, card_forward_only)
{
    gcard g;

    gt_blank(&g, NULL);
    open_isd(&g);
    cr_assert_eq(card_state(&g), GP_CARD_OP_READY);
    cr_assert_eq(set_card(&g, GP_CARD_SECURED), 0x6985, "no skipping INITIALIZED");
    cr_assert_eq(set_card(&g, GP_CARD_LOCKED), 0x6985);
    cr_assert_eq(set_card(&g, GP_CARD_INITIALIZED), 0x9000);
    cr_assert_eq(set_card(&g, GP_CARD_INITIALIZED), 0x6985);
    cr_assert_eq(set_card(&g, GP_CARD_OP_READY), 0x6A86, "01 is not a target state");
    cr_assert_eq(set_card(&g, GP_CARD_SECURED), 0x9000);
    cr_assert_eq(set_card(&g, GP_CARD_INITIALIZED), 0x6985, "no way back");
    cr_assert_eq(set_card(&g, 0x03), 0x6A86);
    cr_assert_eq(card_state(&g), GP_CARD_SECURED);
    /* The state survives a power cycle. */
    gt_reset(&g);
    open_isd(&g);
    cr_assert_eq(card_state(&g), GP_CARD_SECURED);
    /* CPLC is manufacturing data: no longer writable. */
    uint8_t cplc[45] = {0x9F, 0x7F, 42};
    cr_assert_eq(gt_store(&g, 0x90, 0, cplc, sizeof cplc), 0x6985);
    gt_close(&g);
}

Test(lifecycle, card_locked_then_unlocked)
{
    gcard g;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);

    gt_blank(&g, NULL);
    open_isd(&g);
    two_apps(&g);
    cr_assert_eq(set_app(&g, 0x40, 0x80, APP2, 9), 0x9000); /* locked on its own */
    cr_assert_eq(set_card(&g, GP_CARD_INITIALIZED), 0x9000);
    cr_assert_eq(set_card(&g, GP_CARD_SECURED), 0x9000);
    cr_assert_eq(set_card(&g, GP_CARD_LOCKED), 0x9000);
    /* Locked: only the ISD is selectable, and it manages no content. */
    cr_assert_eq(gt_select(&g, APP1, 9), 0x6A82);
    cr_assert_eq(gt_select(&g, APP2, 9), 0x6A82);
    open_isd(&g);
    cr_assert_eq(gt_delete(&g, APP1, 9, 0), 0x6985);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x6985);
    cr_assert_eq(set_app(&g, 0x40, 0x00, APP2, 9), 0x6985);
    cr_assert_eq(card_state(&g), GP_CARD_LOCKED);
    /* Back to SECURED: APP1 is selectable again, APP2 stays locked as it was. */
    cr_assert_eq(set_card(&g, GP_CARD_SECURED), 0x9000);
    cr_assert_eq(gt_select(&g, APP1, 9), 0x9000);
    cr_assert_eq(gt_select(&g, APP2, 9), 0x6A82);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    cr_assert_eq(set_app(&g, 0x40, 0x00, APP2, 9), 0x9000);
    cr_assert_eq(gt_select(&g, APP2, 9), 0x9000);
    gt_close(&g);
}

Test(lifecycle, terminated_is_final)
{
    gcard g;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);

    gt_blank(&g, NULL);
    open_isd(&g);
    two_apps(&g);
    cr_assert_eq(set_card(&g, GP_CARD_TERMINATED), 0x9000);
    /* The open session can do nothing more. */
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x6985);
    /* No new session, no application; GET DATA still answers. */
    cr_assert_eq(gt_select(&g, APP1, 9), 0x6A82);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x6985);
    cr_assert_eq(gt_txh(&g, "80CA006600"), 0x9000);
    gt_close(&g);
}

Test(lifecycle, application_lock_unlock)
{
    gcard g;

    gt_blank(&g, NULL);
    open_isd(&g);
    two_apps(&g);
    cr_assert_eq(set_app(&g, 0x40, 0x80, APP1, 9), 0x9000);
    cr_assert_eq(set_app(&g, 0x40, 0x80, APP1, 9), 0x6985, "locked already");
    cr_assert_eq(gt_sch(&g, "80F24002 0B 4F09F06F626F6C4C410001 00"), 0x9000);
    cr_assert_eq(g.rsp[16], 0x87); /* 9F70: SELECTABLE with b8, LOCKED */
    cr_assert_eq(gt_select(&g, APP1, 9), 0x6A82);
    open_isd(&g);
    cr_assert_eq(set_app(&g, 0x40, 0x00, APP1, 9), 0x9000);
    cr_assert_eq(set_app(&g, 0x40, 0x00, APP1, 9), 0x6985, "not locked");
    cr_assert_eq(gt_sch(&g, "80F24002 0B 4F09F06F626F6C4C410001 00"), 0x9000);
    cr_assert_eq(g.rsp[16], 0x07);
    /* Application-specific states are the application's business; the ISD is P1 80's. */
    cr_assert_eq(set_app(&g, 0x40, 0x0F, APP1, 9), 0x6985);
    cr_assert_eq(set_app(&g, 0x40, 0x23, APP1, 9), 0x6A86);
    cr_assert_eq(set_app(&g, 0x40, 0x80, GT_ISD, 8), 0x6985);
    cr_assert_eq(set_app(&g, 0x40, 0x80, GT_TRANSIT_SD, 9), 0x6A88);
    cr_assert_eq(gt_select(&g, APP1, 9), 0x9000);
    gt_close(&g);
}

Test(lifecycle, security_domain_personalized_and_locked_with_its_apps)
{
    gcard g;
    const uint8_t priv[3] = {0x80, 0x40, 0x00};
    uint8_t c9[3] = {0x81, 0x01, 0x70}, d8[80], olf[128];
    size_t n;

    gt_blank(&g, NULL);
    open_isd(&g);
    cr_assert_eq(
        gt_install(&g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_TRANSIT_SD, 9, priv, c9, 3, 1),
        0x9000);
    cr_assert_eq(set_app(&g, 0x40, GP_SD_PERSONALIZED, GT_TRANSIT_SD, 9), 0x9000);
    cr_assert_eq(set_app(&g, 0x40, GP_SD_PERSONALIZED, GT_TRANSIT_SD, 9), 0x6985);
    cr_assert_eq(gt_perso(&g, GT_TRANSIT_SD, 9), 0x9000);
    n = gt_d8(0x30, GT_TEST_KEY, 1, d8);
    cr_assert_eq(gt_store_enc(&g, 0x90, 0, d8, n), 0x9000);
    /* The SSD loads and installs an application of its own. */
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0x30);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    gt_module m = {MOD_AID, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    n = gt_olf(ELF_AID, 8, 1, &m, 1, olf);
    cr_assert_eq(gt_load(&g, olf, n, ELF_AID, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(gt_install(&g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x9000);
    /* The issuer locks the SD together with its applications (P1 60). */
    open_isd(&g);
    cr_assert_eq(set_app(&g, 0x60, 0x80, GT_TRANSIT_SD, 9), 0x9000);
    cr_assert_eq(gt_select(&g, APP1, 9), 0x6A82);
    cr_assert_eq(gt_select(&g, GT_TRANSIT_SD, 9), 0x6A82);
    open_isd(&g);
    cr_assert_eq(set_app(&g, 0x60, 0x00, GT_TRANSIT_SD, 9), 0x9000);
    cr_assert_eq(gt_select(&g, APP1, 9), 0x9000);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x9000);
    gt_close(&g);
}
