/* obol card OS tests: the default card powers on and answers. */
#include <criterion/criterion.h>

#include "cos_test.h"

Test(smoke, select_read)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0810000"), 0x9000);
    cr_assert_eq(t.rsplen, 32);
    cr_assert_eq(tc_tx(&t, "00A4040007F06F626F6C410100"), 0x9000, "sw %04x", t.sw);
    cr_assert_eq(tc_tx(&t, "802400 0001"), 0x9000);
    tc_close(&t);
}
