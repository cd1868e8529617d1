/*
 * obol applet: the transit application (transit.h), a thin class over the PBOC purse.
 *
 * Every purse command (80 50/52/54/5A/5C/DC) goes to pboc_class with this instance's
 * context, so the purse code, its state object, its log and its keys are the PBOC
 * applet's (pboc.h, "the purse inside another class"). This file adds what JT/T 978
 * style transit needs beyond the PBOC purse:
 *   - install(): the EP-only purse with a CAPP cache of one operator record, and the
 *     operator record file EF 001A with one record per operator, identifier in byte 0;
 *   - UPDATE CAPP DATA CACHE and READ RECORD by record identifier on EF 001A, and the
 *     rule that a cached operator record keeps its identifier.
 *   - GlobalPlatform personalization of EF 0015 and EF 0016 next to the purse's DGIs.
 * Persistent state: none of its own (the purse's objects and EF 001A). Transient state:
 * the purse's session in the first PBOC_RAM_USED bytes of the applet RAM.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gp/gp.h"
#include "obol/cos_applet.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "transit.h"

/* Checks the operator list: 1..TRANSIT_OPERATORS_MAX identifiers 01..FE, distinct (an
 * identifier must name one record). Returns 1 when valid. */
static int operators_ok(const uint8_t *v, uint8_t len)
{
    uint8_t i, j;

    if (len == 0 || len > TRANSIT_OPERATORS_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        if (v[i] == 0x00 || v[i] == 0xFF)
            return 0;
        for (j = 0; j < i; j++)
            if (v[j] == v[i])
                return 0;
    }
    return 1;
}

/* install(): splits the TLVs into the purse's and the class's own (transit.h), installs
 * the purse, then creates EF 001A with one blank record per operator. Runs inside the
 * instance-creation transaction, so a refusal or a fault leaves nothing behind. */
static int transit_install(cos_ctx *ctx, const uint8_t *params, size_t len)
{
    uint8_t ops[TRANSIT_OPERATORS_MAX], rec[255];
    uint8_t reclen = TRANSIT_CAPP_RECLEN_DEF, nops = 0, tag, l;
    const uint8_t *v;
    pboc_params purse;
    size_t i = 0;
    cos_ef_spec spec;
    cos_ef ef;
    int rc;

    /* The purse is the EP: the ED needs the cardholder's PIN at every purchase, which a
     * gate cannot ask for. */
    pboc_params_init_ep(&purse);
    while ((rc = pboc_tlv_next(params, len, &i, &tag, &l, &v)) == 1) {
        switch (tag) {
        case TRANSIT_TAG_OPERATORS:
            if (nops != 0 || !operators_ok(v, l))
                return COS_SW_WRONG_DATA;
            memcpy(ops, v, l);
            nops = l;
            break;
        case TRANSIT_TAG_CAPP_RECLEN:
            if (l != 1 || v[0] < TRANSIT_CAPP_RECLEN_MIN)
                return COS_SW_WRONG_DATA;
            reclen = v[0];
            break;
        default:
            /* The purse's parameters; its CAPP cache follows the operator record length. */
            if ((rc = pboc_params_forward(&purse, tag, v, l)) != 0)
                return rc;
            break;
        }
    }
    if (rc != 0)
        return rc;
    if (nops == 0)
        return COS_SW_WRONG_DATA;
    if ((rc = pboc_params_put(&purse, PBOC_TAG_CAPP_MAX, &reclen, 1)) != 0)
        return rc;
    rc = pboc_class.install(ctx, purse.buf, purse.n);
    if (rc != 0)
        return rc;
    /* EF 001A: read by every operator's terminals, written only through the composite
     * purchase (the purse writes the cached record inside its transaction). */
    memset(&spec, 0, sizeof spec);
    spec.fid = TRANSIT_CAPP_FID;
    spec.sfi = TRANSIT_CAPP_SFI;
    spec.type = COS_EF_LINEAR;
    spec.ac_read = COS_AC_ALWAYS;
    spec.ac_write = COS_AC_NEVER;
    spec.reclen = reclen;
    spec.nrec = nops;
    if ((rc = cos_ef_create(ctx, &spec, &ef)) < 0)
        return rc;
    memset(rec, 0, sizeof rec);
    for (i = 0; i < nops; i++) {
        rec[TRANSIT_REC_ID] = ops[i];
        if ((rc = cos_ef_append_record(ctx, &ef, rec, reclen)) < 0)
            return rc;
    }
    return 0;
}

/* Finds the operator record ID in EF 001A and leaves it in REC (255 bytes). Returns its
 * record number, 0 when no record has that identifier, or a fault. */
static int find_record(cos_ctx *ctx, uint8_t id, cos_ef *ef, uint8_t *rec)
{
    unsigned no;
    int rc = cos_ef_open_sfi(ctx, TRANSIT_CAPP_SFI, ef);

    if (rc == COS_ERR_NOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    for (no = 1; no <= ef->nrec; no++) {
        rc = cos_ef_read_record(ctx, ef, (uint8_t)no, rec, 255);
        if (rc == COS_ERR_NOT_FOUND)
            break;
        if (rc < 0)
            return rc;
        if (rec[TRANSIT_REC_ID] == id)
            return (int)no;
    }
    return 0;
}

/* UPDATE CAPP DATA CACHE on EF 001A (80 DC P1 P2 Lc record): P2 b3-b1 000 names the
 * operator record by its identifier P1, 100 by its number P1. Either way a record keeps
 * its identifier (byte 0), so one operator cannot take over another's record; the purse
 * gets the command with the record number (P2 b3-b1 100). */
static int capp_update(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    uint8_t rec[255], id;
    cos_apdu b;
    cos_ef ef;
    int no;

    if ((a->p2 & 7u) == 0) {
        if (a->p1 == 0x00 || a->p1 == 0xFF)
            return COS_SW_WRONG_P1P2;
        no = find_record(ctx, a->p1, &ef, rec);
        if (no < 0)
            return no;
        if (no == 0)
            return COS_SW_RECORD_NOT_FOUND;
        id = a->p1;
    } else {
        int rc = cos_ef_open_sfi(ctx, TRANSIT_CAPP_SFI, &ef);
        if (rc < 0)
            return rc == COS_ERR_NOT_FOUND ? (int)COS_SW_FILE_NOT_FOUND : rc;
        rc = a->p1 == 0 ? COS_ERR_NOT_FOUND : cos_ef_read_record(ctx, &ef, a->p1, rec, sizeof rec);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_RECORD_NOT_FOUND;
        if (rc < 0)
            return rc;
        no = a->p1;
        id = rec[TRANSIT_REC_ID];
    }
    if (a->nc >= 1 && a->data[TRANSIT_REC_ID] != id)
        return COS_SW_WRONG_DATA;
    b = *a;
    b.p1 = (uint8_t)no;
    b.p2 = (uint8_t)((a->p2 & ~7u) | 4u);
    return pboc_class.process(ctx, &b, r);
}

/* READ RECORD (00 B2 id D0 Le): the operator record with identifier P1. EF 001A is
 * readable always (install() made it so), so serving it here bypasses no access
 * condition. An ISO command ends a purse session like any other. */
static int read_by_id(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    uint8_t rec[255];
    cos_ef ef;
    int no, rc;

    pboc_session_end(ctx);
    if (a->nc != 0 || a->ne == 0)
        return COS_SW_WRONG_LENGTH;
    if (a->p1 == 0x00 || a->p1 == 0xFF)
        return COS_SW_WRONG_P1P2;
    no = find_record(ctx, a->p1, &ef, rec);
    if (no < 0)
        return no;
    if (no == 0)
        return COS_SW_RECORD_NOT_FOUND;
    if ((rc = cos_resp_put(r, rec, ef.reclen)) < 0)
        return rc;
    return COS_SW_OK;
}

static int transit_process(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    /* The operator record file's own rules; every other command is the purse's (and,
     * for ISO commands, the card OS's). */
    int capp_file = a->sm == 0 && (a->p2 >> 3) == TRANSIT_CAPP_SFI;

    if (capp_file && (a->cla & 0x80u) && a->ins == 0xDC && ((a->p2 & 7u) == 0 || (a->p2 & 7u) == 4))
        return capp_update(ctx, a, r);
    if (capp_file && !(a->cla & 0x80u) && a->ins == 0xB2 && (a->p2 & 7u) == 0)
        return read_by_id(ctx, a, r);
    return pboc_class.process(ctx, a, r);
}

static int transit_select(cos_ctx *ctx)
{
    return pboc_class.select(ctx);
}

static void transit_deselect(cos_ctx *ctx)
{
    pboc_class.deselect(ctx);
}

/* GlobalPlatform personalization (transit.h, "personalization"): the purse's DGIs
 * (pboc.h) with the transit EFs; no PIN (an EP-only purse has none). */
static int transit_share(cos_ctx *ctx, const uint8_t *client, size_t clen, uint8_t iface,
                         const uint8_t *in, size_t inlen, cos_resp *out)
{
    static const pboc_perso_file files[] = {
        {PBOC_PUBLIC_FID, TRANSIT_PUBLIC_SFI, COS_AC_ALWAYS, TRANSIT_PUBLIC_LEN},
        {0x0016u, TRANSIT_HOLDER_SFI, COS_AC_ALWAYS, TRANSIT_HOLDER_LEN},
    };
    static const pboc_perso_class cls = {files, 2, 0, NULL};

    (void)client;
    (void)clen;
    (void)out;
    if (iface != GP_IFACE_PERSO)
        return COS_SW_CONDITIONS;
    return pboc_perso(ctx, &cls, in, inlen);
}

static const uint8_t transit_module_aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54,
                                             0x52, 0x41, 0x4E, 0x53, 0x49, 0x54};

const cos_applet_class transit_class = {
    .id = OBOL_CLASS_TRANSIT,
    .flags = 0,
    .module_aid_len = sizeof transit_module_aid,
    .module_aid = transit_module_aid,
    .name = "transit",
    .install = transit_install,
    .select = transit_select,
    .deselect = transit_deselect,
    .process = transit_process,
    .power_off = transit_deselect,
    .share = transit_share,
};
