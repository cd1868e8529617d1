/*
 * obol transit application tests: the composite purchase of a trip (entry and exit)
 * through APDUs with the transit operator's PSAM, MAC1/MAC2/TAC checked by the host with
 * OpenSSL; the card types with their discount and validity data; the per-operator
 * records addressed by identifier; install parameters; the purse's refusals through the
 * transit class. Layout and rules: cardsim/applets/transit/transit.h.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps_test.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "transit/transit.h"

#define CAPP_P2_ID  ((TRANSIT_CAPP_SFI << 3) | 0u) /* P1 is a record identifier */
#define CAPP_P2_NUM ((TRANSIT_CAPP_SFI << 3) | 4u) /* P1 is a record number */

static at_card card, psam;

static void open_card(const char *profile)
{
    at_open(&card, profile, 16384);
    at_open(&psam, at_path("psam-transit"), 16384);
    cr_assert_eq(at_select(&card, at_transit_aid, sizeof at_transit_aid), 0x9000);
}

static void close_cards(void)
{
    at_close(&card);
    at_close(&psam);
}

/* An operator record as the gate writes it (transit.h layout). */
static void make_record(uint8_t rec[48], uint8_t id, uint8_t state, const char *station,
                        const uint8_t tid[6], const char *when, uint32_t fare, uint32_t full,
                        uint8_t type)
{
    uint8_t stn[4], t[7];

    at_unhex(station, stn, 4);
    at_unhex(when, t, 7);
    rec[TRANSIT_REC_ID] = id;
    rec[TRANSIT_REC_STATE] = state;
    if (state == TRANSIT_TRIP_ENTERED) {
        memset(rec, 0, 48);
        rec[TRANSIT_REC_ID] = id;
        rec[TRANSIT_REC_STATE] = state;
        at_unhex("2900", rec + TRANSIT_REC_ENTRY_CITY, 2);
        memcpy(rec + TRANSIT_REC_ENTRY_STN, stn, 4);
        memcpy(rec + TRANSIT_REC_ENTRY_TID, tid, 6);
        memcpy(rec + TRANSIT_REC_ENTRY_TIME, t, 7);
    } else {
        memcpy(rec + TRANSIT_REC_EXIT_STN, stn, 4);
        memcpy(rec + TRANSIT_REC_EXIT_TID, tid, 6);
        memcpy(rec + TRANSIT_REC_EXIT_TIME, t, 7);
    }
    at_put32(rec + TRANSIT_REC_FARE, fare);
    at_put32(rec + TRANSIT_REC_FULL_FARE, full);
    rec[TRANSIT_REC_CARD_TYPE] = type;
}

static at_purchase trip_step(uint32_t amount, const uint8_t *rec, uint8_t p1, uint8_t p2,
                             const char *time)
{
    at_purchase p;

    memset(&p, 0, sizeof p);
    p.kid = 1;
    p.amount = amount;
    p.capp = 1;
    p.rec = rec;
    p.reclen = 48;
    p.rec_p1 = p1;
    p.rec_p2 = p2;
    at_unhex("20261122", p.date, 4);
    at_unhex(time, p.time, 3);
    p.mpk = at_transit_mpk;
    p.mtk = at_transit_mtk;
    p.two_level = 1; /* the transit purchase key: issuer code, then card serial */
    return p;
}

/* Reads operator record ID by identifier; asserts 9000 and 48 bytes. */
static void read_by_id(uint8_t id, uint8_t rec[48])
{
    size_t n = 0;
    cr_assert_eq(at_txf(&card, rec, &n, "00 B2 %02X %02X 00", id, CAPP_P2_ID), 0x9000);
    cr_assert_eq(n, 48);
    cr_assert_eq(rec[0], id);
}

Test(transit, entry_exit_composite_purchase_end_to_end, .fini = close_cards)
{
    uint8_t pub[64], rec[48], got[48], tid[6], log[32], prove[16];
    at_purchase p;
    size_t n = 0;

    open_card("transit");
    cr_assert_eq(at_load_run(&card.card, at_transit_mlk, at_transit_mtk, 1000, NULL), 0);
    cr_assert_eq(at_balance(&card), 1000);
    cr_assert_eq(at_tx(&card, "00 B0 95 00 1E", pub, &n), 0x9000);
    cr_assert_eq(pub[TRANSIT_PUB_CARD_TYPE], TRANSIT_CARD_ORDINARY);
    cr_assert_eq(pub[TRANSIT_PUB_DISCOUNT], 100);
    cr_assert_eq(at_tx(&psam, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&psam, "00 B0 96 00 06", tid, &n), 0x9000);

    /* Entry at station 0101 of operator 01 (metro): a composite purchase of 0. */
    make_record(rec, 0x01, TRANSIT_TRIP_ENTERED, "00000101", tid, "20261122083000", 0, 0,
                pub[TRANSIT_PUB_CARD_TYPE]);
    p = trip_step(0, rec, 0x01, CAPP_P2_ID, "083000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0, "entry stage %d sw %04X", p.stage,
                 p.sw);
    cr_assert(p.verified, "the host verifies the entry's MAC1, MAC2 and TAC");
    read_by_id(0x01, got);
    cr_assert_eq(got[TRANSIT_REC_STATE], TRANSIT_TRIP_ENTERED);
    cr_assert_eq(memcmp(got, rec, 48), 0, "the record the gate cached is on the card");

    /* Exit at station 0207: the gate reads the entry and charges the fare (full fare
     * 300 times the card's discount, 100 % for an ordinary card). */
    memcpy(rec, got, 48);
    uint32_t fare = 300u * pub[TRANSIT_PUB_DISCOUNT] / 100u;
    make_record(rec, 0x01, TRANSIT_TRIP_EXITED, "00000207", tid, "20261122091500", fare, 300,
                pub[TRANSIT_PUB_CARD_TYPE]);
    p = trip_step(fare, rec, 0x01, CAPP_P2_ID, "091500");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0, "exit stage %d sw %04X", p.stage,
                 p.sw);
    cr_assert(p.verified, "the host verifies the exit's MAC1, MAC2 and TAC");
    cr_assert_eq(p.balance, 1000);
    cr_assert_eq(at_balance(&card), 700);
    read_by_id(0x01, got);
    cr_assert_eq(got[TRANSIT_REC_STATE], TRANSIT_TRIP_EXITED);
    cr_assert_eq(at_be32(got + TRANSIT_REC_FARE), 300);
    cr_assert_eq(memcmp(got + TRANSIT_REC_ENTRY_STN, "\x00\x00\x01\x01", 4), 0, "entry kept");

    /* The transaction log (EF 0018): the exit, then the entry, both composite (09). */
    cr_assert_eq(at_tx(&card, "00 B2 01 C4 17", log, &n), 0x9000);
    cr_assert_eq(log[9], PBOC_TT_CAPP_PURCHASE);
    cr_assert_eq(at_be32(log + 5), 300);
    cr_assert_eq(memcmp(log + 10, tid, 6), 0);
    cr_assert_eq(at_tx(&card, "00 B2 02 C4 17", log, &n), 0x9000);
    cr_assert_eq(log[9], PBOC_TT_CAPP_PURCHASE);
    cr_assert_eq(at_be32(log + 5), 0);
    /* GET TRANSACTION PROVE for the exit (counter after it: 2): MAC2 || TAC. */
    cr_assert_eq(at_tx(&card, "80 5A 00 09 02 0002 08", prove, &n), 0x9000);
    cr_assert_eq(memcmp(prove, p.mac2, 4), 0);
    cr_assert_eq(memcmp(prove + 4, p.tac, 4), 0);
}

/* Reads EF 0015 and EF 0016 and checks the card type, discount and validity. */
static void check_type(uint8_t type, uint8_t discount, const char *until)
{
    uint8_t pub[64], hold[64], want[4];
    size_t n = 0;

    cr_assert_eq(at_tx(&card, "00 B0 95 00 00", pub, &n), 0x9000);
    cr_assert_eq(n, TRANSIT_PUBLIC_LEN);
    cr_assert_eq(pub[8], TRANSIT_APP_TYPE);
    cr_assert_eq(pub[TRANSIT_PUB_CARD_TYPE], type);
    cr_assert_eq(pub[TRANSIT_PUB_DISCOUNT], discount);
    cr_assert_eq(memcmp(pub + TRANSIT_PUB_EXPIRY, "\x20\x36\x12\x31", 4), 0);
    cr_assert_eq(at_tx(&card, "00 B0 96 00 00", hold, &n), 0x9000);
    cr_assert_eq(n, TRANSIT_HOLDER_LEN);
    at_unhex(until, want, 4);
    cr_assert_eq(memcmp(hold + TRANSIT_HOLD_DISC_UNTIL, want, 4), 0);
    cr_assert_eq(memcmp(hold + TRANSIT_HOLD_CITY, "\x29\x00", 2), 0);
}

/* A whole trip on the card with the given discount; returns the fare charged. */
static uint32_t ride(uint32_t full)
{
    uint8_t pub[64], rec[48], tid[6];
    size_t n = 0;
    at_purchase p;

    cr_assert_eq(at_tx(&card, "00 B0 95 00 1E", pub, &n), 0x9000);
    cr_assert_eq(at_tx(&psam, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL), 0x9000);
    cr_assert_eq(at_tx(&psam, "00 B0 96 00 06", tid, &n), 0x9000);
    make_record(rec, 0x02, TRANSIT_TRIP_ENTERED, "00000042", tid, "20261122120000", 0, 0,
                pub[TRANSIT_PUB_CARD_TYPE]);
    p = trip_step(0, rec, 0x02, CAPP_P2_ID, "120000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0);
    cr_assert(p.verified);
    uint32_t fare = full * pub[TRANSIT_PUB_DISCOUNT] / 100u;
    make_record(rec, 0x02, TRANSIT_TRIP_EXITED, "00000043", tid, "20261122122000", fare, full,
                pub[TRANSIT_PUB_CARD_TYPE]);
    p = trip_step(fare, rec, 0x02, CAPP_P2_ID, "122000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0, "stage %d sw %04X", p.stage, p.sw);
    cr_assert(p.verified);
    return fare;
}

Test(transit, card_types_discounts_and_validity, .fini = close_cards)
{
    static const struct {
        const char *profile;
        uint8_t type, discount;
        const char *until;
        uint32_t fare;
    } cards[] = {
        {"transit", TRANSIT_CARD_ORDINARY, 100, "00000000", 400},
        {"transit-student", TRANSIT_CARD_STUDENT, 50, "20270831", 200},
        {"transit-senior", TRANSIT_CARD_SENIOR, 0, "20991231", 0},
    };
    size_t i;

    for (i = 0; i < sizeof cards / sizeof cards[0]; i++) {
        open_card(i == 0 ? cards[i].profile : at_path(cards[i].profile));
        check_type(cards[i].type, cards[i].discount, cards[i].until);
        cr_assert_eq(at_load_run(&card.card, at_transit_mlk, at_transit_mtk, 1000, NULL), 0);
        cr_assert_eq(ride(400), cards[i].fare, "%s", cards[i].profile);
        cr_assert_eq(at_balance(&card), 1000 - cards[i].fare, "%s", cards[i].profile);
        if (i + 1 < sizeof cards / sizeof cards[0])
            close_cards();
    }
}

Test(transit, operator_records_by_identifier, .fini = close_cards)
{
    uint8_t rec[48], got[48], tid[6] = {0x29, 0, 0, 0, 0, 1};
    size_t n = 0;
    at_purchase p;

    open_card("transit");
    cr_assert_eq(at_load_run(&card.card, at_transit_mlk, at_transit_mtk, 500, NULL), 0);
    /* Install made one blank record per operator, identifier in byte 0. */
    for (uint8_t id = 1; id <= 3; id++) {
        read_by_id(id, got);
        cr_assert_eq(got[TRANSIT_REC_STATE], TRANSIT_TRIP_IDLE);
    }
    cr_assert_eq(at_tx(&card, "00 B2 04 D0 00", NULL, NULL), 0x6A83, "no operator 04");
    cr_assert_eq(at_tx(&card, "00 B2 00 D0 00", NULL, NULL), 0x6A86);
    cr_assert_eq(at_tx(&card, "00 B2 02 D4 30", got, &n), 0x9000, "by number, as before");
    cr_assert_eq(got[0], 0x02);
    cr_assert_eq(at_tx(&card, "00 B2 01 D0 10", NULL, NULL), 0x6C30, "Le shorter than a record");

    /* Entries with two operators (metro 01, bus 02) leave the third untouched. */
    make_record(rec, 0x01, TRANSIT_TRIP_ENTERED, "00000101", tid, "20261122070000", 0, 0, 1);
    p = trip_step(0, rec, 0x01, CAPP_P2_ID, "070000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0);
    make_record(rec, 0x02, TRANSIT_TRIP_ENTERED, "00000777", tid, "20261122071000", 0, 0, 1);
    p = trip_step(0, rec, 0x02, CAPP_P2_ID, "071000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0);
    read_by_id(0x01, got);
    cr_assert_eq(memcmp(got + TRANSIT_REC_ENTRY_STN, "\x00\x00\x01\x01", 4), 0);
    read_by_id(0x02, got);
    cr_assert_eq(memcmp(got + TRANSIT_REC_ENTRY_STN, "\x00\x00\x07\x77", 4), 0);
    read_by_id(0x03, got);
    cr_assert_eq(got[TRANSIT_REC_STATE], TRANSIT_TRIP_IDLE);

    /* An operator's record keeps its identifier: by identifier or by number, a record
     * claiming another operator's byte 0 is refused (and the purchase can go on). */
    make_record(rec, 0x03, TRANSIT_TRIP_ENTERED, "00000001", tid, "20261122072000", 0, 0, 1);
    p = trip_step(0, rec, 0x01, CAPP_P2_ID, "072000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 3);
    cr_assert_eq(p.sw, 0x6A80);
    p = trip_step(0, rec, 0x01, CAPP_P2_NUM, "072000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 3);
    cr_assert_eq(p.sw, 0x6A80, "record number 1 belongs to operator 01");
    p = trip_step(0, rec, 0x03, CAPP_P2_NUM, "072000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 0, "record number 3 is 03's");
    read_by_id(0x03, got);
    cr_assert_eq(got[TRANSIT_REC_STATE], TRANSIT_TRIP_ENTERED);
    /* Unknown identifiers and reserved values. */
    rec[0] = 0x09;
    p = trip_step(0, rec, 0x09, CAPP_P2_ID, "073000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 3);
    cr_assert_eq(p.sw, 0x6A83);
    p = trip_step(0, rec, 0x00, CAPP_P2_ID, "073000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 3);
    cr_assert_eq(p.sw, 0x6A86);
    p = trip_step(0, rec, 0x07, CAPP_P2_NUM, "073000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 3);
    cr_assert_eq(p.sw, 0x6A83, "there is no record 7");
    /* Outside a composite purchase (GET BALANCE ends the one the last refusal left
     * open), the purse's rule: conditions not satisfied. */
    cr_assert_eq(at_balance(&card), 500);
    cr_assert_eq(at_txf(&card, NULL, NULL, "80 DC 01 %02X 30 01%094d", CAPP_P2_ID, 0), 0x6985);
}

Test(transit, purse_refusals_through_the_class, .fini = close_cards)
{
    uint8_t rec[48] = {0x01};
    at_purchase p;

    open_card("transit");
    cr_assert_eq(at_load_run(&card.card, at_transit_mlk, at_transit_mtk, 100, NULL), 0);
    /* The transit purse is the EP only. */
    cr_assert_eq(at_tx(&card, "80 5C 00 01 04", NULL, NULL), 0x6A86);
    cr_assert_eq(at_tx(&card, "80 50 01 01 0B 01 00000001 290000000001 0F", NULL, NULL), 0x6A86);
    /* Not enough money. */
    p = trip_step(101, rec, 0x01, CAPP_P2_ID, "080000");
    cr_assert_eq(at_purchase_run(&card.card, &psam.card, &p), 1);
    cr_assert_eq(p.sw, 0x9401);
    /* The bank's PSAM does not hold the transit operator's key: its MAC1 is refused. */
    at_card bank;
    at_open(&bank, "psam", 16384);
    p = trip_step(10, rec, 0x01, CAPP_P2_ID, "080000");
    cr_assert_eq(at_purchase_run(&card.card, &bank.card, &p), 4);
    cr_assert_eq(p.sw, 0x9302);
    at_close(&bank);
    cr_assert_eq(at_balance(&card), 100, "nothing was debited");
    /* Transit records are read-only outside the composite purchase. */
    cr_assert_eq(at_txf(&card, NULL, NULL, "00 DC 01 %02X 30 01%094d", CAPP_P2_NUM, 0), 0x6982);
}

/* Creates an instance of the transit class with PARAMS on a fresh card; returns what
 * cos_inst_create() returned. */
static int install(const char *params_hex)
{
    uint8_t params[128], atr[64], aid[] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};
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
    spec.class_id = OBOL_CLASS_TRANSIT;
    spec.plen = (uint16_t)at_unhex(params_hex, params, sizeof params);
    spec.params = params;
    rc = cos_inst_create(&card.card, cos_perso_mf(&card.card), &spec, NULL);
    cos_power_off(&card.card);
    cos_host_close(&card.host);
    return rc;
}

Test(transit, install_parameters)
{
    cr_assert_eq(install("40 03 010203"), 0);
    cr_assert_eq(install("40 01 07 41 01 80 06 04 00000064 03 04 00010000"), 0);
    cr_assert_eq(install(""), 0x6A80, "at least one operator");
    cr_assert_eq(install("40 02 0101"), 0x6A80, "distinct identifiers");
    cr_assert_eq(install("40 02 0100"), 0x6A80, "identifier 00 is reserved");
    cr_assert_eq(install("40 01 FF"), 0x6A80, "identifier FF is reserved");
    cr_assert_eq(install("40 01 01 40 01 02"), 0x6A80, "one operator list");
    cr_assert_eq(install("40 11 0102030405060708090A0B0C0D0E0F1011"), 0x6A80, "16 at most");
    cr_assert_eq(install("40 01 01 01 01 01"), 0x6A80, "no ED on a transit card");
    cr_assert_eq(install("40 01 01 01 01 02"), 0, "EP stated explicitly is fine");
    cr_assert_eq(install("40 01 01 08 01 30"), 0x6A80, "the CAPP cache is the class's");
    cr_assert_eq(install("40 01 01 41 01 0F"), 0x6A80, "records of 16 bytes at least");
    cr_assert_eq(install("40 01 01 50 01 00"), 0x6A80, "unknown tag");
    cr_assert_eq(install("40 01 01 02 01 00"), 0x6A80, "the purse checks its own tags");
    cr_assert_eq(install("40 01"), 0x6A80, "truncated TLV");
}

/* Applies a profile made of LINES (written to a temporary file); returns the loader's
 * result and leaves its message in ERR. */
static int apply_lines(const char *lines, char *err, size_t errlen)
{
    char path[] = "/tmp/obol-apps-XXXXXX";
    cos_card_config cfg;
    FILE *f;
    int fd, rc;

    fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fprintf(f, "include %s/../../profiles/test-keys-apps.profile\n", AT_TEST_DIR);
    fprintf(f, "card serial=0000000000000101 issuer=2900000000000000\n%s\n", lines);
    fclose(f);
    memset(&card, 0, sizeof card);
    cr_assert_eq(cos_host_open_mem(&card.host, 16384, 64, 1), 0);
    cos_host_config(&card.host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&card.card, &cfg), 0);
    rc = cos_profile_apply(&card.card, path, 0, err, errlen);
    cos_host_close(&card.host);
    remove(path);
    return rc;
}

Test(transit, profile_parameters_are_checked)
{
    char err[256];

    cr_assert_eq(
        apply_lines("app class=transit aid=A000000632010105 operators=01_02", err, sizeof err), 0,
        "%s", err);
    cr_assert_eq(
        apply_lines("app class=transit aid=A000000632010105 operators=01_0G", err, sizeof err),
        COS_ERR_PARAM);
    cr_expect(strstr(err, ":3:") != NULL && strstr(err, "operators") != NULL, "%s", err);
    cr_assert_eq(
        apply_lines("app class=transit aid=A000000632010105 operators=0101", err, sizeof err),
        COS_ERR_PARAM);
    cr_expect(strstr(err, "6A80") != NULL, "the class refuses duplicates: %s", err);
    cr_assert_eq(apply_lines("app class=transit aid=A000000632010105 operators=01 purses=ed", err,
                             sizeof err),
                 COS_ERR_PARAM);
    cr_expect(strstr(err, "unknown attribute 'purses'") != NULL, "%s", err);
    cr_assert_eq(apply_lines("app class=ssc aid=F06F626F6C53534301 debit_pin=2", err, sizeof err),
                 COS_ERR_PARAM);
    cr_expect(strstr(err, "6A80") != NULL, "%s", err);
    cr_assert_eq(apply_lines("app class=ssc aid=F06F626F6C53534301\nkey usage=ssc_role index=1 "
                             "master=TEST-SSC-HOSP-ROLE-01",
                             err, sizeof err),
                 0, "%s", err);
}
