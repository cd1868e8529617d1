/*
 * obol multi-application card tests (profiles/multiapp.profile): every application
 * selects; files, PINs, purses and keys are each application's own (through APDUs, and
 * through the card OS's applet API, where the firewall refuses another instance's
 * objects, keys and files); applications on different logical channels keep separate
 * state; the issuer security domain opens a GlobalPlatform secure channel.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "apps_test.h"
#include "obol/cos_applet.h"
#include "obol/cos_perso.h"
#include "obol/host_gp.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "ssc/ssc.h"
#include "transit/transit.h"

static at_card card;

static void setup(void)
{
    at_open(&card, "multiapp", 0);
}

static void teardown(void)
{
    at_close(&card);
}

TestSuite(multiapp, .init = setup, .fini = teardown);

/* SELECT by AID with the FCI; checks that tag 84 carries the AID. */
static void select_fci(const uint8_t *aid, size_t len)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00}, r[128];
    size_t n = 0;

    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, aid, len);
    cmd[5 + len] = 0x00;
    cr_assert_eq(at_xtx(&card.card, cmd, 6 + len, r, &n), 0x9000);
    cr_assert_geq(n, 4 + len);
    cr_assert_eq(r[0], 0x6F);
    cr_assert_eq(r[2], 0x84);
    cr_assert_eq(r[3], len);
    cr_assert_eq(memcmp(r + 4, aid, len), 0);
}

Test(multiapp, every_application_selects)
{
    cos_app_info info;
    uint8_t r[64];
    size_t n = 0;

    select_fci(at_pboc_aid, sizeof at_pboc_aid);
    select_fci(at_transit_aid, sizeof at_transit_aid);
    select_fci(at_ssc_aid, sizeof at_ssc_aid);
    /* Each has its own EF 0015: the application type byte tells them apart. */
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B0 95 00 1E", r, &n), 0x9000);
    cr_assert_eq(r[8], 0x03, "PBOC ED+EP");
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B0 95 00 1E", r, &n), 0x9000);
    cr_assert_eq(r[8], TRANSIT_APP_TYPE);
    cr_assert_eq(at_tx(&card, "00 B0 96 00 00", r, &n), 0x9000);
    cr_assert_eq(memcmp(r, "ZHANG SAN", 9), 0, "a registered transit card");
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B0 95 00 1E", r, &n), 0x9000);
    cr_assert_eq(r[8], 0x05);
    /* The issuer security domain: the card manager, privileged as gp_isd_create() makes
     * it. */
    cr_assert_eq(cos_app_find(&card.card, at_isd_aid, sizeof at_isd_aid, &info), 0);
    cr_assert_eq(info.class_id, OBOL_CLASS_GP);
    cr_assert_eq(info.priv[0], 0x9E);
    cr_assert_eq(info.priv[1], 0x7C);
    select_fci(at_isd_aid, sizeof at_isd_aid);
    /* Nothing else answers: an unknown AID. */
    cr_assert_eq(at_tx(&card, "00 A4 04 00 08 A000000632010199 00", NULL, NULL), 0x6A82);
}

/* The ISD opens an SCP03 secure channel (i=70, C-MAC) with its TEST key set (KVN FF),
 * checked by hostsim's GlobalPlatform client; the applications are not its secrets. */
Test(multiapp, issuer_security_domain_opens_a_secure_channel)
{
    host_gp_session s;
    host_gp_keys k;
    uint8_t cmd[64], r[128], hc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t n = 0, m = 0;

    memset(&k, 0, sizeof k);
    for (int i = 0; i < 16; i++)
        k.enc[i] = k.mac[i] = k.dek[i] = (uint8_t)(0x40 + i); /* TEST KEY 404142..4F */
    k.len = 16;
    k.kvn = 0xFF;
    cr_assert_eq(at_select(&card, at_isd_aid, sizeof at_isd_aid), 0x9000);
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP03, 0x70, &k, at_isd_aid, 8), 0);
    cr_assert_eq(host_gp_init_update(&s, hc, cmd, sizeof cmd, &m), 0);
    cr_assert_eq(at_xtx(&card.card, cmd, m, r, &n), 0x9000);
    r[n] = 0x90;
    r[n + 1] = 0x00;
    cr_assert_eq(host_gp_open(&s, r, n + 2, HOST_GP_LEVEL_CMAC, cmd, sizeof cmd, &m), 0,
                 "the card's cryptogram verifies under the TEST key");
    cr_assert_eq(at_xtx(&card.card, cmd, m, r, &n), 0x9000);
    r[n] = 0x90;
    r[n + 1] = 0x00;
    cr_assert_eq(host_gp_confirm(&s, r, n + 2), 0);
    host_gp_session_wipe(&s);
    /* A wrong key set does not open it. */
    k.mac[0] ^= 1;
    k.enc[0] ^= 1;
    cr_assert_eq(at_select(&card, at_isd_aid, sizeof at_isd_aid), 0x9000);
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP03, 0x70, &k, at_isd_aid, 8), 0);
    cr_assert_eq(host_gp_init_update(&s, hc, cmd, sizeof cmd, &m), 0);
    cr_assert_eq(at_xtx(&card.card, cmd, m, r, &n), 0x9000);
    r[n] = 0x90;
    r[n + 1] = 0x00;
    cr_assert_neq(host_gp_open(&s, r, n + 2, HOST_GP_LEVEL_CMAC, cmd, sizeof cmd, &m), 0);
    host_gp_session_wipe(&s);
}

Test(multiapp, files_and_pins_are_each_applications_own)
{
    /* The transit application sees no personal information file. */
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B0 85 00 00", NULL, NULL), 0x6A82);
    cr_assert_eq(at_tx(&card, "00 B2 01 CC 00", NULL, NULL), 0x6A82, "nor visit records");
    /* The PBOC PIN verified in the purse opens the ED there, nothing in the SSC. */
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "80 5C 00 01 04", NULL, NULL), 0x6982, "ED needs the PIN");
    cr_assert_eq(at_tx(&card, "00 20 00 01 03 123456", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&card, "80 5C 00 01 04", NULL, NULL), 0x9000);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B0 85 00 00", NULL, NULL), 0x6982);
    cr_assert_eq(at_tx(&card, "00 20 00 01 03 123456", NULL, NULL), 0x63C2, "another PIN");
    cr_assert_eq(at_tx(&card, "00 20 00 01 03 654321", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B0 85 00 00", NULL, NULL), 0x9000);
    /* Back in the purse, its PIN is no longer verified (another DF was selected), and
     * the SSC's never was. */
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "80 5C 00 01 04", NULL, NULL), 0x6982);
    /* The SSC role keys are not the transit application's. */
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
    cr_assert_eq(at_role_auth(&card.card, 0, SSC_KID_HOSPITAL, at_ssc_hosp_role, 0), 0x6A88);
}

Test(multiapp, purses_and_keys_are_separate)
{
    at_card bank_psam, transit_psam;
    uint8_t rec[48] = {0x01, TRANSIT_TRIP_ENTERED};
    at_purchase p;

    /* Loads with each application's own keys. */
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
    cr_assert_eq(at_load_run(&card.card, at_transit_mlk, at_transit_mtk, 500, NULL), 0);
    cr_assert_eq(at_load_run(&card.card, at_pboc_mlk01, at_pboc_mtk01, 100, NULL), 2,
                 "the bank's load key does not produce the transit purse's MAC1");
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    cr_assert_eq(at_load_run(&card.card, at_pboc_mlk01, at_pboc_mtk01, 800, NULL), 0);
    cr_assert_eq(at_load_run(&card.card, at_transit_mlk, at_transit_mtk, 100, NULL), 2);
    cr_assert_eq(at_balance(&card), 800);
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
    cr_assert_eq(at_balance(&card), 500);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(at_balance(&card), 0);

    /* The bank's PSAM pays with the purse, not with the transit application. */
    at_open(&bank_psam, "psam", 16384);
    at_open(&transit_psam, at_path("psam-transit"), 16384);
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    memset(&p, 0, sizeof p);
    p.kid = 1;
    p.amount = 30;
    at_unhex("20261122", p.date, 4);
    at_unhex("083000", p.time, 3);
    p.mpk = at_pboc_mpk01;
    p.mtk = at_pboc_mtk01;
    p.two_level = 1;
    cr_assert_eq(at_purchase_run(&card.card, &bank_psam.card, &p), 0);
    cr_assert(p.verified);
    cr_assert_eq(at_balance(&card), 770);
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
    p.capp = 1;
    p.rec = rec;
    p.reclen = 48;
    p.rec_p1 = 0x01;
    p.rec_p2 = TRANSIT_CAPP_SFI << 3;
    cr_assert_eq(at_purchase_run(&card.card, &bank_psam.card, &p), 4);
    cr_assert_eq(p.sw, 0x9302, "the bank's MAC1 is not the transit key's");
    p.mpk = at_transit_mpk;
    p.mtk = at_transit_mtk;
    cr_assert_eq(at_purchase_run(&card.card, &transit_psam.card, &p), 0);
    cr_assert(p.verified);
    cr_assert_eq(at_balance(&card), 470);
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    cr_assert_eq(at_balance(&card), 770, "the bank's purse is untouched");
    at_close(&bank_psam);
    at_close(&transit_psam);
}

/* The context the card OS builds for a call into instance AID (cos_applet.h). */
static cos_ctx ctx_of(const uint8_t *aid, size_t len)
{
    cos_app_info info;
    cos_ctx x;

    cr_assert_eq(cos_app_find(&card.card, aid, len, &info), 0);
    x.card = &card.card;
    x.inst = info.oid;
    x.chan = 0xFF;
    x.ram = NULL;
    return x;
}

Test(multiapp, firewall_between_the_applets)
{
    cos_ctx xp = ctx_of(at_pboc_aid, sizeof at_pboc_aid);
    cos_ctx xt = ctx_of(at_transit_aid, sizeof at_transit_aid);
    cos_ctx xs = ctx_of(at_ssc_aid, sizeof at_ssc_aid);
    uint8_t b[16], v1[16], v2[16], m[16];
    cos_obj op, ot;
    cos_key kp, kt, k;
    cos_ef e;
    cos_resp out = {b, sizeof b, 0};

    /* Each instance has its own purse state under the same object id... */
    cr_assert_eq(cos_obj_open(&xp, PBOC_OBJ_STATE, &op), 0);
    cr_assert_eq(cos_obj_open(&xt, PBOC_OBJ_STATE, &ot), 0);
    cr_assert_neq(op.oid, ot.oid);
    /* ...and no other instance reads or writes it. */
    cr_assert_eq(cos_obj_read(&xt, &op, 0, b, 4), COS_ERR_ACCESS);
    cr_assert_eq(cos_obj_write(&xs, &op, 0, b, 4), COS_ERR_ACCESS);
    cr_assert_eq(cos_obj_write_direct(&xs, &ot, 0, b, 1), COS_ERR_ACCESS);
    cr_assert_eq(cos_obj_delete(&xt, &op), COS_ERR_ACCESS);
    /* Keys: the same usage and index, different keys; a handle does not cross. */
    cr_assert_eq(cos_key_find(&xp, PBOC_KEY_PURCHASE, 1, -1, &kp), 0);
    cr_assert_eq(cos_key_find(&xt, PBOC_KEY_PURCHASE, 1, -1, &kt), 0);
    cr_assert_eq(cos_key_read(&xp, &kp, v1, sizeof v1), 16);
    cr_assert_eq(cos_key_read(&xt, &kt, v2, sizeof v2), 16);
    cr_assert_neq(memcmp(v1, v2, 16), 0, "dispersed from different masters");
    cr_assert_eq(cos_key_read(&xt, &kp, v1, sizeof v1), COS_ERR_ACCESS);
    cr_assert_eq(cos_key_mac(&xs, &kt, NULL, b, 8, m), COS_ERR_ACCESS);
    cr_assert_eq(cos_key_cipher(&xp, &kt, 0, NULL, b, m, 8), COS_ERR_ACCESS);
    cr_assert_eq(cos_key_find(&xt, SSC_KEY_ROLE, SSC_KID_HOSPITAL, -1, &k), COS_ERR_NOT_FOUND);
    cr_assert_eq(cos_key_find(&xs, SSC_KEY_ROLE, SSC_KID_HOSPITAL, -1, &k), 0);
    cr_assert_eq(cos_key_failed(&xt, &k), COS_ERR_ACCESS, "nor its try counter");
    /* Files: an instance finds only its own, and cannot use another's handle. */
    cr_assert_eq(cos_ef_open_sfi(&xt, SSC_PERSONAL_SFI, &e), COS_ERR_NOT_FOUND);
    cr_assert_eq(cos_ef_open_sfi(&xs, SSC_PERSONAL_SFI, &e), 0);
    cr_assert_eq(cos_ef_read(&xt, &e, 0, b, 4), COS_ERR_ACCESS);
    cr_assert_eq(cos_ef_open_sfi(&xs, SSC_VISIT_SFI, &e), 0);
    cr_assert_eq(cos_ef_append_record(&xp, &e, b, SSC_VISIT_LEN), COS_ERR_ACCESS);
    cr_assert_eq(cos_ef_open_sfi(&xt, TRANSIT_CAPP_SFI, &e), 0);
    cr_assert_eq(cos_ef_read_record(&xs, &e, 1, b, sizeof b), COS_ERR_ACCESS);
    /* No application grants another its shareable interface. */
    cr_assert_eq(cos_share_call(&xt, at_ssc_aid, sizeof at_ssc_aid, 1, NULL, 0, &out),
                 COS_ERR_ACCESS);
    cr_assert_eq(cos_share_call(&xs, at_pboc_aid, sizeof at_pboc_aid, 1, NULL, 0, &out),
                 COS_ERR_ACCESS);
}

Test(multiapp, applications_on_logical_channels)
{
    uint8_t r[64];
    size_t n = 0;

    /* Channel 1: transit; channel 2: social security with the hospital role; channel 0:
     * the bank's purse. Their commands interleave. */
    cr_assert_eq(at_tx(&card, "00 70 00 00 01", r, &n), 0x9000);
    cr_assert_eq(r[0], 1);
    cr_assert_eq(at_tx(&card, "00 70 00 00 01", r, &n), 0x9000);
    cr_assert_eq(r[0], 2);
    cr_assert_eq(at_tx(&card, "01 A4 04 00 08 A000000632010105 00", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&card, "02 A4 04 00 09 F06F626F6C53534301 00", NULL, NULL), 0x9000);
    cr_assert_eq(at_select(&card, at_pboc_aid, sizeof at_pboc_aid), 0x9000);
    cr_assert_eq(at_role_auth(&card.card, 2, SSC_KID_HOSPITAL, at_ssc_hosp_role, 0), 0x9000);
    cr_assert_eq(at_txf(&card, NULL, NULL, "02 E2 00 C8 30 AB%094d", 0), 0x9000);
    cr_assert_eq(at_tx(&card, "01 B2 02 D0 00", r, &n), 0x9000, "transit on channel 1");
    cr_assert_eq(r[0], 0x02);
    cr_assert_eq(at_tx(&card, "80 5C 00 02 04", r, &n), 0x9000, "the purse on channel 0");
    cr_assert_eq(at_tx(&card, "02 B2 01 CC 00", r, &n), 0x9000, "the role stays on channel 2");
    cr_assert_eq(r[0], 0xAB);
    /* The role is channel 2's: channel 1 (transit) has no visit records, and the SSC is
     * not multi-selectable, so channel 0 cannot select it while channel 2 has it. */
    cr_assert_eq(at_tx(&card, "01 B2 01 CC 00", NULL, NULL), 0x6A82);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x6985);
    /* Closing channel 2 ends its role: the SSC selected again starts without one. */
    cr_assert_eq(at_tx(&card, "00 70 80 02", NULL, NULL), 0x9000);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B2 01 CC 00", NULL, NULL), 0x6982);
    cr_assert_eq(at_txf(&card, NULL, NULL, "00 E2 00 C8 30 CD%094d", 0), 0x6982);
}
