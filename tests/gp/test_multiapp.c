/*
 * obol GlobalPlatform tests: a blank card personalized end to end through secure
 * channels into the multi-application card (PBOC purse, transit, social security),
 * then used through APDUs only; an over-the-air install of a new city's transit
 * application by the transit operator; isolation and replay.
 *
 * The card leaves the factory with the product ROM table and an ISD with its initial
 * key set (KVN FF, the TEST key), created without Global Delete and Global Lock: the
 * issuer does not keep the power to remove or lock the operators' applications. The
 * off-card side is hostsim's GlobalPlatform client (host_gp.h) over SCP03 with C-DEC
 * and R-MAC (the issuer with R-ENC too); every secret (SD key sets, the applications'
 * keys, the PINs) travels in STORE DATA blocks encrypted under the DEK, which the
 * security domain decrypts before forwarding them to the application (DGIs:
 * docs/personalization.md). The applications' keys are dispersed by the host from the
 * TEST master keys of profiles/test-keys*.profile, so the PSAM profiles of profiles/
 * and tests/apps serve the terminals, and the host checks every TAC with OpenSSL.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "apps_test.h"
#include "gp_test.h"
#include "obol/cos_crypto.h"
#include "obol/cos_tear.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "ssc/ssc.h"
#include "transit/transit.h"

/* ---- the card and its parties ---------------------------------------------------------- */

static const uint8_t SERIAL[8] = {0, 0, 0, 0, 0, 0, 0x03, 0x01};
static const uint8_t BANK[8] = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0};   /* purse issuer */
static const uint8_t CITY1[8] = {0x29, 0x00, 0, 0, 0, 0, 0, 0};        /* transit city */
static const uint8_t CITY2[8] = {0x31, 0x00, 0, 0, 0, 0, 0, 0};        /* the OTA city */
static const uint8_t BUREAU[8] = {0x31, 0x00, 0x00, 0x01, 0, 0, 0, 0}; /* social security */

/* Load files (docs/load-file.md) naming the ROM classes, and the applications. */
static const uint8_t PURSE_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x50, 0x01};
static const uint8_t PURSE_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x50, 0x01, 0x01};
static const uint8_t TRANSIT_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x54, 0x01};
static const uint8_t TRANSIT_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x54, 0x01, 0x01};
static const uint8_t SSC_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x53, 0x01};
static const uint8_t SSC_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x53, 0x01, 0x01};
static const uint8_t CITY2_ELF[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x54, 0x02};
static const uint8_t CITY2_MOD[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x4C, 0x54, 0x02, 0x01};
static const uint8_t CITY2_APP[8] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x06};

static const uint8_t NOPRIV[3] = {0, 0, 0};
static const uint8_t SSD_PRIV[3] = {0x80, 0x40, 0x00}; /* SD, Authorized Management */

/* TEST keys of the security domains: the issuer's, the operators' activation sets (set
 * by the issuer) and management sets (put by the operators themselves). */
static const uint8_t ISD_KEY[16] = {0x49, 0x53, 0x44, 0x4B, 0x49, 0x53, 0x44, 0x4B,
                                    0x49, 0x53, 0x44, 0x4B, 0x49, 0x53, 0x44, 0x4B};
static const uint8_t T_ACT[16] = {0x54, 0x41, 0x43, 0x54, 0x54, 0x41, 0x43, 0x54,
                                  0x54, 0x41, 0x43, 0x54, 0x54, 0x41, 0x43, 0x54};
static const uint8_t T_MGT[16] = {0x54, 0x4D, 0x47, 0x54, 0x54, 0x4D, 0x47, 0x54,
                                  0x54, 0x4D, 0x47, 0x54, 0x54, 0x4D, 0x47, 0x54};
static const uint8_t S_ACT[16] = {0x53, 0x41, 0x43, 0x54, 0x53, 0x41, 0x43, 0x54,
                                  0x53, 0x41, 0x43, 0x54, 0x53, 0x41, 0x43, 0x54};
static const uint8_t S_MGT[16] = {0x53, 0x4D, 0x47, 0x54, 0x53, 0x4D, 0x47, 0x54,
                                  0x53, 0x4D, 0x47, 0x54, 0x53, 0x4D, 0x47, 0x54};
/* TEST-MPK-02 of profiles/test-keys.profile (purchase index 2, one level). */
static const uint8_t MPK02[16] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                  0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};

#define LVL_ISD 0x33 /* C-MAC, C-DEC, R-MAC, R-ENC */
#define LVL_OP  0x13 /* C-MAC, C-DEC, R-MAC */

/* ---- a TSM script: plain APDUs, wrapped in whatever session runs them ------------------ */

/* A script of plain APDUs, or a tape: the raw exchange of one session (SELECT to the
 * last command, as wrapped), for replay. */
typedef struct script {
    uint8_t cmd[24][280];
    size_t len[24];
    size_t n;
} script, tape;

static void add(script *s, const uint8_t *c, size_t n)
{
    cr_assert_lt(s->n, 24);
    memcpy(s->cmd[s->n], c, n);
    s->len[s->n++] = n;
}

/* STORE DATA of DGI-format DATA as block BLOCK (last when LAST); ENC: encrypted under
 * the SD's static DEK (SCP03: AES-CBC, zero ICV, Amendment D 7.2), P1 b7-b6 = 11. */
static void add_store(script *s, const uint8_t dek[16], int enc, int last, uint8_t block,
                      const uint8_t *data, size_t n)
{
    uint8_t buf[256], cmd[300], p1 = (uint8_t)(HOST_GP_STORE_DGI | (last ? 0x80 : 0));
    size_t m = n, len;

    memcpy(buf, data, n);
    if (enc) {
        m = (n / 16 + 1) * 16;
        buf[n] = 0x80;
        memset(buf + n + 1, 0, m - n - 1);
        cr_assert_eq(host_aes_cbc(dek, 16, 1, NULL, buf, buf, m), 0);
        p1 |= HOST_GP_STORE_ENCRYPTED;
    }
    cr_assert_eq(host_gp_store_data_cmd(p1, block, buf, m, cmd, sizeof cmd, &len), 0);
    add(s, cmd, len);
}

static void add_perso(script *s, const uint8_t *app, size_t n)
{
    uint8_t cmd[64];
    host_gp_install in;
    size_t len;

    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_PERSO;
    in.app_aid = app;
    in.app_aid_len = n;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &len), 0);
    add(s, cmd, len);
}

static void tape_put(tape *t, const uint8_t *c, size_t n)
{
    if (t)
        add(t, c, n);
}

/* Sends the plain command CMD through the open session, recording the wrapped bytes
 * on T (may be NULL). Returns the status word (the plain answer in g->rsp). */
static uint16_t sc(gcard *g, const uint8_t *cmd, size_t n, tape *t)
{
    uint8_t w[300], raw[600], out[600];
    size_t m = gt_wrap(g, cmd, n, w), got = 0, on = 0;

    tape_put(t, w, m);
    cr_assert_eq(cos_transmit(&g->card, 1, w, m, raw, sizeof raw, &got), 0);
    cr_assert_eq(host_gp_unwrap(&g->s, raw, got, out, sizeof out, &on), 0);
    memcpy(g->rsp, out, on);
    g->rlen = on - 2;
    g->sw = cos_rsp_sw(out, on);
    return g->sw;
}

/* Runs S in the open session; returns the first status word other than 9000 (with its
 * command's index in *AT), or 9000. */
static uint16_t run(gcard *g, const script *s, tape *t, size_t *at)
{
    for (size_t i = 0; i < s->n; i++) {
        if (sc(g, s->cmd[i], s->len[i], t) != 0x9000) {
            if (at)
                *at = i;
            return g->sw;
        }
    }
    return 0x9000;
}

/* Opens SCP03 (i=70) to the SD with KEY (three times the same 16 bytes) of KVN at LEVEL,
 * recording the raw commands on T. Asserts 9000. */
static void open_sd(gcard *g, const uint8_t *sd, size_t sdlen, const uint8_t key[16], uint8_t kvn,
                    uint8_t level, tape *t)
{
    host_gp_keys k = gt_keys(key, kvn);
    uint8_t cmd[64], hc[8];
    size_t n;

    memcpy(cmd, "\x00\xA4\x04\x00", 4);
    cmd[4] = (uint8_t)sdlen;
    memcpy(cmd + 5, sd, sdlen);
    cmd[5 + sdlen] = 0x00;
    tape_put(t, cmd, 6 + sdlen);
    cr_assert_eq(gt_tx(g, cmd, 6 + sdlen), 0x9000);
    cr_assert_eq(host_gp_session_init(&g->s, HOST_GP_SCP03, 0x70, &k, sd, sdlen), 0);
    for (int j = 0; j < 8; j++)
        hc[j] = (uint8_t)(g->hc * 29 + j);
    g->hc++;
    cr_assert_eq(host_gp_init_update(&g->s, hc, cmd, sizeof cmd, &n), 0);
    tape_put(t, cmd, n);
    cr_assert_eq(gt_tx(g, cmd, n), 0x9000);
    cr_assert_eq(host_gp_open(&g->s, g->rsp, g->rlen + 2, level, cmd, sizeof cmd, &n), 0);
    tape_put(t, cmd, n);
    cr_assert_eq(gt_tx(g, cmd, n), 0x9000);
    cr_assert_eq(host_gp_confirm(&g->s, g->rsp, g->rlen + 2), 0);
}

/* ---- personalization data (DGIs, docs/personalization.md) ------------------------------ */

typedef struct blk {
    uint8_t b[224];
    size_t n;
} blk;

static void dgi(blk *k, uint16_t tag, const uint8_t *v, size_t n)
{
    cr_assert_lt(n, 0xFF);
    cr_assert_leq(k->n + 3 + n, sizeof k->b);
    k->b[k->n++] = (uint8_t)(tag >> 8);
    k->b[k->n++] = (uint8_t)tag;
    k->b[k->n++] = (uint8_t)n;
    memcpy(k->b + k->n, v, n);
    k->n += n;
}

static void dgi_hex(blk *k, uint16_t tag, const char *hex)
{
    uint8_t v[128];
    dgi(k, tag, v, at_unhex(hex, v, sizeof v));
}

/* A purse key DGI (8010/8011/8012): index, version, KEY, its KCV. */
static void dgi_key(blk *k, uint16_t tag, uint8_t idx, uint8_t ver, const uint8_t key[16])
{
    uint8_t v[21];
    v[0] = idx;
    v[1] = ver;
    memcpy(v + 2, key, 16);
    cr_assert_eq(host_kcv_des(key, 16, v + 18), 0);
    dgi(k, tag, v, sizeof v);
    host_wipe(v, sizeof v);
}

/* A role key DGI (8020): number, version, tries, KEY, KCV. */
static void dgi_role(blk *k, uint8_t num, uint8_t tries, const uint8_t key[16])
{
    uint8_t v[22];
    v[0] = num;
    v[1] = 1;
    v[2] = tries;
    memcpy(v + 3, key, 16);
    cr_assert_eq(host_kcv_des(key, 16, v + 19), 0);
    dgi(k, SSC_DGI_ROLE_KEY, v, sizeof v);
    host_wipe(v, sizeof v);
}

/* EF 0015 of the PBOC layout: issuer (8) type (1) version (1) application serial (10)
 * start (4) expiry (4), then 2 bytes (transit: card type, discount). */
static void public_data(blk *k, const uint8_t issuer[8], uint8_t type, uint8_t b28, uint8_t b29)
{
    uint8_t v[30];
    memcpy(v, issuer, 8);
    v[8] = type;
    v[9] = 0x01;
    v[10] = 0; /* application serial: 0000 || card serial */
    v[11] = 0;
    memcpy(v + 12, SERIAL, 8);
    at_unhex("20260101 20361231", v + 20, 8);
    v[28] = b28;
    v[29] = b29;
    dgi(k, PBOC_PUBLIC_FID, v, sizeof v);
}

/* Div(MK, serial) or Div(Div(MK, issuer), serial): what the host stores for the card. */
static void disperse(const uint8_t mk[16], const uint8_t *issuer, uint8_t out[16])
{
    if (issuer)
        cr_assert_eq(host_pboc_diversify2(mk, issuer, SERIAL, out), 0);
    else
        cr_assert_eq(host_pboc_diversify(mk, SERIAL, out), 0);
}

/* The transit application's personalization (first city or the OTA one): EF 0015 and
 * EF 0016 in a clear block, optional initial balance, then the keys dispersed from the
 * transit operator's TEST masters in an encrypted last block. */
static void transit_script(script *s, const uint8_t *app, size_t applen, const uint8_t city[8],
                           uint8_t card_type, uint8_t discount, uint32_t balance)
{
    uint8_t k[16];
    blk b = {{0}, 0};

    add_perso(s, app, applen);
    public_data(&b, city, TRANSIT_APP_TYPE, card_type, discount);
    dgi_hex(&b, 0x0016,
            "5A48414E472053414E0000000000000000000000 00 313130313031313938303031303130303158 "
            "20260101 20301231 2900 00000001 000000");
    if (balance) {
        uint8_t p[6] = {PBOC_TAG_EP_BALANCE, 4};
        at_put32(p + 2, balance);
        dgi(&b, PBOC_DGI_PURSE, p, sizeof p);
    }
    add_store(s, T_MGT, 0, 0, 0, b.b, b.n);
    b.n = 0;
    disperse(at_transit_mpk, city, k);
    dgi_key(&b, PBOC_DGI_PURCHASE_KEY, 1, 1, k);
    disperse(at_transit_mlk, NULL, k);
    dgi_key(&b, PBOC_DGI_LOAD_KEY, 1, 1, k);
    disperse(at_transit_mtk, NULL, k);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 1, 1, k);
    add_store(s, T_MGT, 1, 1, 1, b.b, b.n);
    host_wipe(k, sizeof k);
    host_wipe(&b, sizeof b);
}

/* ---- building the card ----------------------------------------------------------------- */

/* Raw tape of the transit operator's personalization session (the replay test). */
static tape transit_tape;

/* A blank card: the product ROM table, an ISD from CFG, NVM bytes of NVM. */
static void blank(gcard *g, const gp_isd_config *cfg, uint32_t nvm)
{
    cos_format_params fp = {2048, 0, NULL, 0};
    cos_card_config cc;
    uint8_t atr[40];
    size_t n;

    memset(g, 0, sizeof *g);
    cr_assert_eq(cos_host_open_mem(&g->host, nvm, GT_PAGE, GT_SEED), 0);
    cos_host_config(&g->host, obol_rom_classes, obol_rom_nclasses, &cc);
    cr_assert_eq(cos_card_attach(&g->card, &cc), 0);
    cr_assert_eq(cos_format(&g->card, &fp), 0);
    cr_assert_eq(cos_power_on(&g->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(gp_isd_create(&g->card, cfg, NULL), 0);
    g->hc = 1;
}

/* Load file with one module of CLASS (ADF FID), install parameters PARAMS, FILES. */
static size_t olf(uint8_t *out, const uint8_t elf[8], const uint8_t mod[9], uint16_t cls,
                  uint16_t fid, const char *params, const gt_file *files, size_t nfiles)
{
    static uint8_t par[96];
    gt_module m = {mod, 9, cls, fid, NULL, 0, par, 0, files, nfiles};
    m.params_len = at_unhex(params, par, sizeof par);
    return gt_olf(elf, 8, 0x0100, &m, 1, out);
}

static void issuer_and_domains(gcard *g)
{
    uint8_t d8[80], c9[3] = {0x81, 0x01, 0x70};
    size_t n;

    /* The issuer replaces the factory keys and creates the operators' domains, giving
     * each its activation key set (encrypted STORE DATA, the SD's own personalization). */
    open_sd(g, GT_ISD, 8, GT_TEST_KEY, 0xFF, LVL_ISD, NULL);
    cr_assert_eq(gt_put_keyset(g, 0xFF, 0x01, ISD_KEY), 0x9000);
    cr_assert_eq(gt_sch(g, "80F08007"), 0x9000); /* INITIALIZED */
    open_sd(g, GT_ISD, 8, ISD_KEY, 0x01, LVL_ISD, NULL);
    cr_assert_eq(
        gt_install(g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_TRANSIT_SD, 9, SSD_PRIV, c9, 3, 1),
        0x9000);
    cr_assert_eq(gt_perso(g, GT_TRANSIT_SD, 9), 0x9000);
    n = gt_d8(0x30, T_ACT, 1, d8);
    cr_assert_eq(gt_store_enc(g, 0x90, 0, d8, n), 0x9000);
    cr_assert_eq(
        gt_install(g, gp_rom_elf_aid, 7, gp_sd_module_aid, 8, GT_SOCIAL_SD, 9, SSD_PRIV, c9, 3, 1),
        0x9000);
    cr_assert_eq(gt_perso(g, GT_SOCIAL_SD, 9), 0x9000);
    n = gt_d8(0x30, S_ACT, 1, d8);
    cr_assert_eq(gt_store_enc(g, 0x90, 0, d8, n), 0x9000);
    /* Each operator takes its domain over: the issuer never sees the management keys. */
    open_sd(g, GT_TRANSIT_SD, 9, T_ACT, 0x30, LVL_OP, NULL);
    cr_assert_eq(gt_put_keyset(g, 0x30, 0x31, T_MGT), 0x9000);
    open_sd(g, GT_SOCIAL_SD, 9, S_ACT, 0x30, LVL_OP, NULL);
    cr_assert_eq(gt_put_keyset(g, 0x30, 0x31, S_MGT), 0x9000);
}

/* The bank's purse, the issuer's own application. */
static void purse(gcard *g)
{
    static const uint8_t zero[96];
    gt_file capp = {0x0017, 0x17, 0x02, 0, 48, 2, 0x00, 0xFF, zero, 96};
    uint8_t file[512], k[16];
    script s = {.n = 0};
    blk b = {{0}, 0};
    size_t n;

    /* ED + EP, CAPP cache 48, log 10, ED PIN reference 1 (pboc.h install parameters). */
    n = olf(file, PURSE_ELF, PURSE_MOD, OBOL_CLASS_PBOC, 0x1001, "0101 03 0801 30 0901 0A 0701 01",
            &capp, 1);
    open_sd(g, GT_ISD, 8, ISD_KEY, 0x01, LVL_ISD, NULL);
    cr_assert_eq(gt_load(g, file, n, PURSE_ELF, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(gt_install(g, PURSE_ELF, 8, PURSE_MOD, 9, at_pboc_aid, 9, NOPRIV, NULL, 0, 1),
                 0x9000);
    add_perso(&s, at_pboc_aid, 9);
    public_data(&b, BANK, 0x03, 0x00, 0x00);
    dgi_hex(&b, PBOC_DGI_PURSE, "03 04 05F5E100  04 01 03  06 04 00001388"); /* EP 50.00 */
    add_store(&s, ISD_KEY, 0, 0, 0, b.b, b.n);
    b.n = 0;
    disperse(at_pboc_mpk01, BANK, k);
    dgi_key(&b, PBOC_DGI_PURCHASE_KEY, 1, 1, k);
    disperse(MPK02, NULL, k);
    dgi_key(&b, PBOC_DGI_PURCHASE_KEY, 2, 2, k);
    disperse(at_pboc_mlk01, NULL, k);
    dgi_key(&b, PBOC_DGI_LOAD_KEY, 1, 1, k);
    disperse(at_pboc_mtk01, NULL, k);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 1, 1, k);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 2, 2, k);
    add_store(&s, ISD_KEY, 1, 0, 1, b.b, b.n);
    b.n = 0;
    dgi_hex(&b, PBOC_DGI_PIN, "03 123456");
    add_store(&s, ISD_KEY, 1, 1, 2, b.b, b.n);
    cr_assert_eq(run(g, &s, NULL, NULL), 0x9000);
    host_wipe(k, sizeof k);
}

/* The transit operator's application for its first city. */
static void transit(gcard *g)
{
    uint8_t file[512];
    script s = {.n = 0};
    size_t n;

    /* Three operators (metro, bus, the neighbouring metro), 48-byte records, balance
     * up to 1000.00, 3 MAC failures, 10 log records (transit.h, pboc.h). */
    n = olf(file, TRANSIT_ELF, TRANSIT_MOD, OBOL_CLASS_TRANSIT, 0x1002,
            "4003 010203 4101 30 0304 000186A0 0401 03 0901 0A", NULL, 0);
    open_sd(g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, NULL);
    cr_assert_eq(gt_load(g, file, n, TRANSIT_ELF, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(
        gt_install(g, TRANSIT_ELF, 8, TRANSIT_MOD, 9, at_transit_aid, 8, NOPRIV, NULL, 0, 1),
        0x9000);
    /* Personalization in a session of its own, taped for the replay test. */
    transit_script(&s, at_transit_aid, 8, CITY1, TRANSIT_CARD_ORDINARY, 100, 0);
    transit_tape.n = 0;
    open_sd(g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, &transit_tape);
    cr_assert_eq(run(g, &s, &transit_tape, NULL), 0x9000);
}

/* The social security bureau's application. */
static void social(gcard *g)
{
    uint8_t file[512], k[16];
    script s = {.n = 0};
    blk b = {{0}, 0};
    size_t n;

    n = olf(file, SSC_ELF, SSC_MOD, OBOL_CLASS_SSC, 0x1003,
            "4001 0A 4101 0A 4201 01 0304 000F4240 0401 03 0901 0A", NULL, 0);
    open_sd(g, GT_SOCIAL_SD, 9, S_MGT, 0x31, LVL_OP, NULL);
    cr_assert_eq(gt_load(g, file, n, SSC_ELF, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(gt_install(g, SSC_ELF, 8, SSC_MOD, 9, at_ssc_aid, 9, NOPRIV, NULL, 0, 1), 0x9000);
    add_perso(&s, at_ssc_aid, 9);
    public_data(&b, BUREAU, 0x05, 0x00, 0x00);
    dgi_hex(&b, 0x0005,
            "5A48414E472053414E000000000000000000000000000000000000000000 01 01 19800101 "
            "313130313031313938303031303130303158 313130313031 00000000");
    dgi_hex(&b, 0x0006, "01 01 110100 20260101 20361231 50 000186A0 0000");
    add_store(&s, S_MGT, 0, 0, 0, b.b, b.n);
    b.n = 0;
    disperse(at_ssc_hosp_role, NULL, k);
    dgi_role(&b, SSC_KID_HOSPITAL, 5, k);
    disperse(at_ssc_pharm_role, NULL, k);
    dgi_role(&b, SSC_KID_PHARMACY, 5, k);
    disperse(at_ssc_hosp_mpk, NULL, k);
    dgi_key(&b, PBOC_DGI_PURCHASE_KEY, 1, 1, k);
    disperse(at_ssc_pharm_mpk, NULL, k);
    dgi_key(&b, PBOC_DGI_PURCHASE_KEY, 2, 2, k);
    add_store(&s, S_MGT, 1, 0, 1, b.b, b.n);
    b.n = 0;
    disperse(at_ssc_mtk, NULL, k);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 1, 1, k);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 2, 2, k);
    disperse(at_ssc_mlk, NULL, k);
    dgi_key(&b, PBOC_DGI_LOAD_KEY, 1, 1, k);
    dgi_hex(&b, PBOC_DGI_PIN, "03 123456");
    add_store(&s, S_MGT, 1, 1, 2, b.b, b.n);
    cr_assert_eq(run(g, &s, NULL, NULL), 0x9000);
    host_wipe(k, sizeof k);
}

/* The whole issuance: blank card to secured multi-application card. */
static void issue(gcard *g)
{
    gp_isd_config c;

    /* Security Domain, Card Lock, Card Terminate, Card Reset, CVM; Authorized
     * Management, Token, Global Registry: no Global Delete, no Global Lock. */
    memset(&c, 0, sizeof c);
    c.priv[0] = 0x9E;
    c.priv[1] = GP_PRIV2_AUTHORIZED | GP_PRIV2_TOKEN | GP_PRIV2_GLOBAL_REGISTRY;
    blank(g, &c, 65536);
    issuer_and_domains(g);
    purse(g);
    transit(g);
    social(g);
    open_sd(g, GT_ISD, 8, ISD_KEY, 0x01, LVL_ISD, NULL);
    cr_assert_eq(gt_sch(g, "80F0800F"), 0x9000); /* SECURED */
    cr_assert_eq(gt_sch(g, "80F28002 02 4F00 00"), 0x9000);
    cr_assert_eq(g->rsp[15], GP_CARD_SECURED);
}

/* ---- using the card: APDUs only ------------------------------------------------------- */

static uint32_t balance(gcard *g)
{
    cr_assert_eq(gt_txh(g, "805C000204"), 0x9000);
    cr_assert_eq(g->rlen, 4);
    return at_be32(g->rsp);
}

static at_purchase purchase(uint8_t kid, uint32_t amount, const uint8_t *mpk, const uint8_t *mtk,
                            int two_level, const char *time)
{
    at_purchase p;

    memset(&p, 0, sizeof p);
    p.kid = kid;
    p.amount = amount;
    at_unhex("20261122", p.date, 4);
    at_unhex(time, p.time, 3);
    p.mpk = mpk;
    p.mtk = mtk;
    p.two_level = two_level;
    return p;
}

/* One composite purchase of AMOUNT caching REC as operator 01's record (P2 names it
 * by identifier) with the transit PSAM; the host verifies MAC1, MAC2 and the TAC. */
static void trip_step(gcard *g, at_card *psam, uint32_t amount, const uint8_t *rec,
                      const char *time)
{
    at_purchase p = purchase(1, amount, at_transit_mpk, at_transit_mtk, 1, time);

    p.capp = 1;
    p.rec = rec;
    p.reclen = 48;
    p.rec_p1 = 0x01;
    p.rec_p2 = TRANSIT_CAPP_SFI << 3;
    cr_assert_eq(at_purchase_run(&g->card, &psam->card, &p), 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified, "the host verifies MAC1, MAC2 and the TAC");
}

/* An entry then an exit on operator 01 of the transit application selected on G, with
 * the transit PSAM; the fare is FULL times the card's discount. Returns the fare. */
static uint32_t trip(gcard *g, at_card *psam, uint32_t full)
{
    uint8_t pub[30], rec[48], tid[6];
    size_t n = 0;

    cr_assert_eq(gt_txh(g, "00B095001E"), 0x9000);
    memcpy(pub, g->rsp, 30);
    cr_assert_eq(at_xselect(&psam->card, at_psam_aid, sizeof at_psam_aid), 0x9000);
    cr_assert_eq(at_xtxh(&psam->card, "00B0960006", tid, &n), 0x9000);
    memset(rec, 0, sizeof rec);
    rec[TRANSIT_REC_ID] = 0x01;
    rec[TRANSIT_REC_STATE] = TRANSIT_TRIP_ENTERED;
    memcpy(rec + TRANSIT_REC_ENTRY_CITY, pub, 2);
    at_unhex("00000101", rec + TRANSIT_REC_ENTRY_STN, 4);
    memcpy(rec + TRANSIT_REC_ENTRY_TID, tid, 6);
    at_unhex("20261122083000", rec + TRANSIT_REC_ENTRY_TIME, 7);
    rec[TRANSIT_REC_CARD_TYPE] = pub[TRANSIT_PUB_CARD_TYPE];
    trip_step(g, psam, 0, rec, "083000");
    uint32_t fare = full * pub[TRANSIT_PUB_DISCOUNT] / 100u;
    rec[TRANSIT_REC_STATE] = TRANSIT_TRIP_EXITED;
    at_unhex("00000207", rec + TRANSIT_REC_EXIT_STN, 4);
    memcpy(rec + TRANSIT_REC_EXIT_TID, tid, 6);
    at_unhex("20261122091500", rec + TRANSIT_REC_EXIT_TIME, 7);
    at_put32(rec + TRANSIT_REC_FARE, fare);
    at_put32(rec + TRANSIT_REC_FULL_FARE, full);
    trip_step(g, psam, fare, rec, "091500");
    cr_assert_eq(gt_txh(g, "00B201D000"), 0x9000); /* the record by identifier */
    cr_assert_eq(g->rsp[TRANSIT_REC_STATE], TRANSIT_TRIP_EXITED);
    cr_assert_eq(at_be32(g->rsp + TRANSIT_REC_FARE), fare);
    return fare;
}

/* (a) Issued through secure channels only, then used: a PBOC purchase with the bank's
 * PSAM, a transit trip with the transit PSAM, a social security settlement with a
 * hospital's PSAM; every TAC checked by the host. */
Test(multiapp_perso, blank_card_to_multiapp_card_then_used)
{
    at_card psam, tpsam, hpsam;
    at_purchase p;
    gcard g;

    issue(&g);
    at_open(&psam, "psam", 16384);
    at_open(&tpsam, at_path("psam-transit"), 16384);
    at_open(&hpsam, at_path("psam-hospital"), 16384);

    /* The purse: the initial balance came by DGI 0F10, the ED PIN by DGI 8030. */
    cr_assert_eq(gt_select(&g, at_pboc_aid, 9), 0x9000);
    cr_assert_eq(gt_txh(&g, "00B095001E"), 0x9000);
    cr_assert_arr_eq(g.rsp + 12, SERIAL, 8);
    cr_assert_eq(balance(&g), 5000);
    cr_assert_eq(gt_txh(&g, "805C000104"), 0x6982, "the ED needs the PIN");
    cr_assert_eq(gt_txh(&g, "0020000103 654321"), 0x63C2);
    cr_assert_eq(gt_txh(&g, "0020000103 123456"), 0x9000);
    cr_assert_eq(gt_txh(&g, "805C000104"), 0x9000);
    p = purchase(1, 1234, at_pboc_mpk01, at_pboc_mtk01, 1, "101500");
    cr_assert_eq(at_purchase_run(&g.card, &psam.card, &p), 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified, "the host verifies MAC1, MAC2 and the TAC (two-level key, index 1)");
    cr_assert_eq(p.kver, 1);
    p = purchase(2, 100, MPK02, at_pboc_mtk01, 0, "101600");
    cr_assert_eq(at_purchase_run(&g.card, &psam.card, &p), 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified, "index 2, version 2, one level");
    cr_assert_eq(p.kver, 2);
    cr_assert_eq(at_load_run(&g.card, at_pboc_mlk01, at_pboc_mtk01, 1000, NULL), 0);
    cr_assert_eq(balance(&g), 5000 - 1234 - 100 + 1000);

    /* Transit: funded by a load with the operator's key, then a trip. */
    cr_assert_eq(gt_select(&g, at_transit_aid, 8), 0x9000);
    cr_assert_eq(balance(&g), 0);
    cr_assert_eq(at_load_run(&g.card, at_transit_mlk, at_transit_mtk, 2000, NULL), 0);
    cr_assert_eq(trip(&g, &tpsam, 300), 300);
    cr_assert_eq(balance(&g), 1700);
    cr_assert_eq(gt_txh(&g, "00B0960038"), 0x9000);
    cr_assert_eq(memcmp(g.rsp, "ZHANG SAN", 9), 0, "EF 0016 from DGI 0016");

    /* Social security: the fund tops the account up, a hospital settles a visit with
     * the cardholder's PIN. */
    cr_assert_eq(gt_select(&g, at_ssc_aid, 9), 0x9000);
    cr_assert_eq(at_load_run(&g.card, at_ssc_mlk, at_ssc_mtk, 10000, NULL), 0);
    cr_assert_eq(gt_txh(&g, "00B0850000"), 0x6982, "personal data need the PIN");
    cr_assert_eq(gt_txh(&g, "0020000103 123456"), 0x9000);
    cr_assert_eq(gt_txh(&g, "00B0850000"), 0x9000);
    cr_assert_eq(g.rlen, SSC_PERSONAL_LEN);
    cr_assert_eq(memcmp(g.rsp, "ZHANG SAN", 9), 0);
    cr_assert_eq(at_role_auth(&g.card, 0, SSC_KID_HOSPITAL, at_ssc_hosp_role, 0), 0x9000);
    p = purchase(1, 2500, at_ssc_hosp_mpk, at_ssc_mtk, 0, "140000");
    cr_assert_eq(at_purchase_run(&g.card, &hpsam.card, &p), 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified, "the social insurance host verifies the settlement's TAC");
    cr_assert_eq(balance(&g), 7500);
    /* The pharmacy's role key came too; its try counter is the DGI's. */
    cr_assert_eq(at_role_auth(&g.card, 0, SSC_KID_PHARMACY, at_ssc_pharm_role, 1), 0x63C4);
    cr_assert_eq(at_role_auth(&g.card, 0, SSC_KID_PHARMACY, at_ssc_pharm_role, 0), 0x9000);

    /* The factory keys and the activation keys are gone. */
    host_gp_keys fac = gt_keys(GT_TEST_KEY, 0xFF), act = gt_keys(T_ACT, 0x30);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &fac, 0x01), 0x6A88);
    cr_assert_eq(gt_open(&g, GT_TRANSIT_SD, 9, HOST_GP_SCP03, 0x70, &act, 0x01), 0x6A88);
    at_close(&psam);
    at_close(&tpsam);
    at_close(&hpsam);
    gt_close(&g);
}

/* (b) Over the air: the transit operator's TSM, with its SSD's keys only, loads a new
 * city's load file, installs a second instance of the transit class, personalizes it
 * (a student card, half fare, an initial balance), and a trip works; the first city's
 * application is untouched. */
Test(multiapp_perso, ota_install_of_a_new_city)
{
    uint8_t file[512], rec1[48], log1[23], cmd[300];
    script s = {.n = 0};
    at_card tpsam;
    host_gp_install in;
    gcard g;
    size_t n;

    issue(&g);
    at_open(&tpsam, at_path("psam-transit"), 16384);
    cr_assert_eq(gt_select(&g, at_transit_aid, 8), 0x9000);
    cr_assert_eq(at_load_run(&g.card, at_transit_mlk, at_transit_mtk, 2000, NULL), 0);
    cr_assert_eq(trip(&g, &tpsam, 300), 300);
    cr_assert_eq(gt_txh(&g, "00B201D000"), 0x9000);
    memcpy(rec1, g.rsp, 48);
    cr_assert_eq(gt_txh(&g, "00B201C400"), 0x9000);
    memcpy(log1, g.rsp, 23);

    /* The TSM's script: INSTALL [for load], LOAD, INSTALL [for install and make
     * selectable], then the personalization, all in one session. */
    n = olf(file, CITY2_ELF, CITY2_MOD, OBOL_CLASS_TRANSIT, 0x1012,
            "4002 0102 4101 30 0304 000186A0 0401 03 0901 0A", NULL, 0);
    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_LOAD;
    in.elf_aid = CITY2_ELF;
    in.elf_aid_len = 8;
    size_t m;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &m), 0);
    add(&s, cmd, m);
    size_t blocks = host_gp_load_count(n, 200);
    cr_assert_gt(blocks, 0);
    for (size_t i = 0; i < blocks; i++) {
        cr_assert_eq(host_gp_load_cmd(file, n, 200, i, cmd, sizeof cmd, &m, NULL), 0);
        add(&s, cmd, m);
    }
    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_INSTALL | HOST_GP_INSTALL_SELECTABLE;
    in.elf_aid = CITY2_ELF;
    in.elf_aid_len = 8;
    in.module_aid = CITY2_MOD;
    in.module_aid_len = 9;
    in.app_aid = CITY2_APP;
    in.app_aid_len = 8;
    in.privileges = NOPRIV;
    in.privileges_len = 1;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &m), 0);
    add(&s, cmd, m);
    transit_script(&s, CITY2_APP, 8, CITY2, TRANSIT_CARD_STUDENT, 50, 1500);
    open_sd(&g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, NULL);
    size_t at = 0;
    cr_assert_eq(run(&g, &s, NULL, &at), 0x9000, "OTA command %zu: %04X", at, g.sw);
    /* The operator's registry: both cities, its own load files. */
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x9000);
    int apps = 0;
    for (size_t i = 0; i < g.rlen; i += 2u + g.rsp[i + 1])
        apps++;
    cr_assert_eq(apps, 2);

    /* A trip in the new city: the student pays half of 400. */
    cr_assert_eq(gt_select(&g, CITY2_APP, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "00B095001E"), 0x9000);
    cr_assert_arr_eq(g.rsp, CITY2, 8);
    cr_assert_eq(g.rsp[TRANSIT_PUB_CARD_TYPE], TRANSIT_CARD_STUDENT);
    cr_assert_eq(balance(&g), 1500);
    cr_assert_eq(trip(&g, &tpsam, 400), 200);
    cr_assert_eq(balance(&g), 1300);
    cr_assert_eq(at_load_run(&g.card, at_transit_mlk, at_transit_mtk, 500, NULL), 0);
    cr_assert_eq(balance(&g), 1800);

    /* The first city's application: same balance, record and log. */
    cr_assert_eq(gt_select(&g, at_transit_aid, 8), 0x9000);
    cr_assert_eq(balance(&g), 1700);
    cr_assert_eq(gt_txh(&g, "00B201D000"), 0x9000);
    cr_assert_arr_eq(g.rsp, rec1, 48);
    cr_assert_eq(gt_txh(&g, "00B201C400"), 0x9000);
    cr_assert_arr_eq(g.rsp, log1, 23);
    cr_assert_eq(gt_txh(&g, "00B095001E"), 0x9000);
    cr_assert_arr_eq(g.rsp, CITY1, 8);
    at_close(&tpsam);
    gt_close(&g);
}

/* (c) Isolation: the issuer's domain neither personalizes, deletes nor locks the
 * operator's application, nor deletes the operator's domain with it. Replay: the taped
 * personalization session replayed byte for byte fails at EXTERNAL AUTHENTICATE and
 * its STORE DATA are refused; the same script in a genuine new session of the operator
 * is refused by the application, whose personalization is closed. */
Test(multiapp_perso, isolation_and_replay)
{
    script s = {.n = 0};
    uint8_t cmd[64], raw[300];
    at_card tpsam;
    gcard g;
    size_t n, got;

    issue(&g);
    open_sd(&g, GT_ISD, 8, ISD_KEY, 0x01, LVL_ISD, NULL);
    cr_assert_eq(gt_perso(&g, at_transit_aid, 8), 0x6985);
    cr_assert_eq(gt_perso(&g, at_ssc_aid, 9), 0x6985);
    cr_assert_eq(gt_delete(&g, at_transit_aid, 8, 0), 0x6985);
    cr_assert_eq(gt_delete(&g, TRANSIT_ELF, 8, 1), 0x6985);
    cr_assert_eq(gt_delete(&g, GT_TRANSIT_SD, 9, 1), 0x6985);
    cr_assert_eq(host_gp_set_status_cmd(0x40, 0x80, at_transit_aid, 8, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6985);
    /* Its own application it still manages; the registry it still sees. */
    cr_assert_eq(gt_perso(&g, at_pboc_aid, 9), 0x9000);
    cr_assert_eq(gt_sch(&g, "80F24002 02 4F00 00"), 0x9000);
    /* Nor does one operator reach the other's application. */
    open_sd(&g, GT_SOCIAL_SD, 9, S_MGT, 0x31, LVL_OP, NULL);
    cr_assert_eq(gt_perso(&g, at_transit_aid, 8), 0x6985);
    cr_assert_eq(gt_delete(&g, at_transit_aid, 8, 0), 0x6985);

    /* The raw replay: a new card challenge, so the taped host cryptogram fails. */
    cr_assert_geq(transit_tape.n, 5);
    int sw = 0;
    for (size_t i = 0; i < transit_tape.n; i++) {
        got = 0;
        cr_assert_eq(cos_transmit(&g.card, 1, transit_tape.cmd[i], transit_tape.len[i], raw,
                                  sizeof raw, &got),
                     0);
        sw = cos_rsp_sw(raw, got);
        if (i == 0 || i == 1)
            cr_assert_eq(sw, 0x9000, "SELECT and INITIALIZE UPDATE");
        else
            cr_assert_neq(sw, 0x9000, "replayed command %zu accepted", i);
    }

    /* The same script in a genuine session: INSTALL [for personalization] names the
     * application, and the application refuses every block. */
    transit_script(&s, at_transit_aid, 8, CITY1, TRANSIT_CARD_SENIOR, 0, 99999);
    open_sd(&g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, NULL);
    size_t at = 0;
    cr_assert_eq(run(&g, &s, NULL, &at), 0x6985);
    cr_assert_eq(at, 1, "the first STORE DATA");
    cr_assert_eq(sc(&g, s.cmd[2], s.len[2], NULL), 0x6A86, "out of sequence after the refusal");
    /* Nothing changed: an ordinary card with no money, whose keys still work. */
    at_open(&tpsam, at_path("psam-transit"), 16384);
    cr_assert_eq(gt_select(&g, at_transit_aid, 8), 0x9000);
    cr_assert_eq(balance(&g), 0);
    cr_assert_eq(gt_txh(&g, "00B095001E"), 0x9000);
    cr_assert_eq(g.rsp[TRANSIT_PUB_CARD_TYPE], TRANSIT_CARD_ORDINARY);
    cr_assert_eq(at_load_run(&g.card, at_transit_mlk, at_transit_mtk, 1000, NULL), 0);
    cr_assert_eq(trip(&g, &tpsam, 300), 300);
    at_close(&tpsam);
    gt_close(&g);
}

/* The application's own rules on STORE DATA, through the operator's channel: a secret in
 * a clear block (6982), a key whose KCV does not match (6A80), an unknown DGI (6A88),
 * a bad format (6A80); each block all or nothing. */
Test(multiapp_perso, refusals_leave_nothing_behind)
{
    uint8_t k[16], v[64];
    script s = {.n = 0};
    blk b = {{0}, 0};
    gcard g;

    issue(&g);
    /* A fresh instance from the first city's load file, not yet personalized. */
    open_sd(&g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, NULL);
    cr_assert_eq(gt_install(&g, TRANSIT_ELF, 8, TRANSIT_MOD, 9, CITY2_APP, 8, NOPRIV, NULL, 0, 1),
                 0x9000);
    cr_assert_eq(gt_perso(&g, CITY2_APP, 8), 0x9000);
    disperse(at_transit_mtk, NULL, k);
    /* A key in a clear block: refused before anything is written. */
    public_data(&b, CITY2, TRANSIT_APP_TYPE, 1, 100);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 1, 1, k);
    add_store(&s, T_MGT, 0, 0, 0, b.b, b.n);
    cr_assert_eq(sc(&g, s.cmd[0], s.len[0], NULL), 0x6982);
    /* A wrong KCV (a block decrypted under another DEK would look like this). */
    b.n = 0;
    s.n = 0;
    public_data(&b, CITY2, TRANSIT_APP_TYPE, 1, 100);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 1, 1, k);
    b.b[b.n - 1] ^= 0x01;
    add_store(&s, T_MGT, 1, 0, 0, b.b, b.n);
    /* An unknown DGI and a PIN (transit has none) after good ones. */
    b.n = 0;
    public_data(&b, CITY2, TRANSIT_APP_TYPE, 1, 100);
    dgi_hex(&b, 0x9F99, "00");
    add_store(&s, T_MGT, 1, 0, 0, b.b, b.n);
    b.n = 0;
    dgi_hex(&b, PBOC_DGI_PIN, "03 123456");
    add_store(&s, T_MGT, 1, 0, 0, b.b, b.n);
    /* A DGI running past the end of the block; a BER-TLV block. */
    b.n = 0;
    dgi_hex(&b, PBOC_DGI_PURSE, "06 04 00001000");
    b.b[2] = 0x20;
    add_store(&s, T_MGT, 0, 0, 0, b.b, b.n);
    cr_assert_eq(sc(&g, s.cmd[0], s.len[0], NULL), 0x6A80);
    cr_assert_eq(sc(&g, s.cmd[1], s.len[1], NULL), 0x6A88);
    cr_assert_eq(sc(&g, s.cmd[2], s.len[2], NULL), 0x6A88);
    cr_assert_eq(sc(&g, s.cmd[3], s.len[3], NULL), 0x6A80);
    size_t n = at_unhex("80E2 9000 08 DF01 05 0102030405", v, sizeof v);
    cr_assert_eq(sc(&g, v, n, NULL), 0x6A80);
    /* None of it reached the card: no EF 0015, no keys. */
    cr_assert_eq(gt_select(&g, CITY2_APP, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "00B095001E"), 0x6A82);
    cr_assert_eq(gt_txh(&g, "805003020B 01 00000000 290000000001"), PBOC_SW_KEY_INDEX);
    /* Balances cannot be set once the purse has been used. */
    s.n = 0;
    transit_script(&s, CITY2_APP, 8, CITY2, 1, 100, 0);
    open_sd(&g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, NULL);
    s.cmd[2][2] &= 0x7F; /* the keys' block is not the last: the purse stays open */
    cr_assert_eq(run(&g, &s, NULL, NULL), 0x9000);
    cr_assert_eq(gt_select(&g, CITY2_APP, 8), 0x9000);
    cr_assert_eq(at_load_run(&g.card, at_transit_mlk, at_transit_mtk, 100, NULL), 0);
    open_sd(&g, GT_TRANSIT_SD, 9, T_MGT, 0x31, LVL_OP, NULL);
    cr_assert_eq(gt_perso(&g, CITY2_APP, 8), 0x9000);
    b.n = 0;
    s.n = 0;
    dgi_hex(&b, PBOC_DGI_PURSE, "06 04 00100000");
    add_store(&s, T_MGT, 0, 1, 0, b.b, b.n);
    cr_assert_eq(sc(&g, s.cmd[0], s.len[0], NULL), 0x6985);
    cr_assert_eq(gt_select(&g, CITY2_APP, 8), 0x9000);
    cr_assert_eq(balance(&g), 100);
    host_wipe(k, sizeof k);
    gt_close(&g);
}

/* ---- tearing ------------------------------------------------------------------------------ */

#define TEAR_NVM 32768u

/* The ISD's session (SCP03 i=60: a random card challenge, so INITIALIZE UPDATE writes
 * nothing) and NCMD plain commands; WRONG: a wrong host cryptogram instead. */
typedef struct tear_op {
    uint8_t cmd[2][300];
    size_t n[2];
    int ncmd;
    int wrong;
} tear_op;

static int xmit(cos_card *c, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rn)
{
    int rc = cos_transmit(c, 0, cmd, n, rsp, 300, rn);
    return rc < 0 ? rc : cos_rsp_sw(rsp, *rn);
}

static int tear_run(cos_card *c, void *arg)
{
    tear_op *t = arg;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    host_gp_session s;
    uint8_t sel[14] = {0x00, 0xA4, 0x04, 0x00, 0x08}, cmd[300], rsp[300];
    uint8_t hc[8] = {0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28};
    size_t n, rn;
    int sw;

    memcpy(sel + 5, GT_ISD, 8);
    if ((sw = xmit(c, sel, 13, rsp, &rn)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    host_gp_session_init(&s, HOST_GP_SCP03, 0x60, &k, GT_ISD, 8);
    host_gp_init_update(&s, hc, cmd, sizeof cmd, &n);
    if ((sw = xmit(c, cmd, n, rsp, &rn)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    if (host_gp_open(&s, rsp, rn, 0x03, cmd, sizeof cmd, &n) != 0)
        return COS_ERR_APPLET;
    if (t->wrong)
        cmd[5] ^= 0x01;
    if ((sw = xmit(c, cmd, n, rsp, &rn)) < 0)
        return sw;
    if (t->wrong)
        return sw == 0x6300 ? 0 : COS_ERR_APPLET;
    if (sw != 0x9000 || host_gp_confirm(&s, rsp, rn) != 0)
        return COS_ERR_APPLET;
    for (int i = 0; i < t->ncmd; i++) {
        if (host_gp_wrap(&s, t->cmd[i], t->n[i], cmd, sizeof cmd, &n) != 0)
            return COS_ERR_APPLET;
        if ((sw = xmit(c, cmd, n, rsp, &rn)) != 0x9000)
            return sw < 0 ? sw : COS_ERR_APPLET;
    }
    host_gp_session_wipe(&s);
    return 0;
}

static void tear_digest(const uint8_t *img, tear_op *t, uint8_t out[32])
{
    cos_tear_spec s = {.image = img,
                       .size = TEAR_NVM,
                       .page = GT_PAGE,
                       .classes = obol_rom_classes,
                       .nclasses = obol_rom_nclasses,
                       .seed = GT_SEED,
                       .power_flags = COS_IF_CONTACTLESS,
                       .op = tear_run,
                       .arg = t};
    cr_assert_eq(cos_tear_digest_after(&s, out), 0);
}

/* A power cut anywhere in the STORE DATA that carries the purse's EF 0015, parameters,
 * keys and PIN leaves the card as before the block or as after it (or with only the
 * secure channel's own traces: a counted authentication, a moved sequence counter). */
Test(multiapp_perso, torn_personalization_block)
{
    static const uint8_t zero[96];
    gt_file capp = {0x0017, 0x17, 0x02, 0, 48, 2, 0x00, 0xFF, zero, 96};
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    uint8_t file[512], key[16], extra[2][32];
    script sc2 = {.n = 0};
    blk b = {{0}, 0};
    tear_op t = {.ncmd = 2}, part;
    gp_isd_config c;
    gcard *g = calloc(1, sizeof *g);
    size_t n;

    memset(&c, 0, sizeof c);
    c.scp03 = 1;
    c.scp03_i = 0x60;
    blank(g, &c, TEAR_NVM);
    n = olf(file, PURSE_ELF, PURSE_MOD, OBOL_CLASS_PBOC, 0x1001, "0101 03 0801 30", &capp, 1);
    cr_assert_eq(gt_open(g, GT_ISD, 8, HOST_GP_SCP03, 0x60, &k, 0x03), 0x9000);
    cr_assert_eq(gt_load(g, file, n, PURSE_ELF, 8, NULL, 0, 1, NULL, 0, NULL, 200), 0x9000);
    cr_assert_eq(gt_install(g, PURSE_ELF, 8, PURSE_MOD, 9, at_pboc_aid, 9, NOPRIV, NULL, 0, 1),
                 0x9000);
    cos_power_off(&g->card);
    uint8_t *img = malloc(TEAR_NVM);
    memcpy(img, g->host.nvm, TEAR_NVM);
    cos_host_close(&g->host);
    free(g);

    add_perso(&sc2, at_pboc_aid, 9);
    public_data(&b, BANK, 0x03, 0x00, 0x00);
    dgi_hex(&b, PBOC_DGI_PURSE, "03 04 05F5E100  06 04 00001388");
    disperse(at_pboc_mpk01, BANK, key);
    dgi_key(&b, PBOC_DGI_PURCHASE_KEY, 1, 1, key);
    disperse(at_pboc_mlk01, NULL, key);
    dgi_key(&b, PBOC_DGI_LOAD_KEY, 1, 1, key);
    disperse(at_pboc_mtk01, NULL, key);
    dgi_key(&b, PBOC_DGI_TAC_KEY, 1, 1, key);
    dgi_hex(&b, PBOC_DGI_PIN, "03 123456");
    add_store(&sc2, GT_TEST_KEY, 1, 1, 0, b.b, b.n);
    for (int i = 0; i < 2; i++) {
        memcpy(t.cmd[i], sc2.cmd[i], sc2.len[i]);
        t.n[i] = sc2.len[i];
    }
    part = t;
    part.ncmd = 1; /* the channel open, INSTALL [for personalization] done (RAM only) */
    tear_digest(img, &part, extra[0]);
    tear_op wrong = {.wrong = 1};
    tear_digest(img, &wrong, extra[1]);
    cos_tear_spec s = {.image = img,
                       .size = TEAR_NVM,
                       .page = GT_PAGE,
                       .classes = obol_rom_classes,
                       .nclasses = obol_rom_nclasses,
                       .seed = GT_SEED,
                       .power_flags = COS_IF_CONTACTLESS,
                       .op = tear_run,
                       .arg = &t,
                       .extra = extra,
                       .nextra = 2};
    cos_tear_result r;
    int rc = cos_tear_run(&s, &r);
    cr_assert_eq(rc, 0, "%s", r.msg);
    cr_assert_eq(r.runs, r.as_before + r.as_after + r.as_extra);
    /* The block changes the card, and its commit is its last write: every cut before it
     * (inside it too) rolls the whole block back. */
    cr_assert_neq(memcmp(r.before, r.after, 32), 0);
    cr_assert_neq(memcmp(extra[0], r.after, 32), 0);
    cr_assert_gt(r.as_extra, 0, "cuts between the channel's opening and the block");
    cr_log_info("personalization block: %u writes, %u torn runs (%u before, %u after, %u extra)",
                r.writes, r.runs, r.as_before, r.as_after, r.as_extra);
    host_wipe(key, sizeof key);
    free(img);
}
