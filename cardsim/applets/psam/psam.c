/*
 * obol applet: PSAM for PBOC purse purchases (PBOC 2.0 part 1, 12.3; the PSAM side of
 * PROTOCOLS.md "PSAM").
 *
 * Persistent state: data object PSAM_OBJ_STATE holds the last terminal transaction
 * number (TTN, 4 bytes big-endian). INIT SAM FOR PURCHASE writes TTN + 1 to NVM before
 * MAC1 leaves the card, so a number is never used twice, even across power loss. The
 * write is a single direct write of the big-endian value: NVM bytes land in order
 * (cos_hal.h), and an increment changes a prefix of equal bytes, one byte that grows,
 * and a suffix that becomes zeros; a torn write therefore leaves either the old value
 * (no MAC1 was answered) or a value at least the new one, never one already used.
 *
 * Transient state (the channel's applet RAM): after INIT SAM FOR PURCHASE, the MAC2
 * the card must answer, until CREDIT SAM FOR PURCHASE or any other command.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obol/cos_applet.h"
#include "obol/cos_crypto.h"
#include "obol/obol_rom.h"
#include "psam.h"

typedef struct sess {
    uint8_t step; /* 1: MAC2 expected */
    uint8_t mac2[4];
} sess;

_Static_assert(sizeof(sess) <= COS_APPLET_RAM, "PSAM session must fit the applet RAM");

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The factor block F || NOT F of a dispersion. */
static void factor_block(const uint8_t f[8], uint8_t out[16])
{
    int i;

    for (i = 0; i < 8; i++) {
        out[i] = f[i];
        out[i + 8] = (uint8_t)~f[i];
    }
}

/* Derives the card key (16 bytes) for master key usage pair (ONE, TWO), version KVER,
 * from the card serial SERIAL and issuer code ISSUER. Returns 0, 9403 (no such key
 * version) or a fault. */
static int card_key(cos_ctx *ctx, uint8_t one, uint8_t two, uint8_t kver, const uint8_t *serial,
                    const uint8_t *issuer, uint8_t out[16])
{
    uint8_t fb[16], k1[16];
    cos_key mk;
    int levels = 2, rc;

    rc = cos_key_find(ctx, two, PSAM_KID, kver, &mk);
    if (rc == COS_ERR_NOT_FOUND) {
        levels = 1;
        rc = cos_key_find(ctx, one, PSAM_KID, kver, &mk);
    }
    if (rc == COS_ERR_NOT_FOUND)
        return 0x9403; /* key version not supported (PBOC 9403) */
    if (rc < 0)
        return rc;
    if (mk.alg != COS_ALG_DES || mk.len != 16)
        return 0x9403;
    /* Two levels: K1 = Div(MK, issuer code), then DPK = Div(K1, card serial). */
    factor_block(levels == 2 ? issuer : serial, fb);
    rc = cos_key_cipher(ctx, &mk, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, fb, k1, 16);
    if (rc >= 0 && levels == 2) {
        factor_block(serial, fb);
        rc = cos_cipher(ctx, COS_ALG_DES, k1, 16, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, fb,
                        out, 16);
    } else if (rc >= 0) {
        memcpy(out, k1, 16);
    }
    cos_wipe(k1, sizeof k1);
    return rc < 0 ? rc : 0;
}

static int mac4(cos_ctx *ctx, const uint8_t key[8], const uint8_t *data, size_t len, uint8_t out[4])
{
    uint8_t m[16];
    int rc = cos_mac(ctx, COS_ALG_DES, key, 8, NULL, data, len, m);
    if (rc < 0)
        return rc;
    memcpy(out, m, 4);
    return 0;
}

/* ---- INIT SAM FOR PURCHASE (80 70 00 00 24) ------------------------------------------------
 * Data: card random (4) offline counter (2) amount (4) type (1) date (4) time (3) key
 * version (1) algorithm id (1) card application serial (8) issuer/city code (8).
 * Answer: terminal transaction number (4) || MAC1 (4). */
static int init_sam(cos_ctx *ctx, sess *s, const cos_apdu *a, cos_resp *r)
{
    const uint8_t *d = a->data;
    uint8_t dpk[16], in[18], sespk[8], mac1[4], ttnb[4];
    cos_ef ef;
    cos_obj o;
    uint32_t ttn;
    int rc;

    if (a->p1 != 0 || a->p2 != 0)
        return COS_SW_WRONG_P1P2;
    if (a->nc != 0x24)
        return COS_SW_WRONG_LENGTH;
    if (d[19] != PSAM_ALG_3DES)
        return COS_SW_WRONG_DATA;
    if (cos_ef_open_sfi(ctx, PSAM_TID_SFI, &ef) != 0 || ef.type != COS_EF_TRANSPARENT ||
        ef.size < 6)
        return COS_SW_CONDITIONS; /* not personalized with a terminal id */
    if ((rc = cos_obj_open(ctx, PSAM_OBJ_STATE, &o)) < 0)
        return rc;
    if ((rc = cos_obj_read(ctx, &o, 0, ttnb, 4)) < 0)
        return rc;
    ttn = get32(ttnb);
    if (ttn == 0xFFFFFFFFu)
        return COS_SW_CONDITIONS; /* numbers used up: never wrap to a used one */
    put32(ttnb, ++ttn);
    rc = card_key(ctx, PSAM_KEY_PURCHASE1, PSAM_KEY_PURCHASE2, d[18], d + 20, d + 28, dpk);
    if (rc != 0)
        goto out;
    /* SESPK = 3DES(DPK, card random || offline counter || rightmost 2 bytes of TTN). */
    memcpy(in, d, 6);
    memcpy(in + 6, ttnb + 2, 2);
    rc = cos_cipher(ctx, COS_ALG_DES, dpk, 16, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, in, sespk,
                    8);
    if (rc < 0)
        goto out;
    /* MAC1 = MAC(SESPK, amount || type || terminal id || date || time). */
    memcpy(in, d + 6, 5);
    if ((rc = cos_ef_read(ctx, &ef, 0, in + 5, 6)) < 0)
        goto out;
    memcpy(in + 11, d + 11, 7);
    if ((rc = mac4(ctx, sespk, in, 18, mac1)) < 0)
        goto out;
    if ((rc = mac4(ctx, sespk, d + 6, 4, s->mac2)) < 0)
        goto out;
    /* The number is spent before MAC1 leaves the card (see the file comment). */
    if ((rc = cos_obj_write_direct(ctx, &o, 0, ttnb, 4)) < 0)
        goto out;
    if ((rc = cos_resp_put(r, ttnb, 4)) < 0 || (rc = cos_resp_put(r, mac1, 4)) < 0)
        goto out;
    s->step = 1;
    rc = COS_SW_OK;
out:
    cos_wipe(dpk, sizeof dpk);
    cos_wipe(sespk, sizeof sespk);
    return rc;
}

/* ---- CREDIT SAM FOR PURCHASE (80 72 00 00 04): checks the card's MAC2 ---------------------- */
static int credit_sam(sess *s, const cos_apdu *a)
{
    int ok;

    if (s->step != 1)
        return COS_SW_CONDITIONS;
    if (a->p1 != 0 || a->p2 != 0)
        return COS_SW_WRONG_P1P2;
    if (a->nc != 4)
        return COS_SW_WRONG_LENGTH;
    ok = cos_ct_equal(s->mac2, a->data, 4);
    s->step = 0;
    cos_wipe(s->mac2, sizeof s->mac2);
    return ok ? COS_SW_OK : 0x9302;
}

/* ---- VERIFY TAC (80 7A 00 00 Lc), obol's own ---------------------------------------------
 * Data: key version (1) card serial (8) issuer code (8) TAC data (>= 1) TAC (4). Checks
 * TAC = MAC(DTK left XOR right, TAC data) with DTK dispersed from the TAC master key of
 * that version. 9000 or 9302; 9403 for an unknown version. */
static int verify_tac(cos_ctx *ctx, const cos_apdu *a)
{
    const uint8_t *d = a->data;
    uint8_t dtk[16], tk[8], m[4];
    int rc, i;

    if (a->p1 != 0 || a->p2 != 0)
        return COS_SW_WRONG_P1P2;
    if (a->nc < 1 + 8 + 8 + 1 + 4)
        return COS_SW_WRONG_LENGTH;
    rc = card_key(ctx, PSAM_KEY_TAC1, PSAM_KEY_TAC2, d[0], d + 1, d + 9, dtk);
    if (rc == 0) {
        for (i = 0; i < 8; i++)
            tk[i] = (uint8_t)(dtk[i] ^ dtk[i + 8]);
        rc = mac4(ctx, tk, d + 17, a->nc - 21u, m);
        if (rc == 0)
            rc = cos_ct_equal(m, d + a->nc - 4, 4) ? COS_SW_OK : 0x9302;
    }
    cos_wipe(dtk, sizeof dtk);
    cos_wipe(tk, sizeof tk);
    return rc;
}

/* ---- the applet interface ------------------------------------------------------------------ */

static int psam_install(cos_ctx *ctx, const uint8_t *params, size_t len)
{
    uint8_t ttn[4] = {0, 0, 0, 0};
    cos_obj o;
    size_t i = 0;
    int rc;

    while (i < len) {
        if (len - i < 2 || len - i - 2 < params[i + 1])
            return COS_SW_WRONG_DATA;
        if (params[i] != PSAM_TAG_TTN || params[i + 1] != 4)
            return COS_SW_WRONG_DATA;
        memcpy(ttn, params + i + 2, 4);
        i += 6;
    }
    if ((rc = cos_obj_create(ctx, PSAM_OBJ_STATE, 4, &o)) < 0)
        return rc;
    if ((rc = cos_obj_write(ctx, &o, 0, ttn, 4)) < 0)
        return rc;
    return 0;
}

static int psam_select(cos_ctx *ctx)
{
    (void)ctx; /* the RAM arrives zeroed: no session */
    return 0;
}

static void psam_deselect(cos_ctx *ctx)
{
    if (ctx->ram != NULL)
        cos_wipe(ctx->ram, sizeof(sess));
}

static int psam_process(cos_ctx *ctx, const cos_apdu *cmd, cos_resp *resp)
{
    sess s;
    int rc;

    if (ctx->ram == NULL)
        return COS_ERR_PARAM;
    memcpy(&s, ctx->ram, sizeof s);
    /* Any command but CREDIT SAM FOR PURCHASE ends a purchase in progress. */
    if (!(cmd->ins == 0x72 && (cmd->cla & 0x80u)))
        s.step = 0;
    if ((cmd->cla & 0x80u) == 0) {
        rc = COS_PROCESS_OS;
    } else if (cmd->sm) {
        rc = COS_SW_SM_UNSUPPORTED;
    } else {
        switch (cmd->ins) {
        case 0x70:
            rc = init_sam(ctx, &s, cmd, resp);
            break;
        case 0x72:
            rc = credit_sam(&s, cmd);
            break;
        case 0x7A:
            rc = verify_tac(ctx, cmd);
            break;
        default:
            rc = COS_SW_INS_UNSUPPORTED;
            break;
        }
    }
    memcpy(ctx->ram, &s, sizeof s);
    cos_wipe(&s, sizeof s);
    return rc;
}

static const uint8_t psam_module_aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D};

const cos_applet_class psam_class = {
    .id = OBOL_CLASS_PSAM,
    .flags = 0,
    .module_aid_len = sizeof psam_module_aid,
    .module_aid = psam_module_aid,
    .name = "psam",
    .install = psam_install,
    .select = psam_select,
    .deselect = psam_deselect,
    .process = psam_process,
    .power_off = psam_deselect,
    .share = NULL,
};
