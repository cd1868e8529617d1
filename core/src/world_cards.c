/*
 * obol core: the world's card population. A million cards cannot each keep a
 * cos_card, so a card is its NVM image only; one cos_card (w->live) is attached to an
 * image while that card is in a field. Images are made on a card's first use
 * (generated, not listed): formatted and personalized from the scenario's card profile
 * with the card's own serial, then loaded with its initial balance by a real load
 * transaction (INITIALIZE FOR LOAD / CREDIT FOR LOAD) whose MAC2 the issuer computes
 * with OpenSSL from the TEST master keys of profiles/test-keys.profile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/host_crypto.h"
#include "obol/obol_rom.h"
#include "world_internal.h"

#ifndef OBOL_PROFILE_DIR_DEFAULT
#define OBOL_PROFILE_DIR_DEFAULT "profiles"
#endif

/* The purse application (profiles/purse.profile) and the transit application the OTA
 * campaign installs (JT/T 978 style transit AID). */
static const uint8_t purse_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
const uint8_t w_ota_aid[8] = {0xA0, 0x00, 0x00, 0x06, 0x32, 0x01, 0x01, 0x05};

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
}

/* Reads "masterkey NAME HEX" from test-keys.profile into OUT. */
static int read_master(const char *name, uint8_t out[16])
{
    const char *dir = getenv("OBOL_PROFILE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/test-keys.profile",
             dir != NULL && dir[0] ? dir : OBOL_PROFILE_DIR_DEFAULT);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[512];
    int rc = -1;
    while (rc != 0 && fgets(line, sizeof(line), f) != NULL) {
        char kw[32], nm[64], hex[80];
        if (sscanf(line, "%31s %63s %79s", kw, nm, hex) != 3 || strcmp(kw, "masterkey") != 0 ||
            strcmp(nm, name) != 0 || strncmp(nm, "TEST-", 5) != 0)
            continue;
        size_t n = 0;
        for (const char *p = hex; *p && n < 32; p++) {
            int v = hexval(*p);
            if (v < 0)
                continue; /* '_' separators */
            if (n % 2 == 0)
                out[n / 2] = (uint8_t)(v << 4);
            else
                out[n / 2] |= (uint8_t)v;
            n++;
        }
        rc = n == 32 ? 0 : -1;
    }
    fclose(f);
    return rc;
}

void w_card_serial(const world *w, uint32_t idx, uint8_t out[8])
{
    uint64_t v = w->sc->serial_base + idx;
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

static int fixed_rng(void *port, uint8_t *buf, size_t len)
{
    (void)port;
    memset(buf, 0x5A, len);
    return 0;
}

int w_cards_init(world *w)
{
    w->ncards = w->sc->cards;
    w->cards = calloc(w->ncards, sizeof(*w->cards));
    if (w->cards == NULL)
        return SIM_ERR_NOMEM;
    sim_rng r;
    sim_rng_init(&r, w->seed, W_STREAM_CARDS);
    uint32_t span = w->sc->balance_max - w->sc->balance_min;
    for (uint32_t i = 0; i < w->ncards; i++)
        w->cards[i].initial = w->sc->balance_min + (uint32_t)sim_rng_below(&r, (uint64_t)span + 1);
    /* The issuer's keys (TEST keys only), for the first load and for settlement. */
    if (read_master("TEST-MLK-01", w->key_mlk) != 0 ||
        read_master("TEST-MTK-01", w->key_mtk) != 0) {
        w_fail(w, SIM_ERR_INVAL, "cannot read TEST-MLK-01 and TEST-MTK-01 from test-keys.profile");
        return SIM_ERR_INVAL;
    }
    return 0;
}

void w_cards_free(world *w)
{
    for (uint32_t i = 0; w->cards != NULL && i < w->ncards; i++)
        free(w->cards[i].nvm);
    free(w->cards);
    w->cards = NULL;
}

static uint16_t tx(cos_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t r[300];
    size_t n = 0;
    if (cos_transmit(c, 0, cmd, len, r, sizeof(r), &n) != 0 || n < 2)
        return 0;
    if (rsp != NULL)
        memcpy(rsp, r, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The issuer's first load of AMOUNT onto the powered card C. */
static int first_load(world *w, cos_card *c, uint32_t amount)
{
    uint8_t cmd[32], r[64], serial[8], dlk[16], seslk[8];
    size_t n;
    memcpy(cmd, "\x00\xA4\x04\x00\x09", 5);
    memcpy(cmd + 5, purse_aid, 9);
    if (tx(c, cmd, 14, r, &n) != 0x9000)
        return -1;
    if (tx(c, (const uint8_t *)"\x00\xB0\x95\x00\x1E", 5, r, &n) != 0x9000 || n < 20)
        return -1;
    memcpy(serial, r + 12, 8);
    if (amount == 0)
        return 0;
    static const uint8_t issuer_tid[6] = {0x99, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(cmd, "\x80\x50\x00\x02\x0B\x01", 6);
    put32(cmd + 6, amount);
    memcpy(cmd + 10, issuer_tid, 6);
    cmd[16] = 0x10;
    if (tx(c, cmd, 17, r, &n) != 0x9000 || n != 16)
        return -1;
    host_pboc_load hl;
    memset(&hl, 0, sizeof(hl));
    hl.old_balance = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
    hl.amount = amount;
    hl.online_counter = (uint16_t)(r[4] << 8 | r[5]);
    hl.type = 0x02;
    memcpy(hl.terminal_id, issuer_tid, 6);
    w_datetime(w->sc->start, hl.date, hl.time);
    if (host_pboc_diversify(w->key_mlk, serial, dlk) != 0 ||
        host_pboc_seslk(dlk, r + 8, hl.online_counter, seslk) != 0 ||
        host_pboc_load_mac1_verify(seslk, &hl, r + 12) != 0)
        return -1;
    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, hl.date, 4);
    memcpy(cmd + 9, hl.time, 3);
    if (host_pboc_load_mac2(seslk, &hl, cmd + 12) != 0)
        return -1;
    cmd[16] = 0x04;
    return tx(c, cmd, 17, r, &n) == 0x9000 ? 0 : -1;
}

/* Attaches card IDX's image to w->live (not powered). */
static int attach(world *w, uint32_t idx)
{
    w_card *cd = &w->cards[idx];
    w_live *lv = &w->live;
    uint64_t seed = w->seed ^ (0x9E3779B97F4A7C15ull * (idx + 1)) ^ ((uint64_t)cd->used << 40);
    if (cos_host_open_buffer(&lv->host, cd->nvm, w->sc->nvm_size,
                             (uint16_t)w->sc->card_chip.nvm_page_bytes, seed) != 0)
        return SIM_ERR_INVAL;
    lv->hal = cos_host_hal;
    if (w->opts->faults & SIM_FAULT_CARD_FIXED_RNG)
        lv->hal.rng = fixed_rng;
    cos_card_config cfg;
    cos_host_config(&lv->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cfg.hal = &lv->hal;
    if (cos_card_attach(&lv->card, &cfg) != 0)
        return SIM_ERR_INVAL;
    lv->idx = idx;
    cd->used++;
    return 0;
}

/* Makes card IDX's image: personalize and load. */
static int create(world *w, uint32_t idx)
{
    w_card *cd = &w->cards[idx];
    cd->nvm = malloc(w->sc->nvm_size);
    if (cd->nvm == NULL)
        return SIM_ERR_NOMEM;
    memset(cd->nvm, 0xFF, w->sc->nvm_size);
    int rc = attach(w, idx);
    if (rc != 0)
        goto fail;
    char err[512];
    uint8_t atr[40];
    size_t alen;
    if (cos_profile_apply(&w->live.card, w->sc->card_profile, w->sc->serial_base + idx, err,
                          sizeof(err)) != 0) {
        w_fail(w, SIM_ERR_INVAL, "card profile '%s': %s", w->sc->card_profile, err);
        rc = SIM_ERR_INVAL;
        goto fail;
    }
    if (cos_power_on(&w->live.card, COS_IF_CONTACT, 0, atr, sizeof(atr), &alen) != 0 ||
        first_load(w, &w->live.card, cd->initial) != 0) {
        w_fail(w, SIM_ERR_INVAL, "card %u: issuance load failed", idx);
        rc = SIM_ERR_INVAL;
        goto fail;
    }
    cos_power_off(&w->live.card);
    cos_host_close(&w->live.host);
    cd->last_balance = cd->initial;
    /* The platform registers the card with the same serial and initial balance. */
    if ((rc = w_host_issue(w, idx)) != 0)
        goto fail;
    return 0;
fail:
    free(cd->nvm);
    cd->nvm = NULL;
    return rc;
}

int w_card_attach(world *w, uint32_t idx)
{
    int rc;
    if (w->cards[idx].nvm == NULL && (rc = create(w, idx)) != 0)
        return rc;
    if ((rc = attach(w, idx)) != 0)
        return rc;
    cos_cost_reset(&w->live.card);
    return 0;
}

int w_card_ensure(world *w, uint32_t idx)
{
    return w->cards[idx].nvm != NULL ? 0 : create(w, idx);
}

int w_card_enter(world *w, uint32_t idx, unsigned iface, sim_time now, sim_time *elapsed)
{
    w_card *cd = &w->cards[idx];
    int rc;
    if (cd->nvm == NULL && (rc = create(w, idx)) != 0)
        return rc;
    if ((rc = attach(w, idx)) != 0)
        return rc;
    cos_cost_reset(&w->live.card);
    uint8_t atr[40];
    size_t alen = 0;
    rc = cos_power_on(&w->live.card, iface, (uint64_t)(now / SIM_US), atr, sizeof(atr), &alen);
    if (rc == COS_ERR_POWER_LOST)
        rc = cos_power_on(&w->live.card, iface, (uint64_t)(now / SIM_US), atr, sizeof(atr), &alen);
    *elapsed = sim_us(w->sc->card_chip.power_on_us);
    return rc == 0 ? 0 : SIM_ERR_INVAL;
}

void w_card_leave(world *w)
{
    cos_power_off(&w->live.card);
    cos_host_close(&w->live.host);
}

int64_t w_card_balance(world *w, uint32_t idx)
{
    sim_time el;
    if (w_card_enter(w, idx, COS_IF_CONTACTLESS, 0, &el) != 0)
        return -1;
    uint8_t cmd[16], r[64];
    size_t n;
    int64_t bal = -1;
    memcpy(cmd, "\x00\xA4\x04\x00\x09", 5);
    memcpy(cmd + 5, purse_aid, 9);
    if (tx(&w->live.card, cmd, 14, r, &n) == 0x9000 &&
        tx(&w->live.card, (const uint8_t *)"\x80\x5C\x00\x02\x04", 5, r, &n) == 0x9000 && n == 4)
        bal = (int64_t)((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3]);
    w_card_leave(w);
    return bal;
}

int w_card_health(world *w, uint32_t idx, int *napp)
{
    *napp = 0;
    int64_t bal = w_card_balance(w, idx);
    if (bal < 0)
        return -1;
    sim_time el;
    if (w_card_enter(w, idx, COS_IF_CONTACT, 0, &el) != 0)
        return -1;
    cos_oid oid = 0;
    cos_app_info info;
    while (cos_app_next(&w->live.card, &oid, &info) == 0)
        if (info.aid_len == sizeof(w_ota_aid) &&
            memcmp(info.aid, w_ota_aid, sizeof(w_ota_aid)) == 0)
            (*napp)++;
    w_card_leave(w);
    return 0;
}

int w_clone_enter(world *w, uint32_t idx, const uint8_t *img, uint8_t *scratch)
{
    w_card *cd = &w->cards[idx];
    uint8_t *real = cd->nvm;
    memcpy(scratch, img, w->sc->nvm_size);
    cd->nvm = scratch;
    int rc = attach(w, idx);
    cd->nvm = real;
    if (rc != 0)
        return rc;
    uint8_t atr[40];
    size_t alen;
    return cos_power_on(&w->live.card, COS_IF_CONTACTLESS, 0, atr, sizeof(atr), &alen) == 0
               ? 0
               : SIM_ERR_INVAL;
}
