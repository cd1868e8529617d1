/*
 * obol applet gp: creating the issuer security domain, the helpers applets use to
 * take personalization, and the security domain's self-description (FCI tag 73,
 * card recognition data tag 66; GP CS 2.3 H.2 and H.3).
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

/* OIDs under {iso(1) member-body(2) us(840) globalPlatform(114283)}, DER content. */
static const uint8_t OID_GP[7] = {0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x01};
static const uint8_t OID_CM[9] = {0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x02, 0x02, 0x03};
static const uint8_t OID_CI[7] = {0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x03};
static const uint8_t OID_SCP[7] = {0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x04};

/* One "tag { 06 len oid [suffix] }" of the recognition data into R. */
static int oid_tlv(cos_resp *r, uint8_t tag, const uint8_t *oid, size_t n, const uint8_t *suffix,
                   size_t sn)
{
    uint8_t b[16];
    cos_resp t = {b, sizeof b, 0};
    uint8_t o[12];

    memcpy(o, oid, n);
    if (sn)
        memcpy(o + n, suffix, sn);
    int rc = gp__tlv_put(&t, 0x06, o, n + sn);
    return rc < 0 ? rc : gp__tlv_put(r, tag, b, t.len);
}

/* The body of tag 73: GP OID (06), card management type and version GP 2.3 (60),
 * optionally the card identification scheme (63), and one 64 per secure channel
 * protocol with its option i. */
static int recognition(cos_resp *r, uint8_t flags, uint8_t i02, uint8_t i03, int with_ci)
{
    int rc = gp__tlv_put(r, 0x06, OID_GP, sizeof OID_GP);

    if (rc == 0)
        rc = oid_tlv(r, 0x60, OID_CM, sizeof OID_CM, NULL, 0);
    if (rc == 0 && with_ci)
        rc = oid_tlv(r, 0x63, OID_CI, sizeof OID_CI, NULL, 0);
    if (rc == 0 && (flags & CF_SCP02)) {
        uint8_t s[2] = {0x02, i02};
        rc = oid_tlv(r, 0x64, OID_SCP, sizeof OID_SCP, s, 2);
    }
    if (rc == 0 && (flags & CF_SCP03)) {
        uint8_t s[2] = {0x03, i03};
        rc = oid_tlv(r, 0x64, OID_SCP, sizeof OID_SCP, s, 2);
    }
    return rc;
}

size_t gp__sd_fci(uint8_t flags, uint8_t i02, uint8_t i03, uint8_t out[COS_FCI_MAX])
{
    static const uint8_t max_len = 0xFF;
    uint8_t b[COS_FCI_MAX];
    cos_resp t = {b, sizeof b, 0}, r = {out, COS_FCI_MAX, 0};

    /* GP CS 2.3 11.9.3 (SELECT response): A5 { 73 security domain management data,
     * 9F65 maximum length of the command data field }; the OS adds 6F and 84. */
    if (recognition(&t, flags, i02, i03, 0) < 0 || gp__tlv_put(&r, 0x73, b, t.len) < 0 ||
        gp__tlv_put(&r, 0x9F65, &max_len, 1) < 0)
        return 0;
    return r.len;
}

int gp__card_data(const gp_sd *sd, cos_resp *r)
{
    uint8_t b[80], c[84];
    cos_resp t = {b, sizeof b, 0}, u = {c, sizeof c, 0};
    int rc = recognition(&t, sd->cfg[CFG_FLAGS], sd->cfg[CFG_I02], sd->cfg[CFG_I03], 1);

    if (rc == 0)
        rc = gp__tlv_put(&u, 0x73, b, t.len);
    return rc < 0 ? rc : gp__tlv_put(r, 0x66, c, u.len);
}

int gp__find_isd(cos_card *card, cos_app_info *out)
{
    cos_oid at = 0;
    int rc;

    /* The ISD is the one security domain the card issuer owns (sd 0). */
    while ((rc = cos_app_next(card, &at, out)) == 0)
        if (out->class_id == GP_CLASS_ID && out->sd == 0 && (out->priv[0] & GP_PRIV1_SD))
            return 0;
    return rc;
}

int gp_accept_perso(cos_ctx *ctx)
{
    cos_app_info isd;
    int rc;

    if (!ctx)
        return COS_ERR_PARAM;
    rc = gp__find_isd(ctx->card, &isd);
    return rc < 0 ? rc : cos_share_grant(ctx, isd.aid, isd.aid_len, GP_IFACE_PERSO);
}

/* The TEST initial key of GP CS 2.3 test cards and GlobalPlatformPro: 404142..4F. */
static const uint8_t TEST_KEY[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                     0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};

int gp_isd_create(cos_card *card, const gp_isd_config *cfg, cos_oid *out)
{
    static const gp_isd_config defaults = {0};
    uint8_t params[128], fci[COS_FCI_MAX], fl = 0, i02, i03, limit;
    cos_resp p = {params, sizeof params, 0};
    cos_inst_spec spec;
    cos_app_info isd;
    uint8_t k[17];
    int rc;

    if (!card)
        return COS_ERR_PARAM;
    if (!cfg)
        cfg = &defaults;
    if ((cfg->aid && (cfg->aid_len < 5 || cfg->aid_len > 16)) || cfg->iin_len > 15 ||
        cfg->cin_len > 15)
        return COS_ERR_PARAM;
    rc = gp__find_isd(card, &isd);
    if (rc == 0)
        return COS_ERR_EXISTS;
    if (rc != COS_ERR_NOT_FOUND)
        return rc;
    i02 = cfg->scp02_i;
    i03 = cfg->scp03 ? cfg->scp03_i : 0x70;
    if (i02)
        fl |= CF_SCP02;
    if (cfg->scp03 || !i02)
        fl |= CF_SCP03;
    limit = cfg->auth_limit == 0      ? GP_AUTH_LIMIT_DEFAULT
            : cfg->auth_limit == 0xFF ? 0
                                      : cfg->auth_limit;
    uint8_t lcs = cfg->card_lcs ? cfg->card_lcs : GP_CARD_OP_READY;
    k[0] = cfg->key_alg ? cfg->key_alg : COS_ALG_AES;
    memcpy(k + 1, cfg->key ? cfg->key : TEST_KEY, 16);

    rc = gp__tlv_put(&p, 0x02, &lcs, 1);
    if (rc == 0 && cfg->cplc)
        rc = gp__tlv_put(&p, 0x03, cfg->cplc, 42);
    if (rc == 0)
        rc = gp__tlv_put(&p, 0x04, k, sizeof k);
    if (rc == 0 && cfg->iin_len)
        rc = gp__tlv_put(&p, 0x42, cfg->iin, cfg->iin_len);
    if (rc == 0 && cfg->cin_len)
        rc = gp__tlv_put(&p, 0x45, cfg->cin, cfg->cin_len);
    if (rc == 0 && (fl & CF_SCP02))
        rc = gp__tlv_put(&p, GP_SDP_SCP02, &i02, 1);
    if (rc == 0 && (fl & CF_SCP03))
        rc = gp__tlv_put(&p, GP_SDP_SCP03, &i03, 1);
    if (rc == 0)
        rc = gp__tlv_put(&p, GP_SDP_AUTH_LIMIT, &limit, 1);
    if (rc == 0 && cfg->kdd)
        rc = gp__tlv_put(&p, GP_SDP_KDD, cfg->kdd, 10);
    if (rc < 0)
        return COS_ERR_PARAM;

    memset(&spec, 0, sizeof spec);
    spec.df.name = cfg->aid ? cfg->aid : gp_isd_aid_default;
    spec.df.namelen = cfg->aid ? cfg->aid_len : (uint8_t)sizeof gp_isd_aid_default;
    spec.df.fcilen = (uint8_t)gp__sd_fci(fl, i02, i03, fci);
    spec.df.fci = fci;
    spec.class_id = GP_CLASS_ID;
    spec.params = params;
    spec.plen = p.len;
    spec.sd = 0;
    /* The ISD: Security Domain, Card Lock, Card Terminate, Card Reset, CVM Management;
     * Authorized Management, Token Verification, Global Delete, Global Lock, Global
     * Registry (GP CS 2.3, 6.6.2). */
    spec.priv[0] = GP_PRIV1_SD | GP_PRIV1_CARD_LOCK | GP_PRIV1_CARD_TERMINATE |
                   GP_PRIV1_CARD_RESET | GP_PRIV1_CVM;
    spec.priv[1] = GP_PRIV2_AUTHORIZED | GP_PRIV2_TOKEN | GP_PRIV2_GLOBAL_DELETE |
                   GP_PRIV2_GLOBAL_LOCK | GP_PRIV2_GLOBAL_REGISTRY;
    if (cfg->priv[0] | cfg->priv[1] | cfg->priv[2]) {
        memcpy(spec.priv, cfg->priv, 3);
        spec.priv[0] |= GP_PRIV1_SD;
    }
    spec.gp_lcs = GP_APP_SELECTABLE;
    rc = cos_inst_create(card, cos_perso_mf(card), &spec, out);
    cos_wipe(params, sizeof params);
    cos_wipe(k, sizeof k);
    if (rc > 0)
        return COS_ERR_PARAM; /* install() refused the parameters */
    return rc;
}
