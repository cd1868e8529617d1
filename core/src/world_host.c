/*
 * obol core: the platform side of the world and the network between. Terminals upload
 * their journal in batches every upload interval and pull the blacklist every
 * distribution interval over their group's link (latency, jitter, loss, outage
 * windows, and the timeline's host outages). The host verifies every record's TAC
 * with OpenSSL (hostsim's host_crypto: the card computed it with obol's own crypto),
 * detects duplicates by (card serial, offline counter), and keeps a ledger per card.
 * A batch whose acknowledgement is lost is sent again; the host recognizes the
 * records and settles nothing twice.
 *
 * This is the world's own platform model until hostsim's server (settlement, the
 * blacklist service, the TSM) can be driven from the simulator.
 */
#include <stdlib.h>
#include <string.h>

#include "obol/host_crypto.h"
#include "world_internal.h"

int w_link_up(const world *w, int group, sim_time t)
{
    const scenario *sc = w->sc;
    for (size_t i = 0; i < sc->nevents; i++) {
        const scn_event *e = &sc->events[i];
        if (e->kind == SCN_EV_HOST_OUTAGE && t >= e->at && t < e->until)
            return 0;
    }
    const scn_link *lk = &sc->links[sc->groups[group].link];
    for (size_t i = 0; i < lk->noutage; i++)
        if (t >= lk->outage[i].from && t < lk->outage[i].to)
            return 0;
    return 1;
}

sim_time w_link_delay(world *w, int group, int *lost)
{
    const scn_link *lk = &w->sc->links[w->sc->groups[group].link];
    double ms = lk->latency_ms;
    if (lk->jitter_ms > 0)
        ms += sim_rng_uniform(&w->link_rng) * lk->jitter_ms;
    if (lk->loss > 0 && sim_rng_uniform(&w->link_rng) < lk->loss)
        *lost = 1;
    ms += w->sc->host_process_ms / 2;
    return (sim_time)(ms * (double)SIM_MS);
}

int w_host_init(world *w)
{
    w->dedup_cap = 1024;
    while (w->dedup_cap < 4 * (size_t)w->ncards)
        w->dedup_cap *= 2;
    w->dedup = calloc(w->dedup_cap, sizeof(*w->dedup));
    w->dtk_cache = calloc(w->ncards, sizeof(*w->dtk_cache));
    w->dtk_have = calloc(w->ncards, 1);
    w->bl_serials = calloc(w->ncards + 1, sizeof(*w->bl_serials));
    if (w->dedup == NULL || w->dtk_cache == NULL || w->dtk_have == NULL || w->bl_serials == NULL)
        return SIM_ERR_NOMEM;
    sim_rng_init(&w->link_rng, w->seed, W_STREAM_LINKS);
    return 0;
}

void w_host_free(world *w)
{
    free(w->dedup);
    free(w->dtk_cache);
    free(w->dtk_have);
    free(w->bl_serials);
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* Inserts KEY into the duplicate set; 1 when it was new. */
static int dedup_add(world *w, uint64_t key)
{
    if (2 * (w->dedup_len + 1) > w->dedup_cap) {
        size_t cap = w->dedup_cap * 2;
        uint64_t *n = calloc(cap, sizeof(*n));
        if (n == NULL)
            return -1;
        for (size_t i = 0; i < w->dedup_cap; i++)
            if (w->dedup[i] != 0) {
                size_t j = mix(w->dedup[i]) & (cap - 1);
                while (n[j] != 0)
                    j = (j + 1) & (cap - 1);
                n[j] = w->dedup[i];
            }
        free(w->dedup);
        w->dedup = n;
        w->dedup_cap = cap;
    }
    key += 1;
    size_t j = mix(key) & (w->dedup_cap - 1);
    while (w->dedup[j] != 0) {
        if (w->dedup[j] == key)
            return 0;
        j = (j + 1) & (w->dedup_cap - 1);
    }
    w->dedup[j] = key;
    w->dedup_len++;
    return 1;
}

int w_host_has(const world *w, uint32_t card, uint16_t counter)
{
    uint64_t key = ((uint64_t)card << 16 | counter) + 1;
    size_t j = mix(key) & (w->dedup_cap - 1);
    while (w->dedup[j] != 0) {
        if (w->dedup[j] == key)
            return 1;
        j = (j + 1) & (w->dedup_cap - 1);
    }
    return 0;
}

int w_host_ingest(world *w, const w_rec *r, int replay)
{
    w_card *cd = &w->cards[r->card];
    /* The card's TAC key DTK = Div(MTK, serial), derived once per card. */
    uint8_t *full = w->dtk_cache[r->card];
    if (!w->dtk_have[r->card]) {
        uint8_t serial[8];
        w_card_serial(w, r->card, serial);
        if (host_pboc_diversify(w->key_mtk, serial, full) != 0)
            return -1;
        w->dtk_have[r->card] = 1;
    }
    host_pboc_purchase p;
    memset(&p, 0, sizeof(p));
    p.amount = r->amount;
    p.type = r->type;
    p.ttn = r->ttn;
    memcpy(p.date, r->date, 4);
    memcpy(p.time, r->time, 3);
    memcpy(p.terminal_id, r->tid, 6);
    if (host_pboc_purchase_tac_verify(full, &p, r->tac) != 0) {
        w->bad_tac++;
        return -1;
    }
    uint64_t key = (uint64_t)r->card << 16 | r->counter;
    int fresh = dedup_add(w, key);
    if (fresh < 0)
        return -1;
    if (!fresh && !(w->opts->faults & SIM_FAULT_HOST_NO_DEDUP)) {
        w->dup_flagged++;
        return 0;
    }
    (void)replay;
    if (fresh) {
        w->settled++;
        w->offline_settled += r->offline;
    } else
        w->dup_settled++;
    cd->settled += r->amount;
    return 1;
}

void w_host_blacklist(world *w, uint32_t idx)
{
    w->bl_serials[w->bl_len++] = idx;
    w->bl_version = w->bl_len;
}

uint64_t w_host_unsettled(const world *w)
{
    return w->records_made > w->settled ? w->records_made - w->settled : 0;
}

/* ---- upload ------------------------------------------------------------------------------ */

static void upload_tick(sim *s, void *arg, uint64_t ti);

static void ack_arrives(sim *s, void *arg, uint64_t data)
{
    (void)s;
    world *w = arg;
    w_term *t = &w->terms[(uint32_t)data];
    uint32_t seq = (uint32_t)(data >> 32);
    if (!t->upload_inflight || seq != t->batch_seq)
        return; /* an old batch's acknowledgement */
    size_t k = t->jr_sent;
    memmove(t->jr, t->jr + k, (t->jr_len - k) * sizeof(*t->jr));
    t->jr_len -= k;
    t->jr_sent = 0;
    t->upload_inflight = 0;
    w->backlog -= k;
}

static void batch_arrives(sim *s, void *arg, uint64_t data)
{
    world *w = arg;
    uint32_t ti = (uint32_t)data;
    w_term *t = &w->terms[ti];
    uint32_t seq = (uint32_t)(data >> 32);
    if (seq != t->batch_seq || !w_link_up(w, t->group, sim_now(s)))
        return;
    for (size_t i = 0; i < t->jr_sent; i++)
        w_host_ingest(w, &t->jr[i], 0);
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, ack_arrives, w, data, NULL);
}

static void upload_tick(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    if (sim_now(s) < w->sc->end + w->sc->drain)
        sim_after(s, g->upload_every, upload_tick, w, ti, NULL);
    if (t->jr_len == 0 || !w_link_up(w, t->group, sim_now(s)))
        return;
    /* A batch still unacknowledged is sent again with the same content; records made
     * since go in the next one. */
    if (!t->upload_inflight) {
        t->jr_sent = t->jr_len;
        t->batch_seq++;
        t->upload_inflight = 1;
    }
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, batch_arrives, w, ti | (uint64_t)t->batch_seq << 32, NULL);
}

/* ---- blacklist distribution ---------------------------------------------------------- */

static void bl_reply(sim *s, void *arg, uint64_t data)
{
    world *w = arg;
    w_term *t = &w->terms[(uint32_t)data];
    uint32_t version = (uint32_t)(data >> 32);
    if (!w_link_up(w, t->group, sim_now(s)) || (w->opts->faults & SIM_FAULT_BLACKLIST_LOST))
        return;
    if (version > t->bl_version)
        t->bl_version = version;
}

static void bl_request(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    if (!w_link_up(w, t->group, sim_now(s)))
        return;
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, bl_reply, w, ti | (uint64_t)w->bl_version << 32, NULL);
}

static void bl_tick(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    if (sim_now(s) < w->sc->end + w->sc->drain)
        sim_after(s, g->blacklist_every, bl_tick, w, ti, NULL);
    if (!w_link_up(w, t->group, sim_now(s)))
        return;
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, bl_request, w, ti, NULL);
}

int w_host_start(world *w)
{
    for (int i = 0; i < w->nterms; i++) {
        w_term *t = &w->terms[i];
        const scn_group *g = &w->sc->groups[t->group];
        /* Each terminal starts its cycles at its own phase. */
        sim_time up = w->sc->start + (sim_time)(sim_rng_uniform(&t->rng) * (double)g->upload_every);
        sim_time bl =
            w->sc->start + (sim_time)(sim_rng_uniform(&t->rng) * (double)g->blacklist_every);
        int rc;
        if ((rc = sim_schedule(w->s, up, upload_tick, w, (uint64_t)i, NULL)) != 0 ||
            (rc = sim_schedule(w->s, bl, bl_tick, w, (uint64_t)i, NULL)) != 0)
            return rc;
    }
    return 0;
}
