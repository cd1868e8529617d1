/*
 * obol card OS: formatting, personalization and applet instances (cos_perso.h).
 *
 * The issuer's operations: they bypass access conditions and the firewall. Each one
 * is a transaction of its own (or joins the open one), so a personalization torn by
 * power loss holds a prefix of its steps. Formatting is the exception: it rewrites
 * the whole image and is simply repeated if torn.
 */
#include "cos_internal.h"

static int need_power(const cos_card *c)
{
    if (!c)
        return COS_ERR_PARAM;
    return c->power == 1 ? 0 : c->power == 2 ? COS_ERR_POWER_LOST : COS_ERR_NOT_POWERED;
}

static int erase_all(cos_card *c)
{
    uint8_t ff[64];
    int rc;

    if (c->hal->nvm_erase) {
        c->cost.nvm_writes++;
        c->cost.nvm_bytes += c->nvm_size;
        if (c->nvm_page)
            c->cost.nvm_pages += (c->nvm_size + c->nvm_page - 1u) / c->nvm_page;
        rc = c->hal->nvm_erase(c->port, 0, c->nvm_size);
        return rc < 0 ? cos__power_lost(c, rc) : 0;
    }
    memset(ff, 0xFF, sizeof ff);
    for (uint32_t at = 0; at < c->nvm_size; at += sizeof ff) {
        uint32_t n = c->nvm_size - at < sizeof ff ? c->nvm_size - at : (uint32_t)sizeof ff;
        rc = cos__nvm_write_raw(c, at, ff, n);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static uint32_t align_up(uint32_t v)
{
    return (v + COS_NVM_ALIGN - 1) / COS_NVM_ALIGN * COS_NVM_ALIGN;
}

int cos_format(cos_card *c, const cos_format_params *p)
{
    uint8_t h[COS__HDR_SIZE], o[COS__OBJ_HDR + 4 + COS_AID_MAX];
    uint32_t jsize, heap, mfsize, end;
    uint8_t namelen = p && p->mf_name ? p->mf_name_len : 0;
    int rc;

    if (!c || namelen > COS_AID_MAX)
        return COS_ERR_PARAM;
    jsize = p && p->journal_size ? p->journal_size : COS_JOURNAL_DEFAULT;
    heap = align_up(COS__HDR_SIZE + jsize);
    jsize = heap - COS__HDR_SIZE; /* the alignment slack joins the journal */
    end = c->nvm_size - c->nvm_size % COS_NVM_ALIGN;
    if (jsize < 16 || jsize > 0xFFFF || heap + 256 > end)
        return COS_ERR_PARAM;
    c->power = 1;
    memset(&c->txn, 0, sizeof c->txn);
    rc = erase_all(c);
    if (rc < 0)
        goto out;

    memset(h, 0, sizeof h);
    memcpy(h, COS__MAGIC, 4);
    h[4] = COS__VERSION;
    h[COS__HDR_STATE] = COS_LCS_CREATION;
    h[COS__HDR_OPTIONS] = p ? p->options : 0;
    h[7] = COS_NVM_ALIGN;
    cos__put32(h + 8, c->nvm_size);
    cos__put16(h + 12, COS__HDR_SIZE);
    cos__put16(h + 14, (uint16_t)jsize);
    cos__put32(h + 16, heap);
    cos__put16(h + 20, cos__off_oid(heap));
    rc = cos__nvm_write_raw(c, 0, h, sizeof h);
    if (rc == 0) {
        uint8_t zero = 0;
        rc = cos__nvm_write_raw(c, COS__HDR_SIZE, &zero, 1);
    }
    if (rc < 0)
        goto out;

    /* The MF: a DF with FID 3F00 and no parent. */
    mfsize = align_up(COS__OBJ_HDR + 4u + namelen);
    memset(o, 0, sizeof o);
    o[0] = COS__T_DF;
    o[1] = COS_LCS_ACTIVE;
    cos__put16(o + 2, (uint16_t)(mfsize / COS_NVM_ALIGN));
    cos__put16(o + 6, 0x3F00);
    o[COS__OBJ_HDR + 1] = COS_AC_NEVER;
    o[COS__OBJ_HDR + 2] = namelen;
    if (namelen)
        memcpy(o + COS__OBJ_HDR + 4, p->mf_name, namelen);
    rc = cos__nvm_write_raw(c, heap, o, mfsize);
    if (rc < 0)
        goto out;
    /* Everything after it is one free object. */
    memset(o, 0, COS__OBJ_HDR);
    o[0] = COS__T_FREE;
    cos__put16(o + 2, (uint16_t)((end - heap - mfsize) / COS_NVM_ALIGN));
    rc = cos__nvm_write_raw(c, heap + mfsize, o, COS__OBJ_HDR);
out:
    if (c->power != 2)
        c->power = 0;
    return rc;
}

cos_oid cos_perso_mf(const cos_card *c)
{
    return c && c->power == 1 ? c->mf : 0;
}

static int check_df(cos_card *c, cos_oid df)
{
    cos__obj o;
    int rc = cos__obj_load(c, df, &o);
    if (rc < 0)
        return rc == COS_ERR_NOT_FOUND ? COS_ERR_PARAM : rc;
    return COS__IS_DF(o.type) ? 0 : COS_ERR_PARAM;
}

static int fid_free(cos_card *c, cos_oid parent, uint16_t fid)
{
    cos_oid t;
    int rc;

    if (fid == 0)
        return 0;
    if (fid == 0x3F00 || fid == 0x3FFF || fid == 0xFFFF)
        return COS_ERR_PARAM;
    rc = cos__fs_child_fid(c, parent, fid, &t);
    return rc == 0 ? COS_ERR_EXISTS : rc == COS_ERR_NOT_FOUND ? 0 : rc;
}

/* The DF body (after an ADF's app part): ac_create, ac_delete, namelen, fcilen, ... */
static size_t df_body(const cos_df_spec *s, uint8_t *b)
{
    b[0] = COS_AC_NEVER;
    b[1] = COS_AC_NEVER;
    b[2] = s->namelen;
    b[3] = s->fcilen;
    if (s->namelen)
        memcpy(b + 4, s->name, s->namelen);
    if (s->fcilen)
        memcpy(b + 4 + s->namelen, s->fci, s->fcilen);
    return 4u + s->namelen + s->fcilen;
}

static int df_spec_ok(const cos_df_spec *s)
{
    return s && s->namelen <= COS_AID_MAX && s->fcilen <= COS_FCI_MAX && (!s->namelen || s->name) &&
           (!s->fcilen || s->fci);
}

int cos_perso_df(cos_card *c, cos_oid parent, const cos_df_spec *s, cos_oid *out)
{
    uint8_t b[4 + COS_AID_MAX + COS_FCI_MAX];
    cos__obj o;
    int rc = need_power(c);

    if (rc < 0)
        return rc;
    if (!df_spec_ok(s))
        return COS_ERR_PARAM;
    rc = check_df(c, parent);
    if (rc == 0)
        rc = fid_free(c, parent, s->fid);
    if (rc < 0)
        return rc;
    size_t n = df_body(s, b);
    rc = cos__obj_alloc(c, COS__T_DF, COS_LCS_ACTIVE, parent, s->fid, b, n, n, &o);
    if (rc == 0 && out)
        *out = cos__off_oid(o.off);
    return rc;
}

int cos_perso_ef(cos_card *c, cos_oid parent, const cos_ef_spec *s, cos_oid *out)
{
    uint8_t b[COS__EF_HDR];
    uint32_t size;
    unsigned ninit = 0;
    cos__obj o;
    int rc = need_power(c);

    if (rc < 0)
        return rc;
    if (!s || !s->fid || s->sfi > 30 || (s->init_len && !s->init))
        return COS_ERR_PARAM;
    if (s->type == COS_EF_TRANSPARENT) {
        size = s->size;
        if (size == 0 || size > 0x7FFF || s->init_len > size)
            return COS_ERR_PARAM;
    } else if (s->type == COS_EF_LINEAR || s->type == COS_EF_CYCLIC) {
        if (s->reclen == 0 || s->nrec == 0 || s->nrec > 254 || s->init_len % s->reclen)
            return COS_ERR_PARAM;
        size = (uint32_t)s->reclen * s->nrec;
        ninit = s->init_len / s->reclen;
        if (ninit > s->nrec)
            return COS_ERR_PARAM;
    } else {
        return COS_ERR_PARAM;
    }
    rc = check_df(c, parent);
    if (rc == 0)
        rc = fid_free(c, parent, s->fid);
    if (rc < 0)
        return rc;
    memset(b, 0, sizeof b);
    b[0] = s->sfi;
    b[1] = s->ac_read;
    b[2] = s->ac_write;
    if (s->type != COS_EF_TRANSPARENT) {
        b[3] = s->reclen;
        b[4] = s->nrec;
        b[5] = (uint8_t)ninit;
        b[6] = (uint8_t)(ninit ? ninit - 1 : 0); /* the last initial record is the newest */
    }
    cos__put16(b + 8, (uint16_t)size);
    rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    rc = cos__obj_alloc(c, s->type, COS_LCS_ACTIVE, parent, s->fid, b, sizeof b, sizeof b + size,
                        &o);
    if (rc == 0 && s->init_len)
        rc = cos__nvm_write(c, o.off + COS__OBJ_HDR + COS__EF_HDR, s->init, s->init_len);
    rc = cos__txn_leave(c, rc, rc == 0);
    if (rc == 0 && out)
        *out = cos__off_oid(o.off);
    return rc;
}

int cos_perso_pin(cos_card *c, cos_oid df, uint8_t ref, const uint8_t *pin, uint8_t len,
                  uint8_t maxlen, uint8_t tries, uint8_t puk_ref, cos_oid *out)
{
    uint8_t b[COS__PIN_HDR + COS_PIN_MAX];
    cos__obj o = {0};
    int rc = need_power(c);

    if (rc < 0)
        return rc;
    if (ref == 0 || ref > 31 || !pin || len == 0 || len > maxlen || maxlen > COS_PIN_MAX ||
        tries == 0 || tries > 15 || puk_ref > 31)
        return COS_ERR_PARAM;
    rc = check_df(c, df);
    if (rc < 0)
        return rc;
    while ((rc = cos__obj_next(c, &o)) == 1)
        if (o.type == COS__T_PIN && o.parent == df && o.id == ref)
            return COS_ERR_EXISTS;
    if (rc < 0)
        return rc;
    memset(b, 0, sizeof b);
    b[0] = tries;
    b[1] = tries;
    b[2] = len;
    b[3] = maxlen;
    b[4] = puk_ref;
    memcpy(b + COS__PIN_HDR, pin, len);
    rc = cos__obj_alloc(c, COS__T_PIN, 0, df, ref, b, COS__PIN_HDR + maxlen, COS__PIN_HDR + maxlen,
                        &o);
    if (rc == 0 && out)
        *out = cos__off_oid(o.off);
    return rc;
}

int cos_perso_key(cos_card *c, cos_oid df, const cos_key_spec *spec, cos_oid *out)
{
    int rc = need_power(c);
    if (rc == 0)
        rc = check_df(c, df);
    return rc < 0 ? rc : cos__key_create(c, df, spec, out);
}

int cos_perso_finish(cos_card *c)
{
    uint8_t v = COS_LCS_ACTIVE;
    int rc = need_power(c);
    if (rc == 0)
        rc = cos__nvm_write_raw(c, COS__HDR_STATE, &v, 1);
    if (rc == 0)
        c->card_state = v;
    return rc;
}

/* ---- instances ------------------------------------------------------------------------ */

static void app_info(const cos__df *d, cos_app_info *out)
{
    out->oid = cos__off_oid(d->o.off);
    out->class_id = d->class_id;
    out->gp_lcs = d->gp_lcs;
    out->lcs = d->o.lcs;
    memcpy(out->priv, d->priv, 3);
    out->sd = d->sd;
    out->aid_len = d->namelen;
    memcpy(out->aid, d->name, d->namelen);
}

int cos_app_next(cos_card *c, cos_oid *oid, cos_app_info *out)
{
    cos__obj o = {0};
    cos__df d;
    int rc = need_power(c);

    if (rc < 0)
        return rc;
    if (!oid || !out)
        return COS_ERR_PARAM;
    while ((rc = cos__obj_next(c, &o)) == 1) {
        if (o.type != COS__T_ADF || (*oid && o.off <= cos__oid_off(*oid)))
            continue;
        rc = cos__df_load(c, cos__off_oid(o.off), &d);
        if (rc < 0)
            return rc;
        app_info(&d, out);
        *oid = out->oid;
        return 0;
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos_app_find(cos_card *c, const uint8_t *aid, size_t len, cos_app_info *out)
{
    cos_oid oid = 0;
    int rc;

    if (!aid || !out)
        return COS_ERR_PARAM;
    while ((rc = cos_app_next(c, &oid, out)) == 0)
        if (out->aid_len == len && memcmp(out->aid, aid, len) == 0)
            return 0;
    return rc;
}

int cos_app_set_gp_lcs(cos_card *c, cos_oid inst, uint8_t gp_lcs)
{
    cos__df d;
    int rc = need_power(c);

    if (rc == 0)
        rc = cos__df_load(c, inst, &d);
    if (rc == 0 && d.o.type != COS__T_ADF)
        rc = COS_ERR_PARAM;
    return rc < 0 ? rc : cos__nvm_write(c, d.o.off + COS__OBJ_HDR + 2, &gp_lcs, 1);
}

int cos_inst_create(cos_card *c, cos_oid parent, const cos_inst_spec *s, cos_oid *out)
{
    uint8_t b[COS__ADF_APP + 4 + COS_AID_MAX + COS_FCI_MAX];
    const cos_applet_class *cl;
    cos_app_info info;
    cos__obj o;
    int rc = need_power(c);

    if (rc < 0)
        return rc;
    if (!df_spec_ok(&s->df) || s->df.namelen < 5 || (s->plen && !s->params))
        return COS_ERR_PARAM;
    cl = cos__class_find(c, s->class_id);
    if (!cl)
        return COS_ERR_NOT_FOUND;
    rc = check_df(c, parent);
    if (rc == 0)
        rc = fid_free(c, parent, s->df.fid);
    if (rc < 0)
        return rc;
    rc = cos_app_find(c, s->df.name, s->df.namelen, &info);
    if (rc == 0)
        return COS_ERR_EXISTS;
    if (rc != COS_ERR_NOT_FOUND)
        return rc;
    cos__put16(b, s->class_id);
    b[2] = s->gp_lcs ? s->gp_lcs : COS_GP_SELECTABLE;
    memcpy(b + 3, s->priv, 3);
    cos__put16(b + 6, s->sd);
    size_t n = COS__ADF_APP + df_body(&s->df, b + COS__ADF_APP);

    rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    rc = cos__obj_alloc(c, COS__T_ADF, COS_LCS_ACTIVE, parent, s->df.fid, b, n, n, &o);
    if (rc == 0 && cl->install) {
        cos_ctx x;
        cos__ctx_init(&x, c, cos__off_oid(o.off), 0xFF);
        rc = cl->install(&x, s->params, s->plen);
        if (rc == (int)COS_SW_OK)
            rc = 0;
        else if (rc > 0 && (rc < 0x6000 || rc > 0x9FFF))
            rc = COS_ERR_APPLET;
    }
    rc = cos__txn_leave(c, rc, rc == 0);
    if (rc == 0 && out)
        *out = cos__off_oid(o.off);
    return rc;
}

static int has_children(cos_card *c, cos_oid oid)
{
    cos__obj o = {0};
    int rc;
    while ((rc = cos__obj_next(c, &o)) == 1)
        if (o.parent == oid)
            return 1;
    return rc;
}

int cos_inst_delete(cos_card *c, cos_oid inst)
{
    cos__df d;
    int rc = need_power(c);

    if (rc == 0)
        rc = cos__df_load(c, inst, &d);
    if (rc < 0)
        return rc;
    if (d.o.type != COS__T_ADF)
        return COS_ERR_PARAM;
    for (uint8_t i = 0; i < COS_CHANNELS; i++)
        if (c->ch[i].open && cos__obj_is_under(c, c->ch[i].df, inst))
            return COS_ERR_TXN_STATE;
    rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    /* Free leaves first (an object whose parent is gone is no longer "under" the
     * instance), restarting the walk after each free, since freeing merges free
     * space and changes the chain. */
    for (int again = 1; rc == 0 && again;) {
        cos__obj o = {0};
        again = 0;
        while ((rc = cos__obj_next(c, &o)) == 1) {
            if (cos__off_oid(o.off) == inst || !cos__obj_is_under(c, o.parent, inst))
                continue;
            rc = has_children(c, cos__off_oid(o.off));
            if (rc == 1) {
                rc = 0;
                continue;
            }
            if (rc == 0)
                rc = cos__obj_free(c, cos__off_oid(o.off));
            again = 1;
            break;
        }
        if (rc == 1)
            rc = 0;
    }
    if (rc == 0)
        rc = cos__obj_free(c, inst);
    return cos__txn_leave(c, rc, rc == 0);
}
