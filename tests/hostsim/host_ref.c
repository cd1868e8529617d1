/*
 * obol tests: independent reference computations (see host_ref.h).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>

#include "host_ref.h"

size_t ref_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex; hex++) {
        int v = 0;
        char c = *hex;
        if (c == ' ')
            continue;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            cr_assert_fail("bad hex character %c", c);
        if (hi < 0) {
            hi = v;
        } else {
            cr_assert_lt(n, cap, "hex string too long");
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    cr_assert_eq(hi, -1, "odd hex string");
    return n;
}

static void one_block(const char *name, const uint8_t *key, int encrypt, const uint8_t *in,
                      uint8_t *out, int bs)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;

    cr_assert(c != NULL && ctx != NULL);
    cr_assert(EVP_CipherInit_ex2(ctx, c, key, NULL, encrypt, NULL));
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    cr_assert(EVP_CipherUpdate(ctx, out, &outl, in, bs));
    cr_assert_eq(outl, bs);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
}

void ref_des_block(const uint8_t *key, size_t keylen, int encrypt, const uint8_t in[8],
                   uint8_t out[8])
{
    uint8_t k[24];

    /* Single DES as EDE with three equal keys; two-key 3DES as K1 K2 K1. */
    memcpy(k, key, 8);
    memcpy(k + 8, keylen >= 16 ? key + 8 : key, 8);
    memcpy(k + 16, keylen == 24 ? key + 16 : key, 8);
    one_block("DES-EDE3-ECB", k, encrypt, in, out, 8);
}

void ref_aes_block(const uint8_t *key, size_t keylen, int encrypt, const uint8_t in[16],
                   uint8_t out[16])
{
    const char *name = keylen == 16 ? "AES-128-ECB" : keylen == 24 ? "AES-192-ECB" : "AES-256-ECB";
    one_block(name, key, encrypt, in, out, 16);
}

static size_t pad(const uint8_t *msg, size_t len, uint8_t *buf, size_t bs)
{
    size_t n = len + 1;

    memcpy(buf, msg, len);
    buf[len] = 0x80;
    while (n % bs)
        buf[n++] = 0;
    return n;
}

void ref_mac1(const uint8_t *key, size_t keylen, const uint8_t *icv, const uint8_t *msg, size_t len,
              uint8_t mac[8])
{
    uint8_t *buf = malloc(len + 8), h[8];
    size_t n = pad(msg, len, buf, 8), i, j;

    if (icv)
        memcpy(h, icv, 8);
    else
        memset(h, 0, 8);
    for (i = 0; i < n; i += 8) {
        for (j = 0; j < 8; j++)
            h[j] ^= buf[i + j];
        ref_des_block(key, keylen, 1, h, h);
    }
    memcpy(mac, h, 8);
    free(buf);
}

void ref_mac3(const uint8_t key[16], const uint8_t *icv, const uint8_t *msg, size_t len,
              uint8_t mac[8])
{
    uint8_t h[8];

    ref_mac1(key, 8, icv, msg, len, h);
    ref_des_block(key + 8, 8, 0, h, h);
    ref_des_block(key, 8, 1, h, mac);
}

static void dbl(uint8_t b[16])
{
    int i, carry = b[0] & 0x80;

    for (i = 0; i < 15; i++)
        b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
    b[15] = (uint8_t)(b[15] << 1);
    if (carry)
        b[15] ^= 0x87;
}

void ref_cmac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t mac[16])
{
    uint8_t k1[16] = {0}, k2[16], x[16] = {0}, last[16];
    size_t nblocks = len == 0 ? 1 : (len + 15) / 16, i, j;
    int complete = len > 0 && len % 16 == 0;

    ref_aes_block(key, keylen, 1, k1, k1);
    dbl(k1);
    memcpy(k2, k1, 16);
    dbl(k2);
    for (i = 0; i + 1 < nblocks; i++) {
        for (j = 0; j < 16; j++)
            x[j] ^= msg[16 * i + j];
        ref_aes_block(key, keylen, 1, x, x);
    }
    memset(last, 0, 16);
    memcpy(last, msg + 16 * i, len - 16 * i);
    if (!complete)
        last[len - 16 * i] = 0x80;
    for (j = 0; j < 16; j++)
        x[j] ^= last[j] ^ (complete ? k1[j] : k2[j]);
    ref_aes_block(key, keylen, 1, x, mac);
}

void ref_des_cbc(const uint8_t key[16], int encrypt, const uint8_t *iv, const uint8_t *in,
                 uint8_t *out, size_t len)
{
    uint8_t h[8], t[8];
    size_t i, j;

    if (iv)
        memcpy(h, iv, 8);
    else
        memset(h, 0, 8);
    for (i = 0; i < len; i += 8) {
        if (encrypt) {
            for (j = 0; j < 8; j++)
                t[j] = in[i + j] ^ h[j];
            ref_des_block(key, 16, 1, t, out + i);
            memcpy(h, out + i, 8);
        } else {
            memcpy(t, in + i, 8);
            ref_des_block(key, 16, 0, t, out + i);
            for (j = 0; j < 8; j++)
                out[i + j] ^= h[j];
            memcpy(h, t, 8);
        }
    }
}

void ref_aes_cbc(const uint8_t *key, size_t keylen, int encrypt, const uint8_t *iv,
                 const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t h[16], t[16];
    size_t i, j;

    if (iv)
        memcpy(h, iv, 16);
    else
        memset(h, 0, 16);
    for (i = 0; i < len; i += 16) {
        if (encrypt) {
            for (j = 0; j < 16; j++)
                t[j] = in[i + j] ^ h[j];
            ref_aes_block(key, keylen, 1, t, out + i);
            memcpy(h, out + i, 16);
        } else {
            memcpy(t, in + i, 16);
            ref_aes_block(key, keylen, 0, t, out + i);
            for (j = 0; j < 16; j++)
                out[i + j] ^= h[j];
            memcpy(h, t, 16);
        }
    }
}

void ref_scp03_kdf(const uint8_t *key, size_t keylen, uint8_t constant, const uint8_t *ctx,
                   size_t ctxlen, size_t lbits, uint8_t *out)
{
    uint8_t in[64], blk[16];
    size_t done = 0, want = lbits / 8;
    int i = 1;

    memset(in, 0, 16);
    in[11] = constant;
    in[13] = (uint8_t)(lbits >> 8);
    in[14] = (uint8_t)lbits;
    memcpy(in + 16, ctx, ctxlen);
    while (done < want) {
        size_t n = want - done < 16 ? want - done : 16;
        in[15] = (uint8_t)i++;
        ref_cmac(key, keylen, in, 16 + ctxlen, blk);
        memcpy(out + done, blk, n);
        done += n;
    }
}
