/*
 * obol GlobalPlatform tests: exhaustive tearing of content management (INSTALL of an
 * application from a load file, INSTALL of a security domain, DELETE with related
 * objects, PUT KEY, a LOAD block). The card OS's harness (cos_tear.h) cuts the power
 * at every NVM write of the operation (and inside writes) and requires the card,
 * once powered again, to be in the state before or after the command.
 *
 * Each operation opens its secure channel first (SCP03 i=60: random challenge, so
 * INITIALIZE UPDATE writes nothing), which writes NVM too; its states are declared
 * as the extra acceptable ones: one authentication try counted (EXTERNAL
 * AUTHENTICATE counts before it checks), and the channel open (the sequence counter
 * moved) without the command.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "gp_test.h"
#include "obol/cos_tear.h"

static const uint8_t ELF_AID[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x54, 0x01};
static const uint8_t MOD_AID[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x54, 0x01, 0x01};
static const uint8_t APP1[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x41, 0x00, 0x01};
static const uint8_t APP2[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x41, 0x00, 0x02};
static const uint8_t NOPRIV[3] = {0, 0, 0};

/* What one run does after opening the channel: NCMD plain commands (the last one is
 * the command under test; an earlier one only prepares it). */
typedef struct top {
    uint8_t cmd[2][300];
    size_t n[2];
    int ncmd;
    int wrong; /* open with a wrong host cryptogram instead (extra state) */
} top;

static int xmit(cos_card *c, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rn)
{
    int rc = cos_transmit(c, 0, cmd, n, rsp, 300, rn);
    return rc < 0 ? rc : cos_rsp_sw(rsp, *rn);
}

static int op(cos_card *c, void *arg)
{
    top *t = arg;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    host_gp_session s;
    uint8_t sel[16] = {0x00, 0xA4, 0x04, 0x00, 0x08}, cmd[300], rsp[300];
    uint8_t hc[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    size_t n, rn;
    int sw;

    memcpy(sel + 5, GT_ISD, 8);
    if ((sw = xmit(c, sel, 14, rsp, &rn)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    host_gp_session_init(&s, HOST_GP_SCP03, 0x60, &k, GT_ISD, 8);
    host_gp_init_update(&s, hc, cmd, sizeof cmd, &n);
    if ((sw = xmit(c, cmd, n, rsp, &rn)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    if (host_gp_open(&s, rsp, rn, 0x01, cmd, sizeof cmd, &n) != 0)
        return COS_ERR_APPLET;
    if (t->wrong)
        cmd[5] ^= 0x01;
    sw = xmit(c, cmd, n, rsp, &rn);
    if (sw < 0)
        return sw;
    if (t->wrong)
        return sw == 0x6300 ? 0 : COS_ERR_APPLET;
    if (sw != 0x9000 || host_gp_confirm(&s, rsp, rn) != 0)
        return COS_ERR_APPLET;
    for (int i = 0; i < t->ncmd; i++) {
        if (host_gp_wrap(&s, t->cmd[i], t->n[i], cmd, sizeof cmd, &n) != 0)
            return COS_ERR_APPLET;
        sw = xmit(c, cmd, n, rsp, &rn);
        if (sw != 0x9000)
            return sw < 0 ? sw : COS_ERR_APPLET;
    }
    return 0;
}

static uint8_t *image_of(gcard *g)
{
    uint8_t *img = malloc(GT_NVM);
    cos_power_off(&g->card);
    memcpy(img, g->host.nvm, GT_NVM);
    return img;
}

/* A card with the transit load file loaded (and APP1 installed when WITH_APP). */
static uint8_t *prepared(int with_app)
{
    static const uint8_t city[8] = {0x31, 0, 0, 0, 0, 0, 0, 7};
    static const uint8_t recs[32] = {1, 2, 3};
    static const gt_file files[2] = {
        {0x0015, 0x15, 0x01, 30, 0, 0, 0x00, 0xFF, city, 8},
        {0x0018, 0x18, 0x06, 0, 16, 10, 0x00, 0xFF, recs, 32},
    };
    gt_module m = {MOD_AID, 9, GT_APP_CLASS, 0x1001, NULL, 0, NULL, 0, files, 2};
    uint8_t olf[512];
    size_t n = gt_olf(ELF_AID, 8, 0x0100, &m, 1, olf);
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    gp_isd_config c;
    gcard *g = malloc(sizeof *g);
    uint8_t *img;

    memset(&c, 0, sizeof c);
    c.scp03 = 1;
    c.scp03_i = 0x60;
    gt_blank(g, &c);
    cr_assert_eq(gt_open(g, GT_ISD, 8, HOST_GP_SCP03, 0x60, &k, 0x01), 0x9000);
    cr_assert_eq(gt_load(g, olf, n, ELF_AID, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    if (with_app)
        cr_assert_eq(gt_install(g, ELF_AID, 8, MOD_AID, 9, APP1, 9, NOPRIV, NULL, 0, 1), 0x9000);
    img = image_of(g);
    cos_host_close(&g->host);
    free(g);
    return img;
}

static void digest_of(const uint8_t *img, top *t, uint8_t out[32])
{
    cos_tear_spec s = {img, GT_NVM, GT_PAGE, gt_classes, gt_nclasses, GT_SEED, COS_IF_CONTACTLESS,
                       op,  t,      NULL,    NULL,       0,           NULL,    0};
    cr_assert_eq(cos_tear_digest_after(&s, out), 0);
}

static void check(const char *name, const uint8_t *img, top *t)
{
    uint8_t extra[3][32];
    top wrong = {.wrong = 1}, part = *t;
    size_t nextra = 2;

    digest_of(img, &wrong, extra[0]);
    part.ncmd = 0; /* the channel open, nothing else */
    digest_of(img, &part, extra[1]);
    if (t->ncmd == 2) {
        part.ncmd = 1; /* the preparing command done */
        digest_of(img, &part, extra[nextra++]);
    }
    cos_tear_spec s = {img, GT_NVM, GT_PAGE, gt_classes, gt_nclasses, GT_SEED, COS_IF_CONTACTLESS,
                       op,  t,      NULL,    extra,      nextra,      NULL,    0};
    cos_tear_result r;
    int rc = cos_tear_run(&s, &r);
    cr_assert_eq(rc, 0, "%s: %s", name, r.msg);
    cr_assert_eq(r.runs, r.as_before + r.as_after + r.as_extra);
    cr_assert_gt(r.as_extra, 0, "%s: some cut falls between opening and command", name);
    cr_log_info("%s: %u writes, %u torn runs (%u before, %u after, %u extra)", name, r.writes,
                r.runs, r.as_before, r.as_after, r.as_extra);
}

/* The plain INSTALL [for install and make selectable] of APP. */
static size_t install_cmd(const uint8_t *elf, size_t elf_len, const uint8_t *mod, size_t mod_len,
                          const uint8_t *app, size_t app_len, const uint8_t priv[3],
                          const uint8_t *c9, size_t c9_len, uint8_t *out)
{
    uint8_t par[64] = {0xC9, (uint8_t)c9_len};
    host_gp_install in = {0};
    size_t n;

    memcpy(par + 2, c9, c9_len);
    in.p1 = 0x0C;
    in.elf_aid = elf;
    in.elf_aid_len = elf_len;
    in.module_aid = mod;
    in.module_aid_len = mod_len;
    in.app_aid = app;
    in.app_aid_len = app_len;
    in.privileges = priv;
    in.privileges_len = 3;
    in.params = par;
    in.params_len = 2 + c9_len;
    cr_assert_eq(host_gp_install_cmd(&in, out, 300, &n), 0);
    return n;
}

Test(tear, install_application)
{
    uint8_t *img = prepared(1);
    top t = {.ncmd = 1};
    t.n[0] = install_cmd(ELF_AID, 8, MOD_AID, 9, APP2, 9, NOPRIV, (const uint8_t *)"\x81\x01\x02",
                         3, t.cmd[0]);
    check("INSTALL application", img, &t);
    free(img);
}

Test(tear, install_security_domain)
{
    uint8_t *img = prepared(0);
    const uint8_t priv[3] = {0x80, 0x40, 0x00};
    top t = {.ncmd = 1};
    t.n[0] = install_cmd(gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_TRANSIT_SD, 9, priv,
                         (const uint8_t *)"\x81\x01\x70", 3, t.cmd[0]);
    check("INSTALL security domain", img, &t);
    free(img);
}

Test(tear, delete_load_file_and_instances)
{
    uint8_t *img = prepared(1);
    top t = {.ncmd = 1};
    cr_assert_eq(host_gp_delete_cmd(ELF_AID, 8, 1, t.cmd[0], sizeof t.cmd[0], &t.n[0]), 0);
    check("DELETE load file with instances", img, &t);
    free(img);
}

Test(tear, put_key)
{
    uint8_t *img = prepared(0), keys[48];
    host_gp_session s;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    top t = {.ncmd = 1};

    /* PUT KEY needs the session's DEK; for SCP03 that is the static DEK, so any open
     * session state builds the same command. */
    memset(keys, 0x5A, sizeof keys);
    host_gp_session_init(&s, HOST_GP_SCP03, 0x60, &k, GT_ISD, 8);
    s.state = HOST_GP_OPEN;
    cr_assert_eq(
        host_gp_put_key_cmd(&s, 0xFF, 0x30, 1, keys, 3, 16, t.cmd[0], sizeof t.cmd[0], &t.n[0]), 0);
    check("PUT KEY replacing the initial set", img, &t);
    free(img);
}

Test(tear, load)
{
    gt_module m = {MOD_AID, 9, GT_APP_CLASS, 0, NULL, 0, NULL, 0, NULL, 0};
    uint8_t elf[8], olf[128];
    uint8_t *img = prepared(0);
    host_gp_install in = {0};
    top t = {.ncmd = 2};
    size_t n;

    /* INSTALL [for load] of a second load file (the preparing command), then the whole
     * file in one LOAD block (the command under test). */
    memcpy(elf, ELF_AID, 8);
    elf[7] = 0x02;
    n = gt_olf(elf, 8, 1, &m, 1, olf);
    in.p1 = 0x02;
    in.elf_aid = elf;
    in.elf_aid_len = 8;
    cr_assert_eq(host_gp_install_cmd(&in, t.cmd[0], sizeof t.cmd[0], &t.n[0]), 0);
    t.cmd[1][0] = 0x80;
    t.cmd[1][1] = 0xE8;
    t.cmd[1][2] = 0x80;
    t.cmd[1][3] = 0x00;
    t.cmd[1][4] = (uint8_t)(n + 2);
    t.cmd[1][5] = 0xC4;
    t.cmd[1][6] = (uint8_t)n;
    memcpy(t.cmd[1] + 7, olf, n);
    t.cmd[1][7 + n] = 0x00;
    t.n[1] = 8 + n;
    check("LOAD", img, &t);
    free(img);
}
