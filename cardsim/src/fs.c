/*
 * obol card OS: the ISO/IEC 7816-4 file system model.
 *
 * MF, DFs, ADFs (application DFs of applet instances) and EFs (transparent,
 * linear fixed, cyclic) are NVM objects whose parent is their DF (ISO/IEC
 * 7816-4:2020, clause 7). This file loads their descriptions, finds files by FID, SFI and
 * DF name, finds the PINs and keys that access conditions refer to, reads and writes
 * EF data and records, and encodes FCI/FCP templates (7.4). Access conditions are
 * checked by the command handlers (fs_cmd.c), not here, because applets use these
 * functions on their own files too.
 */
#include "cos_internal.h"

int cos__df_load(cos_card *c, cos_oid oid, cos__df *df)
{
    uint8_t b[COS__ADF_APP];
    uint32_t at;
    int rc = cos__obj_load(c, oid, &df->o);

    if (rc < 0)
        return rc;
    if (!COS__IS_DF(df->o.type))
        return COS_ERR_NOT_FOUND;
    at = df->o.off + COS__OBJ_HDR;
    df->class_id = 0;
    df->gp_lcs = 0;
    memset(df->priv, 0, sizeof df->priv);
    df->sd = 0;
    if (df->o.type == COS__T_ADF) {
        rc = cos__nvm_read(c, at, b, COS__ADF_APP);
        if (rc < 0)
            return rc;
        df->class_id = cos__get16(b);
        df->gp_lcs = b[2];
        memcpy(df->priv, b + 3, 3);
        df->sd = cos__get16(b + 6);
        at += COS__ADF_APP;
    }
    rc = cos__nvm_read(c, at, b, 4);
    if (rc < 0)
        return rc;
    df->namelen = b[2];
    df->fcilen = b[3];
    if (df->namelen > COS_AID_MAX || df->fcilen > COS_FCI_MAX)
        return COS_ERR_CORRUPT;
    rc = cos__nvm_read(c, at + 4, df->name, df->namelen);
    df->fci_off = at + 4 + df->namelen;
    return rc;
}

int cos__ef_load(cos_card *c, cos_oid oid, cos__ef *ef)
{
    uint8_t b[COS__EF_HDR];
    int rc = cos__obj_load(c, oid, &ef->o);

    if (rc < 0)
        return rc;
    if (!COS__IS_EF(ef->o.type))
        return COS_ERR_NOT_FOUND;
    rc = cos__nvm_read(c, ef->o.off + COS__OBJ_HDR, b, sizeof b);
    if (rc < 0)
        return rc;
    ef->sfi = b[0];
    ef->ac_read = b[1];
    ef->ac_write = b[2];
    ef->reclen = b[3];
    ef->nrec = b[4];
    ef->nused = b[5];
    ef->newest = b[6];
    ef->size = cos__get16(b + 8);
    ef->data = ef->o.off + COS__OBJ_HDR + COS__EF_HDR;
    if (COS__OBJ_HDR + COS__EF_HDR + (uint32_t)ef->size > ef->o.size)
        return COS_ERR_CORRUPT;
    if (ef->o.type != COS_EF_TRANSPARENT &&
        (ef->reclen == 0 || ef->nrec == 0 || ef->nused > ef->nrec || ef->newest >= ef->nrec ||
         (uint32_t)ef->reclen * ef->nrec != ef->size))
        return COS_ERR_CORRUPT;
    return 0;
}

int cos__pin_load(cos_card *c, cos_oid oid, cos__pin *p)
{
    uint8_t b[COS__PIN_HDR];
    int rc = cos__obj_load(c, oid, &p->o);

    if (rc < 0)
        return rc;
    if (p->o.type != COS__T_PIN)
        return COS_ERR_NOT_FOUND;
    rc = cos__nvm_read(c, p->o.off + COS__OBJ_HDR, b, sizeof b);
    if (rc < 0)
        return rc;
    p->left = b[0];
    p->max = b[1];
    p->len = b[2];
    p->maxlen = b[3];
    p->puk = b[4];
    if (p->len > p->maxlen || p->maxlen > COS_PIN_MAX)
        return COS_ERR_CORRUPT;
    return 0;
}

int cos__fs_child_fid(cos_card *c, cos_oid df, uint16_t fid, cos_oid *out)
{
    cos__obj o = {0};
    int rc;

    while ((rc = cos__obj_next(c, &o)) == 1) {
        if (o.parent == df && o.id == fid && (COS__IS_DF(o.type) || COS__IS_EF(o.type))) {
            *out = cos__off_oid(o.off);
            return 0;
        }
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos__fs_child_sfi(cos_card *c, cos_oid df, uint8_t sfi, cos_oid *out)
{
    cos__obj o = {0};
    uint8_t s;
    int rc;

    while ((rc = cos__obj_next(c, &o)) == 1) {
        if (o.parent != df || !COS__IS_EF(o.type))
            continue;
        rc = cos__nvm_read(c, o.off + COS__OBJ_HDR, &s, 1);
        if (rc < 0)
            return rc;
        if (s == sfi) {
            *out = cos__off_oid(o.off);
            return 0;
        }
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos__fs_find_name(cos_card *c, const uint8_t *name, size_t len, cos_oid after, cos_oid *out)
{
    cos__obj o = {0};
    cos__df df;
    int rc;

    while ((rc = cos__obj_next(c, &o)) == 1) {
        if (!COS__IS_DF(o.type) || (after && o.off <= cos__oid_off(after)))
            continue;
        rc = cos__df_load(c, cos__off_oid(o.off), &df);
        if (rc < 0)
            return rc;
        /* ISO/IEC 7816-4:2020, 11.2.2: a DF name given in full or as its beginning. */
        if (df.namelen >= len && len > 0 && memcmp(df.name, name, len) == 0) {
            *out = cos__off_oid(o.off);
            return 0;
        }
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos__ef_read(cos_card *c, const cos__ef *ef, uint32_t off, void *buf, size_t len)
{
    if (off > ef->size || len > ef->size - off)
        return COS_ERR_RANGE;
    return cos__nvm_read(c, ef->data + off, buf, len);
}

int cos__ef_write(cos_card *c, const cos__ef *ef, uint32_t off, const void *buf, size_t len)
{
    if (off > ef->size || len > ef->size - off)
        return COS_ERR_RANGE;
    return cos__nvm_write(c, ef->data + off, buf, len);
}

int cos__rec_off(const cos__ef *ef, uint8_t recno, uint32_t *off)
{
    unsigned slot;

    if (ef->o.type == COS_EF_TRANSPARENT || recno == 0 || recno > ef->nused)
        return COS_ERR_NOT_FOUND;
    /* ISO/IEC 7816-4:2020, clause 7 (record structures): in a cyclic EF, record 1 is
     * the most recently written one. */
    if (ef->o.type == COS_EF_CYCLIC)
        slot = (unsigned)(ef->newest + ef->nrec - (recno - 1u)) % ef->nrec;
    else
        slot = recno - 1u;
    *off = ef->data + slot * (uint32_t)ef->reclen;
    return 0;
}

int cos__rec_append(cos_card *c, cos__ef *ef, const uint8_t *data, uint8_t len)
{
    uint8_t st[2];
    unsigned slot;
    int rc;

    if (ef->o.type == COS_EF_TRANSPARENT || len != ef->reclen)
        return COS_ERR_PARAM;
    if (ef->o.type == COS_EF_LINEAR) {
        if (ef->nused >= ef->nrec)
            return COS_ERR_NO_SPACE;
        slot = ef->nused;
        st[0] = (uint8_t)(ef->nused + 1);
        st[1] = ef->newest;
    } else {
        slot = ef->nused == 0 ? 0u : (ef->newest + 1u) % ef->nrec;
        st[0] = (uint8_t)(ef->nused < ef->nrec ? ef->nused + 1 : ef->nrec);
        st[1] = (uint8_t)slot;
    }
    rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    rc = cos__nvm_write(c, ef->data + slot * (uint32_t)ef->reclen, data, len);
    if (rc == 0)
        rc = cos__nvm_write(c, ef->o.off + COS__OBJ_HDR + 5, st, 2);
    rc = cos__txn_leave(c, rc, rc == 0);
    if (rc == 0) {
        ef->nused = st[0];
        ef->newest = st[1];
    }
    return rc;
}

/* Appends a TLV with a short (one byte) length. */
static int tlv(cos_resp *r, uint8_t tag, const uint8_t *v, size_t len)
{
    int rc = cos_resp_u8(r, tag);
    if (rc == 0)
        rc = cos_resp_u8(r, (uint8_t)len);
    if (rc == 0)
        rc = cos_resp_put(r, v, len);
    return rc;
}

int cos__fs_fci(cos_card *c, cos_oid oid, int fcp_only, cos_resp *r)
{
    uint8_t tmp[2 + 2 + COS_AID_MAX + 2 + COS_FCI_MAX + 16], v[5];
    cos_resp t = {tmp, sizeof tmp, 0};
    cos__obj o;
    int rc = cos__obj_load(c, oid, &o);

    if (rc < 0)
        return rc;
    cos__put16(v, o.id);
    if (COS__IS_DF(o.type)) {
        cos__df df;
        rc = cos__df_load(c, oid, &df);
        if (rc < 0)
            return rc;
        if (!fcp_only) {
            /* FCI template 6F: DF name (84) and proprietary data (A5), as EMV/PBOC. */
            if (df.namelen)
                rc = tlv(&t, 0x84, df.name, df.namelen);
            else
                rc = tlv(&t, 0x83, v, 2);
            if (rc == 0 && df.fcilen) {
                uint8_t fci[COS_FCI_MAX];
                rc = cos__nvm_read(c, df.fci_off, fci, df.fcilen);
                if (rc == 0)
                    rc = tlv(&t, 0xA5, fci, df.fcilen);
            }
            return rc < 0 ? rc : tlv(r, 0x6F, tmp, t.len);
        }
        uint8_t fdb = 0x38; /* DF */
        rc = tlv(&t, 0x82, &fdb, 1);
        if (rc == 0 && o.id)
            rc = tlv(&t, 0x83, v, 2);
        if (rc == 0 && df.namelen)
            rc = tlv(&t, 0x84, df.name, df.namelen);
    } else if (COS__IS_EF(o.type)) {
        cos__ef ef;
        rc = cos__ef_load(c, oid, &ef);
        if (rc < 0)
            return rc;
        /* File descriptor byte (7.4.5): 01 transparent, 02 linear fixed, 06 cyclic;
         * record files add the data coding byte 21, record length (2), count (1). */
        v[2] = o.type == COS_EF_TRANSPARENT ? 0x01 : o.type == COS_EF_LINEAR ? 0x02 : 0x06;
        if (o.type == COS_EF_TRANSPARENT) {
            rc = tlv(&t, 0x82, v + 2, 1);
        } else {
            uint8_t d[5] = {v[2], 0x21, 0x00, ef.reclen, ef.nrec};
            rc = tlv(&t, 0x82, d, 5);
        }
        if (rc == 0)
            rc = tlv(&t, 0x83, v, 2);
        if (rc == 0) {
            uint8_t sz[2];
            cos__put16(sz, ef.size);
            rc = tlv(&t, 0x80, sz, 2);
        }
        if (rc == 0 && ef.sfi)
            rc = tlv(&t, 0x88, &ef.sfi, 1);
    } else {
        return COS_ERR_NOT_FOUND;
    }
    if (rc == 0)
        rc = tlv(&t, 0x8A, &o.lcs, 1);
    return rc < 0 ? rc : tlv(r, 0x62, tmp, t.len);
}

int cos__fs_find_pin(cos_card *c, cos_oid df, uint8_t ref, cos__pin *out)
{
    for (int depth = 0; df && depth < 16; depth++) {
        cos__obj o = {0}, d;
        int rc;
        while ((rc = cos__obj_next(c, &o)) == 1)
            if (o.type == COS__T_PIN && o.parent == df && (ref == 0 || o.id == ref))
                return cos__pin_load(c, cos__off_oid(o.off), out);
        if (rc < 0)
            return rc;
        rc = cos__obj_load(c, df, &d);
        if (rc < 0)
            return rc;
        df = d.parent;
    }
    return COS_ERR_NOT_FOUND;
}

int cos__fs_find_key(cos_card *c, cos_oid df, uint8_t usage, uint8_t kid, cos_key *out)
{
    for (int depth = 0; df && depth < 16; depth++) {
        cos__obj o = {0}, d;
        int rc;
        while ((rc = cos__obj_next(c, &o)) == 1) {
            if (o.type != COS__T_KEY || o.parent != df)
                continue;
            rc = cos__key_load(c, cos__off_oid(o.off), out);
            if (rc < 0)
                return rc;
            if ((usage == COS_KEY_ANY || out->usage == usage) && (kid == 0 || out->kid == kid))
                return 0;
        }
        if (rc < 0)
            return rc;
        rc = cos__obj_load(c, df, &d);
        if (rc < 0)
            return rc;
        df = d.parent;
    }
    return COS_ERR_NOT_FOUND;
}
