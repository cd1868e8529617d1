/*
 * obol CLI: the conformance cases of the PBOC purse and the PSAM (conform.h): JR/T 0025
 * (PBOC 2.0) part 1, with the host's side (MAC1, MAC2, TAC, dispersion) computed by
 * hostsim on OpenSSL with the TEST keys; PROTOCOLS.md has the formulas.
 */
#include <stdio.h>
#include <string.h>

#include "conform.h"
#include "obol/host_crypto.h"

/* ---- shared steps ------------------------------------------------------------------- */

/* Selects the purse and learns the card's serial and issuer code (EF 0015). */
conform_verdict conform__purse_open(conform_ctx *c)
{
    uint8_t r[CONFORM__RSP_MAX];
    size_t n;
    uint16_t sw;
    if (conform__select_aid(c, c->card, 0x00, conform__purse_aid, sizeof(conform__purse_aid), r, &n,
                            &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x6A82)
        return conform__said(c, CONFORM_SKIP, "the card has no PBOC purse (SELECT: 6A82)");
    if (sw != 0x9000)
        return conform__said(c, CONFORM_FAIL, "SELECT of the PBOC purse: SW %04X", sw);
    if (conform__xh(c, c->card, "00B095001E", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 || n != 30)
        return conform__said(c, CONFORM_ERROR, "READ BINARY of EF 0015: SW %04X, %zu bytes", sw, n);
    memcpy(c->issuer, r, 8);
    memcpy(c->serial, r + 12, 8);
    c->have_ids = 1;
    return CONFORM_PASS;
}

static conform_verdict psam_open(conform_ctx *c)
{
    uint8_t r[CONFORM__RSP_MAX];
    size_t n;
    uint16_t sw;
    if (c->psam == NULL)
        return conform__said(c, CONFORM_SKIP, "no PSAM (--psam-reader)");
    if (conform__select_aid(c, c->psam, 0x00, conform__psam_aid, sizeof(conform__psam_aid), r, &n,
                            &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000)
        return conform__said(c, CONFORM_ERROR, "SELECT of the PSAM application: SW %04X", sw);
    if (conform__xh(c, c->psam, "00B0960006", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 || n != 6)
        return conform__said(c, CONFORM_ERROR, "READ BINARY of the terminal id: SW %04X, %zu bytes",
                             sw, n);
    memcpy(c->tid, r, 6);
    return CONFORM_PASS;
}

static int ep_balance(conform_ctx *c, uint32_t *bal)
{
    uint8_t r[CONFORM__RSP_MAX];
    size_t n;
    uint16_t sw;
    if (conform__xh(c, c->card, "805C000204", r, &n, &sw) != 0)
        return -1;
    if (sw != 0x9000 || n != 4) {
        conform__said(c, CONFORM_FAIL, "GET BALANCE: SW %04X, %zu bytes", sw, n);
        return -1;
    }
    *bal = conform__be32(r);
    return 0;
}

/* An EP load of AMOUNT with the host's MAC2 (TEST-MLK-01, one level), its MAC1 and
 * TAC checked with OpenSSL. Returns PASS or the deviation. */
static conform_verdict ep_load(conform_ctx *c, uint32_t amount)
{
    uint8_t cmd[32], r[CONFORM__RSP_MAX], dlk[16], dtk[16], seslk[8], mac2[4];
    size_t n;
    uint16_t sw;
    if (!c->have_keys)
        return conform__said(c, CONFORM_ERROR, "the TEST keys are not loaded");
    memcpy(cmd, "\x80\x50\x00\x02\x0B\x01", 6);
    conform__put32(cmd + 6, amount);
    memcpy(cmd + 10, conform__load_tid, 6);
    cmd[16] = 0x10;
    if (conform__xfer(c, c->card, cmd, 17, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "INITIALIZE FOR LOAD");
    if (n != 16)
        return conform__said(c, CONFORM_FAIL, "INITIALIZE FOR LOAD answered %zu bytes, expected 16",
                             n);
    host_pboc_load hl = {.old_balance = conform__be32(r),
                         .amount = amount,
                         .online_counter = (uint16_t)(r[4] << 8 | r[5]),
                         .type = HOST_PBOC_EP_LOAD};
    memcpy(hl.terminal_id, conform__load_tid, 6);
    memcpy(hl.date, conform__tx_date, 4);
    memcpy(hl.time, conform__tx_time, 3);
    if (host_pboc_diversify(c->mlk1, c->serial, dlk) != 0 ||
        host_pboc_diversify(c->mtk1, c->serial, dtk) != 0 ||
        host_pboc_seslk(dlk, r + 8, hl.online_counter, seslk) != 0)
        return conform__said(c, CONFORM_ERROR, "host cryptography failed");
    if (host_pboc_load_mac1_verify(seslk, &hl, r + 12) != 0)
        return conform__said(c, CONFORM_FAIL, "the card's load MAC1 does not verify at the host");
    host_pboc_load_mac2(seslk, &hl, mac2);
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, conform__tx_date, 4);
    memcpy(cmd + 9, conform__tx_time, 3);
    memcpy(cmd + 12, mac2, 4);
    cmd[16] = 0x04;
    if (conform__xfer(c, c->card, cmd, 17, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "CREDIT FOR LOAD");
    if (n != 4 || host_pboc_load_tac_verify(dtk, &hl, r) != 0)
        return conform__said(c, CONFORM_FAIL, "the load TAC does not verify at the host");
    return CONFORM_PASS;
}

/* One EP purchase of AMOUNT with key index KID; with BAD_MAC1 the PSAM's MAC1 is
 * corrupted before DEBIT. Fills P. Returns PASS, or the deviation; *SW_OUT gets the
 * status word of the step that stopped (9000 when done). */
static conform_verdict ep_purchase(conform_ctx *c, uint8_t kid, uint32_t amount, int bad_mac1,
                                   conform_purchase *p, uint16_t *sw_out)
{
    uint8_t cmd[64], r[CONFORM__RSP_MAX], init[16], sam[8];
    size_t n;
    uint16_t sw;
    memset(p, 0, sizeof(*p));
    *sw_out = 0;
    memcpy(cmd, "\x80\x50\x01\x02\x0B", 5);
    cmd[5] = kid;
    conform__put32(cmd + 6, amount);
    memcpy(cmd + 10, c->tid, 6);
    cmd[16] = 0x0F;
    if (conform__xfer(c, c->card, cmd, 17, init, &n, &sw) != 0)
        return CONFORM_ERROR;
    if ((*sw_out = sw) != 0x9000)
        return CONFORM_PASS;
    if (n != 15)
        return conform__said(c, CONFORM_FAIL,
                             "INITIALIZE FOR PURCHASE answered %zu bytes, expected 15", n);
    p->balance_before = conform__be32(init);
    p->counter = (uint16_t)(init[4] << 8 | init[5]);
    /* INIT SAM FOR PURCHASE: random, counter, amount, type, date time, key version,
     * algorithm, card serial, issuer code */
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, init + 11, 4);
    memcpy(cmd + 9, init + 4, 2);
    conform__put32(cmd + 11, amount);
    cmd[15] = HOST_PBOC_EP_PURCHASE;
    memcpy(cmd + 16, conform__tx_date, 4);
    memcpy(cmd + 20, conform__tx_time, 3);
    cmd[23] = init[9];
    cmd[24] = init[10];
    memcpy(cmd + 25, c->serial, 8);
    memcpy(cmd + 33, c->issuer, 8);
    cmd[41] = 0x08;
    if (conform__xfer(c, c->psam, cmd, 42, sam, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 || n != 8)
        return conform__said(c, CONFORM_ERROR, "INIT SAM FOR PURCHASE: SW %04X, %zu bytes", sw, n);
    p->ttn = conform__be32(sam);
    /* the host checks the PSAM's MAC1 with the card's key, dispersed by OpenSSL */
    uint8_t dpk[16], dtk[16], sespk[8];
    host_pboc_purchase hp = {.amount = amount, .type = HOST_PBOC_EP_PURCHASE, .ttn = p->ttn};
    memcpy(hp.terminal_id, c->tid, 6);
    memcpy(hp.date, conform__tx_date, 4);
    memcpy(hp.time, conform__tx_time, 3);
    int hrc = kid == 1 ? host_pboc_diversify2(c->mpk1, c->issuer, c->serial, dpk)
                       : host_pboc_diversify(c->mpk2, c->serial, dpk);
    if (hrc != 0 || host_pboc_diversify(c->mtk1, c->serial, dtk) != 0 ||
        host_pboc_sespk(dpk, init + 11, p->counter, p->ttn, sespk) != 0)
        return conform__said(c, CONFORM_ERROR, "host cryptography failed");
    if (host_pboc_purchase_mac1_verify(sespk, &hp, sam + 4) != 0)
        return conform__said(c, CONFORM_FAIL, "the PSAM's MAC1 does not verify at the host");
    if (bad_mac1)
        sam[4] ^= 0x01;
    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    memcpy(cmd + 5, sam, 4);
    memcpy(cmd + 9, conform__tx_date, 4);
    memcpy(cmd + 13, conform__tx_time, 3);
    memcpy(cmd + 16, sam + 4, 4);
    cmd[20] = 0x08;
    if (conform__xfer(c, c->card, cmd, 21, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if ((*sw_out = sw) != 0x9000)
        return CONFORM_PASS;
    if (n != 8)
        return conform__said(c, CONFORM_FAIL, "DEBIT FOR PURCHASE answered %zu bytes, expected 8",
                             n);
    memcpy(p->tac, r, 4);
    memcpy(p->mac2, r + 4, 4);
    if (host_pboc_purchase_mac2_verify(sespk, amount, p->mac2) != 0)
        return conform__said(c, CONFORM_FAIL, "the card's MAC2 does not verify at the host");
    if (host_pboc_purchase_tac_verify(dtk, &hp, p->tac) != 0)
        return conform__said(c, CONFORM_FAIL, "the purchase TAC does not verify at the host");
    memcpy(cmd, "\x80\x72\x00\x00\x04", 5);
    memcpy(cmd + 5, p->mac2, 4);
    if (conform__xfer(c, c->psam, cmd, 9, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000)
        return conform__said(c, CONFORM_FAIL, "the PSAM refused the card's MAC2: SW %04X", sw);
    p->amount = amount;
    memcpy(p->date, conform__tx_date, 4);
    memcpy(p->time, conform__tx_time, 3);
    memcpy(p->tid, c->tid, 6);
    p->done = 1;
    *sw_out = 0x9000;
    return CONFORM_PASS;
}

/* Purse and PSAM selected, and at least AMOUNT in the EP (loaded when short). */
static conform_verdict purchase_ready(conform_ctx *c, uint32_t amount)
{
    conform_verdict v;
    uint32_t bal;
    if ((v = psam_open(c)) != CONFORM_PASS || (v = conform__purse_open(c)) != CONFORM_PASS)
        return v;
    if (ep_balance(c, &bal) != 0)
        return CONFORM_ERROR;
    if (bal < amount && (v = ep_load(c, 10000)) != CONFORM_PASS)
        return v == CONFORM_FAIL ? conform__said(c, CONFORM_ERROR, "cannot fund the purse") : v;
    return CONFORM_PASS;
}

/* ---- PBOC purse --------------------------------------------------------------------- */

conform_verdict conform__pboc_select(conform_ctx *c)
{
    uint8_t r[CONFORM__RSP_MAX];
    size_t n;
    uint16_t sw;
    if (conform__select_aid(c, c->card, 0x00, conform__purse_aid, sizeof(conform__purse_aid), r, &n,
                            &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x6A82)
        return conform__said(c, CONFORM_SKIP, "the card has no PBOC purse (SELECT: 6A82)");
    CONFORM__EXPECT_SW(c, sw, 0x9000, "SELECT of the purse");
    if (n < 2 + 2 + sizeof(conform__purse_aid) || r[0] != 0x6F || r[2] != 0x84 ||
        r[3] != sizeof(conform__purse_aid) ||
        memcmp(r + 4, conform__purse_aid, sizeof(conform__purse_aid)) != 0)
        return conform__said(c, CONFORM_FAIL, "the FCI is not 6F with the DF name (84) first");
    return CONFORM_PASS;
}

conform_verdict conform__pboc_balance(conform_ctx *c)
{
    uint32_t bal;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    return ep_balance(c, &bal) == 0 ? CONFORM_PASS : CONFORM_FAIL;
}

conform_verdict conform__pboc_load(conform_ctx *c)
{
    uint32_t before, after;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (ep_balance(c, &before) != 0)
        return CONFORM_ERROR;
    if ((v = ep_load(c, 10000)) != CONFORM_PASS)
        return v;
    if (ep_balance(c, &after) != 0)
        return CONFORM_FAIL;
    if (after != before + 10000)
        return conform__said(c, CONFORM_FAIL, "balance %u after loading 10000 onto %u", after,
                             before);
    return CONFORM_PASS;
}

static conform_verdict purchase_case(conform_ctx *c, uint8_t kid, uint32_t amount)
{
    conform_purchase p;
    uint16_t sw;
    uint32_t after;
    conform_verdict v = purchase_ready(c, amount);
    if (v != CONFORM_PASS)
        return v;
    if ((v = ep_purchase(c, kid, amount, 0, &p, &sw)) != CONFORM_PASS)
        return v;
    if (sw != 0x9000)
        return conform__said(c, CONFORM_FAIL, "the purchase stopped with SW %04X", sw);
    if (ep_balance(c, &after) != 0)
        return CONFORM_FAIL;
    if (after != p.balance_before - amount)
        return conform__said(c, CONFORM_FAIL, "balance %u after a purchase of %u from %u", after,
                             amount, p.balance_before);
    c->last = p;
    return CONFORM_PASS;
}

conform_verdict conform__pboc_purchase1(conform_ctx *c)
{
    return purchase_case(c, 1, 250);
}

conform_verdict conform__pboc_purchase2(conform_ctx *c)
{
    return purchase_case(c, 2, 750);
}

conform_verdict conform__pboc_no_funds(conform_ctx *c)
{
    uint8_t cmd[32];
    uint16_t sw;
    uint32_t bal;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (ep_balance(c, &bal) != 0)
        return CONFORM_ERROR;
    if (bal == UINT32_MAX)
        return conform__said(c, CONFORM_ERROR, "the balance is at its maximum");
    memcpy(cmd, "\x80\x50\x01\x02\x0B\x01", 6);
    conform__put32(cmd + 6, bal + 1);
    memcpy(cmd + 10, "\x11\x22\x33\x44\x55\x66\x0F", 7);
    if (conform__xfer(c, c->card, cmd, 17, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9401, "INITIALIZE FOR PURCHASE of the balance + 1");
    return CONFORM_PASS;
}

conform_verdict conform__pboc_bad_mac1(conform_ctx *c)
{
    conform_purchase p;
    uint16_t sw;
    uint32_t after;
    conform_verdict v = purchase_ready(c, 100);
    if (v != CONFORM_PASS)
        return v;
    if ((v = ep_purchase(c, 1, 100, 1, &p, &sw)) != CONFORM_PASS)
        return v;
    if (sw != 0x9302)
        return conform__said(c, CONFORM_FAIL, "DEBIT with a wrong MAC1: SW %04X, expected 9302",
                             sw);
    if (ep_balance(c, &after) != 0)
        return CONFORM_FAIL;
    if (after != p.balance_before)
        return conform__said(c, CONFORM_FAIL,
                             "the balance moved from %u to %u after a refused DEBIT",
                             p.balance_before, after);
    return CONFORM_PASS;
}

conform_verdict conform__pboc_bad_key(conform_ctx *c)
{
    uint16_t sw;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->card, "805001020B0900000001112233445566 0F", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9403, "INITIALIZE FOR PURCHASE with key index 09");
    return CONFORM_PASS;
}

/* The cases about a purchase's traces make one first when none was made yet (so they
 * also run alone, with --only). */
static conform_verdict need_purchase(conform_ctx *c)
{
    if (c->last.done)
        return CONFORM_PASS;
    conform_verdict v = purchase_case(c, 1, 250);
    if (v == CONFORM_FAIL)
        v = conform__said(c, CONFORM_ERROR, "the purchase this case needs failed");
    return v;
}

conform_verdict conform__pboc_log(conform_ctx *c)
{
    uint8_t r[CONFORM__RSP_MAX], want[23];
    size_t n;
    uint16_t sw;
    conform_verdict v = need_purchase(c);
    if (v != CONFORM_PASS)
        return v;
    v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->card, "00B201C417", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "READ RECORD 1 of the log (SFI 18)");
    /* counter(2) overdraft(3) amount(4) type(1) terminal id(6) date(4) time(3) */
    want[0] = (uint8_t)(c->last.counter >> 8);
    want[1] = (uint8_t)c->last.counter;
    memset(want + 2, 0, 3);
    conform__put32(want + 5, c->last.amount);
    want[9] = HOST_PBOC_EP_PURCHASE;
    memcpy(want + 10, c->last.tid, 6);
    memcpy(want + 16, c->last.date, 4);
    memcpy(want + 20, c->last.time, 3);
    if (n != 23)
        return conform__said(c, CONFORM_FAIL, "the log record has %zu bytes, expected 23", n);
    for (size_t i = 0; i < 23; i++)
        if (r[i] != want[i] && !(i >= 2 && i < 5)) /* the overdraft limit is the card's */
            return conform__said(c, CONFORM_FAIL, "log record byte %zu is %02X, expected %02X", i,
                                 r[i], want[i]);
    return CONFORM_PASS;
}

conform_verdict conform__pboc_prove(conform_ctx *c)
{
    uint8_t cmd[8], r[CONFORM__RSP_MAX];
    size_t n;
    uint16_t sw;
    conform_verdict v = need_purchase(c);
    if (v != CONFORM_PASS)
        return v;
    v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    uint16_t next = (uint16_t)(c->last.counter + 1);
    memcpy(cmd, "\x80\x5A\x00\x06\x02", 5);
    cmd[5] = (uint8_t)(next >> 8);
    cmd[6] = (uint8_t)next;
    cmd[7] = 0x08;
    if (conform__xfer(c, c->card, cmd, 8, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "GET TRANSACTION PROVE");
    if (n != 8 || memcmp(r, c->last.mac2, 4) != 0 || memcmp(r + 4, c->last.tac, 4) != 0)
        return conform__said(c, CONFORM_FAIL,
                             "GET TRANSACTION PROVE is not MAC2 || TAC of the purchase");
    return CONFORM_PASS;
}

conform_verdict conform__pboc_ed_pin(conform_ctx *c)
{
    uint16_t sw;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->card, "805C000104", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x6982, "GET BALANCE (ED) without VERIFY");
    return CONFORM_PASS;
}

/* ---- PSAM --------------------------------------------------------------------------- */

/* INIT SAM FOR PURCHASE for a made-up card (serial 99), expecting 9000: the TTN and
 * MAC1 into OUT. */
static conform_verdict init_sam(conform_ctx *c, uint8_t out[8])
{
    uint8_t cmd[64];
    size_t n;
    uint16_t sw;
    conform__unhex("8070000024 11223344 0001 00000064 06 20261122083000 01 00"
                   "0000000000000099 1234567800000000 08",
                   cmd, sizeof(cmd));
    if (conform__xfer(c, c->psam, cmd, 42, out, &n, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "INIT SAM FOR PURCHASE");
    if (n != 8)
        return conform__said(c, CONFORM_FAIL,
                             "INIT SAM FOR PURCHASE answered %zu bytes, expected 8", n);
    return CONFORM_PASS;
}

conform_verdict conform__psam_select(conform_ctx *c)
{
    return psam_open(c);
}

conform_verdict conform__psam_mac1(conform_ctx *c)
{
    uint8_t r[8], dpk[16], sespk[8];
    static const uint8_t serial[8] = {0, 0, 0, 0, 0, 0, 0, 0x99};
    static const uint8_t issuer[8] = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0};
    static const uint8_t rnd[4] = {0x11, 0x22, 0x33, 0x44};
    conform_verdict v = psam_open(c);
    if (v != CONFORM_PASS)
        return v;
    if ((v = init_sam(c, r)) != CONFORM_PASS)
        return v;
    host_pboc_purchase hp = {.amount = 100, .type = HOST_PBOC_EP_PURCHASE, .ttn = conform__be32(r)};
    memcpy(hp.terminal_id, c->tid, 6);
    memcpy(hp.date, conform__tx_date, 4);
    memcpy(hp.time, conform__tx_time, 3);
    if (host_pboc_diversify2(c->mpk1, issuer, serial, dpk) != 0 ||
        host_pboc_sespk(dpk, rnd, 1, hp.ttn, sespk) != 0)
        return conform__said(c, CONFORM_ERROR, "host cryptography failed");
    if (host_pboc_purchase_mac1_verify(sespk, &hp, r + 4) != 0)
        return conform__said(c, CONFORM_FAIL,
                             "MAC1 differs from the host's (two-level key version 01)");
    return CONFORM_PASS;
}

conform_verdict conform__psam_bad_mac2(conform_ctx *c)
{
    uint8_t r[8];
    uint16_t sw;
    conform_verdict v = psam_open(c);
    if (v != CONFORM_PASS)
        return v;
    if ((v = init_sam(c, r)) != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->psam, "8072000004 00000000", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x9000)
        return conform__said(c, CONFORM_FAIL, "CREDIT SAM FOR PURCHASE accepted a wrong MAC2");
    return CONFORM_PASS;
}

conform_verdict conform__psam_ttn(conform_ctx *c)
{
    uint8_t a[8], b[8];
    conform_verdict v = psam_open(c);
    if (v != CONFORM_PASS)
        return v;
    if ((v = init_sam(c, a)) != CONFORM_PASS || (v = init_sam(c, b)) != CONFORM_PASS)
        return v;
    if (conform__be32(b) != conform__be32(a) + 1)
        return conform__said(c, CONFORM_FAIL, "terminal transaction numbers %u then %u",
                             conform__be32(a), conform__be32(b));
    return CONFORM_PASS;
}
