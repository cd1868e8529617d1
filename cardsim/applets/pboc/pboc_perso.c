/*
 * obol applet pboc: GlobalPlatform personalization of the purse and of the classes that
 * wrap it (pboc.h, "GlobalPlatform personalization"; docs/personalization.md).
 *
 * The security domain of the instance forwards each STORE DATA block after INSTALL [for
 * personalization] (GP CS 2.3, 11.11) as P1 P2 || data, already stripped of the secure
 * channel and, for a block encrypted under the DEK (P1 b7-b6 = 11), already decrypted.
 * This file walks the block's DGIs (EMV CPS 1.1 format) and applies them in one NVM
 * transaction: EF contents, the purse's parameters and initial balances, its keys, the
 * PIN, and the wrapping class's own DGIs through its hook. Secrets (DGIs 8000-8FFF) are
 * taken only from an encrypted block; key values are checked against their KCV so that
 * a block decrypted under the wrong DEK cannot install garbage; every copy of a secret
 * on the stack is wiped.
 *
 * Persistent state: data object PBOC_OBJ_PERSO (1 byte, PBOC_PERSO_*), created by the
 * first block applied; the last block (P1 b8) closes it for good.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obol/cos_applet.h"
#include "obol/cos_crypto.h"
#include "obol/cos_perso.h"
#include "pboc_internal.h"

/* STORE DATA P1 (GP CS 2.3, 11.11.2.1 Table 11-89): b8 last block, b7-b6 encryption
 * (00 none, 01 application dependent, 11 encrypted under the DEK), b5-b4 structure
 * (01 DGI). */
#define P1_LAST       0x80u
#define P1_ENC_MASK   0x60u
#define P1_ENC_DEK    0x60u
#define P1_FMT_MASK   0x18u
#define P1_FMT_DGI    0x08u
#define DGI_SECRET(d) (((d)&0xF000u) == 0x8000u)

/* The next DGI of the block P (N bytes) from *OFF: tag (2), length (1 byte below FF,
 * else FF and 2 bytes; EMV CPS 1.1, 5.4.1). Returns 1 with the DGI, 0 at the end, -1
 * when the block is malformed (a DGI running past the end). */
static int dgi_next(const uint8_t *p, size_t n, size_t *off, uint16_t *tag, const uint8_t **v,
                    size_t *len)
{
    size_t at = *off, l;

    if (at == n)
        return 0;
    if (n - at < 3)
        return -1;
    *tag = pboc__get16(p + at);
    l = p[at + 2];
    at += 3;
    if (l == 0xFF) {
        if (n - at < 2)
            return -1;
        l = pboc__get16(p + at);
        at += 2;
    }
    if (n - at < l)
        return -1;
    *v = p + at;
    *len = l;
    *off = at + l;
    return 1;
}

int pboc_perso_key(cos_ctx *ctx, uint8_t usage, uint8_t kid, uint8_t kver, uint8_t err_max,
                   const uint8_t value[16], const uint8_t kcv[3])
{
    static const uint8_t zero[8] = {0};
    uint8_t check[8];
    cos_key old;
    int rc;

    /* KCV of a DES key: 3DES(key, 00 x 8), leftmost 3 bytes (GP CS 2.3, B.6; the KCV
     * PUT KEY carries). */
    rc = cos_cipher(ctx, COS_ALG_DES, value, 16, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, zero,
                    check, 8);
    if (rc < 0)
        return rc;
    rc = cos_ct_equal(check, kcv, 3);
    cos_wipe(check, sizeof check);
    if (!rc)
        return COS_SW_WRONG_DATA;
    /* One key per index: the purse finds keys by index whatever their version. */
    while ((rc = cos_key_find(ctx, usage, kid, -1, &old)) == 0)
        if ((rc = cos_key_delete(ctx, &old)) < 0)
            return rc;
    if (rc != COS_ERR_NOT_FOUND)
        return rc;
    cos_key_spec spec = {usage, kid, kver, COS_ALG_DES, 16, err_max, value};
    rc = cos_key_put(ctx, &spec, NULL);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* DGI 8010-8012: index (1) version (1) key (16) KCV (3). */
static int purse_key(cos_ctx *ctx, uint8_t usage, const uint8_t *v, size_t n)
{
    if (n != PBOC_DGI_KEY_LEN || v[0] == 0)
        return COS_SW_WRONG_DATA;
    return pboc_perso_key(ctx, usage, v[0], v[1], 0, v + 2, v + 18);
}

/* DGI 8030: tries (1) PIN (2..6 bytes, BCD digits, F-padded). The card OS offers applets
 * no service to create a PIN, so the purse uses the issuer's personalization call on
 * its own ADF (as the card manager does for the files of a new instance); the PIN is
 * created inside the block's transaction. */
static int pin(cos_ctx *ctx, const uint8_t *v, size_t n)
{
    uint8_t st[ST_SIZE];
    cos_obj o;
    int rc;

    if (n < 3 || n > 1u + PBOC_PIN_MAXLEN || v[0] == 0 || v[0] > 15)
        return COS_SW_WRONG_DATA;
    for (size_t i = 1; i < n; i++)
        if ((v[i] >> 4) > 9 || ((v[i] & 0x0Fu) > 9 && ((v[i] & 0x0Fu) != 0x0F || i + 1 != n)))
            return COS_SW_WRONG_DATA;
    if ((rc = cos_obj_open(ctx, PBOC_OBJ_STATE, &o)) < 0 ||
        (rc = cos_obj_read(ctx, &o, 0, st, ST_SIZE)) < 0)
        return rc;
    rc = cos_perso_pin(ctx->card, ctx->inst, st[ST_PIN_REF], v + 1, (uint8_t)(n - 1),
                       PBOC_PIN_MAXLEN, v[0], 0, NULL);
    if (rc == COS_ERR_EXISTS)
        return COS_SW_CONDITIONS;
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* DGI 0F10: the purse parameters, as install parameters (pboc.h tags 02-06). The
 * balances are value: they may be set only on a purse no transaction has touched
 * (PBOC 2.0 part 1, 12: the card must not create value). */
static int purse_params(cos_ctx *ctx, const uint8_t *v, size_t n)
{
    uint8_t st[ST_SIZE], tag, l;
    const uint8_t *x;
    size_t i = 0;
    cos_obj o;
    int rc;

    if ((rc = cos_obj_open(ctx, PBOC_OBJ_STATE, &o)) < 0 ||
        (rc = cos_obj_read(ctx, &o, 0, st, ST_SIZE)) < 0)
        return rc;
    if (pboc__get16(st + ST_ED + PU_ONLINE) || pboc__get16(st + ST_ED + PU_OFFLINE) ||
        pboc__get16(st + ST_EP + PU_ONLINE) || pboc__get16(st + ST_EP + PU_OFFLINE))
        return COS_SW_CONDITIONS;
    while ((rc = pboc_tlv_next(v, n, &i, &tag, &l, &x)) == 1) {
        switch (tag) {
        case PBOC_TAG_OVERDRAFT:
            if (l != 3)
                return COS_SW_WRONG_DATA;
            memcpy(st + ST_OVERDRAFT, x, 3);
            break;
        case PBOC_TAG_MAX_BALANCE:
            if (l != 4)
                return COS_SW_WRONG_DATA;
            memcpy(st + ST_MAX_BAL, x, 4);
            break;
        case PBOC_TAG_MAC_LIMIT:
            if (l != 1)
                return COS_SW_WRONG_DATA;
            st[ST_MAC_LIMIT] = st[ST_MAC_LEFT] = x[0];
            break;
        case PBOC_TAG_ED_BALANCE:
        case PBOC_TAG_EP_BALANCE: {
            uint8_t purse = tag == PBOC_TAG_ED_BALANCE ? PBOC_PURSE_ED : PBOC_PURSE_EP;
            if (l != 4 || !(st[ST_PURSES] & purse))
                return COS_SW_WRONG_DATA;
            memcpy(st + (purse == PBOC_PURSE_ED ? ST_ED : ST_EP) + PU_BAL, x, 4);
            break;
        }
        default:
            return COS_SW_WRONG_DATA;
        }
    }
    if (rc != 0)
        return rc;
    if (pboc__get32(st + ST_ED + PU_BAL) > pboc__get32(st + ST_MAX_BAL) ||
        pboc__get32(st + ST_EP + PU_BAL) > pboc__get32(st + ST_MAX_BAL))
        return COS_SW_WRONG_DATA;
    rc = cos_obj_write(ctx, &o, 0, st, ST_PROOF);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* DGI = FID of one of the class's transparent EFs: its whole content. */
static int file(cos_ctx *ctx, const pboc_perso_file *f, const uint8_t *v, size_t n)
{
    cos_ef ef;
    int rc;

    if (n != f->size)
        return COS_SW_WRONG_DATA;
    rc = cos_ef_open(ctx, f->fid, &ef);
    if (rc == COS_ERR_NOT_FOUND) {
        cos_ef_spec spec;
        memset(&spec, 0, sizeof spec);
        spec.fid = f->fid;
        spec.sfi = f->sfi;
        spec.type = COS_EF_TRANSPARENT;
        spec.ac_read = f->ac_read;
        spec.ac_write = COS_AC_NEVER;
        spec.size = f->size;
        spec.init = v;
        spec.init_len = (uint16_t)n;
        rc = cos_ef_create(ctx, &spec, NULL);
        return rc == COS_ERR_NO_SPACE ? (int)COS_SW_NO_MEMORY : rc < 0 ? rc : (int)COS_SW_OK;
    }
    if (rc < 0)
        return rc;
    /* The EF came with the instance (a load file template): only its content is new. */
    if (ef.type != COS_EF_TRANSPARENT || ef.size != n)
        return COS_SW_WRONG_DATA;
    rc = cos_ef_write(ctx, &ef, 0, v, (uint16_t)n);
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* One DGI: the class's hook first, then the class's files and the purse's own DGIs. */
static int apply(cos_ctx *ctx, const pboc_perso_class *cls, uint16_t dgi, const uint8_t *v,
                 size_t n)
{
    int sw;

    if (cls->dgi != NULL && (sw = cls->dgi(ctx, dgi, v, n)) != 0)
        return sw;
    for (unsigned i = 0; i < cls->nfiles; i++)
        if (cls->files[i].fid == dgi)
            return file(ctx, &cls->files[i], v, n);
    switch (dgi) {
    case PBOC_DGI_PURSE:
        return purse_params(ctx, v, n);
    case PBOC_DGI_PURCHASE_KEY:
        return purse_key(ctx, PBOC_KEY_PURCHASE, v, n);
    case PBOC_DGI_LOAD_KEY:
        return purse_key(ctx, PBOC_KEY_LOAD, v, n);
    case PBOC_DGI_TAC_KEY:
        return purse_key(ctx, PBOC_KEY_TAC, v, n);
    case PBOC_DGI_PIN:
        return cls->pin ? pin(ctx, v, n) : (int)COS_SW_REF_NOT_FOUND;
    default:
        return COS_SW_REF_NOT_FOUND;
    }
}

int pboc_perso(cos_ctx *ctx, const pboc_perso_class *cls, const uint8_t *in, size_t inlen)
{
    const uint8_t *data, *v;
    uint8_t p1, state = 0;
    size_t n, off = 0, len;
    uint16_t dgi;
    cos_obj o;
    int rc, sw = COS_SW_OK, have;

    if (inlen < 2)
        return COS_SW_WRONG_LENGTH;
    p1 = in[0];
    data = in + 2;
    n = inlen - 2;
    /* DGI format only; of the encryption indications, none or the DEK's (the SD has
     * removed it): application-dependent encryption is not obol's. */
    if ((p1 & P1_FMT_MASK) != P1_FMT_DGI)
        return COS_SW_WRONG_DATA;
    if ((p1 & P1_ENC_MASK) != 0 && (p1 & P1_ENC_MASK) != P1_ENC_DEK)
        return COS_SW_WRONG_DATA;
    rc = cos_obj_open(ctx, PBOC_OBJ_PERSO, &o);
    have = rc == 0;
    if (rc < 0 && rc != COS_ERR_NOT_FOUND)
        return rc;
    if (have && (rc = cos_obj_read(ctx, &o, 0, &state, 1)) < 0)
        return rc;
    if (state == PBOC_PERSO_DONE)
        return COS_SW_CONDITIONS;
    /* Check the block's structure and the secrets' protection before changing anything. */
    while ((rc = dgi_next(data, n, &off, &dgi, &v, &len)) == 1)
        if (DGI_SECRET(dgi) && (p1 & P1_ENC_MASK) != P1_ENC_DEK)
            return COS_SW_SECURITY;
    if (rc < 0)
        return COS_SW_WRONG_DATA;

    if ((rc = cos_txn_begin(ctx)) < 0)
        return rc;
    if (!have)
        rc = cos_obj_create(ctx, PBOC_OBJ_PERSO, 1, &o);
    for (off = 0; rc == 0 && sw == (int)COS_SW_OK && dgi_next(data, n, &off, &dgi, &v, &len) == 1;)
        sw = apply(ctx, cls, dgi, v, len);
    if (rc == 0 && sw == (int)COS_SW_OK) {
        state = (p1 & P1_LAST) ? PBOC_PERSO_DONE : PBOC_PERSO_OPEN;
        rc = cos_obj_write(ctx, &o, 0, &state, 1);
    }
    if (rc == 0 && sw < 0)
        rc = sw;
    if (rc == 0 && sw == (int)COS_SW_OK)
        rc = cos_txn_commit(ctx);
    else
        cos_txn_abort(ctx);
    if (rc == COS_ERR_NO_SPACE || rc == COS_ERR_JOURNAL_FULL)
        return COS_SW_NO_MEMORY;
    return rc < 0 ? rc : sw;
}
