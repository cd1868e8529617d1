/*
 * Known-answer tests for SHA-256 (FIPS 180-4, NIST example values) and SM3 (GB/T
 * 32905-2016 appendix A), one-shot and fed in pieces.
 */
#include <criterion/criterion.h>
#include <obol/cos_crypto.h>
#include <string.h>

#include "testutil.h"

static const char MSG448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

/* NIST "Examples with intermediate values" for FIPS 180-4 (SHA256.pdf): "abc" (one
 * block) and the 448-bit two-block message. */
Test(sha256_kat, nist_examples)
{
    uint8_t d[32];
    cos_sha256("abc", 3, d);
    th_expect_hex("SHA-256 abc", d, 32,
                  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cos_sha256(MSG448, strlen(MSG448), d);
    th_expect_hex("SHA-256 448-bit", d, 32,
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    cos_sha256("", 0, d);
    th_expect_hex("SHA-256 empty", d, 32,
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* FIPS 180-2 appendix B.3: one million repetitions of 'a', fed in uneven pieces. */
Test(sha256_kat, million_a)
{
    uint8_t chunk[997], d[32];
    cos_sha256_ctx c;
    memset(chunk, 'a', sizeof chunk);
    cos_sha256_init(&c);
    size_t left = 1000000;
    while (left) {
        size_t n = left < sizeof chunk ? left : sizeof chunk;
        cos_sha256_update(&c, chunk, n);
        left -= n;
    }
    cos_sha256_final(&c, d);
    th_expect_hex("SHA-256 million a", d, 32,
                  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every split of the 448-bit message into two updates gives the same digest: this walks
 * the buffering across the 56- and 64-byte boundaries of the padding. */
Test(sha256_kat, split_updates)
{
    uint8_t d[32];
    size_t n = strlen(MSG448);
    for (size_t cut = 0; cut <= n; cut++) {
        cos_sha256_ctx c;
        cos_sha256_init(&c);
        cos_sha256_update(&c, MSG448, cut);
        cos_sha256_update(&c, MSG448 + cut, 0);
        cos_sha256_update(&c, MSG448 + cut, n - cut);
        cos_sha256_final(&c, d);
        th_expect_hex("SHA-256 448-bit split", d, 32,
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }
}

/* GB/T 32905-2016, appendix A: example 1 "abc" and example 2, "abcd" repeated 16 times. */
Test(sm3_kat, gbt32905_examples)
{
    uint8_t d[32];
    char m64[65];
    for (int i = 0; i < 16; i++)
        memcpy(m64 + 4 * i, "abcd", 4);
    m64[64] = 0;
    cos_sm3("abc", 3, d);
    th_expect_hex("SM3 A.1 abc", d, 32,
                  "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    cos_sm3(m64, 64, d);
    th_expect_hex("SM3 A.2 64 bytes", d, 32,
                  "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
    for (size_t cut = 0; cut <= 64; cut += 7) {
        cos_sm3_ctx c;
        cos_sm3_init(&c);
        cos_sm3_update(&c, m64, cut);
        cos_sm3_update(&c, m64 + cut, 64 - cut);
        cos_sm3_final(&c, d);
        th_expect_hex("SM3 A.2 split", d, 32,
                      "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
    }
}
