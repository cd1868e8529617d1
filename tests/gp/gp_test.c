/* obol GlobalPlatform tests: shared helpers and the test application (gp_test.h). */
#include "gp_test.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_crypto.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"

const uint8_t GT_ISD[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
const uint8_t GT_TRANSIT_SD[9] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x54, 0x52, 0x53, 0x44};
const uint8_t GT_SOCIAL_SD[9] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x53, 0x53, 0x44};
const uint8_t GT_TEST_KEY[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};

/* ---- the test application ------------------------------------------------------------- */

static int app_install(cos_ctx *ctx, const uint8_t *p, size_t n)
{
    uint8_t b[2] = {0, 0};
    cos_obj o;
    int rc = cos_obj_create(ctx, 1, (uint16_t)(n + 1), &o);
    uint8_t len = (uint8_t)n;

    if (rc == 0)
        rc = cos_obj_write(ctx, &o, 0, &len, 1);
    if (rc == 0 && n)
        rc = cos_obj_write(ctx, &o, 1, p, (uint16_t)n);
    if (rc == 0)
        rc = cos_obj_create(ctx, 2, 256, &o);
    if (rc == 0)
        rc = cos_obj_write(ctx, &o, 0, b, 2);
    if (rc == 0)
        rc = gp_accept_perso(ctx);
    return rc;
}

static int app_process(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    uint8_t b[256];
    cos_obj o;
    int rc;

    if (a->cla != 0x80 || a->ins != 0xCA || a->p1 != 0 || (a->p2 != 1 && a->p2 != 2))
        return COS_PROCESS_OS;
    rc = cos_obj_open(ctx, a->p2, &o);
    if (rc == 0)
        rc = cos_obj_read(ctx, &o, 0, b, o.len);
    if (rc < 0)
        return rc;
    if (a->p2 == 1)
        rc = cos_resp_put(r, b + 1, b[0]);
    else
        rc = cos_resp_put(r, b + 2, (size_t)(b[0] << 8 | b[1]));
    return rc < 0 ? rc : (int)COS_SW_OK;
}

static int app_share(cos_ctx *ctx, const uint8_t *client, size_t clen, uint8_t iface,
                     const uint8_t *in, size_t inlen, cos_resp *out)
{
    uint8_t b[2];
    cos_obj o;
    int rc;

    (void)client;
    (void)clen;
    (void)out;
    if (iface != GP_IFACE_PERSO || inlen < 2)
        return COS_SW_CONDITIONS;
    rc = cos_obj_open(ctx, 2, &o);
    if (rc == 0)
        rc = cos_obj_read(ctx, &o, 0, b, 2);
    if (rc < 0)
        return rc;
    size_t have = (size_t)(b[0] << 8 | b[1]), n = inlen - 2;
    if (have + n > 254)
        return COS_SW_NO_MEMORY;
    b[0] = (uint8_t)((have + n) >> 8);
    b[1] = (uint8_t)(have + n);
    rc = cos_txn_begin(ctx);
    if (rc == 0)
        rc = cos_obj_write(ctx, &o, (uint16_t)(2 + have), in + 2, (uint16_t)n);
    if (rc == 0)
        rc = cos_obj_write(ctx, &o, 0, b, 2);
    if (rc == 0)
        rc = cos_txn_commit(ctx);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

const cos_applet_class gt_app_class = {
    .id = GT_APP_CLASS,
    .name = "gt.app",
    .install = app_install,
    .process = app_process,
    .share = app_share,
};

const cos_applet_class *const gt_classes[] = {&gp_class, &gt_app_class};
const uint16_t gt_nclasses = 2;

/* GT_TRACE=1 in the environment prints every exchange (plain side for gt_sc). */
static void trace(const char *what, const uint8_t *c, size_t n, const uint8_t *r, size_t rn)
{
    static int on = -1;
    if (on < 0)
        on = getenv("GT_TRACE") != NULL;
    if (!on)
        return;
    fprintf(stderr, "%s > ", what);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, "%02X", c[i]);
    fprintf(stderr, "\n%s < ", what);
    for (size_t i = 0; i < rn; i++)
        fprintf(stderr, "%02X", r[i]);
    fprintf(stderr, "\n");
}

/* ---- card ---------------------------------------------------------------------------------- */

void gt_blank(gcard *g, const gp_isd_config *cfg)
{
    cos_format_params fp = {2048, 0, NULL, 0};
    cos_card_config cc;
    uint8_t atr[40];
    size_t n;

    memset(g, 0, sizeof *g);
    cr_assert_eq(cos_host_open_mem(&g->host, GT_NVM, GT_PAGE, GT_SEED), 0);
    cos_host_config(&g->host, gt_classes, gt_nclasses, &cc);
    cr_assert_eq(cos_card_attach(&g->card, &cc), 0);
    cr_assert_eq(cos_format(&g->card, &fp), 0);
    cr_assert_eq(cos_power_on(&g->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
    int rc = gp_isd_create(&g->card, cfg, NULL);
    cr_assert_eq(rc, 0, "gp_isd_create: %s", cos_strerror(rc));
    g->hc = 1;
}

void gt_close(gcard *g)
{
    host_gp_session_wipe(&g->s);
    cos_power_off(&g->card);
    cos_host_close(&g->host);
}

void gt_reset(gcard *g)
{
    uint8_t atr[40];
    size_t n;

    cos_power_off(&g->card);
    cr_assert_eq(cos_power_on(&g->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
    host_gp_session_wipe(&g->s);
}

size_t gt_hex(const char *s, uint8_t *out)
{
    size_t n = 0;
    int hi = -1;

    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

uint16_t gt_tx(gcard *g, const uint8_t *cmd, size_t n)
{
    size_t got = 0;
    int rc = cos_transmit(&g->card, 1, cmd, n, g->rsp, sizeof g->rsp, &got);

    cr_assert_eq(rc, 0, "transmit: %s", cos_strerror(rc));
    cr_assert_geq(got, 2);
    g->rlen = got - 2;
    g->sw = cos_rsp_sw(g->rsp, got);
    trace("apdu", cmd, n, g->rsp, got);
    return g->sw;
}

uint16_t gt_txh(gcard *g, const char *hex)
{
    uint8_t cmd[600];
    return gt_tx(g, cmd, gt_hex(hex, cmd));
}

uint16_t gt_select(gcard *g, const uint8_t *aid, size_t n)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00, (uint8_t)n};
    memcpy(cmd + 5, aid, n);
    cmd[5 + n] = 0x00;
    return gt_tx(g, cmd, 6 + n);
}

int gt_data_is(const gcard *g, const char *hex)
{
    uint8_t want[600];
    size_t n = gt_hex(hex, want);
    return n == g->rlen && memcmp(want, g->rsp, n) == 0;
}

host_gp_keys gt_keys(const uint8_t key[16], uint8_t kvn)
{
    host_gp_keys k;
    memset(&k, 0, sizeof k);
    memcpy(k.enc, key, 16);
    memcpy(k.mac, key, 16);
    memcpy(k.dek, key, 16);
    k.len = 16;
    k.kvn = kvn;
    return k;
}

int gt_open(gcard *g, const uint8_t *sd, size_t sdlen, int scp, uint8_t i, const host_gp_keys *k,
            uint8_t level)
{
    uint8_t cmd[64], hc[8];
    size_t n;
    int rc;

    if (gt_select(g, sd, sdlen) != 0x9000)
        return g->sw;
    memcpy(g->sd_aid, sd, sdlen);
    g->sd_len = sdlen;
    cr_assert_eq(host_gp_session_init(&g->s, scp, i, k, sd, sdlen), 0);
    for (int j = 0; j < 8; j++)
        hc[j] = (uint8_t)(g->hc * 17 + j);
    g->hc++;
    cr_assert_eq(host_gp_init_update(&g->s, hc, cmd, sizeof cmd, &n), 0);
    if (gt_tx(g, cmd, n) != 0x9000)
        return g->sw;
    rc = host_gp_open(&g->s, g->rsp, g->rlen + 2, level, cmd, sizeof cmd, &n);
    if (rc < 0)
        return rc;
    if (gt_tx(g, cmd, n) != 0x9000)
        return g->sw;
    cr_assert_eq(host_gp_confirm(&g->s, g->rsp, g->rlen + 2), 0);
    return 0x9000;
}

size_t gt_wrap(gcard *g, const uint8_t *cmd, size_t n, uint8_t *out)
{
    uint8_t plain[300];
    size_t m;

    memcpy(plain, cmd, n);
    if ((g->s.level & HOST_GP_LEVEL_RMAC) &&
        (n == 4 || (n > 5 && n == 5u + plain[4]))) /* case 1 or 3: add Le 00 */
        plain[n++] = 0x00;
    int rc = host_gp_wrap(&g->s, plain, n, out, 300, &m);
    cr_assert_eq(rc, 0, "wrap: %s", host_strerror(rc));
    return m;
}

uint16_t gt_sc(gcard *g, const uint8_t *cmd, size_t n)
{
    uint8_t w[300], raw[600], out[600];
    size_t m = gt_wrap(g, cmd, n, w), got = 0, on = 0;
    int rc = cos_transmit(&g->card, 1, w, m, raw, sizeof raw, &got);

    cr_assert_eq(rc, 0, "transmit: %s", cos_strerror(rc));
    rc = host_gp_unwrap(&g->s, raw, got, out, sizeof out, &on);
    cr_assert_eq(rc, 0, "unwrap: %s (SW %02X%02X)", host_strerror(rc), raw[got - 2], raw[got - 1]);
    memcpy(g->rsp, out, on);
    trace("  sc", cmd, n, out, on);
    g->rlen = on - 2;
    g->sw = cos_rsp_sw(out, on);
    return g->sw;
}

uint16_t gt_sch(gcard *g, const char *hex)
{
    uint8_t cmd[300];
    return gt_sc(g, cmd, gt_hex(hex, cmd));
}

/* ---- load files ------------------------------------------------------------------------------ */

static size_t put_tlv(uint8_t *out, uint16_t tag, const uint8_t *v, size_t n)
{
    size_t i = 0;
    if (tag > 0xFF)
        out[i++] = (uint8_t)(tag >> 8);
    out[i++] = (uint8_t)tag;
    if (n > 0xFF) {
        out[i++] = 0x82;
        out[i++] = (uint8_t)(n >> 8);
    } else if (n > 0x7F) {
        out[i++] = 0x81;
    }
    out[i++] = (uint8_t)n;
    if (n)
        memmove(out + i, v, n);
    return i + n;
}

size_t gt_olf(const uint8_t *aid, size_t aid_len, uint16_t version, const gt_module *mods,
              size_t nmods, uint8_t *out)
{
    uint8_t one = 1, ver[2] = {(uint8_t)(version >> 8), (uint8_t)version};
    uint8_t mb[1024], fb[512], b[4];
    size_t n = 0;

    n += put_tlv(out + n, 0xC1, &one, 1);
    n += put_tlv(out + n, 0x4F, aid, aid_len);
    n += put_tlv(out + n, 0xC2, ver, 2);
    for (size_t k = 0; k < nmods; k++) {
        const gt_module *m = &mods[k];
        size_t mn = 0;
        mn += put_tlv(mb + mn, 0x4F, m->aid, m->aid_len);
        b[0] = (uint8_t)(m->class_id >> 8);
        b[1] = (uint8_t)m->class_id;
        mn += put_tlv(mb + mn, 0xC3, b, 2);
        if (m->fid) {
            b[0] = (uint8_t)(m->fid >> 8);
            b[1] = (uint8_t)m->fid;
            mn += put_tlv(mb + mn, 0xC4, b, 2);
        }
        if (m->fci_len)
            mn += put_tlv(mb + mn, 0xA5, m->fci, m->fci_len);
        if (m->params_len)
            mn += put_tlv(mb + mn, 0xC9, m->params, m->params_len);
        for (size_t f = 0; f < m->nfiles; f++) {
            const gt_file *x = &m->files[f];
            size_t fn = 0;
            b[0] = (uint8_t)(x->fid >> 8);
            b[1] = (uint8_t)x->fid;
            fn += put_tlv(fb + fn, 0x83, b, 2);
            if (x->sfi)
                fn += put_tlv(fb + fn, 0x88, &x->sfi, 1);
            fn += put_tlv(fb + fn, 0x82, &x->type, 1);
            if (x->type == 0x01) {
                b[0] = (uint8_t)(x->size >> 8);
                b[1] = (uint8_t)x->size;
                fn += put_tlv(fb + fn, 0x80, b, 2);
            } else {
                b[0] = x->reclen;
                b[1] = x->nrec;
                fn += put_tlv(fb + fn, 0x81, b, 2);
            }
            b[0] = x->acr;
            b[1] = x->acw;
            fn += put_tlv(fb + fn, 0x86, b, 2);
            if (x->init_len)
                fn += put_tlv(fb + fn, 0xC0, x->init, x->init_len);
            mn += put_tlv(mb + mn, 0xA2, fb, fn);
        }
        n += put_tlv(out + n, 0xA1, mb, mn);
    }
    return n;
}

static void sha256(const uint8_t *d, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    cr_assert_eq(EVP_Digest(d, n, out, &len, EVP_sha256(), NULL), 1);
}

uint16_t gt_load(gcard *g, const uint8_t *olf, size_t len, const uint8_t *aid, size_t aid_len,
                 const uint8_t *sd, size_t sdlen, int with_hash, const uint8_t *dap_sd,
                 size_t dap_sd_len, const uint8_t *dap_key, size_t block)
{
    static uint8_t stream[40000];
    uint8_t hash[32], cmd[300], dap[16], e2[300];
    host_gp_install in;
    size_t n, s = 0;

    sha256(olf, len, hash);
    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_LOAD;
    in.elf_aid = aid;
    in.elf_aid_len = aid_len;
    in.sd_aid = sd;
    in.sd_aid_len = sdlen;
    in.hash = with_hash ? hash : NULL;
    in.hash_len = with_hash ? 32 : 0;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &n), 0);
    if (gt_sc(g, cmd, n) != 0x9000)
        return g->sw;
    if (dap_key) {
        /* E2 { 4F SD AID, C3 AES-CMAC(DAP key, hash) } (docs/load-file.md). */
        size_t en = 0;
        cr_assert_eq(host_aes_cmac(dap_key, 16, hash, 32, dap), 0);
        en += put_tlv(e2 + en, 0x4F, dap_sd, dap_sd_len);
        en += put_tlv(e2 + en, 0xC3, dap, 16);
        s += put_tlv(stream + s, 0xE2, e2, en);
    }
    s += put_tlv(stream + s, 0xC4, olf, len);
    for (size_t off = 0, k = 0; off < s; off += block, k++) {
        size_t m = s - off < block ? s - off : block;
        cmd[0] = 0x80;
        cmd[1] = 0xE8;
        cmd[2] = off + m == s ? 0x80 : 0x00;
        cmd[3] = (uint8_t)k;
        cmd[4] = (uint8_t)m;
        memcpy(cmd + 5, stream + off, m);
        cmd[5 + m] = 0x00;
        if (gt_sc(g, cmd, 6 + m) != 0x9000)
            return g->sw;
    }
    return 0x9000;
}

uint16_t gt_install(gcard *g, const uint8_t *elf, size_t elf_len, const uint8_t *mod,
                    size_t mod_len, const uint8_t *app, size_t app_len, const uint8_t priv[3],
                    const uint8_t *c9, size_t c9_len, int selectable)
{
    uint8_t cmd[300], par[260];
    host_gp_install in;
    size_t n;

    memset(&in, 0, sizeof in);
    in.p1 = selectable ? 0x0C : 0x04;
    in.elf_aid = elf;
    in.elf_aid_len = elf_len;
    in.module_aid = mod;
    in.module_aid_len = mod_len;
    in.app_aid = app;
    in.app_aid_len = app_len;
    in.privileges = priv;
    in.privileges_len = 3;
    in.params = par;
    in.params_len = put_tlv(par, 0xC9, c9, c9_len);
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &n), 0);
    return gt_sc(g, cmd, n);
}

uint16_t gt_delete(gcard *g, const uint8_t *aid, size_t n, int related)
{
    uint8_t cmd[64];
    size_t m;
    cr_assert_eq(host_gp_delete_cmd(aid, n, related, cmd, sizeof cmd, &m), 0);
    return gt_sc(g, cmd, m);
}

uint16_t gt_put_keyset(gcard *g, uint8_t old, uint8_t kvn, const uint8_t key[16])
{
    uint8_t keys[48], cmd[300];
    size_t n;
    for (int i = 0; i < 3; i++)
        memcpy(keys + 16 * i, key, 16);
    cr_assert_eq(host_gp_put_key_cmd(&g->s, old, kvn, 1, keys, 3, 16, cmd, sizeof cmd, &n), 0);
    return gt_sc(g, cmd, n);
}

uint16_t gt_perso(gcard *g, const uint8_t *app, size_t app_len)
{
    uint8_t cmd[64];
    host_gp_install in;
    size_t n;

    memset(&in, 0, sizeof in);
    in.p1 = HOST_GP_INSTALL_PERSO;
    in.app_aid = app;
    in.app_aid_len = app_len;
    cr_assert_eq(host_gp_install_cmd(&in, cmd, sizeof cmd, &n), 0);
    return gt_sc(g, cmd, n);
}

uint16_t gt_store(gcard *g, uint8_t p1, uint8_t block, const uint8_t *data, size_t n)
{
    uint8_t cmd[300];
    size_t m;
    cr_assert_eq(host_gp_store_data_cmd(p1, block, data, n, cmd, sizeof cmd, &m), 0);
    return gt_sc(g, cmd, m);
}

uint16_t gt_store_enc(gcard *g, uint8_t p1, uint8_t block, const uint8_t *data, size_t n)
{
    uint8_t buf[256], iv[16] = {0};
    size_t bs = g->s.scp == HOST_GP_SCP02 ? 8 : 16, m = (n / bs + 1) * bs;

    memcpy(buf, data, n);
    buf[n] = 0x80;
    memset(buf + n + 1, 0, m - n - 1);
    if (g->s.scp == HOST_GP_SCP02)
        cr_assert_eq(host_des_ecb(g->s.s_dek, 16, 1, buf, buf, m), 0);
    else
        cr_assert_eq(host_aes_cbc(g->s.keys.dek, 16, 1, iv, buf, buf, m), 0);
    return gt_store(g, (uint8_t)(p1 | 0x60), block, buf, m);
}

size_t gt_d8(uint8_t kvn, const uint8_t key[16], int aes, uint8_t *out)
{
    uint8_t v[80], kcv[3];
    size_t n = 0;

    v[n++] = kvn;
    if (aes)
        cr_assert_eq(host_kcv_aes(key, 16, kcv), 0);
    else
        cr_assert_eq(host_kcv_des(key, 16, kcv), 0);
    for (int i = 0; i < 3; i++) {
        v[n++] = aes ? 0x88 : 0x80;
        v[n++] = aes ? 17 : 16;
        if (aes)
            v[n++] = 16;
        memcpy(v + n, key, 16);
        n += 16;
        v[n++] = 3;
        memcpy(v + n, kcv, 3);
        n += 3;
    }
    return put_tlv(out, 0xD8, v, n);
}

void gt_ctx(gcard *g, cos_oid inst, cos_ctx *x)
{
    x->card = &g->card;
    x->inst = inst;
    x->chan = 0xFF;
    x->ram = NULL;
}

cos_app_info gt_app(gcard *g, const uint8_t *aid, size_t n)
{
    cos_app_info info;
    cr_assert_eq(cos_app_find(&g->card, aid, n, &info), 0);
    return info;
}
