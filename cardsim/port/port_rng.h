/*
 * obol card OS ports: the card's random number generator, shared by every port so
 * that one seed gives the same card challenges on the host and on the Cortex-M image
 * (the byte-identical script test of tests/hw depends on it). xoshiro256**
 * (Blackman and Vigna, 2018), seeded through SplitMix64 as its authors recommend.
 * Freestanding; the caller owns the four state words.
 */
#ifndef OBOL_PORT_RNG_H
#define OBOL_PORT_RNG_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t port_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* Expands SEED into the state S. */
static inline void port_rng_seed(uint64_t s[4], uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        s[i] = z ^ (z >> 31);
    }
}

static inline uint64_t port_rng_next(uint64_t s[4])
{
    uint64_t r = port_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = port_rng_rotl(s[3], 45);
    return r;
}

/* Fills BUF with LEN bytes, each 64-bit draw least significant byte first. */
static inline void port_rng_fill(uint64_t s[4], uint8_t *buf, size_t len)
{
    while (len) {
        uint64_t v = port_rng_next(s);
        for (int i = 0; i < 8 && len; i++, len--) {
            *buf++ = (uint8_t)v;
            v >>= 8;
        }
    }
}

#endif /* OBOL_PORT_RNG_H */
