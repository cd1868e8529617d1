/*
 * obol applet gp: GET STATUS and SET STATUS (GP CS 2.3, 11.4 and 11.10) and the card
 * life cycle (5.1).
 *
 * GET STATUS answers in format 2 (P2 02: tagged entries E3 { 4F AID, 9F70 life cycle,
 * C5 privileges, C4 load file, CE version, 84 module, CC associated SD }), filtered by
 * an AID prefix (4F in the data field). An answer that does not fit ends with 6310 and
 * the same command with P2 03 continues where it stopped (11.4.2.2); the SD keeps the
 * position. An SSD sees only its own content unless it has Global Registry.
 *
 * Card life cycle (5.1.1): OP_READY -> INITIALIZED -> SECURED <-> CARD_LOCKED, and any
 * state -> TERMINATED; nothing goes back. Locking needs Card Lock, terminating Card
 * Terminate, and only the ISD unlocks. While the card is locked or terminated only the
 * ISD may be selected (5.1.1.4, 5.1.1.5): the card OS has no card-level hook for that,
 * so the OPEN locks every other instance and marks it (RF_CARD_LOCK) so that unlocking
 * the card restores exactly those.
 */
#include <string.h>

#include "gp_internal.h"

/* ---- GET STATUS ----------------------------------------------------------------------------- */

static int aid_match(const uint8_t *aid, size_t n, const uint8_t *pre, size_t pn)
{
    return pn <= n && memcmp(aid, pre, pn) == 0;
}

static int visible(const gp_open *o, cos_oid sd)
{
    return o->isd || (o->caller.priv[1] & GP_PRIV2_GLOBAL_REGISTRY) || sd == o->caller.oid;
}

/* Appends the E3 template built in T to R, or says it does not fit (1). */
static int emit(cos_resp *r, const cos_resp *t)
{
    if ((size_t)r->len + 2 + t->len > r->cap)
        return 1;
    return gp__tlv_put(r, 0xE3, t->buf, t->len);
}

static int sd_aid(gp_open *o, cos_oid sd, cos_app_info *out)
{
    return gp__app_by_oid(o, sd, out);
}

static int app_entry(gp_open *o, const cos_app_info *app, const uint8_t *e, cos_oid sd, cos_resp *t)
{
    cos_app_info s;
    gp_elf elf;
    int rc = gp__tlv_put(t, 0x4F, app->aid, app->aid_len);

    if (rc == 0)
        rc = gp__tlv_put(t, 0x9F70, &app->gp_lcs, 1);
    if (rc == 0)
        rc = gp__tlv_put(t, 0xC5, app->priv, 3);
    if (rc == 0 && e && e[REG_ELF] == REG_ROM)
        rc = gp__tlv_put(t, 0xC4, gp_rom_elf_aid, sizeof gp_rom_elf_aid);
    else if (rc == 0 && e && e[REG_ELF] < GP_ELF_MAX && gp__elf_open(o, e[REG_ELF], &elf) == 0)
        rc = gp__tlv_put(t, 0xC4, elf.hdr + ELF_AID, elf.hdr[ELF_AIDLEN]);
    if (rc == 0 && sd_aid(o, sd, &s) == 0)
        rc = gp__tlv_put(t, 0xCC, s.aid, s.aid_len);
    return rc;
}

static int elf_entry(gp_open *o, unsigned idx, int modules, cos_resp *t, cos_oid *sd)
{
    static const uint8_t rom_ver[2] = {0x01, 0x00};
    uint8_t one = GP_ELF_LOADED;
    cos_app_info s;
    gp_module m;
    gp_elf e;
    int rc;

    if (idx == 0) {
        /* ROM: the security domain package with its one module. */
        *sd = o->ctx->inst;
        rc = gp__tlv_put(t, 0x4F, gp_rom_elf_aid, sizeof gp_rom_elf_aid);
        if (rc == 0)
            rc = gp__tlv_put(t, 0x9F70, &one, 1);
        if (rc == 0)
            rc = gp__tlv_put(t, 0xCE, rom_ver, 2);
        if (rc == 0 && modules)
            rc = gp__tlv_put(t, 0x84, gp_sd_module_aid, sizeof gp_sd_module_aid);
    } else {
        rc = gp__elf_open(o, idx - 1, &e);
        if (rc < 0)
            return rc;
        if (e.hdr[ELF_STATE] != ES_LOADED)
            return COS_ERR_NOT_FOUND;
        *sd = gp__get16(e.hdr + ELF_SD);
        rc = gp__tlv_put(t, 0x4F, e.hdr + ELF_AID, e.hdr[ELF_AIDLEN]);
        if (rc == 0)
            rc = gp__tlv_put(t, 0x9F70, &one, 1);
        if (rc == 0)
            rc = gp__tlv_put(t, 0xCE, e.hdr + ELF_VER, 2);
        for (unsigned k = 0; rc == 0 && modules && k < e.hdr[ELF_NMOD]; k++) {
            rc = gp__elf_module(o, &e, k, &m);
            if (rc == 0)
                rc = gp__tlv_put(t, 0x84, m.aid, m.aid_len);
        }
    }
    if (rc == 0 && sd_aid(o, *sd, &s) == 0)
        rc = gp__tlv_put(t, 0xCC, s.aid, s.aid_len);
    return rc;
}

int gp__cmd_get_status(gp_open *o, cos_resp *r)
{
    uint8_t tb[160], e[REG_SIZE]; /* one entry: 4 modules of 16-byte AIDs fit */
    const uint8_t *pre;
    size_t pn;
    cos_app_info app;
    cos_oid at, sd;
    int rc, any = 0, next = o->cmd.p2 & 0x01;

    if ((o->cmd.p2 & 0xFE) != 0x02)
        return COS_SW_WRONG_P1P2; /* format 2 only */
    if (gp__tlv_find(o->cmd.data, o->cmd.nc, 0x4F, &pre, &pn) != 1 || pn > 16)
        return COS_SW_WRONG_DATA;
    switch (o->cmd.p1) {
    case 0x80: {
        cos_resp t = {tb, sizeof tb, 0};
        uint8_t lcs = gp__open_lcs(o);
        if (next || !visible(o, o->ctx->inst))
            return COS_SW_REF_NOT_FOUND;
        rc = cos_app_aid(o->ctx, app.aid);
        if (rc < 0)
            return rc;
        if (!aid_match(app.aid, (size_t)rc, pre, pn))
            return COS_SW_REF_NOT_FOUND;
        rc = gp__tlv_put(&t, 0x4F, app.aid, (size_t)rc);
        if (rc == 0)
            rc = gp__tlv_put(&t, 0x9F70, &lcs, 1);
        if (rc == 0)
            rc = gp__app_by_oid(o, o->ctx->inst, &app);
        if (rc == 0)
            rc = gp__tlv_put(&t, 0xC5, app.priv, 3);
        if (rc == 0)
            rc = emit(r, &t);
        return rc < 0 ? rc : (int)COS_SW_OK;
    }
    case 0x40:
        at = next ? gp__get16(o->aux) : 0;
        while ((rc = cos_app_next(o->ctx->card, &at, &app)) == 0) {
            cos_resp t = {tb, sizeof tb, 0};
            int has;
            if (app.oid == o->ctx->inst || !aid_match(app.aid, app.aid_len, pre, pn))
                continue;
            has = gp__reg_get(o, app.oid, e, NULL) == 0;
            sd = gp__assoc(o, &app, has ? e : NULL);
            if (!visible(o, sd))
                continue;
            rc = app_entry(o, &app, has ? e : NULL, sd, &t);
            if (rc < 0)
                return rc;
            rc = emit(r, &t);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                gp__put16(o->aux, (uint16_t)(app.oid - 1));
                return 0x6310;
            }
            any = 1;
        }
        if (rc != COS_ERR_NOT_FOUND)
            return rc;
        break;
    case 0x20:
    case 0x10:
        for (unsigned idx = next ? gp__get16(o->aux) : 0; idx <= GP_ELF_MAX; idx++) {
            cos_resp t = {tb, sizeof tb, 0};
            rc = elf_entry(o, idx, o->cmd.p1 == 0x10, &t, &sd);
            if (rc == COS_ERR_NOT_FOUND)
                continue;
            if (rc < 0)
                return rc;
            if (!visible(o, sd) || !aid_match(tb + 2, tb[1], pre, pn))
                continue;
            rc = emit(r, &t);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                gp__put16(o->aux, (uint16_t)idx);
                return 0x6310;
            }
            any = 1;
        }
        break;
    default:
        return COS_SW_WRONG_P1P2;
    }
    return any || next ? (int)COS_SW_OK : (int)COS_SW_REF_NOT_FOUND;
}

/* ---- SET STATUS -------------------------------------------------------------------------------
 */

/* Locks (LOCK) or unlocks one instance; FLAG_CARD marks a lock owed to the card lock. */
static int lock_one(gp_open *o, const cos_app_info *app, int lock, int card)
{
    uint8_t e[REG_SIZE];
    unsigned idx;
    int has = gp__reg_get(o, app->oid, e, &idx) == 0, rc;

    if (card) {
        if (lock && (app->gp_lcs & GP_APP_LOCKED))
            return 0; /* locked already: the card lock leaves it so when it ends */
        if (!lock && !(has && (e[REG_FLAGS] & RF_CARD_LOCK)))
            return 0;
        if (!has) {
            rc = gp__reg_free(o, &idx);
            if (rc < 0)
                return rc;
            memset(e, 0, sizeof e);
            gp__put16(e + REG_OID, app->oid);
            e[REG_ELF] = REG_NONE;
            gp__put16(e + REG_SD, gp__assoc(o, app, NULL));
        }
        if (lock)
            e[REG_FLAGS] |= RF_CARD_LOCK;
        else
            e[REG_FLAGS] &= (uint8_t)~RF_CARD_LOCK;
        rc = gp__reg_put(o, idx, e);
        if (rc < 0)
            return rc;
    }
    return cos_app_set_gp_lcs(o->ctx->card, app->oid,
                              lock ? (uint8_t)(app->gp_lcs | GP_APP_LOCKED)
                                   : (uint8_t)(app->gp_lcs & ~GP_APP_LOCKED));
}

static int lock_all(gp_open *o, int lock)
{
    cos_app_info app;
    cos_oid at = 0;
    int rc;

    while ((rc = cos_app_next(o->ctx->card, &at, &app)) == 0) {
        if (app.oid == o->ctx->inst)
            continue;
        rc = lock_one(o, &app, lock, 1);
        if (rc < 0)
            return rc;
    }
    return rc == COS_ERR_NOT_FOUND ? 0 : rc;
}

static int card_state(gp_open *o)
{
    uint8_t cur = gp__open_lcs(o), to = o->cmd.p2;
    const uint8_t *aid = o->cmd.data;
    int ok, rc;

    if (o->cmd.nc) {
        uint8_t mine[COS_AID_MAX];
        rc = cos_app_aid(o->ctx, mine);
        if (rc < 0)
            return rc;
        if ((size_t)rc != o->cmd.nc || memcmp(mine, aid, o->cmd.nc) != 0)
            return COS_SW_REF_NOT_FOUND;
    }
    /* 5.1.1: the transitions allowed, and who may make them. */
    if (to == GP_CARD_TERMINATED)
        ok = cur != GP_CARD_TERMINATED && (o->isd || (o->caller.priv[0] & GP_PRIV1_CARD_TERMINATE));
    else if (to == GP_CARD_LOCKED)
        ok = cur == GP_CARD_SECURED && (o->isd || (o->caller.priv[0] & GP_PRIV1_CARD_LOCK));
    else if (to == GP_CARD_SECURED)
        ok = (cur == GP_CARD_INITIALIZED || cur == GP_CARD_LOCKED) && o->isd;
    else if (to == GP_CARD_INITIALIZED)
        ok = cur == GP_CARD_OP_READY && o->isd;
    else
        return COS_SW_WRONG_P1P2;
    if (!ok)
        return COS_SW_CONDITIONS;
    rc = cos_txn_begin(o->ctx);
    if (rc == 0 && (to == GP_CARD_LOCKED || to == GP_CARD_TERMINATED))
        rc = lock_all(o, 1);
    else if (rc == 0 && cur == GP_CARD_LOCKED)
        rc = lock_all(o, 0);
    if (rc == 0)
        rc = gp__open_set_lcs(o, to);
    if (rc == 0)
        rc = cos_txn_commit(o->ctx);
    else if (cos_txn_is_open(o->ctx))
        cos_txn_abort(o->ctx);
    return rc < 0 ? gp__os_sw(rc) : (int)COS_SW_OK;
}

static int app_state(gp_open *o)
{
    cos_app_info app, x;
    uint8_t e[REG_SIZE], to = o->cmd.p2;
    unsigned idx;
    cos_oid at = 0;
    int has, rc, lock = to == 0x80, with_apps = o->cmd.p1 == 0x60;

    if (o->cmd.nc < 5 || o->cmd.nc > 16)
        return COS_SW_WRONG_DATA;
    if (gp__open_lcs(o) >= GP_CARD_LOCKED)
        return COS_SW_CONDITIONS;
    rc = cos_app_find(o->ctx->card, o->cmd.data, o->cmd.nc, &app);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (app.oid == o->ctx->inst)
        return COS_SW_CONDITIONS; /* the ISD's state is the card's: P1 80 */
    has = gp__reg_get(o, app.oid, e, &idx) == 0;
    if (!gp__may_manage(o, gp__assoc(o, &app, has ? e : NULL)) &&
        !((to == 0x80 || to == 0x00) && (o->caller.priv[1] & GP_PRIV2_GLOBAL_LOCK)))
        return COS_SW_CONDITIONS;
    if (with_apps && app.class_id != GP_CLASS_ID)
        return COS_SW_WRONG_DATA;
    if (to == GP_SD_PERSONALIZED) {
        /* 5.3.2: an SD goes SELECTABLE -> PERSONALIZED. */
        if (with_apps || app.class_id != GP_CLASS_ID || app.gp_lcs != GP_APP_SELECTABLE)
            return COS_SW_CONDITIONS;
        rc = cos_app_set_gp_lcs(o->ctx->card, app.oid, GP_SD_PERSONALIZED);
        return rc < 0 ? gp__os_sw(rc) : (int)COS_SW_OK;
    }
    if (to != 0x80 && to != 0x00)
        return COS_SW_WRONG_P1P2;
    /* 5.3.1.4: LOCKED is b8 over the state it came from; unlocking restores it. */
    if (lock == ((app.gp_lcs & GP_APP_LOCKED) != 0) || (has && (e[REG_FLAGS] & RF_CARD_LOCK)))
        return COS_SW_CONDITIONS;
    rc = cos_txn_begin(o->ctx);
    if (rc == 0)
        rc = lock_one(o, &app, lock, 0);
    while (rc == 0 && with_apps && (rc = cos_app_next(o->ctx->card, &at, &x)) == 0) {
        int xh = gp__reg_get(o, x.oid, e, NULL) == 0;
        if (x.oid == app.oid || gp__assoc(o, &x, xh ? e : NULL) != app.oid ||
            lock == ((x.gp_lcs & GP_APP_LOCKED) != 0))
            continue;
        rc = lock_one(o, &x, lock, 0);
    }
    if (rc == COS_ERR_NOT_FOUND)
        rc = 0;
    if (rc == 0)
        rc = cos_txn_commit(o->ctx);
    else if (cos_txn_is_open(o->ctx))
        cos_txn_abort(o->ctx);
    return rc < 0 ? gp__os_sw(rc) : (int)COS_SW_OK;
}

int gp__cmd_set_status(gp_open *o, cos_resp *r)
{
    (void)r;
    switch (o->cmd.p1) {
    case 0x80:
        return card_state(o);
    case 0x40:
    case 0x60:
        return app_state(o);
    default:
        return COS_SW_WRONG_P1P2;
    }
}
