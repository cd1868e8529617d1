/*
 * obol applet gp: the security domain class (gp_class): install, the command
 * dispatcher, GET DATA, STORE DATA, and the shareable interfaces.
 *
 * Every command goes through the secure channel layer first (scp.c): INITIALIZE
 * UPDATE and EXTERNAL AUTHENTICATE open a session; any other command is unwrapped
 * (C-MAC, C-DECRYPTION) into the plain command, processed, and its answer wrapped
 * (R-MAC, R-ENCRYPTION). GET DATA is the only command an SD answers without an
 * authenticated session; PUT KEY needs at least C-MAC (GP CS 2.3 11.8.1).
 *
 * Content management (INSTALL, LOAD, DELETE, GET STATUS, SET STATUS) is the OPEN's
 * (open.c): the ISD calls it directly, an SSD through GP_IFACE_OPEN, and the OPEN
 * checks what that SD may touch. STORE DATA goes to the SD itself, or after INSTALL
 * [for personalization] through the OPEN to the target application (GP_IFACE_PERSO),
 * once the SD has removed its own protection (C-DECRYPTION, and the DEK encryption
 * P1 b6-b5 = 11 announces).
 *
 * Install parameters (built by gp_isd_create() or by the OPEN for a new SSD; a TSM
 * supplies only the GP_SDP_* tags, in C9): BER-TLVs
 *   01 isd-aid   this SD is an SSD; the OPEN's AID (first, only from the OPEN)
 *   02 lcs       ISD: initial card life cycle state
 *   03 cplc      ISD: 42 bytes of CPLC data
 *   04 alg key   ISD: the initial key set KVN FF (algorithm, 16 bytes)
 *   42 iin, 45 cin  ISD: issuer and card identification numbers
 *   80-83        GP_SDP_* of gp.h
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

const uint8_t gp_isd_aid_default[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
const uint8_t gp_rom_elf_aid[7] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50};
const uint8_t gp_sd_module_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50, 0x41};

int gp__sd_load(cos_ctx *ctx, gp_ram *ram, gp_sd *sd)
{
    int rc;

    sd->ctx = ctx;
    sd->ram = ram;
    rc = cos_obj_open(ctx, GP_OBJ_CFG, &sd->cfgh);
    if (rc == 0)
        rc = cos_obj_read(ctx, &sd->cfgh, 0, sd->cfg, CFG_SIZE);
    return rc;
}

int gp__cfg_write(gp_sd *sd, unsigned off, const void *p, size_t n)
{
    int rc = cos_obj_write(sd->ctx, &sd->cfgh, (uint16_t)off, p, (uint16_t)n);
    if (rc == 0)
        memcpy(sd->cfg + off, p, n);
    return rc;
}

int gp__card_lcs(gp_sd *sd, uint8_t *lcs)
{
    uint8_t in[GP_HDR], aux[2] = {0, 0}, buf[8];
    cos_resp r = {buf, sizeof buf, 0};
    cos_apdu a;
    int sw;

    if (sd->cfg[CFG_FLAGS] & CF_ISD) {
        *lcs = sd->cfg[CFG_LCS];
        return 0;
    }
    memset(&a, 0, sizeof a);
    a.data = in + GP_HDR;
    sw = gp__open_call(sd, GP_OP_STATE, &a, in, aux, &r);
    if (sw < 0)
        return sw;
    *lcs = sw == (int)COS_SW_OK && r.len == 1 ? buf[0] : GP_CARD_TERMINATED;
    return 0;
}

/* ---- install ---------------------------------------------------------------------------- */

static int check_i02(uint8_t i)
{
    return i == 0x15 || i == 0x55;
}

static int check_i03(uint8_t i)
{
    /* b5 pseudo-random challenge, b6 R-MAC, b7 R-ENC (only with R-MAC). */
    return (i & ~0x70u) == 0 && (!(i & 0x40) || (i & 0x20));
}

static int install(cos_ctx *ctx, const uint8_t *params, size_t len)
{
    uint8_t cfg[CFG_SIZE], card[CARD_SIZE];
    const uint8_t *v, *key = NULL;
    size_t off = 0, n;
    uint16_t tag;
    int rc, isd = 1, first = 1, scp_set = 0;
    uint8_t key_alg = 0;
    cos_obj h;

    memset(cfg, 0, sizeof cfg);
    memset(card, 0, sizeof card);
    cfg[CFG_LCS] = GP_CARD_OP_READY;
    cfg[CFG_LIMIT] = GP_AUTH_LIMIT_DEFAULT;
    while ((rc = gp__tlv_next(params, len, &off, &tag, &v, &n)) == 1) {
        if (tag == 0x01) {
            if (!first || n < 5 || n > 16)
                return COS_SW_WRONG_DATA;
            isd = 0;
            cfg[CFG_ISDLEN] = (uint8_t)n;
            memcpy(cfg + CFG_ISD, v, n);
        } else if (tag >= 0x02 && tag <= 0x45 && !isd) {
            return COS_SW_WRONG_DATA; /* ISD data only from personalization */
        } else if (tag == 0x02 && n == 1) {
            cfg[CFG_LCS] = v[0];
        } else if (tag == 0x03 && n == 42) {
            card[CARD_CPLC] = 1;
            memcpy(card + CARD_CPLC + 1, v, 42);
        } else if (tag == 0x04 && n == 17 && (v[0] == COS_ALG_DES || v[0] == COS_ALG_AES)) {
            key_alg = v[0];
            key = v + 1;
        } else if ((tag == 0x42 || tag == 0x45) && n <= 15) {
            unsigned at = tag == 0x42 ? CARD_IIN : CARD_CIN;
            card[at] = (uint8_t)n;
            memcpy(card + at + 1, v, n);
        } else if (tag == GP_SDP_SCP02 && n == 1 && check_i02(v[0])) {
            cfg[CFG_FLAGS] |= CF_SCP02;
            cfg[CFG_I02] = v[0];
            scp_set = 1;
        } else if (tag == GP_SDP_SCP03 && n == 1 && check_i03(v[0])) {
            cfg[CFG_FLAGS] |= CF_SCP03;
            cfg[CFG_I03] = v[0];
            scp_set = 1;
        } else if (tag == GP_SDP_AUTH_LIMIT && n == 1) {
            cfg[CFG_LIMIT] = v[0];
        } else if (tag == GP_SDP_KDD && n == 10) {
            memcpy(cfg + CFG_KDD, v, 10);
        } else {
            return COS_SW_WRONG_DATA;
        }
        first = 0;
    }
    if (rc < 0)
        return COS_SW_WRONG_DATA;
    if (!scp_set) {
        cfg[CFG_FLAGS] |= CF_SCP03;
        cfg[CFG_I03] = 0x70;
    }
    if (isd)
        cfg[CFG_FLAGS] |= CF_ISD;
    if (key)
        cfg[CFG_KVN] = GP_KVN_INITIAL;

    rc = cos_obj_create(ctx, GP_OBJ_CFG, CFG_SIZE, &h);
    if (rc == 0)
        rc = cos_obj_write(ctx, &h, 0, cfg, CFG_SIZE);
    if (rc == 0 && isd) {
        rc = cos_obj_create(ctx, GP_OBJ_CARD, CARD_SIZE, &h);
        if (rc == 0)
            rc = cos_obj_write(ctx, &h, 0, card, CARD_SIZE);
        if (rc == 0)
            rc = cos_obj_create(ctx, GP_OBJ_REG, (uint16_t)(GP_REG_MAX * REG_SIZE), NULL);
    }
    for (uint8_t kid = 1; rc == 0 && key && kid <= 3; kid++) {
        cos_key_spec s = {COS_KEY_GP, kid, GP_KVN_INITIAL,
                          key_alg,    16,  kid == 1 ? cfg[CFG_LIMIT] : (uint8_t)0,
                          key};
        rc = cos_key_put(ctx, &s, NULL);
    }
    if (rc == 0 && !isd) {
        /* The OPEN forwards personalization and asks for DAP checks on our behalf. */
        rc = cos_share_grant(ctx, cfg + CFG_ISD, cfg[CFG_ISDLEN], GP_IFACE_PERSO);
        if (rc == 0)
            rc = cos_share_grant(ctx, cfg + CFG_ISD, cfg[CFG_ISDLEN], GP_IFACE_DAP);
    }
    return rc;
}

/* ---- GET DATA -------------------------------------------------------------------------- */

static int card_obj(gp_sd *sd, uint8_t *card)
{
    cos_obj h;
    int rc = cos_obj_open(sd->ctx, GP_OBJ_CARD, &h);
    return rc < 0 ? rc : cos_obj_read(sd->ctx, &h, 0, card, CARD_SIZE);
}

static int get_data(gp_sd *sd, const cos_apdu *a, cos_resp *r)
{
    uint16_t tag = (uint16_t)(a->p1 << 8 | a->p2);
    uint8_t card[CARD_SIZE];
    int isd = (sd->cfg[CFG_FLAGS] & CF_ISD) != 0, rc;

    /* GP CS 2.3 11.3: the data object (tag, length, value) named by P1-P2. */
    switch (tag) {
    case 0x0066:
        rc = gp__card_data(sd, r);
        break;
    case 0x00E0:
        rc = gp__key_info(sd, r);
        break;
    case 0x00C1:
        /* Sequence counter of the default key version (H.2): 2 bytes for SCP02. */
        if (sd->cfg[CFG_FLAGS] & CF_SCP03)
            rc = gp__tlv_put(r, 0xC1, sd->cfg + CFG_SEQ, 3);
        else
            rc = gp__tlv_put(r, 0xC1, sd->cfg + CFG_SEQ + 1, 2);
        break;
    case 0x00CF:
        rc = gp__tlv_put(r, 0xCF, sd->cfg + CFG_KDD, 10);
        break;
    case 0x9F7F:
    case 0x0042:
    case 0x0045:
        if (!isd)
            return COS_SW_REF_NOT_FOUND;
        rc = card_obj(sd, card);
        if (rc < 0)
            return rc;
        if (tag == 0x9F7F) {
            if (!card[CARD_CPLC])
                return COS_SW_REF_NOT_FOUND;
            rc = gp__tlv_put(r, tag, card + CARD_CPLC + 1, 42);
        } else {
            unsigned at = tag == 0x42 ? CARD_IIN : CARD_CIN;
            if (!card[at])
                return COS_SW_REF_NOT_FOUND;
            rc = gp__tlv_put(r, tag, card + at + 1, card[at]);
        }
        break;
    default:
        return COS_SW_REF_NOT_FOUND;
    }
    return rc < 0 ? rc : (int)COS_SW_OK;
}

/* ---- STORE DATA ------------------------------------------------------------------------ */

int gp__sd_store(gp_sd *sd, uint8_t p1, const uint8_t *data, size_t len)
{
    uint8_t card[CARD_SIZE], kb[64];
    const uint8_t *v;
    size_t off = 0, n;
    uint16_t tag;
    int isd = (sd->cfg[CFG_FLAGS] & CF_ISD) != 0, rc, card_dirty = 0;
    cos_obj h;

    /* GP CS 2.3 11.11.2.1: an SD takes BER-TLV data (P1 b5-b4 = 10, or 00). */
    if ((p1 & 0x18) == 0x08 || (p1 & 0x18) == 0x18)
        return COS_SW_WRONG_DATA;
    if (isd) {
        rc = card_obj(sd, card);
        if (rc < 0)
            return rc;
    }
    while ((rc = gp__tlv_next(data, len, &off, &tag, &v, &n)) == 1) {
        if ((tag == 0x42 || tag == 0x45) && isd && n > 0 && n <= 15) {
            unsigned at = tag == 0x42 ? CARD_IIN : CARD_CIN;
            card[at] = (uint8_t)n;
            memcpy(card + at + 1, v, n);
            card_dirty = 1;
        } else if (tag == 0x9F7F && isd && n == 42) {
            /* CPLC is the manufacturer's: only before the card leaves OP_READY. */
            if (sd->cfg[CFG_LCS] != GP_CARD_OP_READY)
                return COS_SW_CONDITIONS;
            card[CARD_CPLC] = 1;
            memcpy(card + CARD_CPLC + 1, v, 42);
            card_dirty = 1;
        } else if (tag == 0xCF && n == 10) {
            rc = gp__cfg_write(sd, CFG_KDD, v, 10);
            if (rc < 0)
                return rc;
        } else if (tag == 0xD8) {
            /* A key set in the PUT KEY data format with clear values: only inside a
             * block the host encrypted under the DEK (P1 b6-b5 = 11), which the SD
             * that received it has removed. */
            cos_resp kr = {kb, sizeof kb, 0};
            cos_key k;
            if ((p1 & 0x60) != 0x60 || n < 1)
                return COS_SW_CONDITIONS;
            /* Forwarded by another SD (the issuer's), keys come only once: the
             * activation set of an SD that has none. Once its owner has keys, its
             * keys change only through its own channel (PUT KEY), so the issuer cannot
             * slip a key set of its own into an operator's domain. */
            if (!sd->ram) {
                for (unsigned i = 0; i < GP_KVN_MAX; i++)
                    if (sd->cfg[CFG_KVN + i])
                        return COS_SW_CONDITIONS;
            }
            int exists = cos_key_find(sd->ctx, COS_KEY_GP, 1, v[0], &k) == 0;
            uint8_t p2 = v[0] >= 0x70 && v[0] <= 0x7F ? 0x01 : 0x81;
            rc = gp__store_keys(sd, exists ? v[0] : 0, p2, v, n, 0, &kr);
            if (rc != (int)COS_SW_OK)
                return rc;
        } else {
            return COS_SW_WRONG_DATA;
        }
    }
    if (rc < 0)
        return COS_SW_WRONG_DATA;
    if (card_dirty) {
        rc = cos_obj_open(sd->ctx, GP_OBJ_CARD, &h);
        if (rc == 0)
            rc = cos_obj_write(sd->ctx, &h, 0, card, CARD_SIZE);
        if (rc < 0)
            return rc;
    }
    return COS_SW_OK;
}

static int store_data(gp_sd *sd, const cos_apdu *a, uint8_t *in, cos_resp *r)
{
    gp_ram *ram = sd->ram;
    const uint8_t *data = a->data;
    uint8_t *hdr = in, aux[2];
    size_t n = a->nc, wipe = 0;
    int sw, rc;

    if (!(ram->flags & RF_STORE)) {
        ram->flags |= RF_STORE;
        ram->store_next = 0;
    }
    /* 11.11.2.2: blocks are numbered from 00 in sequence. */
    if (a->p2 != ram->store_next)
        return COS_SW_WRONG_P1P2;
    if (n == 0)
        return COS_SW_WRONG_LENGTH;
    if ((a->p1 & 0x60) == 0x60) {
        /* Decrypt into the response area (the plain command stays as the R-MAC saw
         * it), leaving header room for the OPEN before it. */
        uint8_t *dst = r->buf + GP_HDR;
        size_t plen;
        memcpy(dst, data, n);
        rc = gp__dek_decrypt(sd, dst, n);
        if (rc == COS_ERR_RANGE)
            return COS_SW_WRONG_DATA;
        if (rc < 0)
            return rc;
        if (gp__unpad(dst, n, &plen) < 0)
            return COS_SW_WRONG_DATA;
        data = dst;
        wipe = n;
        n = plen;
        hdr = r->buf;
    }
    if (ram->flags & RF_PERSO) {
        uint8_t out[40];
        cos_resp o = {out, sizeof out, 0};
        cos_apdu f = *a;
        f.data = data;
        f.nc = (uint16_t)n;
        memcpy(aux, ram->perso, 2);
        sw = gp__open_call(sd, GP_OP_FORWARD, &f, hdr, aux, &o);
        r->len = 0;
        if (wipe)
            cos_wipe(r->buf + GP_HDR, wipe); /* the plain secrets go no further */
        if (sw >= 0 && gp__sw_ok(sw) && o.len) {
            memcpy(r->buf, out, o.len);
            r->len = o.len;
        }
    } else {
        sw = gp__sd_store(sd, a->p1, data, n);
        r->len = 0;
        if (wipe)
            cos_wipe(r->buf + GP_HDR, wipe);
    }
    if (sw == (int)COS_SW_OK) {
        ram->store_next++;
        if (a->p1 & 0x80)
            ram->flags &= (uint8_t) ~(RF_STORE | RF_PERSO);
    }
    return sw;
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int content(gp_sd *sd, const cos_apdu *a, uint8_t *in, cos_resp *r)
{
    gp_ram *ram = sd->ram;
    uint8_t aux[2] = {0, 0};
    int sw;

    if (a->ins == 0xE8 && !(ram->flags & RF_LOAD))
        return COS_SW_CONDITIONS; /* LOAD only after INSTALL [for load] */
    if (a->ins == 0xF2 && (a->p2 & 0x01)) {
        if (!(ram->flags & RF_MORE) || ram->status_p1 != a->p1)
            return COS_SW_CONDITIONS;
        memcpy(aux, ram->cursor, 2);
    }
    sw = gp__open_call(sd, GP_OP_CMD, a, in, aux, r);
    if (sw < 0)
        return sw;
    switch (a->ins) {
    case 0xF2:
        ram->flags &= (uint8_t)~RF_MORE;
        if (sw == 0x6310) {
            ram->flags |= RF_MORE;
            ram->status_p1 = a->p1;
            memcpy(ram->cursor, aux, 2);
        }
        break;
    case 0xE6:
        ram->flags &= (uint8_t) ~(RF_PERSO | RF_LOAD | RF_STORE);
        if (sw == (int)COS_SW_OK && (a->p1 & 0x7F) == 0x20) {
            ram->flags |= RF_PERSO;
            memcpy(ram->perso, aux, 2);
        } else if (sw == (int)COS_SW_OK && (a->p1 & 0x7F) == 0x02) {
            ram->flags |= RF_LOAD;
        }
        break;
    case 0xE8:
        if (sw != (int)COS_SW_OK || (a->p1 & 0x80))
            ram->flags &= (uint8_t)~RF_LOAD;
        break;
    default:
        break;
    }
    return sw;
}

static int dispatch(gp_sd *sd, const cos_apdu *a, uint8_t *in, cos_resp *r)
{
    gp_ram *ram = sd->ram;
    int open = ram && ram->state == GP_ST_OPEN;
    uint8_t lcs;
    int rc;

    if (a->ins == 0xCA && a->nc == 0)
        return get_data(sd, a, r);
    if (!(a->cla & 0x80))
        return COS_SW_INS_UNSUPPORTED;
    if (!open)
        return COS_SW_SECURITY;
    rc = gp__card_lcs(sd, &lcs);
    if (rc < 0)
        return rc;
    if (lcs == GP_CARD_TERMINATED)
        return COS_SW_CONDITIONS;
    switch (a->ins) {
    case 0xD8:
        if (!(ram->level & GP_LVL_CMAC))
            return COS_SW_SECURITY;
        return gp__cmd_put_key(sd, a, r);
    case 0xE2:
        return store_data(sd, a, in, r);
    case 0xE6:
    case 0xE8:
    case 0xE4:
    case 0xF2:
    case 0xF0:
        return content(sd, a, in, r);
    default:
        return COS_SW_INS_UNSUPPORTED;
    }
}

static int select(cos_ctx *ctx)
{
    (void)ctx;
    return 0;
}

static void deselect(cos_ctx *ctx)
{
    if (ctx->ram)
        cos_wipe(ctx->ram, sizeof(gp_ram));
}

static int process(cos_ctx *ctx, const cos_apdu *a, cos_resp *r)
{
    gp_ram *ram = (gp_ram *)(void *)ctx->ram;
    uint8_t *in = r->buf + GP_WORK;
    cos_resp out = {r->buf, GP_RESP_LIMIT, 0};
    cos_apdu plain;
    gp_sd sd;
    int sw, rc;

    if (!(a->cla & 0x80) && a->ins != 0xCA)
        return COS_PROCESS_OS;
    rc = gp__sd_load(ctx, ram, &sd);
    if (rc < 0)
        return rc;
    if (a->ins == 0x50 && (a->cla & 0x80))
        return gp__cmd_init_update(&sd, a, r);
    if (a->ins == 0x82 && (a->cla & 0x80))
        return gp__cmd_ext_auth(&sd, a);
    sw = gp__unwrap(&sd, a, &plain, in + GP_HDR);
    if (sw != 0)
        return sw;
    sw = dispatch(&sd, &plain, in, &out);
    if (sw < 0)
        return sw;
    if (!gp__sw_ok(sw))
        out.len = 0;
    out.cap = GP_WORK;
    rc = gp__wrap(&sd, &plain, sw, &out);
    if (rc < 0)
        return rc;
    r->len = out.len;
    return sw;
}

static int share(cos_ctx *ctx, const uint8_t *client, size_t clen, uint8_t iface, const uint8_t *in,
                 size_t inlen, cos_resp *out)
{
    gp_sd sd;
    int rc = gp__sd_load(ctx, NULL, &sd);

    if (rc < 0)
        return rc;
    switch (iface) {
    case GP_IFACE_OPEN:
        if (!(sd.cfg[CFG_FLAGS] & CF_ISD))
            return COS_SW_CONDITIONS;
        return gp__open_entry(ctx, client, clen, in, inlen, out);
    case GP_IFACE_PERSO:
        if (inlen < 2)
            return COS_SW_WRONG_LENGTH;
        return gp__sd_store(&sd, in[0], in + 2, inlen - 2);
    case GP_IFACE_DAP:
        if (inlen != 48)
            return COS_SW_WRONG_LENGTH;
        return gp__dap_check(&sd, in, in + 32);
    default:
        return COS_SW_CONDITIONS;
    }
}

const cos_applet_class gp_class = {
    .id = GP_CLASS_ID,
    .flags = 0,
    .module_aid_len = sizeof gp_sd_module_aid,
    .module_aid = gp_sd_module_aid,
    .name = "gp",
    .install = install,
    .select = select,
    .deselect = deselect,
    .process = process,
    .power_off = NULL,
    .share = share,
};
