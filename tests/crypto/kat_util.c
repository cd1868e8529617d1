/* Tests for the constant-time comparison and the secure wipe. */
#include <criterion/criterion.h>
#include <obol/cos_crypto.h>
#include <string.h>

Test(util, ct_equal)
{
    uint8_t a[64], b[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = (uint8_t)i;
    cr_assert_eq(cos_ct_equal(a, b, 64), 1);
    cr_assert_eq(cos_ct_equal(a, b, 0), 1);
    for (int i = 0; i < 64; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            cr_assert_eq(cos_ct_equal(a, b, 64), 0, "byte %d bit %d", i, bit);
            cr_assert_eq(cos_ct_equal(a, b, (size_t)i), 1, "prefix before byte %d", i);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Every difference value, including 0x80 and 0xff, counts as unequal. */
    for (int v = 1; v < 256; v++) {
        uint8_t x = 0, y = (uint8_t)v;
        cr_assert_eq(cos_ct_equal(&x, &y, 1), 0, "difference %02x", v);
    }
}

Test(util, wipe)
{
    uint8_t buf[37];
    memset(buf, 0xcc, sizeof buf);
    cos_wipe(buf + 1, 35);
    cr_assert_eq(buf[0], 0xcc);
    cr_assert_eq(buf[36], 0xcc);
    for (int i = 1; i < 36; i++)
        cr_assert_eq(buf[i], 0, "byte %d not wiped", i);
    cos_wipe(NULL, 0); /* nothing to do, must not touch the pointer */
}
