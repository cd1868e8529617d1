/* obol card OS tests: SELECT, READ/UPDATE BINARY, READ/UPDATE/APPEND RECORD and their
 * status words (ISO/IEC 7816-4:2020, 11.2-11.4). */
#include <criterion/criterion.h>

#include "cos_test.h"

static tcard t;

static void setup(void)
{
    tc_open(&t, 0, COS_IF_CONTACT);
}

static void teardown(void)
{
    tc_close(&t);
}

TestSuite(fs, .init = setup, .fini = teardown);

Test(fs, select_mf)
{
    cr_assert_eq(tc_tx(&t, "00A40000 00"), 0x9000);
    cr_assert(tc_data_is(&t, "6F04 83023F00"));
    cr_assert_eq(tc_tx(&t, "00A40000023F00 00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A40004023F00 00"), 0x9000);
    cr_assert(tc_data_is(&t, "620A 820138 83023F00 8A0105"), "FCP of the MF");
    cr_assert_eq(tc_tx(&t, "00A4000C023F00"), 0x9000);
    cr_assert_eq(t.rsplen, 0);
}

Test(fs, select_ef_fcp)
{
    cr_assert_eq(tc_tx(&t, "00A4020002 0002 00"), 0x9000);
    cr_assert(tc_data_is(&t, "6215 8205 0221001005 83020002 80020050 880102 8A0105"));
    cr_assert_eq(tc_tx(&t, "00A4000002 0001 00"), 0x9000);
    cr_assert(tc_data_is(&t, "6211 820101 83020001 80020020 880101 8A0105"));
}

Test(fs, select_errors)
{
    cr_assert_eq(tc_tx(&t, "00A4000002 4444 00"), 0x6A82);
    cr_assert_eq(tc_tx(&t, "00A4000003 000100 00"), 0x6700);
    cr_assert_eq(tc_tx(&t, "00A4050002 0001 00"), 0x6A86); /* P1 RFU */
    cr_assert_eq(tc_tx(&t, "00A4001002 0001 00"), 0x6A86); /* P2 RFU bits */
    cr_assert_eq(tc_tx(&t, "00A4000802 0001 00"), 0x6A86); /* FMD */
    cr_assert_eq(tc_tx(&t, "00A4000102 0001 00"), 0x6A86); /* last occurrence */
    cr_assert_eq(tc_tx(&t, "00A4010002 0001 00"), 0x6A82); /* 0001 is not a DF */
    cr_assert_eq(tc_tx(&t, "00A4020002 1000 00"), 0x6A82); /* 1000 is not an EF */
    cr_assert_eq(tc_tx(&t, "00A4030000"), 0x6A82);         /* the MF has no parent */
    cr_assert_eq(tc_tx(&t, "00A4040000"), 0x6700, "a DF name of 0 bytes");
    cr_assert_eq(tc_tx(&t, "00A40400 11 F06F626F6C4101F06F626F6C4101AABBCC"), 0x6700);
    cr_assert_eq(tc_tx(&t, "04A4000002 3F00"), 0x6882);
}

Test(fs, select_df_child_parent_path)
{
    cr_assert_eq(tc_tx(&t, "00A4010002 1000 00"), 0x9000);
    cr_assert(tc_data_is(&t, "6F07 8405D156000001"));
    cr_assert_eq(tc_tx(&t, "00B0810008"), 0x9000, "SFI 1 of DF 1000 is EF 0101");
    cr_assert_eq(t.rsplen, 8);
    cr_assert_eq(tc_tx(&t, "00A4000002 0002 00"), 0x9000, "a child of the parent");
    cr_assert_eq(tc_tx(&t, "00A4000002 1000 00"), 0x9000, "a child of the current DF");
    cr_assert_eq(tc_tx(&t, "00A4000002 1000 00"), 0x9000, "the current DF itself");
    cr_assert_eq(tc_tx(&t, "00A4030000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0810004"), 0x9000);
    cr_assert(tc_data_is(&t, "6F626F6C"), "back at the MF: EF 0001 'obol'");
    cr_assert_eq(tc_tx(&t, "00A40800 04 10000101 00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0000002"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00A40900 02 0001 00"), 0x6A82, "from DF 1000 there is no 0001");
    cr_assert_eq(tc_tx(&t, "00A40800 04 00011000 00"), 0x6A82, "0001 is not a DF");
    cr_assert_eq(tc_tx(&t, "00A40800 03 100001 00"), 0x6700);
}

Test(fs, select_by_name_first_next)
{
    cr_assert_eq(tc_tx(&t, "00A40400 05 F06F626F6C 00"), 0x9000);
    cr_assert(tc_data_is(&t, "6F09 8407F06F626F6C4101"), "first occurrence: A");
    cr_assert_eq(tc_tx(&t, "00A40402 05 F06F626F6C 00"), 0x9000);
    cr_assert(tc_data_is(&t, "6F09 8407F06F626F6C4201"), "next occurrence: B");
    cr_assert_eq(tc_tx(&t, "00A40402 05 F06F626F6C 00"), 0x6A82, "no third");
    cr_assert_eq(tc_tx(&t, "00A40400 05 D156000001 00"), 0x9000, "a plain named DF");
    cr_assert_eq(tc_tx(&t, "00A40400 05 D156000002 00"), 0x6A82);
}

Test(fs, read_binary)
{
    cr_assert_eq(tc_tx(&t, "00B0 8100 04"), 0x9000);
    cr_assert(tc_data_is(&t, "6F626F6C"));
    cr_assert_eq(tc_tx(&t, "00B0 0005 03"), 0x9000, "current EF now 0001");
    cr_assert(tc_data_is(&t, "746573"));
    cr_assert_eq(tc_tx(&t, "00B0 001E 04"), 0x6282, "2 bytes left, 4 asked");
    cr_assert_eq(t.rsplen, 2);
    cr_assert_eq(tc_tx(&t, "00B0 001E 00"), 0x9000, "Le 00: what there is");
    cr_assert_eq(t.rsplen, 2);
    cr_assert_eq(tc_tx(&t, "00B0 0020 01"), 0x6B00);
    cr_assert_eq(tc_tx(&t, "00B0 9F00 01"), 0x6A82, "no SFI 31");
    cr_assert_eq(tc_tx(&t, "00B0 A100 01"), 0x6A86, "P1 b7-b6 RFU");
    cr_assert_eq(tc_tx(&t, "00B0 8200 01"), 0x6981, "a record EF");
    cr_assert_eq(tc_tx(&t, "00B0 8100"), 0x6700, "no Le");
    cr_assert_eq(tc_tx(&t, "00B0 8100 01 00 01"), 0x6700, "Lc present");
    cr_assert_eq(tc_tx(&t, "00A40000 02 1000"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0 0000 01"), 0x6986, "no current EF after selecting a DF");
}

Test(fs, update_binary)
{
    cr_assert_eq(tc_tx(&t, "00D6 8102 03 AABBCC"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B0 0000 06"), 0x9000);
    cr_assert(tc_data_is(&t, "6F62AABBCC74"));
    cr_assert_eq(tc_tx(&t, "00D6 001F 02 0102"), 0x6700, "past the end");
    cr_assert_eq(tc_tx(&t, "00D6 0021 01 01"), 0x6B00);
    cr_assert_eq(tc_tx(&t, "00D6 0000"), 0x6700);
    cr_assert_eq(tc_tx(&t, "00D6 0000 01 01 00"), 0x6700, "Le present");
    cr_assert_eq(tc_tx(&t, "00D6 8500 01 01"), 0x6982, "EF 0005: never");
    cr_assert_eq(tc_tx(&t, "04D6 8100 05 0102030405"), 0x6882, "SM where none is needed");
}

Test(fs, read_record_linear)
{
    cr_assert_eq(tc_tx(&t, "00B2 0114 10"), 0x9000);
    cr_assert(tc_data_is(&t, "01010101010101010101010101010101"));
    cr_assert_eq(tc_tx(&t, "00B2 0214 00"), 0x9000);
    cr_assert_eq(t.rsp[0], 0x02);
    cr_assert_eq(tc_tx(&t, "00B2 0004 00"), 0x9000, "P1 00: current record (2)");
    cr_assert_eq(t.rsp[0], 0x02);
    cr_assert_eq(tc_tx(&t, "00B2 0314 00"), 0x6A83, "3 records of 5 not written");
    cr_assert_eq(tc_tx(&t, "00B2 0114 08"), 0x6C10, "Le shorter than the record");
    cr_assert_eq(tc_tx(&t, "00B2 0114 20"), 0x6282);
    cr_assert_eq(t.rsplen, 16);
    cr_assert_eq(tc_tx(&t, "00B2 0115 00"), 0x6A86, "record mode 101 unsupported");
    cr_assert_eq(tc_tx(&t, "00B2 01FC 00"), 0x6A86, "SFI 11111");
    cr_assert_eq(tc_tx(&t, "00B2 010C 00"), 0x6981, "SFI 1 is transparent");
    cr_assert_eq(tc_tx(&t, "00B2 0144 00"), 0x6A82);
    cr_assert_eq(tc_tx(&t, "00B2 FF14 00"), 0x6A86);
}

Test(fs, append_update_record)
{
    /* EF 0002 needs PIN 1 for writes. */
    cr_assert_eq(tc_tx(&t, "00E2 0010 10 03030303030303030303030303030303"), 0x6982);
    cr_assert_eq(tc_tx(&t, "0020 0001 04 31323334"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00E2 0010 10 03030303030303030303030303030303"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2 0004 00"), 0x9000, "the appended record is current");
    cr_assert_eq(t.rsp[0], 3);
    cr_assert_eq(tc_tx(&t, "00E2 0010 10 04040404040404040404040404040404"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00E2 0010 10 05050505050505050505050505050505"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00E2 0010 10 06060606060606060606060606060606"), 0x6A84, "full");
    cr_assert_eq(tc_tx(&t, "00E2 0010 0F 060606060606060606060606060606"), 0x6700);
    cr_assert_eq(tc_tx(&t, "00E2 0110 10 06060606060606060606060606060606"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "00DC 0114 10 0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2 0114 00"), 0x9000);
    cr_assert_eq(t.rsp[15], 0x0A);
    cr_assert_eq(tc_tx(&t, "00DC 0614 10 0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A"), 0x6A83);
    cr_assert_eq(tc_tx(&t, "00DC 0110 10 0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A"), 0x6A86);
    cr_assert_eq(tc_tx(&t, "00DC 0114 11 0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A0A"), 0x6700);
}

Test(fs, cyclic)
{
    cr_assert_eq(tc_tx(&t, "00B2 011C 00"), 0x6A83, "empty");
    cr_assert_eq(tc_tx(&t, "00E2 0018 08 1111111111111111"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00E2 0018 08 2222222222222222"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2 011C 00"), 0x9000);
    cr_assert_eq(t.rsp[0], 0x22, "record 1 is the newest");
    cr_assert_eq(tc_tx(&t, "00B2 021C 00"), 0x9000);
    cr_assert_eq(t.rsp[0], 0x11);
    cr_assert_eq(tc_tx(&t, "00B2 031C 00"), 0x6A83);
    cr_assert_eq(tc_tx(&t, "00E2 0018 08 3333333333333333"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00E2 0018 08 4444444444444444"), 0x9000, "wraps over the oldest");
    const uint8_t want[] = {0x44, 0x33, 0x22};
    for (int i = 0; i < 3; i++) {
        char cmd[16];
        snprintf(cmd, sizeof cmd, "00B2%02X1C00", i + 1);
        cr_assert_eq(tc_tx(&t, cmd), 0x9000);
        cr_assert_eq(t.rsp[0], want[i], "record %d", i + 1);
    }
    cr_assert_eq(tc_tx(&t, "00B2 041C 00"), 0x6A83);
    cr_assert_eq(tc_tx(&t, "00DC 021C 08 5555555555555555"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2 021C 00"), 0x9000);
    cr_assert_eq(t.rsp[0], 0x55);
}

Test(fs, applet_adf_files_served_by_os)
{
    cr_assert_eq(tc_tx(&t, "00A40400 07 F06F626F6C4101 00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00D6 8200 02 ABCD"), 0x9000, "EF 0102 of the ADF");
    cr_assert_eq(tc_tx(&t, "00B0 8200 02"), 0x9000);
    cr_assert(tc_data_is(&t, "ABCD"));
    cr_assert_eq(tc_tx(&t, "00A40000 02 0101 00"), 0x9000);
    cr_assert_eq(tc_tx(&t, "00B2 0104 00"), 0x6A83, "empty log");
    cr_assert_eq(tc_tx(&t, "00E2 0008 08 0102030405060708"), 0x6982, "log: never");
}
