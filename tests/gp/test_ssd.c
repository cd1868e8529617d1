/*
 * obol GlobalPlatform tests: supplementary security domains for industry operators.
 * The issuer creates a transit operator's SSD and a social security bureau's SSD,
 * sets their activation key sets through its own channel (encrypted STORE DATA), and
 * each operator then replaces them with its management keys (PUT KEY), which the
 * issuer never sees. With Authorized Management each SSD loads, installs and
 * personalizes its own application; neither can touch the other's, the issuer cannot
 * personalize theirs, and the card OS firewall keeps every SD's keys from every
 * other instance, the ISD included.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gp_test.h"
#include "obol/cos_crypto.h"

static const uint8_t T_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x45, 0x01};
static const uint8_t T_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x45, 0x01, 0x01};
static const uint8_t T_APP[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x41, 0x50, 0x01};
static const uint8_t S_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x53, 0x45, 0x01};
static const uint8_t S_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x53, 0x45, 0x01, 0x01};
static const uint8_t S_APP[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x53, 0x41, 0x50, 0x01};
static const uint8_t NOPRIV[3] = {0, 0, 0};
static const uint8_t SSD_PRIV[3] = {0x80, 0x40, 0x00}; /* SD, Authorized Management */

/* TEST keys: the operators' activation (set by the issuer) and management keys. */
static const uint8_t T_ACT[16] = {0x54, 0x41, 0x54, 0x41, 0x54, 0x41, 0x54, 0x41,
                                  0x54, 0x41, 0x54, 0x41, 0x54, 0x41, 0x54, 0x41};
static const uint8_t T_MGT[16] = {0x54, 0x4D, 0x54, 0x4D, 0x54, 0x4D, 0x54, 0x4D,
                                  0x54, 0x4D, 0x54, 0x4D, 0x54, 0x4D, 0x54, 0x4D};
static const uint8_t S_ACT[16] = {0x53, 0x41, 0x53, 0x41, 0x53, 0x41, 0x53, 0x41,
                                  0x53, 0x41, 0x53, 0x41, 0x53, 0x41, 0x53, 0x41};
static const uint8_t S_MGT[16] = {0x53, 0x4D, 0x53, 0x4D, 0x53, 0x4D, 0x53, 0x4D,
                                  0x53, 0x4D, 0x53, 0x4D, 0x53, 0x4D, 0x53, 0x4D};

static void open_isd(gcard *g)
{
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    cr_assert_eq(gt_open(g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x03), 0x9000);
}

static void open_sd(gcard *g, const uint8_t *sd, const uint8_t key[16], uint8_t kvn)
{
    host_gp_keys k = gt_keys(key, kvn);
    cr_assert_eq(gt_open(g, sd, 9, HOST_GP_SCP03, 0x70, &k, 0x03), 0x9000);
}

/* The issuer creates SD with privileges PRIV and sets its activation keys (KVN 30). */
static void create_ssd(gcard *g, const uint8_t *sd, const uint8_t priv[3], const uint8_t act[16])
{
    uint8_t c9[6] = {0x81, 0x01, 0x70, 0x82, 0x01, 0x05}, d8[80];
    size_t n;

    open_isd(g);
    cr_assert_eq(gt_install(g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, sd, 9, priv, c9, 6, 1),
                 0x9000);
    cr_assert_eq(gt_perso(g, sd, 9), 0x9000);
    n = gt_d8(0x30, act, 1, d8);
    cr_assert_eq(gt_store_enc(g, 0x90, 0, d8, n), 0x9000);
}

/* The operator's own application: a load file with one module and one record file,
 * loaded and installed through its SSD, then personalized through it. */
static void operator_app(gcard *g, const uint8_t *sd, const uint8_t key[16], const uint8_t *elf,
                         const uint8_t *mod, const uint8_t *app, const char *perso)
{
    static const uint8_t rec[16] = {0xAA};
    gt_file f = {0x0018, 0x18, 0x06, 0, 16, 4, 0x00, 0xFF, rec, 16};
    gt_module m = {mod, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, &f, 1};
    uint8_t olf[256], data[64];
    size_t n = gt_olf(elf, 8, 0x0100, &m, 1, olf);

    open_sd(g, sd, key, 0x31);
    cr_assert_eq(gt_load(g, olf, n, elf, 8, NULL, 0, 1, NULL, 0, NULL, 128), 0x9000);
    cr_assert_eq(gt_install(g, elf, 8, mod, 9, app, 9, NOPRIV, NULL, 0, 1), 0x9000);
    cr_assert_eq(gt_perso(g, app, 9), 0x9000);
    n = gt_hex(perso, data);
    cr_assert_eq(gt_store(g, 0x80, 0, data, n), 0x9000);
}

/* The card of these tests: both SSDs with rotated keys, each with its application. */
static void two_domains(gcard *g)
{
    gt_blank(g, NULL);
    create_ssd(g, GT_TRANSIT_SD, SSD_PRIV, T_ACT);
    create_ssd(g, GT_SOCIAL_SD, SSD_PRIV, S_ACT);
    /* Each operator replaces the issuer-known activation set by its management set. */
    open_sd(g, GT_TRANSIT_SD, T_ACT, 0x30);
    cr_assert_eq(gt_put_keyset(g, 0x30, 0x31, T_MGT), 0x9000);
    open_sd(g, GT_SOCIAL_SD, S_ACT, 0x30);
    cr_assert_eq(gt_put_keyset(g, 0x30, 0x31, S_MGT), 0x9000);
    operator_app(g, GT_TRANSIT_SD, T_MGT, T_ELF, T_MOD, T_APP, "DF01 04 43495459");
    operator_app(g, GT_SOCIAL_SD, S_MGT, S_ELF, S_MOD, S_APP, "DF02 03 535349");
}

Test(ssd, activation_then_management_keys)
{
    gcard g;
    host_gp_keys act = gt_keys(T_ACT, 0x30), isdk = gt_keys(GT_TEST_KEY, 0xFF);

    two_domains(&g);
    /* The activation keys the issuer knew no longer open the SSD. */
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &act, 0x01), 0x6A88);
    /* Nor do the issuer's own keys. */
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &isdk, 0x01), 0x6A88);
    isdk.kvn = 0x31;
    cr_assert(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &isdk, 0x01) < 0);
    open_sd(&g, GT_TRANSIT_SD, T_MGT, 0x31);
    /* The application got its personalization through its SD. */
    cr_assert_eq(gt_select(&g, T_APP, 9), 0x9000);
    cr_assert_eq(gt_txh(&g, "80CA000200"), 0x9000);
    cr_assert(gt_data_is(&g, "DF010443495459"));
    cr_assert_eq(gt_txh(&g, "00B201C410"), 0x9000);
    cr_assert_eq(g.rsp[0], 0xAA);
    gt_close(&g);
}

Test(ssd, transit_key_cannot_manage_social_content)
{
    gcard g;
    uint8_t cmd[300], olf[128];
    size_t n;

    two_domains(&g);
    open_sd(&g, GT_TRANSIT_SD, T_MGT, 0x31);
    cr_assert_eq(gt_delete(&g, S_APP, 9, 0), 0x6985);
    cr_assert_eq(gt_delete(&g, S_ELF, 8, 1), 0x6985);
    cr_assert_eq(gt_delete(&g, GT_SOCIAL_SD, 9, 1), 0x6985);
    cr_assert_eq(gt_perso(&g, S_APP, 9), 0x6985);
    uint8_t other[9];
    memcpy(other, T_APP, 9);
    other[8] = 0x09;
    cr_assert_eq(gt_install(&g, S_ELF, 8, S_MOD, 9, other, 9, NOPRIV, NULL, 0, 1), 0x6985);
    cr_assert_eq(host_gp_set_status_cmd(0x40, 0x80, S_APP, 9, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6985);
    cr_assert_eq(host_gp_set_status_cmd(0x60, 0x80, GT_SOCIAL_SD, 9, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6985);
    /* Load into the social SD, extradite its application, lock the card. */
    gt_module m = {other, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    uint8_t elf[8];
    memcpy(elf, T_ELF, 8);
    elf[7] = 0x07;
    n = gt_olf(elf, 8, 1, &m, 1, olf);
    cr_assert_eq(gt_load(&g, olf, n, elf, 8, GT_SOCIAL_SD, 9, 1, NULL, 0, NULL, 128), 0x6985);
    host_gp_install ex = {0};
    ex.p1 = HOST_GP_INSTALL_EXTRADITION;
    ex.sd_aid = GT_TRANSIT_SD;
    ex.sd_aid_len = 9;
    ex.app_aid = S_APP;
    ex.app_aid_len = 9;
    cr_assert_eq(host_gp_install_cmd(&ex, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6985);
    cr_assert_eq(gt_sch(&g, "80F0807F"), 0x6985);
    /* GET STATUS shows the transit SSD's own content only. */
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x9000);
    cr_assert_eq(g.rsp[0], 0xE3);
    cr_assert_eq(g.rlen, 2u + g.rsp[1]);
    cr_assert_arr_eq(g.rsp + 4, T_APP, 9);
    cr_assert_eq(gt_sch(&g, "80F22002 02 4F00 00"), 0x9000);
    cr_assert_eq(g.rlen, 2u + g.rsp[1]);
    cr_assert_arr_eq(g.rsp + 4, T_ELF, 8);
    cr_assert_eq(gt_sch(&g, "80F28002 02 4F00 00"), 0x6A88);
    /* Its own content it manages. */
    cr_assert_eq(host_gp_set_status_cmd(0x40, 0x80, T_APP, 9, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x9000);
    cr_assert_eq(gt_select(&g, T_APP, 9), 0x6A82);
    gt_close(&g);
}

Test(ssd, issuer_cannot_personalize_industry_applications)
{
    gcard g;
    uint8_t d8[80];
    size_t n;

    two_domains(&g);
    open_isd(&g);
    cr_assert_eq(gt_perso(&g, T_APP, 9), 0x6985);
    cr_assert_eq(gt_perso(&g, S_APP, 9), 0x6985);
    /* Nor slip keys of its own into an SSD that has its owner's keys. */
    cr_assert_eq(gt_perso(&g, GT_TRANSIT_SD, 9), 0x9000);
    n = gt_d8(0x32, GT_TEST_KEY, 1, d8);
    cr_assert_eq(gt_store_enc(&g, 0x90, 0, d8, n), 0x6985);
    host_gp_keys mine = gt_keys(GT_TEST_KEY, 0x32);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &mine, 0x01), 0x6A88);
    open_isd(&g);
    /* The issuer sees the whole registry. */
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x9000);
    int k = 0;
    for (size_t i = 0; i < g.rlen; i += 2u + g.rsp[i + 1])
        k++;
    cr_assert_eq(k, 4); /* two SSDs, two applications */
    gt_close(&g);
}

Test(ssd, firewall_walls_off_keys)
{
    gcard g;
    cos_ctx isd, tsd, ssd;
    cos_key tk, sk;
    uint8_t buf[32], blk[16] = {0}, out[16];

    two_domains(&g);
    gt_ctx(&g, gt_app(&g, GT_ISD, 8).oid, &isd);
    gt_ctx(&g, gt_app(&g, GT_TRANSIT_SD, 9).oid, &tsd);
    gt_ctx(&g, gt_app(&g, GT_SOCIAL_SD, 9).oid, &ssd);
    cr_assert_eq(cos_key_find(&tsd, COS_KEY_GP, 1, 0x31, &tk), 0);
    cr_assert_eq(cos_key_find(&ssd, COS_KEY_GP, 1, 0x31, &sk), 0);
    /* The ISD does not find the SSDs' keys, and a handle to one gets it nowhere. */
    cr_assert_eq(cos_key_find(&isd, COS_KEY_GP, 1, 0x31, &tk), COS_ERR_NOT_FOUND);
    cr_assert_eq(cos_key_find(&tsd, COS_KEY_GP, 1, 0x31, &tk), 0);
    cr_assert_eq(cos_key_read(&isd, &tk, buf, sizeof buf), COS_ERR_ACCESS);
    cr_assert_eq(cos_key_cipher(&isd, &tk, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, blk, out, 16),
                 COS_ERR_ACCESS);
    /* Nor do the operators reach each other's keys. */
    cr_assert_eq(cos_key_read(&tsd, &sk, buf, sizeof buf), COS_ERR_ACCESS);
    cr_assert_eq(cos_key_read(&ssd, &tk, buf, sizeof buf), COS_ERR_ACCESS);
    /* The owner does. */
    cr_assert_eq(cos_key_read(&tsd, &tk, buf, sizeof buf), 16);
    cr_assert_arr_eq(buf, T_MGT, 16);
    gt_close(&g);
}

Test(ssd, without_authorized_management_no_content)
{
    gcard g;
    const uint8_t plain[3] = {0x80, 0x00, 0x00};
    uint8_t olf[128];

    gt_blank(&g, NULL);
    create_ssd(&g, GT_TRANSIT_SD, plain, T_ACT);
    open_sd(&g, GT_TRANSIT_SD, T_ACT, 0x30);
    gt_module m = {T_MOD, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    size_t n = gt_olf(T_ELF, 8, 1, &m, 1, olf);
    cr_assert_eq(gt_load(&g, olf, n, T_ELF, 8, NULL, 0, 1, NULL, 0, NULL, 128), 0x6982);
    /* It still manages its own keys. */
    cr_assert_eq(gt_put_keyset(&g, 0x30, 0x31, T_MGT), 0x9000);
    /* And an SSD cannot create security domains, nor grant what it lacks. */
    create_ssd(&g, GT_SOCIAL_SD, SSD_PRIV, S_ACT);
    open_sd(&g, GT_SOCIAL_SD, S_ACT, 0x30);
    uint8_t c9[3] = {0x81, 0x01, 0x70}, sub[9];
    memcpy(sub, GT_SOCIAL_SD, 9);
    sub[8] = 0x01;
    cr_assert_eq(gt_install(&g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, sub, 9, SSD_PRIV, c9, 3, 1),
                 0x6985);
    gt_close(&g);
}

Test(ssd, delete_with_related_content)
{
    gcard g;

    two_domains(&g);
    open_isd(&g);
    cr_assert_eq(gt_delete(&g, GT_TRANSIT_SD, 9, 0), 0x6985);
    cr_assert_eq(gt_delete(&g, GT_TRANSIT_SD, 9, 1), 0x9000);
    cr_assert_eq(gt_select(&g, T_APP, 9), 0x6A82);
    cr_assert_eq(gt_select(&g, GT_TRANSIT_SD, 9), 0x6A82);
    open_isd(&g);
    cr_assert_eq(gt_sch(&g, "80F22002 0A 4F08F06F626F6C544501 00"), 0x6A88);
    /* The social domain is untouched. */
    open_sd(&g, GT_SOCIAL_SD, S_MGT, 0x31);
    cr_assert_eq(gt_select(&g, S_APP, 9), 0x9000);
    gt_close(&g);
}

/* INSTALL [for extradition]: the issuer hands one of its applications (and a load
 * file) over to the transit operator, who then personalizes and manages them; the
 * issuer keeps its authority to delete, not to personalize. */
Test(ssd, extradition_to_an_operator)
{
    static const uint8_t I_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x49, 0x45, 0x01};
    static const uint8_t I_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x49, 0x45, 0x01, 0x01};
    static const uint8_t I_APP[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x49, 0x41, 0x50, 0x01};
    gt_module m = {I_MOD, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    uint8_t olf[128], cmd[64], data[8];
    host_gp_install ex = {0};
    gcard g;
    size_t n;

    two_domains(&g);
    open_isd(&g);
    n = gt_olf(I_ELF, 8, 1, &m, 1, olf);
    cr_assert_eq(gt_load(&g, olf, n, I_ELF, 8, NULL, 0, 1, NULL, 0, NULL, 128), 0x9000);
    cr_assert_eq(gt_install(&g, I_ELF, 8, I_MOD, 9, I_APP, 9, NOPRIV, NULL, 0, 1), 0x9000);
    ex.p1 = HOST_GP_INSTALL_EXTRADITION;
    ex.sd_aid = GT_TRANSIT_SD;
    ex.sd_aid_len = 9;
    ex.app_aid = I_APP;
    ex.app_aid_len = 9;
    cr_assert_eq(host_gp_install_cmd(&ex, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x9000);
    ex.app_aid = I_ELF;
    ex.app_aid_len = 8;
    cr_assert_eq(host_gp_install_cmd(&ex, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x9000);
    /* GET STATUS names the new security domain. */
    cr_assert_eq(gt_sch(&g, "80F24002 0B 4F09F06F626F6C49415001 00"), 0x9000);
    cr_assert_arr_eq(g.rsp + g.rlen - 9, GT_TRANSIT_SD, 9);
    cr_assert_eq(gt_perso(&g, I_APP, 9), 0x6985);
    /* The operator personalizes it and installs more from the load file. */
    open_sd(&g, GT_TRANSIT_SD, T_MGT, 0x31);
    cr_assert_eq(gt_perso(&g, I_APP, 9), 0x9000);
    n = gt_hex("DF0301AA", data);
    cr_assert_eq(gt_store(&g, 0x80, 0, data, n), 0x9000);
    uint8_t app2[9];
    memcpy(app2, I_APP, 9);
    app2[8] = 0x02;
    cr_assert_eq(gt_install(&g, I_ELF, 8, I_MOD, 9, app2, 9, NOPRIV, NULL, 0, 1), 0x9000);
    cr_assert_eq(gt_select(&g, I_APP, 9), 0x9000);
    cr_assert_eq(gt_txh(&g, "80CA000200"), 0x9000);
    cr_assert(gt_data_is(&g, "DF0301AA"));
    /* The social operator still cannot touch it. */
    open_sd(&g, GT_SOCIAL_SD, S_MGT, 0x31);
    cr_assert_eq(gt_delete(&g, I_APP, 9, 0), 0x6985);
    gt_close(&g);
}
