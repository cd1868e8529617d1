/*
 * Known-answer tests for obol's block ciphers: DES and triple DES, AES-128/192/256 and
 * SM4, each vector taken from the standard or validation document cited beside it.
 */
#include <criterion/criterion.h>
#include <obol/cos_crypto.h>
#include <string.h>

#include "testutil.h"

/* Encrypts PT under KEY in ECB (or CBC when IV is non-NULL) out of place, checks CT,
 * then decrypts it back in place. */
static void des_check(const char *what, const char *key, const char *iv, const char *pt,
                      const char *ct)
{
    uint8_t k[24], p[64], c[64], buf[64], ivb[8], ivc[8];
    size_t kl = th_unhex(k, sizeof k, key), n = th_unhex(p, sizeof p, pt);
    cos_des_key ks;
    cr_assert_eq(cos_des_setkey(&ks, k, kl), 0);
    if (iv) {
        th_unhex(ivb, sizeof ivb, iv);
        memcpy(ivc, ivb, 8);
        cos_des_cbc(&ks, 1, ivc, p, c, n);
        th_expect_hex(what, c, n, ct);
        th_expect_hex("CBC IV after encryption is the last block", ivc, 8, ct + strlen(ct) - 16);
        memcpy(ivc, ivb, 8);
        memcpy(buf, c, n);
        cos_des_cbc(&ks, 0, ivc, buf, buf, n);
    } else {
        cos_des_ecb(&ks, 1, p, c, n);
        th_expect_hex(what, c, n, ct);
        memcpy(buf, c, n);
        cos_des_ecb(&ks, 0, buf, buf, n);
    }
    cr_assert(memcmp(buf, p, n) == 0, "%s: decryption does not give the plaintext back", what);
}

/* FIPS 81 (DES modes of operation), appendix B, tables B1 (ECB) and B2 (CBC): key
 * 0123456789abcdef, plaintext "Now is the time for all ", IV 1234567890abcdef. */
Test(des_kat, fips81_ecb_cbc)
{
    const char *pt = "4e6f772069732074 68652074696d6520 666f7220616c6c20";
    des_check("FIPS 81 B1 ECB", "0123456789abcdef", NULL, pt,
              "3fa40e8a984d4815 6a271787ab8883f9 893d51ec4b563b53");
    des_check("FIPS 81 B2 CBC", "0123456789abcdef", "1234567890abcdef", pt,
              "e5c7cdde872bf27c 43e934008c389c0f 683788499a7c05f6");
}

/* NIST SP 800-17, appendix A: table A.1 (variable plaintext, key 01..01) and table A.2
 * (variable key, plaintext 0), first entries; and the same keys as K1=K2=K3 3DES. */
Test(des_kat, sp800_17_variable_text_and_key)
{
    des_check("SP 800-17 A.1 #1", "0101010101010101", NULL, "8000000000000000", "95f8a5e5dd31d900");
    des_check("SP 800-17 A.1 #2", "0101010101010101", NULL, "4000000000000000", "dd7f121ca5015619");
    des_check("SP 800-17 A.2 #1", "8001010101010101", NULL, "0000000000000000", "95a8d72813daa94d");
    des_check("SP 800-17 A.1 #1 as 3DES K1=K2=K3",
              "010101010101010101010101010101010101010101010101", NULL, "8000000000000000",
              "95f8a5e5dd31d900");
}

/* NIST SP 800-67 rev. 1, appendix B, the three-key TDEA example: keys 0123456789abcdef,
 * 23456789abcdef01, 456789abcdef0123, plaintext "The qufck brown fox jump". */
Test(des_kat, sp800_67_three_key)
{
    des_check("SP 800-67 B", "0123456789abcdef 23456789abcdef01 456789abcdef0123", NULL,
              "5468652071756663 6b2062726f776e20 666f78206a756d70",
              "a826fd8ce53b855f cce21c8112256fe6 68d5c05dd9b6b900");
}

/* Two-key 3DES: the GlobalPlatform SCP02 session key derivation (3DES-CBC, zero ICV,
 * over 0182 || counter 0001 || 00*12 under the static key 404142..4F) gives S-ENC
 * 25C9794A1205FF244F5FA0378D2F8D59 (openjavacard-tools SCP02DerivationTest, as listed
 * in shared/PROTOCOLS.md); and the C-MAC key for counter 0007 from omfgp scp02_test. */
Test(des_kat, two_key_scp02_derivation)
{
    des_check("SCP02 S-ENC counter 0001", "404142434445464748494a4b4c4d4e4f", "0000000000000000",
              "0182000100000000 0000000000000000", "25c9794a1205ff24 4f5fa0378d2f8d59");
    des_check("SCP02 C-MAC counter 0007", "404142434445464748494a4b4c4d4e4f", "0000000000000000",
              "0101000700000000 0000000000000000", "7a227d376a9dbe23 ab50b7dcb45b2093");
}

/* The single-block entry points and the one-pass flag for 8-byte keys. */
Test(des_kat, single_block_api)
{
    uint8_t k[8], p[8], c[8];
    cos_des_key ks;
    th_unhex(k, 8, "0123456789abcdef");
    th_unhex(p, 8, "4e6f772069732074");
    cr_assert_eq(cos_des_setkey(&ks, k, 8), 0);
    cr_assert_eq(ks.single, 1);
    cos_des_encrypt(&ks, p, c);
    th_expect_hex("FIPS 81 B1 block 1", c, 8, "3fa40e8a984d4815");
    cos_des_decrypt(&ks, c, c);
    cr_assert(memcmp(c, p, 8) == 0);
}

Test(des_kat, bad_key_lengths)
{
    uint8_t k[32] = {0};
    cos_des_key ks;
    size_t bad[] = {0, 7, 9, 15, 17, 23, 25, 32};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(cos_des_setkey(&ks, k, bad[i]), -1, "keylen %zu accepted", bad[i]);
    cr_assert_eq(cos_des_setkey(&ks, k, 16), 0);
    cr_assert_eq(ks.single, 0);
}

/* As des_check, for AES; ECB also decrypts the first block through cos_aes_decrypt. */
static void aes_check(const char *what, const char *key, const char *iv, const char *pt,
                      const char *ct)
{
    uint8_t k[32], p[64], c[64], buf[64], ivb[16], ivc[16];
    size_t kl = th_unhex(k, sizeof k, key), n = th_unhex(p, sizeof p, pt);
    cos_aes_key ks;
    cr_assert_eq(cos_aes_setkey(&ks, k, kl), 0);
    cr_assert_eq(ks.rounds, (int)(kl / 4 + 6));
    if (iv) {
        th_unhex(ivb, sizeof ivb, iv);
        memcpy(ivc, ivb, 16);
        cos_aes_cbc(&ks, 1, ivc, p, c, n);
        th_expect_hex(what, c, n, ct);
        memcpy(ivc, ivb, 16);
        memcpy(buf, c, n);
        cos_aes_cbc(&ks, 0, ivc, buf, buf, n);
        cr_assert(memcmp(ivc, c + n - 16, 16) == 0, "%s: CBC IV not chained", what);
    } else {
        cos_aes_ecb(&ks, 1, p, c, n);
        th_expect_hex(what, c, n, ct);
        cos_aes_decrypt(&ks, c, buf); /* first block through the single-block path */
        cr_assert(memcmp(buf, p, 16) == 0, "%s: cos_aes_decrypt", what);
        memcpy(buf, c, n);
        cos_aes_ecb(&ks, 0, buf, buf, n);
    }
    cr_assert(memcmp(buf, p, n) == 0, "%s: decryption does not give the plaintext back", what);
}

/* FIPS 197, appendix C.1, C.2, C.3: plaintext 00112233445566778899aabbccddeeff under
 * keys 000102..0f, 000102..17 and 000102..1f. */
Test(aes_kat, fips197_appendix_c)
{
    const char *pt = "00112233445566778899aabbccddeeff";
    aes_check("FIPS 197 C.1 AES-128", "000102030405060708090a0b0c0d0e0f", NULL, pt,
              "69c4e0d86a7b0430d8cdb78070b4c55a");
    aes_check("FIPS 197 C.2 AES-192", "000102030405060708090a0b0c0d0e0f1011121314151617", NULL, pt,
              "dda97ca4864cdfe06eaf70a0ec0d7191");
    aes_check("FIPS 197 C.3 AES-256",
              "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", NULL, pt,
              "8ea2b7ca516745bfeafc49904b496089");
}

/* NIST SP 800-38A, appendix F.2.1 (CBC-AES128.Encrypt) and F.1.1 (ECB-AES128). */
Test(aes_kat, sp800_38a_cbc_ecb)
{
    const char *pt = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
                     "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";
    aes_check("SP 800-38A F.2.1", "2b7e151628aed2a6abf7158809cf4f3c",
              "000102030405060708090a0b0c0d0e0f", pt,
              "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2"
              "73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7");
    aes_check("SP 800-38A F.1.1", "2b7e151628aed2a6abf7158809cf4f3c", NULL, pt,
              "3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf"
              "43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4");
}

Test(aes_kat, bad_key_lengths)
{
    uint8_t k[33] = {0};
    cos_aes_key ks;
    size_t bad[] = {0, 8, 15, 17, 20, 31, 33};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(cos_aes_setkey(&ks, k, bad[i]), -1, "keylen %zu accepted", bad[i]);
}

/* GB/T 32907-2016, appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210. */
Test(sm4_kat, gbt32907_example1)
{
    uint8_t k[16], p[16], c[16];
    cos_sm4_key ks;
    th_unhex(k, 16, "0123456789abcdeffedcba9876543210");
    memcpy(p, k, 16);
    cos_sm4_setkey(&ks, k);
    cos_sm4_encrypt(&ks, p, c);
    th_expect_hex("GB/T 32907 A.1", c, 16, "681edf34d206965e86b3e94f536e4246");
    cos_sm4_decrypt(&ks, c, c);
    cr_assert(memcmp(c, p, 16) == 0);
}

/* GB/T 32907-2016, appendix A, example 2: the same plaintext encrypted 1,000,000 times
 * under the same key. */
Test(sm4_kat, gbt32907_example2_million)
{
    uint8_t k[16], x[16];
    cos_sm4_key ks;
    th_unhex(k, 16, "0123456789abcdeffedcba9876543210");
    memcpy(x, k, 16);
    cos_sm4_setkey(&ks, k);
    for (int i = 0; i < 1000000; i++)
        cos_sm4_encrypt(&ks, x, x);
    th_expect_hex("GB/T 32907 A.2", x, 16, "595298c7c6fd271f0402f804c33d3f66");
    for (int i = 0; i < 1000000; i++)
        cos_sm4_decrypt(&ks, x, x);
    th_expect_hex("GB/T 32907 A.2 reversed", x, 16, "0123456789abcdeffedcba9876543210");
}

/* ECB and CBC over several blocks, in place: the modes only chain the tested block
 * function, so round trips and the CBC definition (C1 = E(P1 ^ IV)) are checked here and
 * the values against OpenSSL in the differential tests. */
Test(sm4_kat, modes_round_trip)
{
    uint8_t k[16], p[48], c[48], iv[16], iv0[16], blk[16];
    cos_sm4_key ks;
    th_unhex(k, 16, "0123456789abcdeffedcba9876543210");
    for (int i = 0; i < 48; i++)
        p[i] = (uint8_t)(i * 7 + 1);
    memset(iv0, 0xa5, 16);
    cos_sm4_setkey(&ks, k);
    memcpy(iv, iv0, 16);
    cos_sm4_cbc(&ks, 1, iv, p, c, 48);
    for (int i = 0; i < 16; i++)
        blk[i] = p[i] ^ iv0[i];
    cos_sm4_encrypt(&ks, blk, blk);
    cr_assert(memcmp(blk, c, 16) == 0, "CBC first block");
    cr_assert(memcmp(iv, c + 32, 16) == 0, "CBC IV chained");
    memcpy(iv, iv0, 16);
    cos_sm4_cbc(&ks, 0, iv, c, c, 48);
    cr_assert(memcmp(c, p, 48) == 0, "CBC in-place round trip");
    cos_sm4_ecb(&ks, 1, p, c, 48);
    cos_sm4_ecb(&ks, 0, c, c, 48);
    cr_assert(memcmp(c, p, 48) == 0, "ECB in-place round trip");
}
