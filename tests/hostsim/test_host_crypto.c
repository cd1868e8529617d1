/*
 * obol tests: hostsim's cryptographic helpers and the PBOC purse computations.
 *
 * Every vector of the PBOC reference table in PROTOCOLS.md, the key check values,
 * published block cipher and CMAC vectors, cross-checks of the MACs against the
 * independent reference in host_ref.c, the prepared TAC key, and the error paths.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "obol/host_crypto.h"
#include "host_ref.h"

#define HEX(buf, str) ref_hex((str), (buf), sizeof(buf))

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[64];
    size_t n = HEX(w, want);

    cr_assert_eq(n, len, "length %zu, expected %zu", len, n);
    cr_assert_arr_eq(got, w, n, "bytes differ from %s", want);
}

/* ---- Errors ------------------------------------------------------------------------ */

Test(host_error, strerror_names_every_code)
{
    static const int codes[] = {
        HOST_ERR_ARG,        HOST_ERR_NOSPACE, HOST_ERR_NOMEM,      HOST_ERR_CRYPTO, HOST_ERR_MAC,
        HOST_ERR_CRYPTOGRAM, HOST_ERR_RMAC,    HOST_ERR_CHALLENGE,  HOST_ERR_STATE,  HOST_ERR_PROTO,
        HOST_ERR_SW,         HOST_ERR_PADDING, HOST_ERR_UNSUPPORTED};
    size_t i;

    cr_assert_str_eq(host_strerror(0), "success");
    cr_assert_str_eq(host_strerror(-999), "unknown error");
    cr_assert_null(host_err_name(-999));
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        cr_assert_lt(codes[i], 0);
        cr_assert_str_neq(host_strerror(codes[i]), "unknown error");
        cr_assert_not_null(host_err_name(codes[i]));
    }
    cr_assert_str_eq(host_err_name(HOST_ERR_MAC), "MAC");
}

/* ---- Block ciphers and MACs -------------------------------------------------------- */

Test(host_crypto, des_and_aes_known_answers)
{
    uint8_t k[32], in[32], out[32];

    /* The classic DES worked example (key 133457799BBCDFF1). */
    HEX(k, "133457799BBCDFF1");
    HEX(in, "0123456789ABCDEF");
    cr_assert_eq(host_des_ecb(k, 8, 1, in, out, 8), 0);
    assert_hex(out, 8, "85E813540F0AB405");
    cr_assert_eq(host_des_ecb(k, 8, 0, out, out, 8), 0);
    assert_hex(out, 8, "0123456789ABCDEF");
    /* FIPS 197 appendix C.1. */
    HEX(k, "000102030405060708090A0B0C0D0E0F");
    HEX(in, "00112233445566778899AABBCCDDEEFF");
    cr_assert_eq(host_aes_ecb(k, 16, 1, in, out, 16), 0);
    assert_hex(out, 16, "69C4E0D86A7B0430D8CDB78070B4C55A");
}

Test(host_crypto, cbc_matches_reference_both_ways)
{
    uint8_t k[32], iv[16], in[48], a[48], b[48];
    size_t i;

    for (i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 7 + 3);
    HEX(k, "404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F");
    HEX(iv, "0F0E0D0C0B0A09080706050403020100");
    cr_assert_eq(host_des_cbc(k, 16, 1, iv, in, a, 48), 0);
    ref_des_cbc(k, 1, iv, in, b, 48);
    cr_assert_arr_eq(a, b, 48);
    cr_assert_eq(host_des_cbc(k, 16, 0, iv, a, a, 48), 0);
    cr_assert_arr_eq(a, in, 48);
    for (i = 16; i <= 32; i += 8) {
        cr_assert_eq(host_aes_cbc(k, i, 1, NULL, in, a, 48), 0);
        ref_aes_cbc(k, i, 1, NULL, in, b, 48);
        cr_assert_arr_eq(a, b, 48, "AES-%zu", i * 8);
        cr_assert_eq(host_aes_cbc(k, i, 0, NULL, a, a, 48), 0);
        cr_assert_arr_eq(a, in, 48);
    }
}

Test(host_crypto, macs_match_reference_for_every_length)
{
    uint8_t k[24], msg[40], a[16], b[16];
    size_t len;

    HEX(k, "0123456789ABCDEFFEDCBA9876543210");
    for (len = 0; len < sizeof msg; len++)
        msg[len] = (uint8_t)(0xA5 ^ len);
    for (len = 0; len <= sizeof msg; len++) {
        cr_assert_eq(host_mac_alg1(k, 8, NULL, msg, len, a), 0);
        ref_mac1(k, 8, NULL, msg, len, b);
        cr_assert_arr_eq(a, b, 8, "alg1 single DES, len %zu", len);
        cr_assert_eq(host_mac_alg1(k, 16, msg, msg, len, a), 0);
        ref_mac1(k, 16, msg, msg, len, b);
        cr_assert_arr_eq(a, b, 8, "alg1 3DES with ICV, len %zu", len);
        cr_assert_eq(host_mac_alg3(k, msg + 1, msg, len, a), 0);
        ref_mac3(k, msg + 1, msg, len, b);
        cr_assert_arr_eq(a, b, 8, "retail MAC, len %zu", len);
        cr_assert_eq(host_aes_cmac(k, 16, msg, len, a), 0);
        ref_cmac(k, 16, msg, len, b);
        cr_assert_arr_eq(a, b, 16, "CMAC, len %zu", len);
    }
}

Test(host_crypto, aes_cmac_rfc4493)
{
    uint8_t k[16], m[64], mac[16];

    HEX(k, "2B7E151628AED2A6ABF7158809CF4F3C");
    cr_assert_eq(host_aes_cmac(k, 16, NULL, 0, mac), 0);
    assert_hex(mac, 16, "BB1D6929E95937287FA37D129B756746");
    HEX(m, "6BC1BEE22E409F96E93D7E117393172A");
    cr_assert_eq(host_aes_cmac(k, 16, m, 16, mac), 0);
    assert_hex(mac, 16, "070A16B46B4D4144F79BDD9DD04A287C");
    HEX(m, "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411");
    cr_assert_eq(host_aes_cmac(k, 16, m, 40, mac), 0);
    assert_hex(mac, 16, "DFA66747DE9AE63030CA32611497C827");
}

Test(host_crypto, key_check_values)
{
    uint8_t k[16], kcv[3];

    /* PROTOCOLS.md KCV vectors (pySim, GlobalPlatformPro). */
    HEX(k, "000102030405060708090A0B0C0D0E0F");
    cr_assert_eq(host_kcv_aes(k, 16, kcv), 0);
    assert_hex(kcv, 3, "C35280");
    HEX(k, "404142434445464748494A4B4C4D4E4F");
    cr_assert_eq(host_kcv_des(k, 16, kcv), 0);
    assert_hex(kcv, 3, "8BAF47");
}

Test(host_crypto, bad_lengths_are_rejected)
{
    uint8_t k[32] = {0}, buf[32] = {0}, mac[16];

    cr_assert_eq(host_des_ecb(k, 12, 1, buf, buf, 8), HOST_ERR_ARG);
    cr_assert_eq(host_des_ecb(k, 16, 1, buf, buf, 7), HOST_ERR_ARG);
    cr_assert_eq(host_des_cbc(k, 0, 1, NULL, buf, buf, 8), HOST_ERR_ARG);
    cr_assert_eq(host_aes_ecb(k, 20, 1, buf, buf, 16), HOST_ERR_ARG);
    cr_assert_eq(host_aes_cbc(k, 16, 1, NULL, buf, buf, 15), HOST_ERR_ARG);
    cr_assert_eq(host_aes_cmac(k, 8, buf, 4, mac), HOST_ERR_ARG);
    cr_assert_eq(host_mac_alg1(k, 32, NULL, buf, 4, mac), HOST_ERR_ARG);
    cr_assert_eq(host_mac_alg1(k, 8, NULL, NULL, 4, mac), HOST_ERR_ARG);
    cr_assert_eq(host_kcv_aes(k, 15, mac), HOST_ERR_ARG);
    cr_assert_eq(host_verify_equal(buf, buf + 1, 4), 0);
    buf[1] = 1;
    cr_assert_eq(host_verify_equal(buf, buf + 8, 4), HOST_ERR_MAC);
    cr_assert_eq(host_des_ecb(k, 16, 1, buf, buf, 0), 0); /* empty is fine */
}

/* ---- PBOC reference table (PROTOCOLS.md) ------------------------------------------- */

static const char *const KEY = "11223344556677888877665544332211"; /* DPK = DLK = DTK */

static host_pboc_purchase purchase(uint8_t type)
{
    host_pboc_purchase p;

    memset(&p, 0, sizeof p);
    p.amount = 0x64;
    p.type = type;
    HEX(p.terminal_id, "112233445566");
    p.ttn = 0x10;
    HEX(p.date, "20261122");
    HEX(p.time, "083000");
    return p;
}

static host_pboc_load load(void)
{
    host_pboc_load l;

    memset(&l, 0, sizeof l);
    l.old_balance = 0x3E8;
    l.amount = 0x64;
    l.online_counter = 0;
    l.type = HOST_PBOC_EP_LOAD;
    HEX(l.terminal_id, "112233445566");
    HEX(l.date, "20261122");
    HEX(l.time, "083000");
    return l;
}

Test(host_pboc, purchase_session_key_mac1_mac2)
{
    uint8_t k[16], rnd[4], sespk[8], mac[4];
    host_pboc_purchase p06 = purchase(HOST_PBOC_EP_PURCHASE), p09 = purchase(0x09);

    HEX(k, KEY);
    HEX(rnd, "11223344");
    cr_assert_eq(host_pboc_sespk(k, rnd, 0x0001, 0x00000010, sespk), 0);
    assert_hex(sespk, 8, "AC847C301E81C45D");
    cr_assert_eq(host_pboc_purchase_mac1(sespk, &p06, mac), 0);
    assert_hex(mac, 4, "D4328229");
    cr_assert_eq(host_pboc_purchase_mac1_verify(sespk, &p06, mac), 0);
    cr_assert_eq(host_pboc_purchase_mac1(sespk, &p09, mac), 0);
    assert_hex(mac, 4, "285D2B9A");
    cr_assert_eq(host_pboc_purchase_mac2(sespk, 0x64, mac), 0);
    assert_hex(mac, 4, "072B5966");
    cr_assert_eq(host_pboc_purchase_mac2_verify(sespk, 0x64, mac), 0);
    mac[3] ^= 1;
    cr_assert_eq(host_pboc_purchase_mac2_verify(sespk, 0x64, mac), HOST_ERR_MAC);
}

Test(host_pboc, purchase_tac_06_and_09)
{
    uint8_t dtk[16], tk[8], tac[4];
    host_pboc_purchase p06 = purchase(HOST_PBOC_EP_PURCHASE), p09 = purchase(0x09);

    HEX(dtk, KEY);
    cr_assert_eq(host_pboc_tac_key(dtk, tk), 0);
    assert_hex(tk, 8, "9955551111555599");
    cr_assert_eq(host_pboc_purchase_tac(dtk, &p06, tac), 0);
    assert_hex(tac, 4, "BE5A9E80");
    cr_assert_eq(host_pboc_purchase_tac_verify(dtk, &p06, tac), 0);
    cr_assert_eq(host_pboc_purchase_tac(dtk, &p09, tac), 0);
    assert_hex(tac, 4, "0ED7EDE7");
    cr_assert_eq(host_pboc_purchase_tac_verify(dtk, &p09, tac), 0);
    /* The same TAC under another type, amount or number must fail. */
    cr_assert_eq(host_pboc_purchase_tac_verify(dtk, &p06, tac), HOST_ERR_MAC);
    p09.ttn++;
    cr_assert_eq(host_pboc_purchase_tac_verify(dtk, &p09, tac), HOST_ERR_MAC);
}

Test(host_pboc, load_session_key_macs_and_tac)
{
    uint8_t k[16], rnd[4], seslk[8], mac[4];
    host_pboc_load l = load();

    HEX(k, KEY);
    HEX(rnd, "11223344");
    cr_assert_eq(host_pboc_seslk(k, rnd, 0x0000, seslk), 0);
    assert_hex(seslk, 8, "9B1D924E05595603");
    cr_assert_eq(host_pboc_load_mac1(seslk, &l, mac), 0);
    assert_hex(mac, 4, "8FB1BF26");
    cr_assert_eq(host_pboc_load_mac1_verify(seslk, &l, mac), 0);
    cr_assert_eq(host_pboc_load_mac2(seslk, &l, mac), 0);
    assert_hex(mac, 4, "A58E3ED2");
    cr_assert_eq(host_pboc_load_tac(k, &l, mac), 0); /* new balance 0000044C */
    assert_hex(mac, 4, "FC583600");
    cr_assert_eq(host_pboc_load_tac_verify(k, &l, mac), 0);
    l.old_balance++;
    cr_assert_eq(host_pboc_load_tac_verify(k, &l, mac), HOST_ERR_MAC);
    l.old_balance = 0xFFFFFFF0u;
    cr_assert_eq(host_pboc_load_tac(k, &l, mac), HOST_ERR_ARG, "balance overflow");
}

Test(host_pboc, published_examples)
{
    uint8_t k[16], in[8], out[8], mac[4];

    /* cnblogs ttss 4280430: SESPK 003238ABC57659DD from 1122334400000001
     * (PROTOCOLS.md); the published example uses the same test DPK. */
    HEX(k, KEY);
    HEX(in, "1122334400000001");
    cr_assert_eq(host_des_ecb(k, 16, 1, in, out, 8), 0);
    assert_hex(out, 8, "003238ABC57659DD");
    /* A random, counter 0000, ttn 0001 spelled through host_pboc_sespk. */
    HEX(in, "11223344");
    cr_assert_eq(host_pboc_sespk(k, in, 0x0000, 0x12340001, out), 0);
    assert_hex(out, 8, "003238ABC57659DD");
    /* An empty message is one padding block: MAC = DES(K, 80 00 .. 00). */
    cr_assert_eq(host_pboc_mac(out, NULL, 0, mac), 0);
    HEX(in, "8000000000000000");
    ref_des_block(out, 8, 1, in, in);
    cr_assert_arr_eq(mac, in, 4);
}

Test(host_pboc, dispersion_one_level)
{
    uint8_t mk[16], f[8], out[16];

    HEX(mk, "0123456789ABCDEFFEDCBA9876543210");
    HEX(f, "1234567890ABCDEF");
    cr_assert_eq(host_pboc_diversify(mk, f, out), 0);
    assert_hex(out, 16, "479EF7C1ECFE64AC9BB75999A2E5CD53");
    cr_assert_eq(host_pboc_diversify(mk, f, mk), 0, "output may alias the master key");
    assert_hex(mk, 16, "479EF7C1ECFE64AC9BB75999A2E5CD53");
}

Test(host_pboc, dispersion_two_levels)
{
    uint8_t mk[16], issuer[8], serial[8], k1[16], nf[8], want[16], out[16];
    int i;

    /* Pinned choice: issuer/city code first, then the card serial (PROTOCOLS.md). The
     * expected value is computed here from the formula, block by block. */
    HEX(mk, "0123456789ABCDEFFEDCBA9876543210");
    HEX(issuer, "4000000000000001");
    HEX(serial, "0000000012345678");
    ref_des_block(mk, 16, 1, issuer, k1);
    for (i = 0; i < 8; i++)
        nf[i] = (uint8_t)~issuer[i];
    ref_des_block(mk, 16, 1, nf, k1 + 8);
    ref_des_block(k1, 16, 1, serial, want);
    for (i = 0; i < 8; i++)
        nf[i] = (uint8_t)~serial[i];
    ref_des_block(k1, 16, 1, nf, want + 8);
    cr_assert_eq(host_pboc_diversify2(mk, issuer, serial, out), 0);
    cr_assert_arr_eq(out, want, 16);
    assert_hex(out, 16, "2A4D85E816031F557792F26F01125DCA");
    /* The other order gives another key: the order matters and is pinned. */
    cr_assert_eq(host_pboc_diversify2(mk, serial, issuer, out), 0);
    cr_assert_arr_neq(out, want, 16);
}

Test(host_pboc, prepared_key_matches_and_rekeys)
{
    uint8_t dtk[16], tk[8], tac[4], other[8], data[40], a[4], b[4];
    host_pboc_key k = {0};
    host_pboc_purchase p = purchase(HOST_PBOC_EP_PURCHASE);
    size_t len;

    HEX(dtk, KEY);
    HEX(tac, "BE5A9E80");
    cr_assert_eq(host_pboc_key_init_tac(&k, dtk), 0);
    cr_assert_eq(host_pboc_key_purchase_tac_verify(&k, &p, tac), 0);
    tac[0] ^= 0x80;
    cr_assert_eq(host_pboc_key_purchase_tac_verify(&k, &p, tac), HOST_ERR_MAC);
    tac[0] ^= 0x80;
    /* Every message length against the one-shot path. */
    HEX(other, "0123456789ABCDEF");
    cr_assert_eq(host_pboc_key_set(&k, other), 0);
    for (len = 0; len < sizeof data; len++)
        data[len] = (uint8_t)(len * 13);
    for (len = 0; len <= sizeof data; len++) {
        cr_assert_eq(host_pboc_key_mac(&k, data, len, a), 0);
        cr_assert_eq(host_pboc_mac(other, data, len, b), 0);
        cr_assert_arr_eq(a, b, 4, "len %zu", len);
    }
    /* Re-keyed back to the TAC key, the vector verifies again. */
    cr_assert_eq(host_pboc_tac_key(dtk, tk), 0);
    cr_assert_eq(host_pboc_key_set(&k, tk), 0);
    cr_assert_eq(host_pboc_key_purchase_tac_verify(&k, &p, tac), 0);
    host_pboc_key_free(&k);
    cr_assert_null(k.ctx);
    host_pboc_key_free(&k); /* twice is harmless */
    cr_assert_eq(host_pboc_key_mac(&k, data, 4, a), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_key_set(&k, tk), HOST_ERR_ARG);
}

Test(host_pboc, prepared_key_single_des_from_own_library_context)
{
    uint8_t dtk[16], tk[8], tac[4], other[8], data[40], a[4], b[4];
    host_crypto_lib *lib = NULL;
    host_pboc_key k = {0};
    host_pboc_purchase p = purchase(HOST_PBOC_CAPP_PURCHASE);
    size_t len;
    int rc;

    rc = host_crypto_lib_new(&lib);
    if (rc == HOST_ERR_UNSUPPORTED)
        cr_skip_test("OpenSSL's legacy provider is not installed");
    cr_assert_eq(rc, 0);
    HEX(dtk, KEY);
    HEX(tac, "0ED7EDE7");
    cr_assert_eq(host_pboc_tac_key(dtk, tk), 0);
    cr_assert_eq(host_pboc_key_init_lib(&k, lib, tk), 0);
    cr_assert_eq(host_pboc_key_purchase_tac_verify(&k, &p, tac), 0);
    p.amount++;
    cr_assert_eq(host_pboc_key_purchase_tac_verify(&k, &p, tac), HOST_ERR_MAC);
    HEX(other, "0123456789ABCDEF");
    cr_assert_eq(host_pboc_key_set(&k, other), 0);
    for (len = 0; len < sizeof data; len++)
        data[len] = (uint8_t)(len * 29);
    for (len = 0; len <= sizeof data; len++) {
        cr_assert_eq(host_pboc_key_mac(&k, data, len, a), 0);
        cr_assert_eq(host_pboc_mac(other, data, len, b), 0);
        cr_assert_arr_eq(a, b, 4, "len %zu", len);
    }
    host_pboc_key_free(&k);
    host_crypto_lib_free(lib);
    host_crypto_lib_free(NULL);
    cr_assert_eq(host_crypto_lib_new(NULL), HOST_ERR_ARG);
}

Test(host_pboc, null_arguments)
{
    uint8_t k[16] = {0}, out[16];

    cr_assert_eq(host_pboc_diversify(NULL, k, out), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_tac_key(k, NULL), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_seslk(k, NULL, 0, out), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_purchase_tac(k, NULL, out), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_load_mac2(k, NULL, out), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_mac(k, NULL, 3, out), HOST_ERR_ARG);
    cr_assert_eq(host_pboc_key_init(NULL, k), HOST_ERR_ARG);
}
