/*
 * Known-answer tests for the MACs and key helpers: AES-CMAC (RFC 4493), the
 * GlobalPlatform SCP03 derivations built on it, ISO/IEC 9797-1 MAC algorithms 1 and 3,
 * the PBOC purse session keys, MACs and TACs, PBOC key dispersion and key check values.
 * The PBOC and GlobalPlatform vectors are those of shared/PROTOCOLS.md.
 */
#include <criterion/criterion.h>
#include <obol/cos_crypto.h>
#include <string.h>

#include "testutil.h"

static void cmac_check(const char *what, const char *key, const char *msg, const char *tag)
{
    uint8_t k[32], m[128], t[16];
    size_t kl = th_unhex(k, sizeof k, key), n = th_unhex(m, sizeof m, msg);
    cr_assert_eq(cos_aes_cmac(k, kl, n ? m : NULL, n, t), 0);
    th_expect_hex(what, t, 16, tag);
}

/* RFC 4493, section 4, examples 1-4 (the same as NIST SP 800-38B, appendix D.1). */
Test(cmac_kat, rfc4493_examples)
{
    const char *k = "2b7e151628aed2a6abf7158809cf4f3c";
    cmac_check("RFC 4493 example 1 (empty)", k, "", "bb1d6929e95937287fa37d129b756746");
    cmac_check("RFC 4493 example 2 (16 bytes)", k, "6bc1bee22e409f96e93d7e117393172a",
               "070a16b46b4d4144f79bdd9dd04a287c");
    cmac_check("RFC 4493 example 3 (40 bytes)", k,
               "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
               "30c81c46a35ce411",
               "dfa66747de9ae63030ca32611497c827");
    cmac_check("RFC 4493 example 4 (64 bytes)", k,
               "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
               "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710",
               "51f0bebf7e3b9d92fc49741779363cfe");
}

/* NIST SP 800-38B, appendix D.2 and D.3 (AES-192 and AES-256), example 2 (16 bytes). */
Test(cmac_kat, sp800_38b_192_256)
{
    cmac_check("SP 800-38B D.2 example 2", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
               "6bc1bee22e409f96e93d7e117393172a", "9e99a7bf31e710900662f65e617c5184");
    cmac_check("SP 800-38B D.3 example 2",
               "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
               "6bc1bee22e409f96e93d7e117393172a", "28a7023f452e8f82bd4bf28d8c37c35c");
}

/* GlobalPlatform SCP03 session keys and cryptograms (SP 800-108 counter-mode KDF with
 * AES-CMAC): the omfgp scp03_test vector from shared/PROTOCOLS.md. Derivation data is
 * 11 x 00 || constant || 00 || L (bits, 2 bytes) || counter 01 || host || card challenge. */
Test(cmac_kat, gp_scp03_derivation)
{
    uint8_t k[16], dd[32], smac[16], t[16];
    th_unhex(k, 16, "404142434445464748494a4b4c4d4e4f");
    th_unhex(dd, 32, "0000000000000000000000 04 00 0080 01 68e9c8799ff8cb46f8d89d88ba1287bf");
    cr_assert_eq(cos_aes_cmac(k, 16, dd, 32, t), 0);
    th_expect_hex("SCP03 S-ENC", t, 16, "3c64070c595d1d72bdee692da99b7ae4");
    dd[11] = 0x06;
    cr_assert_eq(cos_aes_cmac(k, 16, dd, 32, smac), 0);
    th_expect_hex("SCP03 S-MAC", smac, 16, "6e8468b74a707842e3d3696f338d2657");
    dd[11] = 0x07;
    cr_assert_eq(cos_aes_cmac(k, 16, dd, 32, t), 0);
    th_expect_hex("SCP03 S-RMAC", t, 16, "fdd1d7c84750994815d0082734c31d88");
    /* Cryptograms: L = 0040, constant 00 (card) and 01 (host), under S-MAC. */
    dd[11] = 0x00;
    dd[13] = 0x00;
    dd[14] = 0x40;
    cr_assert_eq(cos_aes_cmac(smac, 16, dd, 32, t), 0);
    th_expect_hex("SCP03 card cryptogram", t, 8, "9b5c9d42d5059430");
    dd[11] = 0x01;
    cr_assert_eq(cos_aes_cmac(smac, 16, dd, 32, t), 0);
    th_expect_hex("SCP03 host cryptogram", t, 8, "f3c7624565b5894f");
}

Test(cmac_kat, bad_key_length)
{
    uint8_t k[32] = {0}, t[16];
    cr_assert_eq(cos_aes_cmac(k, 20, k, 1, t), -1);
}

/* PBOC test keys from shared/PROTOCOLS.md ("Reference vectors"): DPK = DLK = DTK. */
static const char PBOC_KEY[] = "11223344556677888877665544332211";

/* A session key: two-key 3DES of the 8-byte input under a 16-byte purse key. */
static void pboc_session(const char *input, uint8_t out[8])
{
    uint8_t k[16], in[8];
    cos_des_key ks;
    th_unhex(k, 16, PBOC_KEY);
    th_unhex(in, 8, input);
    cr_assert_eq(cos_des_setkey(&ks, k, 16), 0);
    cos_des_ecb(&ks, 1, in, out, 8);
}

/* MAC algorithm 1 under an 8-byte key, zero ICV, leftmost 4 bytes kept (JR/T 0025). */
static void pboc_mac(const char *what, const uint8_t key[8], const char *data, const char *mac)
{
    uint8_t d[64], m[8];
    size_t n = th_unhex(d, sizeof d, data);
    cr_assert_eq(cos_mac_alg1(key, 8, NULL, d, n, m), 0);
    th_expect_hex(what, m, 4, mac);
}

Test(pboc_kat, purchase_session_key_and_macs)
{
    uint8_t sespk[8];
    pboc_session("1122334400010010", sespk); /* random || offline counter || TTN[2..3] */
    th_expect_hex("SESPK", sespk, 8, "ac847c301e81c45d");
    pboc_mac("purchase MAC1 (06)", sespk, "000000640611223344556620261122083000", "d4328229");
    pboc_mac("purchase MAC1 (09)", sespk, "000000640911223344556620261122083000", "285d2b9a");
    pboc_mac("purchase MAC2", sespk, "00000064", "072b5966");
}

Test(pboc_kat, purchase_tac)
{
    uint8_t k[16], tk[8];
    th_unhex(k, 16, PBOC_KEY);
    for (int i = 0; i < 8; i++)
        tk[i] = k[i] ^ k[8 + i]; /* TAC key: DTK left XOR DTK right */
    th_expect_hex("TAC key", tk, 8, "9955551111555599");
    pboc_mac("purchase TAC (06)", tk, "00000064061122334455660000001020261122083000", "be5a9e80");
    pboc_mac("purchase TAC (09)", tk, "00000064091122334455660000001020261122083000", "0ed7ede7");
    pboc_mac("load TAC", tk, "0000044c0000000000640211223344556620261122083000", "fc583600");
}

/* Load: SESLK from random || online counter || 8000 (also csdn slj_win 42240855). */
Test(pboc_kat, load_session_key_and_macs)
{
    uint8_t seslk[8];
    pboc_session("1122334400008000", seslk);
    th_expect_hex("SESLK", seslk, 8, "9b1d924e05595603");
    pboc_mac("load MAC1", seslk, "000003e80000006402112233445566", "8fb1bf26");
    pboc_mac("load MAC2", seslk, "000000640211223344556620261122083000", "a58e3ed2");
}

/* PBOC key dispersion: MK 0123456789ABCDEFFEDCBA9876543210, factor 1234567890ABCDEF. */
Test(pboc_kat, dispersion)
{
    uint8_t mk[16], f[8], out[16];
    th_unhex(mk, 16, "0123456789abcdeffedcba9876543210");
    th_unhex(f, 8, "1234567890abcdef");
    cos_pboc_disperse(mk, f, out);
    th_expect_hex("dispersion", out, 16, "479ef7c1ecfe64ac 9bb75999a2e5cd53");
}

/* GlobalPlatform key check values (pysim test_globalplatform.py; GlobalPlatformPro):
 * DES 3DES(key, 00 x 8)[:3], AES AES(key, 01 x 16)[:3]. */
Test(gp_kat, key_check_values)
{
    uint8_t k[16], kcv[3];
    th_unhex(k, 16, "404142434445464748494a4b4c4d4e4f");
    cr_assert_eq(cos_des_kcv(k, 16, kcv), 0);
    th_expect_hex("DES KCV", kcv, 3, "8baf47");
    th_unhex(k, 16, "000102030405060708090a0b0c0d0e0f");
    cr_assert_eq(cos_aes_kcv(k, 16, kcv), 0);
    th_expect_hex("AES KCV", kcv, 3, "c35280");
    cr_assert_eq(cos_des_kcv(k, 12, kcv), -1);
    cr_assert_eq(cos_aes_kcv(k, 12, kcv), -1);
}

/* MAC algorithm 1 with padding method 2 against its definition (ISO/IEC 9797-1, 6.1.2
 * and 7.2): the MAC of D equals the last block of CBC over D || 80 00.., for every
 * length across two block boundaries, with and without an ICV, for 8/16/24-byte keys. */
Test(mac_kat, alg1_is_cbc_of_padded_data)
{
    uint8_t key[24], icv[8], d[24], padded[32], cbc[32], iv[8], m[8];
    for (int i = 0; i < 24; i++)
        key[i] = (uint8_t)(0x31 * i + 5), d[i] = (uint8_t)(i * 13);
    memset(icv, 0x5a, 8);
    size_t keylens[] = {8, 16, 24};
    for (size_t kl = 0; kl < 3; kl++) {
        cos_des_key ks;
        cr_assert_eq(cos_des_setkey(&ks, key, keylens[kl]), 0);
        for (size_t len = 0; len <= 17; len++) {
            for (int use_icv = 0; use_icv < 2; use_icv++) {
                size_t plen = (len / 8 + 1) * 8;
                memset(padded, 0, sizeof padded);
                memcpy(padded, d, len);
                padded[len] = 0x80;
                memcpy(iv, icv, 8);
                if (!use_icv)
                    memset(iv, 0, 8);
                cos_des_cbc(&ks, 1, iv, padded, cbc, plen);
                cr_assert_eq(cos_mac_alg1(key, keylens[kl], use_icv ? icv : NULL, d, len, m), 0);
                cr_assert(memcmp(m, cbc + plen - 8, 8) == 0, "keylen %zu len %zu icv %d",
                          keylens[kl], len, use_icv);
            }
        }
    }
    cr_assert_eq(cos_mac_alg1(key, 12, NULL, d, 8, m), -1);
    cr_assert_eq(cos_mac_alg1(key, 8, NULL, NULL, 0, m), 0); /* empty data: one pad block */
}

/* MAC algorithm 3 (retail MAC), key 0123456789ABCDEF FEDCBA9876543210, padding method 2,
 * zero ICV. No standard vector at hand for this key/padding pair: the values were
 * computed independently from the definition with pyca/cryptography (single DES as
 * TripleDES K||K||K) and pin the implementation; the differential test against OpenSSL
 * covers random inputs. */
Test(mac_kat, alg3_retail_mac)
{
    uint8_t k[16], m[8];
    th_unhex(k, 16, "0123456789abcdeffedcba9876543210");
    cr_assert_eq(cos_mac_alg3(k, NULL, (const uint8_t *)"Now is the time for all ", 24, m), 0);
    th_expect_hex("retail MAC, 24 bytes", m, 8, "e9086230ca3be796");
    cr_assert_eq(cos_mac_alg3(k, NULL, (const uint8_t *)"Now is the time for it", 22, m), 0);
    th_expect_hex("retail MAC, 22 bytes", m, 8, "5a692ce64f404145");
}
