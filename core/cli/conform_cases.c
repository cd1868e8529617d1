/*
 * obol CLI: the cases of the card conformance suite (conform.h): ISO/IEC 7816-3 (the
 * ATR) and 7816-4 (status words 6A82, 6A86, 6700, 6D00, 6E00, GET CHALLENGE, MANAGE
 * CHANNEL, VERIFY, the security state across a reset), the GlobalPlatform card manager
 * (card spec 2.3 with Amendment D: SELECT, SCP02/SCP03 secure channel, GET STATUS),
 * and the table of every case; the purse and PSAM cases are in conform_pboc.c.
 */
#include <stdio.h>
#include <string.h>

#include "conform.h"
#include "obol/host_gp.h"

/* ---- ISO/IEC 7816 ------------------------------------------------------------------- */

static conform_verdict iso_atr(conform_ctx *c)
{
    const uint8_t *atr;
    size_t len;
    if (link_power_on(c->card, 0, &atr, &len) != 0)
        return conform__said(c, CONFORM_ERROR, "power on: %s", link_errmsg(c->card));
    conform__log(c, "card", "ON", atr, len);
    if (len < 2 || (atr[0] != 0x3B && atr[0] != 0x3F))
        return conform__said(c, CONFORM_FAIL, "TS is %02X, expected 3B or 3F", len ? atr[0] : 0);
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
            return conform__said(c, CONFORM_FAIL, "the ATR ends inside its interface bytes");
        if ((atr[i] & 0x0F) != 0)
            t_other = 1;
        y = atr[i] >> 4;
        i++;
    }
    size_t want = i + k + (t_other ? 1 : 0);
    if (want != len)
        return conform__said(c, CONFORM_FAIL, "the ATR has %zu bytes; its T0/TDi announce %zu", len,
                             want);
    if (t_other) {
        uint8_t x = 0;
        for (size_t j = 1; j < len; j++)
            x ^= atr[j];
        if (x != 0)
            return conform__said(c, CONFORM_FAIL, "TCK does not check (XOR of T0..TCK is %02X)", x);
    }
    return CONFORM_PASS;
}

static conform_verdict iso_select_mf(conform_ctx *c)
{
    uint16_t sw;
    if (conform__xh(c, c->card, "00A40000023F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "SELECT MF 3F00");
    return CONFORM_PASS;
}

static conform_verdict iso_select_absent(conform_ctx *c)
{
    uint16_t sw;
    if (conform__xh(c, c->card, "00A4040005F00000000100", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x6A82, "SELECT of an absent AID");
    return CONFORM_PASS;
}

static conform_verdict iso_bad_p1p2(conform_ctx *c)
{
    uint16_t sw;
    if (conform__xh(c, c->card, "00A40F00023F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x6A86 && sw != 0x6B00)
        return conform__said(c, CONFORM_FAIL, "SELECT with P1 0F: SW %04X, expected 6A86 (or 6B00)",
                             sw);
    return CONFORM_PASS;
}

static conform_verdict iso_bad_length(conform_ctx *c)
{
    uint16_t sw;
    /* Lc says 5, two bytes follow */
    if (conform__xh(c, c->card, "00A40000053F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x6700, "SELECT with Lc 05 and 2 data bytes");
    return CONFORM_PASS;
}

static conform_verdict iso_bad_ins(conform_ctx *c)
{
    uint16_t sw;
    if (conform__xh(c, c->card, "00020000", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x6D00, "INS 02");
    return CONFORM_PASS;
}

static conform_verdict iso_bad_cla(conform_ctx *c)
{
    uint16_t sw;
    if (conform__xh(c, c->card, "A0A40000023F00", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x6E00, "CLA A0");
    return CONFORM_PASS;
}

static conform_verdict iso_challenge(conform_ctx *c)
{
    uint8_t a[CONFORM__RSP_MAX], b[CONFORM__RSP_MAX];
    size_t na, nb;
    uint16_t sw;
    if (conform__xh(c, c->card, "0084000008", a, &na, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "GET CHALLENGE");
    if (conform__xh(c, c->card, "0084000008", b, &nb, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "the second GET CHALLENGE");
    if (na != 8 || nb != 8)
        return conform__said(c, CONFORM_FAIL, "GET CHALLENGE for 8 bytes answered %zu and %zu", na,
                             nb);
    if (memcmp(a, b, 8) == 0)
        return conform__said(c, CONFORM_FAIL, "two challenges are equal");
    return CONFORM_PASS;
}

static conform_verdict iso_channel(conform_ctx *c)
{
    uint8_t r[CONFORM__RSP_MAX], cmd[8];
    size_t n;
    uint16_t sw;
    if (conform__xh(c, c->card, "0070000001", r, &n, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "MANAGE CHANNEL open");
    if (n != 1 || r[0] < 1 || r[0] > 19)
        return conform__said(c, CONFORM_FAIL, "MANAGE CHANNEL open gave %zu bytes (channel %u)", n,
                             n ? r[0] : 0);
    uint8_t ch = r[0];
    uint8_t cla = ch < 4 ? ch : (uint8_t)(0x40 | (ch - 4));
    if (conform__select_aid(c, c->card, cla, conform__purse_aid, sizeof(conform__purse_aid), r, &n,
                            &sw) != 0)
        return CONFORM_ERROR;
    if (sw != 0x9000 && sw != 0x6A82)
        return conform__said(c, CONFORM_FAIL, "SELECT on channel %u: SW %04X", ch, sw);
    memcpy(cmd, "\x00\x70\x80\x00", 4);
    cmd[3] = ch;
    if (conform__xfer(c, c->card, cmd, 4, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "MANAGE CHANNEL close");
    return CONFORM_PASS;
}

static conform_verdict iso_verify(conform_ctx *c)
{
    uint16_t sw, sw2;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->card, "0020000103654321", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    if ((sw & 0xFFF0) != 0x63C0)
        return conform__said(c, CONFORM_FAIL, "VERIFY with a wrong PIN: SW %04X, expected 63Cx",
                             sw);
    if (conform__xh(c, c->card, "00200001", NULL, NULL, &sw2) != 0)
        return CONFORM_ERROR;
    if (sw2 != sw)
        return conform__said(c, CONFORM_FAIL,
                             "VERIFY without data: SW %04X, expected the tries left %04X", sw2, sw);
    if (conform__xh(c, c->card, "0020000103123456", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "VERIFY with the right PIN");
    return CONFORM_PASS;
}

static conform_verdict iso_reset_clears(conform_ctx *c)
{
    uint16_t sw;
    const uint8_t *atr;
    size_t len;
    conform_verdict v = conform__purse_open(c);
    if (v != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->card, "0020000103123456", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "VERIFY");
    if (conform__xh(c, c->card, "805C000104", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x9000, "GET BALANCE (ED) after VERIFY");
    if (link_power_on(c->card, 1, &atr, &len) != 0)
        return conform__said(c, CONFORM_ERROR, "warm reset: %s", link_errmsg(c->card));
    conform__log(c, "card", "RESET", atr, len);
    if ((v = conform__purse_open(c)) != CONFORM_PASS)
        return v;
    if (conform__xh(c, c->card, "805C000104", NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    CONFORM__EXPECT_SW(c, sw, 0x6982, "GET BALANCE (ED) after a warm reset");
    return CONFORM_PASS;
}

/* ---- GlobalPlatform card manager ---------------------------------------------------- */

static conform_verdict gp_select_isd(conform_ctx *c, int strict)
{
    uint8_t r[CONFORM__RSP_MAX];
    size_t n;
    uint16_t sw;
    if (conform__select_aid(c, c->card, 0x00, conform__isd_aid, sizeof(conform__isd_aid), r, &n,
                            &sw) != 0)
        return CONFORM_ERROR;
    if (sw == 0x6A82)
        return conform__said(c, CONFORM_SKIP, "no GlobalPlatform card manager (SELECT ISD: 6A82)");
    CONFORM__EXPECT_SW(c, sw, 0x9000, "SELECT of the ISD");
    if (strict && (n < 4 || r[0] != 0x6F || r[2] != 0x84))
        return conform__said(c, CONFORM_FAIL, "the ISD's FCI is not 6F with its AID (84) first");
    return CONFORM_PASS;
}

/* Opens a secure channel at LEVEL with the GP test keys; with BAD_CRYPTOGRAM the host
 * cryptogram is corrupted and *EA_SW says what the card answered. */
static conform_verdict gp_open(conform_ctx *c, host_gp_session *s, int bad_cryptogram,
                               uint16_t *ea_sw)
{
    uint8_t cmd[300], r[CONFORM__RSP_MAX], rsp[CONFORM__RSP_MAX];
    size_t n, cl;
    uint16_t sw;
    static const uint8_t host_challenge[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    host_gp_keys keys = {.len = 16, .kvn = 0};
    memcpy(keys.enc, conform__gp_test_key, 16);
    memcpy(keys.mac, conform__gp_test_key, 16);
    memcpy(keys.dek, conform__gp_test_key, 16);
    int scp = HOST_GP_SCP03;
    for (int attempt = 0; attempt < 2; attempt++) {
        host_gp_session_init(s, scp, scp == HOST_GP_SCP02 ? 0x55 : 0, &keys, conform__isd_aid,
                             sizeof(conform__isd_aid));
        if (host_gp_init_update(s, host_challenge, cmd, sizeof(cmd), &cl) != 0)
            return conform__said(c, CONFORM_ERROR, "cannot build INITIALIZE UPDATE");
        if (conform__xfer(c, c->card, cmd, cl, r, &n, &sw) != 0)
            return CONFORM_ERROR;
        CONFORM__EXPECT_SW(c, sw, 0x9000, "INITIALIZE UPDATE");
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
        return conform__said(c, CONFORM_FAIL, "the card cryptogram does not verify: %s",
                             host_strerror(rc));
    if (bad_cryptogram)
        cmd[5] ^= 0x01;
    if (conform__xfer(c, c->card, cmd, cl, NULL, NULL, &sw) != 0)
        return CONFORM_ERROR;
    *ea_sw = sw;
    if (!bad_cryptogram) {
        rsp[0] = (uint8_t)(sw >> 8);
        rsp[1] = (uint8_t)sw;
        if (host_gp_confirm(s, rsp, 2) != 0)
            return conform__said(c, CONFORM_FAIL, "EXTERNAL AUTHENTICATE: SW %04X", sw);
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
        return conform__said(c, CONFORM_FAIL,
                             "EXTERNAL AUTHENTICATE accepted a wrong host cryptogram");
    return CONFORM_PASS;
}

static conform_verdict gp_status(conform_ctx *c)
{
    host_gp_session s;
    uint8_t plain[64], cmd[300], r[CONFORM__RSP_MAX], out[CONFORM__RSP_MAX];
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
        return conform__said(c, CONFORM_ERROR, "cannot build GET STATUS");
    }
    if (conform__xfer(c, c->card, cmd, cl, r, &n, &sw) != 0) {
        host_gp_session_wipe(&s);
        return CONFORM_ERROR;
    }
    r[n] = (uint8_t)(sw >> 8);
    r[n + 1] = (uint8_t)sw;
    int rc = host_gp_unwrap(&s, r, n + 2, out, sizeof(out), &ol);
    host_gp_session_wipe(&s);
    CONFORM__EXPECT_SW(c, sw, 0x9000, "GET STATUS of the ISD");
    if (rc != 0)
        return conform__said(c, CONFORM_FAIL, "the GET STATUS response does not unwrap: %s",
                             host_strerror(rc));
    ol -= 2; /* data || SW */
    /* E3 { 4F AID, 9F70 life cycle, C5 privileges } */
    if (ol < 4 || out[0] != 0xE3)
        return conform__said(c, CONFORM_FAIL, "GET STATUS data does not start with E3");
    for (size_t i = 2; i + 3 < ol; i++)
        if (out[i] == 0x9F && out[i + 1] == 0x70 && out[i + 2] == 0x01) {
            uint8_t lc = out[i + 3];
            if (lc != 0x01 && lc != 0x07 && lc != 0x0F && lc != 0x7F)
                return conform__said(c, CONFORM_FAIL, "the card's life cycle %02X is none of GP's",
                                     lc);
            return CONFORM_PASS;
        }
    return conform__said(c, CONFORM_FAIL, "GET STATUS of the ISD carries no life cycle (9F70)");
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
    {"PBOC-CARD-SEL-01", "the purse is selectable by its AID", conform__pboc_select},
    {"PBOC-CARD-BAL-01", "GET BALANCE of the EP", conform__pboc_balance},
    {"PBOC-CARD-LOAD-01", "a load with the host's MAC2", conform__pboc_load},
    {"PBOC-CARD-PUR-01", "a purchase with the PSAM (key version 01, two levels)",
     conform__pboc_purchase1},
    {"PBOC-CARD-PUR-02", "a purchase with the PSAM (key version 02, one level)",
     conform__pboc_purchase2},
    {"PBOC-CARD-FUNDS-01", "a purchase above the balance: 9401", conform__pboc_no_funds},
    {"PBOC-CARD-MAC-01", "a wrong MAC1: 9302, nothing debited", conform__pboc_bad_mac1},
    {"PBOC-CARD-KEY-01", "an unknown key index: 9403", conform__pboc_bad_key},
    {"PBOC-CARD-LOG-01", "the purchase is logged", conform__pboc_log},
    {"PBOC-CARD-PROVE-01", "GET TRANSACTION PROVE repeats MAC2 and TAC", conform__pboc_prove},
    {"PBOC-CARD-ED-01", "the ED needs the PIN", conform__pboc_ed_pin},
    {"PSAM-SEL-01", "the PSAM and its terminal id", conform__psam_select},
    {"PSAM-MAC1-01", "MAC1 matches the host's", conform__psam_mac1},
    {"PSAM-MAC2-01", "a wrong MAC2 is refused", conform__psam_bad_mac2},
    {"PSAM-TTN-01", "terminal transaction numbers count up", conform__psam_ttn},
    {"GP-SEL-01", "the card manager is selectable", gp_select},
    {"GP-SCP-01", "a secure channel opens with the card's keys", gp_scp},
    {"GP-SCP-02", "a wrong host cryptogram is refused", gp_bad_cryptogram},
    {"GP-STATUS-01", "GET STATUS of the ISD under C-MAC", gp_status},
};

const size_t conform_ncases = sizeof(conform_cases) / sizeof(conform_cases[0]);
