/*
 * obol PBOC tests: tearing. Every NVM write of a purchase, a composite purchase and a
 * load is cut (and cut inside, at a few byte offsets) with the card OS's exhaustive
 * tearing harness (cos_tear.h); after recovery the purse must be exactly as before or
 * exactly as after: no money created or lost. When the debit (credit) did happen, GET
 * TRANSACTION PROVE must return the proof (MAC2 || TAC) the terminal never received.
 * The PSAM's terminal transaction number is cut the same way (its own loop): a number
 * that left the PSAM is never answered again.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_crypto.h"
#include "obol/cos_host.h"
#include "obol/cos_profile.h"
#include "obol/cos_tear.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"
#include "pboc_test.h"

#define NVM  8192u
#define PAGE 64u
#define SEED 0x7EA1u

/* The operation's context. */
typedef struct top {
    const uint8_t *psam; /* the PSAM's image, fresh for every run */
    int kind;            /* 0 purchase, 1 composite purchase, 2 load */
    uint32_t amount;
    uint32_t before, after; /* EP balance */
    uint16_t ctr_after;     /* counter a proof is asked for */
    uint8_t proof[8];       /* MAC2 || TAC of the untorn run */
    int have_proof;
    int bad_proofs;
} top;

/* Sends a hex command; returns the status word or a negative error. */
static int xtx(cos_card *c, const char *hex, uint8_t *rsp, size_t *rlen)
{
    uint8_t cmd[300], buf[300];
    size_t len = pt_unhex(hex, cmd, sizeof cmd), n = 0;
    int rc = cos_transmit(c, 0, cmd, len, buf, sizeof buf, &n);
    if (rc < 0)
        return rc;
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return buf[n - 2] << 8 | buf[n - 1];
}

static int xtxb(cos_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t buf[300];
    size_t n = 0;
    int rc = cos_transmit(c, 0, cmd, len, buf, sizeof buf, &n);
    if (rc < 0)
        return rc;
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return buf[n - 2] << 8 | buf[n - 1];
}

#define SW_OR_OUT(expr)                                                                            \
    do {                                                                                           \
        int sw_ = (expr);                                                                          \
        if (sw_ != 0x9000) {                                                                       \
            rc = sw_ < 0 ? sw_ : COS_ERR_APPLET;                                                   \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A purchase (kind 0) or composite purchase (kind 1) of a->amount with a fresh PSAM. */
static int op_purchase(cos_card *c, void *arg)
{
    top *a = arg;
    cos_host ph;
    cos_card *pc = malloc(sizeof *pc);
    uint8_t *img = malloc(NVM), r[64], cmd[64], ids[30], tid[6], atr[64];
    cos_card_config cfg;
    size_t n;
    int rc = 0;

    memcpy(img, a->psam, NVM);
    cos_host_open_buffer(&ph, img, NVM, PAGE, 0x9001);
    cos_host_config(&ph, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(pc, &cfg)) < 0 ||
        (rc = cos_power_on(pc, COS_IF_CONTACT, 0, atr, sizeof atr, &n)) < 0)
        goto out;
    SW_OR_OUT(xtx(pc, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL));
    SW_OR_OUT(xtx(pc, "00B09600 06", tid, &n));
    SW_OR_OUT(xtx(c, "00A40400 09 A00000000386980701 00", NULL, NULL));
    SW_OR_OUT(xtx(c, "00B09500 1E", ids, &n));
    pt_unhex("80 50 01 02 0B 01 00000000 000000000000 0F", cmd, 17);
    cmd[2] = a->kind == 1 ? 0x03 : 0x01;
    cmd[9] = (uint8_t)a->amount;
    memcpy(cmd + 10, tid, 6);
    SW_OR_OUT(xtxb(c, cmd, 17, r, &n));
    pt_unhex("80 70 00 00 24", cmd, 5);
    memcpy(cmd + 5, r + 11, 4);
    memcpy(cmd + 9, r + 4, 2);
    pt_unhex("000000 00", cmd + 11, 4);
    cmd[14] = (uint8_t)a->amount;
    cmd[15] = a->kind == 1 ? 0x09 : 0x06;
    pt_unhex("20261122 083000", cmd + 16, 7);
    cmd[23] = r[9];
    cmd[24] = r[10];
    memcpy(cmd + 25, ids + 12, 8);
    memcpy(cmd + 33, ids, 8);
    cmd[41] = 8;
    SW_OR_OUT(xtxb(pc, cmd, 42, r, &n));
    if (a->kind == 1)
        SW_OR_OUT(xtx(c,
                      "80 DC 01 B8 30 A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBC"
                      "BDBEBFC0C1C2C3C4C5C6C7C8C9CACBCCCDCECFD0",
                      NULL, NULL));
    pt_unhex("80 54 01 00 0F", cmd, 5);
    memcpy(cmd + 5, r, 4);
    pt_unhex("20261122 083000", cmd + 9, 7);
    memcpy(cmd + 16, r + 4, 4);
    cmd[20] = 8;
    SW_OR_OUT(xtxb(c, cmd, 21, r, &n));
    if (!a->have_proof) {
        memcpy(a->proof, r + 4, 4); /* MAC2 */
        memcpy(a->proof + 4, r, 4); /* TAC */
        a->have_proof = 1;
    }
    pt_unhex("80 72 00 00 04", cmd, 5);
    memcpy(cmd + 5, r + 4, 4);
    SW_OR_OUT(xtxb(pc, cmd, 9, NULL, NULL));
out:
    cos_power_off(pc);
    cos_host_close(&ph);
    free(img);
    free(pc);
    return rc;
}

/* A load of a->amount: the host side computes MAC2 with OpenSSL. */
static int op_load(cos_card *c, void *arg)
{
    top *a = arg;
    uint8_t r[64], cmd[32], ids[30], dlk[16], seslk[8];
    host_pboc_load hl;
    size_t n;
    int rc = 0;

    SW_OR_OUT(xtx(c, "00A40400 09 A00000000386980701 00", NULL, NULL));
    SW_OR_OUT(xtx(c, "00B09500 1E", ids, &n));
    pt_unhex("80 50 00 02 0B 01 00000000 AABBCCDDEEFF 10", cmd, 17);
    cmd[9] = (uint8_t)a->amount;
    SW_OR_OUT(xtxb(c, cmd, 17, r, &n));
    memset(&hl, 0, sizeof hl);
    hl.old_balance = be32(r);
    hl.amount = a->amount;
    hl.online_counter = (uint16_t)(r[4] << 8 | r[5]);
    hl.type = 2;
    pt_unhex("AABBCCDDEEFF", hl.terminal_id, 6);
    pt_unhex("20261122", hl.date, 4);
    pt_unhex("090000", hl.time, 3);
    host_pboc_diversify(pt_test_mlk01, ids + 12, dlk);
    host_pboc_seslk(dlk, r + 8, hl.online_counter, seslk);
    pt_unhex("80 52 00 00 0B 20261122 090000", cmd, 12);
    host_pboc_load_mac2(seslk, &hl, cmd + 12);
    cmd[16] = 4;
    SW_OR_OUT(xtxb(c, cmd, 17, r, &n));
    if (!a->have_proof) {
        memcpy(a->proof, cmd + 12, 4);
        memcpy(a->proof + 4, r, 4);
        a->have_proof = 1;
    }
out:
    return rc;
}

/* The observable state, read through APDUs that neither write NVM nor draw random
 * bytes: EP balance, the log, the CAPP records and the proof for the counter after the
 * operation. Checks that a completed debit/credit can be proven. */
static int observe(cos_card *c, void *arg, uint8_t out[32])
{
    top *a = arg;
    cos_sha256_ctx h;
    uint8_t r[64], cmd[8];
    size_t n;
    int sw, i;

    cos_sha256_init(&h);
    if ((sw = xtx(c, "00A40400 09 A00000000386980701 00", NULL, NULL)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    if ((sw = xtx(c, "80 5C 00 02 04", r, &n)) != 0x9000)
        return sw < 0 ? sw : COS_ERR_APPLET;
    cos_sha256_update(&h, r, 4);
    uint32_t bal = be32(r);
    for (i = 1; i <= 10; i++) {
        char rr[32];
        snprintf(rr, sizeof rr, "00 B2 %02X C4 17", i);
        sw = xtx(c, rr, r, &n);
        cos_sha256_update(&h, &sw, sizeof sw);
        if (sw == 0x9000)
            cos_sha256_update(&h, r, n);
    }
    for (i = 1; i <= 2; i++) {
        char rr[32];
        snprintf(rr, sizeof rr, "00 B2 %02X BC 30", i);
        sw = xtx(c, rr, r, &n);
        cos_sha256_update(&h, &sw, sizeof sw);
        if (sw == 0x9000)
            cos_sha256_update(&h, r, n);
    }
    pt_unhex("80 5A 00 06 02 0000 08", cmd, 8);
    cmd[3] = a->kind == 0 ? 0x06 : (a->kind == 1 ? 0x09 : 0x02);
    cmd[5] = (uint8_t)(a->ctr_after >> 8);
    cmd[6] = (uint8_t)a->ctr_after;
    sw = xtxb(c, cmd, 8, r, &n);
    cos_sha256_update(&h, &sw, sizeof sw);
    if (sw == 0x9000)
        cos_sha256_update(&h, r, n);
    if (bal != a->before && bal != a->after)
        a->bad_proofs++; /* money created or lost */
    if (bal == a->after && a->have_proof && (sw != 0x9000 || memcmp(r, a->proof, 8) != 0))
        a->bad_proofs++; /* a completed transaction that cannot be proven */
    if (bal == a->before && sw == 0x9000)
        a->bad_proofs++; /* a proof of a transaction that did not happen */
    cos_sha256_final(&h, out);
    return 0;
}

/* Personalizes PROFILE into IMG and runs PREP (a load) on it. */
static void make_image(uint8_t *img, const char *profile, uint32_t load)
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
        a.amount = load;
        cr_assert_eq(op_load(c, &a), 0);
    }
    cos_power_off(c);
    cos_host_close(&hh);
    free(c);
}

static void tear(const char *name, top *a, cos_tear_op op, int observable)
{
    uint8_t *card = malloc(NVM), *psam = malloc(NVM);
    cos_tear_spec s;
    cos_tear_result r;
    int rc;

    make_image(card, "purse", 200);
    make_image(psam, "psam", 0);
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
    rc = cos_tear_run(&s, &r);
    cr_assert_eq(rc, 0, "%s: %s (%d)", name, r.msg, rc);
    cr_assert_gt(r.writes, 0);
    cr_assert_eq(r.runs, r.as_before + r.as_after + r.as_extra);
    cr_assert_gt(r.as_before, 0, "%s: some cuts roll back", name);
    cr_assert_eq(r.as_extra, 0);
    cr_assert(a->have_proof);
    cr_assert_eq(a->bad_proofs, 0, "%s: %d torn runs lost money or proof", name, a->bad_proofs);
    cr_log_info("%s: %u writes, %u torn runs (%u before, %u after)", name, r.writes, r.runs,
                r.as_before, r.as_after);
    free(card);
    free(psam);
}

Test(tear, purchase_whole_image)
{
    top a = {.kind = 0, .amount = 30, .before = 200, .after = 170, .ctr_after = 1};
    tear("purchase (NVM digest)", &a, op_purchase, 0);
}

Test(tear, purchase_observable_and_proof)
{
    top a = {.kind = 0, .amount = 30, .before = 200, .after = 170, .ctr_after = 1};
    tear("purchase", &a, op_purchase, 1);
}

Test(tear, capp_purchase)
{
    top a = {.kind = 1, .amount = 45, .before = 200, .after = 155, .ctr_after = 1};
    tear("composite purchase", &a, op_purchase, 1);
}

Test(tear, load_whole_image)
{
    top a = {.kind = 2, .amount = 77, .before = 200, .after = 277, .ctr_after = 2};
    tear("load (NVM digest)", &a, op_load, 0);
}

Test(tear, load_observable_and_proof)
{
    top a = {.kind = 2, .amount = 77, .before = 200, .after = 277, .ctr_after = 2};
    tear("load", &a, op_load, 1);
}

/* INIT SAM FOR PURCHASE on a PSAM; returns the TTN answered, or -1 (no answer). */
static long init_sam(cos_card *c)
{
    uint8_t r[16];
    size_t n;
    int sw = xtx(c,
                 "80 70 00 00 24 11223344 0001 00000001 06 20261122 083000 01 00 "
                 "0000000000000001 1234567800000000 08",
                 r, &n);
    return sw == 0x9000 ? (long)be32(r) : -1;
}

Test(tear, psam_ttn_never_repeats)
{
    uint8_t *base = malloc(NVM), *img = malloc(NVM), atr[64];
    cos_host hh;
    cos_card *c = malloc(sizeof *c);
    cos_card_config cfg;
    uint32_t writes, k, b;
    size_t n;
    long last, got, next;
    int i, runs = 0;

    /* A PSAM whose next number, 0100, changes two bytes of the stored 00FF. */
    make_image(base, "psam", 0);
    cos_host_open_buffer(&hh, base, NVM, PAGE, SEED);
    cos_host_config(&hh, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(c, &cfg), 0);
    cr_assert_eq(cos_power_on(c, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(xtx(c, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL), 0x9000);
    for (i = 0; i < 255; i++)
        last = init_sam(c);
    cr_assert_eq(last, 0xFF);
    cos_host_reset_writes(&hh);
    cr_assert_eq(init_sam(c), 0x100);
    writes = cos_host_writes(&hh);
    cos_power_off(c);
    cos_host_close(&hh);
    cr_assert_gt(writes, 0);
    /* Rewind: the image with 00FF stored is BASE before that last INIT SAM. */
    make_image(base, "psam", 0);
    cos_host_open_buffer(&hh, base, NVM, PAGE, SEED);
    cos_host_config(&hh, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(c, &cfg), 0);
    cr_assert_eq(cos_power_on(c, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    cr_assert_eq(xtx(c, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL), 0x9000);
    for (i = 0; i < 255; i++)
        init_sam(c);
    cos_power_off(c);
    cos_host_close(&hh);
    for (k = 0; k < writes; k++) {
        for (b = 0; b < 4; b++) {
            memcpy(img, base, NVM);
            cos_host_open_buffer(&hh, img, NVM, PAGE, SEED);
            cos_host_config(&hh, obol_rom_classes, obol_rom_nclasses, &cfg);
            cr_assert_eq(cos_card_attach(c, &cfg), 0);
            cr_assert_eq(cos_power_on(c, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
            cr_assert_eq(xtx(c, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL), 0x9000);
            cos_host_cut_after(&hh, k, b);
            got = init_sam(c);
            cos_power_off(c);
            cos_host_restore_power(&hh);
            cr_assert_eq(cos_power_on(c, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
            cr_assert_eq(xtx(c, "00A40400 0A F06F626F6C5053414D01 00", NULL, NULL), 0x9000);
            next = init_sam(c);
            cr_assert_gt(next, 0xFF, "cut %u/%u: number %lx reused", k, b, next);
            if (got >= 0)
                cr_assert_gt(next, got, "cut %u/%u: %lx answered twice", k, b, got);
            cos_power_off(c);
            cos_host_close(&hh);
            runs++;
        }
    }
    cr_log_info("PSAM TTN: %u writes, %d torn runs", writes, runs);
    free(base);
    free(img);
    free(c);
}

/* The card left the field after DEBIT committed: the terminal never saw TAC || MAC2.
 * After a power cycle GET TRANSACTION PROVE with the counter after the increment
 * returns them; here at counter 00FF -> 0100 (the carry of PROTOCOLS.md). */
Test(tear, proof_after_a_lost_response)
{
    pt_card card, psam;
    pt_purchase p;
    pt_load l;
    uint8_t r[16];
    size_t n;
    int i;

    pt_open(&card, "purse", 0, 0);
    pt_open(&psam, "psam", 0, 0);
    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    memset(&l, 0, sizeof l);
    l.purse = 2;
    l.kid = 1;
    l.amount = 100000;
    pt_load_run(&card, &l);
    cr_assert_eq(l.stage, 0);
    for (i = 0; i < 256; i++) {
        memset(&p, 0, sizeof p);
        p.purse = 2;
        p.kid = 1;
        p.amount = 1;
        pt_purchase_run(&card, &psam, &p);
        cr_assert_eq(p.stage, 0);
    }
    cr_assert_eq(p.ctr, 0x00FF);
    pt_reset(&card);
    cr_assert_eq(pt_select(&card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
    cr_assert_eq(pt_txh(&card, "80 5A 00 06 02 0100 08", r, &n), 0x9000);
    cr_expect_eq(memcmp(r, p.mac2, 4), 0, "MAC2 first");
    cr_expect_eq(memcmp(r + 4, p.tac, 4), 0, "then the TAC the host verified");
    cr_expect_eq(pt_txh(&card, "80 5A 00 06 02 00FF 08", r, &n), 0x9406);
    pt_close(&card);
    pt_close(&psam);
}
