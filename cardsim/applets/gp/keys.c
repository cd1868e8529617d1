/*
 * obol applet gp: a security domain's keys.
 *
 * Keys are card OS key objects of the SD's instance (so the OS firewall keeps every
 * other instance, the ISD included, away from them): usage COS_KEY_GP, kid 1 ENC,
 * 2 MAC, 3 DEK, kver = the key version number (GP CS 2.3, 11.1.8). A key set is the
 * three keys of one KVN; 3DES sets speak SCP02 and AES-128 sets SCP03. KVN 70 holds the
 * token key and 73 the DAP verification key (one key, kid 1). The ENC key of a set
 * carries the set's error counter (failed EXTERNAL AUTHENTICATEs, scp.c).
 *
 * The KVNs present are listed in the SD's configuration (CFG_KVN) so that GET DATA
 * E0 and the default key set need no search over all 255 versions.
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

/* Key types of PUT KEY key blocks (GP CS 2.3, 11.1.8 Table 11-16). */
#define KT_DES 0x80u
#define KT_AES 0x88u

static int is_role_kvn(unsigned kvn)
{
    return kvn >= 0x70 && kvn <= 0x7F;
}

static int kvn_listed(const gp_sd *sd, uint8_t kvn)
{
    for (unsigned i = 0; i < GP_KVN_MAX; i++)
        if (sd->cfg[CFG_KVN + i] == kvn)
            return 1;
    return 0;
}

static int kvn_list_set(gp_sd *sd, uint8_t old, uint8_t kvn)
{
    for (unsigned i = 0; i < GP_KVN_MAX; i++)
        if (sd->cfg[CFG_KVN + i] == old)
            return gp__cfg_write(sd, CFG_KVN + i, &kvn, 1);
    return COS_ERR_NO_SPACE;
}

static int set_usable(const gp_sd *sd, const gp_keyset *ks)
{
    if (ks->enc.alg != ks->mac.alg || ks->enc.alg != ks->dek.alg || ks->enc.len != 16 ||
        ks->mac.len != 16 || ks->dek.len != 16)
        return 0;
    if (ks->enc.alg == COS_ALG_DES)
        return (sd->cfg[CFG_FLAGS] & CF_SCP02) != 0;
    if (ks->enc.alg == COS_ALG_AES)
        return (sd->cfg[CFG_FLAGS] & CF_SCP03) != 0;
    return 0;
}

static int load_set(gp_sd *sd, uint8_t kvn, gp_keyset *ks)
{
    int rc = cos_key_find(sd->ctx, COS_KEY_GP, 1, kvn, &ks->enc);
    if (rc == 0)
        rc = cos_key_find(sd->ctx, COS_KEY_GP, 2, kvn, &ks->mac);
    if (rc == 0)
        rc = cos_key_find(sd->ctx, COS_KEY_GP, 3, kvn, &ks->dek);
    if (rc < 0)
        return rc;
    ks->kvn = kvn;
    ks->alg = ks->enc.alg;
    return set_usable(sd, ks) ? 0 : COS_ERR_NOT_FOUND;
}

int gp__keyset(gp_sd *sd, int kvn, gp_keyset *ks)
{
    if (kvn > 0)
        return is_role_kvn((unsigned)kvn) ? COS_ERR_NOT_FOUND : load_set(sd, (uint8_t)kvn, ks);
    /* KVN 00 in INITIALIZE UPDATE: the first usable set in the order the SD got them
     * (GP CS 2.3, E.5.1.2 "the default key set"). */
    for (unsigned i = 0; i < GP_KVN_MAX; i++) {
        uint8_t v = sd->cfg[CFG_KVN + i];
        if (v == 0 || is_role_kvn(v))
            continue;
        int rc = load_set(sd, v, ks);
        if (rc != COS_ERR_NOT_FOUND)
            return rc;
    }
    return COS_ERR_NOT_FOUND;
}

int gp__dek_decrypt(gp_sd *sd, uint8_t *p, size_t len)
{
    gp_ram *ram = sd->ram;
    uint8_t iv[16];
    cos_key dek;
    int rc;

    if (!ram || ram->state != GP_ST_OPEN)
        return COS_ERR_PARAM;
    if (ram->scp == 2) {
        if (len % 8)
            return COS_ERR_RANGE;
        return cos_cipher(sd->ctx, COS_ALG_DES, ram->u.s02.s_dek, 16,
                          COS_CIPHER_DECRYPT | COS_CIPHER_ECB, NULL, p, p, len);
    }
    if (len % 16)
        return COS_ERR_RANGE;
    rc = cos_key_find(sd->ctx, COS_KEY_GP, 3, ram->kvn, &dek);
    if (rc < 0)
        return rc;
    memset(iv, 0, sizeof iv);
    return cos_key_cipher(sd->ctx, &dek, COS_CIPHER_DECRYPT | COS_CIPHER_CBC, iv, p, p, len);
}

/* One parsed key block. */
typedef struct kblock {
    uint8_t alg;
    uint8_t value[16];
    uint8_t kcv[3];
} kblock;

/* Parses the key blocks of D (N bytes after the new KVN) into KB (up to 3). Returns the
 * number of keys or a status word (negative faults are passed on as they are). */
static int parse_blocks(gp_sd *sd, const uint8_t *d, size_t n, int decrypt, kblock kb[3],
                        int *count)
{
    size_t i = 0;
    int k = 0, rc;

    while (i < n) {
        uint8_t kcv[3];
        if (k == 3 || n - i < 2)
            return COS_SW_WRONG_DATA;
        uint8_t type = d[i], blen = d[i + 1];
        i += 2;
        if (n - i < blen)
            return COS_SW_WRONG_DATA;
        if (type == KT_DES && blen == 16) {
            /* SCP02 encrypts DES keys under the session DEK (E.4.7). */
            if (decrypt && sd->ram->scp != 2)
                return COS_SW_WRONG_DATA;
            kb[k].alg = COS_ALG_DES;
            memcpy(kb[k].value, d + i, 16);
        } else if (type == KT_AES && blen == 17 && d[i] == 16) {
            /* Amendment D 7.2: key length then the key encrypted under the static DEK.
             * Session RAM holds AES-128 session keys, so key sets are AES-128. */
            if (decrypt && sd->ram->scp != 3)
                return COS_SW_WRONG_DATA;
            kb[k].alg = COS_ALG_AES;
            memcpy(kb[k].value, d + i + 1, 16);
        } else {
            return COS_SW_WRONG_DATA;
        }
        i += blen;
        if (decrypt) {
            rc = gp__dek_decrypt(sd, kb[k].value, 16);
            if (rc < 0)
                return rc;
        }
        /* Key check value: 3 bytes (11.8.2.3); a block without one is refused, since
         * the check value is what tells a mis-encrypted key from a good one. */
        if (n - i < 4 || d[i] != 3)
            return COS_SW_WRONG_DATA;
        rc = kb[k].alg == COS_ALG_DES ? cos_des_kcv(kb[k].value, 16, kcv)
                                      : cos_aes_kcv(kb[k].value, 16, kcv);
        if (rc != 0 || !cos_ct_equal(kcv, d + i + 1, 3))
            return COS_SW_WRONG_DATA;
        memcpy(kb[k].kcv, kcv, 3);
        i += 4;
        k++;
    }
    *count = k;
    return 0;
}

static int delete_set(gp_sd *sd, uint8_t kvn)
{
    cos_key k;
    int rc;

    for (uint8_t kid = 1; kid <= 3; kid++) {
        rc = cos_key_find(sd->ctx, COS_KEY_GP, kid, kvn, &k);
        if (rc == COS_ERR_NOT_FOUND)
            continue;
        if (rc == 0)
            rc = cos_key_delete(sd->ctx, &k);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int set_exists(gp_sd *sd, uint8_t kvn)
{
    cos_key k;
    for (uint8_t kid = 1; kid <= 3; kid++) {
        int rc = cos_key_find(sd->ctx, COS_KEY_GP, kid, kvn, &k);
        if (rc != COS_ERR_NOT_FOUND)
            return rc == 0 ? 1 : rc;
    }
    return 0;
}

int gp__store_keys(gp_sd *sd, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, int decrypt,
                   cos_resp *r)
{
    kblock kb[3];
    uint8_t kvn, kid = p2 & 0x7F;
    int n = 0, rc, sw, exists;

    if (len < 1)
        return COS_SW_WRONG_LENGTH;
    kvn = data[0];
    /* 11.8.2.2: KVN 01-7F; FF is the initial key set, which PUT KEY only replaces. */
    if (p1 > 0x7F && p1 != GP_KVN_INITIAL)
        return COS_SW_WRONG_P1P2;
    if (kvn == 0 || kvn > 0x7F)
        return COS_SW_WRONG_DATA;
    sw = parse_blocks(sd, data + 1, len - 1, decrypt, kb, &n);
    if (sw != 0)
        goto out;
    sw = COS_SW_WRONG_DATA;
    if (n == 0 || ((p2 & 0x80) == 0) != (n == 1))
        goto out;
    if (is_role_kvn(kvn) ? (n != 1 || kid != 1 || kb[0].alg != COS_ALG_AES)
                         : (n != 3 || kid != 1 || kb[1].alg != kb[0].alg || kb[2].alg != kb[0].alg))
        goto out;
    exists = set_exists(sd, kvn);
    if (exists < 0) {
        sw = exists;
        goto out;
    }
    if (p1 == 0 ? exists : (p1 != kvn && exists))
        goto out; /* the new version is taken */
    if (p1 != 0) {
        rc = set_exists(sd, p1);
        if (rc <= 0) {
            sw = rc < 0 ? rc : (int)COS_SW_REF_NOT_FOUND;
            goto out;
        }
    } else if (!kvn_listed(sd, 0)) {
        sw = COS_SW_NO_MEMORY;
        goto out;
    }

    rc = cos_txn_begin(sd->ctx);
    if (rc == 0 && p1 != 0 && p1 != kvn)
        rc = delete_set(sd, p1);
    for (int j = 0; rc == 0 && j < n; j++) {
        cos_key_spec s = {COS_KEY_GP, (uint8_t)(kid + j), kvn, kb[j].alg, 16, 0, kb[j].value};
        /* The ENC key of a secure channel set counts failed authentications. */
        if (!is_role_kvn(kvn) && j == 0)
            s.err_max = sd->cfg[CFG_LIMIT];
        rc = cos_key_put(sd->ctx, &s, NULL);
    }
    if (rc == 0 && !kvn_listed(sd, kvn))
        rc = kvn_list_set(sd, p1 != 0 ? p1 : 0, kvn);
    if (rc == 0)
        rc = cos_txn_commit(sd->ctx);
    else if (cos_txn_is_open(sd->ctx))
        cos_txn_abort(sd->ctx);
    if (rc < 0) {
        sw = gp__os_sw(rc);
        goto out;
    }
    if (sd->ram && sd->ram->state == GP_ST_OPEN && p1 == sd->ram->kvn)
        sd->ram->kvn = kvn; /* the session goes on; its DEK is now the new set's */
    /* 11.8.3: the response is the new KVN followed by the check values. */
    rc = cos_resp_u8(r, kvn);
    for (int j = 0; rc == 0 && j < n; j++)
        rc = cos_resp_put(r, kb[j].kcv, 3);
    sw = rc < 0 ? rc : (int)COS_SW_OK;
out:
    cos_wipe(kb, sizeof kb);
    return sw;
}

int gp__cmd_put_key(gp_sd *sd, const cos_apdu *a, cos_resp *r)
{
    /* GP CS 2.3 11.8: the key values travel encrypted under the session's DEK, and
     * the command itself needs at least C-MAC (checked by the dispatcher). */
    return gp__store_keys(sd, a->p1, a->p2, a->data, a->nc, 1, r);
}

int gp__key_info(gp_sd *sd, cos_resp *r)
{
    uint8_t tmp[GP_KVN_MAX * 3 * 6];
    cos_resp t = {tmp, sizeof tmp, 0};
    cos_key k;
    int rc;

    /* GP CS 2.3 11.3.3.1: E0 { C0 04 kid KVN type length ... }. */
    for (unsigned i = 0; i < GP_KVN_MAX; i++) {
        uint8_t kvn = sd->cfg[CFG_KVN + i];
        if (kvn == 0)
            continue;
        for (uint8_t kid = 1; kid <= 3; kid++) {
            rc = cos_key_find(sd->ctx, COS_KEY_GP, kid, kvn, &k);
            if (rc == COS_ERR_NOT_FOUND)
                continue;
            if (rc < 0)
                return rc;
            uint8_t c0[4] = {kid, kvn, k.alg == COS_ALG_AES ? KT_AES : KT_DES, k.len};
            rc = gp__tlv_put(&t, 0xC0, c0, 4);
            if (rc < 0)
                return rc;
        }
    }
    return gp__tlv_put(r, 0xE0, tmp, t.len);
}

int gp__dap_check(gp_sd *sd, const uint8_t *hash, const uint8_t *dap)
{
    uint8_t mac[16];
    gp_mac m;
    cos_key k;
    int rc;

    /* The DAP key (KVN 73, kid 1, AES-128): DAP = AES-CMAC over the load file data
     * block hash (obol's choice of a symmetric DAP, docs/load-file.md). */
    rc = cos_key_find(sd->ctx, COS_KEY_GP, 1, GP_KVN_DAP, &k);
    if (rc == COS_ERR_NOT_FOUND || (rc == 0 && k.alg != COS_ALG_AES))
        return COS_SW_CONDITIONS;
    if (rc < 0)
        return rc;
    rc = gp__mac_start(&m, sd->ctx, GP_MAC_CMAC, &k, NULL, 0, NULL);
    if (rc == 0)
        rc = gp__mac_update(&m, hash, 32);
    if (rc == 0)
        rc = gp__mac_final(&m, mac);
    if (rc < 0)
        return rc;
    return cos_ct_equal(mac, dap, 16) ? (int)COS_SW_OK : (int)COS_SW_CONDITIONS;
}
