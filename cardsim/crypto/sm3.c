/*
 * obol card OS: SM3 cryptographic hash (GB/T 32905-2016).
 *
 * Same block structure and padding as SHA-256 (64-byte blocks, 64-bit big-endian bit
 * length), so it shares the context type and the buffering and padding (md.c); the
 * compression function differs (clause 5.3).
 */
#include "crypto_internal.h"

#include <string.h>

/* GB/T 32905-2016, 4.1: the initial value IV. */
static const uint32_t IV[8] = {
    0x7380166fu, 0x4914b2b9u, 0x172442d7u, 0xda8a0600u,
    0xa96f30bcu, 0x163138aau, 0xe38dee4du, 0xb0fb0e4eu,
};

/* 4.4: the permutation functions. */
static inline uint32_t p0(uint32_t x)
{
    return x ^ cos__rotl32(x, 9) ^ cos__rotl32(x, 17);
}

static inline uint32_t p1(uint32_t x)
{
    return x ^ cos__rotl32(x, 15) ^ cos__rotl32(x, 23);
}

/* 5.3.2 message expansion and 5.3.3 compression function CF for one 512-bit block. W is
 * kept whole (68 words) for clarity; W'j = Wj ^ Wj+4 is formed on the fly. */
static void sm3_block(uint32_t v[8], const uint8_t *p)
{
    uint32_t w[68];
    for (int j = 0; j < 16; j++)
        w[j] = cos__load32(p + 4 * j);
    for (int j = 16; j < 68; j++)
        w[j] = p1(w[j - 16] ^ w[j - 9] ^ cos__rotl32(w[j - 3], 15)) ^ cos__rotl32(w[j - 13], 7) ^
               w[j - 6];
    uint32_t a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
    for (unsigned j = 0; j < 64; j++) {
        /* 4.2 constants Tj; 4.3 boolean functions FFj, GGj. */
        uint32_t tj = j < 16 ? 0x79cc4519u : 0x7a879d8au;
        uint32_t a12 = cos__rotl32(a, 12);
        uint32_t ss1 = cos__rotl32(a12 + e + cos__rotl32(tj, j % 32), 7);
        uint32_t ss2 = ss1 ^ a12;
        uint32_t ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
        uint32_t gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
        uint32_t tt1 = ff + d + ss2 + (w[j] ^ w[j + 4]);
        uint32_t tt2 = gg + h + ss1 + w[j];
        d = c;
        c = cos__rotl32(b, 9);
        b = a;
        a = tt1;
        h = g;
        g = cos__rotl32(f, 19);
        f = e;
        e = p0(tt2);
    }
    v[0] ^= a;
    v[1] ^= b;
    v[2] ^= c;
    v[3] ^= d;
    v[4] ^= e;
    v[5] ^= f;
    v[6] ^= g;
    v[7] ^= h;
}

void cos_sm3_init(cos_sm3_ctx *c)
{
    memcpy(c->h, IV, sizeof IV);
    c->bytes = 0;
    c->fill = 0;
}

void cos_sm3_update(cos_sm3_ctx *c, const void *data, size_t len)
{
    cos__md_update(c, sm3_block, data, len);
}

/* The padding is FIPS 180-4, 5.1.1 / GB/T 32905-2016, 5.2, the same for both hashes
 * (md.c). The context is wiped afterwards. */
void cos_sm3_final(cos_sm3_ctx *c, uint8_t out[32])
{
    cos__md_final(c, sm3_block, out);
}

void cos_sm3(const void *data, size_t len, uint8_t out[32])
{
    cos_sm3_ctx c;
    cos_sm3_init(&c);
    cos_sm3_update(&c, data, len);
    cos_sm3_final(&c, out);
}
