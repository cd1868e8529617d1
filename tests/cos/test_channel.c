/* obol card OS tests: logical channels (MANAGE CHANNEL, two applications selected at
 * once, per-channel state) and T=0 response chaining / Le handling. */
#include <criterion/criterion.h>

#include "cos_test.h"

#define SEL_A "00A4040007F06F626F6C4101"
#define SEL_B "00A4040007F06F626F6C4201"

Test(channel, open_select_two_apps_close)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "0070000001"), 0x9000);
    cr_assert(tc_data_is(&t, "01"), "the card picks channel 1");
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "01A4040007F06F626F6C4201"), 0x9000);
    cr_assert_eq(tc_tx(&t, "8026000000"), 0x9000);
    cr_assert(tc_data_is(&t, "F06F626F6C4101"), "channel 0 talks to A");
    cr_assert_eq(tc_tx(&t, "8126000000"), 0x9000);
    cr_assert(tc_data_is(&t, "F06F626F6C4201"), "channel 1 talks to B");
    /* Transient RAM is per channel. */
    cr_assert_eq(tc_tx(&t, "8022000008 1111111111111111"), 0x9000);
    cr_assert_eq(tc_tx(&t, "8122000008 2222222222222222"), 0x9000);
    cr_assert_eq(tc_tx(&t, "8022010000"), 0x9000);
    cr_assert(tc_data_is(&t, "1111111111111111"));
    cr_assert_eq(tc_tx(&t, "8122010000"), 0x9000);
    cr_assert(tc_data_is(&t, "2222222222222222"));
    /* A is not multi-selectable. */
    cr_assert_eq(tc_tx(&t, "01A4040007F06F626F6C4101"), 0x6985);
    cr_assert_eq(tc_tx(&t, "8126000000"), 0x9000, "a refused SELECT changes nothing");
    cr_assert(tc_data_is(&t, "F06F626F6C4201"));
    /* Current files are per channel too. */
    cr_assert_eq(tc_tx(&t, "01A40000020001"), 0x9000);
    cr_assert_eq(tc_tx(&t, "01B0000004"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0000004"), 0x6986);
    cr_assert_eq(tc_tx(&t, "0070800100"), 0x6700, "close has no Le");
    cr_assert_eq(tc_tx(&t, "00708001"), 0x9000);
    cr_assert_eq(tc_tx(&t, "01B0000004"), 0x6881, "closed");
    cr_assert_eq(tc_tx(&t, "00708000"), 0x6A86, "the basic channel cannot be closed");
    tc_close(&t);
}

Test(channel, assignment_rules)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "00700002"), 0x9000, "the terminal picks channel 2");
    cr_assert_eq(tc_tx(&t, "00700002"), 0x6A86, "already open");
    cr_assert_eq(tc_tx(&t, "00700005"), 0x6881);
    cr_assert_eq(tc_tx(&t, "00700000"), 0x6700, "card-assigned needs Le 01");
    cr_assert_eq(tc_tx(&t, "0070000001"), 0x9000);
    cr_assert(tc_data_is(&t, "01"));
    cr_assert_eq(tc_tx(&t, "0070000001"), 0x9000);
    cr_assert(tc_data_is(&t, "03"));
    cr_assert_eq(tc_tx(&t, "0070000001"), 0x6A81, "no free channel");
    cr_assert_eq(tc_tx(&t, "00704000"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "03708000"), 0x9000, "P2 00 closes the channel of CLA");
    cr_assert_eq(tc_tx(&t, "03B0810001"), 0x6881);
    /* Opening from a channel inherits its current DF. */
    cr_assert_eq(tc_tx(&t, "02A40000021000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0270000001"), 0x9000);
    cr_assert(tc_data_is(&t, "03"));
    cr_assert_eq(tc_tx(&t, "03B0810008"), 0x9000, "SFI 1 of DF 1000");
    cr_assert_eq(t.rsplen, 8);
    tc_reset(&t, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "02B0810001"), 0x6881, "a reset closes every channel");
    tc_close(&t);
}

Test(channel, select_counts_and_deselect)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x9000);
    cr_assert(tc_data_is(&t, "01"));
    cr_assert_eq(tc_tx(&t, "8022000001 77"), 0x9000);
    cr_assert_eq(tc_tx(&t, SEL_B), 0x9000);
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "8022010000"), 0x9000);
    cr_assert(tc_data_is(&t, "0000000000000000"), "RAM cleared on reselection");
    cr_assert_eq(tc_tx(&t, "00A40000020102"), 0x9000, "an EF of the ADF keeps A selected");
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A4000002 3F00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x6E00, "the MF deselected it");
    tc_close(&t);
}

Test(t0, get_response_chaining)
{
    tcard t;
    tc_open(&t, COS_OPT_T0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, SEL_A), 0x610B, "case 3 on T=0: 61xx");
    cr_assert_eq(t.rsplen, 0);
    cr_assert_eq(tc_tx(&t, "00C0000005"), 0x6C0B, "T=0 wants the exact length");
    cr_assert_eq(tc_tx(&t, "00C000000B"), 0x9000);
    cr_assert(tc_data_is(&t, "6F09 8407F06F626F6C4101"));
    cr_assert_eq(tc_tx(&t, "00C000000B"), 0x6985, "nothing pending");
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x6106);
    cr_assert_eq(tc_tx(&t, "00B0810004"), 0x9000, "another command drops it");
    cr_assert_eq(tc_tx(&t, "00C0000006"), 0x6985);
    cr_assert_eq(tc_tx(&t, "00B0810010"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0001E04"), 0x6C02, "case 2: Le must match");
    cr_assert_eq(tc_tx(&t, "00B0001E02"), 0x9000);
    cr_assert_eq(tc_tx(&t, "0088000108 0102030405060708"), 0x6108, "case 4 as case 3");
    cr_assert_eq(tc_tx(&t, "00C0000008"), 0x9000);
    cr_assert_eq(t.rsplen, 8);
    cr_assert_eq(tc_tx(&t, "00B2011400"), 0x6C10, "Le 00 is 256 on T=0");
    cr_assert_eq(tc_tx(&t, "00B2011410"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x6106);
    cr_assert_eq(tc_tx(&t, "00C0010006"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "00C0000004"), 0x6C06);
    /* The contactless interface never uses T=0 chaining. */
    tc_reset(&t, COS_IF_CONTACTLESS);
    cr_assert_eq(tc_tx(&t, "00A40000023F0000"), 0x9000);
    cr_assert_eq(t.rsplen, 6);
    tc_close(&t);
}

Test(t0, t1_le_rules)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x9000, "no Le: no data on T=1");
    cr_assert_eq(t.rsplen, 0);
    cr_assert_eq(tc_tx(&t, "00A40000023F0003"), 0x6C06, "Le shorter than the FCI");
    cr_assert_eq(tc_tx(&t, "00A40000023F0010"), 0x9000, "Le longer: what there is");
    cr_assert_eq(t.rsplen, 6);
    cr_assert_eq(tc_tx(&t, "00C0000006"), 0x6985);
    tc_close(&t);
}
