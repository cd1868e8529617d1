/*
 * obol host platform: builders for the GlobalPlatform card content management
 * commands a TSM scripts (GP Card Specification 2.3 chapter 11): INSTALL, LOAD,
 * DELETE, PUT KEY, STORE DATA, SET STATUS, GET STATUS. They produce plain APDUs;
 * host_gp_wrap() protects them for the secure channel.
 */
#include <string.h>

#include "obol/host_crypto.h"
#include "obol/host_gp.h"
#include "host_internal.h"

/* An APDU under construction in the caller's buffer. Appends past the capacity or
 * past 255 bytes of data set ERR instead of writing. */
typedef struct builder {
    uint8_t *out;
    size_t cap;
    size_t len;
    int err;
} builder;

static void b_start(builder *b, uint8_t *out, size_t cap, uint8_t ins, uint8_t p1, uint8_t p2)
{
    b->out = out;
    b->cap = cap;
    b->len = 5;
    b->err = out == NULL ? HOST_ERR_ARG : cap < 5 ? HOST_ERR_NOSPACE : 0;
    if (b->err == 0) {
        out[0] = 0x80;
        out[1] = ins;
        out[2] = p1;
        out[3] = p2;
        out[4] = 0x00;
    }
}

static void b_put(builder *b, const uint8_t *p, size_t n)
{
    if (b->err != 0)
        return;
    if (n > 0 && p == NULL) {
        b->err = HOST_ERR_ARG;
        return;
    }
    if (b->len - 5 + n > 255) {
        b->err = HOST_ERR_ARG;
        return;
    }
    if (b->len + n > b->cap) {
        b->err = HOST_ERR_NOSPACE;
        return;
    }
    if (n > 0)
        memcpy(b->out + b->len, p, n);
    b->len += n;
}

static void b_byte(builder *b, uint8_t v)
{
    b_put(b, &v, 1);
}

/* A length-prefixed field: len(1) || value. Values over 255 bytes cannot be coded. */
static void b_lv(builder *b, const uint8_t *p, size_t n)
{
    if (n > 255 && b->err == 0)
        b->err = HOST_ERR_ARG;
    b_byte(b, (uint8_t)n);
    b_put(b, p, n);
}

/* Closes the APDU: sets Lc (case 1 when there is no data) and appends Le 00 when
 * WITH_LE. */
static int b_finish(builder *b, int with_le, size_t *out_len)
{
    size_t lc = b->len - 5;

    if (b->err != 0)
        return b->err;
    if (out_len == NULL)
        return HOST_ERR_ARG;
    if (lc == 0) {
        b->len = 4; /* no Lc */
    } else {
        b->out[4] = (uint8_t)lc;
    }
    if (with_le) {
        if (b->len + 1 > b->cap)
            return HOST_ERR_NOSPACE;
        b->out[b->len++] = 0x00;
    }
    *out_len = b->len;
    return 0;
}

int host_gp_install_cmd(const host_gp_install *in, uint8_t *out, size_t cap, size_t *out_len)
{
    builder b;

    if (in == NULL)
        return HOST_ERR_ARG;
    b_start(&b, out, cap, 0xE6, in->p1, 0x00);
    /* GP CS 2.3 11.5.2.3: data field per INSTALL variant. */
    switch (in->p1) {
    case HOST_GP_INSTALL_LOAD: /* 11.5.2.3.1 */
        b_lv(&b, in->elf_aid, in->elf_aid_len);
        b_lv(&b, in->sd_aid, in->sd_aid_len);
        b_lv(&b, in->hash, in->hash_len);
        b_lv(&b, in->params, in->params_len);
        b_lv(&b, in->token, in->token_len);
        break;
    case HOST_GP_INSTALL_INSTALL: /* 11.5.2.3.2 */
    case HOST_GP_INSTALL_INSTALL | HOST_GP_INSTALL_SELECTABLE:
        if (in->privileges_len != 1 && in->privileges_len != 3)
            return HOST_ERR_ARG;
        b_lv(&b, in->elf_aid, in->elf_aid_len);
        b_lv(&b, in->module_aid, in->module_aid_len);
        b_lv(&b, in->app_aid, in->app_aid_len);
        b_lv(&b, in->privileges, in->privileges_len);
        b_lv(&b, in->params, in->params_len);
        b_lv(&b, in->token, in->token_len);
        break;
    case HOST_GP_INSTALL_SELECTABLE: /* 11.5.2.3.3 */
        if (in->privileges_len != 1 && in->privileges_len != 3)
            return HOST_ERR_ARG;
        b_byte(&b, 0x00);
        b_byte(&b, 0x00);
        b_lv(&b, in->app_aid, in->app_aid_len);
        b_lv(&b, in->privileges, in->privileges_len);
        b_byte(&b, 0x00);
        b_lv(&b, in->token, in->token_len);
        break;
    case HOST_GP_INSTALL_EXTRADITION: /* 11.5.2.3.4 */
        b_lv(&b, in->sd_aid, in->sd_aid_len);
        b_byte(&b, 0x00);
        b_lv(&b, in->app_aid, in->app_aid_len);
        b_byte(&b, 0x00);
        b_lv(&b, in->params, in->params_len);
        b_lv(&b, in->token, in->token_len);
        break;
    case HOST_GP_INSTALL_PERSO: /* 11.5.2.3.6 */
        b_byte(&b, 0x00);
        b_byte(&b, 0x00);
        b_lv(&b, in->app_aid, in->app_aid_len);
        b_byte(&b, 0x00);
        b_byte(&b, 0x00);
        b_byte(&b, 0x00);
        break;
    default:
        return HOST_ERR_ARG;
    }
    return b_finish(&b, 1, out_len);
}

/* Length of the `C4 len` header for a load file of FILE_LEN bytes (BER length). */
static size_t c4_header(size_t file_len, uint8_t hdr[4])
{
    hdr[0] = 0xC4;
    if (file_len < 0x80) {
        hdr[1] = (uint8_t)file_len;
        return 2;
    }
    if (file_len < 0x100) {
        hdr[1] = 0x81;
        hdr[2] = (uint8_t)file_len;
        return 3;
    }
    hdr[1] = 0x82;
    hdr[2] = (uint8_t)(file_len >> 8);
    hdr[3] = (uint8_t)file_len;
    return 4;
}

size_t host_gp_load_count(size_t file_len, size_t block)
{
    uint8_t hdr[4];
    size_t total, n;

    if (block == 0 || block > 255 || file_len > 0xFFFF)
        return 0;
    total = c4_header(file_len, hdr) + file_len;
    n = (total + block - 1) / block;
    return n > 256 ? 0 : n;
}

int host_gp_load_cmd(const uint8_t *file, size_t file_len, size_t block, size_t index, uint8_t *out,
                     size_t cap, size_t *out_len, int *last)
{
    uint8_t hdr[4];
    size_t count = host_gp_load_count(file_len, block);
    size_t hlen = c4_header(file_len, hdr);
    size_t start = index * block, end, pos;
    builder b;

    if (count == 0 || index >= count || (file == NULL && file_len > 0))
        return HOST_ERR_ARG;
    /* GP CS 2.3 11.6.2: P1 80 marks the last block, P2 is the block number. The
     * stream cut into blocks is C4 || BER length || load file data block. */
    b_start(&b, out, cap, 0xE8, index + 1 == count ? 0x80 : 0x00, (uint8_t)index);
    end = start + block < hlen + file_len ? start + block : hlen + file_len;
    for (pos = start; pos < end && pos < hlen; pos++)
        b_byte(&b, hdr[pos]);
    if (end > pos)
        b_put(&b, file + (pos - hlen), end - pos);
    if (last != NULL)
        *last = index + 1 == count;
    return b_finish(&b, 1, out_len);
}

int host_gp_delete_cmd(const uint8_t *aid, size_t aid_len, int related, uint8_t *out, size_t cap,
                       size_t *out_len)
{
    builder b;

    if (aid_len < 5 || aid_len > 16)
        return HOST_ERR_ARG;
    /* GP CS 2.3 11.2.2: P2 b8 = delete the object and its related objects. */
    b_start(&b, out, cap, 0xE4, 0x00, related ? 0x80 : 0x00);
    b_byte(&b, 0x4F);
    b_lv(&b, aid, aid_len);
    return b_finish(&b, 1, out_len);
}

int host_gp_put_key_cmd(const host_gp_session *s, uint8_t old_kvn, uint8_t new_kvn,
                        uint8_t first_id, const uint8_t *keys, size_t nkeys, size_t keylen,
                        uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t padded[32], enc[32], kcv[3];
    size_t k, enc_len;
    builder b;
    int rc = 0;

    if (s == NULL || keys == NULL || nkeys == 0 || nkeys > 0x7F)
        return HOST_ERR_ARG;
    if (s->state != HOST_GP_OPEN)
        return HOST_ERR_STATE;
    if (s->scp == HOST_GP_SCP02 ? keylen != 16 : keylen != 16 && keylen != 24 && keylen != 32)
        return HOST_ERR_ARG;
    /* GP CS 2.3 11.8.2: P1 the key version number to replace (00 adds a key set),
     * P2 the first key identifier, b8 set when several keys follow. */
    b_start(&b, out, cap, 0xD8, old_kvn, (uint8_t)(first_id | (nkeys > 1 ? 0x80 : 0x00)));
    b_byte(&b, new_kvn);
    for (k = 0; k < nkeys && rc == 0; k++) {
        const uint8_t *key = keys + k * keylen;
        if (s->scp == HOST_GP_SCP02) {
            /* E.4.7 / 11.8.2.3: 3DES-ECB under the session DEK; type 80 (DES). */
            rc = host_des_ecb(s->s_dek, 16, 1, key, enc, 16);
            if (rc == 0)
                rc = host_kcv_des(key, 16, kcv);
            b_byte(&b, 0x80);
            b_byte(&b, 16);
            b_put(&b, enc, 16);
        } else {
            /* Amendment D 7.2: AES-CBC, zero ICV, under the static DEK; type 88 (AES),
             * the key block carries the clear key length first. A 24-byte key is
             * padded with zeros to two blocks. */
            enc_len = keylen == 24 ? 32 : keylen;
            memset(padded, 0, sizeof padded);
            memcpy(padded, key, keylen);
            rc = host_aes_cbc(s->keys.dek, s->keys.len, 1, NULL, padded, enc, enc_len);
            if (rc == 0)
                rc = host_kcv_aes(key, keylen, kcv);
            b_byte(&b, 0x88);
            b_byte(&b, (uint8_t)(enc_len + 1));
            b_byte(&b, (uint8_t)keylen);
            b_put(&b, enc, enc_len);
        }
        b_byte(&b, 0x03);
        b_put(&b, kcv, 3);
    }
    host_wipe(padded, sizeof padded);
    host_wipe(enc, sizeof enc);
    if (rc != 0)
        return rc;
    return b_finish(&b, 1, out_len);
}

int host_gp_store_data_cmd(uint8_t p1, uint8_t block, const uint8_t *data, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
    builder b;

    if (len == 0)
        return HOST_ERR_ARG;
    /* GP CS 2.3 11.11.2: P1 last-block, encryption and structure bits; P2 the block
     * number. */
    b_start(&b, out, cap, 0xE2, p1, block);
    b_put(&b, data, len);
    return b_finish(&b, 0, out_len);
}

int host_gp_set_status_cmd(uint8_t p1, uint8_t state, const uint8_t *aid, size_t aid_len,
                           uint8_t *out, size_t cap, size_t *out_len)
{
    builder b;

    if (aid_len > 16 || (aid_len == 0 && p1 != 0x80))
        return HOST_ERR_ARG;
    /* GP CS 2.3 11.10.2: the data field is the target's AID (optional for the ISD). */
    b_start(&b, out, cap, 0xF0, p1, state);
    b_put(&b, aid, aid_len);
    return b_finish(&b, 0, out_len);
}

int host_gp_get_status_cmd(uint8_t p1, int next, const uint8_t *aid, size_t aid_len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
    builder b;

    if (aid_len > 16)
        return HOST_ERR_ARG;
    /* GP CS 2.3 11.4.2: P2 b2 = response format 2 (tagged), b1 = next occurrence;
     * the search criteria `4F len AID` with an empty AID match everything. */
    b_start(&b, out, cap, 0xF2, p1, (uint8_t)(0x02 | (next ? 0x01 : 0x00)));
    b_byte(&b, 0x4F);
    b_lv(&b, aid, aid_len);
    return b_finish(&b, 1, out_len);
}
