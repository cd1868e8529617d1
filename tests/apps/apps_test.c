/*
 * obol industry application tests: shared helpers (apps_test.h).
 */
#include "apps_test.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"

/* TEST KEYS: the values of profiles/test-keys-apps.profile and test-keys.profile. */
const uint8_t at_transit_mpk[16] = {0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8,
                                    0xB1, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8};
const uint8_t at_transit_mlk[16] = {0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9,
                                    0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9};
const uint8_t at_transit_mtk[16] = {0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA,
                                    0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA};
const uint8_t at_ssc_hosp_mpk[16] = {0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8,
                                     0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8};
const uint8_t at_ssc_pharm_mpk[16] = {0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9,
                                      0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9};
const uint8_t at_ssc_mlk[16] = {0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA,
                                0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA};
const uint8_t at_ssc_mtk[16] = {0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB,
                                0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB};
const uint8_t at_ssc_hosp_role[16] = {0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC,
                                      0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC};
const uint8_t at_ssc_pharm_role[16] = {0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD,
                                       0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD};
const uint8_t at_pboc_mpk01[16] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
                                   0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10};
const uint8_t at_pboc_mlk01[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                                   0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44};
const uint8_t at_pboc_mtk01[16] = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                                   0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66};

const uint8_t at_transit_aid[8] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};
const uint8_t at_ssc_aid[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x53, 0x53, 0x43, 0x01};
const uint8_t at_pboc_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
const uint8_t at_psam_aid[10] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};
const uint8_t at_isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

void at_open(at_card *t, const char *profile, uint32_t nvm)
{
    cos_card_config cfg;
    char err[256];
    uint8_t atr[64];
    size_t n;
    int rc;

    memset(t, 0, sizeof *t);
    cr_assert_eq(cos_host_open_mem(&t->host, nvm ? nvm : 32768, 64, 0x5EED), 0);
    cos_host_config(&t->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&t->card, &cfg), 0);
    rc = cos_profile_apply(&t->card, profile, 0, err, sizeof err);
    cr_assert_eq(rc, 0, "profile %s: %s (%d)", profile, err, rc);
    cr_assert_eq(cos_power_on(&t->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
}

void at_close(at_card *t)
{
    cos_power_off(&t->card);
    cos_host_close(&t->host);
}

void at_reset(at_card *t)
{
    uint8_t atr[64];
    size_t n;

    cos_power_off(&t->card);
    cr_assert_eq(cos_power_on(&t->card, COS_IF_CONTACTLESS, 0, atr, sizeof atr, &n), 0);
}

const char *at_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s.profile", AT_TEST_DIR, name);
    return buf;
}

int at_xtx(cos_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t buf[640];
    size_t n = 0;
    int rc = cos_transmit(c, 0, cmd, len, buf, sizeof buf, &n);

    if (rc < 0)
        return rc;
    if (n < 2)
        return COS_ERR_APDU;
    if (rsp != NULL)
        memcpy(rsp, buf, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return buf[n - 2] << 8 | buf[n - 1];
}

size_t at_unhex(const char *hex, uint8_t *out, size_t cap)
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
            return n; /* not reached by the tests' literals */
        if (hi < 0) {
            hi = v;
        } else if (n < cap) {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

int at_xtxh(cos_card *c, const char *hex, uint8_t *rsp, size_t *rlen)
{
    uint8_t cmd[300];
    size_t n = at_unhex(hex, cmd, sizeof cmd);
    return at_xtx(c, cmd, n, rsp, rlen);
}

uint16_t at_tx(at_card *t, const char *hex, uint8_t *rsp, size_t *rlen)
{
    int sw = at_xtxh(&t->card, hex, rsp, rlen);
    cr_assert_geq(sw, 0, "cos_transmit(%s): %s", hex, cos_strerror(sw));
    return (uint16_t)sw;
}

uint16_t at_txf(at_card *t, uint8_t *rsp, size_t *rlen, const char *fmt, ...)
{
    char hex[700];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(hex, sizeof hex, fmt, ap);
    va_end(ap);
    return at_tx(t, hex, rsp, rlen);
}

int at_xselect(cos_card *c, const uint8_t *aid, size_t len)
{
    uint8_t cmd[32] = {0x00, 0xA4, 0x04, 0x00};
    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, aid, len);
    cmd[5 + len] = 0x00;
    return at_xtx(c, cmd, 6 + len, NULL, NULL);
}

uint16_t at_select(at_card *t, const uint8_t *aid, size_t len)
{
    int sw = at_xselect(&t->card, aid, len);
    cr_assert_geq(sw, 0);
    return (uint16_t)sw;
}

uint32_t at_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void at_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int at_read_ids(cos_card *c, uint8_t serial[8], uint8_t issuer[8])
{
    uint8_t r[64];
    size_t n = 0;
    int sw = at_xtxh(c, "00 B0 95 00 1E", r, &n);

    if (sw == 0x9000 && n != 30)
        return COS_ERR_APDU;
    if (sw == 0x9000) {
        memcpy(issuer, r, 8);
        memcpy(serial, r + 12, 8);
    }
    return sw;
}

/* The host's check of a finished purchase (OpenSSL, hostsim). */
static int host_check(const at_purchase *p)
{
    uint8_t dpk[16], dtk[16], sespk[8];
    host_pboc_purchase hp;
    int ok;

    memset(&hp, 0, sizeof hp);
    hp.amount = p->amount;
    hp.type = p->capp ? HOST_PBOC_CAPP_PURCHASE : HOST_PBOC_EP_PURCHASE;
    memcpy(hp.terminal_id, p->tid, 6);
    hp.ttn = p->ttn;
    memcpy(hp.date, p->date, 4);
    memcpy(hp.time, p->time, 3);
    if (p->two_level)
        ok = host_pboc_diversify2(p->mpk, p->issuer, p->serial, dpk) == 0;
    else
        ok = host_pboc_diversify(p->mpk, p->serial, dpk) == 0;
    ok = ok && host_pboc_diversify(p->mtk, p->serial, dtk) == 0;
    ok = ok && host_pboc_sespk(dpk, p->rnd, p->ctr, p->ttn, sespk) == 0;
    ok = ok && host_pboc_purchase_mac1_verify(sespk, &hp, p->mac1) == 0;
    ok = ok && host_pboc_purchase_mac2_verify(sespk, p->amount, p->mac2) == 0;
    ok = ok && host_pboc_purchase_tac_verify(dtk, &hp, p->tac) == 0;
    host_wipe(dpk, sizeof dpk);
    host_wipe(dtk, sizeof dtk);
    return ok;
}

#define STAGE(n, expr)                                                                             \
    do {                                                                                           \
        int sw_ = (expr);                                                                          \
        if (sw_ < 0)                                                                               \
            return sw_;                                                                            \
        if (sw_ != 0x9000) {                                                                       \
            p->stage = (n);                                                                        \
            p->sw = (uint16_t)sw_;                                                                 \
            return (n);                                                                            \
        }                                                                                          \
    } while (0)

int at_purchase_run(cos_card *card, cos_card *psam, at_purchase *p)
{
    uint8_t cmd[300], r[640];
    size_t n = 0;

    p->stage = 1;
    p->sw = 0;
    p->verified = 0;
    STAGE(1, at_read_ids(card, p->serial, p->issuer));
    STAGE(2, at_xselect(psam, at_psam_aid, sizeof at_psam_aid));
    STAGE(2, at_xtxh(psam, "00 B0 96 00 06", p->tid, &n));
    /* INITIALIZE FOR (CAPP) PURCHASE of the EP */
    memcpy(cmd, "\x80\x50\x01\x02\x0B", 5);
    cmd[2] = p->capp ? 0x03 : 0x01;
    cmd[5] = p->kid;
    at_put32(cmd + 6, p->amount);
    memcpy(cmd + 10, p->tid, 6);
    cmd[16] = 0x0F;
    STAGE(1, at_xtx(card, cmd, 17, r, &n));
    if (n != 15)
        return COS_ERR_APDU;
    p->balance = at_be32(r);
    p->ctr = (uint16_t)(r[4] << 8 | r[5]);
    p->kver = r[9];
    memcpy(p->rnd, r + 11, 4);
    /* INIT SAM FOR PURCHASE */
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, p->rnd, 4);
    cmd[9] = r[4];
    cmd[10] = r[5];
    at_put32(cmd + 11, p->amount);
    cmd[15] = p->capp ? HOST_PBOC_CAPP_PURCHASE : HOST_PBOC_EP_PURCHASE;
    memcpy(cmd + 16, p->date, 4);
    memcpy(cmd + 20, p->time, 3);
    cmd[23] = p->kver;
    cmd[24] = r[10];
    memcpy(cmd + 25, p->serial, 8);
    memcpy(cmd + 33, p->issuer, 8);
    cmd[41] = 0x08;
    STAGE(2, at_xtx(psam, cmd, 42, r, &n));
    if (n != 8)
        return COS_ERR_APDU;
    p->ttn = at_be32(r);
    memcpy(p->mac1, r + 4, 4);
    /* UPDATE CAPP DATA CACHE */
    if (p->capp && p->rec != NULL) {
        cmd[0] = 0x80;
        cmd[1] = 0xDC;
        cmd[2] = p->rec_p1;
        cmd[3] = p->rec_p2;
        cmd[4] = p->reclen;
        memcpy(cmd + 5, p->rec, p->reclen);
        STAGE(3, at_xtx(card, cmd, 5u + p->reclen, NULL, NULL));
    }
    /* DEBIT FOR PURCHASE */
    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    at_put32(cmd + 5, p->ttn);
    memcpy(cmd + 9, p->date, 4);
    memcpy(cmd + 13, p->time, 3);
    memcpy(cmd + 16, p->mac1, 4);
    cmd[20] = 0x08;
    STAGE(4, at_xtx(card, cmd, 21, r, &n));
    if (n != 8)
        return COS_ERR_APDU;
    memcpy(p->tac, r, 4);
    memcpy(p->mac2, r + 4, 4);
    /* CREDIT SAM FOR PURCHASE */
    memcpy(cmd, "\x80\x72\x00\x00\x04", 5);
    memcpy(cmd + 5, p->mac2, 4);
    STAGE(5, at_xtx(psam, cmd, 9, NULL, NULL));
    p->stage = 0;
    if (p->mpk != NULL && p->mtk != NULL)
        p->verified = host_check(p);
    return 0;
}

int at_load_run(cos_card *card, const uint8_t mlk[16], const uint8_t mtk[16], uint32_t amount,
                uint8_t proof_out[8])
{
    uint8_t cmd[32], r[640], serial[8], issuer[8], dlk[16], dtk[16], seslk[8];
    host_pboc_load hl;
    size_t n = 0;
    int sw, rc = 0;

    if ((sw = at_read_ids(card, serial, issuer)) != 0x9000)
        return sw < 0 ? sw : 1;
    memcpy(cmd, "\x80\x50\x00\x02\x0B\x01", 6);
    at_put32(cmd + 6, amount);
    at_unhex("AABBCCDDEEFF", cmd + 10, 6);
    cmd[16] = 0x10;
    if ((sw = at_xtx(card, cmd, 17, r, &n)) != 0x9000 || n != 16)
        return sw < 0 ? sw : 1;
    memset(&hl, 0, sizeof hl);
    hl.old_balance = at_be32(r);
    hl.amount = amount;
    hl.online_counter = (uint16_t)(r[4] << 8 | r[5]);
    hl.type = HOST_PBOC_EP_LOAD;
    memcpy(hl.terminal_id, cmd + 10, 6);
    at_unhex("20261122", hl.date, 4);
    at_unhex("090000", hl.time, 3);
    if (host_pboc_diversify(mlk, serial, dlk) != 0 || host_pboc_diversify(mtk, serial, dtk) != 0 ||
        host_pboc_seslk(dlk, r + 8, hl.online_counter, seslk) != 0)
        return COS_ERR_CRYPTO;
    if (host_pboc_load_mac1_verify(seslk, &hl, r + 12) != 0) {
        rc = 2;
        goto out;
    }
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, hl.date, 4);
    memcpy(cmd + 9, hl.time, 3);
    host_pboc_load_mac2(seslk, &hl, cmd + 12);
    cmd[16] = 0x04;
    if ((sw = at_xtx(card, cmd, 17, r, &n)) != 0x9000 || n != 4) {
        rc = sw < 0 ? sw : 3;
        goto out;
    }
    if (proof_out != NULL) {
        memcpy(proof_out, cmd + 12, 4);
        memcpy(proof_out + 4, r, 4);
    }
    if (host_pboc_load_tac_verify(dtk, &hl, r) != 0)
        rc = 4;
out:
    host_wipe(dlk, sizeof dlk);
    host_wipe(dtk, sizeof dtk);
    host_wipe(seslk, sizeof seslk);
    return rc;
}

uint32_t at_balance(at_card *t)
{
    uint8_t r[16];
    size_t n = 0;

    cr_assert_eq(at_tx(t, "80 5C 00 02 04", r, &n), 0x9000);
    cr_assert_eq(n, 4);
    return at_be32(r);
}

int at_role_auth(cos_card *c, uint8_t chan, uint8_t kid, const uint8_t master[16], int wrong)
{
    uint8_t serial[8], issuer[8], key[16], chal[16], mac[8], cmd[9], gc[5];
    size_t n = 0;
    int sw;

    /* The terminal reads the card serial for the dispersion (its own channel). */
    uint8_t rb[5] = {chan, 0xB0, 0x95, 0x00, 0x1E}, r[64];
    if ((sw = at_xtx(c, rb, 5, r, &n)) != 0x9000)
        return sw;
    memcpy(issuer, r, 8);
    memcpy(serial, r + 12, 8);
    if (host_pboc_diversify(master, serial, key) != 0)
        return COS_ERR_CRYPTO;
    gc[0] = chan;
    gc[1] = 0x84;
    gc[2] = 0x00;
    gc[3] = 0x00;
    gc[4] = 0x08;
    if ((sw = at_xtx(c, gc, 5, chal, &n)) != 0x9000 || n != 8)
        return sw;
    /* The line-protection MAC of the command with the challenge as ICV (cos_sm_verify). */
    cmd[0] = chan;
    cmd[1] = 0x82;
    cmd[2] = 0x00;
    cmd[3] = kid;
    cmd[4] = 0x04;
    if (host_mac_alg3(key, chal, cmd, 5, mac) != 0)
        return COS_ERR_CRYPTO;
    memcpy(cmd + 5, mac, 4);
    if (wrong)
        cmd[8] ^= 0x01;
    host_wipe(key, sizeof key);
    return at_xtx(c, cmd, 9, NULL, NULL);
}
