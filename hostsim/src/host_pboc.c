/*
 * obol host platform: PBOC 2.0 electronic purse cryptography (JR/T 0025 part 1).
 *
 * Key dispersion, the load and purchase session keys, MAC1/MAC2/TAC and their
 * verification, plus the prepared TAC key that settlement uses to verify hundreds of
 * thousands of TACs per second (bench/host/bench_tac.c). The formulas are the ones
 * pinned in PROTOCOLS.md ("PBOC electronic purse") with their reference vectors in
 * tests/hostsim.
 *
 * Single DES, the purse's MAC cipher, lives in OpenSSL 3's legacy provider. The
 * one-shot functions run it as DES-EDE3 with K||K||K in the default provider; the
 * prepared key can instead take real single DES from a caller-owned library context
 * (host_crypto_lib) that loads the legacy provider privately, a third of the work.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include "obol/host_crypto.h"
#include "host_internal.h"

int host_pboc_mac(const uint8_t key[8], const uint8_t *data, size_t len, uint8_t mac[4])
{
    uint8_t full[8];
    int rc;

    if (mac == NULL)
        return HOST_ERR_ARG;
    /* JR/T 0025 part 1 (MAC and TAC computation): single-DES CBC-MAC, zero ICV,
     * `80 00..` padding even on a block boundary, leftmost 4 bytes. */
    rc = host_mac_alg1(key, 8, NULL, data, len, full);
    if (rc == 0)
        memcpy(mac, full, 4);
    return rc;
}

int host_pboc_diversify(const uint8_t mk[16], const uint8_t factor[8], uint8_t out[16])
{
    uint8_t in[16], res[16];
    int rc, i;

    if (mk == NULL || factor == NULL || out == NULL)
        return HOST_ERR_ARG;
    /* Left half 3DES(MK, F), right half 3DES(MK, NOT F): both in one ECB call. */
    for (i = 0; i < 8; i++) {
        in[i] = factor[i];
        in[8 + i] = (uint8_t)~factor[i];
    }
    rc = host_des_ecb(mk, 16, 1, in, res, 16);
    if (rc == 0)
        memcpy(out, res, 16);
    host_wipe(res, sizeof res);
    return rc;
}

int host_pboc_diversify2(const uint8_t mk[16], const uint8_t issuer[8], const uint8_t serial[8],
                         uint8_t out[16])
{
    uint8_t k1[16];
    int rc;

    /* Two levels: K1 = Div(MK, issuer/city code), then Div(K1, card serial). */
    rc = host_pboc_diversify(mk, issuer, k1);
    if (rc == 0)
        rc = host_pboc_diversify(k1, serial, out);
    host_wipe(k1, sizeof k1);
    return rc;
}

int host_pboc_tac_key(const uint8_t dtk[16], uint8_t out[8])
{
    int i;

    if (dtk == NULL || out == NULL)
        return HOST_ERR_ARG;
    for (i = 0; i < 8; i++)
        out[i] = dtk[i] ^ dtk[8 + i];
    return 0;
}

int host_pboc_seslk(const uint8_t dlk[16], const uint8_t random[4], uint16_t online_counter,
                    uint8_t out[8])
{
    uint8_t in[8];

    if (random == NULL)
        return HOST_ERR_ARG;
    memcpy(in, random, 4);
    host__be16(in + 4, online_counter);
    in[6] = 0x80;
    in[7] = 0x00;
    return host_des_ecb(dlk, 16, 1, in, out, 8);
}

int host_pboc_sespk(const uint8_t dpk[16], const uint8_t random[4], uint16_t offline_counter,
                    uint32_t ttn, uint8_t out[8])
{
    uint8_t in[8];

    if (random == NULL)
        return HOST_ERR_ARG;
    memcpy(in, random, 4);
    host__be16(in + 4, offline_counter);
    host__be16(in + 6, (uint16_t)(ttn & 0xFFFF));
    return host_des_ecb(dpk, 16, 1, in, out, 8);
}

/* amount(4) type(1) terminal id(6) date(4) time(3): 18 bytes. */
static size_t purchase_mac1_input(const host_pboc_purchase *p, uint8_t buf[18])
{
    host__be32(buf, p->amount);
    buf[4] = p->type;
    memcpy(buf + 5, p->terminal_id, 6);
    memcpy(buf + 11, p->date, 4);
    memcpy(buf + 15, p->time, 3);
    return 18;
}

/* amount(4) type(1) terminal id(6) ttn(4) date(4) time(3): 22 bytes. */
static size_t purchase_tac_input(const host_pboc_purchase *p, uint8_t buf[22])
{
    host__be32(buf, p->amount);
    buf[4] = p->type;
    memcpy(buf + 5, p->terminal_id, 6);
    host__be32(buf + 11, p->ttn);
    memcpy(buf + 15, p->date, 4);
    memcpy(buf + 19, p->time, 3);
    return 22;
}

int host_pboc_purchase_mac1(const uint8_t sespk[8], const host_pboc_purchase *p, uint8_t mac1[4])
{
    uint8_t buf[18];

    if (p == NULL)
        return HOST_ERR_ARG;
    return host_pboc_mac(sespk, buf, purchase_mac1_input(p, buf), mac1);
}

int host_pboc_purchase_mac2(const uint8_t sespk[8], uint32_t amount, uint8_t mac2[4])
{
    uint8_t buf[4];

    host__be32(buf, amount);
    return host_pboc_mac(sespk, buf, 4, mac2);
}

int host_pboc_purchase_tac(const uint8_t dtk[16], const host_pboc_purchase *p, uint8_t tac[4])
{
    uint8_t key[8], buf[22];
    int rc;

    if (p == NULL)
        return HOST_ERR_ARG;
    rc = host_pboc_tac_key(dtk, key);
    if (rc == 0)
        rc = host_pboc_mac(key, buf, purchase_tac_input(p, buf), tac);
    host_wipe(key, sizeof key);
    return rc;
}

/* Finishes a verification: a computation error passes through, otherwise the
 * computed 4 bytes are compared with GIVEN in constant time. */
static int verify4(int rc, const uint8_t computed[4], const uint8_t *given)
{
    if (rc != 0)
        return rc;
    if (given == NULL)
        return HOST_ERR_ARG;
    return host_verify_equal(computed, given, 4);
}

int host_pboc_purchase_mac1_verify(const uint8_t sespk[8], const host_pboc_purchase *p,
                                   const uint8_t mac1[4])
{
    uint8_t m[4];

    return verify4(host_pboc_purchase_mac1(sespk, p, m), m, mac1);
}

int host_pboc_purchase_mac2_verify(const uint8_t sespk[8], uint32_t amount, const uint8_t mac2[4])
{
    uint8_t m[4];

    return verify4(host_pboc_purchase_mac2(sespk, amount, m), m, mac2);
}

int host_pboc_purchase_tac_verify(const uint8_t dtk[16], const host_pboc_purchase *p,
                                  const uint8_t tac[4])
{
    uint8_t m[4];

    return verify4(host_pboc_purchase_tac(dtk, p, m), m, tac);
}

int host_pboc_load_mac1(const uint8_t seslk[8], const host_pboc_load *l, uint8_t mac1[4])
{
    uint8_t buf[15];

    if (l == NULL)
        return HOST_ERR_ARG;
    host__be32(buf, l->old_balance);
    host__be32(buf + 4, l->amount);
    buf[8] = l->type;
    memcpy(buf + 9, l->terminal_id, 6);
    return host_pboc_mac(seslk, buf, sizeof buf, mac1);
}

int host_pboc_load_mac2(const uint8_t seslk[8], const host_pboc_load *l, uint8_t mac2[4])
{
    uint8_t buf[18];

    if (l == NULL)
        return HOST_ERR_ARG;
    host__be32(buf, l->amount);
    buf[4] = l->type;
    memcpy(buf + 5, l->terminal_id, 6);
    memcpy(buf + 11, l->date, 4);
    memcpy(buf + 15, l->time, 3);
    return host_pboc_mac(seslk, buf, sizeof buf, mac2);
}

int host_pboc_load_tac(const uint8_t dtk[16], const host_pboc_load *l, uint8_t tac[4])
{
    uint8_t key[8], buf[24];
    int rc;

    if (l == NULL || l->amount > UINT32_MAX - l->old_balance)
        return HOST_ERR_ARG;
    /* new balance(4) online counter before the increment(2) amount(4) type(1)
     * terminal id(6) date(4) time(3): 24 bytes. */
    host__be32(buf, l->old_balance + l->amount);
    host__be16(buf + 4, l->online_counter);
    host__be32(buf + 6, l->amount);
    buf[10] = l->type;
    memcpy(buf + 11, l->terminal_id, 6);
    memcpy(buf + 17, l->date, 4);
    memcpy(buf + 21, l->time, 3);
    rc = host_pboc_tac_key(dtk, key);
    if (rc == 0)
        rc = host_pboc_mac(key, buf, sizeof buf, tac);
    host_wipe(key, sizeof key);
    return rc;
}

int host_pboc_load_mac1_verify(const uint8_t seslk[8], const host_pboc_load *l,
                               const uint8_t mac1[4])
{
    uint8_t m[4];

    return verify4(host_pboc_load_mac1(seslk, l, m), m, mac1);
}

int host_pboc_load_tac_verify(const uint8_t dtk[16], const host_pboc_load *l, const uint8_t tac[4])
{
    uint8_t m[4];

    return verify4(host_pboc_load_tac(dtk, l, m), m, tac);
}

/* ---- Prepared key ------------------------------------------------------------------ */

struct host_crypto_lib {
    OSSL_LIB_CTX *libctx;
    OSSL_PROVIDER *legacy;
    EVP_CIPHER *des_ecb; /* single DES, from the legacy provider */
};

int host_crypto_lib_new(host_crypto_lib **out)
{
    host_crypto_lib *lib;
    int rc = HOST_ERR_UNSUPPORTED;

    if (out == NULL)
        return HOST_ERR_ARG;
    *out = NULL;
    lib = OPENSSL_zalloc(sizeof *lib);
    if (lib == NULL)
        return HOST_ERR_NOMEM;
    lib->libctx = OSSL_LIB_CTX_new();
    if (lib->libctx == NULL) {
        rc = HOST_ERR_NOMEM;
        goto cleanup;
    }
    lib->legacy = OSSL_PROVIDER_load(lib->libctx, "legacy");
    if (lib->legacy == NULL)
        goto cleanup;
    lib->des_ecb = EVP_CIPHER_fetch(lib->libctx, "DES-ECB", NULL);
    if (lib->des_ecb == NULL)
        goto cleanup;
    *out = lib;
    return 0;
cleanup:
    ERR_clear_error();
    host_crypto_lib_free(lib);
    return rc;
}

void host_crypto_lib_free(host_crypto_lib *lib)
{
    if (lib == NULL)
        return;
    EVP_CIPHER_free(lib->des_ecb);
    if (lib->legacy != NULL)
        OSSL_PROVIDER_unload(lib->legacy);
    OSSL_LIB_CTX_free(lib->libctx);
    OPENSSL_free(lib);
}

/* Sets up K->ctx for CIPHER with KEYBYTES (8 for single DES, 24 for DES-EDE3). */
static int key_init(host_pboc_key *k, EVP_CIPHER *cipher, const uint8_t *keybytes)
{
    k->ctx = EVP_CIPHER_CTX_new();
    if (k->ctx == NULL)
        return HOST_ERR_NOMEM;
    /* The context keeps its own reference to the fetched cipher. */
    if (!EVP_EncryptInit_ex2(k->ctx, cipher, keybytes, NULL, NULL) ||
        !EVP_CIPHER_CTX_set_padding(k->ctx, 0)) {
        ERR_clear_error();
        EVP_CIPHER_CTX_free(k->ctx);
        k->ctx = NULL;
        return HOST_ERR_CRYPTO;
    }
    return 0;
}

int host_pboc_key_init(host_pboc_key *k, const uint8_t key[8])
{
    return host_pboc_key_init_lib(k, NULL, key);
}

int host_pboc_key_init_lib(host_pboc_key *k, host_crypto_lib *lib, const uint8_t key[8])
{
    EVP_CIPHER *cipher;
    uint8_t k24[24];
    int rc;

    if (k == NULL || key == NULL)
        return HOST_ERR_ARG;
    k->ctx = NULL;
    if (lib != NULL)
        return key_init(k, lib->des_ecb, key);
    cipher = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
    if (cipher == NULL) {
        ERR_clear_error();
        return HOST_ERR_CRYPTO;
    }
    host__des_key24(key, 8, k24);
    rc = key_init(k, cipher, k24);
    EVP_CIPHER_free(cipher);
    host_wipe(k24, sizeof k24);
    return rc;
}

int host_pboc_key_init_tac(host_pboc_key *k, const uint8_t dtk[16])
{
    uint8_t key[8];
    int rc;

    rc = host_pboc_tac_key(dtk, key);
    if (rc == 0)
        rc = host_pboc_key_init(k, key);
    host_wipe(key, sizeof key);
    return rc;
}

int host_pboc_key_set(host_pboc_key *k, const uint8_t key[8])
{
    uint8_t k24[24];
    int ok;

    if (k == NULL || k->ctx == NULL || key == NULL)
        return HOST_ERR_ARG;
    host__des_key24(key, 8, k24);
    /* Re-key only: the cipher and mode stay as set up by the init call; a single-DES
     * context takes the 8 bytes, a DES-EDE3 one K||K||K. */
    ok = EVP_EncryptInit_ex2(k->ctx, NULL, EVP_CIPHER_CTX_get_key_length(k->ctx) == 8 ? key : k24,
                             NULL, NULL);
    host_wipe(k24, sizeof k24);
    if (!ok) {
        ERR_clear_error();
        return HOST_ERR_CRYPTO;
    }
    return 0;
}

void host_pboc_key_free(host_pboc_key *k)
{
    if (k == NULL)
        return;
    EVP_CIPHER_CTX_free(k->ctx); /* cleanses the key schedule */
    k->ctx = NULL;
}

int host_pboc_key_mac(host_pboc_key *k, const uint8_t *data, size_t len, uint8_t mac[4])
{
    uint8_t h[8], blk[8];
    size_t off = 0;
    int i;

    if (k == NULL || k->ctx == NULL || mac == NULL || (len > 0 && data == NULL))
        return HOST_ERR_ARG;
    /* CBC chaining done here over the ECB context: no IV reset per call, and the
     * padded final block is built in place of a copy of the whole message. Each block
     * goes through EVP_Cipher(): on an ECB context without padding and with whole
     * blocks it is exactly the provider's cipher call, and it skips the partial-block
     * bookkeeping of EVP_EncryptUpdate(), which cost about 40% of a TAC check. */
    memset(h, 0, sizeof h);
    for (;;) {
        size_t n = len - off;
        if (n >= 8) {
            for (i = 0; i < 8; i++)
                blk[i] = h[i] ^ data[off + (size_t)i];
            off += 8;
        } else {
            for (i = 0; i < 8; i++) {
                uint8_t b = (size_t)i < n ? data[off + (size_t)i] : (size_t)i == n ? 0x80 : 0x00;
                blk[i] = h[i] ^ b;
            }
            off = len + 1;
        }
        if (EVP_Cipher(k->ctx, h, blk, 8) <= 0) {
            ERR_clear_error();
            return HOST_ERR_CRYPTO;
        }
        if (off > len)
            break;
    }
    memcpy(mac, h, 4);
    return 0;
}

int host_pboc_key_purchase_tac_verify(host_pboc_key *k, const host_pboc_purchase *p,
                                      const uint8_t tac[4])
{
    uint8_t buf[22], m[4];

    if (p == NULL)
        return HOST_ERR_ARG;
    return verify4(host_pboc_key_mac(k, buf, purchase_tac_input(p, buf), m), m, tac);
}
