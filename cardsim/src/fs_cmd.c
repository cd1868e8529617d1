/*
 * obol card OS: file system commands.
 *
 * SELECT (ISO/IEC 7816-4:2020, 11.2.2), READ BINARY (11.3.3) and UPDATE BINARY,
 * READ RECORD (11.4.3), UPDATE RECORD and APPEND RECORD (the 11.3 data unit and 11.4
 * record handling groups). Status word choices, documented once here:
 *   6700  Lc present where none belongs, Le missing on a read, data too long for the
 *         file or not the record length, DF name not 1..16 bytes
 *   6A86  P1/P2 values this card does not support (RFU bits, occurrence last/previous,
 *         FMD, record modes other than "record number in P1")
 *   6B00  offset beyond the end of a transparent EF
 *   6A82  file not found (FID, SFI, path, name), 6A83 record not found,
 *   6981  command incompatible with the file's structure, 6986 no current EF,
 *   6A84  linear EF full on APPEND RECORD,
 *   6282  READ with a specific Ne larger than what remains (the data is returned),
 *   6882  secure messaging on a command whose file does not require it.
 */
#include "cos_internal.h"

static int wildcard(const cos_apdu *a)
{
    return cos_apdu_ne_wildcard(a);
}

/* Finds the target of SELECT; sets *OUT or returns a status word. */
static int select_target(cos_card *c, const cos_apdu *a, cos_oid *out)
{
    cos__chan *k = &c->ch[a->chan];
    cos__obj cur;
    cos_oid t = 0;
    int rc = COS_ERR_NOT_FOUND;

    switch (a->p1) {
    case 0x00: /* MF, DF or EF by FID; no data: the MF */
        if (a->nc == 0) {
            *out = c->mf;
            return COS_SW_OK;
        }
        if (a->nc != 2)
            return COS_SW_WRONG_LENGTH;
        {
            uint16_t fid = cos__get16(a->data);
            if (fid == 0x3F00) {
                *out = c->mf;
                return COS_SW_OK;
            }
            /* Search order of 11.2.2: children of the current DF, the current DF,
             * its parent, the parent's children. */
            rc = cos__fs_child_fid(c, k->df, fid, &t);
            if (rc == COS_ERR_NOT_FOUND) {
                rc = cos__obj_load(c, k->df, &cur);
                if (rc < 0)
                    return rc;
                if (cur.id == fid) {
                    t = k->df;
                } else if (cur.parent) {
                    cos__obj par;
                    rc = cos__obj_load(c, cur.parent, &par);
                    if (rc < 0)
                        return rc;
                    if (par.id == fid)
                        t = cur.parent;
                    else
                        rc = cos__fs_child_fid(c, cur.parent, fid, &t);
                } else {
                    rc = COS_ERR_NOT_FOUND;
                }
            }
        }
        break;
    case 0x01: /* child DF */
    case 0x02: /* EF under the current DF */
        if (a->nc != 2)
            return COS_SW_WRONG_LENGTH;
        rc = cos__fs_child_fid(c, k->df, cos__get16(a->data), &t);
        if (rc == 0) {
            rc = cos__obj_load(c, t, &cur);
            if (rc == 0 && (a->p1 == 1 ? !COS__IS_DF(cur.type) : !COS__IS_EF(cur.type)))
                rc = COS_ERR_NOT_FOUND;
        }
        break;
    case 0x03: /* parent DF */
        if (a->nc)
            return COS_SW_WRONG_LENGTH;
        rc = cos__obj_load(c, k->df, &cur);
        if (rc == 0) {
            t = cur.parent;
            if (!t)
                rc = COS_ERR_NOT_FOUND;
        }
        break;
    case 0x04: /* DF name, first or next occurrence */
        if (a->nc < 1 || a->nc > COS_AID_MAX)
            return COS_SW_WRONG_LENGTH;
        rc = cos__fs_find_name(c, a->data, a->nc, (a->p2 & 3) == 2 ? k->df : 0, &t);
        break;
    case 0x08: /* path from the MF (without 3F00) */
    case 0x09: /* path from the current DF */
        if (a->nc < 2 || a->nc % 2)
            return COS_SW_WRONG_LENGTH;
        t = a->p1 == 8 ? c->mf : k->df;
        for (uint16_t i = 0; i < a->nc; i += 2) {
            if (i) {
                rc = cos__obj_load(c, t, &cur);
                if (rc < 0)
                    return rc;
                if (!COS__IS_DF(cur.type))
                    return COS_SW_FILE_NOT_FOUND;
            }
            rc = cos__fs_child_fid(c, t, cos__get16(a->data + i), &t);
            if (rc < 0)
                break;
        }
        break;
    default:
        return COS_SW_WRONG_P1P2;
    }
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_FILE_NOT_FOUND;
    if (rc < 0)
        return rc;
    *out = t;
    return COS_SW_OK;
}

int cos__cmd_select(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    unsigned occ = a->p2 & 3, resp = a->p2 & 0x0C;
    cos_oid t, df, ef = 0;
    cos__obj o;
    uint8_t lcs = COS_LCS_ACTIVE;
    int rc;

    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    if ((a->p2 & 0xF0) || resp == 0x08 || occ == 1 || occ == 3 || (occ == 2 && a->p1 != 4))
        return COS_SW_WRONG_P1P2;
    rc = select_target(c, a, &t);
    if (rc != (int)COS_SW_OK)
        return rc;
    rc = cos__obj_load(c, t, &o);
    if (rc < 0)
        return rc;
    if (COS__IS_EF(o.type)) {
        ef = t;
        df = o.parent;
    } else {
        df = t;
        lcs = o.lcs;
        if (o.type == COS__T_ADF) {
            cos__df d;
            rc = cos__df_load(c, t, &d);
            if (rc < 0)
                return rc;
            /* GlobalPlatform: only SELECTABLE, unlocked instances can be selected. */
            if ((d.gp_lcs & COS_GP_LOCKED) || (d.gp_lcs & 0x07) != 0x07)
                return COS_SW_FILE_NOT_FOUND;
        }
    }
    if (lcs == COS_LCS_TERMINATED)
        return COS_SW_FUNC_UNSUPPORTED;
    rc = cos__chan_set_df(c, a->chan, df, ef);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (resp != 0x0C) {
        rc = cos__fs_fci(c, t, resp == 0x04 || ef != 0, r);
        if (rc < 0)
            return rc;
    }
    return lcs == COS_LCS_DEACTIVATED ? COS_SW_DEACTIVATED : COS_SW_OK;
}

/* The EF a data unit / record command addresses: by SFI (SFI != 0) or current EF. */
static int target_ef(cos_card *c, const cos_apdu *a, uint8_t sfi, cos__ef *ef)
{
    cos_oid oid = c->ch[a->chan].ef;
    int rc;

    if (sfi) {
        rc = cos__fs_child_sfi(c, c->ch[a->chan].df, sfi, &oid);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_FILE_NOT_FOUND;
        if (rc < 0)
            return rc;
    } else if (!oid) {
        return COS_SW_NO_CURRENT_EF;
    }
    rc = cos__ef_load(c, oid, ef);
    return rc < 0 ? rc : COS_SW_OK;
}

/* P1/P2 of READ/UPDATE BINARY: b8 of P1 set: SFI in b5-b1, offset P2; else offset. */
static int binary_target(cos_card *c, const cos_apdu *a, cos__ef *ef, uint32_t *off)
{
    uint8_t sfi = 0;
    int rc;

    if (a->p1 & 0x80) {
        if (a->p1 & 0x60 || (a->p1 & 0x1F) == 0)
            return COS_SW_WRONG_P1P2;
        sfi = a->p1 & 0x1F;
        *off = a->p2;
    } else {
        *off = (uint32_t)((a->p1 & 0x7F) << 8 | a->p2);
    }
    rc = target_ef(c, a, sfi, ef);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (ef->o.type != COS_EF_TRANSPARENT)
        return COS_SW_INCOMPATIBLE_FILE;
    return COS_SW_OK;
}

static void make_current(cos_card *c, uint8_t ch, const cos__ef *ef, uint8_t rec)
{
    c->ch[ch].ef = cos__off_oid(ef->o.off);
    c->ch[ch].rec = rec;
}

int cos__cmd_read_binary(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint16_t nc;
    uint32_t off, n;
    cos__ef ef;
    int rc;

    if (a->nc || a->ne == 0)
        return COS_SW_WRONG_LENGTH;
    rc = binary_target(c, a, &ef, &off);
    if (rc != (int)COS_SW_OK)
        return rc;
    rc = cos__sec_check(c, a, ef.o.parent, ef.ac_read, &nc);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (off >= ef.size)
        return COS_SW_WRONG_OFFSET;
    n = ef.size - off;
    if (n > a->ne)
        n = a->ne;
    if (n > (uint32_t)(r->cap - r->len))
        n = (uint32_t)(r->cap - r->len);
    rc = cos__ef_read(c, &ef, off, r->buf + r->len, n);
    if (rc < 0)
        return rc;
    r->len = (uint16_t)(r->len + n);
    make_current(c, a->chan, &ef, 0);
    return (!wildcard(a) && a->ne > ef.size - off) ? COS_SW_EOF : COS_SW_OK;
}

int cos__cmd_update_binary(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint16_t nc;
    uint32_t off;
    cos__ef ef;
    int rc;

    (void)r;
    if (a->nc == 0 || a->ne)
        return COS_SW_WRONG_LENGTH;
    rc = binary_target(c, a, &ef, &off);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (a->sm == 1 && a->nc <= 4)
        return COS_SW_WRONG_LENGTH;
    if (off > ef.size)
        return COS_SW_WRONG_OFFSET;
    rc = cos__sec_check(c, a, ef.o.parent, ef.ac_write, &nc);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (nc > ef.size - off)
        return COS_SW_WRONG_LENGTH;
    rc = cos__ef_write(c, &ef, off, a->data, nc);
    if (rc < 0)
        return rc;
    make_current(c, a->chan, &ef, 0);
    return COS_SW_OK;
}

/* P2 of record commands: SFI in b8-b4 (0: current EF, 11111 RFU). */
static int record_target(cos_card *c, const cos_apdu *a, cos__ef *ef)
{
    uint8_t sfi = a->p2 >> 3;
    int rc;

    if (sfi == 0x1F)
        return COS_SW_WRONG_P1P2;
    rc = target_ef(c, a, sfi, ef);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (ef->o.type == COS_EF_TRANSPARENT)
        return COS_SW_INCOMPATIBLE_FILE;
    return COS_SW_OK;
}

int cos__cmd_read_record(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint16_t nc;
    uint32_t off;
    uint8_t recno;
    cos__ef ef;
    int rc;

    if (a->nc || a->ne == 0)
        return COS_SW_WRONG_LENGTH;
    /* Only "read record P1" (P2 b3-b1 = 100); P1 00 is the current record. */
    if ((a->p2 & 7) != 4 || a->p1 == 0xFF)
        return COS_SW_WRONG_P1P2;
    rc = record_target(c, a, &ef);
    if (rc != (int)COS_SW_OK)
        return rc;
    rc = cos__sec_check(c, a, ef.o.parent, ef.ac_read, &nc);
    if (rc != (int)COS_SW_OK)
        return rc;
    recno = a->p1;
    if (recno == 0)
        recno = cos__off_oid(ef.o.off) == c->ch[a->chan].ef ? c->ch[a->chan].rec : 0;
    if (cos__rec_off(&ef, recno, &off) < 0)
        return COS_SW_RECORD_NOT_FOUND;
    /* A specific Le shorter than the record: 6Cxx with the record length (the
     * FMCOS/PBOC convention, and what T=0 needs); longer: the record and 6282. */
    if (!wildcard(a) && a->ne < ef.reclen)
        return COS_SW_WRONG_LE(ef.reclen);
    if (ef.reclen > r->cap - r->len)
        return COS_ERR_BUFFER;
    rc = cos__nvm_read(c, off, r->buf + r->len, ef.reclen);
    if (rc < 0)
        return rc;
    r->len = (uint16_t)(r->len + ef.reclen);
    make_current(c, a->chan, &ef, recno);
    return (!wildcard(a) && a->ne > ef.reclen) ? COS_SW_EOF : COS_SW_OK;
}

/* UPDATE RECORD (DC, P1 record number, P2 b3-b1 100) and APPEND RECORD (E2, P1 00,
 * P2 b3-b1 000). */
int cos__cmd_write_record(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint16_t nc;
    uint32_t off;
    uint8_t recno;
    cos__ef ef;
    int rc;

    (void)r;
    if (a->nc == 0 || a->ne)
        return COS_SW_WRONG_LENGTH;
    if (a->ins == 0xDC ? ((a->p2 & 7) != 4 || a->p1 == 0xFF) : (a->p1 || (a->p2 & 7)))
        return COS_SW_WRONG_P1P2;
    rc = record_target(c, a, &ef);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (a->sm == 1 && a->nc <= 4)
        return COS_SW_WRONG_LENGTH;
    rc = cos__sec_check(c, a, ef.o.parent, ef.ac_write, &nc);
    if (rc != (int)COS_SW_OK)
        return rc;
    if (nc != ef.reclen)
        return COS_SW_WRONG_LENGTH;
    if (a->ins == 0xE2) {
        rc = cos__rec_append(c, &ef, a->data, (uint8_t)nc);
        if (rc == COS_ERR_NO_SPACE)
            return COS_SW_NO_MEMORY;
        if (rc < 0)
            return rc;
        make_current(c, a->chan, &ef, ef.o.type == COS_EF_CYCLIC ? 1 : ef.nused);
        return COS_SW_OK;
    }
    recno = a->p1;
    if (recno == 0)
        recno = cos__off_oid(ef.o.off) == c->ch[a->chan].ef ? c->ch[a->chan].rec : 0;
    if (cos__rec_off(&ef, recno, &off) < 0)
        return COS_SW_RECORD_NOT_FOUND;
    rc = cos__nvm_write(c, off, a->data, nc);
    if (rc < 0)
        return rc;
    make_current(c, a->chan, &ef, recno);
    return COS_SW_OK;
}
