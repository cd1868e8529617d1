/*
 * obol card OS: services for applets (cos_applet.h) and the firewall.
 *
 * Every service takes the caller's context; objects handed in by an applet are
 * re-validated (a live object on the NVM chain, cos__obj_check) and must be owned by
 * the calling instance: their nearest ADF ancestor is ctx->inst. Anything else is
 * COS_ERR_ACCESS. The one door between instances is the shareable interface: a
 * GRANT object under the server's ADF names the client AID and interface number.
 */
#include "cos_internal.h"

int cos_app_aid(cos_ctx *x, uint8_t aid[COS_AID_MAX])
{
    cos__df d;
    int rc;

    if (!x || !aid)
        return COS_ERR_PARAM;
    rc = cos__df_load(x->card, x->inst, &d);
    if (rc < 0)
        return rc;
    memcpy(aid, d.name, d.namelen);
    return d.namelen;
}

uint64_t cos_now(const cos_ctx *x)
{
    return x->card->now;
}

int cos_random(cos_ctx *x, uint8_t *buf, size_t len)
{
    if (!x || (!buf && len))
        return COS_ERR_PARAM;
    return cos__random(x->card, buf, len);
}

int cos_txn_begin(cos_ctx *x)
{
    return x ? cos__txn_begin(x->card) : COS_ERR_PARAM;
}

int cos_txn_commit(cos_ctx *x)
{
    return x ? cos__txn_commit(x->card) : COS_ERR_PARAM;
}

int cos_txn_abort(cos_ctx *x)
{
    if (!x)
        return COS_ERR_PARAM;
    if (x->card->txn.depth != 1)
        return COS_ERR_TXN_STATE;
    return cos__txn_abort(x->card);
}

int cos_txn_is_open(const cos_ctx *x)
{
    return x && x->card->txn.depth != 0;
}

/* ---- data objects -------------------------------------------------------------------- */

static int own_obj(cos_ctx *x, cos_oid oid, uint8_t type, cos__obj *o)
{
    cos_oid owner;
    int rc;

    if (!x)
        return COS_ERR_PARAM;
    rc = cos__obj_check(x->card, oid, o);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_ERR_ACCESS;
    if (rc < 0)
        return rc;
    if (type == COS__T_DATA ? o->type != type : !COS__IS_EF(o->type))
        return COS_ERR_ACCESS;
    rc = cos__obj_owner(x->card, oid, &owner);
    if (rc < 0)
        return rc;
    return owner == x->inst && owner != 0 ? 0 : COS_ERR_ACCESS;
}

static int data_len(cos_ctx *x, const cos__obj *o, uint16_t *len)
{
    uint8_t b[2];
    int rc = cos__nvm_read(x->card, o->off + COS__OBJ_HDR, b, 2);
    if (rc < 0)
        return rc;
    *len = cos__get16(b);
    return 0;
}

int cos_obj_create(cos_ctx *x, uint16_t id, uint16_t len, cos_obj *out)
{
    uint8_t b[2];
    cos__obj o;
    cos_obj tmp;
    int rc;

    if (!x || !x->inst)
        return COS_ERR_PARAM;
    rc = cos_obj_open(x, id, &tmp);
    if (rc == 0)
        return COS_ERR_EXISTS;
    if (rc != COS_ERR_NOT_FOUND)
        return rc;
    cos__put16(b, len);
    rc = cos__obj_alloc(x->card, COS__T_DATA, 0, x->inst, id, b, 2, 2u + len, &o);
    if (rc < 0)
        return rc;
    if (out) {
        out->oid = cos__off_oid(o.off);
        out->len = len;
    }
    return 0;
}

int cos_obj_open(cos_ctx *x, uint16_t id, cos_obj *out)
{
    cos__obj o = {0};
    int rc;

    if (!x || !out)
        return COS_ERR_PARAM;
    while ((rc = cos__obj_next(x->card, &o)) == 1) {
        if (o.type == COS__T_DATA && o.parent == x->inst && o.id == id) {
            out->oid = cos__off_oid(o.off);
            return data_len(x, &o, &out->len);
        }
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

static int obj_range(cos_ctx *x, const cos_obj *h, uint16_t off, uint16_t len, cos__obj *o)
{
    uint16_t n;
    int rc;

    if (!h)
        return COS_ERR_PARAM;
    rc = own_obj(x, h->oid, COS__T_DATA, o);
    if (rc < 0)
        return rc;
    rc = data_len(x, o, &n);
    if (rc < 0)
        return rc;
    if (off > n || len > n - off)
        return COS_ERR_RANGE;
    return 0;
}

int cos_obj_read(cos_ctx *x, const cos_obj *h, uint16_t off, void *buf, uint16_t len)
{
    cos__obj o;
    int rc = obj_range(x, h, off, len, &o);
    return rc < 0 ? rc : cos__nvm_read(x->card, o.off + COS__OBJ_HDR + 2u + off, buf, len);
}

int cos_obj_write(cos_ctx *x, const cos_obj *h, uint16_t off, const void *buf, uint16_t len)
{
    cos__obj o;
    int rc = obj_range(x, h, off, len, &o);
    return rc < 0 ? rc : cos__nvm_write(x->card, o.off + COS__OBJ_HDR + 2u + off, buf, len);
}

int cos_obj_write_direct(cos_ctx *x, const cos_obj *h, uint16_t off, const void *buf, uint16_t len)
{
    cos__obj o;
    int rc = obj_range(x, h, off, len, &o);
    return rc < 0 ? rc : cos__nvm_write_raw(x->card, o.off + COS__OBJ_HDR + 2u + off, buf, len);
}

int cos_obj_delete(cos_ctx *x, const cos_obj *h)
{
    cos__obj o;
    int rc = h ? own_obj(x, h->oid, COS__T_DATA, &o) : COS_ERR_PARAM;
    return rc < 0 ? rc : cos__obj_free(x->card, h->oid);
}

/* ---- files ------------------------------------------------------------------------------ */

static void ef_public(const cos__ef *e, cos_ef *out)
{
    out->oid = cos__off_oid(e->o.off);
    out->type = e->o.type;
    out->sfi = e->sfi;
    out->reclen = e->reclen;
    out->nrec = e->nrec;
    out->size = e->size;
}

int cos_ef_open(cos_ctx *x, uint16_t fid, cos_ef *out)
{
    cos__obj o = {0};
    int rc;

    if (!x || !out)
        return COS_ERR_PARAM;
    while ((rc = cos__obj_next(x->card, &o)) == 1) {
        cos__ef e;
        if (!COS__IS_EF(o.type) || o.id != fid || !cos__obj_is_under(x->card, o.parent, x->inst))
            continue;
        rc = cos__ef_load(x->card, cos__off_oid(o.off), &e);
        if (rc < 0)
            return rc;
        ef_public(&e, out);
        return 0;
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos_ef_open_sfi(cos_ctx *x, uint8_t sfi, cos_ef *out)
{
    cos_oid oid;
    cos__ef e;
    int rc;

    if (!x || !out || !sfi)
        return COS_ERR_PARAM;
    rc = cos__fs_child_sfi(x->card, x->inst, sfi, &oid);
    if (rc == 0)
        rc = cos__ef_load(x->card, oid, &e);
    if (rc == 0)
        ef_public(&e, out);
    return rc;
}

static int own_ef(cos_ctx *x, const cos_ef *h, cos__ef *e)
{
    cos__obj o;
    int rc = h ? own_obj(x, h->oid, 0, &o) : COS_ERR_PARAM;
    return rc < 0 ? rc : cos__ef_load(x->card, h->oid, e);
}

int cos_ef_read(cos_ctx *x, const cos_ef *h, uint16_t off, void *buf, uint16_t len)
{
    cos__ef e;
    int rc = own_ef(x, h, &e);
    if (rc == 0 && e.o.type != COS_EF_TRANSPARENT)
        rc = COS_ERR_PARAM;
    return rc < 0 ? rc : cos__ef_read(x->card, &e, off, buf, len);
}

int cos_ef_write(cos_ctx *x, const cos_ef *h, uint16_t off, const void *buf, uint16_t len)
{
    cos__ef e;
    int rc = own_ef(x, h, &e);
    if (rc == 0 && e.o.type != COS_EF_TRANSPARENT)
        rc = COS_ERR_PARAM;
    return rc < 0 ? rc : cos__ef_write(x->card, &e, off, buf, len);
}

int cos_ef_read_record(cos_ctx *x, const cos_ef *h, uint8_t recno, void *buf, size_t cap)
{
    uint32_t off;
    cos__ef e;
    int rc = own_ef(x, h, &e);

    if (rc < 0)
        return rc;
    if (cos__rec_off(&e, recno, &off) < 0)
        return COS_ERR_NOT_FOUND;
    if (cap < e.reclen)
        return COS_ERR_BUFFER;
    rc = cos__nvm_read(x->card, off, buf, e.reclen);
    return rc < 0 ? rc : e.reclen;
}

int cos_ef_update_record(cos_ctx *x, const cos_ef *h, uint8_t recno, const void *data, uint8_t len)
{
    uint32_t off;
    cos__ef e;
    int rc = own_ef(x, h, &e);

    if (rc < 0)
        return rc;
    if (len != e.reclen)
        return COS_ERR_PARAM;
    if (cos__rec_off(&e, recno, &off) < 0)
        return COS_ERR_NOT_FOUND;
    return cos__nvm_write(x->card, off, data, len);
}

int cos_ef_append_record(cos_ctx *x, const cos_ef *h, const void *data, uint8_t len)
{
    cos__ef e;
    int rc = own_ef(x, h, &e);
    return rc < 0 ? rc : cos__rec_append(x->card, &e, data, len);
}

/* ---- shareable interfaces ------------------------------------------------------------------ */

/* Finds the GRANT of SERVER for CLIENT and IFACE. */
static int find_grant(cos_card *c, cos_oid server, const uint8_t *client, size_t len, uint8_t iface,
                      cos_oid *out)
{
    cos__obj o = {0};
    uint8_t b[2 + COS_AID_MAX];
    int rc;

    while ((rc = cos__obj_next(c, &o)) == 1) {
        if (o.type != COS__T_GRANT || o.parent != server)
            continue;
        rc = cos__nvm_read(c, o.off + COS__OBJ_HDR, b, sizeof b);
        if (rc < 0)
            return rc;
        if (b[0] == iface && b[1] == len && memcmp(b + 2, client, len) == 0) {
            *out = cos__off_oid(o.off);
            return 0;
        }
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos_share_grant(cos_ctx *x, const uint8_t *client, size_t len, uint8_t iface)
{
    uint8_t b[2 + COS_AID_MAX];
    cos_oid g;
    int rc;

    if (!x || !x->inst || !client || len == 0 || len > COS_AID_MAX)
        return COS_ERR_PARAM;
    rc = find_grant(x->card, x->inst, client, len, iface, &g);
    if (rc == 0)
        return 0;
    if (rc != COS_ERR_NOT_FOUND)
        return rc;
    b[0] = iface;
    b[1] = (uint8_t)len;
    memcpy(b + 2, client, len);
    return cos__obj_alloc(x->card, COS__T_GRANT, 0, x->inst, iface, b, 2 + len, 2 + len, NULL);
}

int cos_share_revoke(cos_ctx *x, const uint8_t *client, size_t len, uint8_t iface)
{
    cos_oid g;
    int rc;

    if (!x || !client || len > COS_AID_MAX)
        return COS_ERR_PARAM;
    rc = find_grant(x->card, x->inst, client, len, iface, &g);
    return rc < 0 ? rc : cos__obj_free(x->card, g);
}

int cos_share_call(cos_ctx *x, const uint8_t *server, size_t len, uint8_t iface, const uint8_t *in,
                   size_t inlen, cos_resp *out)
{
    cos_app_info info;
    uint8_t me[COS_AID_MAX];
    const cos_applet_class *cl;
    cos_oid g;
    cos_ctx sx;
    int rc, mylen;

    if (!x || !server || !out)
        return COS_ERR_PARAM;
    rc = cos_app_find(x->card, server, len, &info);
    if (rc < 0)
        return rc;
    mylen = cos_app_aid(x, me);
    if (mylen < 0)
        return mylen;
    rc = find_grant(x->card, info.oid, me, (size_t)mylen, iface, &g);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_ERR_ACCESS;
    if (rc < 0)
        return rc;
    cl = cos__class_find(x->card, info.class_id);
    if (!cl || !cl->share)
        return COS_ERR_ACCESS;
    if (x->card->share_depth >= COS_SHARE_DEPTH)
        return COS_ERR_ACCESS;
    cos__ctx_init(&sx, x->card, info.oid, 0xFF);
    x->card->share_depth++;
    rc = cl->share(&sx, me, (size_t)mylen, iface, in, inlen, out);
    x->card->share_depth--;
    return rc;
}

int cos_ef_create(cos_ctx *x, const cos_ef_spec *spec, cos_ef *out)
{
    cos_oid oid;
    cos__ef e;
    int rc;

    if (!x || !x->inst)
        return COS_ERR_PARAM;
    rc = cos_perso_ef(x->card, x->inst, spec, &oid);
    if (rc == 0 && out) {
        rc = cos__ef_load(x->card, oid, &e);
        if (rc == 0)
            ef_public(&e, out);
    }
    return rc;
}
