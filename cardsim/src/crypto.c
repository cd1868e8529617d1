/*
 * obol card OS: the crypto engine entry points.
 *
 * All cipher work of the OS and its applets funnels through cos__cipher(), which
 * counts blocks in the card's cost counters and calls the HAL's engine, or obol's
 * soft crypto (cos_crypto.h) when the port has none. MACs are built here on top of
 * cos__cipher() so that a hardware DES engine serves them too.
 */
#include "cos_internal.h"

#include "obol/cos_crypto.h"

static int soft(uint8_t alg, const cos_cipher_op *op)
{
    int enc = (op->mode & COS_CIPHER_ENCRYPT) != 0;
    int cbc = (op->mode & COS_CIPHER_CBC) != 0;

    if (alg == COS_ALG_DES) {
        cos_des_key k;
        if (cos_des_setkey(&k, op->key, op->keylen) != 0)
            return COS_ERR_CRYPTO;
        if (cbc)
            cos_des_cbc(&k, enc, op->iv, op->in, op->out, op->len);
        else
            cos_des_ecb(&k, enc, op->in, op->out, op->len);
        cos_wipe(&k, sizeof k);
    } else if (alg == COS_ALG_AES) {
        cos_aes_key k;
        if (cos_aes_setkey(&k, op->key, op->keylen) != 0)
            return COS_ERR_CRYPTO;
        if (cbc)
            cos_aes_cbc(&k, enc, op->iv, op->in, op->out, op->len);
        else
            cos_aes_ecb(&k, enc, op->in, op->out, op->len);
        cos_wipe(&k, sizeof k);
    } else if (alg == COS_ALG_SM4) {
        cos_sm4_key k;
        if (op->keylen != 16)
            return COS_ERR_CRYPTO;
        cos_sm4_setkey(&k, op->key);
        if (cbc)
            cos_sm4_cbc(&k, enc, op->iv, op->in, op->out, op->len);
        else
            cos_sm4_ecb(&k, enc, op->in, op->out, op->len);
        cos_wipe(&k, sizeof k);
    } else {
        return COS_ERR_CRYPTO;
    }
    return 0;
}

static size_t block_size(uint8_t alg)
{
    return alg == COS_ALG_DES ? 8u : 16u;
}

int cos__cipher(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, unsigned mode,
                uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len)
{
    cos_cipher_op op = {key, keylen, mode, iv, in, out, len};
    int (*engine)(void *, const cos_cipher_op *) = NULL;
    size_t bs = block_size(alg);

    if (len % bs || ((mode & COS_CIPHER_CBC) && !iv))
        return COS_ERR_PARAM;
    if (alg == COS_ALG_DES)
        engine = c->hal->des;
    else if (alg == COS_ALG_AES)
        engine = c->hal->aes;
    else if (alg == COS_ALG_SM4)
        engine = c->hal->sm4;
    else
        return COS_ERR_CRYPTO;
    c->cost.crypto_blocks += (uint32_t)(len / bs);
    return engine ? engine(c->port, &op) : soft(alg, &op);
}

/*
 * MAC over PRE || DATA with padding method 2 of ISO/IEC 9797-1 (80 then 00s, always).
 * DES with an 8-byte key: MAC algorithm 1; with 16 bytes: algorithm 3 (single-DES
 * CBC under the left half, the last block then decrypted under the right half and
 * encrypted under the left) as EMV Book 2 A1.2 and PBOC use; with 24 bytes: 3DES
 * CBC-MAC. AES and SM4: CBC-MAC of the padded data.
 */
static int mac2(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
                const uint8_t *pre, size_t prelen, const uint8_t *data, size_t len, uint8_t out[16])
{
    uint8_t buf[64], iv[16];
    size_t bs = block_size(alg), fill = 0, total = prelen + len, at = 0;
    size_t chain_keylen = (alg == COS_ALG_DES && keylen == 16) ? 8 : keylen;
    int rc = 0, padded = 0;

    if (icv)
        memcpy(iv, icv, bs);
    else
        memset(iv, 0, bs);
    /* Stream the input through a small buffer, one CBC call per buffer. */
    for (;;) {
        size_t whole;
        while (fill < sizeof buf && at < total) {
            buf[fill++] = at < prelen ? pre[at] : data[at - prelen];
            at++;
        }
        if (at == total && fill + bs <= sizeof buf) {
            buf[fill++] = 0x80;
            while (fill % bs)
                buf[fill++] = 0x00;
            padded = 1;
        }
        whole = fill - fill % bs;
        if (whole) {
            uint8_t tmp[64];
            rc = cos__cipher(c, alg, key, chain_keylen, COS_CIPHER_ENCRYPT | COS_CIPHER_CBC, iv,
                             buf, tmp, whole);
            if (rc < 0)
                break;
            memmove(buf, buf + whole, fill - whole);
            fill -= whole;
        }
        if (padded)
            break;
    }
    if (rc == 0 && alg == COS_ALG_DES && keylen == 16) {
        /* Algorithm 3 output transformation: D(K2) then E(K1) of the last block. */
        rc = cos__cipher(c, alg, key + 8, 8, COS_CIPHER_DECRYPT, NULL, iv, iv, 8);
        if (rc == 0)
            rc = cos__cipher(c, alg, key, 8, COS_CIPHER_ENCRYPT, NULL, iv, iv, 8);
    }
    if (rc == 0)
        memcpy(out, iv, bs);
    cos_wipe(buf, sizeof buf);
    return rc < 0 ? rc : (int)bs;
}

int cos__mac(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
             const uint8_t *data, size_t len, uint8_t out[16])
{
    return mac2(c, alg, key, keylen, icv, NULL, 0, data, len, out);
}

int cos__mac_hdr(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
                 const uint8_t *pre, size_t prelen, const uint8_t *data, size_t len,
                 uint8_t out[16])
{
    return mac2(c, alg, key, keylen, icv, pre, prelen, data, len, out);
}

int cos__random(cos_card *c, uint8_t *buf, size_t len)
{
    c->cost.rng_bytes += (uint32_t)len;
    return c->hal->rng(c->port, buf, len) < 0 ? COS_ERR_RNG : 0;
}
