/*
 * Helpers shared by obol's crypto tests: hex decoding for vectors written as they
 * appear in the standards, a hex-diff assertion, and a seeded PRNG so every random
 * test is reproducible.
 */
#ifndef OBOL_TESTS_CRYPTO_TESTUTIL_H
#define OBOL_TESTS_CRYPTO_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Decodes HEX (spaces ignored) into OUT, at most CAP bytes; returns the byte count, or
 * aborts the test on a malformed string or overflow. */
size_t th_unhex(uint8_t *out, size_t cap, const char *hex);

/* Writes LEN bytes as lowercase hex into BUF (at least 2 * LEN + 1 bytes). */
char *th_hex(char *buf, const uint8_t *p, size_t len);

/* Asserts that the LEN bytes at GOT equal the hex string WANT; WHAT names the check. */
void th_expect_hex(const char *what, const uint8_t *got, size_t len, const char *want);

/* SplitMix64: a small, seeded, portable generator (not for keys, only for test data). */
typedef struct th_rng {
    uint64_t s;
} th_rng;

void th_rng_seed(th_rng *r, uint64_t seed);
uint64_t th_rng_next(th_rng *r);
void th_rng_bytes(th_rng *r, uint8_t *out, size_t len);
/* Uniform-enough integer in [0, n) for test sizes. */
size_t th_rng_below(th_rng *r, size_t n);

#endif
