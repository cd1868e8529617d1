/* obol card OS tests: applets: proprietary commands, hand-back to the OS, the
 * firewall, shareable interfaces, transactions, faults, instance management. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cos_test.h"

#define SEL_A "00A4040007F06F626F6C4101"
#define SEL_B "00A4040007F06F626F6C4201"

static tcard t;

static void setup(void)
{
    tc_open(&t, 0, COS_IF_CONTACT);
}

static void teardown(void)
{
    tc_close(&t);
}

TestSuite(applet, .init = setup, .fini = teardown);

/* The object id of data object 0001 of the instance with AID. */
static cos_oid obj_of(const uint8_t *aid, size_t len)
{
    cos_app_info info;
    cr_assert_eq(cos_app_find(&t.card, aid, len, &info), 0);
    cos_ctx x = {&t.card, info.oid, 0xFF, NULL};
    cos_obj o;
    cr_assert_eq(cos_obj_open(&x, 0x0001, &o), 0);
    return o.oid;
}

static cos_oid ef_of(const uint8_t *aid, size_t len, uint16_t fid)
{
    cos_app_info info;
    cr_assert_eq(cos_app_find(&t.card, aid, len, &info), 0);
    cos_ctx x = {&t.card, info.oid, 0xFF, NULL};
    cos_ef e;
    cr_assert_eq(cos_ef_open(&x, fid, &e), 0);
    return e.oid;
}

static const uint8_t aid_a[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x41, 0x01};
static const uint8_t aid_b[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x01};

Test(applet, proprietary_and_handback)
{
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "8012000100"), 0x9000);
    cr_assert(tc_data_is(&t, "41"), "install parameter 'A'");
    cr_assert_eq(tc_tx(&t, "8010123404 DEADBEEF"), 0x9000);
    cr_assert_eq(tc_tx(&t, "8012123400"), 0x9000);
    cr_assert(tc_data_is(&t, "DEADBEEF"));
    cr_assert_eq(tc_tx(&t, "8010123402 0102"), 0x6A80);
    cr_assert_eq(tc_tx(&t, "8012999900"), 0x6A88);
    cr_assert_eq(tc_tx(&t, "80FF000000"), 0x6D00, "the applet's own 6D00");
    cr_assert_eq(tc_tx(&t, "00B0820004"), 0x9000, "ISO command handed back to the OS");
    cr_assert_eq(tc_tx(&t, "00CA000000"), 0x6D00);
}

Test(applet, fault_maps_to_6f00_and_is_recorded)
{
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "802E0000"), 0x6F00);
    cos_fault f = cos_last_fault(&t.card);
    cr_assert_eq(f.err, COS_ERR_APPLET);
    cr_assert_eq(f.ins, 0x2E);
    cr_assert_eq(f.count, 1);
    cr_assert_eq(tc_tx(&t, "8024000001"), 0x9000, "the card goes on");
}

Test(applet, transactions)
{
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "801C002001 11"), 0x9000, "commit");
    cr_assert_eq(tc_tx(&t, "8012002000"), 0x9000);
    cr_assert(tc_data_is(&t, "1111"));
    cr_assert_eq(tc_tx(&t, "801C012001 22"), 0x9000, "abort");
    cr_assert_eq(tc_tx(&t, "8012002000"), 0x9000);
    cr_assert(tc_data_is(&t, "1111"));
    cr_assert_eq(tc_tx(&t, "801C022001 33"), 0x9000, "left open: the OS aborts");
    cr_assert_eq(tc_tx(&t, "8012002000"), 0x9000);
    cr_assert(tc_data_is(&t, "1111"));
    cr_assert_eq(tc_tx(&t, "801C032001 44"), 0x6F00, "fault: aborted");
    cr_assert_eq(tc_tx(&t, "8012002000"), 0x9000);
    cr_assert(tc_data_is(&t, "1111"));
    cr_assert_eq(tc_tx(&t, "8020000004 00000010 00"), 0x9000);
    cr_assert(tc_data_is(&t, "00000010"));
    cr_assert_eq(tc_tx(&t, "8020000004 00000005 00"), 0x9000);
    cr_assert(tc_data_is(&t, "00000015"));
    cr_assert_eq(tc_tx(&t, "00B2010C00"), 0x9000, "the log's newest record");
    cr_assert(tc_data_is(&t, "0000001500000005"));
}

Test(applet, firewall_refuses_foreign_objects)
{
    char cmd[64];
    cos_oid mine = obj_of(aid_a, sizeof aid_a), theirs = obj_of(aid_b, sizeof aid_b);
    cos_oid their_ef = ef_of(aid_b, sizeof aid_b, 0x0102);
    cr_assert_eq(tc_tx(&t, SEL_B), 0x9000);
    cr_assert_eq(tc_tx(&t, "00D6820004 CAFEBABE"), 0x9000, "B's own EF");
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    snprintf(cmd, sizeof cmd, "8014000002%04X", mine);
    cr_assert_eq(tc_tx(&t, cmd), 0x9000, "A reads its own object through a handle");
    snprintf(cmd, sizeof cmd, "8014000002%04X", theirs);
    cr_assert_eq(tc_tx(&t, cmd), 0x6982, "A cannot read B's object");
    snprintf(cmd, sizeof cmd, "8014000002%04X", theirs + 1);
    cr_assert_eq(tc_tx(&t, cmd), 0x6982, "nor a forged id inside it");
    snprintf(cmd, sizeof cmd, "8016000002%04X", their_ef);
    cr_assert_eq(tc_tx(&t, cmd), 0x6982, "nor B's EF");
    snprintf(cmd, sizeof cmd, "8016000002%04X", ef_of(aid_a, sizeof aid_a, 0x0102));
    cr_assert_eq(tc_tx(&t, cmd), 0x9000, "its own EF is fine");
    snprintf(cmd, sizeof cmd, "8014000002%04X", cos_perso_mf(&t.card));
    cr_assert_eq(tc_tx(&t, cmd), 0x6982, "nor the OS's objects");
    /* The OS-level API refuses directly, too. */
    cos_app_info a;
    cr_assert_eq(cos_app_find(&t.card, aid_a, sizeof aid_a, &a), 0);
    cos_ctx x = {&t.card, a.oid, 0xFF, NULL};
    cos_obj o = {theirs, 1};
    uint8_t b;
    cr_assert_eq(cos_obj_read(&x, &o, 0, &b, 1), COS_ERR_ACCESS);
    cr_assert_eq(cos_obj_write(&x, &o, 0, &b, 1), COS_ERR_ACCESS);
    cr_assert_eq(cos_obj_delete(&x, &o), COS_ERR_ACCESS);
    cos_key k;
    cr_assert_eq(cos_key_find(&x, COS_KEY_SM_MAC, 1, -1, &k), 0, "A's own key");
    cos_app_info bi;
    cr_assert_eq(cos_app_find(&t.card, aid_b, sizeof aid_b, &bi), 0);
    cos_ctx y = {&t.card, bi.oid, 0xFF, NULL};
    uint8_t v[16];
    cr_assert_eq(cos_key_read(&y, &k, v, sizeof v), COS_ERR_ACCESS, "B cannot use A's key");
    cr_assert_eq(cos_key_find(&y, COS_KEY_SM_MAC, 1, -1, &k), COS_ERR_NOT_FOUND);
}

Test(applet, shareable_interface_needs_a_grant)
{
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "801A010007 F06F626F6C4201 00"), 0x6982, "no grant");
    cr_assert_eq(tc_tx(&t, "801A010007 F06F626F6C4301 00"), 0x6A82, "no server");
    cr_assert_eq(tc_tx(&t, SEL_B), 0x9000);
    cr_assert_eq(tc_tx(&t, "8018010007 F06F626F6C4101"), 0x9000, "B grants A interface 1");
    cr_assert_eq(tc_tx(&t, "801A010007 F06F626F6C4101 00"), 0x6982, "A granted B nothing");
    cr_assert_eq(tc_tx(&t, SEL_A), 0x9000);
    cr_assert_eq(tc_tx(&t, "801A010007 F06F626F6C4201 00"), 0x9000);
    cr_assert(tc_data_is(&t, "42 F06F626F6C4101"), "B's data and the client AID it saw");
    cr_assert_eq(tc_tx(&t, "801A020007 F06F626F6C4201 00"), 0x6982, "interface 2 not granted");
}

Test(applet, instance_management)
{
    static const uint8_t aid_c[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x43, 0x01};
    cos_inst_spec s = {{0x2200, aid_c, sizeof aid_c, NULL, 0},
                       TESTAPP_CLASS,
                       (const uint8_t *)"C",
                       1,
                       0,
                       {0, 0, 0},
                       0};
    cos_app_info info;
    cos_oid c, oid = 0;
    int n = 0;
    cr_assert_eq(cos_inst_create(&t.card, cos_perso_mf(&t.card), &s, &c), 0);
    cr_assert_eq(cos_inst_create(&t.card, cos_perso_mf(&t.card), &s, NULL), COS_ERR_EXISTS);
    s.class_id = 0x7FFE;
    cr_assert_eq(cos_inst_create(&t.card, cos_perso_mf(&t.card), &s, NULL), COS_ERR_NOT_FOUND);
    while (cos_app_next(&t.card, &oid, &info) == 0)
        n++;
    cr_assert_eq(n, 3);
    cr_assert_eq(tc_tx(&t, "00A4040007F06F626F6C4301"), 0x9000);
    cr_assert_eq(cos_inst_delete(&t.card, c), COS_ERR_TXN_STATE, "selected");
    cr_assert_eq(tc_tx(&t, "00A40000023F00"), 0x9000);
    cr_assert_eq(cos_app_set_gp_lcs(&t.card, c, COS_GP_SELECTABLE | COS_GP_LOCKED), 0);
    cr_assert_eq(tc_tx(&t, "00A4040007F06F626F6C4301"), 0x6A82, "locked");
    cr_assert_eq(cos_inst_delete(&t.card, c), 0);
    cr_assert_eq(tc_tx(&t, "00A4040007F06F626F6C4301"), 0x6A82);
    cr_assert_eq(cos_app_find(&t.card, aid_c, sizeof aid_c, &info), COS_ERR_NOT_FOUND);
    /* Space is reused: create and delete many times. */
    s.class_id = TESTAPP_CLASS;
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(cos_inst_create(&t.card, cos_perso_mf(&t.card), &s, &c), 0, "round %d", i);
        cr_assert_eq(cos_inst_delete(&t.card, c), 0);
    }
}
