/* obol card OS tests: GET CHALLENGE, VERIFY, CHANGE REFERENCE DATA, RESET RETRY
 * COUNTER, EXTERNAL/INTERNAL AUTHENTICATE, access conditions, line protection
 * (MAC), APPLICATION BLOCK/UNBLOCK and CARD BLOCK. */
#include <criterion/criterion.h>
#include <string.h>

#include "cos_test.h"
#include "obol/cos_crypto.h"

static tcard t;

static void setup(void)
{
    tc_open(&t, 0, COS_IF_CONTACT);
}

static void teardown(void)
{
    tc_close(&t);
}

TestSuite(sec, .init = setup, .fini = teardown);

Test(sec, get_challenge)
{
    uint8_t a[8];
    cr_assert_eq(tc_tx(&t, "0084000004"), 0x9000);
    cr_assert_eq(t.rsplen, 4);
    cr_assert_eq(tc_tx(&t, "0084000008"), 0x9000);
    memcpy(a, t.rsp, 8);
    cr_assert_eq(tc_tx(&t, "0084000008"), 0x9000);
    cr_assert_arr_neq(a, t.rsp, 8);
    cr_assert_eq(tc_tx(&t, "0084000010"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0084000005"), 0x6700);
    cr_assert_eq(tc_tx(&t, "0084000000"), 0x6700);
    cr_assert_eq(tc_tx(&t, "00840000"), 0x6700);
    cr_assert_eq(tc_tx(&t, "0084010008"), 0x6A86);
}

Test(sec, verify_counts_and_blocks)
{
    cr_assert_eq(tc_tx(&t, "00200001"), 0x63C3, "status: 3 tries");
    cr_assert_eq(tc_tx(&t, "0020000104 31323335"), 0x63C2);
    cr_assert_eq(tc_tx(&t, "0020000103 313233"), 0x63C1, "wrong length counts too");
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x9000, "a success restores 3");
    cr_assert_eq(tc_tx(&t, "00200001"), 0x9000, "status: verified");
    cr_assert_eq(tc_tx(&t, "0020FF01"), 0x9000, "P1 FF: forget the verification");
    cr_assert_eq(tc_tx(&t, "00200001"), 0x63C3);
    for (int i = 2; i >= 0; i--)
        cr_assert_eq(tc_tx(&t, "0020000104 30303030"), i ? 0x63C0 | i : 0x6983);
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x6983, "blocked");
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x6983);
    cr_assert_eq(tc_tx(&t, "0020000304 31323334"), 0x6A88, "no PIN 3");
    cr_assert_eq(tc_tx(&t, "0020010104 31323334"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "0020000104 31323334 00"), 0x6700);
    cr_assert_eq(tc_tx(&t, "0420000108 3132333400000000"), 0x6882);
}

Test(sec, verify_reference_zero_and_df_specific)
{
    cr_assert_eq(tc_tx(&t, "0020000004 31323334"), 0x9000, "P2 00: the first PIN");
    cr_assert_eq(tc_tx(&t, "00A4000002 1000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0020008104 31323334"), 0x63C2, "DF 1000's own PIN 1 is 4321");
    cr_assert_eq(tc_tx(&t, "0020008104 34333231"), 0x9000);
}

Test(sec, pin_access_condition_and_scope)
{
    cr_assert_eq(tc_tx(&t, "00B0840004"), 0x6982, "EF 0004: read needs PIN 1");
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0840004"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A4000002 1000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A4000002 3F00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0840004"), 0x9000, "an MF PIN stays valid in a child DF");
    cr_assert_eq(tc_tx(&t, "00A4000002 1000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0020008104 34333231"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A4000002 3F00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A4000002 1000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00200081"), 0x63C3, "leaving DF 1000 dropped its PIN");
}

Test(sec, change_reference_data)
{
    cr_assert_eq(tc_tx(&t, "0024000108 3132333435363738"), 0x9000, "1234 -> 5678");
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x63C2);
    cr_assert_eq(tc_tx(&t, "0020000104 35363738"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0024010106 313233343536"), 0x9000, "P1 01 once verified");
    cr_assert_eq(tc_tx(&t, "0020000106 313233343536"), 0x9000, "a longer PIN");
    cr_assert_eq(tc_tx(&t, "0024000107 30303030303030"), 0x63C2, "wrong old value");
    cr_assert_eq(tc_tx(&t, "0024010106 313233343536"), 0x6982, "no longer verified");
    cr_assert_eq(tc_tx(&t, "0024000106 313233343536"), 0x6700, "no new value");
    cr_assert_eq(tc_tx(&t, "002400010F 313233343536 303030303030303030"), 0x6700,
                 "new value longer than 8");
    cr_assert_eq(tc_tx(&t, "0024020104 31323334"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "0024000904 31323334"), 0x6A88);
}

Test(sec, reset_retry_counter)
{
    for (int i = 0; i < 3; i++)
        tc_tx(&t, "0020000104 30303030");
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x6983);
    cr_assert_eq(tc_tx(&t, "002C010108 3132333435363730"), 0x63C4, "wrong resetting code");
    cr_assert_eq(tc_tx(&t, "002C000108 3132333435363738"), 0x6700, "P1 00 needs a new PIN");
    cr_assert_eq(tc_tx(&t, "002C010108 3132333435363738"), 0x9000, "P1 01: code only");
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x9000, "unblocked, same PIN");
    cr_assert_eq(tc_tx(&t, "002C00010C 3132333435363738 39393939"), 0x9000, "code || new");
    cr_assert_eq(tc_tx(&t, "0020000104 39393939"), 0x9000);
    cr_assert_eq(tc_tx(&t, "002C020104 31313131"), 0x6982, "P1 02 needs the code verified");
    cr_assert_eq(tc_tx(&t, "0020000208 3132333435363738"), 0x9000);
    cr_assert_eq(tc_tx(&t, "002C020104 31313131"), 0x9000);
    cr_assert_eq(tc_tx(&t, "002C0301"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0020000104 31313131"), 0x9000);
    cr_assert_eq(tc_tx(&t, "002C000208 3132333435363738"), 0x6985, "PIN 2 has no code");
    cr_assert_eq(tc_tx(&t, "002C000107 31323334353637"), 0x6700);
    cr_assert_eq(tc_tx(&t, "002C040104 31313131"), 0x6A86);
}

static void ext_auth(uint8_t first, uint16_t want)
{
    uint8_t key[16], blk[8] = {0}, cmd[13] = {0x00, 0x82, 0x00, 0x01, 0x08};
    cos_des_key k;
    cr_assert_eq(tc_tx(&t, "0084000004"), 0x9000);
    memcpy(blk, t.rsp, 4);
    tc_key(first, key);
    cos_des_setkey(&k, key, 16);
    cos_des_encrypt(&k, blk, cmd + 5);
    cr_assert_eq(tc_txb(&t, cmd, sizeof cmd), want);
}

Test(sec, external_authenticate)
{
    cr_assert_eq(tc_tx(&t, "00B0850004"), 0x6982, "EF 0005: read needs key 1");
    cr_assert_eq(tc_tx(&t, "0082000108 0000000000000000"), 0x6984, "no challenge");
    ext_auth(0x41, 0x63C2);
    ext_auth(0x40, 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0850004"), 0x9000);
    cr_assert(tc_data_is(&t, "6F626F6C"));
    cr_assert_eq(tc_tx(&t, "0084000004"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0810001"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0082000108 0000000000000000"), 0x6984, "the challenge expired");
    cr_assert_eq(tc_tx(&t, "0082000508 0000000000000000"), 0x6A88);
    cr_assert_eq(tc_tx(&t, "0082010108 0000000000000000"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "0084000004"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0082000104 00000000"), 0x6700);
    for (int i = 2; i >= 0; i--)
        ext_auth(0x41, i ? 0x63C0 | i : 0x6983);
    cr_assert_eq(tc_tx(&t, "0084000004"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0082000108 0000000000000000"), 0x6983, "key blocked");
}

Test(sec, internal_authenticate)
{
    uint8_t key[16], out[8], in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cos_des_key k;
    cr_assert_eq(tc_tx(&t, "0088000108 0102030405060708 00"), 0x9000);
    tc_key(0x50, key);
    cos_des_setkey(&k, key, 16);
    cos_des_encrypt(&k, in, out);
    cr_assert_arr_eq(t.rsp, out, 8);
    cr_assert_eq(t.rsplen, 8);
    cr_assert_eq(tc_tx(&t, "0088000107 01020304050607 00"), 0x6700);
    cr_assert_eq(tc_tx(&t, "0088000908 0102030405060708 00"), 0x6A88);
    cr_assert_eq(tc_tx(&t, "0088000108 0102030405060708"), 0x9000, "no Le: no data");
    cr_assert_eq(t.rsplen, 0);
}

Test(sec, line_protection_update_binary)
{
    uint8_t key[16], bad[16];
    tc_key(0x60, key);
    tc_key(0x61, bad);
    cr_assert_eq(tc_tx(&t, "00D6840004 01020304"), 0x6982, "plain CLA: MAC required");
    cr_assert_eq(tc_tx(&t, "04D6840008 0102030411223344"), 0x6984, "no challenge");
    cr_assert_eq(tc_tx_mac(&t, "04D68400", "A1A2A3A4", key), 0x9000);
    cr_assert_eq(tc_tx(&t, "0020000104 31323334"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0840004"), 0x9000);
    cr_assert(tc_data_is(&t, "A1A2A3A4"));
    cr_assert_eq(tc_tx_mac(&t, "04D68402", "B1B2", bad), 0x6988, "wrong MAC");
    cr_assert_eq(tc_tx_mac(&t, "04D68402", "B1B2", key), 0x9000, "a success resets the counter");
    cr_assert_eq(tc_tx_mac(&t, "04D68402", "B1B2", bad), 0x6988);
    cr_assert_eq(tc_tx_mac(&t, "04D68402", "B1B2", bad), 0x6988);
    cr_assert_eq(tc_tx_mac(&t, "04D68402", "B1B2", bad), 0x6988);
    cr_assert_eq(tc_tx_mac(&t, "04D68402", "B1B2", key), 0x6983, "MAC key blocked");
    cr_assert_eq(tc_tx(&t, "04D6840003 010203"), 0x6700, "no room for a MAC");
}

Test(sec, line_protection_records_and_vector)
{
    uint8_t key[16];
    tc_key(0x60, key);
    cr_assert_eq(tc_tx_mac(&t, "04DC013C", "0909090909090909 0909090909090909", key), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2013C00"), 0x9000);
    cr_assert_eq(t.rsp[0], 9);
    cr_assert_eq(tc_tx_mac(&t, "04E20038", "0808080808080808 0808080808080808", key), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2023C00"), 0x9000);
    cr_assert_eq(t.rsp[0], 8);
    /* Pinned vector, computed independently with Python's cryptography package
     * (ISO/IEC 9797-1 algorithm 3, padding method 2, key 606162..6F, ICV = challenge
     * 11223344 || 00000000): MAC(04 D6 84 00 08 || A1A2A3A4) = 6DC5B655CC1EBF47; the
     * command carries the leftmost 4 bytes. */
    uint8_t icv[8] = {0x11, 0x22, 0x33, 0x44}, mac[8];
    uint8_t in[] = {0x04, 0xD6, 0x84, 0x00, 0x08, 0xA1, 0xA2, 0xA3, 0xA4};
    const uint8_t want[8] = {0x6D, 0xC5, 0xB6, 0x55, 0xCC, 0x1E, 0xBF, 0x47};
    cr_assert_eq(cos_mac_alg3(key, icv, in, sizeof in, mac), 0);
    cr_assert_arr_eq(mac, want, 8);
    cos_host h;
    cos_card c;
    cos_card_config cfg;
    cr_assert_eq(cos_host_open_mem(&h, 4096, 64, 1), 0);
    cos_host_config(&h, NULL, 0, &cfg);
    cr_assert_eq(cos_card_attach(&c, &cfg), 0);
    cos_ctx x = {&c, 0, 0xFF, NULL};
    uint8_t out[16];
    cr_assert_eq(cos_mac(&x, COS_ALG_DES, key, 16, icv, in, sizeof in, out), 8);
    cr_assert_arr_eq(out, mac, 8, "the OS's MAC equals cos_crypto's");
    cos_host_close(&h);
}

static const char *aid_a = "F06F626F6C4101";

Test(sec, application_block_unblock)
{
    uint8_t key[16];
    char sel[64];
    snprintf(sel, sizeof sel, "00A4040007%s00", aid_a);
    tc_key(0x70, key);
    cr_assert_eq(tc_tx(&t, "801E000004 00000000"), 0x6982, "no MAC (CLA 80)");
    cr_assert_eq(tc_tx(&t, sel), 0x9000);
    cr_assert_eq(tc_tx(&t, "841E000004 00000000"), 0x6984, "no challenge");
    cr_assert_eq(tc_tx(&t, "841E000000"), 0x6700);
    cr_assert_eq(tc_tx(&t, "801E000004 00000000"), 0x6D00, "CLA 80 goes to the applet");
    cr_assert_eq(tc_tx_mac(&t, "841E0000", "", key), 0x9000);
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x6985, "blocked: proprietary commands refused");
    cr_assert_eq(tc_tx(&t, "00B0820002"), 0x9000, "reading is still allowed");
    cr_assert_eq(tc_tx(&t, "00D6820001 01"), 0x6985);
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x9000);
    cr_assert_eq(tc_tx(&t, sel), 0x6283, "SELECT: selected file deactivated");
    cr_assert_eq(t.rsplen, 11, "with its FCI");
    cr_assert_eq(tc_tx_mac(&t, "84180000", "", key), 0x9000);
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x9000);
    cr_assert_eq(tc_tx_mac(&t, "841E0001", "", key), 0x9000, "permanent");
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x6A81);
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x9000);
    cr_assert_eq(tc_tx(&t, sel), 0x6A81);
    cr_assert_eq(tc_tx(&t, "00A40400 07 F06F626F6C4201 00"), 0x9000, "B is unaffected");
    cr_assert_eq(tc_tx(&t, "841E0002 04 00000000"), 0x6A86);
}

Test(sec, card_block)
{
    uint8_t key[16], atr[40];
    size_t n;
    tc_key(0x70, key);
    cr_assert_eq(tc_tx(&t, "00A40400 05 D156000001 00"), 0x9000);
    cr_assert_eq(tc_tx_mac(&t, "84160000", "", key), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x6A81);
    cr_assert_eq(tc_tx(&t, "0084000004"), 0x6A81);
    cos_power_off(&t.card);
    cr_assert_eq(cos_power_on(&t.card, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(atr[n - 2], 0x0C, "the ATR shows the terminated life cycle");
    cr_assert_eq(tc_tx(&t, "00B0810001"), 0x6A81);
}
