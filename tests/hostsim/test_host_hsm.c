/*
 * obol tests: the key store (host_hsm.h) — TEST labels, wrapping (no master key in
 * clear in the database file), dispersion one and two levels against host_crypto,
 * TAC verification, load MAC1/MAC2, GP card keys against the reference KDF, and PSAM
 * key loading through an SCP02 session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "host_ref.h"
#include "obol/host_crypto.h"

static void be8(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Whether the 16 bytes KEY occur anywhere in the file at PATH (or its WAL). */
static int file_contains(const char *path, const uint8_t key[16])
{
    char p[200];
    int found = 0;

    for (int w = 0; w < 2 && !found; w++) {
        FILE *fp;
        uint8_t *buf;
        long n;
        snprintf(p, sizeof p, w ? "%s-wal" : "%s", path);
        if ((fp = fopen(p, "rb")) == NULL)
            continue;
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
        fclose(fp);
        for (long i = 0; i + 16 <= n && !found; i++)
            found = memcmp(buf + i, key, 16) == 0;
        free(buf);
    }
    return found;
}

Test(host_hsm, test_labels_duplicates_and_info)
{
    host_key_id id = {FX_ISSUER, HOST_INDUSTRY_TRANSIT, HOST_KEY_PURCHASE, 2};
    host_key_id unknown = {0x77, 0, HOST_KEY_PURCHASE, 1};
    host_key_info info;
    uint8_t kcv[3], want[3];
    fx f;

    fx_open(&f, NULL);
    cr_assert_eq(host_hsm_key_import(f.hsm, &id, 2, "production purchase key", FX_MPK, kcv),
                 HOST_ERR_ARG, "a key not labelled TEST is refused");
    cr_assert_eq(host_hsm_key_import(f.hsm, &id, 2, "TEST MPK v2", FX_MPK, kcv), 0);
    cr_assert_eq(host_kcv_des(FX_MPK, 16, want), 0);
    cr_assert_arr_eq(kcv, want, 3);
    cr_assert_eq(host_hsm_key_import(f.hsm, &id, 2, "TEST MPK v2", FX_MPK, kcv),
                 HOST_ERR_DUPLICATE);
    cr_assert_eq(host_hsm_key_generate(f.hsm, &unknown, 1, "TEST", kcv), HOST_ERR_NOTFOUND,
                 "issuer not registered");
    cr_assert_eq(host_hsm_key_info(f.hsm, &id, &info), 0);
    cr_assert_eq(info.levels, 2);
    cr_assert_str_eq(info.label, "TEST MPK v2");
    cr_assert_arr_eq(info.kcv, want, 3);
    id.version = 9;
    cr_assert_eq(host_hsm_key_info(f.hsm, &id, &info), HOST_ERR_NOTFOUND);
    id.version = 3;
    cr_assert_eq(host_hsm_key_generate(f.hsm, &id, 1, "TEST generated", kcv), 0);
    cr_assert_eq(host_db_checkpoint(f.db), 0);
    /* The master keys are in the file only wrapped. */
    cr_assert_not(file_contains(f.path, FX_MPK));
    cr_assert_not(file_contains(f.path, FX_MTK));
    cr_assert_not(file_contains(f.path, FX_KMC));
    fx_close(&f);
}

Test(host_hsm, card_keys_one_and_two_levels)
{
    host_key_id id2 = {FX_ISSUER, HOST_INDUSTRY_FINANCE, HOST_KEY_PURCHASE, 1};
    uint64_t serial = 0x3100000100000123ull;
    uint8_t s8[8], i8[8], want[16];
    host_card_keys k;
    fx f;

    fx_open(&f, NULL);
    be8(s8, serial);
    be8(i8, FX_ISSUER);
    cr_assert_eq(host_hsm_card_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, serial, &k), 0);
    cr_assert_eq(host_pboc_diversify(FX_MPK, s8, want), 0);
    cr_assert_arr_eq(k.dpk, want, 16);
    cr_assert_eq(host_pboc_diversify(FX_MLK, s8, want), 0);
    cr_assert_arr_eq(k.dlk, want, 16);
    cr_assert_eq(host_pboc_diversify(FX_MTK, s8, want), 0);
    cr_assert_arr_eq(k.dtk, want, 16);
    /* The PROTOCOLS.md dispersion vector through the store: MK 0123..3210, F 1234..CDEF. */
    cr_assert_eq(
        host_hsm_card_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, 0x1234567890ABCDEFull, &k),
        0);
    ref_hex("479EF7C1ECFE64AC9BB75999A2E5CD53", want, sizeof want);
    cr_assert_arr_eq(k.dpk, want, 16);
    /* Two levels: issuer code first, then the serial (the project's pinned order). */
    cr_assert_eq(host_hsm_key_import(f.hsm, &id2, 2, "TEST two-level MPK", FX_MPK, NULL), 0);
    id2.usage = HOST_KEY_LOAD;
    cr_assert_eq(host_hsm_key_import(f.hsm, &id2, 2, "TEST two-level MLK", FX_MLK, NULL), 0);
    id2.usage = HOST_KEY_TAC;
    cr_assert_eq(host_hsm_key_import(f.hsm, &id2, 2, "TEST two-level MTK", FX_MTK, NULL), 0);
    cr_assert_eq(host_hsm_card_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_FINANCE, 1, serial, &k), 0);
    cr_assert_eq(host_pboc_diversify2(FX_MPK, i8, s8, want), 0);
    cr_assert_arr_eq(k.dpk, want, 16);
    /* A version with no keys. */
    cr_assert_eq(host_hsm_card_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 4, serial, &k),
                 HOST_ERR_NOTFOUND);
    fx_close(&f);
}

Test(host_hsm, tac_verification_and_cache)
{
    host_pboc_purchase p;
    host_pboc_load l;
    host_hsm_stats st;
    uint64_t serial = 0x3100000100000001ull;
    uint8_t s8[8], dtk[16], tac[4];
    fx f;

    fx_open(&f, NULL);
    be8(s8, serial);
    cr_assert_eq(host_pboc_diversify(FX_MTK, s8, dtk), 0);
    memset(&p, 0, sizeof p);
    p.amount = 100;
    p.type = HOST_PBOC_EP_PURCHASE;
    memcpy(p.terminal_id, "\x11\x22\x33\x44\x55\x66", 6);
    p.ttn = 16;
    memcpy(p.date, "\x20\x26\x11\x22", 4);
    memcpy(p.time, "\x08\x30\x00", 3);
    cr_assert_eq(host_pboc_purchase_tac(dtk, &p, tac), 0);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(host_hsm_purchase_tac_verify(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1,
                                                  serial, &p, tac),
                     0);
    tac[0] ^= 1;
    cr_assert_eq(
        host_hsm_purchase_tac_verify(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, serial, &p, tac),
        HOST_ERR_MAC);
    cr_assert_eq(host_hsm_purchase_tac_verify(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1,
                                              serial + 1, &p, tac),
                 HOST_ERR_MAC, "another card's key");
    cr_assert_eq(
        host_hsm_purchase_tac_verify(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 2, serial, &p, tac),
        HOST_ERR_NOTFOUND);
    memset(&l, 0, sizeof l);
    l.old_balance = 1000;
    l.amount = 100;
    l.online_counter = 0;
    l.type = HOST_PBOC_EP_LOAD;
    memcpy(l.terminal_id, p.terminal_id, 6);
    memcpy(l.date, p.date, 4);
    memcpy(l.time, p.time, 3);
    cr_assert_eq(host_pboc_load_tac(dtk, &l, tac), 0);
    cr_assert_eq(
        host_hsm_load_tac_verify(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, serial, &l, tac), 0);
    l.amount = 101;
    cr_assert_eq(
        host_hsm_load_tac_verify(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, serial, &l, tac),
        HOST_ERR_MAC);
    host_hsm_get_stats(f.hsm, &st);
    cr_assert_eq(st.tac_verified, 7u, "NOTFOUND is not a verification");
    cr_assert_eq(st.tac_failed, 3u);
    cr_assert_eq(st.tac_key_derived, 2u, "one derivation per card, then the cache");
    fx_close(&f);
}

Test(host_hsm, load_mac1_checked_mac2_returned)
{
    host_pboc_load l;
    uint64_t serial = 0x3100000100000002ull;
    uint8_t s8[8], dlk[16], seslk[8], rnd[4] = {1, 2, 3, 4}, mac1[4], mac2[4], want[4];
    fx f;

    fx_open(&f, NULL);
    be8(s8, serial);
    cr_assert_eq(host_pboc_diversify(FX_MLK, s8, dlk), 0);
    memset(&l, 0, sizeof l);
    l.old_balance = 1000;
    l.amount = 100;
    l.online_counter = 3;
    l.type = HOST_PBOC_EP_LOAD;
    memcpy(l.terminal_id, "\x33\x00\x00\x00\x00\x01", 6);
    memcpy(l.date, "\x20\x26\x11\x22", 4);
    memcpy(l.time, "\x08\x30\x00", 3);
    cr_assert_eq(host_pboc_seslk(dlk, rnd, 3, seslk), 0);
    cr_assert_eq(host_pboc_load_mac1(seslk, &l, mac1), 0);
    cr_assert_eq(host_pboc_load_mac2(seslk, &l, want), 0);
    cr_assert_eq(
        host_hsm_load_mac2(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, serial, rnd, &l, mac1, mac2),
        0);
    cr_assert_arr_eq(mac2, want, 4);
    mac1[3] ^= 0x80;
    memset(mac2, 0xEE, 4);
    cr_assert_eq(
        host_hsm_load_mac2(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 1, serial, rnd, &l, mac1, mac2),
        HOST_ERR_MAC);
    cr_assert_arr_eq(mac2, "\xEE\xEE\xEE\xEE", 4, "no MAC2 for a bad MAC1");
    fx_close(&f);
}

Test(host_hsm, gp_card_keys_match_reference_kdf)
{
    uint64_t serial = 0x3100000100000009ull;
    uint8_t ctx[8], want[16];
    host_gp_keys k;
    fx f;

    fx_open(&f, NULL);
    be8(ctx, serial);
    cr_assert_eq(host_hsm_card_gp_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, FX_KVN, serial, &k),
                 0);
    cr_assert_eq(k.len, 16u);
    cr_assert_eq(k.kvn, FX_KVN);
    ref_scp03_kdf(FX_KMC, 16, 0x01, ctx, 8, 128, want);
    cr_assert_arr_eq(k.enc, want, 16);
    ref_scp03_kdf(FX_KMC, 16, 0x02, ctx, 8, 128, want);
    cr_assert_arr_eq(k.mac, want, 16);
    ref_scp03_kdf(FX_KMC, 16, 0x03, ctx, 8, 128, want);
    cr_assert_arr_eq(k.dek, want, 16);
    cr_assert_eq(host_hsm_card_gp_keys(f.hsm, FX_ISSUER, HOST_INDUSTRY_TRANSIT, 0x31, serial, &k),
                 HOST_ERR_NOTFOUND);
    fx_close(&f);
}

Test(host_hsm, psam_key_loaded_encrypted_under_session_dek)
{
    host_key_id id = {FX_ISSUER, HOST_INDUSTRY_TRANSIT, HOST_KEY_PURCHASE, 1};
    host_gp_session s;
    uint8_t apdu[128], kcv[3], want[3], clear[16];
    size_t n;
    fx f;

    fx_open(&f, NULL);
    /* An open SCP02 session as host_gp leaves it (the card side is not this test's
     * subject: test_host_scp02 covers the handshake). */
    memset(&s, 0, sizeof s);
    s.scp = HOST_GP_SCP02;
    s.state = HOST_GP_OPEN;
    s.level = HOST_GP_LEVEL_CMAC;
    s.keys.len = 16;
    ref_hex("0E51FDF196141F227A57BD154012FD39", s.s_dek, sizeof s.s_dek);
    cr_assert_eq(host_hsm_psam_put_key(f.hsm, &id, &s, 0, 0x01, 0x01, apdu, sizeof apdu, &n, kcv),
                 0);
    /* 80 D8 00 01 Lc | new KVN | 80 10 <16 bytes enc> 03 KCV | Le */
    cr_assert_eq(apdu[1], 0xD8);
    cr_assert_eq(apdu[5], 0x01);
    cr_assert_eq(apdu[6], 0x80);
    cr_assert_eq(apdu[7], 0x10);
    cr_assert_eq(host_des_ecb(s.s_dek, 16, 0, apdu + 8, clear, 16), 0);
    cr_assert_arr_eq(clear, FX_MPK, 16, "the key decrypts under the session DEK");
    cr_assert_neq(memcmp(apdu + 8, FX_MPK, 16), 0);
    cr_assert_eq(host_kcv_des(FX_MPK, 16, want), 0);
    cr_assert_arr_eq(kcv, want, 3);
    cr_assert_arr_eq(apdu + 25, want, 3);
    s.scp = HOST_GP_SCP03;
    cr_assert_eq(host_hsm_psam_put_key(f.hsm, &id, &s, 0, 1, 1, apdu, sizeof apdu, &n, kcv),
                 HOST_ERR_UNSUPPORTED);
    s.scp = HOST_GP_SCP02;
    s.state = HOST_GP_IDLE;
    cr_assert_eq(host_hsm_psam_put_key(f.hsm, &id, &s, 0, 1, 1, apdu, sizeof apdu, &n, kcv),
                 HOST_ERR_STATE);
    fx_close(&f);
}
