/*
 * obol industry application tests: exhaustive tearing (cos_tear.h) over every
 * state-changing command of the transit and social security applets: the transit entry
 * and exit (composite purchase with the operator record), the transit load, the SSC
 * settlement (role, PIN, purchase), the fund's load, APPEND RECORD of a visit and of a
 * prescription, and a failed EXTERNAL AUTHENTICATE (its try counter). Every NVM write is
 * cut (and cut inside, at a few byte offsets); after recovery the card must be exactly as
 * before or exactly as after. For the purses the observable state is checked as the
 * PBOC tests do (tests/pboc/test_tear.c): no money created or lost, and a completed
 * transaction can be proven with GET TRANSACTION PROVE.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps_test.h"
#include "obol/cos_applet.h"
#include "obol/cos_crypto.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/cos_tear.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "ssc/ssc.h"
#include "transit/transit.h"

#define NVM  16384u
#define PAGE 64u
#define SEED 0x7EA2u

enum { K_ENTRY, K_EXIT, K_LOAD, K_SETTLE, K_VISIT, K_RX, K_AUTH_FAIL };

/* The operation's context. */
typedef struct top {
    const uint8_t *psam; /* the PSAM's image, fresh for every run */
    int kind;            /* K_* */
    int ssc;             /* the SSC card (else transit) */
    uint32_t amount;
    uint32_t before, after; /* EP balance */
    uint8_t tt;             /* transaction type of the proof */
    uint16_t ctr_after;     /* counter a proof is asked for */
    uint8_t proof[8];       /* MAC2 || TAC of the untorn run */
    int have_proof;
    int bad;
} top;

/* A PSAM card on a copy of IMG (caller frees with psam_close). */
static int psam_open(const uint8_t *img, cos_host *h, cos_card **pc, uint8_t **copy)
{
    cos_card_config cfg;
    uint8_t atr[64];
    size_t n;

    *copy = malloc(NVM);
    *pc = malloc(sizeof **pc);
    memcpy(*copy, img, NVM);
    cos_host_open_buffer(h, *copy, NVM, PAGE, 0x9001);
    cos_host_config(h, obol_rom_classes, obol_rom_nclasses, &cfg);
    if (cos_card_attach(*pc, &cfg) < 0)
        return COS_ERR_PARAM;
    return cos_power_on(*pc, COS_IF_CONTACT, 0, atr, sizeof atr, &n);
}

static void psam_close(cos_host *h, cos_card *pc, uint8_t *copy)
{
    cos_power_off(pc);
    cos_host_close(h);
    free(copy);
    free(pc);
}

static void keep_proof(top *a, const uint8_t mac2[4], const uint8_t tac[4])
{
    if (!a->have_proof) {
        memcpy(a->proof, mac2, 4);
        memcpy(a->proof + 4, tac, 4);
        a->have_proof = 1;
    }
}

/* Transit entry or exit with operator 01's record, through the transit operator's PSAM. */
static int op_trip(cos_card *c, void *arg)
{
    top *a = arg;
    uint8_t rec[48], *copy;
    cos_host ph;
    cos_card *pc;
    at_purchase p;
    int rc;

    if ((rc = at_xselect(c, at_transit_aid, sizeof at_transit_aid)) != 0x9000)
        return rc < 0 ? rc : COS_ERR_APPLET;
    memset(rec, 0, sizeof rec);
    rec[TRANSIT_REC_ID] = 0x01;
    rec[TRANSIT_REC_STATE] = a->kind == K_ENTRY ? TRANSIT_TRIP_ENTERED : TRANSIT_TRIP_EXITED;
    at_put32(rec + TRANSIT_REC_FARE, a->amount);
    memset(&p, 0, sizeof p);
    p.kid = 1;
    p.amount = a->amount;
    p.capp = 1;
    p.rec = rec;
    p.reclen = 48;
    p.rec_p1 = 0x01;
    p.rec_p2 = TRANSIT_CAPP_SFI << 3;
    at_unhex("20261122", p.date, 4);
    at_unhex("083000", p.time, 3);
    if ((rc = psam_open(a->psam, &ph, &pc, &copy)) == 0)
        rc = at_purchase_run(c, pc, &p);
    psam_close(&ph, pc, copy);
    if (rc == 0)
        keep_proof(a, p.mac2, p.tac);
    return rc > 0 ? COS_ERR_APPLET : rc;
}

/* A load of the selected card's purse (transit or SSC keys). */
static int op_load(cos_card *c, void *arg)
{
    top *a = arg;
    uint8_t proof[8];
    int rc = a->ssc ? at_xselect(c, at_ssc_aid, sizeof at_ssc_aid)
                    : at_xselect(c, at_transit_aid, sizeof at_transit_aid);

    if (rc != 0x9000)
        return rc < 0 ? rc : COS_ERR_APPLET;
    rc = a->ssc ? at_load_run(c, at_ssc_mlk, at_ssc_mtk, a->amount, proof)
                : at_load_run(c, at_transit_mlk, at_transit_mtk, a->amount, proof);
    if (rc == 0)
        keep_proof(a, proof, proof + 4);
    return rc > 0 ? COS_ERR_APPLET : rc;
}

/* An SSC settlement at a hospital: role, the cardholder's PIN, the purchase. */
static int op_settle(cos_card *c, void *arg)
{
    top *a = arg;
    uint8_t *copy;
    cos_host ph;
    cos_card *pc;
    at_purchase p;
    int rc;

    if ((rc = at_xselect(c, at_ssc_aid, sizeof at_ssc_aid)) != 0x9000 ||
        (rc = at_role_auth(c, 0, SSC_KID_HOSPITAL, at_ssc_hosp_role, 0)) != 0x9000 ||
        (rc = at_xtxh(c, "00 20 00 01 03 123456", NULL, NULL)) != 0x9000)
        return rc < 0 ? rc : COS_ERR_APPLET;
    memset(&p, 0, sizeof p);
    p.kid = SSC_KID_HOSPITAL;
    p.amount = a->amount;
    at_unhex("20261122", p.date, 4);
    at_unhex("103000", p.time, 3);
    if ((rc = psam_open(a->psam, &ph, &pc, &copy)) == 0)
        rc = at_purchase_run(c, pc, &p);
    psam_close(&ph, pc, copy);
    if (rc == 0)
        keep_proof(a, p.mac2, p.tac);
    return rc > 0 ? COS_ERR_APPLET : rc;
}

/* A hospital appends a visit (K_VISIT) or a prescription (K_RX). */
static int op_append(cos_card *c, void *arg)
{
    top *a = arg;
    char cmd[160];
    int rc;

    if ((rc = at_xselect(c, at_ssc_aid, sizeof at_ssc_aid)) != 0x9000 ||
        (rc = at_role_auth(c, 0, SSC_KID_HOSPITAL, at_ssc_hosp_role, 0)) != 0x9000)
        return rc < 0 ? rc : COS_ERR_APPLET;
    snprintf(cmd, sizeof cmd, "00 E2 00 %02X 30 5A%094d",
             a->kind == K_VISIT ? SSC_VISIT_SFI << 3 : SSC_RX_SFI << 3, 7);
    rc = at_xtxh(c, cmd, NULL, NULL);
    return rc == 0x9000 ? 0 : (rc < 0 ? rc : COS_ERR_APPLET);
}

/* A pharmacy terminal with a wrong cryptogram: the try counter goes down. */
static int op_auth_fail(cos_card *c, void *arg)
{
    int rc;

    (void)arg;
    if ((rc = at_xselect(c, at_ssc_aid, sizeof at_ssc_aid)) != 0x9000)
        return rc < 0 ? rc : COS_ERR_APPLET;
    rc = at_role_auth(c, 0, SSC_KID_PHARMACY, at_ssc_pharm_role, 1);
    return rc == 0x63C4 ? 0 : (rc < 0 ? rc : COS_ERR_APPLET);
}

/* A hospital terminal with a wrong cryptogram. The card counts an attempt on the role
 * key before checking it (cos_sm_verify), so a correct authentication torn between
 * that count and its restore leaves this state: one try used, nothing else changed. */
static int op_hosp_auth_fail(cos_card *c, void *arg)
{
    int rc;

    (void)arg;
    if ((rc = at_xselect(c, at_ssc_aid, sizeof at_ssc_aid)) != 0x9000)
        return rc < 0 ? rc : COS_ERR_APPLET;
    rc = at_role_auth(c, 0, SSC_KID_HOSPITAL, at_ssc_hosp_role, 1);
    return (rc & 0xFFF0) == 0x63C0 ? 0 : (rc < 0 ? rc : COS_ERR_APPLET);
}

/* The entry alone, and a whole trip: entry, then exit (A's kind and amount). Cuts in the
 * exit leave the card as after the entry. */
static int op_entry_only(cos_card *c, void *arg)
{
    top e = *(top *)arg;

    e.kind = K_ENTRY;
    e.amount = 0;
    e.have_proof = 1;
    return op_trip(c, &e);
}

static int op_entry_exit(cos_card *c, void *arg)
{
    int rc = op_entry_only(c, arg);
    return rc != 0 ? rc : op_trip(c, arg);
}

/* A hospital visit: the settlement, then the visit record. Cuts in the append leave the
 * card settled. */
static int op_settle_visit(cos_card *c, void *arg)
{
    top v = *(top *)arg;
    int rc = op_settle(c, arg);

    v.kind = K_VISIT;
    return rc != 0 ? rc : op_append(c, &v);
}

static void hash_sw(cos_sha256_ctx *h, int sw, const uint8_t *r, size_t n)
{
    cos_sha256_update(h, &sw, sizeof sw);
    if (sw == 0x9000)
        cos_sha256_update(h, r, n);
}

/* The observable state of a purse application, read through APDUs that neither write
 * NVM nor draw random bytes (the harness's runs must draw the same ones):
 * EP balance, the log, the operator records (transit) or the visit records (SSC), and
 * the proof for the counter after the operation. (Not the PIN's try counter: a VERIFY
 * torn between its two writes leaves a try consumed, by design, cardsim/src/auth.c.) Checks that no
 * money was created or lost and that a completed transaction can be proven. */
static int observe(cos_card *c, void *arg, uint8_t out[32])
{
    top *a = arg;
    cos_sha256_ctx h;
    uint8_t r[64], cmd[8];
    char rr[32];
    size_t n = 0;
    int sw, i;

    cos_sha256_init(&h);
    sw = a->ssc ? at_xselect(c, at_ssc_aid, sizeof at_ssc_aid)
                : at_xselect(c, at_transit_aid, sizeof at_transit_aid);
    if (sw != 0x9000 || (sw = at_xtxh(c, "80 5C 00 02 04", r, &n)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    cos_sha256_update(&h, r, 4);
    uint32_t bal = at_be32(r);
    for (i = 1; i <= 10; i++) {
        snprintf(rr, sizeof rr, "00 B2 %02X C4 17", i);
        sw = at_xtxh(c, rr, r, &n);
        hash_sw(&h, sw, r, n);
    }
    for (i = 1; !a->ssc && i <= 3; i++) {
        snprintf(rr, sizeof rr, "00 B2 %02X D4 30", i);
        sw = at_xtxh(c, rr, r, &n);
        hash_sw(&h, sw, r, n);
    }
    /* The SSC's visit records: a role would need a challenge (random bytes, which would
     * change the operation's next run), so they are read as the applet reads them. */
    if (a->ssc) {
        cos_app_info info;
        cos_ef ef;
        if (cos_app_find(c, at_ssc_aid, sizeof at_ssc_aid, &info) != 0)
            return COS_ERR_NOT_FOUND;
        cos_ctx x = {c, info.oid, 0xFF, NULL};
        if ((sw = cos_ef_open_sfi(&x, SSC_VISIT_SFI, &ef)) < 0)
            return sw;
        for (i = 1; i <= 2; i++) {
            sw = cos_ef_read_record(&x, &ef, (uint8_t)i, r, sizeof r);
            cos_sha256_update(&h, &sw, sizeof sw);
            if (sw > 0)
                cos_sha256_update(&h, r, (size_t)sw);
        }
    }
    at_unhex("80 5A 00 06 02 0000 08", cmd, 8);
    cmd[3] = a->tt;
    cmd[5] = (uint8_t)(a->ctr_after >> 8);
    cmd[6] = (uint8_t)a->ctr_after;
    sw = at_xtx(c, cmd, 8, r, &n);
    hash_sw(&h, sw, r, n);
    /* Whether the transaction happened: by the balance, or for an entry (amount 0) by
     * the proof itself, which must then be the untorn run's. */
    int happened = a->before != a->after ? bal == a->after : sw == 0x9000;
    if (bal != a->before && bal != a->after)
        a->bad++; /* money created or lost */
    if (happened && a->have_proof && (sw != 0x9000 || memcmp(r, a->proof, 8) != 0))
        a->bad++; /* a completed transaction that cannot be proven */
    if (!happened && sw == 0x9000)
        a->bad++; /* a proof of a transaction that did not happen */
    cos_sha256_final(&h, out);
    return 0;
}

/* Personalizes PROFILE into IMG, then loads LOAD and (transit) makes an entry, so that
 * an exit has something to close. */
static void make_image(uint8_t *img, const char *profile, int ssc, uint32_t load,
                       const uint8_t *psam_img)
{
    cos_host hh;
    cos_card *c = malloc(sizeof *c);
    cos_card_config cfg;
    char err[200];
    uint8_t atr[64];
    size_t n;

    memset(img, 0xFF, NVM);
    cos_host_open_buffer(&hh, img, NVM, PAGE, SEED);
    cos_host_config(&hh, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(c, &cfg), 0);
    cr_assert_eq(cos_profile_apply(c, profile, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cos_power_on(c, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    if (load) {
        top a = {0};
        a.ssc = ssc;
        a.amount = load;
        cr_assert_eq(op_load(c, &a), 0);
    }
    if (psam_img != NULL) {
        top a = {0};
        a.psam = psam_img;
        a.kind = K_ENTRY;
        cr_assert_eq(op_trip(c, &a), 0);
    }
    cos_power_off(c);
    cos_host_close(&hh);
    free(c);
}

/* Runs the harness over OP on the transit or SSC card (loaded with 200, and with an entry
 * made when ENTERED). With MID, an operation that stops halfway through OP, the state
 * after MID is acceptable too and must be reached by some cuts. */
static void tear_mid(const char *name, top *a, cos_tear_op op, int observable, int entered,
                     cos_tear_op mid)
{
    uint8_t extra[1][32];
    uint8_t *card = malloc(NVM), *psam = malloc(NVM);
    const char *psam_profile = a->ssc ? at_path("psam-hospital") : at_path("psam-transit");
    cos_tear_spec s;
    cos_tear_result r;
    int rc;

    make_image(psam, psam_profile, 0, 0, NULL);
    make_image(card, a->ssc ? "ssc" : "transit", a->ssc, 200, entered ? psam : NULL);
    a->psam = psam;
    memset(&s, 0, sizeof s);
    s.image = card;
    s.size = NVM;
    s.page = PAGE;
    s.classes = obol_rom_classes;
    s.nclasses = obol_rom_nclasses;
    s.seed = SEED;
    s.power_flags = COS_IF_CONTACTLESS;
    s.op = op;
    s.arg = a;
    s.digest = observable ? observe : NULL;
    if (mid != NULL) {
        cos_tear_spec m = s;
        m.op = mid;
        cr_assert_eq(cos_tear_digest_after(&m, extra[0]), 0);
        s.extra = extra;
        s.nextra = 1;
    }
    rc = cos_tear_run(&s, &r);
    cr_assert_eq(rc, 0, "%s: %s (%d)", name, r.msg, rc);
    cr_assert_gt(r.writes, 0);
    cr_assert_eq(r.runs, r.as_before + r.as_after + r.as_extra);
    cr_assert_gt(r.as_before, 0, "%s: some cuts roll back", name);
    if (mid != NULL)
        cr_assert_gt(r.as_extra, 0, "%s: some cuts leave the first transaction done", name);
    else
        cr_assert_eq(r.as_extra, 0);
    cr_assert_eq(a->bad, 0, "%s: %d torn runs lost money or a proof", name, a->bad);
    cr_log_info("%s: %u writes, %u torn runs (%u before, %u halfway, %u after)", name, r.writes,
                r.runs, r.as_before, r.as_extra, r.as_after);
    free(card);
    free(psam);
}

static void tear(const char *name, top *a, cos_tear_op op, int observable, int entered)
{
    tear_mid(name, a, op, observable, entered, NULL);
}

Test(tear, transit_entry)
{
    top a = {.kind = K_ENTRY, .amount = 0, .before = 200, .after = 200};
    a.tt = PBOC_TT_CAPP_PURCHASE;
    a.ctr_after = 1;
    tear("transit entry", &a, op_trip, 1, 0);
    cr_assert(a.have_proof);
}

Test(tear, transit_exit)
{
    top a = {.kind = K_EXIT, .amount = 45, .before = 200, .after = 155};
    a.tt = PBOC_TT_CAPP_PURCHASE;
    a.ctr_after = 2;
    tear("transit exit", &a, op_trip, 1, 1);
    cr_assert(a.have_proof);
}

Test(tear, transit_whole_trip)
{
    top a = {.kind = K_EXIT, .amount = 60, .before = 200, .after = 140};
    a.tt = PBOC_TT_CAPP_PURCHASE;
    a.ctr_after = 2;
    tear_mid("transit entry then exit", &a, op_entry_exit, 1, 0, op_entry_only);
    cr_assert(a.have_proof);
}

Test(tear, transit_load)
{
    top a = {.kind = K_LOAD, .amount = 77, .before = 200, .after = 277};
    a.tt = PBOC_TT_EP_LOAD;
    a.ctr_after = 2;
    tear("transit load (NVM digest)", &a, op_load, 0, 0);
    memset(&a.proof, 0, sizeof a.proof);
    a.have_proof = 0;
    tear("transit load", &a, op_load, 1, 0);
}

Test(tear, ssc_settlement)
{
    top a = {.kind = K_SETTLE, .ssc = 1, .amount = 120, .before = 200, .after = 80};
    a.tt = PBOC_TT_EP_PURCHASE;
    a.ctr_after = 1;
    tear("ssc settlement", &a, op_settle, 1, 0);
    cr_assert(a.have_proof);
}

Test(tear, ssc_settlement_then_visit)
{
    top a = {.kind = K_SETTLE, .ssc = 1, .amount = 90, .before = 200, .after = 110};
    a.tt = PBOC_TT_EP_PURCHASE;
    a.ctr_after = 1;
    tear_mid("ssc settlement then visit record", &a, op_settle_visit, 1, 0, op_settle);
    cr_assert(a.have_proof);
}

Test(tear, ssc_load)
{
    top a = {.kind = K_LOAD, .ssc = 1, .amount = 300, .before = 200, .after = 500};
    a.tt = PBOC_TT_EP_LOAD;
    a.ctr_after = 2;
    tear("ssc load", &a, op_load, 1, 0);
}

Test(tear, ssc_visit_record)
{
    top a = {.kind = K_VISIT, .ssc = 1};
    tear_mid("ssc visit record (NVM digest)", &a, op_append, 0, 0, op_hosp_auth_fail);
}

Test(tear, ssc_prescription)
{
    top a = {.kind = K_RX, .ssc = 1};
    tear_mid("ssc prescription (NVM digest)", &a, op_append, 0, 0, op_hosp_auth_fail);
}

Test(tear, ssc_failed_authentication)
{
    top a = {.kind = K_AUTH_FAIL, .ssc = 1};
    tear("ssc failed EXTERNAL AUTHENTICATE (NVM digest)", &a, op_auth_fail, 0, 0);
}
