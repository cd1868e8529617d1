/*
 * obol applet gp: the GlobalPlatform environment (OPEN, GP CS 2.3 chapter 4 and 9)
 * as the ISD runs it: the entry for content management commands, the registry, the
 * rules of who may manage what, and DELETE.
 *
 * A command reaches the OPEN from the security domain that received it: the ISD calls
 * gp__open_entry() directly, an SSD through the ISD's shareable interface
 * GP_IFACE_OPEN, which the ISD grants to every SD it creates. The card OS names the
 * calling instance, so the OPEN knows which SD speaks: the ISD manages all content
 * (it is the card issuer's), an SSD with Authorized Management only the content
 * associated with it (GP CS 2.3, 9.1 and 9.2). Delegated Management (tokens) is not
 * implemented: an SSD without Authorized Management is refused (6982).
 *
 * The registry (GP_OBJ_REG) records, for every instance created by INSTALL or moved
 * by extradition, its load file, module and associated SD; other instances (created
 * at personalization) belong to the SD their ADF names, or to the ISD.
 */
#include <string.h>

#include "gp_internal.h"

int gp__os_sw(int rc)
{
    switch (rc) {
    case COS_ERR_NO_SPACE:
    case COS_ERR_JOURNAL_FULL:
        return COS_SW_NO_MEMORY;
    case COS_ERR_EXISTS:
    case COS_ERR_PARAM:
        return COS_SW_WRONG_DATA;
    case COS_ERR_NOT_FOUND:
        return COS_SW_REF_NOT_FOUND;
    case COS_ERR_TXN_STATE:
    case COS_ERR_ACCESS:
        return COS_SW_CONDITIONS;
    default:
        return rc;
    }
}

/* ---- the SD side of a call -------------------------------------------------------------- */

int gp__open_call(gp_sd *sd, uint8_t op, const cos_apdu *plain, uint8_t *in, uint8_t aux[2],
                  cos_resp *r)
{
    uint8_t aid[COS_AID_MAX];
    cos_resp o = {r->buf, r->cap, 0};
    int sw, n;

    in[OH_OP] = op;
    in[OH_FLAGS] = 0;
    in[OH_AUX] = aux[0];
    in[OH_AUX + 1] = aux[1];
    in[OH_NC] = (uint8_t)plain->nc;
    in[OH_CLA] = plain->cla;
    in[OH_INS] = plain->ins;
    in[OH_P1] = plain->p1;
    in[OH_P2] = plain->p2;
    if (sd->cfg[CFG_FLAGS] & CF_ISD) {
        n = cos_app_aid(sd->ctx, aid);
        if (n < 0)
            return n;
        sw = gp__open_entry(sd->ctx, aid, (size_t)n, in, GP_HDR + plain->nc, &o);
    } else {
        sw = cos_share_call(sd->ctx, sd->cfg + CFG_ISD, sd->cfg[CFG_ISDLEN], GP_IFACE_OPEN, in,
                            GP_HDR + plain->nc, &o);
        if (sw == COS_ERR_ACCESS || sw == COS_ERR_NOT_FOUND)
            return COS_SW_CONDITIONS; /* no OPEN serves this SD (any more) */
    }
    if (sw < 0)
        return sw;
    if (sw == 0)
        sw = COS_SW_OK;
    r->len = 0;
    if (o.len >= 2) {
        aux[0] = r->buf[0];
        aux[1] = r->buf[1];
        r->len = (uint16_t)(o.len - 2);
        memmove(r->buf, r->buf + 2, r->len);
    }
    return sw;
}

/* ---- registry ---------------------------------------------------------------------------- */

static int reg_open(gp_open *o, cos_obj *h)
{
    return cos_obj_open(o->ctx, GP_OBJ_REG, h);
}

int gp__reg_get(gp_open *o, cos_oid oid, uint8_t e[REG_SIZE], unsigned *idx)
{
    uint8_t chunk[8 * REG_SIZE];
    cos_obj h;
    int rc = reg_open(o, &h);

    for (unsigned base = 0; rc == 0 && base < GP_REG_MAX; base += 8) {
        rc = cos_obj_read(o->ctx, &h, (uint16_t)(base * REG_SIZE), chunk, sizeof chunk);
        for (unsigned i = 0; rc == 0 && i < 8; i++) {
            if (gp__get16(chunk + i * REG_SIZE + REG_OID) == oid) {
                memcpy(e, chunk + i * REG_SIZE, REG_SIZE);
                if (idx)
                    *idx = base + i;
                return 0;
            }
        }
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int gp__reg_free(gp_open *o, unsigned *idx)
{
    uint8_t e[REG_SIZE];
    int rc = gp__reg_get(o, 0, e, idx);
    return rc == COS_ERR_NOT_FOUND ? COS_ERR_NO_SPACE : rc;
}

int gp__reg_put(gp_open *o, unsigned idx, const uint8_t e[REG_SIZE])
{
    cos_obj h;
    int rc = reg_open(o, &h);
    return rc < 0 ? rc : cos_obj_write(o->ctx, &h, (uint16_t)(idx * REG_SIZE), e, REG_SIZE);
}

int gp__app_by_oid(const gp_open *o, cos_oid oid, cos_app_info *out)
{
    cos_oid at = (cos_oid)(oid - 1);
    int rc;

    if (oid == 0)
        return COS_ERR_NOT_FOUND;
    rc = cos_app_next(o->ctx->card, &at, out);
    if (rc == 0 && out->oid != oid)
        rc = COS_ERR_NOT_FOUND;
    return rc;
}

cos_oid gp__assoc(gp_open *o, const cos_app_info *app, const uint8_t *e)
{
    if (e)
        return gp__get16(e + REG_SD);
    return app->sd ? app->sd : o->ctx->inst;
}

int gp__may_manage(const gp_open *o, cos_oid sd)
{
    cos_app_info a;

    if (sd == o->caller.oid)
        return 1;
    if (!o->isd)
        return 0;
    /* Content associated with a supplementary SD that has Authorized Management is that
     * SD's own business (obol's strict reading of GP CS 2.3, 9.2: the Application
     * Provider manages its content without the Card Issuer): the ISD reaches it only
     * through a global privilege its caller checks (Global Delete, Global Lock), so an
     * issuer whose ISD lacks them cannot touch an operator's application. Content of an
     * SD without Authorized Management is the ISD's to manage. */
    return gp__app_by_oid(o, sd, &a) != 0 || !(a.priv[1] & GP_PRIV2_AUTHORIZED);
}

/* ---- card life cycle (kept in the ISD's configuration) ------------------------------- */

uint8_t gp__open_lcs(gp_open *o)
{
    gp_sd sd;
    return gp__sd_load(o->ctx, NULL, &sd) < 0 ? GP_CARD_TERMINATED : sd.cfg[CFG_LCS];
}

int gp__open_set_lcs(gp_open *o, uint8_t lcs)
{
    gp_sd sd;
    int rc = gp__sd_load(o->ctx, NULL, &sd);
    return rc < 0 ? rc : gp__cfg_write(&sd, CFG_LCS, &lcs, 1);
}

/* ---- DELETE (GP CS 2.3, 11.2) -------------------------------------------------------- */

/* Deletes instance APP and its registry entry (IDX, or none). */
static int delete_instance(gp_open *o, const cos_app_info *app, int has_entry, unsigned idx)
{
    uint8_t zero[REG_SIZE];
    int rc = cos_inst_delete(o->ctx->card, app->oid);

    if (rc == 0 && has_entry) {
        memset(zero, 0, sizeof zero);
        rc = gp__reg_put(o, idx, zero);
    }
    if (rc == 0 && app->class_id == GP_CLASS_ID) {
        /* The OPEN no longer serves that SD. */
        rc = cos_share_revoke(o->ctx, app->aid, app->aid_len, GP_IFACE_OPEN);
        if (rc == COS_ERR_NOT_FOUND)
            rc = 0;
    }
    return rc;
}

/* Deletes (when DO) or counts the instances associated with SD or made from load file
 * SLOT (the other one < 0). Returns the count or a negative error. */
static int related(gp_open *o, int sd, int slot, int doit)
{
    cos_app_info app;
    uint8_t e[REG_SIZE];
    cos_oid at = 0;
    int count = 0, rc;

    while ((rc = cos_app_next(o->ctx->card, &at, &app)) == 0) {
        unsigned idx = 0;
        int has = gp__reg_get(o, app.oid, e, &idx) == 0;
        if (app.oid == o->ctx->inst || app.oid == (cos_oid)sd)
            continue;
        if (sd >= 0 ? gp__assoc(o, &app, has ? e : NULL) != (cos_oid)sd
                    : !(has && e[REG_ELF] == (uint8_t)slot))
            continue;
        count++;
        if (doit) {
            rc = delete_instance(o, &app, has, idx);
            if (rc < 0)
                return rc;
            at = 0; /* the chain changed: walk again from the start */
        }
    }
    return rc == COS_ERR_NOT_FOUND ? count : rc;
}

static int related_elfs(gp_open *o, cos_oid sd, int doit)
{
    gp_elf e;
    int count = 0, rc;

    for (unsigned s = 0; s < GP_ELF_MAX; s++) {
        rc = gp__elf_open(o, s, &e);
        if (rc == COS_ERR_NOT_FOUND)
            continue;
        if (rc < 0)
            return rc;
        if (gp__get16(e.hdr + ELF_SD) != sd)
            continue;
        count++;
        if (doit) {
            rc = gp__elf_delete(o, s);
            if (rc < 0)
                return rc;
        }
    }
    return count;
}

static int finish(gp_open *o, int rc, cos_resp *r)
{
    if (rc == 0)
        rc = cos_txn_commit(o->ctx);
    else if (cos_txn_is_open(o->ctx))
        cos_txn_abort(o->ctx);
    if (rc < 0)
        return gp__os_sw(rc);
    rc = cos_resp_u8(r, 0x00); /* 11.2.3: a single byte 00 */
    return rc < 0 ? rc : (int)COS_SW_OK;
}

int gp__cmd_delete(gp_open *o, cos_resp *r)
{
    const uint8_t *aid;
    size_t n;
    cos_app_info app;
    uint8_t e[REG_SIZE];
    unsigned idx = 0, slot;
    int related_too = o->cmd.p2 == 0x80, rc, has, sd_related;
    gp_elf elf;

    if (o->cmd.p1 != 0x00 || (o->cmd.p2 != 0x00 && o->cmd.p2 != 0x80))
        return COS_SW_WRONG_P1P2;
    if (gp__tlv_find(o->cmd.data, o->cmd.nc, 0x4F, &aid, &n) != 1 || n < 5 || n > 16)
        return COS_SW_WRONG_DATA;
    if (gp__open_lcs(o) >= GP_CARD_LOCKED)
        return COS_SW_CONDITIONS;

    rc = cos_app_find(o->ctx->card, aid, n, &app);
    if (rc == 0) {
        if (app.oid == o->ctx->inst)
            return COS_SW_CONDITIONS; /* the ISD is not deletable */
        has = gp__reg_get(o, app.oid, e, &idx) == 0;
        if (!gp__may_manage(o, gp__assoc(o, &app, has ? e : NULL)) &&
            !(o->caller.priv[1] & GP_PRIV2_GLOBAL_DELETE))
            return COS_SW_CONDITIONS;
        sd_related = 0;
        if (app.class_id == GP_CLASS_ID) {
            rc = related(o, app.oid, -1, 0);
            if (rc >= 0)
                sd_related = rc;
            if (rc >= 0)
                rc = related_elfs(o, app.oid, 0);
            if (rc < 0)
                return rc;
            sd_related += rc;
            if (sd_related && !related_too)
                return COS_SW_CONDITIONS; /* 11.2.2.1: the SD still has content */
            /* Deleting an SD with its content deletes that content too: it takes the
             * right to delete the content itself. */
            if (sd_related && !gp__may_manage(o, app.oid) &&
                !(o->caller.priv[1] & GP_PRIV2_GLOBAL_DELETE))
                return COS_SW_CONDITIONS;
        }
        rc = cos_txn_begin(o->ctx);
        if (rc == 0 && sd_related) {
            rc = related(o, app.oid, -1, 1);
            if (rc >= 0)
                rc = related_elfs(o, app.oid, 1);
            if (rc > 0)
                rc = 0;
        }
        if (rc == 0)
            rc = delete_instance(o, &app, has, idx);
        return finish(o, rc, r);
    }
    if (rc != COS_ERR_NOT_FOUND)
        return rc;
    if (n == sizeof gp_rom_elf_aid && memcmp(aid, gp_rom_elf_aid, n) == 0)
        return COS_SW_CONDITIONS; /* ROM is ROM */
    rc = gp__elf_find(o, aid, n, &slot, &elf);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (!gp__may_manage(o, gp__get16(elf.hdr + ELF_SD)) &&
        !(o->caller.priv[1] & GP_PRIV2_GLOBAL_DELETE))
        return COS_SW_CONDITIONS;
    rc = related(o, -1, (int)slot, 0);
    if (rc < 0)
        return rc;
    if (rc > 0 && !related_too)
        return COS_SW_CONDITIONS; /* instances of the load file exist */
    rc = cos_txn_begin(o->ctx);
    if (rc == 0 && related_too)
        rc = related(o, -1, (int)slot, 1);
    if (rc > 0)
        rc = 0;
    if (rc == 0)
        rc = gp__elf_delete(o, slot);
    return finish(o, rc, r);
}

/* ---- forwarding STORE DATA to an application (GP CS 2.3 11.11, processData) ---------- */

static int forward(gp_open *o, cos_resp *r)
{
    uint8_t out[32], e[REG_SIZE];
    cos_resp t = {out, sizeof out, 0};
    cos_app_info app;
    int rc, has;

    rc = gp__app_by_oid(o, gp__get16(o->aux), &app);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    has = gp__reg_get(o, app.oid, e, NULL) == 0;
    /* Personalization is the associated SD's own business: not even the ISD reaches
     * into an application of an SSD. */
    if (gp__assoc(o, &app, has ? e : NULL) != o->caller.oid)
        return COS_SW_CONDITIONS;
    rc = cos_share_call(o->ctx, app.aid, app.aid_len, GP_IFACE_PERSO, o->fwd, o->fwdlen, &t);
    if (rc == COS_ERR_ACCESS || rc == COS_ERR_NOT_FOUND)
        return COS_SW_CONDITIONS; /* the application takes no personalization */
    if (rc < 0)
        return rc;
    if (rc == 0)
        rc = COS_SW_OK;
    if (gp__sw_ok(rc) && t.len && cos_resp_put(r, out, t.len) < 0)
        return COS_ERR_BUFFER;
    return rc;
}

/* ---- entry -------------------------------------------------------------------------------- */

int gp__open_entry(cos_ctx *ctx, const uint8_t *client, size_t clen, const uint8_t *in,
                   size_t inlen, cos_resp *out)
{
    gp_open o;
    cos_resp body;
    int sw, rc;

    if (inlen < GP_HDR || in[OH_NC] != inlen - GP_HDR || out->cap < 2)
        return COS_SW_WRONG_LENGTH;
    memset(&o, 0, sizeof o);
    o.ctx = ctx;
    rc = cos_app_find(ctx->card, client, clen, &o.caller);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_CONDITIONS;
    if (rc < 0)
        return rc;
    if (o.caller.class_id != GP_CLASS_ID || !(o.caller.priv[0] & GP_PRIV1_SD))
        return COS_SW_CONDITIONS;
    o.isd = o.caller.oid == ctx->inst;
    o.cmd.cla = in[OH_CLA];
    o.cmd.ins = in[OH_INS];
    o.cmd.p1 = in[OH_P1];
    o.cmd.p2 = in[OH_P2];
    o.cmd.nc = in[OH_NC];
    o.cmd.data = in + GP_HDR;
    o.fwd = in + OH_P1;
    o.fwdlen = 2u + in[OH_NC];
    o.aux[0] = in[OH_AUX];
    o.aux[1] = in[OH_AUX + 1];
    o.flags = in[OH_FLAGS];
    body.buf = out->buf + 2;
    body.cap = (uint16_t)(out->cap - 2);
    body.len = 0;

    switch (in[OH_OP]) {
    case GP_OP_STATE:
        rc = cos_resp_u8(&body, gp__open_lcs(&o));
        sw = rc < 0 ? rc : (int)COS_SW_OK;
        break;
    case GP_OP_FORWARD:
        sw = forward(&o, &body);
        break;
    case GP_OP_CMD:
        /* 9.2: an SSD manages content only with Authorized Management. */
        if (!o.isd && !(o.caller.priv[1] & GP_PRIV2_AUTHORIZED) && o.cmd.ins != 0xF2) {
            sw = COS_SW_SECURITY;
            break;
        }
        switch (o.cmd.ins) {
        case 0xE6:
            sw = gp__cmd_install(&o, &body);
            break;
        case 0xE8:
            sw = gp__cmd_load(&o, &body);
            break;
        case 0xE4:
            sw = gp__cmd_delete(&o, &body);
            break;
        case 0xF2:
            sw = gp__cmd_get_status(&o, &body);
            break;
        case 0xF0:
            sw = gp__cmd_set_status(&o, &body);
            break;
        default:
            sw = COS_SW_INS_UNSUPPORTED;
            break;
        }
        break;
    default:
        sw = COS_SW_CONDITIONS;
        break;
    }
    if (cos_txn_is_open(ctx))
        cos_txn_abort(ctx); /* a handler never leaves one open; be sure */
    out->buf[0] = o.aux[0];
    out->buf[1] = o.aux[1];
    out->len = (uint16_t)(2 + body.len);
    return sw;
}
