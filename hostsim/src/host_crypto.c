/*
 * obol host platform: block cipher, MAC and key check value helpers on OpenSSL 3.
 *
 * Everything goes through the EVP interfaces of the default provider: single DES lives
 * only in OpenSSL 3's legacy provider, so a single-DES key K is run as DES-EDE3 with
 * K||K||K, which computes exactly E_K (E_K(D_K(E_K(x))) = E_K(x)). Each call fetches
 * its cipher and builds a fresh context; the settlement hot path uses the prepared key
 * in host_pboc.c instead.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "obol/host_crypto.h"
#include "host_internal.h"

void host_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

int host_verify_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    if (a == NULL || b == NULL)
        return HOST_ERR_ARG;
    return CRYPTO_memcmp(a, b, len) == 0 ? 0 : HOST_ERR_MAC;
}

int host__cipher(const char *name, const uint8_t *key, const uint8_t *iv, int encrypt,
                 const uint8_t *in, uint8_t *out, size_t len)
{
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    int rc = HOST_ERR_CRYPTO;
    int outl = 0, finl = 0;

    if (len == 0)
        return 0;
    if (len > INT_MAX || in == NULL || out == NULL)
        return HOST_ERR_ARG;
    cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (cipher == NULL)
        goto cleanup;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        rc = HOST_ERR_NOMEM;
        goto cleanup;
    }
    if (!EVP_CipherInit_ex2(ctx, cipher, key, iv, encrypt ? 1 : 0, NULL))
        goto cleanup;
    if (!EVP_CIPHER_CTX_set_padding(ctx, 0))
        goto cleanup;
    if (!EVP_CipherUpdate(ctx, out, &outl, in, (int)len))
        goto cleanup;
    if (!EVP_CipherFinal_ex(ctx, out + outl, &finl))
        goto cleanup;
    rc = (size_t)outl + (size_t)finl == len ? 0 : HOST_ERR_CRYPTO;
cleanup:
    if (rc != 0)
        ERR_clear_error();
    EVP_CIPHER_CTX_free(ctx); /* wipes the key schedule */
    EVP_CIPHER_free(cipher);
    return rc;
}

int host__des_key24(const uint8_t *key, size_t keylen, uint8_t out[24])
{
    if (key == NULL)
        return HOST_ERR_ARG;
    switch (keylen) {
    case 8:
        memcpy(out, key, 8);
        memcpy(out + 8, key, 8);
        memcpy(out + 16, key, 8);
        return 0;
    case 16:
        memcpy(out, key, 16);
        memcpy(out + 16, key, 8);
        return 0;
    case 24:
        memcpy(out, key, 24);
        return 0;
    default:
        return HOST_ERR_ARG;
    }
}

const char *host__aes_name(size_t keylen, int cbc)
{
    switch (keylen) {
    case 16:
        return cbc ? "AES-128-CBC" : "AES-128-ECB";
    case 24:
        return cbc ? "AES-192-CBC" : "AES-192-ECB";
    case 32:
        return cbc ? "AES-256-CBC" : "AES-256-ECB";
    default:
        return NULL;
    }
}

size_t host__pad80(uint8_t *buf, size_t len, size_t cap, size_t bs)
{
    size_t padded = (len / bs + 1) * bs;

    if (padded > cap)
        return 0;
    buf[len] = 0x80;
    memset(buf + len + 1, 0, padded - len - 1);
    return padded;
}

int host__unpad80(const uint8_t *buf, size_t len, size_t *out)
{
    size_t n = len;

    while (n > 0 && buf[n - 1] == 0x00)
        n--;
    if (n == 0 || buf[n - 1] != 0x80)
        return HOST_ERR_PADDING;
    *out = n - 1;
    return 0;
}

static int des_crypt(const char *name, const uint8_t *key, size_t keylen, int encrypt,
                     const uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t k24[24];
    int rc;

    if (len % 8 != 0)
        return HOST_ERR_ARG;
    rc = host__des_key24(key, keylen, k24);
    if (rc == 0)
        rc = host__cipher(name, k24, iv, encrypt, in, out, len);
    host_wipe(k24, sizeof k24);
    return rc;
}

int host_des_ecb(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *in, uint8_t *out,
                 size_t len)
{
    return des_crypt("DES-EDE3-ECB", key, keylen, encrypt, NULL, in, out, len);
}

int host_des_cbc(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *iv,
                 const uint8_t *in, uint8_t *out, size_t len)
{
    static const uint8_t zero_iv[8];

    return des_crypt("DES-EDE3-CBC", key, keylen, encrypt, iv != NULL ? iv : zero_iv, in, out, len);
}

int host_aes_ecb(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *in, uint8_t *out,
                 size_t len)
{
    const char *name = host__aes_name(keylen, 0);

    if (name == NULL || key == NULL || len % 16 != 0)
        return HOST_ERR_ARG;
    return host__cipher(name, key, NULL, encrypt, in, out, len);
}

int host_aes_cbc(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *iv,
                 const uint8_t *in, uint8_t *out, size_t len)
{
    static const uint8_t zero_iv[16];
    const char *name = host__aes_name(keylen, 1);

    if (name == NULL || key == NULL || len % 16 != 0)
        return HOST_ERR_ARG;
    return host__cipher(name, key, iv != NULL ? iv : zero_iv, encrypt, in, out, len);
}

/* CBC-MAC over DATA || 80 00.. with the prepared 24-byte DES-EDE3 key: the data is run
 * through CBC encryption in chunks and the last ciphertext block kept (ISO/IEC 9797-1
 * MAC algorithm 1, padding method 2; output transformation 1). */
static int des_cbc_mac(const uint8_t k24[24], const uint8_t *icv, const uint8_t *data, size_t len,
                       uint8_t mac[8])
{
    static const uint8_t zero_iv[8];
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    uint8_t scratch[256], tail[8];
    size_t full = len - len % 8, off = 0;
    int rc = HOST_ERR_CRYPTO, outl;

    if (len > 0 && data == NULL)
        return HOST_ERR_ARG;
    cipher = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL);
    if (cipher == NULL)
        goto cleanup;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        rc = HOST_ERR_NOMEM;
        goto cleanup;
    }
    if (!EVP_EncryptInit_ex2(ctx, cipher, k24, icv != NULL ? icv : zero_iv, NULL) ||
        !EVP_CIPHER_CTX_set_padding(ctx, 0))
        goto cleanup;
    while (off < full) {
        size_t n = full - off < sizeof scratch ? full - off : sizeof scratch;
        if (!EVP_EncryptUpdate(ctx, scratch, &outl, data + off, (int)n))
            goto cleanup;
        off += n;
    }
    memset(tail, 0, sizeof tail);
    if (len > full)
        memcpy(tail, data + full, len - full);
    tail[len - full] = 0x80;
    if (!EVP_EncryptUpdate(ctx, scratch, &outl, tail, 8) || outl != 8)
        goto cleanup;
    memcpy(mac, scratch, 8);
    rc = 0;
cleanup:
    if (rc != 0)
        ERR_clear_error();
    host_wipe(scratch, sizeof scratch);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return rc;
}

int host_mac_alg1(const uint8_t *key, size_t keylen, const uint8_t *icv, const uint8_t *data,
                  size_t len, uint8_t mac[8])
{
    uint8_t k24[24];
    int rc;

    if (mac == NULL)
        return HOST_ERR_ARG;
    rc = host__des_key24(key, keylen, k24);
    if (rc == 0)
        rc = des_cbc_mac(k24, icv, data, len, mac);
    host_wipe(k24, sizeof k24);
    return rc;
}

int host_mac_alg3(const uint8_t key[16], const uint8_t *icv, const uint8_t *data, size_t len,
                  uint8_t mac[8])
{
    uint8_t h[8];
    int rc;

    if (key == NULL || mac == NULL)
        return HOST_ERR_ARG;
    /* GP CS 2.3 B.1.2.2: single-DES CBC under KL over every block, then the final
     * output transformation D_KR followed by E_KL on the last block. */
    rc = host_mac_alg1(key, 8, icv, data, len, h);
    if (rc == 0)
        rc = host_des_ecb(key + 8, 8, 0, h, h, 8);
    if (rc == 0)
        rc = host_des_ecb(key, 8, 1, h, h, 8);
    if (rc == 0)
        memcpy(mac, h, 8);
    host_wipe(h, sizeof h);
    return rc;
}

int host__aes_cmac2(const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen, uint8_t mac[16])
{
    const char *name = host__aes_name(keylen, 1);
    EVP_MAC *m = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    size_t outl = 0;
    int rc = HOST_ERR_CRYPTO;

    if (name == NULL || key == NULL || mac == NULL || (alen > 0 && a == NULL) ||
        (blen > 0 && b == NULL))
        return HOST_ERR_ARG;
    m = EVP_MAC_fetch(NULL, "CMAC", NULL);
    if (m == NULL)
        goto cleanup;
    ctx = EVP_MAC_CTX_new(m);
    if (ctx == NULL) {
        rc = HOST_ERR_NOMEM;
        goto cleanup;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)name, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(ctx, key, keylen, params))
        goto cleanup;
    if ((alen > 0 && !EVP_MAC_update(ctx, a, alen)) || (blen > 0 && !EVP_MAC_update(ctx, b, blen)))
        goto cleanup;
    if (!EVP_MAC_final(ctx, mac, &outl, 16) || outl != 16)
        goto cleanup;
    rc = 0;
cleanup:
    if (rc != 0)
        ERR_clear_error();
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return rc;
}

int host_aes_cmac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                  uint8_t mac[16])
{
    return host__aes_cmac2(key, keylen, data, len, NULL, 0, mac);
}

int host_kcv_des(const uint8_t *key, size_t keylen, uint8_t kcv[3])
{
    static const uint8_t zero[8];
    uint8_t out[8];
    int rc;

    if (kcv == NULL)
        return HOST_ERR_ARG;
    rc = host_des_ecb(key, keylen, 1, zero, out, 8);
    if (rc == 0)
        memcpy(kcv, out, 3);
    return rc;
}

int host_kcv_aes(const uint8_t *key, size_t keylen, uint8_t kcv[3])
{
    uint8_t in[16], out[16];
    int rc;

    if (kcv == NULL)
        return HOST_ERR_ARG;
    memset(in, 0x01, sizeof in);
    rc = host_aes_ecb(key, keylen, 1, in, out, 16);
    if (rc == 0)
        memcpy(kcv, out, 3);
    return rc;
}
