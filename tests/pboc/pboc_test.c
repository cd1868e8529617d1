/*
 * obol PBOC tests: shared helpers (pboc_test.h).
 */
#include "pboc_test.h"

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"

/* TEST KEYS: the same values as profiles/test-keys.profile. */
const uint8_t pt_test_mpk01[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                   0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
const uint8_t pt_test_mpk02[16] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                   0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22};
const uint8_t pt_test_mlk01[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                                   0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
const uint8_t pt_test_mtk01[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                   0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};

const uint8_t pt_purse_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
const uint8_t pt_psam_aid[10] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};

static int fixed_rng(void *port, uint8_t *buf, size_t len)
{
    /* The fixed bytes sit right after the host port context in pt_card. */
    const pt_card *t = (const pt_card *)((const char *)port - offsetof(pt_card, host));
    size_t i;

    for (i = 0; i < len; i++)
        buf[i] = t->fixed[i % 4];
    return 0;
}

void pt_open(pt_card *t, const char *profile, uint64_t serial, uint32_t size)
{
    cos_card_config cfg;
    char err[256];
    uint8_t atr[64];
    size_t n;
    int rc;

    memset(t, 0, sizeof *t);
    cr_assert_eq(cos_host_open_mem(&t->host, size ? size : 16384, 64, 0x5EED), 0);
    cos_host_config(&t->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    t->hal = *cfg.hal;
    cfg.hal = &t->hal;
    cr_assert_eq(cos_card_attach(&t->card, &cfg), 0);
    rc = cos_profile_apply(&t->card, profile, serial, err, sizeof err);
    cr_assert_eq(rc, 0, "profile %s: %s (%d)", profile, err, rc);
    cr_assert_eq(cos_power_on(&t->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
}

void pt_close(pt_card *t)
{
    cos_power_off(&t->card);
    cos_host_close(&t->host);
}

void pt_fix_rng(pt_card *t, const uint8_t rnd[4])
{
    memcpy(t->fixed, rnd, 4);
    t->hal.rng = fixed_rng;
}

void pt_reset(pt_card *t)
{
    uint8_t atr[64];
    size_t n;

    cos_power_off(&t->card);
    cr_assert_eq(cos_power_on(&t->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
}

uint16_t pt_tx(pt_card *t, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t buf[600];
    size_t n = 0;
    int rc = cos_transmit(&t->card, 0, cmd, len, buf, sizeof buf, &n);

    cr_assert_eq(rc, 0, "cos_transmit: %s", cos_strerror(rc));
    cr_assert_geq(n, 2);
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(buf[n - 2] << 8 | buf[n - 1]);
}

size_t pt_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;

    for (; *hex; hex++) {
        int v;
        if (*hex == ' ' || *hex == '_')
            continue;
        if (*hex >= '0' && *hex <= '9')
            v = *hex - '0';
        else if (*hex >= 'a' && *hex <= 'f')
            v = *hex - 'a' + 10;
        else if (*hex >= 'A' && *hex <= 'F')
            v = *hex - 'A' + 10;
        else
            cr_assert_fail("bad hex '%c'", *hex);
        if (hi < 0) {
            hi = v;
        } else {
            cr_assert_lt(n, cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    cr_assert_eq(hi, -1, "odd hex");
    return n;
}

void pt_expect_hex(const char *what, const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[256];
    char g[520];
    size_t n = pt_unhex(want, w, sizeof w), i;

    for (i = 0; i < len && i < 256; i++)
        snprintf(g + 2 * i, 3, "%02X", got[i]);
    g[2 * (len < 256 ? len : 256)] = '\0';
    cr_expect(n == len && memcmp(w, got, len) == 0, "%s: got %s, want %s", what, g, want);
}

uint16_t pt_txh(pt_card *t, const char *hex, uint8_t *rsp, size_t *rlen)
{
    uint8_t cmd[300];
    size_t n = pt_unhex(hex, cmd, sizeof cmd);
    return pt_tx(t, cmd, n, rsp, rlen);
}

uint16_t pt_select(pt_card *t, const uint8_t *aid, size_t len)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00};
    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, aid, len);
    cmd[5 + len] = 0x00;
    return pt_tx(t, cmd, 6 + len, NULL, NULL);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void pt_read_ids(pt_card *card, uint8_t serial[8], uint8_t issuer[8])
{
    uint8_t r[64];
    size_t n;

    /* READ BINARY of EF 0015 by SFI: issuer (8) type version serial (10) ... */
    cr_assert_eq(pt_txh(card, "00 B0 95 00 1E", r, &n), 0x9000);
    cr_assert_eq(n, 30);
    memcpy(issuer, r, 8);
    memcpy(serial, r + 12, 8);
}

/* The card keys the host knows: dispersed from the TEST masters with OpenSSL. */
static void card_dpk(uint8_t kid, const uint8_t serial[8], const uint8_t issuer[8], uint8_t out[16])
{
    if (kid == 1)
        cr_assert_eq(host_pboc_diversify2(pt_test_mpk01, issuer, serial, out), 0);
    else
        cr_assert_eq(host_pboc_diversify(pt_test_mpk02, serial, out), 0);
}

void pt_purchase_run(pt_card *card, pt_card *psam, pt_purchase *p)
{
    uint8_t cmd[300], r[300], dpk[16], dtk[16], sespk[8];
    host_pboc_purchase hp;
    size_t n;

    if (!p->no_select) {
        cr_assert_eq(pt_select(psam, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
        cr_assert_eq(pt_txh(psam, "00 B0 96 00 06", p->tid, &n), 0x9000);
        cr_assert_eq(pt_select(card, pt_purse_aid, sizeof pt_purse_aid), 0x9000);
        pt_read_ids(card, p->serial, p->issuer);
    }
    /* INITIALIZE FOR (CAPP) PURCHASE */
    memcpy(cmd, "\x80\x50\x01\x02\x0B", 5);
    cmd[2] = p->capp ? 0x03 : 0x01;
    cmd[3] = p->purse;
    cmd[5] = p->kid;
    put32(cmd + 6, p->amount);
    memcpy(cmd + 10, p->tid, 6);
    cmd[16] = 0x0F;
    p->stage = 1;
    if ((p->sw = pt_tx(card, cmd, 17, r, &n)) != 0x9000)
        return;
    cr_assert_eq(n, 15);
    p->balance = be32(r);
    p->ctr = (uint16_t)(r[4] << 8 | r[5]);
    p->kver = r[9];
    memcpy(p->rnd, r + 11, 4);
    /* INIT SAM FOR PURCHASE */
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, p->rnd, 4);
    cmd[9] = r[4];
    cmd[10] = r[5];
    put32(cmd + 11, p->amount);
    cmd[15] = p->capp ? 0x09 : (p->purse == 1 ? 0x05 : 0x06);
    memcpy(cmd + 16, p->date, 4);
    memcpy(cmd + 20, p->time, 3);
    cmd[23] = p->kver;
    cmd[24] = r[10];
    memcpy(cmd + 25, p->serial, 8);
    memcpy(cmd + 33, p->issuer, 8);
    cmd[41] = 0x08;
    p->stage = 2;
    if ((p->sw = pt_tx(psam, cmd, 42, r, &n)) != 0x9000)
        return;
    cr_assert_eq(n, 8);
    p->ttn = be32(r);
    memcpy(p->mac1, r + 4, 4);
    /* UPDATE CAPP DATA CACHE */
    if (p->capp && p->capp_rec != NULL) {
        cmd[0] = 0x80;
        cmd[1] = 0xDC;
        cmd[2] = p->capp_recno;
        cmd[3] = (uint8_t)(p->capp_sfi << 3);
        cmd[4] = p->capp_len;
        memcpy(cmd + 5, p->capp_rec, p->capp_len);
        p->stage = 3;
        if ((p->sw = pt_tx(card, cmd, 5u + p->capp_len, NULL, NULL)) != 0x9000)
            return;
    }
    /* DEBIT FOR PURCHASE */
    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    put32(cmd + 5, p->ttn);
    memcpy(cmd + 9, p->date, 4);
    memcpy(cmd + 13, p->time, 3);
    memcpy(cmd + 16, p->mac1, 4);
    cmd[20] = 0x08;
    p->stage = 4;
    if ((p->sw = pt_tx(card, cmd, 21, r, &n)) != 0x9000)
        return;
    cr_assert_eq(n, 8);
    memcpy(p->tac, r, 4);
    memcpy(p->mac2, r + 4, 4);
    /* CREDIT SAM FOR PURCHASE */
    memcpy(cmd, "\x80\x72\x00\x00\x04", 5);
    memcpy(cmd + 5, p->mac2, 4);
    p->stage = 5;
    if ((p->sw = pt_tx(psam, cmd, 9, NULL, NULL)) != 0x9000)
        return;
    p->stage = 0;
    /* The host checks the card's MAC2 and TAC with OpenSSL (an independent route). */
    memset(&hp, 0, sizeof hp);
    hp.amount = p->amount;
    hp.type = p->capp ? 0x09 : (p->purse == 1 ? 0x05 : 0x06);
    memcpy(hp.terminal_id, p->tid, 6);
    hp.ttn = p->ttn;
    memcpy(hp.date, p->date, 4);
    memcpy(hp.time, p->time, 3);
    card_dpk(p->kid, p->serial, p->issuer, dpk);
    cr_assert_eq(host_pboc_diversify(pt_test_mtk01, p->serial, dtk), 0);
    cr_assert_eq(host_pboc_sespk(dpk, p->rnd, p->ctr, p->ttn, sespk), 0);
    cr_expect_eq(host_pboc_purchase_mac1_verify(sespk, &hp, p->mac1), 0, "PSAM MAC1");
    cr_expect_eq(host_pboc_purchase_mac2_verify(sespk, p->amount, p->mac2), 0, "card MAC2");
    cr_expect_eq(host_pboc_purchase_tac_verify(dtk, &hp, p->tac), 0, "card TAC");
}

void pt_load_run(pt_card *card, pt_load *l)
{
    uint8_t cmd[64], r[64], serial[8], issuer[8], dlk[16], dtk[16], seslk[8], rnd[4];
    host_pboc_load hl;
    size_t n;

    pt_read_ids(card, serial, issuer);
    memcpy(cmd, "\x80\x50\x00\x02\x0B", 5);
    cmd[3] = l->purse;
    cmd[5] = l->kid;
    put32(cmd + 6, l->amount);
    memcpy(cmd + 10, l->tid, 6);
    cmd[16] = 0x10;
    l->stage = 1;
    if ((l->sw = pt_tx(card, cmd, 17, r, &n)) != 0x9000)
        return;
    cr_assert_eq(n, 16);
    l->old_balance = be32(r);
    l->ctr = (uint16_t)(r[4] << 8 | r[5]);
    memcpy(rnd, r + 8, 4);
    cr_assert_eq(host_pboc_diversify(pt_test_mlk01, serial, dlk), 0);
    cr_assert_eq(host_pboc_diversify(pt_test_mtk01, serial, dtk), 0);
    cr_assert_eq(host_pboc_seslk(dlk, rnd, l->ctr, seslk), 0);
    memset(&hl, 0, sizeof hl);
    hl.old_balance = l->old_balance;
    hl.amount = l->amount;
    hl.online_counter = l->ctr;
    hl.type = l->purse == 1 ? 0x01 : 0x02;
    memcpy(hl.terminal_id, l->tid, 6);
    memcpy(hl.date, l->date, 4);
    memcpy(hl.time, l->time, 3);
    l->stage = 2;
    l->sw = 0;
    if (host_pboc_load_mac1_verify(seslk, &hl, r + 12) != 0)
        return;
    cr_assert_eq(host_pboc_load_mac2(seslk, &hl, l->mac2), 0);
    if (l->bad_mac2)
        l->mac2[3] ^= 0x01;
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, l->date, 4);
    memcpy(cmd + 9, l->time, 3);
    memcpy(cmd + 12, l->mac2, 4);
    cmd[16] = 0x04;
    l->stage = 3;
    if ((l->sw = pt_tx(card, cmd, 17, r, &n)) != 0x9000)
        return;
    cr_assert_eq(n, 4);
    memcpy(l->tac, r, 4);
    l->stage = 4;
    if (host_pboc_load_tac_verify(dtk, &hl, l->tac) != 0)
        return;
    l->stage = 0;
}

uint32_t pt_balance(pt_card *card, uint8_t purse)
{
    uint8_t cmd[5] = {0x80, 0x5C, 0x00, purse, 0x04}, r[8];
    size_t n;

    cr_assert_eq(pt_tx(card, cmd, 5, r, &n), 0x9000);
    cr_assert_eq(n, 4);
    return be32(r);
}
