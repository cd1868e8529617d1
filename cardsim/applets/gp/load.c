/*
 * obol applet gp: load files: INSTALL [for load], LOAD (GP CS 2.3 11.5.2.3.1, 11.6)
 * and the load file format (docs/load-file.md).
 *
 * INSTALL [for load] names the load file AID, the SD it will belong to, and the hash
 * of the load file data block (SHA-256); it leaves a pending record (GP_OBJ_PENDING).
 * LOAD blocks (P2 = 00, 01, ..., P1 80 on the last) carry the stream
 *     [E2 { 4F SD-AID  C3 DAP }]...  C4 length  load-file-data-block
 * with the DAP blocks and the C4 header in block 00. The data lands in the load file's
 * NVM object block by block (one transaction each); the last block checks the length,
 * the hash and the load file's structure, and marks it LOADED.
 *
 * DAP (GP CS 2.3, 9.2.3 and C.3; obol's symmetric choice): DAP = AES-CMAC under the
 * verifying SD's key KVN 73 over the SHA-256 hash given in INSTALL [for load]. A DAP is
 * required from the receiving SD when it has the DAP Verification privilege and from
 * every SD with Mandated DAP Verification; each is checked at block 00 by that SD
 * (through GP_IFACE_DAP: the OPEN cannot use another SD's key), and the final hash
 * check ties the DAP to the data.
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

/* ---- load file objects -------------------------------------------------------------------- */

int gp__elf_open(gp_open *o, unsigned slot, gp_elf *e)
{
    int rc = cos_obj_open(o->ctx, GP_OBJ_ELF(slot), &e->h);
    return rc < 0 ? rc : cos_obj_read(o->ctx, &e->h, 0, e->hdr, ELF_HDR);
}

int gp__elf_find(gp_open *o, const uint8_t *aid, size_t len, unsigned *slot, gp_elf *e)
{
    for (unsigned s = 0; s < GP_ELF_MAX; s++) {
        int rc = gp__elf_open(o, s, e);
        if (rc == COS_ERR_NOT_FOUND)
            continue;
        if (rc < 0)
            return rc;
        if (e->hdr[ELF_STATE] == ES_LOADED && e->hdr[ELF_AIDLEN] == len &&
            memcmp(e->hdr + ELF_AID, aid, len) == 0) {
            *slot = s;
            return 0;
        }
    }
    return COS_ERR_NOT_FOUND;
}

int gp__elf_delete(gp_open *o, unsigned slot)
{
    cos_obj h;
    int rc = cos_obj_open(o->ctx, GP_OBJ_ELF(slot), &h);
    return rc < 0 ? rc : cos_obj_delete(o->ctx, &h);
}

/* Reads the TLV header at OFF (relative to the data block) before END: tag, value
 * offset and length. 0 or COS_ERR_CORRUPT. */
static int nv_tlv(gp_open *o, const gp_elf *e, uint16_t off, uint16_t end, uint16_t *tag,
                  uint16_t *voff, uint16_t *vlen)
{
    uint8_t b[6];
    size_t got = end - off < 6 ? (size_t)(end - off) : 6, i = 0, n;
    int rc;

    if (off >= end)
        return COS_ERR_CORRUPT;
    rc = cos_obj_read(o->ctx, &e->h, (uint16_t)(ELF_HDR + off), b, (uint16_t)got);
    if (rc < 0)
        return rc;
    /* Parse the header only: pretend the value is there and check its length after. */
    *tag = b[i++];
    if ((*tag & 0x1F) == 0x1F) {
        if (i >= got)
            return COS_ERR_CORRUPT;
        *tag = (uint16_t)(*tag << 8 | b[i++]);
    }
    if (i >= got)
        return COS_ERR_CORRUPT;
    n = b[i++];
    if (n == 0x81 && i < got) {
        n = b[i++];
    } else if (n == 0x82 && i + 1 < got) {
        n = (size_t)b[i] << 8 | b[i + 1];
        i += 2;
    } else if (n > 0x7F) {
        return COS_ERR_CORRUPT;
    }
    if (n > (size_t)(end - off) - i)
        return COS_ERR_CORRUPT;
    *voff = (uint16_t)(off + i);
    *vlen = (uint16_t)n;
    return 0;
}

static int nv_read(gp_open *o, const gp_elf *e, uint16_t off, void *buf, uint16_t n)
{
    return cos_obj_read(o->ctx, &e->h, (uint16_t)(ELF_HDR + off), buf, n);
}

static int parse_module(gp_open *o, const gp_elf *e, uint16_t off, uint16_t end, gp_module *m)
{
    uint16_t tag, voff, vlen;
    uint8_t b[2];
    int rc, has_cls = 0;

    memset(m, 0, sizeof *m);
    m->files_off = off;
    m->files_end = end;
    while (off < end) {
        rc = nv_tlv(o, e, off, end, &tag, &voff, &vlen);
        if (rc < 0)
            return rc;
        switch (tag) {
        case 0x4F:
            if (vlen < 5 || vlen > 16)
                return COS_ERR_CORRUPT;
            m->aid_len = (uint8_t)vlen;
            rc = nv_read(o, e, voff, m->aid, vlen);
            break;
        case 0xC3:
        case 0xC4:
            if (vlen != 2)
                return COS_ERR_CORRUPT;
            rc = nv_read(o, e, voff, b, 2);
            if (tag == 0xC3) {
                m->class_id = gp__get16(b);
                has_cls = 1;
            } else {
                m->fid = gp__get16(b);
            }
            break;
        case 0xA5:
            if (vlen > COS_FCI_MAX)
                return COS_ERR_CORRUPT;
            m->fci_off = voff;
            m->fci_len = vlen;
            rc = 0;
            break;
        case 0xC9:
            if (vlen > GP_PARAMS_MAX / 2)
                return COS_ERR_CORRUPT;
            m->par_off = voff;
            m->par_len = vlen;
            rc = 0;
            break;
        case 0xA2:
            rc = 0; /* file templates: gp__elf_file() */
            break;
        default:
            return COS_ERR_CORRUPT;
        }
        if (rc < 0)
            return rc;
        off = (uint16_t)(voff + vlen);
    }
    return m->aid_len && has_cls ? 0 : COS_ERR_CORRUPT;
}

int gp__elf_module(gp_open *o, const gp_elf *e, unsigned idx, gp_module *m)
{
    uint16_t off = 0, end = gp__get16(e->hdr + ELF_LEN), tag, voff, vlen;
    unsigned k = 0;
    int rc;

    while (off < end) {
        rc = nv_tlv(o, e, off, end, &tag, &voff, &vlen);
        if (rc < 0)
            return rc;
        if (tag == 0xA1 && k++ == idx)
            return parse_module(o, e, voff, (uint16_t)(voff + vlen), m);
        off = (uint16_t)(voff + vlen);
    }
    return COS_ERR_NOT_FOUND;
}

int gp__elf_file(gp_open *o, const gp_elf *e, const gp_module *m, uint16_t *off, cos_ef_spec *spec,
                 uint8_t *buf, size_t cap)
{
    uint16_t tag, voff, vlen, end, at;
    uint8_t b[2], type = 0;
    int rc, have_fid = 0;

    for (;;) {
        if (*off >= m->files_end)
            return 0;
        rc = nv_tlv(o, e, *off, m->files_end, &tag, &voff, &vlen);
        if (rc < 0)
            return rc;
        *off = (uint16_t)(voff + vlen);
        if (tag == 0xA2)
            break;
    }
    memset(spec, 0, sizeof *spec);
    spec->ac_read = COS_AC_ALWAYS;
    spec->ac_write = COS_AC_NEVER;
    end = (uint16_t)(voff + vlen);
    for (at = voff; at < end; at = (uint16_t)(voff + vlen)) {
        uint16_t t;
        rc = nv_tlv(o, e, at, end, &t, &voff, &vlen);
        if (rc < 0)
            return rc;
        if (t == 0xC0) {
            if (vlen > cap)
                return COS_ERR_CORRUPT;
            rc = nv_read(o, e, voff, buf, vlen);
            spec->init = buf;
            spec->init_len = vlen;
        } else if (vlen == 2 && (t == 0x83 || t == 0x80 || t == 0x81 || t == 0x86)) {
            rc = nv_read(o, e, voff, b, 2);
            if (t == 0x83) {
                spec->fid = gp__get16(b);
                have_fid = 1;
            } else if (t == 0x80) {
                spec->size = gp__get16(b);
            } else if (t == 0x81) {
                spec->reclen = b[0];
                spec->nrec = b[1];
            } else {
                spec->ac_read = b[0];
                spec->ac_write = b[1];
            }
        } else if (vlen == 1 && (t == 0x82 || t == 0x88)) {
            rc = nv_read(o, e, voff, b, 1);
            if (t == 0x82)
                type = b[0];
            else
                spec->sfi = b[0];
        } else {
            return COS_ERR_CORRUPT;
        }
        if (rc < 0)
            return rc;
    }
    /* ISO/IEC 7816-4 file descriptor byte: 01 transparent, 02 linear fixed, 06 cyclic. */
    spec->type = type == 0x01   ? COS_EF_TRANSPARENT
                 : type == 0x02 ? COS_EF_LINEAR
                 : type == 0x06 ? COS_EF_CYCLIC
                                : 0;
    if (!have_fid || !spec->type || spec->sfi > 30 ||
        (spec->type == COS_EF_TRANSPARENT
             ? spec->size == 0 || spec->init_len > spec->size
             : spec->reclen == 0 || spec->nrec == 0 || spec->init_len % spec->reclen ||
                   spec->init_len / spec->reclen > spec->nrec))
        return COS_ERR_CORRUPT;
    return 1;
}

/* Checks a complete load file: C1 01 01, 4F = AID, [C2 version], A1 modules. Sets the
 * module count and version in E's header. 0 or COS_ERR_CORRUPT. */
static int validate(gp_open *o, gp_elf *e, uint8_t *scratch, size_t cap)
{
    uint16_t off = 0, end = gp__get16(e->hdr + ELF_LEN), tag, voff, vlen;
    uint8_t b[16];
    unsigned nmod = 0, step = 0;
    int rc;

    while (off < end) {
        rc = nv_tlv(o, e, off, end, &tag, &voff, &vlen);
        if (rc < 0)
            return rc;
        if (step == 0) {
            if (tag != 0xC1 || vlen != 1 || nv_read(o, e, voff, b, 1) < 0 || b[0] != 0x01)
                return COS_ERR_CORRUPT;
        } else if (step == 1) {
            if (tag != 0x4F || vlen != e->hdr[ELF_AIDLEN] || nv_read(o, e, voff, b, vlen) < 0 ||
                memcmp(b, e->hdr + ELF_AID, vlen) != 0)
                return COS_ERR_CORRUPT;
        } else if (tag == 0xC2 && vlen == 2 && nmod == 0) {
            rc = nv_read(o, e, voff, e->hdr + ELF_VER, 2);
            if (rc < 0)
                return rc;
        } else if (tag == 0xA1 && nmod < GP_ELF_MODULES) {
            gp_module m;
            cos_ef_spec f;
            uint16_t at;
            rc = parse_module(o, e, voff, (uint16_t)(voff + vlen), &m);
            at = m.files_off;
            while (rc == 0 && (rc = gp__elf_file(o, e, &m, &at, &f, scratch, cap)) == 1)
                rc = 0;
            if (rc < 0)
                return rc;
            nmod++;
        } else {
            return COS_ERR_CORRUPT;
        }
        step++;
        off = (uint16_t)(voff + vlen);
    }
    if (nmod == 0)
        return COS_ERR_CORRUPT;
    e->hdr[ELF_NMOD] = (uint8_t)nmod;
    return 0;
}

/* ---- INSTALL [for load] -------------------------------------------------------------------- */

static int drop_pending(gp_open *o)
{
    cos_obj h;
    gp_elf e;
    int rc;

    /* Load files whose LOAD never finished go, and with them the pending record. */
    for (unsigned s = 0; s < GP_ELF_MAX; s++) {
        rc = gp__elf_open(o, s, &e);
        if (rc == COS_ERR_NOT_FOUND)
            continue;
        if (rc == 0 && e.hdr[ELF_STATE] != ES_LOADED)
            rc = cos_obj_delete(o->ctx, &e.h);
        if (rc < 0)
            return rc;
    }
    rc = cos_obj_open(o->ctx, GP_OBJ_PENDING, &h);
    if (rc == COS_ERR_NOT_FOUND)
        return 0;
    return rc < 0 ? rc : cos_obj_delete(o->ctx, &h);
}

int gp__install_load(gp_open *o, const uint8_t *d, size_t n, cos_resp *r)
{
    const uint8_t *end = d + n, *aid, *sdaid, *hash, *par, *tok;
    size_t an, sn, hn, pn, tn;
    uint8_t p[PEND_SIZE], ndap = 0;
    cos_app_info sd, x;
    cos_oid at = 0;
    unsigned slot;
    gp_elf e;
    cos_obj h;
    int rc;

    if (gp__lv(&d, end, &aid, &an) || gp__lv(&d, end, &sdaid, &sn) || gp__lv(&d, end, &hash, &hn) ||
        gp__lv(&d, end, &par, &pn) || gp__lv(&d, end, &tok, &tn) || d != end)
        return COS_SW_WRONG_DATA;
    if (an < 5 || an > 16 || (sn != 0 && (sn < 5 || sn > 16)) || (hn != 0 && hn != 32))
        return COS_SW_WRONG_DATA;
    rc = gp__open_lcs(o);
    if (rc == GP_CARD_LOCKED || rc == GP_CARD_TERMINATED)
        return COS_SW_CONDITIONS;
    if (sn == 0) {
        sd = o->caller;
    } else {
        rc = cos_app_find(o->ctx->card, sdaid, sn, &sd);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_REF_NOT_FOUND;
        if (rc < 0)
            return rc;
        if (sd.class_id != GP_CLASS_ID || !(sd.priv[0] & GP_PRIV1_SD))
            return COS_SW_WRONG_DATA;
        if (!o->isd && sd.oid != o->caller.oid)
            return COS_SW_CONDITIONS; /* an SSD loads for itself only */
    }
    /* AIDs are unique on the card: load files, ROM, instances. */
    if ((an == sizeof gp_rom_elf_aid && memcmp(aid, gp_rom_elf_aid, an) == 0) ||
        cos_app_find(o->ctx->card, aid, an, &x) == 0 || gp__elf_find(o, aid, an, &slot, &e) == 0)
        return COS_SW_WRONG_DATA;

    memset(p, 0, sizeof p);
    gp__put16(p + PEND_CALLER, o->caller.oid);
    gp__put16(p + PEND_SD, sd.oid);
    /* DAPs required (9.2.3): the receiving SD with DAP Verification, SDs with Mandated
     * DAP Verification. */
    if ((sd.priv[0] & (GP_PRIV1_SD | GP_PRIV1_DAP)) == (GP_PRIV1_SD | GP_PRIV1_DAP))
        gp__put16(p + PEND_DAP + 2 * ndap++, sd.oid);
    while (cos_app_next(o->ctx->card, &at, &x) == 0) {
        if (x.class_id == GP_CLASS_ID && x.oid != sd.oid &&
            (x.priv[0] & 0xC1) == (GP_PRIV1_SD | GP_PRIV1_DAP | GP_PRIV1_MANDATED_DAP)) {
            if (ndap == 2)
                return COS_SW_CONDITIONS;
            gp__put16(p + PEND_DAP + 2 * ndap++, x.oid);
        }
    }
    if (ndap && hn == 0)
        return COS_SW_WRONG_DATA; /* a DAP needs the hash it signs */
    p[PEND_NDAP] = ndap;
    p[PEND_HASH_ON] = hn != 0;
    if (hn)
        memcpy(p + PEND_HASH, hash, 32);
    p[PEND_AIDLEN] = (uint8_t)an;
    memcpy(p + PEND_AID, aid, an);

    rc = cos_txn_begin(o->ctx);
    if (rc == 0)
        rc = drop_pending(o);
    for (slot = 0; rc == 0 && slot < GP_ELF_MAX; slot++) {
        rc = cos_obj_open(o->ctx, GP_OBJ_ELF(slot), &h);
        if (rc == COS_ERR_NOT_FOUND) {
            rc = 0;
            break;
        }
    }
    if (rc == 0 && slot == GP_ELF_MAX)
        rc = COS_ERR_NO_SPACE;
    p[PEND_SLOT] = (uint8_t)slot;
    if (rc == 0)
        rc = cos_obj_create(o->ctx, GP_OBJ_PENDING, PEND_SIZE, &h);
    if (rc == 0)
        rc = cos_obj_write(o->ctx, &h, 0, p, PEND_SIZE);
    if (rc == 0)
        rc = cos_txn_commit(o->ctx);
    else if (cos_txn_is_open(o->ctx))
        cos_txn_abort(o->ctx);
    if (rc < 0)
        return gp__os_sw(rc);
    rc = cos_resp_u8(r, 0x00);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* ---- LOAD ------------------------------------------------------------------------------------ */

/* Block 00: the DAP blocks, then the C4 header. Sets *TOTAL and *SKIP (bytes before
 * the data). Returns 0 or a status word. */
static int block0(gp_open *o, uint8_t *p, const uint8_t *d, size_t n, size_t *total, size_t *skip)
{
    size_t off = 0, vn;
    const uint8_t *v;
    uint16_t tag;

    for (;;) {
        if (off + 2 > n)
            return COS_SW_WRONG_DATA;
        if (d[off] == 0xC4) {
            /* The C4 length may exceed this block: parse its header by hand. */
            size_t i = off + 1, len = d[i++];
            if (len == 0x81 && i < n)
                len = d[i++];
            else if (len == 0x82 && i + 1 < n) {
                len = (size_t)d[i] << 8 | d[i + 1];
                i += 2;
            } else if (len > 0x7F)
                return COS_SW_WRONG_DATA;
            if (len == 0 || len > 0x7FFF)
                return COS_SW_WRONG_DATA;
            *total = len;
            *skip = i;
            break;
        }
        if (gp__tlv_next(d, n, &off, &tag, &v, &vn) != 1 || tag != 0xE2)
            return COS_SW_WRONG_DATA;
        /* E2 { 4F SD AID, C3 DAP }: check it when that SD's DAP is required. */
        const uint8_t *aid, *dap;
        size_t an, dn;
        if (gp__tlv_find(v, vn, 0x4F, &aid, &an) != 1 || gp__tlv_find(v, vn, 0xC3, &dap, &dn) != 1)
            return COS_SW_WRONG_DATA;
        for (unsigned j = 0; j < p[PEND_NDAP]; j++) {
            cos_app_info sd;
            uint8_t in[48], out[8];
            cos_resp t = {out, sizeof out, 0};
            int rc = gp__app_by_oid(o, gp__get16(p + PEND_DAP + 2 * j), &sd);
            if (rc < 0)
                return rc;
            if (sd.aid_len != an || memcmp(sd.aid, aid, an) != 0)
                continue;
            if (dn != 16)
                return COS_SW_CONDITIONS;
            memcpy(in, p + PEND_HASH, 32);
            memcpy(in + 32, dap, 16);
            if (sd.oid == o->ctx->inst) {
                gp_sd isd;
                rc = gp__sd_load(o->ctx, NULL, &isd);
                if (rc == 0)
                    rc = gp__dap_check(&isd, in, in + 32);
            } else {
                rc = cos_share_call(o->ctx, sd.aid, sd.aid_len, GP_IFACE_DAP, in, 48, &t);
                if (rc == 0)
                    rc = COS_SW_OK;
                else if (rc == COS_ERR_ACCESS || rc == COS_ERR_NOT_FOUND)
                    rc = COS_SW_CONDITIONS;
            }
            if (rc < 0)
                return rc;
            if (rc != (int)COS_SW_OK)
                return COS_SW_CONDITIONS; /* DAP verification failed */
            p[PEND_DAP_OK] |= (uint8_t)(1u << j);
        }
    }
    if (p[PEND_DAP_OK] != (uint8_t)((1u << p[PEND_NDAP]) - 1))
        return COS_SW_CONDITIONS; /* a required DAP is missing */
    return 0;
}

static int hash_ok(gp_open *o, const gp_elf *e, const uint8_t *want)
{
    uint16_t len = gp__get16(e->hdr + ELF_LEN);
    uint8_t chunk[64], h[32];
    cos_sha256_ctx s;
    int rc = 0;

    cos_sha256_init(&s);
    for (uint16_t at = 0; rc == 0 && at < len; at = (uint16_t)(at + sizeof chunk)) {
        uint16_t k =
            (uint16_t)((size_t)(len - at) < sizeof chunk ? (size_t)(len - at) : sizeof chunk);
        rc = nv_read(o, e, at, chunk, k);
        if (rc == 0)
            cos_sha256_update(&s, chunk, k);
    }
    cos_sha256_final(&s, h);
    if (rc < 0)
        return rc;
    return cos_ct_equal(h, want, 32);
}

int gp__cmd_load(gp_open *o, cos_resp *r)
{
    uint8_t p[PEND_SIZE], b[4];
    const uint8_t *d = o->cmd.data;
    size_t n = o->cmd.nc, total = 0, skip = 0;
    unsigned slot;
    cos_obj ph;
    gp_elf e;
    int rc, sw = COS_SW_OK, last = (o->cmd.p1 & 0x80) != 0;

    if ((o->cmd.p1 & 0x7F) != 0)
        return COS_SW_WRONG_P1P2;
    rc = cos_obj_open(o->ctx, GP_OBJ_PENDING, &ph);
    if (rc == 0)
        rc = cos_obj_read(o->ctx, &ph, 0, p, PEND_SIZE);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_CONDITIONS;
    if (rc < 0)
        return rc;
    if (gp__get16(p + PEND_CALLER) != o->caller.oid)
        return COS_SW_CONDITIONS;
    slot = p[PEND_SLOT];
    rc = gp__elf_open(o, slot, &e);
    if (rc < 0 && rc != COS_ERR_NOT_FOUND)
        return rc;
    if (o->cmd.p2 == 0) {
        if (rc == 0)
            return COS_SW_WRONG_P1P2; /* block 00 again */
        sw = block0(o, p, d, n, &total, &skip);
        if (sw != 0)
            return sw;
        sw = COS_SW_OK;
        d += skip;
        n -= skip;
        if (n > total)
            return COS_SW_WRONG_DATA;
        memset(e.hdr, 0, sizeof e.hdr);
        e.hdr[ELF_STATE] = ES_LOADING;
        e.hdr[ELF_AIDLEN] = p[PEND_AIDLEN];
        memcpy(e.hdr + ELF_AID, p + PEND_AID, p[PEND_AIDLEN]);
        memcpy(e.hdr + ELF_SD, p + PEND_SD, 2);
        gp__put16(e.hdr + ELF_LEN, (uint16_t)total);
        gp__put16(e.hdr + ELF_RECV, (uint16_t)n);
        e.hdr[ELF_NEXT] = 1;
        rc = cos_txn_begin(o->ctx);
        if (rc == 0)
            rc = cos_obj_create(o->ctx, GP_OBJ_ELF(slot), (uint16_t)(ELF_HDR + total), &e.h);
        if (rc == 0)
            rc = cos_obj_write(o->ctx, &e.h, 0, e.hdr, ELF_HDR);
        if (rc == 0 && n)
            rc = cos_obj_write(o->ctx, &e.h, ELF_HDR, d, (uint16_t)n);
    } else {
        uint16_t recv;
        if (rc == COS_ERR_NOT_FOUND || e.hdr[ELF_STATE] != ES_LOADING ||
            e.hdr[ELF_NEXT] != o->cmd.p2)
            return COS_SW_WRONG_P1P2; /* out of sequence */
        recv = gp__get16(e.hdr + ELF_RECV);
        if (n > (size_t)(gp__get16(e.hdr + ELF_LEN) - recv))
            return COS_SW_WRONG_DATA;
        gp__put16(b, (uint16_t)(recv + n));
        b[2] = (uint8_t)(o->cmd.p2 + 1);
        gp__put16(e.hdr + ELF_RECV, (uint16_t)(recv + n));
        e.hdr[ELF_NEXT] = b[2];
        rc = cos_txn_begin(o->ctx);
        if (rc == 0 && n)
            rc = cos_obj_write(o->ctx, &e.h, (uint16_t)(ELF_HDR + recv), d, (uint16_t)n);
        if (rc == 0)
            rc = cos_obj_write(o->ctx, &e.h, ELF_RECV, b, 3);
    }
    if (rc == 0 && last) {
        /* The last block: complete, the hash INSTALL [for load] promised, a valid
         * load file. Anything wrong and the load file goes. */
        if (gp__get16(e.hdr + ELF_RECV) != gp__get16(e.hdr + ELF_LEN))
            sw = COS_SW_WRONG_DATA;
        else if (p[PEND_HASH_ON] && (rc = hash_ok(o, &e, p + PEND_HASH)) != 1)
            sw = rc < 0 ? rc : (int)COS_SW_WRONG_DATA;
        else if (validate(o, &e, r->buf, r->cap) < 0)
            sw = COS_SW_WRONG_DATA;
        rc = 0;
        if (sw == (int)COS_SW_OK) {
            e.hdr[ELF_STATE] = ES_LOADED;
            rc = cos_obj_write(o->ctx, &e.h, 0, e.hdr, ELF_HDR);
        } else if (sw > 0) {
            rc = cos_obj_delete(o->ctx, &e.h);
        }
        if (rc == 0 && sw >= 0)
            rc = cos_obj_delete(o->ctx, &ph);
    } else if (rc == 0 && o->cmd.p2 == 0 && p[PEND_NDAP]) {
        rc = cos_obj_write(o->ctx, &ph, PEND_DAP_OK, p + PEND_DAP_OK, 1);
    }
    if (rc == 0 && sw >= 0)
        rc = cos_txn_commit(o->ctx);
    else if (cos_txn_is_open(o->ctx))
        cos_txn_abort(o->ctx);
    if (rc < 0)
        return gp__os_sw(rc);
    if (sw != (int)COS_SW_OK)
        return sw;
    r->len = 0;
    rc = cos_resp_u8(r, 0x00);
    return rc < 0 ? rc : (int)COS_SW_OK;
}
