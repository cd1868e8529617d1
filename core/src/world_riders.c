/*
 * obol core: riders and the timeline. Riders arrive by a non-homogeneous Poisson
 * process over the scenario's rate profile; each takes a card from the population (one
 * not already in use), picks a terminal group by its size, and then:
 *   - at a metro line: an origin station (uniform, or by a gravity weight per station)
 *     and a destination; joins the shortest gate queue there; approaches, taps (with
 *     tap failures and early card removal from the rider model), passes; rides
 *     |destination - origin| stations and taps out at the destination;
 *   - at POS, set-top box or dual terminals: a purchase of an amount from the scenario's
 *     range.
 * The timeline adds lost cards (with a thief tapping them), blacklist entries, the OTA
 * campaign, key rotations and host outages (world_host.c reads those).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

static void start_service(world *w, int ti);

static double lognormal_ms(sim_rng *r, double median_ms, double sigma)
{
    if (median_ms <= 0)
        return 0;
    return sim_rng_lognormal(r, log(median_ms), sigma);
}

static int enqueue(w_term *t, uint32_t card, sim_time at, uint8_t kind, uint32_t arg)
{
    if (t->q_len == t->q_cap) {
        size_t cap = t->q_cap ? t->q_cap * 2 : 8;
        uint32_t *c = malloc(cap * sizeof(*c)), *a = malloc(cap * sizeof(*a));
        sim_time *tm = malloc(cap * sizeof(*tm));
        uint8_t *k = malloc(cap);
        if (c == NULL || a == NULL || tm == NULL || k == NULL) {
            free(c);
            free(a);
            free(tm);
            free(k);
            return SIM_ERR_NOMEM;
        }
        for (size_t i = 0; i < t->q_len; i++) {
            size_t j = (t->q_head + i) % t->q_cap;
            c[i] = t->q_card[j];
            a[i] = t->q_arg[j];
            tm[i] = t->q_time[j];
            k[i] = t->q_kind[j];
        }
        free(t->q_card);
        free(t->q_arg);
        free(t->q_time);
        free(t->q_kind);
        t->q_card = c;
        t->q_arg = a;
        t->q_time = tm;
        t->q_kind = k;
        t->q_head = 0;
        t->q_cap = cap;
    }
    size_t j = (t->q_head + t->q_len) % t->q_cap;
    t->q_card[j] = card;
    t->q_time[j] = at;
    t->q_kind[j] = kind;
    t->q_arg[j] = arg;
    t->q_len++;
    return 0;
}

/* Joins the shortest queue (waiting + being served; lowest index on ties) among the
 * terminals [FIRST, FIRST + N). */
static int join(world *w, int first, int n, uint32_t card, uint8_t kind, uint32_t arg)
{
    int best = first;
    size_t bl = SIZE_MAX;
    for (int i = first; i < first + n; i++) {
        size_t l = w->terms[i].q_len + (size_t)w->terms[i].busy;
        if (l < bl) {
            bl = l;
            best = i;
        }
    }
    w_term *t = &w->terms[best];
    int rc = enqueue(t, card, sim_now(w->s), kind, arg);
    if (rc != 0) {
        w_fail(w, rc, "out of memory for a queue");
        return rc;
    }
    w->waiting++;
    if ((int)t->q_len > w->max_queue)
        w->max_queue = (int)t->q_len;
    if (!t->busy)
        start_service(w, best);
    return 0;
}

/* Joins the entry (ENTRY 1) or exit gates of station ST of line G: the first half of
 * a station's bank takes entries, the rest exits (world_term.c). */
static int join_gates(world *w, int g, int st, int entry, uint32_t card, uint8_t kind, uint32_t arg)
{
    const scn_group *gr = &w->sc->groups[g];
    int first = w->group_first[g] + st * gr->per_station, nin = (gr->per_station + 1) / 2;
    if (gr->per_station == 1)
        return join(w, first, 1, card, kind, arg);
    return entry ? join(w, first, nin, card, kind, arg)
                 : join(w, first + nin, gr->per_station - nin, card, kind, arg);
}

/* A station of group G, by the origin weights. */
static int pick_station(world *w, const scn_group *g)
{
    if (!w->sc->od_gravity || g->stations == 1)
        return (int)sim_rng_below(&w->rider_rng, (uint64_t)g->stations);
    /* Gravity: station s weighs 1 / (1 + (s * 7919 mod stations)), a fixed,
     * deterministic spread of busy and quiet stations along the line. */
    double total = 0;
    for (int s = 0; s < g->stations; s++)
        total += 1.0 / (1 + (s * 7919) % g->stations);
    double u = sim_rng_uniform(&w->rider_rng) * total;
    for (int s = 0; s < g->stations; s++) {
        u -= 1.0 / (1 + (s * 7919) % g->stations);
        if (u < 0)
            return s;
    }
    return g->stations - 1;
}

/* A card nobody is using, or UINT32_MAX after a few tries. */
static uint32_t pick_card(world *w)
{
    for (int k = 0; k < 32; k++) {
        uint32_t c = (uint32_t)sim_rng_below(&w->rider_rng, w->ncards);
        if (w->cards[c].where == W_CARD_OUTSIDE && !w->cards[c].lost)
            return c;
    }
    return UINT32_MAX;
}

static void ride_ends(sim *s, void *arg, uint64_t data)
{
    (void)s;
    world *w = arg;
    uint32_t card = (uint32_t)data;
    int g = (int)(data >> 32 & 0xFF), st = (int)(data >> 40);
    join_gates(w, g, st, 0, card, W_TAP_EXIT, 0);
}

static void arrive(sim *s, void *arg, uint64_t data)
{
    (void)data;
    world *w = arg;
    const scenario *sc = w->sc;
    sim_time next = sim_arrivals_next(&w->arrivals);
    if (next != SIM_NEVER && next < sc->end)
        sim_schedule(s, next, arrive, w, 0, NULL);
    uint32_t card = pick_card(w);
    if (card == UINT32_MAX)
        return;
    uint64_t pick = sim_rng_below(&w->rider_rng, (uint64_t)w->nterms);
    int g = 0;
    while (g + 1 < (int)sc->ngroups && (int)pick >= w->group_first[g + 1])
        g++;
    const scn_group *gr = &sc->groups[g];
    w->cards[card].where = W_CARD_BUSY;
    if (gr->kind == SCN_GATE && sc->has_trip) {
        int o = pick_station(w, gr), d = o;
        if (gr->stations > 1)
            while (d == o)
                d = pick_station(w, gr);
        w->cards[card].entry_station = (uint16_t)o;
        join_gates(w, g, o, 1, card, W_TAP_ENTRY, (uint32_t)d);
    } else {
        uint32_t amount =
            sc->has_amount ? sc->amount_min +
                                 (uint32_t)sim_rng_below(
                                     &w->rider_rng, (uint64_t)(sc->amount_max - sc->amount_min) + 1)
                           : sc->fare_base;
        int ti = w->group_first[g] +
                 (int)sim_rng_below(&w->rider_rng, (uint64_t)(gr->stations * gr->per_station));
        /* Shops and homes have no bank of terminals: the customer queues at this one. */
        join(w, ti, 1, card, gr->kind == SCN_GATE ? W_TAP_FLAT : W_TAP_PURCHASE, amount);
    }
}

static void pass_done(sim *s, void *arg, uint64_t ti);

static void tap_now(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scenario *sc = w->sc;
    sim_time extra = 0;
    /* A tap that fails to read (card presented badly) costs a poll and an activation,
     * then the rider presents the card again. */
    while (sc->tap_fail_p > 0 && sim_rng_uniform(&t->rng) < sc->tap_fail_p && t->sv_tries < 3) {
        t->sv_tries++;
        extra += sim_air_activation(&sc->air) +
                 (sim_time)(lognormal_ms(&t->rng, sc->approach_ms / 2, sc->approach_sigma) *
                            (double)SIM_MS);
    }
    sim_time dur = 0;
    /* Under SIM_FAULT_NO_RECOVERY a rider whose card was pulled away tries the next
     * gate of the bank instead of the same one, where the purchase left pending is
     * never resolved. */
    int at = (int)ti;
    if (t->sv_tries > 0 && (w->opts->faults & SIM_FAULT_NO_RECOVERY)) {
        const scn_group *g = &sc->groups[t->group];
        int first = w->group_first[t->group] + t->station * g->per_station;
        int nin = g->kind == SCN_GATE ? (g->per_station + 1) / 2 : g->per_station;
        int side = t->index < nin ? 0 : nin, n = t->index < nin ? nin : g->per_station - nin;
        at = first + side + (t->index - side + t->sv_tries) % n;
    }
    int r = w_term_tap(w, at, t->sv_card, t->sv_kind, t->sv_arg, sim_now(s) + extra, &dur);
    w->minute_taps++;
    if (r == -2 && t->sv_tries < 6) {
        /* The card left the field: the gate asks for the card again. */
        t->sv_tries++;
        sim_time again = (sim_time)(lognormal_ms(&t->rng, sc->approach_ms / 2, sc->approach_sigma) *
                                    (double)SIM_MS);
        sim_after(s, extra + dur + again, tap_now, w, ti, NULL);
        return;
    }
    t->sv_result = r;
    sim_time pass =
        r == 1 ? (sim_time)(lognormal_ms(&t->rng, sc->pass_ms, sc->pass_sigma) * (double)SIM_MS)
               : 0;
    sim_after(s, extra + dur + pass, pass_done, w, ti, NULL);
}

static void start_service(world *w, int ti)
{
    w_term *t = &w->terms[ti];
    if (t->q_len == 0) {
        t->busy = 0;
        return;
    }
    t->busy = 1;
    size_t j = t->q_head;
    t->sv_card = t->q_card[j];
    t->sv_kind = t->q_kind[j];
    t->sv_arg = t->q_arg[j];
    t->sv_joined = t->q_time[j];
    t->sv_tries = 0;
    t->q_head = (t->q_head + 1) % t->q_cap;
    t->q_len--;
    w->waiting--;
    t->sv_start = sim_now(w->s);
    sim_time approach =
        (sim_time)(lognormal_ms(&t->rng, w->sc->approach_ms, w->sc->approach_sigma) *
                   (double)SIM_MS);
    sim_after(w->s, approach, tap_now, w, (uint64_t)ti, NULL);
}

static void pass_done(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scenario *sc = w->sc;
    sim_time now = sim_now(s);
    w_card *cd = &w->cards[t->sv_card];
    sim_hist_record(&w->wait_ns, now - t->sv_joined);
    sim_hist_record(&w->svc_ns, now - t->sv_start);
    if (now - t->minute_start >= SIM_MIN) {
        t->minute_start = now - (now - sc->start) % SIM_MIN;
        t->minute_count = 0;
    }
    if (t->sv_result == 1 && ++t->minute_count > t->minute_best)
        t->minute_best = t->minute_count;
    if (t->sv_kind == W_TAP_ENTRY && t->sv_result == 1) {
        cd->where = W_CARD_INSIDE;
        w->riders_in++;
        int d = (int)t->sv_arg;
        int stations = d > t->station ? d - t->station : t->station - d;
        double f = sim_rng_lognormal(&t->rng, 0, 0.2);
        sim_time ride = (sim_time)((double)sc->ride_per_station * stations * f) +
                        (sim_time)(sim_rng_uniform(&t->rng) * 4 * (double)SIM_MIN);
        sim_after(s, ride, ride_ends, w, t->sv_card | (uint64_t)t->group << 32 | (uint64_t)d << 40,
                  NULL);
    } else {
        if (t->sv_kind == W_TAP_EXIT)
            w->riders_in--;
        cd->where = W_CARD_OUTSIDE;
    }
    start_service(w, (int)ti);
}

/* ---- samplers ------------------------------------------------------------------------------ */

static double sample_queue(void *arg)
{
    return (double)((world *)arg)->waiting;
}

static double sample_taps(void *arg)
{
    world *w = arg;
    double v = (double)w->minute_taps;
    w->minute_taps = 0;
    return v;
}

static double sample_ota(void *arg)
{
    return (double)((world *)arg)->ota_updated;
}

static double sample_backlog(void *arg)
{
    return (double)((world *)arg)->backlog;
}

int w_riders_start(world *w)
{
    const scenario *sc = w->sc;
    sim_rng_init(&w->rider_rng, w->seed, W_STREAM_RIDERS);
    size_t n = 0;
    w->prof_at = calloc(sc->nrates + 1, sizeof(*w->prof_at));
    w->prof_rate = calloc(sc->nrates + 1, sizeof(*w->prof_rate));
    if (w->prof_at == NULL || w->prof_rate == NULL)
        return SIM_ERR_NOMEM;
    for (size_t i = 0; i < sc->nrates && sc->rates[i].at < sc->end; i++) {
        w->prof_at[n] = sc->rates[i].at < sc->start ? sc->start : sc->rates[i].at;
        if (n > 0 && w->prof_at[n] <= w->prof_at[n - 1])
            n--;
        w->prof_rate[n] = sc->rates[i].per_min / 60.0;
        n++;
    }
    w->prof_at[n] = sc->end;
    w->prof_rate[n] = 0;
    n++;
    w->prof = (sim_rate_profile){w->prof_at, w->prof_rate, n};
    int rc = sim_arrivals_init(&w->arrivals, &w->prof, w->seed, W_STREAM_ARRIVALS);
    if (rc != 0)
        return rc;
    sim_time first = sim_arrivals_next(&w->arrivals);
    if (first != SIM_NEVER && first < sc->end &&
        (rc = sim_schedule(w->s, first, arrive, w, 0, NULL)) != 0)
        return rc;
    return 0;
}

int w_samplers_start(world *w, sim_sampler sp[4])
{
    int rc;
    sim_time t0 = w->sc->start;
    if ((rc = sim_sampler_start(w->s, &sp[0], &w->queue_series, t0, SIM_MIN, sample_queue, w)) !=
            0 ||
        (rc = sim_sampler_start(w->s, &sp[1], &w->throughput_series, t0 + SIM_MIN, SIM_MIN,
                                sample_taps, w)) != 0 ||
        (rc = sim_sampler_start(w->s, &sp[2], &w->ota_series, t0, SIM_MIN, sample_ota, w)) != 0 ||
        (rc = sim_sampler_start(w->s, &sp[3], &w->backlog_series, t0, SIM_MIN, sample_backlog,
                                w)) != 0)
        return rc;
    return 0;
}

void w_riders_free(world *w)
{
    free(w->prof_at);
    free(w->prof_rate);
    free(w->lost);
}

/* ---- the timeline ----------------------------------------------------------------------- */

static void thief_tap(sim *s, void *arg, uint64_t li)
{
    world *w = arg;
    w_lost *l = &w->lost[li];
    const scn_event *e = l->ev;
    const scn_group *g = &w->sc->groups[e->group];
    if (sim_now(s) >= w->sc->end)
        return;
    sim_rng r;
    sim_rng_init(&r, w->seed, W_STREAM_LOST + li * 1000003u + l->taps);
    /* The thief rides: an entry at one station, an exit at another, in turn. */
    int st = (int)sim_rng_below(&r, (uint64_t)g->stations), nin = (g->per_station + 1) / 2;
    int exit_tap = (l->taps % 2) == 1 && g->per_station > 1;
    int k = exit_tap ? nin + (int)sim_rng_below(&r, (uint64_t)(g->per_station - nin))
                     : (int)sim_rng_below(&r, (uint64_t)nin);
    int ti = w->group_first[e->group] + st * g->per_station + k;
    sim_time dur;
    int res = w_term_tap(w, ti, l->card, exit_tap ? W_TAP_EXIT : W_TAP_ENTRY, e->amount, sim_now(s),
                         &dur);
    l->taps++;
    if (res == 1) {
        l->after_taps++;
        l->after_amount += w->cards[l->card].spent - l->spent_before;
        l->spent_before = w->cards[l->card].spent;
    } else if (res == 0 && w_term_blacklisted(w, &w->terms[ti], l->card)) {
        l->blocked = sim_now(s);
        return; /* refused: the card is kept at the gate */
    }
    sim_after(s, e->every, thief_tap, w, li, NULL);
}

static void report_lost(sim *s, void *arg, uint64_t li)
{
    world *w = arg;
    w_lost *l = &w->lost[li];
    l->reported = sim_now(s);
    l->spent_before = w->cards[l->card].spent;
    /* The card was issued long before it was lost. */
    if (w_card_ensure(w, l->card) != 0)
        return;
    w_host_blacklist(w, l->card);
    sim_rng r;
    sim_rng_init(&r, w->seed, W_STREAM_LOST + li);
    sim_after(s, (sim_time)(sim_rng_uniform(&r) * (double)l->ev->every), thief_tap, w, li, NULL);
}

static void blacklist_ev(sim *s, void *arg, uint64_t card)
{
    (void)s;
    if (w_card_ensure(arg, (uint32_t)card) == 0)
        w_host_blacklist(arg, (uint32_t)card);
}

static void ota_ev(sim *s, void *arg, uint64_t ei)
{
    world *w = arg;
    const scn_event *e = &w->sc->events[ei];
    w->ota_active = 1;
    w->ota_ev = e;
    w->ota_start = sim_now(s);
    for (uint32_t i = 0; i < e->count && i < w->ncards; i++)
        if (w->cards[i].ota == 0) {
            w->cards[i].ota = 1;
            w->ota_targeted++;
        }
}

static void rotate_ev(sim *s, void *arg, uint64_t idx)
{
    (void)s;
    ((world *)arg)->key_index = (uint8_t)idx;
}

int w_timeline_start(world *w)
{
    const scenario *sc = w->sc;
    w->lost = calloc(sc->nevents + 1, sizeof(*w->lost));
    if (w->lost == NULL)
        return SIM_ERR_NOMEM;
    int rc = 0;
    for (size_t i = 0; i < sc->nevents && rc == 0; i++) {
        const scn_event *e = &sc->events[i];
        sim_time at = e->at < sc->start ? sc->start : e->at;
        switch (e->kind) {
        case SCN_EV_LOST_CARD: {
            w_lost *l = &w->lost[w->nlost];
            l->ev = e;
            l->card = (uint32_t)e->card;
            l->blocked = SIM_NEVER;
            w->cards[l->card].lost = 1;
            rc = sim_schedule(w->s, at, report_lost, w, w->nlost, NULL);
            w->nlost++;
            break;
        }
        case SCN_EV_BLACKLIST:
            rc = sim_schedule(w->s, at, blacklist_ev, w, e->card, NULL);
            break;
        case SCN_EV_OTA:
            rc = sim_schedule(w->s, at, ota_ev, w, i, NULL);
            break;
        case SCN_EV_KEY_ROTATION:
            rc = sim_schedule(w->s, at, rotate_ev, w, e->key_index, NULL);
            break;
        default:
            break; /* host outages are read by w_link_up(); attacks by world_attack.c */
        }
    }
    return rc;
}
