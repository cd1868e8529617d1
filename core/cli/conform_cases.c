/*
 * obol CLI: the cases of the card conformance suite (conform.h). Each checks one
 * requirement of reports/conformance.tsv through APDUs; the facts they rely on are
 * ISO/IEC 7816-4 (status words 6A82, 6A86, 6700, 6D00, 6E00, GET CHALLENGE, MANAGE
 * CHANNEL, VERIFY), ISO/IEC 7816-3 (the ATR), JR/T 0025 (PBOC 2.0) part 1 for the purse
 * and the PSAM, and GlobalPlatform card spec 2.3 with Amendment D for the card manager
 * (PROTOCOLS.md has the formulas; hostsim computes the host's side with OpenSSL).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "obol/host_crypto.h"
#include "obol/host_gp.h"

#define RSP_MAX 1024

static const uint8_t purse_aid[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
static const uint8_t psam_aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};
static const uint8_t isd_aid[] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
/* GlobalPlatform's well-known test key (TEST KEY; profiles/multiapp.profile's ISD). */
static const uint8_t gp_test_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                        0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
/* Every purse transaction of the suite is dated 2026-11-22 08:30:00, so runs compare. */
static const uint8_t tx_date[4] = {0x20, 0x26, 0x11, 0x22};
static const uint8_t tx_time[3] = {0x08, 0x30, 0x00};
static const uint8_t load_tid[6] = {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

const char *conform_verdict_name(conform_verdict v)
{
    static const char *const names[] = {"pass", "FAIL", "error", "skip"};
    return (unsigned)v < 4 ? names[v] : "?";
}

/* ---- exchanges and their log -------------------------------------------------------- */

static void log_line(conform_ctx *c, const char *who, const char *dir, const uint8_t *b, size_t n)
{
    size_t need = strlen(who) + 8 + 2 * n + 2;
    if (c->loglen + need + 1 > c->logcap) {
        size_t cap = (c->logcap ? 2 * c->logcap : 4096) + need;
        char *p = realloc(c->log, cap);
        if (p == NULL)
            return;
        c->log = p;
        c->logcap = cap;
    }
    c->loglen += (size_t)sprintf(c->log + c->loglen, "\"%s\" %s", who, dir);
    if (n > 0)
        c->log[c->loglen++] = ' ';
    for (size_t i = 0; i < n; i++)
        c->loglen += (size_t)sprintf(c->log + c->loglen, "%02X", b[i]);
    c->log[c->loglen++] = '\n';
    c->log[c->loglen] = '\0';
}

static conform_verdict said(conform_ctx *c, conform_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records why the case ended with V (the first reason stays) and returns V. */
static conform_verdict said(conform_ctx *c, conform_verdict v, const char *fmt, ...)
{
    if (c->detail[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
        va_end(ap);
    }
    return v;
}

/* One exchange with L ("card" or "psam" in the log): the response data into DATA (may
 * be NULL), its length into *DLEN, the status word into *SW. Returns 0, or -1 when the
 * card did not answer (the detail says why). */
static int xfer(conform_ctx *c, link *l, const uint8_t *cmd, size_t len, uint8_t *data,
                size_t *dlen, uint16_t *sw)
{
    uint8_t rsp[RSP_MAX];
    size_t n = 0;
    const char *who = l == c->card ? "card" : "psam";
    log_line(c, who, ">", cmd, len);
    if (link_transmit(l, cmd, len, rsp, sizeof(rsp), &n) != 0) {
        said(c, CONFORM_ERROR, "%s did not answer: %s", who, link_errmsg(l));
        return -1;
    }
    log_line(c, who, "<", rsp, n);
    *sw = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
    if (data != NULL)
        memcpy(data, rsp, n - 2);
    if (dlen != NULL)
        *dlen = n - 2;
    return 0;
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex && n < cap; hex++) {
        int v = (*hex >= '0' && *hex <= '9')   ? *hex - '0'
                : (*hex >= 'A' && *hex <= 'F') ? *hex - 'A' + 10
                : (*hex >= 'a' && *hex <= 'f') ? *hex - 'a' + 10
                                               : -1;
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

/* xfer() with the command in hex. */
static int xh(conform_ctx *c, link *l, const char *hex, uint8_t *data, size_t *dlen, uint16_t *sw)
{
    uint8_t cmd[300];
    return xfer(c, l, cmd, unhex(hex, cmd, sizeof(cmd)), data, dlen, sw);
}

static int select_aid(conform_ctx *c, link *l, uint8_t cla, const uint8_t *aid, size_t len,
                      uint8_t *fci, size_t *fcilen, uint16_t *sw)
{
    uint8_t cmd[32] = {cla, 0xA4, 0x04, 0x00, (uint8_t)len};
    memcpy(cmd + 5, aid, len);
    cmd[5 + len] = 0x00;
    return xfer(c, l, cmd, 6 + len, fci, fcilen, sw);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Expects status word WANT from an exchange already made. */
#define EXPECT_SW(c, got, want, what)                                                              \
    do {                                                                                           \
        if ((got) != (want))                                                                       \
            return said((c), CONFORM_FAIL, "%s: SW %04X, expected %04X", (what), (got), (want));   \
    } while (0)

/* ---- shared steps ------------------------------------------------------------------- */

/* Selects the purse and learns the card's serial and issuer code (EF 0015). */
static conform_verdict purse_open(conform_ctx *c)
{
    uint8_t r[RSP_MAX];
    size_t n;
    uint16_t sw;
    if (select_aid(c, c->card, 0x00, purse_aid, sizeof(purse_aid), r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x6A82)
        return said(c, CONFORM_SKIP, "the card has no PBOC purse (SELECT: 6A82)");
    if (sw != 0x9000)
        return said(c, CONFORM_FAIL, "SELECT of the PBOC purse: SW %04X", sw);
    if (xh(c, c->card, "00B095001E", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 || n != 30)
        return said(c, CONFORM_ERROR, "READ BINARY of EF 0015: SW %04X, %zu bytes", sw, n);
    memcpy(c->issuer, r, 8);
    memcpy(c->serial, r + 12, 8);
    c->have_ids = 1;
    return CONFORM_PASS;
}

static conform_verdict psam_open(conform_ctx *c)
{
    uint8_t r[RSP_MAX];
    size_t n;
    uint16_t sw;
    if (c->psam == NULL)
        return said(c, CONFORM_SKIP, "no PSAM (--psam-reader)");
    if (select_aid(c, c->psam, 0x00, psam_aid, sizeof(psam_aid), r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000)
        return said(c, CONFORM_ERROR, "SELECT of the PSAM application: SW %04X", sw);
    if (xh(c, c->psam, "00B0960006", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 || n != 6)
        return said(c, CONFORM_ERROR, "READ BINARY of the terminal id: SW %04X, %zu bytes", sw, n);
    memcpy(c->tid, r, 6);
    return CONFORM_PASS;
}

static int ep_balance(conform_ctx *c, uint32_t *bal)
{
    uint8_t r[RSP_MAX];
    size_t n;
    uint16_t sw;
    if (xh(c, c->card, "805C000204", r, &n, &sw) != 0)
        return -1;
    if (sw != 0x9000 || n != 4) {
        said(c, CONFORM_FAIL, "GET BALANCE: SW %04X, %zu bytes", sw, n);
        return -1;
    }
    *bal = be32(r);
    return 0;
}

/* An EP load of AMOUNT with the host's MAC2 (TEST-MLK-01, one level), its MAC1 and
 * TAC checked with OpenSSL. Returns PASS or the deviation. */
static conform_verdict ep_load(conform_ctx *c, uint32_t amount)
{
    uint8_t cmd[32], r[RSP_MAX], dlk[16], dtk[16], seslk[8], mac2[4];
    size_t n;
    uint16_t sw;
    if (!c->have_keys)
        return said(c, CONFORM_ERROR, "the TEST keys are not loaded");
    memcpy(cmd, "\x80\x50\x00\x02\x0B\x01", 6);
    put32(cmd + 6, amount);
    memcpy(cmd + 10, load_tid, 6);
    cmd[16] = 0x10;
    if (xfer(c, c->card, cmd, 17, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "INITIALIZE FOR LOAD");
    if (n != 16)
        return said(c, CONFORM_FAIL, "INITIALIZE FOR LOAD answered %zu bytes, expected 16", n);
    host_pboc_load hl = {.old_balance = be32(r),
                         .amount = amount,
                         .online_counter = (uint16_t)(r[4] << 8 | r[5]),
                         .type = HOST_PBOC_EP_LOAD};
    memcpy(hl.terminal_id, load_tid, 6);
    memcpy(hl.date, tx_date, 4);
    memcpy(hl.time, tx_time, 3);
    if (host_pboc_diversify(c->mlk1, c->serial, dlk) != 0 ||
        host_pboc_diversify(c->mtk1, c->serial, dtk) != 0 ||
        host_pboc_seslk(dlk, r + 8, hl.online_counter, seslk) != 0)
        return said(c, CONFORM_ERROR, "host cryptography failed");
    if (host_pboc_load_mac1_verify(seslk, &hl, r + 12) != 0)
        return said(c, CONFORM_FAIL, "the card's load MAC1 does not verify at the host");
    host_pboc_load_mac2(seslk, &hl, mac2);
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, tx_date, 4);
    memcpy(cmd + 9, tx_time, 3);
    memcpy(cmd + 12, mac2, 4);
    cmd[16] = 0x04;
    if (xfer(c, c->card, cmd, 17, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "CREDIT FOR LOAD");
    if (n != 4 || host_pboc_load_tac_verify(dtk, &hl, r) != 0)
        return said(c, CONFORM_FAIL, "the load TAC does not verify at the host");
    return CONFORM_PASS;
}

/* One EP purchase of AMOUNT with key index KID; with BAD_MAC1 the PSAM's MAC1 is
 * corrupted before DEBIT. Fills P. Returns PASS, or the deviation; *SW_OUT gets the
 * status word of the step that stopped (9000 when done). */
static conform_verdict ep_purchase(conform_ctx *c, uint8_t kid, uint32_t amount, int bad_mac1,
                                   conform_purchase *p, uint16_t *sw_out)
{
    uint8_t cmd[64], r[RSP_MAX], init[16], sam[8];
    size_t n;
    uint16_t sw;
    memset(p, 0, sizeof(*p));
    *sw_out = 0;
    memcpy(cmd, "\x80\x50\x01\x02\x0B", 5);
    cmd[5] = kid;
    put32(cmd + 6, amount);
    memcpy(cmd + 10, c->tid, 6);
    cmd[16] = 0x0F;
    if (xfer(c, c->card, cmd, 17, init, &n, &sw) != 0)
        return CONFORM_ERROR;
    if ((*sw_out = sw) != 0x9000)
        return CONFORM_PASS;
    if (n != 15)
        return said(c, CONFORM_FAIL, "INITIALIZE FOR PURCHASE answered %zu bytes, expected 15", n);
    p->balance_before = be32(init);
    p->counter = (uint16_t)(init[4] << 8 | init[5]);
    /* INIT SAM FOR PURCHASE: random, counter, amount, type, date time, key version,
     * algorithm, card serial, issuer code */
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, init + 11, 4);
    memcpy(cmd + 9, init + 4, 2);
    put32(cmd + 11, amount);
    cmd[15] = HOST_PBOC_EP_PURCHASE;
    memcpy(cmd + 16, tx_date, 4);
    memcpy(cmd + 20, tx_time, 3);
    cmd[23] = init[9];
    cmd[24] = init[10];
    memcpy(cmd + 25, c->serial, 8);
    memcpy(cmd + 33, c->issuer, 8);
    cmd[41] = 0x08;
    if (xfer(c, c->psam, cmd, 42, sam, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 || n != 8)
        return said(c, CONFORM_ERROR, "INIT SAM FOR PURCHASE: SW %04X, %zu bytes", sw, n);
    p->ttn = be32(sam);
    /* the host checks the PSAM's MAC1 with the card's key, dispersed by OpenSSL */
    uint8_t dpk[16], dtk[16], sespk[8];
    host_pboc_purchase hp = {.amount = amount, .type = HOST_PBOC_EP_PURCHASE, .ttn = p->ttn};
    memcpy(hp.terminal_id, c->tid, 6);
    memcpy(hp.date, tx_date, 4);
    memcpy(hp.time, tx_time, 3);
    int hrc = kid == 1 ? host_pboc_diversify2(c->mpk1, c->issuer, c->serial, dpk)
                       : host_pboc_diversify(c->mpk2, c->serial, dpk);
    if (hrc != 0 || host_pboc_diversify(c->mtk1, c->serial, dtk) != 0 ||
        host_pboc_sespk(dpk, init + 11, p->counter, p->ttn, sespk) != 0)
        return said(c, CONFORM_ERROR, "host cryptography failed");
    if (host_pboc_purchase_mac1_verify(sespk, &hp, sam + 4) != 0)
        return said(c, CONFORM_FAIL, "the PSAM's MAC1 does not verify at the host");
    if (bad_mac1)
        sam[4] ^= 0x01;
    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    memcpy(cmd + 5, sam, 4);
    memcpy(cmd + 9, tx_date, 4);
    memcpy(cmd + 13, tx_time, 3);
    memcpy(cmd + 16, sam + 4, 4);
    cmd[20] = 0x08;
    if (xfer(c, c->card, cmd, 21, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if ((*sw_out = sw) != 0x9000)
        return CONFORM_PASS;
    if (n != 8)
        return said(c, CONFORM_FAIL, "DEBIT FOR PURCHASE answered %zu bytes, expected 8", n);
    memcpy(p->tac, r, 4);
    memcpy(p->mac2, r + 4, 4);
    if (host_pboc_purchase_mac2_verify(sespk, amount, p->mac2) != 0)
        return said(c, CONFORM_FAIL, "the card's MAC2 does not verify at the host");
    if (host_pboc_purchase_tac_verify(dtk, &hp, p->tac) != 0)
        return said(c, CONFORM_FAIL, "the purchase TAC does not verify at the host");
    memcpy(cmd, "\x80\x72\x00\x00\x04", 5);
    memcpy(cmd + 5, p->mac2, 4);
    if (xfer(c, c->psam, cmd, 9, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000)
        return said(c, CONFORM_FAIL, "the PSAM refused the card's MAC2: SW %04X", sw);
    p->amount = amount;
    memcpy(p->date, tx_date, 4);
    memcpy(p->time, tx_time, 3);
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
    if ((v = psam_open(c)) != CONFORM_PASS || (v = purse_open(c)) != CONFORM_PASS)
        return v;
    if (ep_balance(c, &bal) != 0)
        return CONFORM_ERROR;
    if (bal < amount && (v = ep_load(c, 10000)) != CONFORM_PASS)
        return v == CONFORM_FAIL ? said(c, CONFORM_ERROR, "cannot fund the purse") : v;
    return CONFORM_PASS;
}

/* ---- ISO/IEC 7816 ------------------------------------------------------------------- */

static conform_verdict iso_atr(conform_ctx *c)
{
    const uint8_t *atr;
    size_t len;
    if (link_power_on(c->card, 0, &atr, &len) != 0)
        return said(c, CONFORM_ERROR, "power on: %s", link_errmsg(c->card));
    log_line(c, "card", "ON", atr, len);
    if (len < 2 || (atr[0] != 0x3B && atr[0] != 0x3F))
        return said(c, CONFORM_FAIL, "TS is %02X, expected 3B or 3F", len ? atr[0] : 0);
    /* walk the interface bytes: Y(i) in the high nibble of T0 and each TD(i) */
    size_t i = 1, k = atr[1] & 0x0F;
    uint8_t y = atr[1] >> 4;
    int t_other = 0;
    i = 2;
    for (;;) {
        int td = (y & 0x8) != 0;
        i += (size_t)((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1));
        if (!td)
            break;
        if (i >= len)
            return said(c, CONFORM_FAIL, "the ATR ends inside its interface bytes");
        if ((atr[i] & 0x0F) != 0)
            t_other = 1;
        y = atr[i] >> 4;
        i++;
    }
    size_t want = i + k + (t_other ? 1 : 0);
    if (want != len)
        return said(c, CONFORM_FAIL, "the ATR has %zu bytes; its T0/TDi announce %zu", len, want);
    if (t_other) {
        uint8_t x = 0;
        for (size_t j = 1; j < len; j++)
            x ^= atr[j];
        if (x != 0)
            return said(c, CONFORM_FAIL, "TCK does not check (XOR of T0..TCK is %02X)", x);
    }
    return CONFORM_PASS;
}

static conform_verdict iso_select_mf(conform_ctx *c)
{
    uint16_t sw;
    if (xh(c, c->card, "00A40000023F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "SELECT MF 3F00");
    return CONFORM_PASS;
}

static conform_verdict iso_select_absent(conform_ctx *c)
{
    uint16_t sw;
    if (xh(c, c->card, "00A4040005F00000000100", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x6A82, "SELECT of an absent AID");
    return CONFORM_PASS;
}

static conform_verdict iso_bad_p1p2(conform_ctx *c)
{
    uint16_t sw;
    if (xh(c, c->card, "00A40F00023F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x6A86 && sw != 0x6B00)
        return said(c, CONFORM_FAIL, "SELECT with P1 0F: SW %04X, expected 6A86 (or 6B00)", sw);
    return CONFORM_PASS;
}

static conform_verdict iso_bad_length(conform_ctx *c)
{
    uint16_t sw;
    /* Lc says 5, two bytes follow */
    if (xh(c, c->card, "00A40000053F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x6700, "SELECT with Lc 05 and 2 data bytes");
    return CONFORM_PASS;
}

static conform_verdict iso_bad_ins(conform_ctx *c)
{
    uint16_t sw;
    if (xh(c, c->card, "00020000", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x6D00, "INS 02");
    return CONFORM_PASS;
}

static conform_verdict iso_bad_cla(conform_ctx *c)
{
    uint16_t sw;
    if (xh(c, c->card, "A0A40000023F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x6E00, "CLA A0");
    return CONFORM_PASS;
}

static conform_verdict iso_challenge(conform_ctx *c)
{
    uint8_t a[RSP_MAX], b[RSP_MAX];
    size_t na, nb;
    uint16_t sw;
    if (xh(c, c->card, "0084000008", a, &na, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "GET CHALLENGE");
    if (xh(c, c->card, "0084000008", b, &nb, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "the second GET CHALLENGE");
    if (na != 8 || nb != 8)
        return said(c, CONFORM_FAIL, "GET CHALLENGE for 8 bytes answered %zu and %zu", na, nb);
    if (memcmp(a, b, 8) == 0)
        return said(c, CONFORM_FAIL, "two challenges are equal");
    return CONFORM_PASS;
}

static conform_verdict iso_channel(conform_ctx *c)
{
    uint8_t r[RSP_MAX], cmd[8];
    size_t n;
    uint16_t sw;
    if (xh(c, c->card, "0070000001", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "MANAGE CHANNEL open");
    if (n != 1 || r[0] < 1 || r[0] > 19)
        return said(c, CONFORM_FAIL, "MANAGE CHANNEL open gave %zu bytes (channel %u)", n,
                    n ? r[0] : 0);
    uint8_t ch = r[0];
    uint8_t cla = ch < 4 ? ch : (uint8_t)(0x40 | (ch - 4));
    if (select_aid(c, c->card, cla, purse_aid, sizeof(purse_aid), r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 && sw != 0x6A82)
        return said(c, CONFORM_FAIL, "SELECT on channel %u: SW %04X", ch, sw);
    memcpy(cmd, "\x00\x70\x80\x00", 4);
    cmd[3] = ch;
    if (xfer(c, c->card, cmd, 4, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "MANAGE CHANNEL close");
    return CONFORM_PASS;
}

static conform_verdict iso_verify(conform_ctx *c)
{
    uint16_t sw, sw2;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (xh(c, c->card, "0020000103654321", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if ((sw & 0xFFF0) != 0x63C0)
        return said(c, CONFORM_FAIL, "VERIFY with a wrong PIN: SW %04X, expected 63Cx", sw);
    if (xh(c, c->card, "00200001", NULL, NULL, &sw2) != 0)
        return CONFORM_ERROR;
    if (sw2 != sw)
        return said(c, CONFORM_FAIL, "VERIFY without data: SW %04X, expected the tries left %04X",
                    sw2, sw);
    if (xh(c, c->card, "0020000103123456", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "VERIFY with the right PIN");
    return CONFORM_PASS;
}

static conform_verdict iso_reset_clears(conform_ctx *c)
{
    uint16_t sw;
    const uint8_t *atr;
    size_t len;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (xh(c, c->card, "0020000103123456", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "VERIFY");
    if (xh(c, c->card, "805C000104", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "GET BALANCE (ED) after VERIFY");
    if (link_power_on(c->card, 1, &atr, &len) != 0)
        return said(c, CONFORM_ERROR, "warm reset: %s", link_errmsg(c->card));
    log_line(c, "card", "RESET", atr, len);
    if ((v = purse_open(c)) != CONFORM_PASS)
        return v;
    if (xh(c, c->card, "805C000104", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x6982, "GET BALANCE (ED) after a warm reset");
    return CONFORM_PASS;
}

/* ---- PBOC purse --------------------------------------------------------------------- */

static conform_verdict pboc_select(conform_ctx *c)
{
    uint8_t r[RSP_MAX];
    size_t n;
    uint16_t sw;
    if (select_aid(c, c->card, 0x00, purse_aid, sizeof(purse_aid), r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x6A82)
        return said(c, CONFORM_SKIP, "the card has no PBOC purse (SELECT: 6A82)");
    EXPECT_SW(c, sw, 0x9000, "SELECT of the purse");
    if (n < 2 + 2 + sizeof(purse_aid) || r[0] != 0x6F || r[2] != 0x84 ||
        r[3] != sizeof(purse_aid) || memcmp(r + 4, purse_aid, sizeof(purse_aid)) != 0)
        return said(c, CONFORM_FAIL, "the FCI is not 6F with the DF name (84) first");
    return CONFORM_PASS;
}

static conform_verdict pboc_balance(conform_ctx *c)
{
    uint32_t bal;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    return ep_balance(c, &bal) == 0 ? CONFORM_PASS : CONFORM_FAIL;
}

static conform_verdict pboc_load(conform_ctx *c)
{
    uint32_t before, after;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (ep_balance(c, &before) != 0)
        return CONFORM_ERROR;
    if ((v = ep_load(c, 10000)) != CONFORM_PASS)
        return v;
    if (ep_balance(c, &after) != 0)
        return CONFORM_FAIL;
    if (after != before + 10000)
        return said(c, CONFORM_FAIL, "balance %u after loading 10000 onto %u", after, before);
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
        return said(c, CONFORM_FAIL, "the purchase stopped with SW %04X", sw);
    if (ep_balance(c, &after) != 0)
        return CONFORM_FAIL;
    if (after != p.balance_before - amount)
        return said(c, CONFORM_FAIL, "balance %u after a purchase of %u from %u", after, amount,
                    p.balance_before);
    c->last = p;
    return CONFORM_PASS;
}

static conform_verdict pboc_purchase1(conform_ctx *c)
{
    return purchase_case(c, 1, 250);
}

static conform_verdict pboc_purchase2(conform_ctx *c)
{
    return purchase_case(c, 2, 750);
}

static conform_verdict pboc_no_funds(conform_ctx *c)
{
    uint8_t cmd[32];
    uint16_t sw;
    uint32_t bal;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (ep_balance(c, &bal) != 0)
        return CONFORM_ERROR;
    if (bal == UINT32_MAX)
        return said(c, CONFORM_ERROR, "the balance is at its maximum");
    memcpy(cmd, "\x80\x50\x01\x02\x0B\x01", 6);
    put32(cmd + 6, bal + 1);
    memcpy(cmd + 10, "\x11\x22\x33\x44\x55\x66\x0F", 7);
    if (xfer(c, c->card, cmd, 17, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9401, "INITIALIZE FOR PURCHASE of the balance + 1");
    return CONFORM_PASS;
}

static conform_verdict pboc_bad_mac1(conform_ctx *c)
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
        return said(c, CONFORM_FAIL, "DEBIT with a wrong MAC1: SW %04X, expected 9302", sw);
    if (ep_balance(c, &after) != 0)
        return CONFORM_FAIL;
    if (after != p.balance_before)
        return said(c, CONFORM_FAIL, "the balance moved from %u to %u after a refused DEBIT",
                    p.balance_before, after);
    return CONFORM_PASS;
}

static conform_verdict pboc_bad_key(conform_ctx *c)
{
    uint16_t sw;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (xh(c, c->card, "805001020B0900000001112233445566 0F", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9403, "INITIALIZE FOR PURCHASE with key index 09");
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
        v = said(c, CONFORM_ERROR, "the purchase this case needs failed");
    return v;
}

static conform_verdict pboc_log(conform_ctx *c)
{
    uint8_t r[RSP_MAX], want[23];
    size_t n;
    uint16_t sw;
    conform_verdict v = need_purchase(c);
    if (v != CONFORM_PASS)
        return v;
    v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (xh(c, c->card, "00B201C417", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "READ RECORD 1 of the log (SFI 18)");
    /* counter(2) overdraft(3) amount(4) type(1) terminal id(6) date(4) time(3) */
    want[0] = (uint8_t)(c->last.counter >> 8);
    want[1] = (uint8_t)c->last.counter;
    memset(want + 2, 0, 3);
    put32(want + 5, c->last.amount);
    want[9] = HOST_PBOC_EP_PURCHASE;
    memcpy(want + 10, c->last.tid, 6);
    memcpy(want + 16, c->last.date, 4);
    memcpy(want + 20, c->last.time, 3);
    if (n != 23)
        return said(c, CONFORM_FAIL, "the log record has %zu bytes, expected 23", n);
    for (size_t i = 0; i < 23; i++)
        if (r[i] != want[i] && !(i >= 2 && i < 5)) /* the overdraft limit is the card's */
            return said(c, CONFORM_FAIL, "log record byte %zu is %02X, expected %02X", i, r[i],
                        want[i]);
    return CONFORM_PASS;
}

static conform_verdict pboc_prove(conform_ctx *c)
{
    uint8_t cmd[8], r[RSP_MAX];
    size_t n;
    uint16_t sw;
    conform_verdict v = need_purchase(c);
    if (v != CONFORM_PASS)
        return v;
    v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    uint16_t next = (uint16_t)(c->last.counter + 1);
    memcpy(cmd, "\x80\x5A\x00\x06\x02", 5);
    cmd[5] = (uint8_t)(next >> 8);
    cmd[6] = (uint8_t)next;
    cmd[7] = 0x08;
    if (xfer(c, c->card, cmd, 8, r, &n, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "GET TRANSACTION PROVE");
    if (n != 8 || memcmp(r, c->last.mac2, 4) != 0 || memcmp(r + 4, c->last.tac, 4) != 0)
        return said(c, CONFORM_FAIL, "GET TRANSACTION PROVE is not MAC2 || TAC of the purchase");
    return CONFORM_PASS;
}

static conform_verdict pboc_ed_pin(conform_ctx *c)
{
    uint16_t sw;
    conform_verdict v = purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (xh(c, c->card, "805C000104", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x6982, "GET BALANCE (ED) without VERIFY");
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
    unhex("8070000024 11223344 0001 00000064 06 20261122083000 01 00"
          "0000000000000099 1234567800000000 08",
          cmd, sizeof(cmd));
    if (xfer(c, c->psam, cmd, 42, out, &n, &sw) != 0)
        return CONFORM_ERROR;
    EXPECT_SW(c, sw, 0x9000, "INIT SAM FOR PURCHASE");
    if (n != 8)
        return said(c, CONFORM_FAIL, "INIT SAM FOR PURCHASE answered %zu bytes, expected 8", n);
    return CONFORM_PASS;
}

static conform_verdict psam_select(conform_ctx *c)
{
    return psam_open(c);
}

static conform_verdict psam_mac1(conform_ctx *c)
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
    host_pboc_purchase hp = {.amount = 100, .type = HOST_PBOC_EP_PURCHASE, .ttn = be32(r)};
    memcpy(hp.terminal_id, c->tid, 6);
    memcpy(hp.date, tx_date, 4);
    memcpy(hp.time, tx_time, 3);
    if (host_pboc_diversify2(c->mpk1, issuer, serial, dpk) != 0 ||
        host_pboc_sespk(dpk, rnd, 1, hp.ttn, sespk) != 0)
        return said(c, CONFORM_ERROR, "host cryptography failed");
    if (host_pboc_purchase_mac1_verify(sespk, &hp, r + 4) != 0)
        return said(c, CONFORM_FAIL, "MAC1 differs from the host's (two-level key version 01)");
    return CONFORM_PASS;
}

static conform_verdict psam_bad_mac2(conform_ctx *c)
{
    uint8_t r[8];
    uint16_t sw;
    conform_verdict v = psam_open(c);
    if (v != CONFORM_PASS)
        return v;
    if ((v = init_sam(c, r)) != CONFORM_PASS)
        return v;
    if (xh(c, c->psam, "8072000004 00000000", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x9000)
        return said(c, CONFORM_FAIL, "CREDIT SAM FOR PURCHASE accepted a wrong MAC2");
    return CONFORM_PASS;
}

static conform_verdict psam_ttn(conform_ctx *c)
{
    uint8_t a[8], b[8];
    conform_verdict v = psam_open(c);
    if (v != CONFORM_PASS)
        return v;
    if ((v = init_sam(c, a)) != CONFORM_PASS || (v = init_sam(c, b)) != CONFORM_PASS)
        return v;
    if (be32(b) != be32(a) + 1)
        return said(c, CONFORM_FAIL, "terminal transaction numbers %u then %u", be32(a), be32(b));
    return CONFORM_PASS;
}

/* ---- GlobalPlatform card manager ---------------------------------------------------- */

static conform_verdict gp_select_isd(conform_ctx *c, int strict)
{
    uint8_t r[RSP_MAX];
    size_t n;
    uint16_t sw;
    if (select_aid(c, c->card, 0x00, isd_aid, sizeof(isd_aid), r, &n, &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x6A82)
        return said(c, CONFORM_SKIP, "no GlobalPlatform card manager (SELECT ISD: 6A82)");
    EXPECT_SW(c, sw, 0x9000, "SELECT of the ISD");
    if (strict && (n < 4 || r[0] != 0x6F || r[2] != 0x84))
        return said(c, CONFORM_FAIL, "the ISD's FCI is not 6F with its AID (84) first");
    return CONFORM_PASS;
}

/* Opens a secure channel at LEVEL with the GP test keys; with BAD_CRYPTOGRAM the host
 * cryptogram is corrupted and *EA_SW says what the card answered. */
static conform_verdict gp_open(conform_ctx *c, host_gp_session *s, int bad_cryptogram,
                               uint16_t *ea_sw)
{
    uint8_t cmd[300], r[RSP_MAX], rsp[RSP_MAX];
    size_t n, cl;
    uint16_t sw;
    static const uint8_t host_challenge[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    host_gp_keys keys = {.len = 16, .kvn = 0};
    memcpy(keys.enc, gp_test_key, 16);
    memcpy(keys.mac, gp_test_key, 16);
    memcpy(keys.dek, gp_test_key, 16);
    int scp = HOST_GP_SCP03;
    for (int attempt = 0; attempt < 2; attempt++) {
        host_gp_session_init(s, scp, scp == HOST_GP_SCP02 ? 0x55 : 0, &keys, isd_aid,
                             sizeof(isd_aid));
        if (host_gp_init_update(s, host_challenge, cmd, sizeof(cmd), &cl) != 0)
            return said(c, CONFORM_ERROR, "cannot build INITIALIZE UPDATE");
        if (xfer(c, c->card, cmd, cl, r, &n, &sw) != 0)
            return CONFORM_ERROR;
        EXPECT_SW(c, sw, 0x9000, "INITIALIZE UPDATE");
        if (n >= 12 && r[11] == 0x02 && scp == HOST_GP_SCP03) {
            scp = HOST_GP_SCP02; /* the card speaks SCP02: start again with it */
            continue;
        }
        break;
    }
    memcpy(rsp, r, n);
    rsp[n] = 0x90;
    rsp[n + 1] = 0x00;
    int rc = host_gp_open(s, rsp, n + 2, HOST_GP_LEVEL_CMAC, cmd, sizeof(cmd), &cl);
    if (rc != 0)
        return said(c, CONFORM_FAIL, "the card cryptogram does not verify: %s", host_strerror(rc));
    if (bad_cryptogram)
        cmd[5] ^= 0x01;
    if (xfer(c, c->card, cmd, cl, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    *ea_sw = sw;
    if (!bad_cryptogram) {
        rsp[0] = (uint8_t)(sw >> 8);
        rsp[1] = (uint8_t)sw;
        if (host_gp_confirm(s, rsp, 2) != 0)
            return said(c, CONFORM_FAIL, "EXTERNAL AUTHENTICATE: SW %04X", sw);
    }
    return CONFORM_PASS;
}

static conform_verdict gp_select(conform_ctx *c)
{
    return gp_select_isd(c, 1);
}

static conform_verdict gp_scp(conform_ctx *c)
{
    host_gp_session s;
    uint16_t sw;
    conform_verdict v = gp_select_isd(c, 0);
    if (v == CONFORM_PASS)
        v = gp_open(c, &s, 0, &sw);
    host_gp_session_wipe(&s);
    return v;
}

static conform_verdict gp_bad_cryptogram(conform_ctx *c)
{
    host_gp_session s;
    uint16_t sw = 0;
    conform_verdict v = gp_select_isd(c, 0);
    if (v == CONFORM_PASS)
        v = gp_open(c, &s, 1, &sw);
    host_gp_session_wipe(&s);
    if (v != CONFORM_PASS)
        return v;
    if (sw == 0x9000)
        return said(c, CONFORM_FAIL, "EXTERNAL AUTHENTICATE accepted a wrong host cryptogram");
    return CONFORM_PASS;
}

static conform_verdict gp_status(conform_ctx *c)
{
    host_gp_session s;
    uint8_t plain[64], cmd[300], r[RSP_MAX], out[RSP_MAX];
    size_t pl, cl, n, ol;
    uint16_t sw;
    conform_verdict v = gp_select_isd(c, 0);
    if (v == CONFORM_PASS)
        v = gp_open(c, &s, 0, &sw);
    if (v != CONFORM_PASS) {
        host_gp_session_wipe(&s);
        return v;
    }
    if (host_gp_get_status_cmd(0x80, 0, NULL, 0, plain, sizeof(plain), &pl) != 0 ||
        host_gp_wrap(&s, plain, pl, cmd, sizeof(cmd), &cl) != 0) {
        host_gp_session_wipe(&s);
        return said(c, CONFORM_ERROR, "cannot build GET STATUS");
    }
    if (xfer(c, c->card, cmd, cl, r, &n, &sw) != 0) {
        host_gp_session_wipe(&s);
        return CONFORM_ERROR;
    }
    r[n] = (uint8_t)(sw >> 8);
    r[n + 1] = (uint8_t)sw;
    int rc = host_gp_unwrap(&s, r, n + 2, out, sizeof(out), &ol);
    host_gp_session_wipe(&s);
    EXPECT_SW(c, sw, 0x9000, "GET STATUS of the ISD");
    if (rc != 0)
        return said(c, CONFORM_FAIL, "the GET STATUS response does not unwrap: %s",
                    host_strerror(rc));
    ol -= 2; /* data || SW */
    /* E3 { 4F AID, 9F70 life cycle, C5 privileges } */
    if (ol < 4 || out[0] != 0xE3)
        return said(c, CONFORM_FAIL, "GET STATUS data does not start with E3");
    for (size_t i = 2; i + 3 < ol; i++)
        if (out[i] == 0x9F && out[i + 1] == 0x70 && out[i + 2] == 0x01) {
            uint8_t lc = out[i + 3];
            if (lc != 0x01 && lc != 0x07 && lc != 0x0F && lc != 0x7F)
                return said(c, CONFORM_FAIL, "the card's life cycle %02X is none of GP's", lc);
            return CONFORM_PASS;
        }
    return said(c, CONFORM_FAIL, "GET STATUS of the ISD carries no life cycle (9F70)");
}

/* ---- the table ---------------------------------------------------------------------- */

const conform_case conform_cases[] = {
    {"ISO7816-ATR-01", "the ATR is well formed", iso_atr},
    {"ISO7816-SEL-01", "SELECT of the MF by its file id", iso_select_mf},
    {"ISO7816-SEL-02", "SELECT of an absent application: 6A82", iso_select_absent},
    {"ISO7816-P1P2-01", "wrong P1 P2: 6A86", iso_bad_p1p2},
    {"ISO7816-LEN-01", "Lc that disagrees with the data: 6700", iso_bad_length},
    {"ISO7816-INS-01", "unknown instruction: 6D00", iso_bad_ins},
    {"ISO7816-CLA-01", "unsupported class: 6E00", iso_bad_cla},
    {"ISO7816-CHAL-01", "GET CHALLENGE gives fresh bytes", iso_challenge},
    {"ISO7816-CHN-01", "logical channels open and close", iso_channel},
    {"ISO7816-VER-01", "VERIFY counts wrong PINs and accepts the right one", iso_verify},
    {"ISO7816-RST-01", "a warm reset clears the security state", iso_reset_clears},
    {"PBOC-CARD-SEL-01", "the purse is selectable by its AID", pboc_select},
    {"PBOC-CARD-BAL-01", "GET BALANCE of the EP", pboc_balance},
    {"PBOC-CARD-LOAD-01", "a load with the host's MAC2", pboc_load},
    {"PBOC-CARD-PUR-01", "a purchase with the PSAM (key version 01, two levels)", pboc_purchase1},
    {"PBOC-CARD-PUR-02", "a purchase with the PSAM (key version 02, one level)", pboc_purchase2},
    {"PBOC-CARD-FUNDS-01", "a purchase above the balance: 9401", pboc_no_funds},
    {"PBOC-CARD-MAC-01", "a wrong MAC1: 9302, nothing debited", pboc_bad_mac1},
    {"PBOC-CARD-KEY-01", "an unknown key index: 9403", pboc_bad_key},
    {"PBOC-CARD-LOG-01", "the purchase is logged", pboc_log},
    {"PBOC-CARD-PROVE-01", "GET TRANSACTION PROVE repeats MAC2 and TAC", pboc_prove},
    {"PBOC-CARD-ED-01", "the ED needs the PIN", pboc_ed_pin},
    {"PSAM-SEL-01", "the PSAM and its terminal id", psam_select},
    {"PSAM-MAC1-01", "MAC1 matches the host's", psam_mac1},
    {"PSAM-MAC2-01", "a wrong MAC2 is refused", psam_bad_mac2},
    {"PSAM-TTN-01", "terminal transaction numbers count up", psam_ttn},
    {"GP-SEL-01", "the card manager is selectable", gp_select},
    {"GP-SCP-01", "a secure channel opens with the card's keys", gp_scp},
    {"GP-SCP-02", "a wrong host cryptogram is refused", gp_bad_cryptogram},
    {"GP-STATUS-01", "GET STATUS of the ISD under C-MAC", gp_status},
};

const size_t conform_ncases = sizeof(conform_cases) / sizeof(conform_cases[0]);

/* ---- keys and resets ---------------------------------------------------------------- */

int conform_load_keys(conform_ctx *c, const char *dir, char *err, size_t errlen)
{
    char path[1024], line[512];
    snprintf(path, sizeof(path), "%s/test-keys.profile", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open the TEST keys", path);
        return -1;
    }
    static const struct {
        const char *name;
        size_t off;
    } want[] = {{"TEST-MPK-01", offsetof(conform_ctx, mpk1)},
                {"TEST-MPK-02", offsetof(conform_ctx, mpk2)},
                {"TEST-MLK-01", offsetof(conform_ctx, mlk1)},
                {"TEST-MTK-01", offsetof(conform_ctx, mtk1)}};
    unsigned found = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[64], hex[128];
        if (sscanf(line, "masterkey %63s %127s", name, hex) != 2)
            continue;
        for (size_t i = 0; i < 4; i++)
            if (strcmp(name, want[i].name) == 0 && unhex(hex, (uint8_t *)c + want[i].off, 16) == 16)
                found |= 1u << i;
    }
    fclose(f);
    if (found != 0xF) {
        snprintf(err, errlen, "%s: TEST-MPK-01/02, TEST-MLK-01 or TEST-MTK-01 missing", path);
        return -1;
    }
    c->have_keys = 1;
    return 0;
}

int conform_reset(conform_ctx *c)
{
    const uint8_t *atr;
    size_t len;
    if (link_power_on(c->card, 0, &atr, &len) != 0) {
        said(c, CONFORM_ERROR, "power on: %s", link_errmsg(c->card));
        return -1;
    }
    if (c->psam != NULL && link_power_on(c->psam, 0, &atr, &len) != 0) {
        said(c, CONFORM_ERROR, "PSAM power on: %s", link_errmsg(c->psam));
        return -1;
    }
    return 0;
}
