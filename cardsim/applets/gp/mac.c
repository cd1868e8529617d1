/*
 * obol applet gp: MACs and key derivation for the secure channels, built on the card
 * OS crypto engine (cos_cipher / cos_key_cipher) so that a chip's DES/AES engine does
 * the block work and the cost counters see every block.
 *
 *   AES-CMAC      NIST SP 800-38B (subkeys K1, K2 from L = AES(K, 0^128)); SCP03 C-MAC,
 *                 R-MAC, KDF (Amendment D 4.1.3, 4.1.5), DAP
 *   retail MAC    ISO/IEC 9797-1 MAC algorithm 3 with padding method 2: single DES
 *                 with the left key half over every block, the final block 3DES; SCP02
 *                 C-MAC and R-MAC (GP CS 2.3 E.4.4, E.4.5)
 *   3DES CBC-MAC  ISO/IEC 9797-1 MAC algorithm 1 with 3DES and padding method 2; SCP02
 *                 cryptograms (E.4.2)
 * The streaming form keeps the last block back (its processing differs) and runs full
 * blocks through CBC in chunks, so an APDU header and its data need not be copied into
 * one buffer.
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

#define CHUNK 64u

/* CBC-encrypts LEN bytes (full blocks) of IN into the chaining value X. */
static int cbc(gp_mac *m, const uint8_t *in, size_t len)
{
    uint8_t out[CHUNK];
    int rc = 0;

    while (rc == 0 && len > 0) {
        size_t n = len < CHUNK ? len : CHUNK;
        if (m->k)
            rc =
                cos_key_cipher(m->ctx, m->k, COS_CIPHER_ENCRYPT | COS_CIPHER_CBC, m->x, in, out, n);
        else if (m->kind == GP_MAC_CMAC)
            rc = cos_cipher(m->ctx, COS_ALG_AES, m->key, m->keylen,
                            COS_CIPHER_ENCRYPT | COS_CIPHER_CBC, m->x, in, out, n);
        else /* retail: single DES with the left half; full 3DES otherwise */
            rc = cos_cipher(m->ctx, COS_ALG_DES, m->key, m->kind == GP_MAC_RETAIL ? 8u : 16u,
                            COS_CIPHER_ENCRYPT | COS_CIPHER_CBC, m->x, in, out, n);
        in += n;
        len -= n;
    }
    cos_wipe(out, sizeof out);
    return rc;
}

/* One block encryption (ECB) of IO in place under the MAC's key (3DES for DES). */
static int ecb(gp_mac *m, uint8_t *io)
{
    if (m->k)
        return cos_key_cipher(m->ctx, m->k, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, io, io,
                              m->bs);
    return cos_cipher(m->ctx, m->kind == GP_MAC_CMAC ? COS_ALG_AES : COS_ALG_DES, m->key, m->keylen,
                      COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, io, io, m->bs);
}

int gp__mac_start(gp_mac *m, cos_ctx *ctx, int kind, const cos_key *k, const uint8_t *key,
                  size_t keylen, const uint8_t *icv)
{
    memset(m, 0, sizeof *m);
    m->ctx = ctx;
    m->k = k;
    m->key = key;
    m->keylen = (uint8_t)keylen;
    m->kind = (uint8_t)kind;
    m->bs = kind == GP_MAC_CMAC ? 16u : 8u;
    if (!k && (!key || (kind == GP_MAC_CMAC ? keylen != 16 : keylen != 16)))
        return COS_ERR_PARAM;
    if (k && kind != GP_MAC_CMAC)
        return COS_ERR_PARAM; /* DES MACs run on session keys only */
    if (icv)
        memcpy(m->x, icv, m->bs);
    return 0;
}

int gp__mac_update(gp_mac *m, const void *data, size_t n)
{
    const uint8_t *p = data;
    int rc;

    while (n > 0) {
        if (m->fill == m->bs) {
            /* More data follows, so the buffered block is not the last one. */
            rc = cbc(m, m->buf, m->bs);
            if (rc < 0)
                return rc;
            m->fill = 0;
        }
        if (m->fill == 0 && n > m->bs) {
            size_t k = (n - 1) / m->bs * m->bs; /* keep at least one byte back */
            rc = cbc(m, p, k);
            if (rc < 0)
                return rc;
            p += k;
            n -= k;
            continue;
        }
        size_t t = (size_t)(m->bs - m->fill) < n ? (size_t)(m->bs - m->fill) : n;
        memcpy(m->buf + m->fill, p, t);
        m->fill = (uint8_t)(m->fill + t);
        p += t;
        n -= t;
    }
    return 0;
}

/* Doubling in GF(2^128) for the CMAC subkeys (SP 800-38B, 6.1). */
static void dbl(uint8_t b[16])
{
    uint8_t carry = (uint8_t)(b[0] >> 7);
    for (int i = 0; i < 15; i++)
        b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
    b[15] = (uint8_t)(b[15] << 1);
    if (carry)
        b[15] ^= 0x87;
}

int gp__mac_final(gp_mac *m, uint8_t out[16])
{
    uint8_t last[16], sub[16];
    int rc = 0;

    if (m->kind == GP_MAC_CMAC) {
        memset(sub, 0, sizeof sub);
        rc = ecb(m, sub); /* L */
        if (rc < 0)
            goto out;
        dbl(sub); /* K1 */
        memcpy(last, m->buf, m->fill);
        if (m->fill < 16) {
            last[m->fill] = 0x80;
            memset(last + m->fill + 1, 0, 15u - m->fill);
            dbl(sub); /* K2 */
        }
        for (int i = 0; i < 16; i++)
            m->x[i] ^= (uint8_t)(last[i] ^ sub[i]);
        rc = ecb(m, m->x);
        if (rc == 0)
            memcpy(out, m->x, 16);
    } else {
        /* Padding method 2 always adds a byte: a full buffered block is not the last. */
        if (m->fill == 8) {
            rc = cbc(m, m->buf, 8);
            if (rc < 0)
                goto out;
            m->fill = 0;
        }
        memcpy(last, m->buf, m->fill);
        last[m->fill] = 0x80;
        memset(last + m->fill + 1, 0, 7u - m->fill);
        for (int i = 0; i < 8; i++)
            m->x[i] ^= last[i];
        /* The final block under full 3DES (the retail MAC's output transformation). */
        rc = cos_cipher(m->ctx, COS_ALG_DES, m->key, 16, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL,
                        m->x, m->x, 8);
        if (rc == 0)
            memcpy(out, m->x, 8);
    }
out:
    cos_wipe(last, sizeof last);
    cos_wipe(sub, sizeof sub);
    cos_wipe(m, sizeof *m);
    return rc;
}

int gp__kdf(cos_ctx *ctx, const cos_key *k, const uint8_t *key, uint8_t constant, const uint8_t *c1,
            size_t n1, const uint8_t *c2, size_t n2, uint16_t lbits, uint8_t *out)
{
    uint8_t fixed[16], block[16];
    size_t want = lbits / 8u, done = 0;
    gp_mac m;
    int rc = 0;

    /* Amendment D 4.1.5: label = 11 x 00 || constant, separator 00, L (2 bytes, bits),
     * counter i (1 byte) starting at 1, then the context. */
    memset(fixed, 0, sizeof fixed);
    fixed[11] = constant;
    fixed[13] = (uint8_t)(lbits >> 8);
    fixed[14] = (uint8_t)lbits;
    for (uint8_t i = 1; rc == 0 && done < want; i++) {
        fixed[15] = i;
        rc = gp__mac_start(&m, ctx, GP_MAC_CMAC, k, key, 16, NULL);
        if (rc == 0)
            rc = gp__mac_update(&m, fixed, sizeof fixed);
        if (rc == 0 && n1)
            rc = gp__mac_update(&m, c1, n1);
        if (rc == 0 && n2)
            rc = gp__mac_update(&m, c2, n2);
        if (rc == 0)
            rc = gp__mac_final(&m, block);
        if (rc == 0) {
            size_t t = want - done < 16 ? want - done : 16;
            memcpy(out + done, block, t);
            done += t;
        }
    }
    cos_wipe(block, sizeof block);
    return rc;
}

int gp__scp02_key(cos_ctx *ctx, const cos_key *k, uint8_t c0, uint8_t c1, const uint8_t seq[2],
                  uint8_t out[16])
{
    uint8_t in[16], iv[8];

    memset(in, 0, sizeof in);
    memset(iv, 0, sizeof iv);
    in[0] = c0;
    in[1] = c1;
    in[2] = seq[0];
    in[3] = seq[1];
    return cos_key_cipher(ctx, k, COS_CIPHER_ENCRYPT | COS_CIPHER_CBC, iv, in, out, 16);
}

int gp__aes_block(cos_ctx *ctx, const uint8_t *key, const uint8_t in[16], uint8_t out[16])
{
    return cos_cipher(ctx, COS_ALG_AES, key, 16, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, in, out,
                      16);
}
