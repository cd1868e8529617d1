/*
 * obol card OS: SHA-256 (FIPS 180-4).
 *
 * A plain, compact implementation: the card hashes little (certificates, PINs, data
 * digests), so code size wins over unrolling.
 */
#include "crypto_internal.h"

#include <string.h>

/* FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube roots of the
 * first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* FIPS 180-4, 5.3.3: the initial hash value, from the square roots of the first 8 primes. */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,

};

/* FIPS 180-4, 6.2.2: one 512-bit block. The message schedule is kept as a 16-word ring. */
static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[16];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t wt;
        if (t < 16) {
            wt = cos__load32(p + 4 * t);
        } else {
            uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
            uint32_t s0 =
                cos__rotr32(w15, 7) ^ cos__rotr32(w15, 18) ^ (w15 >> 3);          /* sigma0 (4.6) */
            uint32_t s1 = cos__rotr32(w2, 17) ^ cos__rotr32(w2, 19) ^ (w2 >> 10); /* sigma1 (4.7) */
            wt = s1 + w[(t - 7) & 15] + s0 + w[t & 15];
        }
        w[t & 15] = wt;
        uint32_t t1 = hh + (cos__rotr32(e, 6) ^ cos__rotr32(e, 11) ^ cos__rotr32(e, 25)) +
                      ((e & f) ^ (~e & g)) + K[t] + wt;
        uint32_t t2 = (cos__rotr32(a, 2) ^ cos__rotr32(a, 13) ^ cos__rotr32(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void cos_sha256_init(cos_sha256_ctx *c)
{
    memcpy(c->h, H0, sizeof H0);
    c->bytes = 0;
    c->fill = 0;
}

void cos_sha256_update(cos_sha256_ctx *c, const void *data, size_t len)
{
    cos__md_update(c, sha256_block, data, len);
}

/* The padding is FIPS 180-4, 5.1.1 / GB/T 32905-2016, 5.2, the same for both hashes
 * (md.c). The context is wiped afterwards. */
void cos_sha256_final(cos_sha256_ctx *c, uint8_t out[32])
{
    cos__md_final(c, sha256_block, out);
}

void cos_sha256(const void *data, size_t len, uint8_t out[32])
{
    cos_sha256_ctx c;
    cos_sha256_init(&c);
    cos_sha256_update(&c, data, len);
    cos_sha256_final(&c, out);
}
