/*
 * obol core: the OTA campaign step, a GlobalPlatform script the TSM sends through the
 * terminal while a campaign card is still in the field after its purchase (the host
 * link must be up: the TSM is online). Every command is a real APDU to the card's
 * issuer security domain, wrapped by hostsim's GlobalPlatform client (OpenSSL) and
 * timed over the air like any other:
 *
 *   SELECT ISD; INITIALIZE UPDATE; EXTERNAL AUTHENTICATE (SCP03 i=70, C-MAC and
 *   C-DECRYPTION); GET STATUS of the application — present: done, never installed
 *   twice; GET STATUS of the load file — absent: INSTALL [for load] and LOAD;
 *   INSTALL [for install and make selectable] of the transit application.
 *
 * Tearing (the campaign's probability per script) cuts the card's power inside the NVM
 * writes of one of the commands, chosen at random; the card OS rolls the command back
 * at the next power-on, the TSM starts the script again at the card's next tap, and
 * GET STATUS makes a lost confirmation harmless (docs/load-file.md, GP CS 2.3 11).
 */
#include <string.h>

#include "obol/host_gp.h"
#include "world_internal.h"

static const uint8_t isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
/* The ISD's initial key set (scenarios/profiles/purse-isd.profile): GlobalPlatform's
 * well-known TEST KEY, AES-128 for SCP03. */
static const uint8_t isd_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                    0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
static const uint8_t elf_aid[8] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x01};
static const uint8_t mod_aid[9] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x01, 0x01};

/* The transit load file (docs/load-file.md): format 01, its AID, version 1.0, one module
 * of the transit class (0x0020, transit.h) with ADF FID 1002, install parameters
 * 40 01 01 (operator record 01), and the public data file EF 0015 (SFI 15, 30 bytes:
 * issuer 1234567800000000, type 02, version 01, serial to be personalized, validity
 * 2026-01-01..2036-12-31, ordinary card, full fare). */
static const uint8_t load_file[] = {
    0xC1, 0x01, 0x01, 0x4F, 0x08, 0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x01, 0xC2, 0x02, 0x01,
    0x00, 0xA1, 0x4C, 0x4F, 0x09, 0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x54, 0x52, 0x01, 0x01, 0xC3, 0x02,
    0x00, 0x20, 0xC4, 0x02, 0x10, 0x02, 0xC9, 0x03, 0x40, 0x01, 0x01, 0xA2, 0x32, 0x83, 0x02, 0x00,
    0x15, 0x88, 0x01, 0x15, 0x82, 0x01, 0x01, 0x80, 0x02, 0x00, 0x1E, 0x86, 0x02, 0x00, 0xFF, 0xC0,
    0x1E, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x26, 0x01, 0x01, 0x20, 0x36, 0x12, 0x31, 0x01, 0x64};

typedef struct script {
    world *w;
    int ti;
    sim_time *dur;
    host_gp_session s;
    int lost;
    uint8_t rsp[300];
    size_t rlen;
} script;

/* One plain APDU; the status word, 0 when the card stopped answering. */
static uint16_t plain(script *x, const uint8_t *cmd, size_t n)
{
    if (x->lost)
        return 0;
    uint16_t sw = w_card_apdu(x->w, x->ti, cmd, n, x->rsp, &x->rlen, x->dur, &x->lost);
    return x->lost ? 0 : sw;
}

/* One command through the secure channel. */
static uint16_t secure(script *x, const uint8_t *cmd, size_t n)
{
    uint8_t wr[300], out[300], full[302];
    size_t m, on;
    if (x->lost || host_gp_wrap(&x->s, cmd, n, wr, sizeof(wr), &m) != 0)
        return 0;
    uint16_t sw = plain(x, wr, m);
    if (sw == 0)
        return 0;
    memcpy(full, x->rsp, x->rlen);
    full[x->rlen] = (uint8_t)(sw >> 8);
    full[x->rlen + 1] = (uint8_t)sw;
    if (host_gp_unwrap(&x->s, full, x->rlen + 2, out, sizeof(out), &on) != 0)
        return 0;
    return sw;
}

static int open_channel(script *x, w_term *t)
{
    uint8_t cmd[64], hc[8];
    size_t n;
    memcpy(cmd, "\x00\xA4\x04\x00\x08", 5);
    memcpy(cmd + 5, isd_aid, 8);
    if (plain(x, cmd, 13) != 0x9000)
        return -1;
    host_gp_keys k;
    memset(&k, 0, sizeof(k));
    memcpy(k.enc, isd_key, 16);
    memcpy(k.mac, isd_key, 16);
    memcpy(k.dek, isd_key, 16);
    k.len = 16;
    for (int i = 0; i < 8; i++)
        hc[i] = (uint8_t)sim_rng_u64(&t->rng);
    if (host_gp_session_init(&x->s, HOST_GP_SCP03, 0x70, &k, isd_aid, 8) != 0 ||
        host_gp_init_update(&x->s, hc, cmd, sizeof(cmd), &n) != 0 || plain(x, cmd, n) != 0x9000)
        return -1;
    uint8_t full[302];
    memcpy(full, x->rsp, x->rlen);
    full[x->rlen] = 0x90;
    full[x->rlen + 1] = 0x00;
    if (host_gp_open(&x->s, full, x->rlen + 2, 0x03, cmd, sizeof(cmd), &n) != 0 ||
        plain(x, cmd, n) != 0x9000)
        return -1;
    memcpy(full, x->rsp, x->rlen);
    full[x->rlen] = 0x90;
    full[x->rlen + 1] = 0x00;
    return host_gp_confirm(&x->s, full, x->rlen + 2) == 0 ? 0 : -1;
}

/* GET STATUS (P1: 40 applications, 20 load files) for AID: 1 present, 0 absent, -1 lost. */
static int present(script *x, uint8_t p1, const uint8_t *aid, size_t len)
{
    uint8_t cmd[64];
    size_t n;
    if (host_gp_get_status_cmd(p1, 0, aid, len, cmd, sizeof(cmd), &n) != 0)
        return -1;
    uint16_t sw = secure(x, cmd, n);
    return sw == 0 ? -1 : sw == 0x9000 || sw == 0x6310;
}

void w_ota_step(world *w, int ti, uint32_t idx, sim_time now, sim_time *dur)
{
    w_card *cd = &w->cards[idx];
    w_term *t = &w->terms[ti];
    const scn_event *ev = w->ota_ev;
    if (now < w->ota_start)
        return;
    if (!cd->ota_seen) {
        cd->ota_seen = 1;
        w->ota_tapped++;
    }
    if (!w_link_up(w, t->group, now))
        return;
    sim_time start = *dur;
    /* The kernel dropped the field after the purchase: the card is activated again. */
    if (!cos_is_powered(&w->live.card)) {
        uint8_t ats[40];
        size_t alen;
        if (cos_power_on(&w->live.card, COS_IF_CONTACTLESS, 0, ats, sizeof(ats), &alen) != 0)
            return;
        *dur += sim_air_activation(&w->sc->air) + sim_us(w->sc->card_chip.power_on_us);
    }
    /* The TSM round trip over the terminal's link to fetch the script. */
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost) + w_link_delay(w, t->group, &lost);
    if (lost)
        return;
    *dur += d;
    if (ev->p > 0 && sim_rng_uniform(&t->rng) < ev->p) {
        /* Somewhere in the next few commands' NVM writes the card leaves the field. */
        cos_host_cut_after(&w->live.host, (uint32_t)sim_rng_below(&t->rng, 24),
                           (uint32_t)sim_rng_below(&t->rng, 32));
    }
    script x;
    memset(&x, 0, sizeof(x));
    x.w = w;
    x.ti = ti;
    x.dur = dur;
    uint8_t cmd[300];
    size_t n;
    int have, done = 0;
    if (open_channel(&x, t) != 0)
        goto out;
    if ((have = present(&x, 0x40, w_ota_aid, sizeof(w_ota_aid))) < 0)
        goto out;
    if (have) {
        w_trace(w, "OTA: the card already holds the transit application\n");
        done = 1;
        goto out;
    }
    if ((have = present(&x, 0x20, elf_aid, sizeof(elf_aid))) < 0)
        goto out;
    host_gp_install in;
    if (!have) {
        memset(&in, 0, sizeof(in));
        in.p1 = HOST_GP_INSTALL_LOAD;
        in.elf_aid = elf_aid;
        in.elf_aid_len = sizeof(elf_aid);
        if (host_gp_install_cmd(&in, cmd, sizeof(cmd), &n) != 0 || secure(&x, cmd, n) != 0x9000)
            goto out;
        int last = 0;
        for (size_t b = 0; !last; b++)
            if (host_gp_load_cmd(load_file, sizeof(load_file), 200, b, cmd, sizeof(cmd), &n,
                                 &last) != 0 ||
                secure(&x, cmd, n) != 0x9000)
                goto out;
    }
    static const uint8_t priv[3] = {0, 0, 0};
    static const uint8_t params[2] = {0xC9, 0x00};
    memset(&in, 0, sizeof(in));
    in.p1 = HOST_GP_INSTALL_INSTALL | HOST_GP_INSTALL_SELECTABLE;
    in.elf_aid = elf_aid;
    in.elf_aid_len = sizeof(elf_aid);
    in.module_aid = mod_aid;
    in.module_aid_len = sizeof(mod_aid);
    in.app_aid = w_ota_aid;
    in.app_aid_len = sizeof(w_ota_aid);
    in.privileges = priv;
    in.privileges_len = 3;
    in.params = params;
    in.params_len = sizeof(params);
    if (host_gp_install_cmd(&in, cmd, sizeof(cmd), &n) != 0)
        goto out;
    uint16_t sw = secure(&x, cmd, n);
    if (sw == 0x9000) {
        cd->ota_installs++;
        done = 1;
        w_trace(w, "OTA: transit application installed\n");
    } else if (!x.lost) {
        w_trace(w, "OTA: INSTALL refused (SW %04X)\n", sw);
    }
out:
    if (x.lost) {
        w->ota_torn++;
        w_trace(w, "OTA: the card left the field during the script\n");
    }
    if (done && cd->ota != 2) {
        cd->ota = 2;
        w->ota_updated++;
    }
    sim_hist_record(&w->ota_ns, *dur - start);
}
