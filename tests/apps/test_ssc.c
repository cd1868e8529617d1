/*
 * obol social security application tests: the rights of each role (hospital, pharmacy,
 * cardholder PIN), each refused outside its rights with the status word the card OS
 * gives; EXTERNAL AUTHENTICATE and its try counter; the medical account's settlements
 * through APDUs with the hospital's and the pharmacy's PSAMs (MAC1/MAC2/TAC checked by
 * the host with OpenSSL) and the fund's load; visit records appended by a hospital;
 * install parameters. Rights table and layout: cardsim/applets/ssc/ssc.h.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "apps_test.h"
#include "obol/cos_perso.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "ssc/ssc.h"

/* Commands by short EF identifier (ssc.h). */
#define READ_PERSONAL  "00 B0 85 00 00"
#define READ_INSURANCE "00 B0 86 00 00"
#define READ_VISIT(n)  "00 B2 0" #n " CC 00"
#define READ_RX(n)     "00 B2 0" #n " D4 00"
#define APPEND_VISIT   0xC8
#define APPEND_RX      0xD0
#define VERIFY_PIN     "00 20 00 01 03 123456"

static at_card card;

static void open_ssc(const char *profile)
{
    at_open(&card, profile, 0);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
}

static void close_card(void)
{
    at_close(&card);
}

static uint16_t hospital(void)
{
    int sw = at_role_auth(&card.card, 0, SSC_KID_HOSPITAL, at_ssc_hosp_role, 0);
    cr_assert_geq(sw, 0);
    return (uint16_t)sw;
}

static uint16_t pharmacy(void)
{
    int sw = at_role_auth(&card.card, 0, SSC_KID_PHARMACY, at_ssc_pharm_role, 0);
    cr_assert_geq(sw, 0);
    return (uint16_t)sw;
}

/* APPEND RECORD of a 48-byte record whose byte 0 is TAG on the file of P2. */
static uint16_t append(uint8_t p2, uint8_t tag)
{
    return at_txf(&card, NULL, NULL, "00 E2 00 %02X 30 %02X%094d", p2, tag, 0);
}

/* Every role-gated read and write refused with 6982 (the OS's answer). */
static void nothing_but(int personal, int insurance, int visits, int rx_read, int writes)
{
    cr_expect_eq(at_tx(&card, READ_PERSONAL, NULL, NULL), personal ? 0x9000 : 0x6982);
    cr_expect_eq(at_tx(&card, READ_INSURANCE, NULL, NULL), insurance ? 0x9000 : 0x6982);
    cr_expect_eq(at_tx(&card, READ_VISIT(1), NULL, NULL), visits ? 0x9000 : 0x6982);
    cr_expect_eq(at_tx(&card, READ_RX(1), NULL, NULL), rx_read ? 0x9000 : 0x6982);
    cr_expect_eq(append(APPEND_VISIT, 0x11), writes ? 0x9000 : 0x6982);
    cr_expect_eq(append(APPEND_RX, 0x22), writes ? 0x9000 : 0x6982);
}

Test(ssc, rights_of_each_role, .fini = close_card)
{
    uint8_t r[80];
    size_t n = 0;

    open_ssc("ssc");
    /* A hospital puts one visit and one prescription on the card first. */
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(append(APPEND_VISIT, 0x11), 0x9000);
    cr_assert_eq(append(APPEND_RX, 0x22), 0x9000);
    nothing_but(0, 1, 1, 1, 1);
    cr_assert_eq(at_tx(&card, READ_VISIT(1), r, &n), 0x9000);
    cr_assert_eq(n, SSC_VISIT_LEN);
    cr_assert_eq(r[0], 0x11);

    /* No role, no PIN: nothing. */
    at_reset(&card);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    nothing_but(0, 0, 0, 0, 0);
    /* The cardholder's PIN opens the personal information and the insurance status. */
    cr_assert_eq(at_tx(&card, "00 20 00 01 03 111111", NULL, NULL), 0x63C2);
    cr_assert_eq(at_tx(&card, VERIFY_PIN, NULL, NULL), 0x9000);
    nothing_but(1, 1, 0, 0, 0);
    cr_assert_eq(at_tx(&card, READ_PERSONAL, r, &n), 0x9000);
    cr_assert_eq(n, SSC_PERSONAL_LEN);
    cr_assert_eq(memcmp(r, "ZHANG SAN", 9), 0);
    /* The pharmacy: prescriptions (read) and the insurance status, nothing else. VERIFY
     * P1 FF forgets the PIN (ISO/IEC 7816-4). */
    cr_assert_eq(at_tx(&card, "00 20 FF 01", NULL, NULL), 0x9000);
    cr_assert_eq(pharmacy(), 0x9000);
    nothing_but(0, 1, 0, 1, 0);
    cr_assert_eq(at_tx(&card, READ_RX(1), r, &n), 0x9000);
    cr_assert_eq(r[0], 0x22);
    cr_assert_eq(at_tx(&card, READ_INSURANCE, r, &n), 0x9000);
    cr_assert_eq(n, SSC_INSURANCE_LEN);
    cr_assert_eq(r[1], 0x01, "insured, active");
    /* The hospital: visits and prescriptions, read and append, and the insurance. */
    cr_assert_eq(hospital(), 0x9000);
    nothing_but(0, 1, 1, 1, 1);
    /* PIN and role together: the union. */
    cr_assert_eq(at_tx(&card, VERIFY_PIN, NULL, NULL), 0x9000);
    nothing_but(1, 1, 1, 1, 1);
}

Test(ssc, role_is_cleared_by_failure_reselection_and_reset, .fini = close_card)
{
    open_ssc("ssc");
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(append(APPEND_VISIT, 1), 0x9000);
    /* A failed authentication leaves no role, whatever the role was. */
    cr_assert_eq(at_role_auth(&card.card, 0, SSC_KID_PHARMACY, at_ssc_pharm_role, 1), 0x63C4);
    cr_assert_eq(append(APPEND_VISIT, 2), 0x6982);
    /* A new authentication replaces the role. */
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(pharmacy(), 0x9000);
    cr_assert_eq(append(APPEND_VISIT, 3), 0x6982, "the pharmacy replaced the hospital");
    /* Selecting another DF and a reset clear it. Selecting the application it is in
     * again does not (the card OS does not deselect it, as it keeps the PIN). */
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(append(APPEND_VISIT, 4), 0x9000);
    cr_assert_eq(at_tx(&card, "00 A4 00 0C 02 3F00", NULL, NULL), 0x9000);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(append(APPEND_VISIT, 5), 0x6982);
    cr_assert_eq(hospital(), 0x9000);
    at_reset(&card);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(append(APPEND_VISIT, 6), 0x6982);
}

Test(ssc, external_authenticate_errors_and_try_counter, .fini = close_card)
{
    int i;

    open_ssc("ssc");
    cr_assert_eq(at_tx(&card, "00 82 00 01 04 01020304", NULL, NULL), 0x6984, "no challenge");
    cr_assert_eq(at_tx(&card, "00 84 00 00 08", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&card, "00 82 01 01 04 01020304", NULL, NULL), 0x6A86, "P1 00 only");
    cr_assert_eq(at_tx(&card, "00 82 00 01 08 0102030405060708", NULL, NULL), 0x6700);
    /* Key number 3 is no role: the card OS answers (no EXTERNAL AUTHENTICATE key 3). */
    cr_assert_eq(at_tx(&card, "00 84 00 00 08", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&card, "00 82 00 03 08 0102030405060708", NULL, NULL), 0x6A88);
    /* Wrong cryptograms count down the role key's 5 tries; a success restores them. */
    for (i = 4; i >= 1; i--)
        cr_assert_eq(at_role_auth(&card.card, 0, 1, at_ssc_hosp_role, 1), 0x63C0 | i);
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(at_role_auth(&card.card, 0, 1, at_ssc_hosp_role, 1), 0x63C4, "restored");
    for (i = 3; i >= 1; i--)
        cr_assert_eq(at_role_auth(&card.card, 0, 1, at_ssc_hosp_role, 1), 0x63C0 | i);
    cr_assert_eq(at_role_auth(&card.card, 0, 1, at_ssc_hosp_role, 1), 0x6983, "blocked");
    cr_assert_eq(hospital(), 0x6983, "even the right key");
    cr_assert_eq(pharmacy(), 0x9000, "the other role's key is its own");
    /* The wrong role's key for a role: a wrong cryptogram. */
    cr_assert_eq(at_role_auth(&card.card, 0, SSC_KID_PHARMACY, at_ssc_hosp_role, 0), 0x63C4);
}

/* One settlement of AMOUNT with key index KID through the PSAM of PROFILE. */
static at_purchase settle(const char *psam_profile, uint8_t kid, uint32_t amount)
{
    at_card psam;
    at_purchase p;

    memset(&p, 0, sizeof p);
    p.kid = kid;
    p.amount = amount;
    at_unhex("20261122", p.date, 4);
    at_unhex("103000", p.time, 3);
    p.mpk = kid == SSC_KID_HOSPITAL ? at_ssc_hosp_mpk : at_ssc_pharm_mpk;
    p.mtk = at_ssc_mtk;
    at_open(&psam, at_path(psam_profile), 16384);
    cr_assert_geq(at_purchase_run(&card.card, &psam.card, &p), 0);
    at_close(&psam);
    return p;
}

Test(ssc, medical_account_settlements, .fini = close_card)
{
    uint8_t log[32];
    size_t n = 0;
    at_purchase p;

    open_ssc("ssc");
    /* The fund tops the account up: a PBOC load, no role (the host's MAC2 decides). */
    cr_assert_eq(at_load_run(&card.card, at_ssc_mlk, at_ssc_mtk, 5000, NULL), 0);
    cr_assert_eq(at_balance(&card), 5000);

    /* Without a role, or with the PIN alone: refused before any MAC. */
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 100);
    cr_assert_eq(p.stage, 1);
    cr_assert_eq(p.sw, 0x6982);
    cr_assert_eq(at_tx(&card, VERIFY_PIN, NULL, NULL), 0x9000);
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 100);
    cr_assert_eq(p.sw, 0x6982);
    /* The hospital without the cardholder's PIN: refused. */
    at_reset(&card);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(hospital(), 0x9000);
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 100);
    cr_assert_eq(p.sw, 0x6982);
    /* The hospital with the PIN: settled, verified by the host. */
    cr_assert_eq(at_tx(&card, VERIFY_PIN, NULL, NULL), 0x9000);
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 1200);
    cr_assert_eq(p.stage, 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified, "the host verifies MAC1, MAC2 and TAC");
    cr_assert_eq(at_balance(&card), 3800);
    /* The hospital cannot use the pharmacies' key index, nor an index without a role. */
    p = settle("psam-pharmacy", SSC_KID_PHARMACY, 100);
    cr_assert_eq(p.sw, 0x6982);
    p = settle("psam-hospital", 3, 100);
    cr_assert_eq(p.sw, 0x6982);

    /* A pharmacy: its own role, the PIN, its own key index and PSAM. */
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(pharmacy(), 0x9000);
    cr_assert_eq(at_tx(&card, VERIFY_PIN, NULL, NULL), 0x9000);
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 100);
    cr_assert_eq(p.sw, 0x6982, "the pharmacy cannot settle as a hospital");
    p = settle("psam-pharmacy", SSC_KID_PHARMACY, 300);
    cr_assert_eq(p.stage, 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified);
    cr_assert_eq(at_balance(&card), 3500);
    /* A hospital PSAM in a pharmacy's role: the card accepts the index, the PSAM has no
     * key of version 02 for it. */
    p = settle("psam-hospital", SSC_KID_PHARMACY, 10);
    cr_assert_eq(p.stage, 2);
    cr_assert_eq(at_balance(&card), 3500);

    /* The log: the pharmacy's settlement, the hospital's, the load. */
    cr_assert_eq(at_tx(&card, "00 B2 01 C4 17", log, &n), 0x9000);
    cr_assert_eq(log[9], PBOC_TT_EP_PURCHASE);
    cr_assert_eq(at_be32(log + 5), 300);
    cr_assert_eq(at_tx(&card, "00 B2 02 C4 17", log, &n), 0x9000);
    cr_assert_eq(at_be32(log + 5), 1200);
    cr_assert_eq(at_tx(&card, "00 B2 03 C4 17", log, &n), 0x9000);
    cr_assert_eq(log[9], PBOC_TT_EP_LOAD);
}

Test(ssc, settlement_on_the_role_alone_when_configured, .fini = close_card)
{
    at_purchase p;

    open_ssc(at_path("ssc-nopin"));
    cr_assert_eq(at_load_run(&card.card, at_ssc_mlk, at_ssc_mtk, 800, NULL), 0);
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 100);
    cr_assert_eq(p.sw, 0x6982, "the role is still needed");
    cr_assert_eq(hospital(), 0x9000);
    p = settle("psam-hospital", SSC_KID_HOSPITAL, 100);
    cr_assert_eq(p.stage, 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified);
    /* This card has no pharmacy role key. */
    cr_assert_eq(pharmacy(), 0x6A88);
}

Test(ssc, visit_records_appended_by_a_hospital, .fini = close_card)
{
    uint8_t r[64];
    size_t n = 0;
    int i;

    open_ssc("ssc");
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(at_tx(&card, READ_VISIT(1), NULL, NULL), 0x6A83, "no visit yet");
    for (i = 1; i <= 12; i++)
        cr_assert_eq(append(APPEND_VISIT, (uint8_t)i), 0x9000);
    /* Cyclic, newest first, the last 10 kept. */
    cr_assert_eq(at_tx(&card, READ_VISIT(1), r, &n), 0x9000);
    cr_assert_eq(r[0], 12);
    cr_assert_eq(at_tx(&card, "00 B2 0A CC 00", r, &n), 0x9000);
    cr_assert_eq(r[0], 3);
    cr_assert_eq(at_tx(&card, "00 B2 0B CC 00", NULL, NULL), 0x6A83);
    cr_assert_eq(at_tx(&card, "00 B2 00 CC 00", NULL, NULL), 0x6A86, "no current record here");
    cr_assert_eq(at_tx(&card, "00 B2 01 CC 10", NULL, NULL), 0x6C30);
    /* Wrong lengths and parameters. */
    cr_assert_eq(at_tx(&card, "00 E2 00 C8 02 0102", NULL, NULL), 0x6700);
    cr_assert_eq(at_txf(&card, NULL, NULL, "00 E2 01 C8 30 %096d", 0), 0x6A86);
    /* The visits survive a reset, and nobody else reads them. */
    at_reset(&card);
    cr_assert_eq(at_select(&card, at_ssc_aid, sizeof at_ssc_aid), 0x9000);
    cr_assert_eq(at_tx(&card, READ_VISIT(1), NULL, NULL), 0x6982);
    cr_assert_eq(pharmacy(), 0x9000);
    cr_assert_eq(at_tx(&card, READ_VISIT(1), NULL, NULL), 0x6982);
    cr_assert_eq(hospital(), 0x9000);
    cr_assert_eq(at_tx(&card, READ_VISIT(1), r, &n), 0x9000);
    cr_assert_eq(r[0], 12);
    /* The current-EF form goes to the card OS, whose access condition is never. */
    cr_assert_eq(at_tx(&card, "00 A4 02 0C 02 0019", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&card, "00 B2 01 04 00", NULL, NULL), 0x6982);
}

static int install(const char *params_hex)
{
    uint8_t params[128], atr[64], aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x53, 0x53, 0x43, 0x01};
    cos_inst_spec spec;
    cos_card_config cfg;
    size_t n;
    int rc;

    memset(&card, 0, sizeof card);
    cr_assert_eq(cos_host_open_mem(&card.host, 8192, 64, 1), 0);
    cos_host_config(&card.host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&card.card, &cfg), 0);
    cr_assert_eq(cos_format(&card.card, NULL), 0);
    cr_assert_eq(cos_power_on(&card.card, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    memset(&spec, 0, sizeof spec);
    spec.df.name = aid;
    spec.df.namelen = sizeof aid;
    spec.class_id = OBOL_CLASS_SSC;
    spec.plen = (uint16_t)at_unhex(params_hex, params, sizeof params);
    spec.params = params;
    rc = cos_inst_create(&card.card, cos_perso_mf(&card.card), &spec, NULL);
    cos_power_off(&card.card);
    cos_host_close(&card.host);
    return rc;
}

Test(ssc, install_parameters)
{
    cr_assert_eq(install(""), 0, "every default");
    cr_assert_eq(install("40 01 20 41 01 01 42 01 00 06 04 00000010"), 0);
    cr_assert_eq(install("40 01 00"), 0x6A80, "at least one visit record");
    cr_assert_eq(install("41 01 FF"), 0x6A80, "254 prescriptions at most");
    cr_assert_eq(install("42 01 02"), 0x6A80, "debit_pin is 0 or 1");
    cr_assert_eq(install("01 01 01"), 0x6A80, "no ED");
    cr_assert_eq(install("08 01 30"), 0x6A80, "no composite purchase");
    cr_assert_eq(install("43 01 00"), 0x6A80, "unknown tag");
    cr_assert_eq(install("06 02 0000"), 0x6A80, "the purse checks its own tags");
}
