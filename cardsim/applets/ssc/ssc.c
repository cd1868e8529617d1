/*
 * obol applet: the social security and health application (ssc.h).
 *
 * A class over the PBOC purse (the medical account) that adds roles: EXTERNAL
 * AUTHENTICATE with the hospital or pharmacy key, a rights table for the role-gated
 * files it serves itself, and the role (and PIN) check in front of a settlement.
 * Persistent state: data object SSC_OBJ_CONFIG (1 byte, SSC_CFG_*), the visit and
 * prescription EFs, and the purse's own objects. Transient state: the purse's session in
 * the first PBOC_RAM_USED bytes of the applet RAM, then one byte, the role (SSC_ROLE_*
 * bit, 0 none), which the OS clears with the rest of the RAM at every selection.
 * GlobalPlatform personalization: the purse's (pboc_perso.c) with the SSC's EFs, the
 * PIN and the role keys (DGI 8020).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gp/gp.h"
#include "obol/cos_applet.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "ssc.h"

_Static_assert(PBOC_RAM_USED + 1u <= COS_APPLET_RAM, "the role byte must fit the applet RAM");

/* File operations the rights table names. */
enum { OP_NONE = 0, OP_READ_BINARY, OP_READ_RECORD, OP_APPEND_RECORD };

/* The role rows of the rights table in ssc.h. */
static const struct right {
    uint8_t sfi, op, roles;
} rights[] = {
    {SSC_INSURANCE_SFI, OP_READ_BINARY, SSC_ROLE_HOSPITAL | SSC_ROLE_PHARMACY},
    {SSC_VISIT_SFI, OP_READ_RECORD, SSC_ROLE_HOSPITAL},
    {SSC_VISIT_SFI, OP_APPEND_RECORD, SSC_ROLE_HOSPITAL},
    {SSC_RX_SFI, OP_READ_RECORD, SSC_ROLE_HOSPITAL | SSC_ROLE_PHARMACY},
    {SSC_RX_SFI, OP_APPEND_RECORD, SSC_ROLE_HOSPITAL},
};

/* The role a role key number (and purchase key index) stands for; 0 none. */
static uint8_t role_of(uint8_t kid)
{
    switch (kid) {
    case SSC_KID_HOSPITAL:
        return SSC_ROLE_HOSPITAL;
    case SSC_KID_PHARMACY:
        return SSC_ROLE_PHARMACY;
    default:
        return 0;
    }
}

/* Creates one of the role-gated record files: cyclic, the OS never grants access (the
 * applet's rights table does). */
static int make_records(cos_ctx *ctx, uint16_t fid, uint8_t sfi, uint8_t reclen, uint8_t nrec)
{
    cos_ef_spec spec;

    memset(&spec, 0, sizeof spec);
    spec.fid = fid;
    spec.sfi = sfi;
    spec.type = COS_EF_CYCLIC;
    spec.ac_read = COS_AC_NEVER;
    spec.ac_write = COS_AC_NEVER;
    spec.reclen = reclen;
    spec.nrec = nrec;
    return cos_ef_create(ctx, &spec, NULL);
}

/* install(): the purse's TLVs to the purse (EP only, no CAPP), then the configuration
 * object and the visit and prescription files. Inside the instance-creation
 * transaction: a refusal leaves nothing. */
static int ssc_install(cos_ctx *ctx, const uint8_t *params, size_t len)
{
    uint8_t cfg = SSC_CFG_DEBIT_PIN, nvisit = SSC_NREC_DEFAULT, nrx = SSC_NREC_DEFAULT, tag, l;
    const uint8_t *v;
    pboc_params purse;
    size_t i = 0;
    cos_obj o;
    int rc;

    pboc_params_init_ep(&purse);
    while ((rc = pboc_tlv_next(params, len, &i, &tag, &l, &v)) == 1) {
        switch (tag) {
        case SSC_TAG_VISIT_NREC:
        case SSC_TAG_RX_NREC:
            if (l != 1 || v[0] == 0 || v[0] > 254)
                return COS_SW_WRONG_DATA;
            if (tag == SSC_TAG_VISIT_NREC)
                nvisit = v[0];
            else
                nrx = v[0];
            break;
        case SSC_TAG_DEBIT_PIN:
            if (l != 1 || v[0] > 1)
                return COS_SW_WRONG_DATA;
            cfg = v[0] ? SSC_CFG_DEBIT_PIN : 0;
            break;
        default:
            /* The purse's parameters; no CAPP cache: no composite purchase on the
             * medical account. */
            if ((rc = pboc_params_forward(&purse, tag, v, l)) != 0)
                return rc;
            break;
        }
    }
    if (rc != 0)
        return rc;
    rc = pboc_class.install(ctx, purse.buf, purse.n);
    if (rc != 0)
        return rc;
    if ((rc = cos_obj_create(ctx, SSC_OBJ_CONFIG, 1, &o)) < 0 ||
        (rc = cos_obj_write(ctx, &o, 0, &cfg, 1)) < 0)
        return rc;
    if ((rc = make_records(ctx, SSC_VISIT_FID, SSC_VISIT_SFI, SSC_VISIT_LEN, nvisit)) < 0)
        return rc;
    return make_records(ctx, SSC_RX_FID, SSC_RX_SFI, SSC_RX_LEN, nrx);
}

/* EXTERNAL AUTHENTICATE with a role key (ssc.h, "roles"). */
static int role_auth(cos_ctx *ctx, uint8_t *role, const cos_apdu *a)
{
    uint8_t kid = a->p2 & 0x1Fu;
    cos_key k;
    int rc;

    pboc_session_end(ctx);
    *role = 0; /* replaced by this authentication, or none if it fails */
    if (a->p1 != 0x00)
        return COS_SW_WRONG_P1P2;
    if (a->nc != 4 || a->ne != 0)
        return COS_SW_WRONG_LENGTH;
    rc = cos_key_find(ctx, SSC_KEY_ROLE, kid, -1, &k);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    rc = cos_sm_verify(ctx, a, &k);
    if (rc == (int)COS_SW_SM_WRONG) {
        /* A wrong cryptogram, as the OS's EXTERNAL AUTHENTICATE answers it (the
         * verification counted the attempt on the key). */
        if (k.err_max == 0)
            return 0x6300;
        return k.err_left == 0 ? (int)COS_SW_AUTH_BLOCKED
                               : (int)COS_SW_VERIFY_FAILED(k.err_left > 15 ? 15 : k.err_left);
    }
    if (rc != (int)COS_SW_OK)
        return rc; /* 6984 no challenge, 6983 blocked, 6700, or a fault */
    *role = role_of(kid);
    return COS_SW_OK;
}

/* The role-gated file operation A asks for, with its short EF identifier; OP_NONE for
 * anything else (the current EF, other commands). */
static int file_op(const cos_apdu *a, uint8_t *sfi)
{
    switch (a->ins) {
    case 0xB0:
        *sfi = a->p1 & 0x1Fu;
        return (a->p1 & 0xE0u) == 0x80u ? OP_READ_BINARY : OP_NONE;
    case 0xB2:
        *sfi = a->p2 >> 3;
        return (a->p2 & 7u) == 4u ? OP_READ_RECORD : OP_NONE;
    case 0xE2:
        *sfi = a->p2 >> 3;
        return (a->p2 & 7u) == 0u ? OP_APPEND_RECORD : OP_NONE;
    default:
        return OP_NONE;
    }
}

static int granted(uint8_t role, uint8_t sfi, int op)
{
    size_t i;

    for (i = 0; i < sizeof rights / sizeof rights[0]; i++)
        if (rights[i].sfi == sfi && rights[i].op == op && (rights[i].roles & role))
            return 1;
    return 0;
}

/* Serves a granted file operation on the EF with SFI (ISO/IEC 7816-4 READ BINARY,
 * READ RECORD, APPEND RECORD; the status words are the card OS's for the same cases). */
static int serve(cos_ctx *ctx, int op, uint8_t sfi, const cos_apdu *a, cos_resp *r)
{
    cos_ef ef;
    uint32_t n;
    int rc = cos_ef_open_sfi(ctx, sfi, &ef);

    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_FILE_NOT_FOUND;
    if (rc < 0)
        return rc;
    if ((op == OP_READ_BINARY) != (ef.type == COS_EF_TRANSPARENT))
        return COS_SW_INCOMPATIBLE_FILE;
    if (op == OP_READ_BINARY) {
        if (a->nc != 0 || a->ne == 0)
            return COS_SW_WRONG_LENGTH;
        if (a->p2 >= ef.size)
            return COS_SW_WRONG_OFFSET;
        n = (uint32_t)(ef.size - a->p2);
        if (n > a->ne)
            n = a->ne;
        if (n > (uint32_t)(r->cap - r->len))
            n = (uint32_t)(r->cap - r->len);
        if ((rc = cos_ef_read(ctx, &ef, a->p2, r->buf + r->len, (uint16_t)n)) < 0)
            return rc;
        r->len = (uint16_t)(r->len + n);
        return (!cos_apdu_ne_wildcard(a) && a->ne > (uint32_t)(ef.size - a->p2)) ? (int)COS_SW_EOF
                                                                                 : (int)COS_SW_OK;
    }
    if (op == OP_READ_RECORD) {
        if (a->nc != 0 || a->ne == 0)
            return COS_SW_WRONG_LENGTH;
        if (a->p1 == 0x00 || a->p1 == 0xFF)
            return COS_SW_WRONG_P1P2;
        rc = cos_ef_read_record(ctx, &ef, a->p1, r->buf + r->len, (size_t)(r->cap - r->len));
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_RECORD_NOT_FOUND;
        if (rc < 0)
            return rc;
        r->len = (uint16_t)(r->len + rc);
        return COS_SW_OK;
    }
    /* APPEND RECORD: P1 00, the new record is record 1 of the cyclic file. */
    if (a->p1 != 0x00)
        return COS_SW_WRONG_P1P2;
    if (a->ne != 0 || a->nc != ef.reclen)
        return COS_SW_WRONG_LENGTH;
    rc = cos_ef_append_record(ctx, &ef, a->data, (uint8_t)a->nc);
    if (rc == COS_ERR_NO_SPACE)
        return COS_SW_NO_MEMORY;
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* The gate in front of a settlement: the role of the purchase key index, and the
 * cardholder's PIN when configured. Returns 0 or the status word to refuse with. */
static int debit_allowed(cos_ctx *ctx, uint8_t role, uint8_t kid)
{
    uint8_t need = role_of(kid), cfg = 0;
    cos_obj o;
    int rc;

    if (need == 0 || (role & need) == 0)
        return COS_SW_SECURITY;
    if ((rc = cos_obj_open(ctx, SSC_OBJ_CONFIG, &o)) < 0 ||
        (rc = cos_obj_read(ctx, &o, 0, &cfg, 1)) < 0)
        return rc;
    if (cfg & SSC_CFG_DEBIT_PIN) {
        rc = cos_pin_verified(ctx, SSC_PIN_REF);
        if (rc < 0)
            return rc;
        if (rc != 1)
            return COS_SW_SECURITY;
    }
    return 0;
}

static int ssc_process(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    int iso = (a->cla & 0x80u) == 0;
    uint8_t *role, sfi = 0;
    int op, sw;

    if (ctx->ram == NULL)
        return COS_ERR_PARAM;
    role = ctx->ram + PBOC_RAM_USED;
    if (iso && a->ins == 0x82 && (a->p2 & 0x60u) == 0 && role_of(a->p2 & 0x1Fu) != 0)
        return role_auth(ctx, role, a);
    if (iso && a->sm == 0 && (op = file_op(a, &sfi)) != OP_NONE && granted(*role, sfi, op)) {
        pboc_session_end(ctx); /* an ISO command ends a purse session */
        return serve(ctx, op, sfi, a, r);
    }
    if (!iso && a->ins == 0x50 && (a->p1 == 0x01 || a->p1 == 0x03) && a->nc >= 1) {
        if ((sw = debit_allowed(ctx, *role, a->data[0])) != 0) {
            pboc_session_end(ctx);
            return sw;
        }
    }
    return pboc_class.process(ctx, a, r);
}

static int ssc_select(cos_ctx *ctx)
{
    return pboc_class.select(ctx);
}

static void ssc_deselect(cos_ctx *ctx)
{
    pboc_class.deselect(ctx);
    if (ctx->ram != NULL)
        ctx->ram[PBOC_RAM_USED] = 0;
}

/* DGI 8020, a role key: role key number (1, SSC_KID_*) version (1) tries (1, 0..15)
 * key (16) KCV (3). */
static int perso_dgi(cos_ctx *ctx, uint16_t dgi, const uint8_t *v, size_t n)
{
    if (dgi != SSC_DGI_ROLE_KEY)
        return 0;
    if (n != SSC_DGI_ROLE_KEY_LEN || role_of(v[0]) == 0 || v[2] > 15)
        return COS_SW_WRONG_DATA;
    return pboc_perso_key(ctx, SSC_KEY_ROLE, v[0], v[1], v[2], v + 3, v + 19);
}

/* GlobalPlatform personalization (ssc.h, "personalization"): the purse's DGIs with the
 * PIN, the SSC EFs, and the role keys. */
static int ssc_share(cos_ctx *ctx, const uint8_t *client, size_t clen, uint8_t iface,
                     const uint8_t *in, size_t inlen, cos_resp *out)
{
    static const pboc_perso_file files[] = {
        {0x0005u, SSC_PERSONAL_SFI, COS_AC_PIN(SSC_PIN_REF), SSC_PERSONAL_LEN},
        {0x0006u, SSC_INSURANCE_SFI, COS_AC_PIN(SSC_PIN_REF), SSC_INSURANCE_LEN},
        {PBOC_PUBLIC_FID, SSC_PUBLIC_SFI, COS_AC_ALWAYS, PBOC_PUBLIC_LEN},
    };
    static const pboc_perso_class cls = {files, 3, 1, perso_dgi};

    (void)client;
    (void)clen;
    (void)out;
    if (iface != GP_IFACE_PERSO)
        return COS_SW_CONDITIONS;
    return pboc_perso(ctx, &cls, in, inlen);
}

static const uint8_t ssc_module_aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x53, 0x53, 0x43};

const cos_applet_class ssc_class = {
    .id = OBOL_CLASS_SSC,
    .flags = 0,
    .module_aid_len = sizeof ssc_module_aid,
    .module_aid = ssc_module_aid,
    .name = "ssc",
    .install = ssc_install,
    .select = ssc_select,
    .deselect = ssc_deselect,
    .process = ssc_process,
    .power_off = ssc_deselect,
    .share = ssc_share,
};
