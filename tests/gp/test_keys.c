/*
 * obol GlobalPlatform tests: PUT KEY (GP CS 2.3 11.8, Amendment D 7.2). Replacing the
 * initial key set, adding sets, rotating, check values in the answer, old keys
 * refused afterwards, GET DATA key information, and the errors: wrong check values,
 * taken or missing versions, a channel without C-MAC, a full key table.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gp_test.h"
#include "obol/cos_crypto.h"
#include "obol/host_crypto.h"

static void key_n(uint8_t n, uint8_t out[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)(n * 16 + i); /* TEST keys, one per rotation */
}

static void open03(gcard *g, const uint8_t key[16], uint8_t kvn, uint8_t level)
{
    host_gp_keys k = gt_keys(key, kvn);
    cr_assert_eq(gt_open(g, GT_ISD, 8, HOST_GP_SCP03, 0, &k, level), 0x9000, "open KVN %02X", kvn);
}

Test(keys, replace_initial_set_and_rotate_scp03)
{
    gcard g;
    uint8_t k1[16], k2[16], kcv[3];
    host_gp_keys old = gt_keys(GT_TEST_KEY, 0xFF);

    gt_blank(&g, NULL);
    key_n(1, k1);
    key_n(2, k2);
    open03(&g, GT_TEST_KEY, 0xFF, 0x01);
    cr_assert_eq(gt_put_keyset(&g, 0xFF, 0x30, k1), 0x9000);
    /* 11.8.3: the new KVN then a check value per key. */
    host_kcv_aes(k1, 16, kcv);
    cr_assert_eq(g.rlen, 10);
    cr_assert_eq(g.rsp[0], 0x30);
    for (int i = 0; i < 3; i++)
        cr_assert_arr_eq(g.rsp + 1 + 3 * i, kcv, 3);
    /* The session goes on after its own key set was replaced. */
    cr_assert_eq(gt_sch(&g, "80CA00E000"), 0x9000);
    cr_assert(gt_data_is(&g, "E012 C00401308810 C00402308810 C00403308810"));
    /* The initial keys are gone. */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0, &old, 0x01), 0x6A88);
    old.kvn = 0;
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0, &old, 0x01), HOST_ERR_CHALLENGE);
    /* Rotation 30 -> 31 over a C-DEC channel; 30 refused afterwards. */
    open03(&g, k1, 0x30, 0x03);
    cr_assert_eq(gt_put_keyset(&g, 0x30, 0x31, k2), 0x9000);
    host_gp_keys k30 = gt_keys(k1, 0x30);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0, &k30, 0x01), 0x6A88);
    open03(&g, k2, 0x31, 0x33);
    open03(&g, k2, 0x00, 0x01); /* the default set */
    gt_close(&g);
}

Test(keys, replace_initial_set_scp02)
{
    gcard g;
    gp_isd_config c;
    uint8_t k1[16], kcv[3];
    host_gp_keys init = gt_keys(GT_TEST_KEY, 0xFF);

    memset(&c, 0, sizeof c);
    c.scp02_i = 0x55;
    c.key_alg = COS_ALG_DES;
    gt_blank(&g, &c);
    key_n(3, k1);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP02, 0x55, &init, 0x03), 0x9000);
    cr_assert_eq(gt_put_keyset(&g, 0xFF, 0x20, k1), 0x9000);
    host_kcv_des(k1, 16, kcv);
    cr_assert_eq(g.rsp[0], 0x20);
    cr_assert_arr_eq(g.rsp + 7, kcv, 3);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP02, 0x55, &init, 0x01), 0x6A88);
    host_gp_keys k = gt_keys(k1, 0x20);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP02, 0x55, &k, 0x13), 0x9000);
    cr_assert_eq(gt_sch(&g, "80CA00E000"), 0x9000);
    cr_assert(gt_data_is(&g, "E012 C00401208010 C00402208010 C00403208010"));
    gt_close(&g);
}

Test(keys, add_sets_and_errors)
{
    gcard g;
    uint8_t k[16], cmd[300], keys[48];
    size_t n;

    gt_blank(&g, NULL);
    key_n(4, k);
    open03(&g, GT_TEST_KEY, 0xFF, 0x01);
    /* Add 32 beside FF; add it again: taken. */
    cr_assert_eq(gt_put_keyset(&g, 0x00, 0x32, k), 0x9000);
    cr_assert_eq(gt_put_keyset(&g, 0x00, 0x32, k), 0x6A80);
    /* Replace a version that does not exist. */
    cr_assert_eq(gt_put_keyset(&g, 0x3E, 0x33, k), 0x6A88);
    /* A wrong check value. */
    for (int i = 0; i < 3; i++)
        memcpy(keys + 16 * i, k, 16);
    cr_assert_eq(host_gp_put_key_cmd(&g.s, 0, 0x34, 1, keys, 3, 16, cmd, sizeof cmd, &n), 0);
    cmd[n - 2] ^= 0x01; /* last KCV byte */
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6A80);
    /* KVN 00 and 80+ are not key versions. */
    cr_assert_eq(gt_put_keyset(&g, 0x00, 0x00, k), 0x6A80);
    cr_assert_eq(gt_put_keyset(&g, 0x00, 0x90, k), 0x6A80);
    cr_assert_eq(gt_put_keyset(&g, 0x90, 0x33, k), 0x6A86);
    /* Two keys where a secure channel set needs three. */
    cr_assert_eq(host_gp_put_key_cmd(&g.s, 0, 0x35, 1, keys, 2, 16, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6A80);
    /* Fill the key table (8 versions), then one more. */
    for (uint8_t v = 0x40; v < 0x46; v++)
        cr_assert_eq(gt_put_keyset(&g, 0x00, v, k), 0x9000, "KVN %02X", v);
    cr_assert_eq(gt_put_keyset(&g, 0x00, 0x46, k), 0x6A84);
    cr_assert_eq(gt_sch(&g, "80CA00E000"), 0x9000);
    cr_assert_eq(g.rlen, 3 + 8 * 3 * 6); /* E0 81 90 ... */
    /* Every added set opens a channel. */
    open03(&g, k, 0x45, 0x01);
    gt_close(&g);
}

Test(keys, put_key_needs_a_mac_session)
{
    gcard g;
    uint8_t k[16];

    gt_blank(&g, NULL);
    key_n(5, k);
    open03(&g, GT_TEST_KEY, 0xFF, 0x00);
    cr_assert_eq(gt_put_keyset(&g, 0xFF, 0x30, k), 0x6982);
    /* Without a session at all. */
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "80D8FF81 01 30 00"), 0x6982);
    gt_close(&g);
}

Test(keys, dek_of_the_session_decrypts)
{
    /* A key block encrypted under another DEK is refused by its check value: the card
     * decrypts with its own DEK and the KCV does not match. */
    gcard g;
    uint8_t k[16], cmd[300], keys[48];
    size_t n;

    gt_blank(&g, NULL);
    key_n(6, k);
    open03(&g, GT_TEST_KEY, 0xFF, 0x01);
    for (int i = 0; i < 3; i++)
        memcpy(keys + 16 * i, k, 16);
    host_gp_session other = g.s;
    other.keys.dek[0] ^= 0x01;
    cr_assert_eq(host_gp_put_key_cmd(&other, 0xFF, 0x30, 1, keys, 3, 16, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_sc(&g, cmd, n), 0x6A80);
    /* Nothing changed: FF still opens. */
    open03(&g, GT_TEST_KEY, 0xFF, 0x01);
    gt_close(&g);
}
