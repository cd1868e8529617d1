/*
 * obol card OS: message authentication codes. ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC,
 * PBOC MAC1/MAC2/TAC) and algorithm 3 (retail MAC, GlobalPlatform SCP02 C-MAC), both
 * with padding method 2, and AES-CMAC (NIST SP 800-38B / RFC 4493, GlobalPlatform
 * SCP03). The data is processed in place: no copy of the message is made.
 */
#include <obol/cos_crypto.h>

#include <string.h>

/* ISO/IEC 9797-1, padding method 2: the last block of the padded data is the
 * remaining 0..7 bytes, then 80, then zeros. REM is len % 8. */
static void pad_method2(uint8_t blk[8], const uint8_t *tail, size_t rem)
{
    memset(blk, 0, 8);
    if (rem)
        memcpy(blk, tail, rem);
    blk[rem] = 0x80;
}

/* CBC over the whole blocks of DATA into H (ISO/IEC 9797-1 iteration:
 * H_i = e_K(D_i ^ H_i-1)). */
static void cbc_mac_blocks(const cos_des_key *k, uint8_t h[8], const uint8_t *data, size_t nblocks)
{
    for (size_t b = 0; b < nblocks; b++) {
        for (int i = 0; i < 8; i++)
            h[i] ^= data[8 * b + i];
        cos_des_encrypt(k, h, h);
    }
}

/* ISO/IEC 9797-1 MAC algorithm 1: its final iteration is the plain CBC step, so the MAC
 * is the last CBC block. With padding method 2 there is always a last, padded
 * block (a full block of 80 00.. when LEN is a multiple of 8). */
int cos_mac_alg1(const uint8_t *key, size_t keylen, const uint8_t *icv, const uint8_t *data,
                 size_t len, uint8_t out[8])
{
    cos_des_key k;
    uint8_t h[8], last[8];
    if (cos_des_setkey(&k, key, keylen) != 0)
        return -1;
    if (icv)
        memcpy(h, icv, 8);
    else
        memset(h, 0, 8);
    cbc_mac_blocks(&k, h, data, len / 8);
    pad_method2(last, data ? data + (len & ~(size_t)7) : data, len % 8);
    cbc_mac_blocks(&k, h, last, 1);
    memcpy(out, h, 8);
    cos_wipe(&k, sizeof k);
    cos_wipe(h, sizeof h);
    cos_wipe(last, sizeof last);
    return 0;
}

/* ISO/IEC 9797-1 MAC algorithm 3 (final iteration 3): H_q is processed as
 * G = e_K(d_K'(H_q)) with K the left and K' the right key half. CBC with K over all
 * blocks but the last, then two-key 3DES (K K' K) over the last block XOR the chaining
 * value computes exactly that: e_K(d_K'(e_K(D_q ^ H_q-1))). */
int cos_mac_alg3(const uint8_t key[16], const uint8_t *icv, const uint8_t *data, size_t len,
                 uint8_t out[8])
{
    cos_des_key kl, k3;
    uint8_t h[8], last[8];
    cos_des_setkey(&kl, key, 8);
    cos_des_setkey(&k3, key, 16);
    if (icv)
        memcpy(h, icv, 8);
    else
        memset(h, 0, 8);
    cbc_mac_blocks(&kl, h, data, len / 8);
    pad_method2(last, data ? data + (len & ~(size_t)7) : data, len % 8);
    cbc_mac_blocks(&k3, h, last, 1);
    memcpy(out, h, 8);
    cos_wipe(&kl, sizeof kl);
    cos_wipe(&k3, sizeof k3);
    cos_wipe(h, sizeof h);
    cos_wipe(last, sizeof last);
    return 0;
}

/* NIST SP 800-38B, 6.1 / RFC 4493, 2.3: doubling in GF(2^128) with R = 0^120 10000111. */
static void cmac_double(uint8_t out[16], const uint8_t in[16])
{
    uint8_t carry = in[0] >> 7;
    for (int i = 0; i < 15; i++)
        out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
    out[15] = (uint8_t)((in[15] << 1) ^ (0x87 & -carry));
}

/* NIST SP 800-38B, 6.2 / RFC 4493, 2.4: CBC over all blocks but the last, which is XORed
 * with K1 when it is complete and otherwise padded with 80 00.. and XORed with K2. The
 * empty message is one incomplete block. */
int cos_aes_cmac(const uint8_t *key, size_t keylen, const uint8_t *data, size_t len,
                 uint8_t out[16])
{
    cos_aes_key k;
    uint8_t l[16], sub[16], x[16], last[16];
    if (cos_aes_setkey(&k, key, keylen) != 0)
        return -1;
    memset(l, 0, 16);
    cos_aes_encrypt(&k, l, l);
    cmac_double(sub, l);                     /* K1 */
    size_t nfull = len ? (len - 1) / 16 : 0; /* blocks before the last one */
    size_t rem = len - 16 * nfull;           /* 1..16, or 0 for the empty message */
    if (rem == 16) {
        memcpy(last, data + 16 * nfull, 16);
    } else {
        cmac_double(sub, sub); /* K2 */
        memset(last, 0, 16);
        if (rem)
            memcpy(last, data + 16 * nfull, rem);
        last[rem] = 0x80;
    }
    memset(x, 0, 16);
    for (size_t b = 0; b < nfull; b++) {
        for (int i = 0; i < 16; i++)
            x[i] ^= data[16 * b + i];
        cos_aes_encrypt(&k, x, x);
    }
    for (int i = 0; i < 16; i++)
        x[i] ^= last[i] ^ sub[i];
    cos_aes_encrypt(&k, x, out);
    cos_wipe(&k, sizeof k);
    cos_wipe(l, sizeof l);
    cos_wipe(sub, sizeof sub);
    cos_wipe(x, sizeof x);
    cos_wipe(last, sizeof last);
    return 0;
}
