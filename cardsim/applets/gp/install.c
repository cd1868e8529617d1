/*
 * obol applet gp: INSTALL (GP CS 2.3, 11.5) in the OPEN.
 *
 *   [for load] (02)            load.c
 *   [for install] (04, 0C)     creates an instance of a module: of a loaded load file
 *                              (its ROM class, ADF FID, FCI, parameters and files), or
 *                              of the ROM security domain module (a new SSD)
 *   [for make selectable] (08) INSTALLED -> SELECTABLE
 *   [for extradition] (10)     associates an application or load file with another SD
 *   [for personalization] (20) names the application the next STORE DATA go to; the
 *                              SD keeps the target (the OPEN returns its oid in aux)
 * An instance and everything it is made of (ADF, files from the load file, registry
 * entry, the OPEN's grant to a new SD) is created in one NVM transaction.
 *
 * The data field of INSTALL [for install] (11.5.2.3.2): load file AID, module AID,
 * application AID, privileges (1 or 3 bytes), install parameters, token, each
 * length-prefixed. Install parameters are BER-TLVs; C9 carries the application's own
 * parameters (appended to the module's parameters from the load file), anything else
 * (EF system parameters) is ignored.
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

static int priv_subset(const uint8_t *p, const uint8_t *of)
{
    for (int i = 0; i < 3; i++)
        if (p[i] & ~of[i])
            return 0;
    return 1;
}

static int card_open_for_content(gp_open *o)
{
    uint8_t lcs = gp__open_lcs(o);
    return lcs != GP_CARD_LOCKED && lcs != GP_CARD_TERMINATED;
}

/* INSTALL [for install] and [for install and make selectable]. */
static int for_install(gp_open *o, const uint8_t *d, size_t n, cos_resp *r)
{
    const uint8_t *end = d + n, *elf_aid, *mod_aid, *app_aid, *priv, *par, *tok, *c9 = NULL;
    size_t elf_len, mod_len, app_len, priv_len, par_len, tok_len, c9_len = 0;
    uint8_t fci[COS_FCI_MAX], e[REG_SIZE], privs[3] = {0, 0, 0};
    uint8_t *params = r->buf; /* the response area is free until the end */
    size_t plen = 0, fcilen = 0;
    cos_inst_spec spec;
    gp_module m;
    gp_elf elf;
    unsigned slot = REG_ROM, mod = 0, idx;
    cos_oid oid;
    int rc, is_sd;

    if (gp__lv(&d, end, &elf_aid, &elf_len) || gp__lv(&d, end, &mod_aid, &mod_len) ||
        gp__lv(&d, end, &app_aid, &app_len) || gp__lv(&d, end, &priv, &priv_len) ||
        gp__lv(&d, end, &par, &par_len) || gp__lv(&d, end, &tok, &tok_len) || d != end)
        return COS_SW_WRONG_DATA;
    if (app_len < 5 || app_len > 16 || (priv_len != 1 && priv_len != 3) || r->cap < 224)
        return COS_SW_WRONG_DATA;
    memcpy(privs, priv, priv_len);
    if (par_len) {
        rc = gp__tlv_find(par, par_len, 0xC9, &c9, &c9_len);
        if (rc < 0)
            return COS_SW_WRONG_DATA;
    }
    if (!card_open_for_content(o))
        return COS_SW_CONDITIONS;
    /* The AID is taken by a load file (cos_inst_create() checks the instances). */
    if (gp__elf_find(o, app_aid, app_len, &idx, &elf) == 0 ||
        (app_len == sizeof gp_rom_elf_aid && memcmp(app_aid, gp_rom_elf_aid, app_len) == 0))
        return COS_SW_WRONG_DATA;
    /* An SSD grants no more than it has, and creates no security domains. */
    if (!o->isd && (!priv_subset(privs, o->caller.priv) || (privs[0] & GP_PRIV1_SD)))
        return COS_SW_CONDITIONS;

    memset(&spec, 0, sizeof spec);
    is_sd = elf_len == sizeof gp_rom_elf_aid && memcmp(elf_aid, gp_rom_elf_aid, elf_len) == 0;
    if (is_sd) {
        /* The ROM security domain package: its one module makes an SSD. */
        if (mod_len != sizeof gp_sd_module_aid || memcmp(mod_aid, gp_sd_module_aid, mod_len) != 0)
            return COS_SW_REF_NOT_FOUND;
        if (!(privs[0] & GP_PRIV1_SD))
            return COS_SW_WRONG_DATA;
        gp_sd isd;
        uint8_t i02 = 0, i03 = 0x70, fl = 0;
        const uint8_t *v;
        size_t vn;
        rc = gp__sd_load(o->ctx, NULL, &isd);
        if (rc < 0)
            return rc;
        /* The OPEN's AID first (the new SD knows whom to serve), then the TSM's SD
         * parameters; install() checks them. */
        params[0] = 0x01;
        params[1] = (uint8_t)o->caller.aid_len;
        rc = cos_app_aid(o->ctx, params + 2);
        if (rc < 0)
            return rc;
        params[1] = (uint8_t)rc;
        plen = 2u + (size_t)rc;
        if (c9_len > GP_PARAMS_MAX - plen)
            return COS_SW_WRONG_DATA;
        if (c9_len)
            memcpy(params + plen, c9, c9_len);
        plen += c9_len;
        if (gp__tlv_find(c9, c9_len, GP_SDP_SCP02, &v, &vn) == 1 && vn == 1) {
            fl |= CF_SCP02;
            i02 = v[0];
        }
        if (gp__tlv_find(c9, c9_len, GP_SDP_SCP03, &v, &vn) == 1 && vn == 1) {
            fl |= CF_SCP03;
            i03 = v[0];
        }
        if (!(fl & (CF_SCP02 | CF_SCP03)))
            fl |= CF_SCP03;
        fcilen = gp__sd_fci(fl, i02, i03, fci);
        spec.class_id = GP_CLASS_ID;
    } else {
        rc = gp__elf_find(o, elf_aid, elf_len, &slot, &elf);
        if (rc == COS_ERR_NOT_FOUND || (rc == 0 && elf.hdr[ELF_STATE] != ES_LOADED))
            return COS_SW_REF_NOT_FOUND;
        if (rc < 0)
            return rc;
        if (!gp__may_manage(o, gp__get16(elf.hdr + ELF_SD)))
            return COS_SW_CONDITIONS;
        for (mod = 0; mod < elf.hdr[ELF_NMOD]; mod++) {
            rc = gp__elf_module(o, &elf, mod, &m);
            if (rc < 0)
                return rc;
            if (m.aid_len == mod_len && memcmp(m.aid, mod_aid, mod_len) == 0)
                break;
        }
        if (mod == elf.hdr[ELF_NMOD])
            return COS_SW_REF_NOT_FOUND;
        if (m.par_len + c9_len > GP_PARAMS_MAX)
            return COS_SW_WRONG_DATA;
        rc = m.par_len
                 ? cos_obj_read(o->ctx, &elf.h, (uint16_t)(ELF_HDR + m.par_off), params, m.par_len)
                 : 0;
        if (rc < 0)
            return rc;
        if (c9_len)
            memcpy(params + m.par_len, c9, c9_len);
        plen = m.par_len + c9_len;
        fcilen = m.fci_len;
        rc = fcilen ? cos_obj_read(o->ctx, &elf.h, (uint16_t)(ELF_HDR + m.fci_off), fci, m.fci_len)
                    : 0;
        if (rc < 0)
            return rc;
        spec.class_id = m.class_id;
        spec.df.fid = m.fid;
    }
    spec.df.name = app_aid;
    spec.df.namelen = (uint8_t)app_len;
    spec.df.fci = fcilen ? fci : NULL;
    spec.df.fcilen = (uint8_t)fcilen;
    spec.params = plen ? params : NULL;
    spec.plen = (uint16_t)plen;
    spec.sd = o->caller.oid;
    memcpy(spec.priv, privs, 3);
    spec.gp_lcs = (o->cmd.p1 & 0x08) ? GP_APP_SELECTABLE : GP_APP_INSTALLED;

    rc = gp__reg_free(o, &idx);
    if (rc < 0)
        return gp__os_sw(rc);
    rc = cos_txn_begin(o->ctx);
    if (rc == 0)
        rc = cos_inst_create(o->ctx->card, cos_perso_mf(o->ctx->card), &spec, &oid);
    if (rc == COS_ERR_EXISTS && spec.df.fid) {
        /* The module's ADF FID belongs to an earlier instance: this one is selected by
         * its AID only (docs/load-file.md). */
        spec.df.fid = 0;
        rc = cos_inst_create(o->ctx->card, cos_perso_mf(o->ctx->card), &spec, &oid);
    }
    if (rc > 0) {
        cos_txn_abort(o->ctx);
        return rc; /* the class's install() refused with this status word */
    }
    if (rc == COS_ERR_NOT_FOUND)
        rc = COS_ERR_PARAM; /* the load file names a class this ROM lacks */
    if (rc == 0 && !is_sd) {
        /* The module's file templates become the instance's files. */
        uint16_t at = m.files_off;
        cos_ef_spec f;
        while (rc == 0 && (rc = gp__elf_file(o, &elf, &m, &at, &f, r->buf, 224)) == 1)
            rc = cos_perso_ef(o->ctx->card, oid, &f, NULL);
    }
    if (rc == 0) {
        memset(e, 0, sizeof e);
        gp__put16(e + REG_OID, oid);
        e[REG_ELF] = (uint8_t)slot;
        e[REG_MOD] = (uint8_t)mod;
        gp__put16(e + REG_SD, o->caller.oid);
        rc = gp__reg_put(o, idx, e);
    }
    if (rc == 0 && is_sd)
        rc = cos_share_grant(o->ctx, app_aid, app_len, GP_IFACE_OPEN);
    if (rc == 0)
        rc = cos_txn_commit(o->ctx);
    else if (cos_txn_is_open(o->ctx))
        cos_txn_abort(o->ctx);
    cos_wipe(r->buf, r->cap);
    if (rc < 0)
        return gp__os_sw(rc);
    r->len = 0;
    rc = cos_resp_u8(r, 0x00); /* 11.5.3: a single byte 00 */
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* Finds the application named by AID that the caller may manage. */
static int target(gp_open *o, const uint8_t *aid, size_t n, cos_app_info *app, uint8_t e[REG_SIZE],
                  int *has, unsigned *idx)
{
    int rc = cos_app_find(o->ctx->card, aid, n, app);

    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (app->oid == o->ctx->inst)
        return COS_SW_CONDITIONS;
    *has = gp__reg_get(o, app->oid, e, idx) == 0;
    return gp__may_manage(o, gp__assoc(o, app, *has ? e : NULL)) ? 0 : (int)COS_SW_CONDITIONS;
}

/* INSTALL [for make selectable] (11.5.2.3.3): 00 00 Lapp app Lpriv priv Lparams Ltoken. */
static int make_selectable(gp_open *o, const uint8_t *d, size_t n, cos_resp *r)
{
    const uint8_t *end = d + n, *x, *aid;
    size_t xn, an;
    cos_app_info app;
    uint8_t e[REG_SIZE];
    unsigned idx;
    int has, rc;

    if (gp__lv(&d, end, &x, &xn) || xn || gp__lv(&d, end, &x, &xn) || xn ||
        gp__lv(&d, end, &aid, &an) || gp__lv(&d, end, &x, &xn) || gp__lv(&d, end, &x, &xn) ||
        gp__lv(&d, end, &x, &xn) || d != end)
        return COS_SW_WRONG_DATA;
    if (!card_open_for_content(o))
        return COS_SW_CONDITIONS;
    rc = target(o, aid, an, &app, e, &has, &idx);
    if (rc != 0)
        return rc;
    if (app.gp_lcs != GP_APP_INSTALLED)
        return COS_SW_CONDITIONS;
    rc = cos_app_set_gp_lcs(o->ctx->card, app.oid, GP_APP_SELECTABLE);
    if (rc < 0)
        return gp__os_sw(rc);
    rc = cos_resp_u8(r, 0x00);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* INSTALL [for personalization] (11.5.2.3.6): 00 00 Lapp app 00 00 00. Only the SD the
 * application belongs to personalizes it. */
static int for_perso(gp_open *o, const uint8_t *d, size_t n, cos_resp *r)
{
    const uint8_t *end = d + n, *x, *aid;
    size_t xn, an;
    cos_app_info app;
    uint8_t e[REG_SIZE];
    int has, rc;

    if (gp__lv(&d, end, &x, &xn) || xn || gp__lv(&d, end, &x, &xn) || xn ||
        gp__lv(&d, end, &aid, &an) || gp__lv(&d, end, &x, &xn) || gp__lv(&d, end, &x, &xn) ||
        gp__lv(&d, end, &x, &xn) || d != end)
        return COS_SW_WRONG_DATA;
    if (!card_open_for_content(o))
        return COS_SW_CONDITIONS;
    rc = cos_app_find(o->ctx->card, aid, an, &app);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    has = gp__reg_get(o, app.oid, e, NULL) == 0;
    if (app.oid == o->ctx->inst || gp__assoc(o, &app, has ? e : NULL) != o->caller.oid)
        return COS_SW_CONDITIONS;
    if (app.gp_lcs & GP_APP_LOCKED)
        return COS_SW_CONDITIONS;
    gp__put16(o->aux, app.oid);
    rc = cos_resp_u8(r, 0x00);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* INSTALL [for extradition] (11.5.2.3.4): Lsd sd 00 Lapp app 00 Lparams Ltoken. The
 * target is an application or a load file; the caller is its current SD (or the
 * ISD), the destination an SD of the card. */
static int extradition(gp_open *o, const uint8_t *d, size_t n, cos_resp *r)
{
    const uint8_t *end = d + n, *x, *sdaid, *aid;
    size_t xn, sn, an;
    cos_app_info app, sd;
    uint8_t e[REG_SIZE];
    unsigned idx, slot;
    gp_elf elf;
    int has, rc;

    if (gp__lv(&d, end, &sdaid, &sn) || gp__lv(&d, end, &x, &xn) || xn ||
        gp__lv(&d, end, &aid, &an) || gp__lv(&d, end, &x, &xn) || xn || gp__lv(&d, end, &x, &xn) ||
        gp__lv(&d, end, &x, &xn) || d != end)
        return COS_SW_WRONG_DATA;
    if (!card_open_for_content(o))
        return COS_SW_CONDITIONS;
    rc = cos_app_find(o->ctx->card, sdaid, sn, &sd);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (sd.class_id != GP_CLASS_ID || !(sd.priv[0] & GP_PRIV1_SD))
        return COS_SW_WRONG_DATA;
    rc = cos_app_find(o->ctx->card, aid, an, &app);
    if (rc == 0) {
        rc = target(o, aid, an, &app, e, &has, &idx);
        if (rc != 0)
            return rc;
        if (app.oid == sd.oid)
            return COS_SW_WRONG_DATA;
        if (!has) {
            /* A personalization-time instance gets its registry entry now. */
            rc = gp__reg_free(o, &idx);
            if (rc < 0)
                return gp__os_sw(rc);
            memset(e, 0, sizeof e);
            gp__put16(e + REG_OID, app.oid);
            e[REG_ELF] = REG_NONE;
        }
        gp__put16(e + REG_SD, sd.oid);
        rc = gp__reg_put(o, idx, e);
    } else if (rc == COS_ERR_NOT_FOUND) {
        rc = gp__elf_find(o, aid, an, &slot, &elf);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_REF_NOT_FOUND;
        if (rc < 0)
            return rc;
        if (!gp__may_manage(o, gp__get16(elf.hdr + ELF_SD)))
            return COS_SW_CONDITIONS;
        uint8_t b[2];
        gp__put16(b, sd.oid);
        rc = cos_obj_write(o->ctx, &elf.h, ELF_SD, b, 2);
    }
    if (rc < 0)
        return gp__os_sw(rc);
    rc = cos_resp_u8(r, 0x00);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

int gp__cmd_install(gp_open *o, cos_resp *r)
{
    const uint8_t *d = o->cmd.data;
    size_t n = o->cmd.nc;

    /* 11.5.2.1: P1 b8 "more commands" is ignored; P2 00 (no combined load). */
    if (o->cmd.p2 != 0x00)
        return COS_SW_WRONG_P1P2;
    switch (o->cmd.p1 & 0x7F) {
    case 0x02:
        return gp__install_load(o, d, n, r);
    case 0x04:
    case 0x0C:
        return for_install(o, d, n, r);
    case 0x08:
        return make_selectable(o, d, n, r);
    case 0x10:
        return extradition(o, d, n, r);
    case 0x20:
        return for_perso(o, d, n, r);
    default:
        return COS_SW_WRONG_P1P2;
    }
}
