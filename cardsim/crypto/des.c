/*
 * obol card OS: DES and triple DES (FIPS 46-3; ANSI X9.52 / NIST SP 800-67 keying options).
 *
 * The round function is table driven: each of the eight S-boxes is merged with the P
 * permutation into a 64-entry table of 32-bit words (2 KB in all), and the expansion E
 * is replaced by reading 6-bit windows out of the rotated right half, so one round costs
 * eight table reads. The initial and final permutations are done with five bit-group
 * swaps each. Triple DES runs the three passes back to back without the FP/IP pair in
 * between, since FP followed by IP is the identity. As with AES (see aes.c), the
 * lookups are indexed by secret data: constant time on the cache-less Cortex-M3 only.
 */
#include "crypto_internal.h"

#include <string.h>

#include "des_tables.h"

/* FIPS 46-3, "Key schedule calculation": permuted choice 1 (64 -> 56 bits, first 28 form
 * C, the rest D), the left shifts per round and permuted choice 2 (56 -> 48 bits). Bit
 * numbers count from 1 at the most significant bit, as in the standard. */
static const uint8_t SHIFTS[16] = {1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1};

/* Expands one 8-byte DES key into 16 round keys of two words each. A round key's eight
 * 6-bit groups (the S-box inputs after E, FIPS 46-3 "The cipher function f") sit in
 * bits 2..7 of the bytes of two words, groups 0, 2, 4, 6 in the first and 1, 3, 5, 7 in
 * the second, exactly where des_f finds the matching groups of the half block. */
static void des_schedule(uint32_t ks[32], const uint8_t key[8])
{
    uint32_t c = 0, d = 0;
    for (int n = 0; n < 8; n++) {
        unsigned hi = key[n] >> 4, lo = key[n] & 15u;
        c |= PC1C[2 * n][hi] | PC1C[2 * n + 1][lo];
        d |= PC1D[2 * n][hi] | PC1D[2 * n + 1][lo];
    }
    for (int round = 0; round < 16; round++) {
        unsigned s = SHIFTS[round];
        c = ((c << s) | (c >> (28 - s))) & 0x0fffffffu;
        d = ((d << s) | (d >> (28 - s))) & 0x0fffffffu;
        uint32_t hc = 0, hd = 0;
        for (int j = 0; j < 4; j++) {
            hc |= PC2C[j][(c >> (7 * j)) & 127];
            hd |= PC2D[j][(d >> (7 * j)) & 127];
        }
        ks[2 * round] = (hc & 0xFFFF0000u) | (hd >> 16);
        ks[2 * round + 1] = (hc << 16) | (hd & 0xFFFFu);
    }
}

int cos_des_setkey(cos_des_key *k, const uint8_t *key, size_t keylen)
{
    if (keylen != 8 && keylen != 16 && keylen != 24)
        return -1;
    des_schedule(k->ks[0], key);
    /* Two-key 3DES is K1 K2 K1 (SP 800-67, keying option 2); single DES fills all
     * three so that the three-pass path would compute the same thing. */
    if (keylen == 8)
        memcpy(k->ks[1], k->ks[0], sizeof k->ks[0]);
    else
        des_schedule(k->ks[1], key + 8);
    if (keylen == 24)
        des_schedule(k->ks[2], key + 16);
    else
        memcpy(k->ks[2], k->ks[0], sizeof k->ks[0]);
    k->single = keylen == 8;
    return 0;
}

/*
 * The cipher function f (FIPS 46-3). E makes group i of the bits 4i..4i+5 of R (bit 0
 * meaning bit 32 and bit 33 bit 1, counting from 1 at the most significant bit). With
 * the half block kept rotated right by one bit (x = R >>> 1), groups 0, 2, 4, 6 are bits
 * 2..7 of the four bytes of x, and groups 1, 3, 5, 7 bits 2..7 of the bytes of x <<< 4:
 * E costs one rotation. The SP tables return P(S(...)) in the same rotated form.
 */
static inline uint32_t des_f(uint32_t x, const uint32_t *rk)
{
    uint32_t e = x ^ rk[0], o = cos__rotl32(x, 4) ^ rk[1];
    return SP[0][(e >> 26) & 63] ^ SP[2][(e >> 18) & 63] ^ SP[4][(e >> 10) & 63] ^
           SP[6][(e >> 2) & 63] ^ SP[1][(o >> 26) & 63] ^ SP[3][(o >> 18) & 63] ^
           SP[5][(o >> 10) & 63] ^ SP[7][(o >> 2) & 63];
}

/* Sixteen rounds with the round keys in order (encryption) or reversed (decryption).
 * The halves are not swapped between rounds: after the last round *l holds L16 and *r
 * holds R16, so the preoutput block R16 L16 is (*r, *l). */
static inline void des16_enc(uint32_t *l, uint32_t *r, const uint32_t ks[32])
{
    uint32_t a = *l, b = *r;
    for (int i = 0; i < 32; i += 4) {
        a ^= des_f(b, ks + i);
        b ^= des_f(a, ks + i + 2);
    }
    *l = a;
    *r = b;
}

static inline void des16_dec(uint32_t *l, uint32_t *r, const uint32_t ks[32])
{
    uint32_t a = *l, b = *r;
    for (int i = 30; i > 0; i -= 4) {
        a ^= des_f(b, ks + i);
        b ^= des_f(a, ks + i - 2);
    }
    *l = a;
    *r = b;
}

/* The initial permutation IP as five swaps of bit groups between the two halves (each
 * swap exchanges the bits under MASK in one word with those MASK << S in the other);
 * their composition is exactly IP's table in FIPS 46-3, checked bit by bit when the
 * tables were generated. des_ip then rotates both halves right by one bit into the
 * representation des_f works on; des_fp undoes that and the swaps in reverse order. */
static inline void swap_bits(uint32_t *a, uint32_t *b, unsigned s, uint32_t mask)
{
    uint32_t t = ((*a >> s) ^ *b) & mask;
    *b ^= t;
    *a ^= t << s;
}

static inline void des_ip(uint32_t *lp, uint32_t *rp)
{
    uint32_t l = *lp, r = *rp;
    swap_bits(&l, &r, 4, 0x0f0f0f0fu);
    swap_bits(&l, &r, 16, 0x0000ffffu);
    swap_bits(&r, &l, 2, 0x33333333u);
    swap_bits(&r, &l, 8, 0x00ff00ffu);
    swap_bits(&l, &r, 1, 0x55555555u);
    *lp = cos__rotr32(l, 1);
    *rp = cos__rotr32(r, 1);
}

static inline void des_fp(uint32_t *lp, uint32_t *rp)
{
    uint32_t l = cos__rotl32(*lp, 1), r = cos__rotl32(*rp, 1);
    swap_bits(&l, &r, 1, 0x55555555u);
    swap_bits(&r, &l, 8, 0x00ff00ffu);
    swap_bits(&r, &l, 2, 0x33333333u);
    swap_bits(&l, &r, 16, 0x0000ffffu);
    swap_bits(&l, &r, 4, 0x0f0f0f0fu);
    *lp = l;
    *rp = r;
}

/* One block. Triple DES is E(K3, D(K2, E(K1, x))) for encryption and the inverse for
 * decryption (SP 800-67, TDEA forward and inverse cipher operations). Each pass leaves its
 * preoutput as (r, l), which is the next pass's (L0, R0) once FP and IP cancel, hence the
 * alternating argument order. */
static inline void des_block(const cos_des_key *k, int encrypt, const uint8_t in[8], uint8_t out[8])
{
    uint32_t l = cos__load32(in), r = cos__load32(in + 4);
    des_ip(&l, &r);
    if (k->single) {
        if (encrypt)
            des16_enc(&l, &r, k->ks[0]);
        else
            des16_dec(&l, &r, k->ks[0]);
    } else if (encrypt) {
        des16_enc(&l, &r, k->ks[0]);
        des16_dec(&r, &l, k->ks[1]);
        des16_enc(&l, &r, k->ks[2]);
    } else {
        des16_dec(&l, &r, k->ks[2]);
        des16_enc(&r, &l, k->ks[1]);
        des16_dec(&l, &r, k->ks[0]);
    }
    des_fp(&r, &l);
    cos__store32(out, r);
    cos__store32(out + 4, l);
}

void cos_des_encrypt(const cos_des_key *k, const uint8_t in[8], uint8_t out[8])
{
    des_block(k, 1, in, out);
}

void cos_des_decrypt(const cos_des_key *k, const uint8_t in[8], uint8_t out[8])
{
    des_block(k, 0, in, out);
}

/* The two directions as block functions for the mode loops in modes.c. */
static void des_enc_fn(const void *key, const uint8_t *in, uint8_t *out)
{
    des_block(key, 1, in, out);
}

static void des_dec_fn(const void *key, const uint8_t *in, uint8_t *out)
{
    des_block(key, 0, in, out);
}

void cos_des_ecb(const cos_des_key *k, int encrypt, const uint8_t *in, uint8_t *out, size_t len)
{
    cos__ecb(encrypt ? des_enc_fn : des_dec_fn, k, 8, in, out, len);
}

/* CBC (ISO/IEC 10116 / NIST SP 800-38A 6.2); IN and OUT may be the same buffer. */
void cos_des_cbc(const cos_des_key *k, int encrypt, uint8_t iv[8], const uint8_t *in, uint8_t *out,
                 size_t len)
{
    cos__cbc(encrypt ? des_enc_fn : des_dec_fn, k, 8, encrypt, iv, in, out, len);
}
