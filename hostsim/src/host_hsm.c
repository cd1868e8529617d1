/*
 * obol host platform: the key store (host_hsm.h). Master keys are wrapped with
 * AES-256-GCM under the storage key and unwrapped only into this module's cache;
 * what leaves is dispersed card keys, MACs, verification results, and key data
 * encrypted for a secure channel.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_db_internal.h"
#include "host_internal.h"
#include "obol/host_hsm.h"

enum {
    MK_SLOTS = 64,       /* unwrapped master keys kept in memory */
    TAC_SLOTS = 1 << 18, /* derived TAC keys, direct-mapped by card (8 MiB) */
    NONCE = 12,
    TAG = 16,
    WRAPPED = NONCE + 16 + TAG
};

/* Associated data that binds a wrapped value to what it is. */
static const char AAD_CHECK[] = "obol storage check v1";
static const char AAD_KEY[] = "obol master key v1";

typedef struct mk_slot {
    int used;
    host_key_id id;
    uint8_t levels;
    uint8_t key[16];
    /* The key cards are dispersed from (MK, or K1 = Div(MK, issuer) for two levels) as
     * a ready DES-EDE3 context: a card key is then one ECB call on two blocks. */
    EVP_CIPHER_CTX *div;
} mk_slot;

typedef struct tac_slot {
    uint64_t serial;
    uint64_t issuer;
    uint32_t industry;
    uint8_t version;
    uint8_t valid;
    uint8_t key[8];
} tac_slot;

static void mk_clear(mk_slot *s);

struct host_hsm {
    host_db *db;
    uint8_t storage_key[32];
    mk_slot mk[MK_SLOTS];
    size_t mk_next; /* round-robin eviction */
    tac_slot *tac;  /* TAC_SLOTS entries, allocated at open */
    host_crypto_lib *lib;
    host_pboc_key mac; /* re-keyed per verification */
    host_hsm_stats stats;
};

static const char SQL_CHECK_GET[] = "SELECT value FROM meta WHERE key = 'storage_check'";
static const char SQL_CHECK_PUT[] = "INSERT INTO meta(key, value) VALUES('storage_check', ?1)";
static const char SQL_KEY_PUT[] =
    "INSERT INTO master_key(issuer, industry, usage, version, levels, label, kcv, wrapped, "
    "created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_KEY_GET[] = "SELECT levels, wrapped, label, kcv, created FROM master_key "
                                  "WHERE issuer = ?1 AND industry = ?2 AND usage = ?3 AND "
                                  "version = ?4";

/* ---- AES-256-GCM wrapping --------------------------------------------------------- */

/* Wraps the 16 bytes IN: OUT = nonce(12) || ciphertext(16) || tag(16). */
static int wrap16(const uint8_t kek[32], const void *aad, size_t aadlen, const uint8_t in[16],
                  uint8_t out[WRAPPED])
{
    EVP_CIPHER_CTX *ctx = NULL;
    int n, rc = HOST_ERR_CRYPTO;

    if (RAND_bytes(out, NONCE) != 1)
        goto done;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        rc = HOST_ERR_NOMEM;
        goto done;
    }
    if (!EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, out) ||
        !EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) ||
        !EVP_EncryptUpdate(ctx, out + NONCE, &n, in, 16) || n != 16 ||
        !EVP_EncryptFinal_ex(ctx, out + NONCE + 16, &n) ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG, out + NONCE + 16))
        goto done;
    rc = 0;
done:
    if (rc != 0)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* Unwraps IN (WRAPPED bytes) into OUT: 0, or HOST_ERR_KEY when the tag does not
 * verify (another storage key, or the row was tampered with or moved). */
static int unwrap16(const uint8_t kek[32], const void *aad, size_t aadlen, const uint8_t *in,
                    size_t inlen, uint8_t out[16])
{
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t tag[TAG];
    int n, rc = HOST_ERR_CRYPTO;

    if (inlen != WRAPPED)
        return HOST_ERR_KEY;
    memcpy(tag, in + NONCE + 16, TAG);
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return HOST_ERR_NOMEM;
    if (!EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, in) ||
        !EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) ||
        !EVP_DecryptUpdate(ctx, out, &n, in + NONCE, 16) || n != 16 ||
        !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG, tag))
        goto done;
    rc = EVP_DecryptFinal_ex(ctx, out + 16, &n) == 1 ? 0 : HOST_ERR_KEY;
done:
    ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx);
    if (rc != 0)
        host_wipe(out, 16);
    return rc;
}

/* The associated data of a master key: label, identity and levels. */
static size_t key_aad(const host_key_id *id, uint8_t levels, uint8_t out[64])
{
    size_t n = sizeof AAD_KEY - 1;

    memcpy(out, AAD_KEY, n);
    host__be32(out + n, (uint32_t)(id->issuer >> 32));
    host__be32(out + n + 4, (uint32_t)id->issuer);
    host__be32(out + n + 8, id->industry);
    out[n + 12] = id->usage;
    out[n + 13] = id->version;
    out[n + 14] = levels;
    return n + 15;
}

static void be64(uint8_t out[8], uint64_t v)
{
    host__be32(out, (uint32_t)(v >> 32));
    host__be32(out + 4, (uint32_t)v);
}

/* ---- open / close ---------------------------------------------------------------- */

/* Checks STORAGE_KEY against the database's check value, creating it on first use. */
static int storage_check(host_hsm *hsm)
{
    sqlite3_stmt *st;
    uint8_t zero[16], out[16], wrapped[WRAPPED];
    int rc;

    if ((rc = host__db_stmt(hsm->db, SQL_CHECK_GET, &st)) != 0)
        return rc;
    rc = host__db_step(hsm->db, st);
    if (rc == 1) {
        rc = unwrap16(hsm->storage_key, AAD_CHECK, sizeof AAD_CHECK - 1, sqlite3_column_blob(st, 0),
                      (size_t)sqlite3_column_bytes(st, 0), out);
        sqlite3_reset(st);
        return rc;
    }
    if (rc < 0)
        return rc;
    memset(zero, 0, sizeof zero);
    if ((rc = wrap16(hsm->storage_key, AAD_CHECK, sizeof AAD_CHECK - 1, zero, wrapped)) != 0)
        return rc;
    if ((rc = host__db_stmt(hsm->db, SQL_CHECK_PUT, &st)) != 0)
        return rc;
    sqlite3_bind_blob(st, 1, wrapped, WRAPPED, SQLITE_TRANSIENT);
    return host__db_run(hsm->db, st);
}

int host_hsm_open(host_db *db, const uint8_t storage_key[32], host_hsm **out)
{
    host_hsm *hsm;
    uint8_t zero[8];
    int rc;

    if (db == NULL || storage_key == NULL || out == NULL)
        return HOST_ERR_ARG;
    *out = NULL;
    hsm = calloc(1, sizeof *hsm);
    if (hsm == NULL)
        return HOST_ERR_NOMEM;
    hsm->db = db;
    memcpy(hsm->storage_key, storage_key, 32);
    hsm->tac = calloc(TAC_SLOTS, sizeof *hsm->tac);
    if (hsm->tac == NULL) {
        rc = HOST_ERR_NOMEM;
        goto fail;
    }
    /* Single DES from the legacy provider when it is installed (a third of the work
     * per TAC); DES-EDE3 with K||K||K otherwise. */
    if (host_crypto_lib_new(&hsm->lib) != 0)
        hsm->lib = NULL;
    memset(zero, 0, sizeof zero);
    if ((rc = host_pboc_key_init_lib(&hsm->mac, hsm->lib, zero)) != 0)
        goto fail;
    if ((rc = storage_check(hsm)) != 0)
        goto fail;
    *out = hsm;
    return 0;
fail:
    host_hsm_close(hsm);
    return rc;
}

void host_hsm_close(host_hsm *hsm)
{
    if (hsm == NULL)
        return;
    for (size_t i = 0; i < MK_SLOTS; i++)
        mk_clear(&hsm->mk[i]);
    host_pboc_key_free(&hsm->mac);
    host_crypto_lib_free(hsm->lib);
    if (hsm->tac != NULL) {
        host_wipe(hsm->tac, TAC_SLOTS * sizeof *hsm->tac);
        free(hsm->tac);
    }
    host_wipe(hsm, sizeof *hsm);
    free(hsm);
}

/* ---- master keys ----------------------------------------------------------------- */

static int id_ok(const host_key_id *id)
{
    return id != NULL && id->usage >= HOST_KEY_PURCHASE && id->usage <= HOST_KEY_GP;
}

static int same_id(const host_key_id *a, const host_key_id *b)
{
    return a->issuer == b->issuer && a->industry == b->industry && a->usage == b->usage &&
           a->version == b->version;
}

static int store_key(host_hsm *hsm, const host_key_id *id, uint8_t levels, const char *label,
                     const uint8_t key[16], uint8_t kcv_out[3])
{
    uint8_t aad[64], wrapped[WRAPPED], kcv[3];
    sqlite3_stmt *st;
    size_t aadlen;
    int rc;

    if (!id_ok(id) || label == NULL || strstr(label, "TEST") == NULL || strlen(label) >= 64)
        return HOST_ERR_ARG;
    if (id->usage == HOST_KEY_GP)
        levels = 1;
    if (levels != 1 && levels != 2)
        return HOST_ERR_ARG;
    rc = id->usage == HOST_KEY_GP ? host_kcv_aes(key, 16, kcv) : host_kcv_des(key, 16, kcv);
    if (rc != 0)
        return rc;
    aadlen = key_aad(id, levels, aad);
    if ((rc = wrap16(hsm->storage_key, aad, aadlen, key, wrapped)) != 0)
        return rc;
    if ((rc = host__db_stmt(hsm->db, SQL_KEY_PUT, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(id->issuer));
    sqlite3_bind_int64(st, 2, id->industry);
    sqlite3_bind_int(st, 3, id->usage);
    sqlite3_bind_int(st, 4, id->version);
    sqlite3_bind_int(st, 5, levels);
    sqlite3_bind_text(st, 6, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 7, kcv, 3, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 8, wrapped, WRAPPED, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, host__db_now(hsm->db));
    if ((rc = host__db_run(hsm->db, st)) != 0)
        return rc;
    if (kcv_out != NULL)
        memcpy(kcv_out, kcv, 3);
    return 0;
}

int host_hsm_key_generate(host_hsm *hsm, const host_key_id *id, uint8_t levels, const char *label,
                          uint8_t kcv[3])
{
    uint8_t key[16];
    int rc;

    if (hsm == NULL)
        return HOST_ERR_ARG;
    if (RAND_bytes(key, sizeof key) != 1) {
        ERR_clear_error();
        return HOST_ERR_CRYPTO;
    }
    rc = store_key(hsm, id, levels, label, key, kcv);
    host_wipe(key, sizeof key);
    return rc;
}

int host_hsm_key_import(host_hsm *hsm, const host_key_id *id, uint8_t levels, const char *label,
                        const uint8_t key[16], uint8_t kcv[3])
{
    if (hsm == NULL || key == NULL)
        return HOST_ERR_ARG;
    return store_key(hsm, id, levels, label, key, kcv);
}

int host_hsm_key_info(host_hsm *hsm, const host_key_id *id, host_key_info *out)
{
    sqlite3_stmt *st;
    int rc;

    if (hsm == NULL || !id_ok(id) || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(hsm->db, SQL_KEY_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(id->issuer));
    sqlite3_bind_int64(st, 2, id->industry);
    sqlite3_bind_int(st, 3, id->usage);
    sqlite3_bind_int(st, 4, id->version);
    rc = host__db_step(hsm->db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    memset(out, 0, sizeof *out);
    out->id = *id;
    out->levels = (uint8_t)sqlite3_column_int(st, 0);
    snprintf(out->label, sizeof out->label, "%s", (const char *)sqlite3_column_text(st, 2));
    if (sqlite3_column_bytes(st, 3) == 3)
        memcpy(out->kcv, sqlite3_column_blob(st, 3), 3);
    out->created = sqlite3_column_int64(st, 4);
    sqlite3_reset(st);
    return 0;
}

/* Frees and wipes a cache slot. */
static void mk_clear(mk_slot *s)
{
    EVP_CIPHER_CTX_free(s->div); /* cleanses the key schedule */
    host_wipe(s, sizeof *s);
}

/* Sets up S->div for dispersion under MK (one level) or Div(MK, issuer) (two). */
static int mk_prepare(mk_slot *s)
{
    uint8_t parent[16], k24[24], issuer[8];
    int rc = 0;

    memcpy(parent, s->key, 16);
    if (s->levels == 2) {
        be64(issuer, s->id.issuer);
        rc = host_pboc_diversify(s->key, issuer, parent);
    }
    if (rc == 0) {
        memcpy(k24, parent, 16);
        memcpy(k24 + 16, parent, 8);
        s->div = EVP_CIPHER_CTX_new();
        if (s->div == NULL)
            rc = HOST_ERR_NOMEM;
        else if (!EVP_EncryptInit_ex(s->div, EVP_des_ede3_ecb(), NULL, k24, NULL) ||
                 !EVP_CIPHER_CTX_set_padding(s->div, 0)) {
            ERR_clear_error();
            rc = HOST_ERR_CRYPTO;
        }
    }
    host_wipe(parent, sizeof parent);
    host_wipe(k24, sizeof k24);
    return rc;
}

/* The unwrapped master key ID, from the cache or the store. The slot stays valid
 * until the next call that may evict (any other mk_get()). */
static int mk_get(host_hsm *hsm, const host_key_id *id, const mk_slot **out)
{
    uint8_t aad[64];
    sqlite3_stmt *st;
    mk_slot *s;
    size_t i;
    int rc;

    for (i = 0; i < MK_SLOTS; i++)
        if (hsm->mk[i].used && same_id(&hsm->mk[i].id, id)) {
            *out = &hsm->mk[i];
            return 0;
        }
    if ((rc = host__db_stmt(hsm->db, SQL_KEY_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(id->issuer));
    sqlite3_bind_int64(st, 2, id->industry);
    sqlite3_bind_int(st, 3, id->usage);
    sqlite3_bind_int(st, 4, id->version);
    rc = host__db_step(hsm->db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    s = &hsm->mk[hsm->mk_next];
    hsm->mk_next = (hsm->mk_next + 1) % MK_SLOTS;
    mk_clear(s);
    s->id = *id;
    s->levels = (uint8_t)sqlite3_column_int(st, 0);
    rc = unwrap16(hsm->storage_key, aad, key_aad(id, s->levels, aad), sqlite3_column_blob(st, 1),
                  (size_t)sqlite3_column_bytes(st, 1), s->key);
    sqlite3_reset(st);
    if (rc == 0 && id->usage != HOST_KEY_GP)
        rc = mk_prepare(s);
    if (rc != 0) {
        mk_clear(s);
        return rc;
    }
    s->used = 1;
    hsm->stats.unwraps++;
    *out = s;
    return 0;
}

/* Card SERIAL's key from master key ID: one or two levels of dispersion (PBOC: left =
 * 3DES(K, F), right = 3DES(K, NOT F), K the master key or its issuer-level key),
 * through the slot's prepared context. */
static int card_key(host_hsm *hsm, const host_key_id *id, uint64_t serial, uint8_t out[16])
{
    const mk_slot *mk;
    uint8_t in[16];
    int rc, i;

    if ((rc = mk_get(hsm, id, &mk)) != 0)
        return rc;
    be64(in, serial);
    for (i = 0; i < 8; i++)
        in[8 + i] = (uint8_t)~in[i];
    if (EVP_Cipher(mk->div, out, in, 16) <= 0) {
        ERR_clear_error();
        return HOST_ERR_CRYPTO;
    }
    return 0;
}

/* ---- personalization ------------------------------------------------------------- */

int host_hsm_card_keys(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                       uint64_t serial, host_card_keys *out)
{
    host_key_id id = {issuer, industry, HOST_KEY_PURCHASE, version};
    int rc;

    if (hsm == NULL || out == NULL)
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->version = version;
    if ((rc = card_key(hsm, &id, serial, out->dpk)) != 0)
        goto fail;
    id.usage = HOST_KEY_LOAD;
    if ((rc = card_key(hsm, &id, serial, out->dlk)) != 0)
        goto fail;
    id.usage = HOST_KEY_TAC;
    if ((rc = card_key(hsm, &id, serial, out->dtk)) != 0)
        goto fail;
    return 0;
fail:
    host_wipe(out, sizeof *out);
    return rc;
}

/* SCP03-style KDF (Amendment D 4.1.5): CMAC(KMC, 00*11 || C || 00 || 0080 || 01 ||
 * serial), 128 bits. */
static int gp_kdf(const uint8_t kmc[16], uint8_t constant, const uint8_t serial[8], uint8_t out[16])
{
    uint8_t in[24];

    memset(in, 0, 11);
    in[11] = constant;
    in[12] = 0x00;
    in[13] = 0x00;
    in[14] = 0x80;
    in[15] = 0x01;
    memcpy(in + 16, serial, 8);
    return host_aes_cmac(kmc, 16, in, sizeof in, out);
}

int host_hsm_card_gp_keys(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t kvn,
                          uint64_t serial, host_gp_keys *out)
{
    host_key_id id = {issuer, industry, HOST_KEY_GP, kvn};
    const mk_slot *mk;
    uint8_t f[8];
    int rc;

    if (hsm == NULL || out == NULL)
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    if ((rc = mk_get(hsm, &id, &mk)) != 0)
        return rc;
    be64(f, serial);
    if ((rc = gp_kdf(mk->key, 0x01, f, out->enc)) != 0 ||
        (rc = gp_kdf(mk->key, 0x02, f, out->mac)) != 0 ||
        (rc = gp_kdf(mk->key, 0x03, f, out->dek)) != 0) {
        host_wipe(out, sizeof *out);
        return rc;
    }
    out->len = 16;
    out->kvn = kvn;
    return 0;
}

/* ---- TAC verification ------------------------------------------------------------ */

static size_t tac_hash(uint64_t issuer, uint32_t industry, uint8_t version, uint64_t serial)
{
    uint64_t h = serial * 0x9E3779B97F4A7C15ull;

    h ^= (issuer + ((uint64_t)industry << 8) + version) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    return (size_t)(h & (TAC_SLOTS - 1));
}

/* Sets the prepared MAC key to card SERIAL's TAC key (cached). */
static int tac_key(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                   uint64_t serial)
{
    tac_slot *s = &hsm->tac[tac_hash(issuer, industry, version, serial)];
    host_key_id id = {issuer, industry, HOST_KEY_TAC, version};
    uint8_t dtk[16];
    int rc;

    if (!(s->valid && s->serial == serial && s->issuer == issuer && s->industry == industry &&
          s->version == version)) {
        rc = card_key(hsm, &id, serial, dtk);
        if (rc == 0)
            rc = host_pboc_tac_key(dtk, s->key);
        host_wipe(dtk, sizeof dtk);
        if (rc != 0) {
            s->valid = 0;
            return rc;
        }
        s->serial = serial;
        s->issuer = issuer;
        s->industry = industry;
        s->version = version;
        s->valid = 1;
        hsm->stats.tac_key_derived++;
    }
    return host_pboc_key_set(&hsm->mac, s->key);
}

static int count_verify(host_hsm *hsm, int rc)
{
    if (rc == 0 || rc == HOST_ERR_MAC) {
        hsm->stats.tac_verified++;
        if (rc != 0)
            hsm->stats.tac_failed++;
    }
    return rc;
}

int host_hsm_purchase_tac_verify(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                                 uint64_t serial, const host_pboc_purchase *p, const uint8_t tac[4])
{
    int rc;

    if (hsm == NULL || p == NULL || tac == NULL)
        return HOST_ERR_ARG;
    if ((rc = tac_key(hsm, issuer, industry, version, serial)) != 0)
        return rc;
    return count_verify(hsm, host_pboc_key_purchase_tac_verify(&hsm->mac, p, tac));
}

int host_hsm_load_tac_verify(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                             uint64_t serial, const host_pboc_load *l, const uint8_t tac[4])
{
    uint8_t in[24], m[4];
    int rc;

    if (hsm == NULL || l == NULL || tac == NULL)
        return HOST_ERR_ARG;
    if (l->old_balance > UINT32_MAX - l->amount)
        return count_verify(hsm, HOST_ERR_MAC); /* no card can have produced it */
    if ((rc = tac_key(hsm, issuer, industry, version, serial)) != 0)
        return rc;
    /* PBOC 2.0 part 1: new balance || online counter || amount || type || terminal id ||
     * date || time. */
    host__be32(in, l->old_balance + l->amount);
    host__be16(in + 4, l->online_counter);
    host__be32(in + 6, l->amount);
    in[10] = l->type;
    memcpy(in + 11, l->terminal_id, 6);
    memcpy(in + 17, l->date, 4);
    memcpy(in + 21, l->time, 3);
    rc = host_pboc_key_mac(&hsm->mac, in, sizeof in, m);
    if (rc == 0)
        rc = host_verify_equal(m, tac, 4);
    return count_verify(hsm, rc);
}

int host_hsm_load_mac2(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                       uint64_t serial, const uint8_t random[4], const host_pboc_load *l,
                       const uint8_t mac1[4], uint8_t mac2[4])
{
    host_key_id id = {issuer, industry, HOST_KEY_LOAD, version};
    uint8_t dlk[16], seslk[8];
    int rc;

    if (hsm == NULL || random == NULL || l == NULL || mac1 == NULL || mac2 == NULL)
        return HOST_ERR_ARG;
    if ((rc = card_key(hsm, &id, serial, dlk)) != 0)
        goto done;
    if ((rc = host_pboc_seslk(dlk, random, l->online_counter, seslk)) != 0)
        goto done;
    if ((rc = host_pboc_load_mac1_verify(seslk, l, mac1)) != 0)
        goto done;
    rc = host_pboc_load_mac2(seslk, l, mac2);
done:
    host_wipe(dlk, sizeof dlk);
    host_wipe(seslk, sizeof seslk);
    return rc;
}

/* ---- PSAM key loading ------------------------------------------------------------ */

int host_hsm_psam_put_key(host_hsm *hsm, const host_key_id *id, const host_gp_session *s,
                          uint8_t old_kvn, uint8_t new_kvn, uint8_t key_id, uint8_t *out,
                          size_t cap, size_t *out_len, uint8_t kcv[3])
{
    const mk_slot *mk;
    int rc;

    if (hsm == NULL || !id_ok(id) || id->usage == HOST_KEY_GP || s == NULL || out == NULL)
        return HOST_ERR_ARG;
    if (s->scp != HOST_GP_SCP02)
        return HOST_ERR_UNSUPPORTED;
    if (s->state != HOST_GP_OPEN)
        return HOST_ERR_STATE;
    if ((rc = mk_get(hsm, id, &mk)) != 0)
        return rc;
    rc = host_gp_put_key_cmd(s, old_kvn, new_kvn, key_id, mk->key, 1, 16, out, cap, out_len);
    if (rc == 0 && kcv != NULL)
        rc = host_kcv_des(mk->key, 16, kcv);
    return rc;
}

void host_hsm_get_stats(const host_hsm *hsm, host_hsm_stats *out)
{
    if (out == NULL)
        return;
    if (hsm == NULL)
        memset(out, 0, sizeof *out);
    else
        *out = hsm->stats;
}
