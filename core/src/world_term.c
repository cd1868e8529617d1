/*
 * obol core: the world's terminals are termsim's kernel (term.h, docs/terminal.md):
 * metro gates (the first half of each station's bank takes entries, the rest exits),
 * POS and set-top boxes, each with its PSAM (a cardsim instance personalized from the
 * group's PSAM profile) in termsim's in-process reader and the card in the world's
 * reader (world_reader.c), which times every exchange. They share one simulation
 * journal store, download their parameters, fare tables and blacklist from the
 * platform (world_host.c) through the terminal-host protocol over the group's link,
 * and upload their journal the same way. A transaction's time at the terminal is the
 * reader exchanges (term_result.duration) plus the terminal profile's processing:
 * the poll wait, the transaction's logic, the blacklist lookup and the journal commit.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_profile.h"
#include "obol/host_proto.h"
#include "obol/host_server.h"
#include "obol/obol_rom.h"
#include "obol/term.h"
#include "world_internal.h"

#define PSAM_NVM     4096u
#define PSAM_SERIAL0 0x9000000000ull

/* The scenario day's midnight (2026-11-23 UTC) in ns: the terminals' clock is
 * W_EPOCH_NS + virtual time, local time UTC (the virtual clock is local time). */
#define W_EPOCH_NS (1795392000ll * SIM_S)

uint64_t w_term_id(int ti)
{
    return (PSAM_SERIAL0 + (uint64_t)ti) & 0xFFFFFFFFFFFFull;
}

/* The trace is kept as raw events while a transaction runs and turned into text only
 * when the report needs it (the slowest transaction, the first torn one, a replay):
 * formatting every exchange of every tap would cost more than the simulation. */
void w_trace_reset(world *w)
{
    w->ntev = 0;
    w->notes_len = 0;
    w->trace_len = 0;
    w->trace_cur[0] = '\0';
}

void w_trace(world *w, const char *fmt, ...)
{
    if (w->ntev >= W_TRACE_EVENTS || w->notes_len >= sizeof(w->notes) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->notes + w->notes_len, sizeof(w->notes) - w->notes_len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(w->notes) - w->notes_len ? (size_t)n
                                                             : sizeof(w->notes) - w->notes_len - 1;
    w_tev *e = &w->tev[w->ntev++];
    e->who = 0;
    e->off = (uint16_t)w->notes_len;
    e->len = (uint16_t)len;
    w->notes_len += len;
}

void w_trace_apdu(world *w, const char *who, const uint8_t *cmd, size_t clen, const uint8_t *rsp,
                  size_t rlen, sim_time t)
{
    if (w->ntev >= W_TRACE_EVENTS)
        return;
    w_tev *e = &w->tev[w->ntev++];
    e->who = who[0];
    e->t = t;
    e->clen = (uint16_t)clen;
    memcpy(e->cmd, cmd, clen < sizeof(e->cmd) ? clen : sizeof(e->cmd));
    e->lost = rsp == NULL;
    e->rlen = (uint16_t)(rsp != NULL ? rlen : 0);
    if (rsp != NULL)
        memcpy(e->rsp, rsp, rlen < sizeof(e->rsp) ? rlen : sizeof(e->rsp));
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

const char *w_trace_text(world *w)
{
    size_t off = 0, cap = sizeof(w->trace_cur);
    for (int i = 0; i < w->ntev && off < cap - 1; i++) {
        const w_tev *e = &w->tev[i];
        int n;
        if (e->who == 0) {
            n = snprintf(w->trace_cur + off, cap - off, "%.*s", (int)e->len, w->notes + e->off);
        } else {
            const char *who = e->who == 'p' ? "psam" : "card";
            char c[140], r[140];
            hex(c, e->cmd, e->clen, sizeof(e->cmd));
            if (e->lost)
                strcpy(r, "(no answer: the card left the field)");
            else
                hex(r, e->rsp, e->rlen, sizeof(e->rsp));
            n = snprintf(w->trace_cur + off, cap - off, "%9.3f ms %-4s > %s\n%9s    %-4s < %s\n",
                         (double)e->t / SIM_MS, who, c, "", who, r);
        }
        if (n < 0)
            break;
        off += (size_t)n < cap - off ? (size_t)n : cap - off - 1;
    }
    w->trace_cur[off] = '\0';
    w->trace_len = off;
    return w->trace_cur;
}

/* ---- the host link ----------------------------------------------------------------------- */

/* A terminal's request crosses its group's link to the platform and the answer comes
 * back, unless the link is down (outage windows, host outages) or loses either frame. */
static int link_call(void *ctx, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rsplen)
{
    w_term *t = ctx;
    world *w = t->w;
    free(t->reply);
    t->reply = NULL;
    sim_time now = sim_now(w->s);
    int lost = 0;
    if (!w->commissioning && !w_link_up(w, t->group, now))
        return TERM_ERR_OFFLINE;
    w_link_delay(w, t->group, &lost);
    if (lost && !w->commissioning)
        return TERM_ERR_OFFLINE;
    size_t n = 0;
    w_host_clock(w);
    host_server_handle(w->srv, req, len, &t->reply, &n);
    if (t->reply == NULL)
        return TERM_ERR_OFFLINE;
    w_link_delay(w, t->group, &lost);
    lost = lost && !w->commissioning;
    /* A blacklist that never arrives (a fault the tests inject). */
    if (len > 3 && req[3] == HOST_MSG_BL_REQ && (w->opts->faults & SIM_FAULT_BLACKLIST_LOST) &&
        !w->commissioning)
        lost = 1;
    if (lost)
        return TERM_ERR_OFFLINE;
    *rsp = t->reply;
    *rsplen = n;
    return 0;
}

/* ---- terminals --------------------------------------------------------------------------- */

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
    if (cos_card_attach(&p->card, &cfg) != 0 ||
        cos_profile_apply(&p->card, g->psam_profile, PSAM_SERIAL0 + (uint64_t)ti, err,
                          sizeof(err)) != 0) {
        w_fail(w, SIM_ERR_INVAL, "PSAM profile '%s' (group %s): %s", g->psam_profile, g->name, err);
        return SIM_ERR_INVAL;
    }
    return 0;
}

/* Whether terminal T of a gate group takes entries (the first half of its bank). */
int w_term_is_entry(const world *w, const w_term *t)
{
    const scn_group *g = &w->sc->groups[t->group];
    return g->kind == SCN_GATE && t->index < (g->per_station + 1) / 2;
}

int w_terms_init(world *w)
{
    const scenario *sc = w->sc;
    w->nterms = scn_terminals(sc);
    w->terms = calloc((size_t)w->nterms, sizeof(*w->terms));
    w->group_first = calloc(sc->ngroups + 1, sizeof(int));
    if (w->terms == NULL || w->group_first == NULL)
        return SIM_ERR_NOMEM;
    term_store_options so = {.mode = TERM_STORE_SIM};
    int rc = term_store_open(NULL, &so, &w->store);
    if (rc != 0) {
        w_fail(w, SIM_ERR_INVAL, "the terminals' store: %s", term_strerror(rc));
        return SIM_ERR_INVAL;
    }
    int ti = 0;
    for (size_t gi = 0; gi < sc->ngroups; gi++) {
        const scn_group *g = &sc->groups[gi];
        w->group_first[gi] = ti;
        for (int st = 0; st < g->stations; st++)
            for (int k = 0; k < g->per_station; k++, ti++) {
                w_term *t = &w->terms[ti];
                t->w = w;
                t->group = (int)gi;
                t->station = st;
                t->index = k;
                sim_rng_init(&t->rng, w->seed, W_STREAM_TERMINALS + (uint64_t)ti);
                if ((rc = psam_open(w, t, ti)) != 0)
                    return rc;
                uint64_t id = w_term_id(ti);
                for (int b = 0; b < 6; b++)
                    t->tid[b] = (uint8_t)(id >> (40 - 8 * b));
            }
    }
    w->group_first[sc->ngroups] = ti;
    w_trace_reset(w);
    return 0;
}

int w_terms_open(world *w)
{
    /* After the platform knows them (world_host.c): open the kernels and let each
     * download its parameters, fares and blacklist, on a link that works (commissioning
     * happens before the day starts). */
    w->commissioning = 1;
    for (int ti = 0; ti < w->nterms; ti++) {
        w_term *t = &w->terms[ti];
        const scn_group *g = &w->sc->groups[t->group];
        w_psam_reader_init(t);
        w_reader_init(&t->card_rd, w, ti,
                      g->iface == SCN_IF_CONTACT ? TERM_IF_CONTACT : TERM_IF_CONTACTLESS);
        term_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.kind = g->kind == SCN_GATE  ? (w_term_is_entry(w, t) ? TERM_GATE_ENTRY : TERM_GATE_EXIT)
                   : g->kind == SCN_STB ? TERM_STB
                                        : TERM_POS;
        cfg.card = &t->card_rd.base;
        cfg.psam = &t->psam_rd.base;
        cfg.store = w->store;
        cfg.station = (uint16_t)(t->station + 1);
        cfg.operator_id = w_group_operator(t->group);
        cfg.no_directory = 1;
        cfg.pin_free_limit = 0xFFFFFFFFu; /* purchases from the EP, no PIN */
        cfg.host = link_call;
        cfg.host_ctx = t;
        int rc = term_open(&cfg, W_EPOCH_NS + w->sc->start, &t->k);
        if (rc == 0)
            rc = term_sync(t->k, W_EPOCH_NS + w->sc->start, NULL);
        if (rc != 0) {
            w->commissioning = 0;
            w_fail(w, SIM_ERR_INVAL, "terminal %d (%s): %s", ti, g->name, term_strerror(rc));
            return SIM_ERR_INVAL;
        }
    }
    w->commissioning = 0;
    return 0;
}

void w_terms_free(world *w)
{
    for (int i = 0; w->terms != NULL && i < w->nterms; i++) {
        w_term *t = &w->terms[i];
        term_close(t->k);
        if (t->psam_nvm != NULL) {
            cos_power_off(&t->psam.card);
            cos_host_close(&t->psam.host);
        }
        free(t->psam_nvm);
        free(t->q_card);
        free(t->q_time);
        free(t->q_kind);
        free(t->q_arg);
        free(t->reply);
    }
    term_store_close(w->store);
    free(w->terms);
    free(w->group_first);
    w->terms = NULL;
}

int w_term_blacklisted(const world *w, const w_term *t, uint32_t idx)
{
    return t->k != NULL && term_blacklisted(t->k, w->sc->serial_base + idx);
}

int w_term_upload(world *w, int ti)
{
    w_term *t = &w->terms[ti];
    term_upload_stats st;
    memset(&st, 0, sizeof(st));
    int rc = term_upload(t->k, W_EPOCH_NS + sim_now(w->s), &st);
    w->records_acked += st.records_acked;
    w->batch_resends += st.retries;
    if (st.batches_sent > 0)
        w_hook_settle(w, ti, rc, st.records_acked, st.records_duplicate, st.records_rejected);
    return rc;
}

int w_term_sync(world *w, int ti)
{
    w_term *t = &w->terms[ti];
    int rc = term_sync(t->k, W_EPOCH_NS + sim_now(w->s), NULL);
    uint32_t before = t->bl_version;
    t->bl_version = term_blacklist_version(t->k);
    if (t->bl_version != before)
        w_hook_blacklist(w, ti);
    return rc;
}

/* Early removal: where the card leaves. */
static void arm_tear(world *w, w_term *t)
{
    t->card_rd.tear_ins = -1;
    if (w->sc->early_removal_p <= 0 || sim_rng_uniform(&t->rng) >= w->sc->early_removal_p)
        return;
    /* During DEBIT FOR PURCHASE (80 54): before the command reaches the card, after it
     * processed it, or inside its NVM writes. */
    t->card_rd.tear_ins = 0x54;
    t->card_rd.tear_mode = 1 + (int)sim_rng_below(&t->rng, 3);
}

int w_term_tap(world *w, int ti, uint32_t idx, int kind, uint32_t amount, sim_time now,
               sim_time *dur)
{
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    w_card *cd = &w->cards[idx];
    int approved = 0, lost = 0;
    (void)kind;

    w_trace_reset(w);
    w->cur.npairs = 0;
    w->tracing = 1;
    w_trace(w, "terminal %012llX (%s, station %d), card %llu\n", (unsigned long long)w_term_id(ti),
            g->name, t->station + 1, (unsigned long long)(w->sc->serial_base + idx));
    /* The reader finds the card on its next poll. */
    sim_time poll = (sim_time)(sim_rng_uniform(&t->rng) * (double)sim_us(g->term.poll_us));
    w->trace_t0 = poll;
    w->tap_start = W_EPOCH_NS + now + poll;
    if (w_card_attach(w, idx) != 0) {
        *dur = poll;
        w->tracing = 0;
        return 0;
    }
    uint8_t *snap = NULL;
    if (w->capture_on && (snap = malloc(w->sc->nvm_size)) != NULL)
        memcpy(snap, cd->nvm, w->sc->nvm_size);
    t->card_rd.card = &w->live.card;
    t->card_rd.torn = 0;
    arm_tear(w, t);
    term_result res;
    memset(&res, 0, sizeof(res));
    int rc = g->kind == SCN_GATE ? term_tap(t->k, w->tap_start, &res)
                                 : term_purchase(t->k, w->tap_start, amount, &res);
    sim_time d = poll + res.duration + sim_us(g->term.txn_us) + sim_us(g->term.blacklist_us);
    if (res.status == TERM_APPROVED) {
        approved = 1;
        w->approved++;
        d += sim_us(g->term.journal_us);
        cd->spent += res.amount;
        cd->last_balance = res.balance_after;
        w->records_made++;
        w->backlog++;
        if (w->backlog > w->max_backlog)
            w->max_backlog = w->backlog;
        if (!w_link_up(w, t->group, now)) {
            w->offline_approved++;
            w->offline_made++;
        }
        if (res.flags & TERM_F_RECOVERED)
            w->recovered++;
        w_trace(w, "approved%s, %u fen, %.3f ms\n",
                (res.flags & TERM_F_RECOVERED) ? " (recovered: the purchase torn earlier)" : "",
                res.amount, (double)d / SIM_MS);
        if (w->ota_active && cd->ota == 1)
            w_ota_step(w, ti, idx, now, &d);
    } else if (rc == TERM_ERR_CARD_LOST || res.status == TERM_PENDING || t->card_rd.torn) {
        lost = 1;
        if (t->card_rd.torn) {
            w->torn++;
            cd->torn = 1;
            if (w->trace_tear[0] == '\0') {
                w_trace_text(w);
                size_t k = w->trace_len < sizeof(w->trace_tear) - 1 ? w->trace_len
                                                                    : sizeof(w->trace_tear) - 1;
                memcpy(w->trace_tear, w->trace_cur, k);
                w->trace_tear[k] = '\0';
            }
        }
        w_trace(w, "no decision: the card left the field\n");
    } else {
        w->declined++;
        w_trace(w, "declined: %s\n", term_reason_str(res.reason));
        if (res.reason == TERM_R_BLACKLISTED)
            approved = -1;
    }
    if (rc != 0 && rc != TERM_ERR_CARD_LOST && rc != TERM_ERR_NO_CARD && w->err == 0 &&
        rc != TERM_ERR_PARAMS)
        w_trace(w, "terminal: %s\n", term_strerror(rc));
    if (approved == 1 && snap != NULL && w->cur.npairs > 0) {
        /* The attacker's sniffer recorded this exchange (and cloned the card before). */
        w_capture c;
        memset(&c, 0, sizeof(c));
        c.card = idx;
        c.term = ti;
        c.npairs = w->cur.npairs;
        memcpy(c.pairs, w->cur.pairs, sizeof(c.pairs));
        memcpy(c.ats, w->cur.ats, sizeof(c.ats));
        c.ats_len = w->cur.ats_len;
        c.nvm_before = snap;
        c.rec.card = idx;
        c.rec.term = ti;
        c.at = now;
        c.rec.counter = res.counter;
        c.rec.type = g->kind == SCN_GATE ? 0x09 : 0x06;
        c.rec.amount = res.amount;
        c.rec.ttn = res.ttn;
        c.rec.balance = res.balance_before;
        memcpy(c.rec.tac, res.tac, 4);
        memcpy(c.rec.tid, t->tid, 6);
        w_datetime(now, c.rec.date, c.rec.time);
        for (int i = 0; i < c.npairs; i++)
            if (c.pairs[i].cmd[1] == 0x50 && c.pairs[i].rlen >= 13) {
                c.rec.kver = c.pairs[i].rsp[9];
                c.rec.alg = c.pairs[i].rsp[10];
            }
        w_attack_capture(w, &c);
        snap = NULL;
    }
    free(snap);
    t->card_rd.card = NULL;
    t->card_rd.tear_ins = -1;
    w_card_leave(w);
    w->taps++;
    w->tracing = 0;
    if (d > w->slowest) {
        w->slowest = d;
        w_trace_text(w);
        memcpy(w->trace_slowest, w->trace_cur, w->trace_len + 1);
    }
    sim_hist_record(&w->tap_ns, d);
    *dur = d;
    int result = lost ? -2 : approved == 1 ? 1 : 0;
    if (w_hooked(w, SIM_HOOK_TAP)) {
        sim_hook_event ev = {.kind = SIM_HOOK_TAP,
                             .at = now,
                             .card = idx,
                             .terminal = ti,
                             .group = t->group,
                             .result = result,
                             .amount = res.amount,
                             .duration = d};
        w_hook_emit(w, &ev);
    }
    return result;
}

int w_term_fake_tap(world *w, int ti, const w_capture *c, term_result *res)
{
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    memset(res, 0, sizeof(*res));
    t->card_rd.fake = c;
    w->tracing = 1;
    w->trace_t0 = 0;
    w->tap_start = W_EPOCH_NS + sim_now(w->s);
    int rc = g->kind == SCN_GATE ? term_tap(t->k, w->tap_start, res)
                                 : term_purchase(t->k, w->tap_start, c->rec.amount, res);
    t->card_rd.fake = NULL;
    w->tracing = 0;
    return rc;
}

uint16_t w_card_apdu(world *w, int ti, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen,
                     sim_time *dur, int *lost)
{
    uint8_t r[300];
    size_t n = 0;
    cos_cost before = *cos_cost_get(&w->live.card), d;
    int rc =
        cos_transmit(&w->live.card, (uint64_t)(sim_now(w->s) / SIM_US), cmd, len, r, sizeof(r), &n);
    const cos_cost *after = cos_cost_get(&w->live.card);
    d.apdus = after->apdus - before.apdus;
    d.nvm_writes = after->nvm_writes - before.nvm_writes;
    d.nvm_bytes = after->nvm_bytes - before.nvm_bytes;
    d.nvm_pages = after->nvm_pages - before.nvm_pages;
    d.crypto_blocks = after->crypto_blocks - before.crypto_blocks;
    d.rng_bytes = after->rng_bytes - before.rng_bytes;
    *dur += w_card_exchange_time(w, ti, cmd, len, rc == 0 ? n : 0, &d);
    if (rc != 0 || n < 2) {
        w_trace_apdu(w, "card", cmd, len, NULL, 0, *dur);
        *lost = 1;
        return 0;
    }
    w_trace_apdu(w, "card", cmd, len, r, n, *dur);
    if (rsp != NULL)
        memcpy(rsp, r, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    *lost = 0;
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

uint16_t w_psam_apdu(world *w, int ti, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen,
                     sim_time *dur)
{
    w_term *t = &w->terms[ti];
    uint8_t r[300];
    size_t n = 0;
    int rc =
        cos_transmit(&t->psam.card, (uint64_t)(sim_now(w->s) / SIM_US), cmd, len, r, sizeof(r), &n);
    *dur += sim_contact_exchange(&w->sc->psam_slot, len > 5 ? len - 5 : 0,
                                 rc == 0 && n > 2 ? n - 2 : 0, 0);
    if (rc != 0 || n < 2)
        return 0;
    w_trace_apdu(w, "psam", cmd, len, r, n, *dur);
    if (rsp != NULL)
        memcpy(rsp, r, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}
