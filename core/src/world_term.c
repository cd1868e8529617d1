/*
 * obol core: the world's terminals. Each terminal holds a PSAM (a cardsim instance
 * personalized from the group's PSAM profile, powered in its contact slot) and runs
 * the purchase flows over APDUs, timing every exchange with the timing model:
 *
 *   poll wait, ISO 14443 activation (or ISO 7816-3 reset for a contact card),
 *   SELECT purse, READ BINARY EF 0015 (serial, issuer), blacklist lookup,
 *   [READ RECORD of the trip record], INITIALIZE FOR (CAPP) PURCHASE,
 *   INIT SAM FOR PURCHASE, [UPDATE CAPP DATA CACHE], DEBIT FOR PURCHASE,
 *   CREDIT SAM FOR PURCHASE, journal, S(DESELECT)
 *
 * (PROTOCOLS.md, "PBOC electronic purse", "Transit composite purchase"). A card that
 * leaves the field after DEBIT went out leaves a pending purchase; when it is
 * presented again the terminal asks GET TRANSACTION PROVE first and journals the
 * purchase once if the card did debit. This is the world's own terminal flow until
 * termsim's kernel can be driven from here (see docs in the final report).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "world_internal.h"

static const uint8_t purse_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
static const uint8_t psam_aid[10] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};

#define PSAM_NVM     4096u
#define PSAM_SERIAL0 0x9000000000ull
#define CAPP_SFI     0x17u
#define CAPP_RECLEN  48u

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

static void work_of(const cos_cost *a, const cos_cost *b, sim_work *w)
{
    w->apdus = b->apdus - a->apdus;
    w->nvm_writes = b->nvm_writes - a->nvm_writes;
    w->nvm_bytes = b->nvm_bytes - a->nvm_bytes;
    w->nvm_pages = b->nvm_pages - a->nvm_pages;
    w->crypto_blocks = b->crypto_blocks - a->crypto_blocks;
    w->rng_bytes = b->rng_bytes - a->rng_bytes;
}

void w_trace(world *w, const char *fmt, ...)
{
    if (w->trace_len >= sizeof(w->trace_cur) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->trace_cur + w->trace_len, sizeof(w->trace_cur) - w->trace_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        w->trace_len += (size_t)n;
    if (w->trace_len >= sizeof(w->trace_cur))
        w->trace_len = sizeof(w->trace_cur) - 1;
}

static void hex(char *out, const uint8_t *p, size_t n, size_t max)
{
    static const char d[] = "0123456789ABCDEF";
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * k] = '\0';
    if (k < n)
        strcat(out, "..");
}

void w_trace_apdu(world *w, const char *who, const uint8_t *cmd, size_t clen, const uint8_t *rsp,
                  size_t rlen, sim_time t)
{
    char c[140], r[140];
    hex(c, cmd, clen, 64);
    if (rsp != NULL)
        hex(r, rsp, rlen, 64);
    else
        strcpy(r, "(no answer: card left the field)");
    w_trace(w, "%9.3f ms %-4s > %s\n%9s    %-4s < %s\n", (double)t / SIM_MS, who, c, "", who, r);
}

/* The state of one transaction at a terminal. */
typedef struct txn {
    world *w;
    w_term *t;
    const scn_group *g;
    sim_time dur; /* time so far, from the card entering the field */
    int lost;     /* the card left the field */
} txn;

/* One card APDU: the card OS runs it, the interface and the chip say how long. Returns
 * the status word, or 0 when the card did not answer (power lost). */
static uint16_t card_tx(txn *x, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    world *w = x->w;
    cos_cost before = *cos_cost_get(&w->live.card);
    uint8_t r[300];
    size_t n = 0;
    int rc =
        cos_transmit(&w->live.card, (uint64_t)(sim_now(w->s) / SIM_US), cmd, len, r, sizeof(r), &n);
    sim_work wk;
    work_of(&before, cos_cost_get(&w->live.card), &wk);
    sim_time work = sim_chip_time(&w->sc->card_chip, &wk);
    size_t rbytes = rc == 0 ? n : 0;
    /* A dual-interface terminal reads the card over the air (SELECT, READ BINARY,
     * READ RECORD) and makes the purchase over the contact slot. */
    int air = x->g->iface == SCN_IF_CONTACTLESS ||
              (x->g->iface == SCN_IF_DUAL && (cmd[1] == 0xA4 || cmd[1] == 0xB0 || cmd[1] == 0xB2));
    if (air) {
        x->dur += sim_air_exchange(&w->sc->air, w->sc->bitrate, len, rbytes, work, NULL);
        double fe = w->sc->air.frame_error;
        if (fe > 0) {
            int cmd_lost = sim_rng_uniform(&x->t->rng) < fe;
            int rsp_bad = sim_rng_uniform(&x->t->rng) < fe;
            if (cmd_lost || rsp_bad)
                x->dur +=
                    sim_air_recovery(&w->sc->air, w->sc->bitrate, len, rbytes, cmd_lost, rsp_bad);
        }
    } else
        x->dur += sim_contact_exchange(&x->g->card_slot, len > 5 ? len - 5 : 0,
                                       rbytes > 2 ? rbytes - 2 : 0, work);
    x->dur += sim_us(x->g->term.apdu_us);
    if (rc != 0 || n < 2) {
        w_trace_apdu(w, "card", cmd, len, NULL, 0, x->dur);
        x->lost = 1;
        return 0;
    }
    w_trace_apdu(w, "card", cmd, len, r, n, x->dur);
    if (rsp != NULL)
        memcpy(rsp, r, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

/* One PSAM APDU over the terminal's contact slot. */
static uint16_t psam_tx(txn *x, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    world *w = x->w;
    w_live *p = &x->t->psam;
    cos_cost before = *cos_cost_get(&p->card);
    uint8_t r[300];
    size_t n = 0;
    int rc = cos_transmit(&p->card, (uint64_t)(sim_now(w->s) / SIM_US), cmd, len, r, sizeof(r), &n);
    sim_work wk;
    work_of(&before, cos_cost_get(&p->card), &wk);
    sim_time work = sim_chip_time(&w->sc->psam_chip, &wk);
    x->dur += sim_contact_exchange(&w->sc->psam_slot, len > 5 ? len - 5 : 0,
                                   rc == 0 && n > 2 ? n - 2 : 0, work);
    x->dur += sim_us(x->g->term.apdu_us);
    if (rc != 0 || n < 2)
        return 0;
    w_trace_apdu(w, "psam", cmd, len, r, n, x->dur);
    if (rsp != NULL)
        memcpy(rsp, r, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

int w_term_blacklisted(const world *w, const w_term *t, uint32_t idx)
{
    /* The list as the terminal last downloaded it (world_host.c). */
    uint64_t serial = w->sc->serial_base + idx;
    for (size_t i = 0; i < t->nbl; i++)
        if (t->bl[i] == serial)
            return 1;
    return 0;
}

static int psam_open(world *w, w_term *t, int ti)
{
    const scn_group *g = &w->sc->groups[t->group];
    t->psam_nvm = malloc(PSAM_NVM);
    if (t->psam_nvm == NULL)
        return SIM_ERR_NOMEM;
    memset(t->psam_nvm, 0xFF, PSAM_NVM);
    w_live *p = &t->psam;
    if (cos_host_open_buffer(&p->host, t->psam_nvm, PSAM_NVM,
                             (uint16_t)w->sc->psam_chip.nvm_page_bytes,
                             w->seed ^ (W_STREAM_TERMINALS + (uint64_t)ti)) != 0)
        return SIM_ERR_INVAL;
    p->hal = cos_host_hal;
    cos_card_config cfg;
    cos_host_config(&p->host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cfg.hal = &p->hal;
    char err[512];
    uint8_t atr[40];
    size_t alen;
    if (cos_card_attach(&p->card, &cfg) != 0 ||
        cos_profile_apply(&p->card, g->psam_profile, PSAM_SERIAL0 + (uint64_t)ti, err,
                          sizeof(err)) != 0) {
        w_fail(w, SIM_ERR_INVAL, "PSAM profile '%s' (group %s): %s", g->psam_profile, g->name, err);
        return SIM_ERR_INVAL;
    }
    if (cos_power_on(&p->card, COS_IF_CONTACT, 0, atr, sizeof(atr), &alen) != 0) {
        w_fail(w, SIM_ERR_INVAL, "PSAM of %s does not power on", g->name);
        return SIM_ERR_INVAL;
    }
    txn x = {w, t, g, 0, 0};
    uint8_t cmd[32], r[64];
    size_t n;
    memcpy(cmd, "\x00\xA4\x04\x00\x0A", 5);
    memcpy(cmd + 5, psam_aid, sizeof(psam_aid));
    if (psam_tx(&x, cmd, 15, r, &n) != 0x9000 ||
        psam_tx(&x, (const uint8_t *)"\x00\xB0\x96\x00\x06", 5, r, &n) != 0x9000 || n != 6) {
        w_fail(w, SIM_ERR_INVAL, "PSAM of %s: no PSAM application or terminal id", g->name);
        return SIM_ERR_INVAL;
    }
    memcpy(t->tid, r, 6);
    return 0;
}

int w_terms_init(world *w)
{
    const scenario *sc = w->sc;
    w->nterms = scn_terminals(sc);
    w->terms = calloc((size_t)w->nterms, sizeof(*w->terms));
    w->group_first = calloc(sc->ngroups + 1, sizeof(int));
    if (w->terms == NULL || w->group_first == NULL)
        return SIM_ERR_NOMEM;
    int ti = 0;
    for (size_t gi = 0; gi < sc->ngroups; gi++) {
        const scn_group *g = &sc->groups[gi];
        w->group_first[gi] = ti;
        for (int st = 0; st < g->stations; st++)
            for (int k = 0; k < g->per_station; k++, ti++) {
                w_term *t = &w->terms[ti];
                t->group = (int)gi;
                t->station = st;
                t->index = k;
                sim_rng_init(&t->rng, w->seed, W_STREAM_TERMINALS + (uint64_t)ti);
                int rc = psam_open(w, t, ti);
                if (rc != 0)
                    return rc;
            }
    }
    w->group_first[sc->ngroups] = ti;
    w->trace_len = 0;
    w->trace_cur[0] = '\0';
    return 0;
}

void w_terms_free(world *w)
{
    for (int i = 0; w->terms != NULL && i < w->nterms; i++) {
        w_term *t = &w->terms[i];
        if (t->psam_nvm != NULL) {
            cos_power_off(&t->psam.card);
            cos_host_close(&t->psam.host);
        }
        free(t->psam_nvm);
        free(t->q_card);
        free(t->q_time);
        free(t->q_kind);
        free(t->q_arg);
        free(t->jr);
        free(t->bl);
        free(t->frame);
    }
    free(w->terms);
    free(w->group_first);
    w->terms = NULL;
}

static int journal(world *w, w_term *t, const w_rec *r)
{
    if (t->jr_len == t->jr_cap) {
        size_t cap = t->jr_cap ? t->jr_cap * 2 : 64;
        w_rec *n = realloc(t->jr, cap * sizeof(*n));
        if (n == NULL) {
            w_fail(w, SIM_ERR_NOMEM, "out of memory for a terminal journal");
            return SIM_ERR_NOMEM;
        }
        t->jr = n;
        t->jr_cap = cap;
    }
    t->jr[t->jr_len++] = *r;
    w->records_made++;
    w->offline_made += r->offline;
    w->backlog++;
    if (w->backlog > w->max_backlog)
        w->max_backlog = w->backlog;
    return 0;
}

/* The trip record: format 01, flags (bit 0 open), entry station (2) at offset 6 and
 * the entry terminal (6) at offset 8, as termsim's term_transit.h lays it out. */
static void trip_record(uint8_t rec[CAPP_RECLEN], int open, uint16_t station, const uint8_t tid[6],
                        const uint8_t date[4], const uint8_t tim[3])
{
    memset(rec, 0, CAPP_RECLEN);
    rec[0] = 0x01;
    rec[1] = open ? 0x01 : 0x00;
    rec[6] = (uint8_t)(station >> 8);
    rec[7] = (uint8_t)station;
    memcpy(rec + 8, tid, 6);
    memcpy(rec + 14, date, 4);
    memcpy(rec + 18, tim, 3);
}

static uint32_t fare(const scenario *sc, int from, int to)
{
    int d = from > to ? from - to : to - from;
    uint64_t f = sc->fare_base + (uint64_t)sc->fare_per_station * (uint64_t)d;
    return f > sc->fare_max ? sc->fare_max : (uint32_t)f;
}

/* Early removal: where the card leaves during DEBIT. */
enum { TEAR_NONE = 0, TEAR_BEFORE = 1, TEAR_AFTER = 2, TEAR_POWER = 3 };

int w_term_tap(world *w, int ti, uint32_t idx, int kind, uint32_t amount, sim_time now,
               sim_time *dur)
{
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    w_card *cd = &w->cards[idx];
    txn x = {w, t, g, 0, 0};
    uint8_t cmd[64], r[300], serial[8], issuer[8], date[4], tim[3];
    size_t n;
    int approved = 0;

    w->trace_len = 0;
    w->trace_cur[0] = '\0';
    w_trace(w, "terminal %02X%02X%02X%02X%02X%02X (%s, station %d), card %llu\n", t->tid[0],
            t->tid[1], t->tid[2], t->tid[3], t->tid[4], t->tid[5], g->name, t->station,
            (unsigned long long)(w->sc->serial_base + idx));
    /* The reader finds the card on its next poll, then activates it. */
    x.dur += (sim_time)(sim_rng_uniform(&t->rng) * (double)sim_us(g->term.poll_us));
    unsigned iface = g->iface == SCN_IF_CONTACT ? COS_IF_CONTACT : COS_IF_CONTACTLESS;
    sim_time el;
    if (w_card_enter(w, idx, iface, now, &el) != 0) {
        if (w->err == 0)
            w_fail(w, SIM_ERR_INVAL, "card %u does not power on", idx);
        *dur = x.dur;
        return 0;
    }
    x.dur += el;
    if (g->iface != SCN_IF_CONTACT)
        x.dur += sim_air_activation(&w->sc->air);
    if (g->iface != SCN_IF_CONTACTLESS)
        x.dur += sim_us(g->card_slot.activation_us);
    x.dur += sim_us(g->term.txn_us);
    w_datetime(now, date, tim);

    memcpy(cmd, "\x00\xA4\x04\x00\x09", 5);
    memcpy(cmd + 5, purse_aid, 9);
    if (card_tx(&x, cmd, 14, r, &n) != 0x9000)
        goto done;
    if (card_tx(&x, (const uint8_t *)"\x00\xB0\x95\x00\x1E", 5, r, &n) != 0x9000 || n < 20)
        goto done;
    memcpy(issuer, r, 8);
    memcpy(serial, r + 12, 8);
    x.dur += sim_us(g->term.blacklist_us);
    if (w_term_blacklisted(w, t, idx)) {
        w_trace(w, "refused: card is on the terminal's blacklist\n");
        approved = -1;
        goto done;
    }

    /* A purchase of this card left pending here: did the card debit? */
    if (t->pend.active && (w->opts->faults & SIM_FAULT_NO_RECOVERY))
        t->pend.active = 0;
    if (t->pend.active && t->pend.card == idx) {
        uint16_t next = (uint16_t)(t->pend.counter + 1);
        memcpy(cmd, "\x80\x5A\x00\x00\x02\x00\x00\x08", 8);
        cmd[3] = t->pend.type;
        cmd[5] = (uint8_t)(next >> 8);
        cmd[6] = (uint8_t)next;
        uint16_t sw = card_tx(&x, cmd, 8, r, &n);
        t->pend.active = 0;
        if (sw == 0x9000 && n == 8) {
            w_rec rec = {0};
            rec.card = idx;
            rec.counter = t->pend.counter;
            rec.type = t->pend.type;
            rec.amount = t->pend.amount;
            rec.ttn = t->pend.ttn;
            memcpy(rec.date, t->pend.date, 4);
            memcpy(rec.time, t->pend.time, 3);
            memcpy(rec.tac, r + 4, 4); /* MAC2 || TAC */
            memcpy(rec.tid, t->tid, 6);
            rec.kver = t->pend.kver;
            rec.alg = t->pend.alg;
            rec.balance = t->pend.balance;
            rec.entry_station = t->pend.entry_station;
            rec.exit_station = t->pend.exit_station;
            rec.made = now;
            rec.offline = !w_link_up(w, t->group, now);
            x.dur += sim_us(g->term.journal_us);
            if (journal(w, t, &rec) != 0)
                goto done;
            w->recovered++;
            cd->spent += rec.amount;
            w_trace(w, "recovered the purchase torn earlier (GET TRANSACTION PROVE)\n");
            approved = 1;
            goto done;
        }
        if (x.lost)
            goto done;
    }

    int capp = kind != W_TAP_PURCHASE;
    uint8_t type = capp ? 0x09 : 0x06;
    uint8_t rec[CAPP_RECLEN];
    uint16_t entry_stn = 0, exit_stn = 0; /* station + 1 for the record, 0 none */
    if (kind == W_TAP_ENTRY || kind == W_TAP_EXIT) {
        memcpy(cmd, "\x00\xB2\x01\xBC\x30", 5);
        if (card_tx(&x, cmd, 5, r, &n) != 0x9000 || n < CAPP_RECLEN)
            goto done;
        int open = r[0] == 0x01 && (r[1] & 1);
        uint16_t entry = (uint16_t)(r[6] << 8 | r[7]);
        if (kind == W_TAP_ENTRY) {
            amount = 0;
            entry_stn = (uint16_t)(t->station + 1);
            trip_record(rec, 1, (uint16_t)t->station, t->tid, date, tim);
        } else {
            amount = open ? fare(w->sc, entry, t->station) : w->sc->fare_max;
            entry_stn = open ? (uint16_t)(entry + 1) : 0;
            exit_stn = (uint16_t)(t->station + 1);
            trip_record(rec, 0, (uint16_t)t->station, t->tid, date, tim);
        }
    }

    /* INITIALIZE FOR (CAPP) PURCHASE of the EP, key index 1. */
    memcpy(cmd, "\x80\x50\x01\x02\x0B", 5);
    cmd[2] = capp ? 0x03 : 0x01;
    cmd[5] = w->key_index;
    put32(cmd + 6, amount);
    memcpy(cmd + 10, t->tid, 6);
    cmd[16] = 0x0F;
    uint8_t init_cmd[17];
    memcpy(init_cmd, cmd, 17);
    if (card_tx(&x, cmd, 17, r, &n) != 0x9000 || n != 15)
        goto done;
    uint8_t init_rsp[17];
    memcpy(init_rsp, r, 15);
    init_rsp[15] = 0x90;
    init_rsp[16] = 0x00;
    uint32_t balance = be32(r);
    uint16_t counter = (uint16_t)(r[4] << 8 | r[5]);
    uint8_t kver = r[9], alg = r[10], rnd[4];
    memcpy(rnd, r + 11, 4);
    if (balance < amount) {
        w_trace(w, "declined: balance %u below the fare %u\n", balance, amount);
        approved = -1;
        goto done;
    }
    /* INIT SAM FOR PURCHASE */
    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, rnd, 4);
    cmd[9] = (uint8_t)(counter >> 8);
    cmd[10] = (uint8_t)counter;
    put32(cmd + 11, amount);
    cmd[15] = type;
    memcpy(cmd + 16, date, 4);
    memcpy(cmd + 20, tim, 3);
    cmd[23] = kver;
    cmd[24] = alg;
    memcpy(cmd + 25, serial, 8);
    memcpy(cmd + 33, issuer, 8);
    cmd[41] = 0x08;
    if (psam_tx(&x, cmd, 42, r, &n) != 0x9000 || n != 8)
        goto done;
    uint32_t ttn = be32(r);
    uint8_t mac1[4];
    memcpy(mac1, r + 4, 4);
    if (capp) {
        cmd[0] = 0x80;
        cmd[1] = 0xDC;
        cmd[2] = 0x01;
        cmd[3] = (uint8_t)(CAPP_SFI << 3);
        cmd[4] = CAPP_RECLEN;
        memcpy(cmd + 5, rec, CAPP_RECLEN);
        if (card_tx(&x, cmd, 5 + CAPP_RECLEN, r, &n) != 0x9000)
            goto done;
    }
    /* DEBIT FOR PURCHASE, where a rider may pull the card away. */
    int tear = TEAR_NONE;
    if (w->sc->early_removal_p > 0 && sim_rng_uniform(&t->rng) < w->sc->early_removal_p)
        tear = 1 + (int)sim_rng_below(&t->rng, 3);
    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    put32(cmd + 5, ttn);
    memcpy(cmd + 9, date, 4);
    memcpy(cmd + 13, tim, 3);
    memcpy(cmd + 16, mac1, 4);
    cmd[20] = 0x08;
    uint8_t *snap = NULL;
    if (w->capture_on && tear == TEAR_NONE && (snap = malloc(w->sc->nvm_size)) != NULL)
        memcpy(snap, cd->nvm, w->sc->nvm_size);
    if (tear != TEAR_NONE) {
        w->torn++;
        cd->torn = 1;
        memset(&t->pend, 0, sizeof(t->pend));
        t->pend.active = 1;
        t->pend.card = idx;
        t->pend.counter = counter;
        t->pend.type = type;
        t->pend.amount = amount;
        t->pend.ttn = ttn;
        memcpy(t->pend.date, date, 4);
        memcpy(t->pend.time, tim, 3);
        memcpy(t->pend.rnd, rnd, 4);
        t->pend.kver = kver;
        t->pend.alg = alg;
        t->pend.balance = balance;
        t->pend.entry_station = entry_stn;
        t->pend.exit_station = exit_stn;
        if (tear == TEAR_POWER)
            cos_host_cut_after(&w->live.host, (uint32_t)sim_rng_below(&t->rng, 6),
                               (uint32_t)sim_rng_below(&t->rng, 24));
        if (tear != TEAR_BEFORE)
            card_tx(&x, cmd, 21, r, &n);
        w_trace(w, "the card left the field during DEBIT FOR PURCHASE (%s)\n",
                tear == TEAR_BEFORE  ? "before the command reached it"
                : tear == TEAR_AFTER ? "after it processed the command"
                                     : "power lost inside its NVM writes");
        if (w->trace_tear[0] == '\0') {
            size_t k =
                w->trace_len < sizeof(w->trace_tear) - 1 ? w->trace_len : sizeof(w->trace_tear) - 1;
            memcpy(w->trace_tear, w->trace_cur, k);
            w->trace_tear[k] = '\0';
        }
        x.lost = 1;
        goto done;
    }
    uint8_t debit_cmd[21];
    memcpy(debit_cmd, cmd, 21);
    uint16_t sw = card_tx(&x, cmd, 21, r, &n);
    if (sw != 0x9000 || n != 8) {
        free(snap);
        goto done;
    }
    uint8_t tac[4], mac2[4];
    memcpy(tac, r, 4);
    memcpy(mac2, r + 4, 4);
    /* CREDIT SAM FOR PURCHASE: the PSAM checks the card's MAC2. */
    memcpy(cmd, "\x80\x72\x00\x00\x04", 5);
    memcpy(cmd + 5, mac2, 4);
    if (psam_tx(&x, cmd, 9, r, &n) != 0x9000) {
        w_trace(w, "the PSAM refused the card's MAC2\n");
        free(snap);
        goto done;
    }
    w_rec jr = {0};
    jr.card = idx;
    jr.counter = counter;
    jr.type = type;
    jr.amount = amount;
    jr.ttn = ttn;
    memcpy(jr.date, date, 4);
    memcpy(jr.time, tim, 3);
    memcpy(jr.tac, tac, 4);
    memcpy(jr.tid, t->tid, 6);
    jr.kver = kver;
    jr.alg = alg;
    jr.balance = balance;
    jr.entry_station = entry_stn;
    jr.exit_station = exit_stn;
    jr.made = now;
    jr.offline = !w_link_up(w, t->group, now);
    x.dur += sim_us(g->term.journal_us);
    if (journal(w, t, &jr) != 0) {
        free(snap);
        goto done;
    }
    if (snap != NULL) {
        /* The attacker's sniffer recorded this exchange (and cloned the card before). */
        w_capture c;
        memset(&c, 0, sizeof(c));
        c.card = idx;
        c.term = ti;
        memcpy(c.init_cmd, init_cmd, 17);
        memcpy(c.init_rsp, init_rsp, 17);
        memcpy(c.debit_cmd, debit_cmd, 21);
        memcpy(c.debit_rsp, tac, 4);
        memcpy(c.debit_rsp + 4, mac2, 4);
        c.debit_rsp[8] = 0x90;
        c.nvm_before = snap;
        c.amount = amount;
        c.type = type;
        c.rec = jr;
        memcpy(c.issuer, issuer, 8);
        w_attack_capture(w, &c);
    }
    cd->spent += amount;
    cd->last_balance = balance - amount;
    approved = 1;
    if (jr.offline)
        w->offline_approved++;
    if (w->ota_active && cd->ota == 1)
        w_ota_step(w, ti, idx, now, &x.dur);
done:
    if (!x.lost && iface == COS_IF_CONTACTLESS)
        x.dur += sim_air_deselect(&w->sc->air, w->sc->bitrate);
    w_card_leave(w);
    if (approved == 1) {
        w->approved++;
        w_trace(w, "approved, amount %u fen, %.3f ms\n", amount, (double)x.dur / SIM_MS);
    } else if (x.lost) {
        w_trace(w, "no decision: the card left the field\n");
    } else {
        w->declined++;
    }
    w->taps++;
    if (x.dur > w->slowest) {
        w->slowest = x.dur;
        memcpy(w->trace_slowest, w->trace_cur, w->trace_len + 1);
    }
    sim_hist_record(&w->tap_ns, x.dur);
    *dur = x.dur;
    return x.lost ? -2 : approved == 1 ? 1 : 0;
}

uint16_t w_card_apdu(world *w, int ti, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen,
                     sim_time *dur, int *lost)
{
    w_term *t = &w->terms[ti];
    txn x = {w, t, &w->sc->groups[t->group], *dur, 0};
    uint16_t sw = card_tx(&x, cmd, len, rsp, rlen);
    *dur = x.dur;
    *lost = x.lost;
    return sw;
}

uint16_t w_psam_apdu(world *w, int ti, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen,
                     sim_time *dur)
{
    w_term *t = &w->terms[ti];
    txn x = {w, t, &w->sc->groups[t->group], *dur, 0};
    uint16_t sw = psam_tx(&x, cmd, len, rsp, rlen);
    *dur = x.dur;
    return sw;
}
