/*
 * obol card OS: the object heap in NVM.
 *
 * The heap is a chain of aligned objects covering the image from the heap offset to
 * its end; each starts with an 8-byte header (see cos_internal.h). Free space is
 * FREE objects. Allocation is first fit with splitting; freeing merges neighbouring
 * FREE objects. Every change runs inside a transaction (joined or implicit), so an
 * allocation torn by power loss leaves the chain as it was.
 *
 * Lookups walk the chain; a card holds tens of objects, so that costs a few hundred
 * bytes of NVM reads, which are cheap on every chip.
 */
#include "cos_internal.h"

static uint32_t heap_end(const cos_card *c)
{
    return c->nvm_size - c->nvm_size % COS_NVM_ALIGN;
}

static int parse(const cos_card *c, uint32_t off, const uint8_t h[COS__OBJ_HDR], cos__obj *o)
{
    o->off = off;
    o->type = h[0];
    o->lcs = h[1];
    o->size = (uint32_t)cos__get16(h + 2) * COS_NVM_ALIGN;
    o->parent = cos__get16(h + 4);
    o->id = cos__get16(h + 6);
    if (o->size < COS__OBJ_HDR || off + o->size > heap_end(c))
        return COS_ERR_CORRUPT;
    return 0;
}

static int load_at(cos_card *c, uint32_t off, cos__obj *o)
{
    uint8_t h[COS__OBJ_HDR];
    int rc;

    if (off < c->heap_off || off % COS_NVM_ALIGN || off + COS__OBJ_HDR > heap_end(c))
        return COS_ERR_NOT_FOUND;
    rc = cos__nvm_read(c, off, h, sizeof h);
    if (rc < 0)
        return rc;
    return parse(c, off, h, o);
}

int cos__obj_load(cos_card *c, cos_oid oid, cos__obj *o)
{
    int rc = load_at(c, cos__oid_off(oid), o);
    if (rc == 0 && o->type == COS__T_FREE)
        return COS_ERR_NOT_FOUND;
    return rc;
}

/* Walks the whole chain, free objects included: start with o->off = 0. */
static int walk(cos_card *c, cos__obj *o)
{
    uint32_t off = o->off == 0 ? c->heap_off : o->off + o->size;
    if (off >= heap_end(c))
        return 0;
    int rc = load_at(c, off, o);
    return rc < 0 ? rc : 1;
}

int cos__obj_next(cos_card *c, cos__obj *o)
{
    int rc;
    do {
        rc = walk(c, o);
    } while (rc == 1 && o->type == COS__T_FREE);
    return rc;
}

static void put_hdr(uint8_t h[COS__OBJ_HDR], uint8_t type, uint8_t lcs, uint32_t size,
                    cos_oid parent, uint16_t id)
{
    h[0] = type;
    h[1] = lcs;
    cos__put16(h + 2, (uint16_t)(size / COS_NVM_ALIGN));
    cos__put16(h + 4, parent);
    cos__put16(h + 6, id);
}

int cos__obj_alloc(cos_card *c, uint8_t type, uint8_t lcs, cos_oid parent, uint16_t id,
                   const void *init, size_t initlen, size_t bodylen, cos__obj *out)
{
    uint8_t h[COS__OBJ_HDR], zero[32];
    uint32_t need =
        (uint32_t)((COS__OBJ_HDR + bodylen + COS_NVM_ALIGN - 1) / COS_NVM_ALIGN * COS_NVM_ALIGN);
    cos__obj o = {0};
    int rc;

    if (initlen > bodylen || need / COS_NVM_ALIGN > 0xFFFFu)
        return COS_ERR_NO_SPACE;
    while ((rc = walk(c, &o)) == 1)
        if (o.type == COS__T_FREE && o.size >= need)
            break;
    if (rc < 0)
        return rc;
    if (rc == 0)
        return COS_ERR_NO_SPACE;

    rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    /* The free block's bytes after its header hold nothing worth undoing. */
    cos__txn_fresh(c, o.off + COS__OBJ_HDR, o.size - COS__OBJ_HDR);
    if (o.size - need >= COS__OBJ_HDR) {
        put_hdr(h, COS__T_FREE, 0, o.size - need, 0, 0);
        rc = cos__nvm_write(c, o.off + need, h, sizeof h);
    } else {
        need = o.size;
    }
    if (rc == 0 && initlen)
        rc = cos__nvm_write(c, o.off + COS__OBJ_HDR, init, initlen);
    memset(zero, 0, sizeof zero);
    for (size_t at = initlen; rc == 0 && at < need - COS__OBJ_HDR;) {
        size_t n = need - COS__OBJ_HDR - at;
        if (n > sizeof zero)
            n = sizeof zero;
        rc = cos__nvm_write(c, o.off + COS__OBJ_HDR + (uint32_t)at, zero, n);
        at += n;
    }
    if (rc == 0) {
        put_hdr(h, type, lcs, need, parent, id);
        rc = cos__nvm_write(c, o.off, h, sizeof h);
    }
    rc = cos__txn_leave(c, rc, rc == 0);
    if (rc < 0)
        return rc;
    if (out) {
        out->off = o.off;
        out->size = need;
        out->type = type;
        out->lcs = lcs;
        out->parent = parent;
        out->id = id;
    }
    return 0;
}

int cos__obj_free(cos_card *c, cos_oid oid)
{
    uint8_t h[COS__OBJ_HDR];
    cos__obj o, w = {0}, prev = {0}, next;
    uint32_t start, size;
    int rc, have_prev = 0;

    rc = cos__obj_load(c, oid, &o);
    if (rc < 0)
        return rc;
    /* Find the object before it, to merge with a free neighbour on either side. */
    while ((rc = walk(c, &w)) == 1 && w.off != o.off) {
        prev = w;
        have_prev = 1;
    }
    if (rc < 0)
        return rc;
    start = o.off;
    size = o.size;
    if (have_prev && prev.type == COS__T_FREE) {
        start = prev.off;
        size += prev.size;
    }
    if (o.off + o.size < heap_end(c) && load_at(c, o.off + o.size, &next) == 0 &&
        next.type == COS__T_FREE)
        size += next.size;

    rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    c->txn.freed |= 1; /* its old bytes must now be journaled if reused */
    put_hdr(h, COS__T_FREE, 0, size, 0, 0);
    rc = cos__nvm_write(c, start, h, sizeof h);
    return cos__txn_leave(c, rc, rc == 0);
}

int cos__obj_set_lcs(cos_card *c, const cos__obj *o, uint8_t lcs)
{
    return cos__nvm_write(c, o->off + 1, &lcs, 1);
}

int cos__obj_owner(cos_card *c, cos_oid oid, cos_oid *owner)
{
    cos__obj o;
    for (int depth = 0; oid && depth < 32; depth++) {
        int rc = cos__obj_load(c, oid, &o);
        if (rc < 0)
            return rc;
        if (o.type == COS__T_ADF) {
            *owner = oid;
            return 0;
        }
        oid = o.parent;
    }
    *owner = 0;
    return 0;
}

int cos__obj_is_under(cos_card *c, cos_oid oid, cos_oid anc)
{
    cos__obj o;
    for (int depth = 0; oid && depth < 32; depth++) {
        if (oid == anc)
            return 1;
        if (cos__obj_load(c, oid, &o) < 0)
            return 0;
        oid = o.parent;
    }
    return 0;
}

int cos__obj_check(cos_card *c, cos_oid oid, cos__obj *o)
{
    uint32_t off = cos__oid_off(oid);
    cos__obj w = {0};
    int rc;

    /* Only the start of a live object on the chain is a valid handle: a forged id
     * pointing inside some object's body must not be read as a header. */
    while ((rc = cos__obj_next(c, &w)) == 1) {
        if (w.off == off) {
            *o = w;
            return 0;
        }
        if (w.off > off)
            break;
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}
