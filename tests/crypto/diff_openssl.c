/*
 * Differential tests: obol's card crypto against OpenSSL libcrypto on a few thousand
 * random keys, IVs and messages per primitive, from fixed seeds so a failure replays.
 * The card cannot use OpenSSL, the host does, and every simulated transaction relies on
 * the two agreeing.
 */
#include <criterion/criterion.h>
#include <obol/cos_crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <string.h>

#include "testutil.h"

#define ROUNDS 3000

/* One-shot OpenSSL cipher call without padding; LEN is a multiple of the block size. */
static void ossl_crypt(const EVP_CIPHER *c, int enc, const uint8_t *key, const uint8_t *iv,
                       const uint8_t *in, uint8_t *out, size_t len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, m = 0;
    cr_assert_not_null(ctx);
    cr_assert_eq(EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    cr_assert_eq(EVP_CipherUpdate(ctx, out, &n, in, (int)len), 1);
    cr_assert_eq(EVP_CipherFinal_ex(ctx, out + n, &m), 1);
    cr_assert_eq((size_t)(n + m), len);
    EVP_CIPHER_CTX_free(ctx);
}

/* OpenSSL 3 keeps single DES in the legacy provider; DES-EDE3 under K||K||K computes
 * single DES with K in the default provider, so an 8-byte key is tripled. */
static const EVP_CIPHER *ossl_des(size_t keylen, int cbc, const uint8_t *key, uint8_t k24[24])
{
    if (keylen == 8) {
        for (int i = 0; i < 3; i++)
            memcpy(k24 + 8 * i, key, 8);
        return cbc ? EVP_des_ede3_cbc() : EVP_des_ede3_ecb();
    }
    memcpy(k24, key, keylen);
    if (keylen == 16)
        return cbc ? EVP_des_ede_cbc() : EVP_des_ede_ecb();
    return cbc ? EVP_des_ede3_cbc() : EVP_des_ede3_ecb();
}

/* Block cipher under test: obol's side behind one signature for DES, AES and SM4. */
typedef struct cipher_case {
    const char *name;
    size_t block;
    int (*setkey)(void *ks, const uint8_t *key, size_t keylen);
    void (*ecb)(const void *ks, int enc, const uint8_t *in, uint8_t *out, size_t len);
    void (*cbc)(const void *ks, int enc, uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len);
} cipher_case;

static int des_setkey(void *ks, const uint8_t *key, size_t keylen)
{
    return cos_des_setkey(ks, key, keylen);
}
static void des_ecb(const void *ks, int enc, const uint8_t *in, uint8_t *out, size_t len)
{
    cos_des_ecb(ks, enc, in, out, len);
}
static void des_cbc(const void *ks, int enc, uint8_t *iv, const uint8_t *in, uint8_t *out,
                    size_t len)
{
    cos_des_cbc(ks, enc, iv, in, out, len);
}
static int aes_setkey(void *ks, const uint8_t *key, size_t keylen)
{
    return cos_aes_setkey(ks, key, keylen);
}
static void aes_ecb(const void *ks, int enc, const uint8_t *in, uint8_t *out, size_t len)
{
    cos_aes_ecb(ks, enc, in, out, len);
}
static void aes_cbc(const void *ks, int enc, uint8_t *iv, const uint8_t *in, uint8_t *out,
                    size_t len)
{
    cos_aes_cbc(ks, enc, iv, in, out, len);
}
static int sm4_setkey(void *ks, const uint8_t *key, size_t keylen)
{
    cr_assert_eq(keylen, 16);
    cos_sm4_setkey(ks, key);
    return 0;
}
static void sm4_ecb(const void *ks, int enc, const uint8_t *in, uint8_t *out, size_t len)
{
    cos_sm4_ecb(ks, enc, in, out, len);
}
static void sm4_cbc(const void *ks, int enc, uint8_t *iv, const uint8_t *in, uint8_t *out,
                    size_t len)
{
    cos_sm4_cbc(ks, enc, iv, in, out, len);
}

/* For ROUNDS random (key, IV, message) triples: ECB and CBC, both directions, obol vs
 * OpenSSL; CBC is also run in two chained calls to check the IV update. PICK returns
 * the OpenSSL cipher for a key length and mode (and may rewrite the key). */
typedef const EVP_CIPHER *(*pick_fn)(size_t keylen, int cbc, const uint8_t *key, uint8_t *okey);

static void run_cipher(const cipher_case *cc, const size_t *keylens, size_t nkeylens, pick_fn pick,
                       uint64_t seed)
{
    union {
        cos_des_key des;
        cos_aes_key aes;
        cos_sm4_key sm4;
    } ks;
    uint8_t key[32], okey[32], iv[16], iv2[16], in[256], ours[256], theirs[256];
    th_rng r;
    th_rng_seed(&r, seed);
    for (int round = 0; round < ROUNDS; round++) {
        size_t keylen = keylens[th_rng_below(&r, nkeylens)];
        size_t len = cc->block * (1 + th_rng_below(&r, sizeof in / cc->block));
        th_rng_bytes(&r, key, keylen);
        th_rng_bytes(&r, iv, cc->block);
        th_rng_bytes(&r, in, len);
        cr_assert_eq(cc->setkey(&ks, key, keylen), 0);
        for (int enc = 0; enc < 2; enc++) {
            cc->ecb(&ks, enc, in, ours, len);
            ossl_crypt(pick(keylen, 0, key, okey), enc, okey, NULL, in, theirs, len);
            cr_assert(memcmp(ours, theirs, len) == 0, "%s ECB enc=%d round %d keylen %zu len %zu",
                      cc->name, enc, round, keylen, len);

            size_t cut = cc->block * th_rng_below(&r, len / cc->block + 1);
            memcpy(iv2, iv, cc->block);
            cc->cbc(&ks, enc, iv2, in, ours, cut);
            cc->cbc(&ks, enc, iv2, in + cut, ours + cut, len - cut);
            ossl_crypt(pick(keylen, 1, key, okey), enc, okey, iv, in, theirs, len);
            cr_assert(memcmp(ours, theirs, len) == 0, "%s CBC enc=%d round %d keylen %zu len %zu",
                      cc->name, enc, round, keylen, len);
            const uint8_t *last = (enc ? theirs : in) + len - cc->block;
            cr_assert(memcmp(iv2, last, cc->block) == 0, "%s CBC IV after round %d", cc->name,
                      round);
        }
    }
}

static const EVP_CIPHER *pick_des(size_t keylen, int cbc, const uint8_t *key, uint8_t *okey)
{
    return ossl_des(keylen, cbc, key, okey);
}

static const EVP_CIPHER *pick_aes(size_t keylen, int cbc, const uint8_t *key, uint8_t *okey)
{
    memcpy(okey, key, keylen);
    switch (keylen) {
    case 16:
        return cbc ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
    case 24:
        return cbc ? EVP_aes_192_cbc() : EVP_aes_192_ecb();
    default:
        return cbc ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
    }
}

static EVP_CIPHER *sm4_ecb_cipher, *sm4_cbc_cipher;

static const EVP_CIPHER *pick_sm4(size_t keylen, int cbc, const uint8_t *key, uint8_t *okey)
{
    memcpy(okey, key, keylen);
    return cbc ? sm4_cbc_cipher : sm4_ecb_cipher;
}

Test(diff_openssl, des_single_two_three_key)
{
    static const cipher_case cc = {"DES", 8, des_setkey, des_ecb, des_cbc};
    static const size_t keylens[] = {8, 16, 24};
    run_cipher(&cc, keylens, 3, pick_des, 0x0b01de5u);
}

Test(diff_openssl, aes_128_192_256)
{
    static const cipher_case cc = {"AES", 16, aes_setkey, aes_ecb, aes_cbc};
    static const size_t keylens[] = {16, 24, 32};
    run_cipher(&cc, keylens, 3, pick_aes, 0x0b01ae5u);
}

Test(diff_openssl, sm4)
{
    static const cipher_case cc = {"SM4", 16, sm4_setkey, sm4_ecb, sm4_cbc};
    static const size_t keylens[] = {16};
    sm4_ecb_cipher = EVP_CIPHER_fetch(NULL, "SM4-ECB", NULL);
    sm4_cbc_cipher = EVP_CIPHER_fetch(NULL, "SM4-CBC", NULL);
    if (!sm4_ecb_cipher || !sm4_cbc_cipher)
        cr_skip_test("this OpenSSL has no SM4 in its default provider; SM4 is covered by the "
                     "GB/T 32907 known-answer tests only");
    run_cipher(&cc, keylens, 1, pick_sm4, 0x0b0154u);
    EVP_CIPHER_free(sm4_ecb_cipher);
    EVP_CIPHER_free(sm4_cbc_cipher);
}

/* Hashes: random lengths 0..600 bytes, fed to obol in up to three random pieces. */
static void run_hash(const char *name, const EVP_MD *md, void (*init)(cos_sha256_ctx *),
                     void (*update)(cos_sha256_ctx *, const void *, size_t),
                     void (*final)(cos_sha256_ctx *, uint8_t *), uint64_t seed)
{
    uint8_t msg[600], ours[32], theirs[32];
    unsigned int olen = 0;
    th_rng r;
    th_rng_seed(&r, seed);
    for (int round = 0; round < ROUNDS; round++) {
        size_t len = th_rng_below(&r, sizeof msg + 1);
        size_t a = th_rng_below(&r, len + 1), b = a + th_rng_below(&r, len - a + 1);
        th_rng_bytes(&r, msg, len);
        cos_sha256_ctx c;
        init(&c);
        update(&c, msg, a);
        update(&c, msg + a, b - a);
        update(&c, msg + b, len - b);
        final(&c, ours);
        cr_assert_eq(EVP_Digest(msg, len, theirs, &olen, md, NULL), 1);
        cr_assert_eq(olen, 32);
        cr_assert(memcmp(ours, theirs, 32) == 0, "%s round %d len %zu", name, round, len);
    }
}

Test(diff_openssl, sha256)
{
    run_hash("SHA-256", EVP_sha256(), cos_sha256_init, cos_sha256_update, cos_sha256_final,
             0x0b0125u);
}

Test(diff_openssl, sm3)
{
    EVP_MD *md = EVP_MD_fetch(NULL, "SM3", NULL);
    if (!md)
        cr_skip_test("this OpenSSL has no SM3 in its default provider; SM3 is covered by the "
                     "GB/T 32905 known-answer tests only");
    run_hash("SM3", md, cos_sm3_init, cos_sm3_update, cos_sm3_final, 0x0b0153u);
    EVP_MD_free(md);
}

Test(diff_openssl, aes_cmac)
{
    static const char *const names[] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
    uint8_t key[32], msg[200], ours[16], theirs[16];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    cr_assert_not_null(mac, "OpenSSL has no CMAC");
    th_rng r;
    th_rng_seed(&r, 0x0b01c3acu);
    for (int round = 0; round < ROUNDS; round++) {
        size_t ki = th_rng_below(&r, 3), keylen = 16 + 8 * ki;
        size_t len = th_rng_below(&r, sizeof msg + 1), olen = 0;
        th_rng_bytes(&r, key, keylen);
        th_rng_bytes(&r, msg, len);
        cr_assert_eq(cos_aes_cmac(key, keylen, msg, len, ours), 0);
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)names[ki], 0),
            OSSL_PARAM_construct_end(),
        };
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        cr_assert_not_null(ctx);
        cr_assert_eq(EVP_MAC_init(ctx, key, keylen, params), 1);
        cr_assert_eq(EVP_MAC_update(ctx, msg, len), 1);
        cr_assert_eq(EVP_MAC_final(ctx, theirs, &olen, sizeof theirs), 1);
        EVP_MAC_CTX_free(ctx);
        cr_assert_eq(olen, 16);
        cr_assert(memcmp(ours, theirs, 16) == 0, "CMAC round %d keylen %zu len %zu", round, keylen,
                  len);
    }
    EVP_MAC_free(mac);
}

/* Pads MSG with ISO/IEC 9797-1 padding method 2 into OUT; returns the padded length. */
static size_t pad2(uint8_t *out, const uint8_t *msg, size_t len)
{
    size_t plen = (len / 8 + 1) * 8;
    memset(out, 0, plen);
    memcpy(out, msg, len);
    out[len] = 0x80;
    return plen;
}

/* MAC algorithm 1: OpenSSL's CBC over the padded message, the last block kept. */
Test(diff_openssl, mac_alg1)
{
    static const size_t keylens[] = {8, 16, 24};
    uint8_t key[24], k24[24], icv[8], msg[120], padded[128], cbc[128], ours[8];
    th_rng r;
    th_rng_seed(&r, 0x0b01a1u);
    for (int round = 0; round < ROUNDS; round++) {
        size_t keylen = keylens[th_rng_below(&r, 3)], len = th_rng_below(&r, sizeof msg + 1);
        int use_icv = (int)th_rng_below(&r, 2);
        th_rng_bytes(&r, key, keylen);
        th_rng_bytes(&r, icv, 8);
        th_rng_bytes(&r, msg, len);
        if (!use_icv)
            memset(icv, 0, 8);
        cr_assert_eq(cos_mac_alg1(key, keylen, use_icv ? icv : NULL, msg, len, ours), 0);
        size_t plen = pad2(padded, msg, len);
        ossl_crypt(ossl_des(keylen, 1, key, k24), 1, k24, icv, padded, cbc, plen);
        cr_assert(memcmp(ours, cbc + plen - 8, 8) == 0, "alg1 round %d keylen %zu len %zu", round,
                  keylen, len);
    }
}

/* MAC algorithm 3: single-DES CBC under the left key over all padded blocks but the
 * last, then two-key 3DES (left, right, left) over the last block XOR the chain. */
Test(diff_openssl, mac_alg3)
{
    uint8_t key[16], k24[24], icv[8], msg[120], padded[128], cbc[128], x[8], theirs[8], ours[8];
    th_rng r;
    th_rng_seed(&r, 0x0b01a3u);
    for (int round = 0; round < ROUNDS; round++) {
        size_t len = th_rng_below(&r, sizeof msg + 1);
        int use_icv = (int)th_rng_below(&r, 2);
        th_rng_bytes(&r, key, 16);
        th_rng_bytes(&r, icv, 8);
        th_rng_bytes(&r, msg, len);
        if (!use_icv)
            memset(icv, 0, 8);
        cr_assert_eq(cos_mac_alg3(key, use_icv ? icv : NULL, msg, len, ours), 0);
        size_t plen = pad2(padded, msg, len);
        memcpy(x, icv, 8);
        if (plen > 8) {
            ossl_crypt(ossl_des(8, 1, key, k24), 1, k24, icv, padded, cbc, plen - 8);
            memcpy(x, cbc + plen - 16, 8);
        }
        for (int i = 0; i < 8; i++)
            x[i] ^= padded[plen - 8 + i];
        ossl_crypt(EVP_des_ede_ecb(), 1, key, NULL, x, theirs, 8);
        cr_assert(memcmp(ours, theirs, 8) == 0, "alg3 round %d len %zu", round, len);
    }
}

/* PBOC dispersion and the DES/AES key check values, recomputed with OpenSSL. */
Test(diff_openssl, dispersion_and_kcv)
{
    uint8_t mk[32], f[16], ours[16], theirs[16], k24[24], zero[16] = {0}, ones[16];
    th_rng r;
    th_rng_seed(&r, 0x0b01d15u);
    memset(ones, 1, sizeof ones);
    for (int round = 0; round < ROUNDS; round++) {
        th_rng_bytes(&r, mk, 32);
        th_rng_bytes(&r, f, 8);
        for (int i = 0; i < 8; i++)
            f[8 + i] = (uint8_t)~f[i];
        cos_pboc_disperse(mk, f, ours);
        ossl_crypt(EVP_des_ede_ecb(), 1, mk, NULL, f, theirs, 16);
        cr_assert(memcmp(ours, theirs, 16) == 0, "dispersion round %d", round);

        size_t dl = 8 * (1 + th_rng_below(&r, 3)), al = 16 + 8 * th_rng_below(&r, 3);
        cr_assert_eq(cos_des_kcv(mk, dl, ours), 0);
        ossl_crypt(ossl_des(dl, 0, mk, k24), 1, k24, NULL, zero, theirs, 8);
        cr_assert(memcmp(ours, theirs, 3) == 0, "DES KCV round %d keylen %zu", round, dl);
        cr_assert_eq(cos_aes_kcv(mk, al, ours), 0);
        uint8_t k32[32];
        ossl_crypt(pick_aes(al, 0, mk, k32), 1, k32, NULL, ones, theirs, 16);
        cr_assert(memcmp(ours, theirs, 3) == 0, "AES KCV round %d keylen %zu", round, al);
    }
}
