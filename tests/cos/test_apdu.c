/* obol card OS tests: APDU parsing and encoding, all cases, short and extended
 * (ISO/IEC 7816-4:2020, 5.1), and how the card answers malformed ones. */
#include <criterion/criterion.h>
#include <string.h>

#include "cos_test.h"

static cos_apdu parse_ok(const char *hex)
{
    uint8_t b[70000];
    cos_apdu a;
    size_t n = tc_hex(hex, b);
    cr_assert_eq(cos_apdu_parse(&a, b, n), 0, "parse %s", hex);
    return a;
}

static int parse_rc(const uint8_t *b, size_t n)
{
    cos_apdu a;
    return cos_apdu_parse(&a, b, n);
}

Test(apdu, case1)
{
    cos_apdu a = parse_ok("00A40000");
    cr_assert_eq(a.kase, 1);
    cr_assert_eq(a.nc, 0);
    cr_assert_eq(a.ne, 0);
    cr_assert_eq(a.ext, 0);
    cr_assert_eq(a.ins, 0xA4);
}

Test(apdu, case2_short)
{
    cos_apdu a = parse_ok("00B0000010");
    cr_assert_eq(a.kase, 2);
    cr_assert_eq(a.ne, 16);
    a = parse_ok("00B0000000");
    cr_assert_eq(a.ne, 256);
    cr_assert(cos_apdu_ne_wildcard(&a));
}

Test(apdu, case3_case4_short)
{
    cos_apdu a = parse_ok("00D6000003AABBCC");
    cr_assert_eq(a.kase, 3);
    cr_assert_eq(a.nc, 3);
    cr_assert_eq(a.data[2], 0xCC);
    a = parse_ok("00A4040002AABB00");
    cr_assert_eq(a.kase, 4);
    cr_assert_eq(a.nc, 2);
    cr_assert_eq(a.ne, 256);
    a = parse_ok("00A4040002AABB07");
    cr_assert_eq(a.ne, 7);
}

Test(apdu, case2_extended)
{
    cos_apdu a = parse_ok("00B00000000123");
    cr_assert_eq(a.kase, 2);
    cr_assert_eq(a.ext, 1);
    cr_assert_eq(a.ne, 0x123);
    a = parse_ok("00B00000000000");
    cr_assert_eq(a.ne, 65536);
    cr_assert(cos_apdu_ne_wildcard(&a));
    a = parse_ok("00B00000000100");
    cr_assert_eq(a.ne, 256);
    cr_assert_not(cos_apdu_ne_wildcard(&a)); /* extended 0100 is a specific 256 */
}

Test(apdu, case3_case4_extended)
{
    uint8_t b[2000];
    cos_apdu a;
    memcpy(b, "\x00\xD6\x00\x00\x00\x01\x2C", 7);
    memset(b + 7, 0x5A, 300);
    cr_assert_eq(cos_apdu_parse(&a, b, 307), 0);
    cr_assert_eq(a.kase, 3);
    cr_assert_eq(a.nc, 300);
    cr_assert_eq(a.data, b + 7);
    b[307] = 0x00;
    b[308] = 0x00;
    cr_assert_eq(cos_apdu_parse(&a, b, 309), 0);
    cr_assert_eq(a.kase, 4);
    cr_assert_eq(a.ne, 65536);
    b[308] = 0x10;
    cr_assert_eq(cos_apdu_parse(&a, b, 309), 0);
    cr_assert_eq(a.ne, 16);
    /* 65535 data bytes, the extended maximum. */
    static uint8_t big[7 + 65535 + 2];
    big[4] = 0;
    big[5] = 0xFF;
    big[6] = 0xFF;
    cr_assert_eq(cos_apdu_parse(&a, big, 7 + 65535), 0);
    cr_assert_eq(a.nc, 65535);
    cr_assert_eq(cos_apdu_parse(&a, big, sizeof big), 0);
    cr_assert_eq(a.kase, 4);
}

Test(apdu, malformed)
{
    uint8_t b[16] = {0x00, 0xD6, 0x00, 0x00, 0x03, 1, 2, 3, 4, 5, 6};
    cr_assert_eq(parse_rc(b, 3), COS_ERR_APDU);                     /* shorter than a header */
    cr_assert_eq(parse_rc(b, 7), COS_ERR_APDU);                     /* Lc 3, 2 bytes of data */
    cr_assert_eq(parse_rc(b, 10), COS_ERR_APDU);                    /* Lc 3, 5 bytes after */
    uint8_t e[] = {0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01}; /* extended Lc 0 */
    cr_assert_eq(parse_rc(e, sizeof e), COS_ERR_APDU);
    uint8_t f[] = {0x00, 0xB0, 0x00, 0x00, 0x00, 0x01}; /* 6 bytes, 00 first */
    cr_assert_eq(parse_rc(f, sizeof f), COS_ERR_APDU);
    uint8_t g[] = {0x00, 0xD6, 0x00, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB, 0x00}; /* 4E, 1 Le byte */
    cr_assert_eq(parse_rc(g, sizeof g), COS_ERR_APDU);
}

Test(apdu, encode_roundtrip)
{
    uint8_t data[400], buf[500];
    size_t n;
    cos_apdu a = {0x80, 0x10, 1, 2, 0, 0, 0, 0, 0, 0, NULL}, b;
    memset(data, 0x33, sizeof data);
    const struct {
        uint16_t nc;
        uint32_t ne;
        size_t len;
    } v[] = {{0, 0, 4},    {0, 1, 5},    {0, 256, 5},   {0, 257, 7},   {0, 65536, 7},    {5, 0, 10},
             {5, 256, 11}, {5, 300, 14}, {255, 0, 260}, {256, 0, 263}, {300, 65536, 309}};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        a.nc = v[i].nc;
        a.ne = v[i].ne;
        a.data = a.nc ? data : NULL;
        cr_assert_eq(cos_apdu_encode(&a, buf, sizeof buf, &n), 0);
        cr_assert_eq(n, v[i].len, "case %zu: %zu", i, n);
        cr_assert_eq(cos_apdu_parse(&b, buf, n), 0);
        cr_assert_eq(b.nc, a.nc);
        cr_assert_eq(b.ne, a.ne);
    }
    a.ne = 65537;
    cr_assert_eq(cos_apdu_encode(&a, buf, sizeof buf, &n), COS_ERR_PARAM);
    a.ne = 0;
    a.nc = 300;
    cr_assert_eq(cos_apdu_encode(&a, buf, 10, &n), COS_ERR_BUFFER);
}

Test(apdu, card_answers_malformed_with_6700)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "00A4"), 0x6700);
    cr_assert_eq(tc_tx(&t, "00D6000003AABB"), 0x6700);
    cr_assert_eq(tc_tx(&t, "00D600000000"), 0x6700); /* 6 bytes starting 00: no case */
    tc_close(&t);
}

Test(apdu, extended_read_and_update)
{
    uint8_t cmd[400];
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    /* UPDATE BINARY of 300 bytes (extended Lc) into EF 0006, then read it back with
     * extended Le, and with Le 0000 (all). */
    cmd[0] = 0x00;
    cmd[1] = 0xD6;
    cmd[2] = 0x86; /* SFI 6 */
    cmd[3] = 0x00;
    cmd[4] = 0x00;
    cmd[5] = 0x01;
    cmd[6] = 0x2C;
    for (int i = 0; i < 300; i++)
        cmd[7 + i] = (uint8_t)i;
    cr_assert_eq(tc_txb(&t, cmd, 307), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0 8600 00012C"), 0x9000);
    cr_assert_eq(t.rsplen, 300);
    cr_assert_eq(t.rsp[299], (uint8_t)299);
    cr_assert_eq(tc_tx(&t, "00B0 0064 000000"), 0x9000); /* offset 100, all the rest */
    cr_assert_eq(t.rsplen, 200);
    cr_assert_eq(t.rsp[0], 100);
    cr_assert_eq(tc_tx(&t, "00B0 0064 0000C9"), 0x6282); /* 201 asked, 200 there */
    cr_assert_eq(t.rsplen, 200);
    /* Short Le 00 reads at most 256. */
    cr_assert_eq(tc_tx(&t, "00B0 0000 00"), 0x9000);
    cr_assert_eq(t.rsplen, 256);
    tc_close(&t);
}
