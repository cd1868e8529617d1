/*
 * obol core: what a world measured, the scenario's checks against it, and the report
 * section — headline figures, one check per <check> (requirement id from the
 * catalogue, the one-line message, a failure body, an APDU trace excerpt where one
 * tells the story) and charts (tap time histogram with the budget, riders waiting
 * over time, taps per minute, blacklist exposure, OTA progress, upload backlog).
 * At the end every card that was used is powered once more: its balance against the
 * host's ledger (conservation of money), its health after tearing and OTA.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

typedef struct mval {
    const char *name;
    double v;
    int ok;
} mval;

#define NMETRIC 64

typedef struct meas {
    mval m[NMETRIC];
    int n;
    /* details for failure bodies */
    char money[1024];
    char bl[1024];
    char ota[512];
    char replay[768];
} meas;

static void put(meas *me, const char *name, double v, int ok)
{
    if (me->n < NMETRIC)
        me->m[me->n++] = (mval){name, v, ok};
}

static int get(const meas *me, const char *name, double *v)
{
    for (int i = 0; i < me->n; i++)
        if (strcmp(me->m[i].name, name) == 0) {
            *v = me->m[i].v;
            return me->m[i].ok;
        }
    return 0;
}

static void measure_cards(world *w, meas *me)
{
    uint64_t mismatch = 0, disc = 0, tear_bad = 0, twice = 0, corrupted = 0, updated = 0;
    uint64_t host_mismatch = 0;
    size_t off = 0;
    for (uint32_t i = 0; i < w->ncards && w->err == 0; i++) {
        w_card *cd = &w->cards[i];
        if (cd->nvm == NULL)
            continue;
        int64_t bal = w_card_balance(w, i);
        /* The platform's reconciliation: the balance its ledger implies for the card
         * (initial balance less every purchase it settled). */
        int64_t implied = -1;
        if (w_host_implied(w, i, &implied) != 0)
            implied = -1;
        if (bal < 0 || bal != implied) {
            mismatch++;
            disc += (uint64_t)llabs((bal < 0 ? 0 : bal) - implied);
            if (mismatch <= 5 && off < sizeof(me->money) - 160)
                off += (size_t)snprintf(me->money + off, sizeof(me->money) - off,
                                        "card %llu: initial %u, balance %lld, the platform "
                                        "implies %lld, approved at terminals %u\n",
                                        (unsigned long long)(w->sc->serial_base + i), cd->initial,
                                        (long long)bal, (long long)implied, cd->spent);
        }
        /* The card against what the terminals approved. */
        if (bal != (int64_t)cd->initial - cd->spent)
            host_mismatch++;
        if (cd->torn && (bal < 0 || bal != (int64_t)cd->initial - cd->spent))
            tear_bad++;
        if (cd->ota != 0) {
            int napp = 0;
            int healthy = w_card_health(w, i, &napp) == 0;
            if (napp > 1 || cd->ota_installs > 1)
                twice++;
            if (!healthy || (cd->ota == 2 && napp != 1))
                corrupted++;
            if (napp == 1)
                updated++;
        }
    }
    put(me, "money.mismatch_cards", (double)mismatch, 1);
    put(me, "money.discrepancy", (double)disc, 1);
    put(me, "money.host_card_mismatch", (double)host_mismatch, 1);
    put(me, "tear.inconsistent", (double)tear_bad, 1);
    put(me, "ota.twice", (double)twice, w->ota_targeted > 0);
    put(me, "ota.corrupted", (double)corrupted, w->ota_targeted > 0);
    put(me, "ota.updated", (double)updated, w->ota_targeted > 0);
    put(me, "ota.coverage", w->ota_tapped ? (double)updated / (double)w->ota_tapped : 0,
        w->ota_tapped > 0);
    snprintf(me->ota, sizeof(me->ota),
             "campaign: %llu cards targeted, %llu tapped while it ran, %llu hold the new "
             "application, %llu updates torn and retried",
             (unsigned long long)w->ota_targeted, (unsigned long long)w->ota_tapped,
             (unsigned long long)updated, (unsigned long long)w->ota_torn);
}

static void measure(world *w, meas *me)
{
    const scenario *sc = w->sc;
    int have = w->tap_ns.count > 0;
    put(me, "tap_ms.p50", (double)sim_hist_percentile(&w->tap_ns, 50) / SIM_MS, have);
    put(me, "tap_ms.p99", (double)sim_hist_percentile(&w->tap_ns, 99) / SIM_MS, have);
    put(me, "tap_ms.max", have ? (double)w->tap_ns.max / SIM_MS : 0, have);
    put(me, "taps", (double)w->taps, 1);
    put(me, "taps.approved", (double)w->approved, 1);
    put(me, "taps.offline_approved", (double)w->offline_approved, 1);
    double svc = sim_hist_mean(&w->svc_ns);
    put(me, "gate.capacity_per_min", svc > 0 ? 60.0 * SIM_S / svc : 0, w->svc_ns.count > 0);
    uint32_t best = 0;
    for (int i = 0; i < w->nterms; i++)
        if (w->terms[i].minute_best > best)
            best = w->terms[i].minute_best;
    put(me, "gate.busiest_min", best, 1);
    put(me, "queue.max", w->max_queue, 1);
    put(me, "wait_s.p99", (double)sim_hist_percentile(&w->wait_ns, 99) / SIM_S,
        w->wait_ns.count > 0);
    put(me, "trips.open", w->riders_in, 1);
    uint64_t host_purchases = 0, bad_tac = 0;
    w_host_settled(w, &host_purchases, &bad_tac);
    w->settled = host_purchases;
    put(me, "fares.unsettled",
        (double)(w->records_made > host_purchases ? w->records_made - host_purchases : 0), 1);
    put(me, "fares.settled", (double)host_purchases, 1);
    put(me, "settle.bad_tac", (double)bad_tac, 1);
    put(me, "settle.duplicates",
        (double)(host_purchases > w->records_made ? host_purchases - w->records_made : 0), 1);
    put(me, "replay.attempts", (double)w->replay_attempts, 1);
    put(me, "replay.accepted", (double)w->replay_accepted, w->replay_attempts > 0);
    put(me, "replay.undetected", (double)w->replay_undetected, w->replay_attempts > 0);
    static const char *const kind_metric[3] = {"replay.card_accepted", "replay.terminal_accepted",
                                               "replay.host_accepted"};
    for (int k = 0; k < 3; k++)
        put(me, kind_metric[k], (double)w->replay_kind_accepted[k], w->replay_kind_tries[k] > 0);
    /* Blacklist: per lost card, exposure after the report and the lag to the block. */
    double etaps = 0, eamount = 0, lag = 0, ratio = 0;
    uint32_t never = 0;
    size_t off = 0;
    for (size_t i = 0; i < w->nlost; i++) {
        const w_lost *l = &w->lost[i];
        const scn_group *g = &sc->groups[l->ev->group];
        sim_time end = l->blocked != SIM_NEVER ? l->blocked : sc->end;
        double lg = (double)(end - l->reported) / SIM_S;
        double r = lg / ((double)(g->blacklist_every + l->ev->every) / SIM_S + 1.0);
        never += l->blocked == SIM_NEVER;
        etaps = fmax(etaps, l->after_taps);
        eamount = fmax(eamount, (double)l->after_amount);
        lag = fmax(lag, lg);
        ratio = fmax(ratio, r);
        if (off < sizeof(me->bl) - 200)
            off += (size_t)snprintf(
                me->bl + off, sizeof(me->bl) - off,
                "card %llu on %s (distribution every %.0f min): %s after %.0f s, %u taps and "
                "%llu fen accepted after the report\n",
                (unsigned long long)(sc->serial_base + l->card), g->name,
                (double)g->blacklist_every / SIM_MIN,
                l->blocked != SIM_NEVER ? "blocked" : "NEVER blocked", lg, l->after_taps,
                (unsigned long long)l->after_amount);
    }
    put(me, "bl.exposure_taps", etaps, w->nlost > 0);
    put(me, "bl.exposure_amount", eamount, w->nlost > 0);
    put(me, "bl.block_lag_s", lag, w->nlost > 0);
    put(me, "bl.lag_over_interval", ratio, w->nlost > 0);
    put(me, "bl.never_blocked", never, w->nlost > 0);
    put(me, "ota.targeted", (double)w->ota_targeted, 1);
    put(me, "ota.torn", (double)w->ota_torn, w->ota_targeted > 0);
    put(me, "tear.torn", (double)w->torn, 1);
    put(me, "tear.recovered", (double)w->recovered, 1);
    {
        /* Records made offline and never settled: bounded by what is unsettled. */
        uint64_t unsettled = w->records_made > w->settled ? w->records_made - w->settled : 0;
        put(me, "host.lost_records",
            (double)(unsettled < w->offline_made ? unsettled : w->offline_made), 1);
    }
    put(me, "host.max_backlog", (double)w->max_backlog, 1);
    put(me, "events", (double)sim_fired(w->s), 1);
    measure_cards(w, me);
}

/* A chart of the tap time histogram in milliseconds, with the budget BUDGET_MS. */
static void latency_chart(world *w, rpt_scenario *rs, double budget_ms)
{
    const sim_hist *h = &w->tap_ns;
    if (h->count == 0)
        return;
    double top = fmax((double)sim_hist_percentile(h, 99.9) / SIM_MS, budget_ms * 1.1);
    if (top < 10)
        top = 10;
    double step = top / 60;
    double p = pow(10, floor(log10(step)));
    step = step / p < 2 ? 2 * p : step / p < 5 ? 5 * p : 10 * p;
    size_t nb = (size_t)ceil(top / step) + 1;
    double *x = calloc(nb + 1, sizeof(double)), *y = calloc(nb, sizeof(double));
    if (x != NULL && y != NULL) {
        for (size_t i = 0; i <= nb; i++)
            x[i] = (double)i * step;
        for (size_t i = 0; i < SIM_HIST_BUCKETS; i++) {
            if (h->bucket[i] == 0)
                continue;
            int64_t lo, hi;
            sim_hist_bucket_range(i, &lo, &hi);
            double mid = ((double)lo + (double)hi) / 2 / SIM_MS;
            size_t b = (size_t)(mid / step);
            y[b < nb ? b : nb - 1] += (double)h->bucket[i];
        }
        rpt_chart *ch = rpt_chart_add(rs, RPT_CHART_BARS, "latency", "Card transaction time",
                                      "time at the terminal (ms)", "transactions", x, y, nb);
        if (ch != NULL && budget_ms > 0) {
            char lab[64];
            snprintf(lab, sizeof(lab), "budget %.0f ms", budget_ms);
            rpt_chart_set_ref(ch, 1, budget_ms, lab);
        }
    }
    free(x);
    free(y);
}

static void series_chart(rpt_scenario *rs, const sim_series *ts, const char *id, const char *title,
                         const char *ylabel)
{
    if (ts->len == 0)
        return;
    double *x = malloc(ts->len * sizeof(double));
    if (x == NULL)
        return;
    for (size_t i = 0; i < ts->len; i++)
        x[i] = (double)ts->t[i] / SIM_HOUR;
    rpt_chart *ch =
        rpt_chart_add(rs, RPT_CHART_LINE, id, title, "time of day", ylabel, x, ts->v, ts->len);
    if (ch != NULL)
        ch->x_clock = 1;
    free(x);
}

static void exposure_chart(world *w, rpt_scenario *rs)
{
    if (w->nlost == 0)
        return;
    /* One bar per lost card at its terminals' distribution interval (minutes). */
    size_t n = w->nlost;
    double *x = calloc(2 * n + 1, sizeof(double)), *y = calloc(2 * n, sizeof(double));
    if (x == NULL || y == NULL)
        goto out;
    /* Sorted by interval: bars with gaps between them. */
    size_t *ord = malloc(n * sizeof(size_t));
    if (ord == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        ord[i] = i;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            sim_time a = w->sc->groups[w->lost[ord[j - 1]].ev->group].blacklist_every;
            sim_time b = w->sc->groups[w->lost[ord[j]].ev->group].blacklist_every;
            if (a <= b)
                break;
            size_t tmp = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = tmp;
        }
    double maxi = 0;
    for (size_t i = 0; i < n; i++)
        maxi = fmax(maxi, (double)w->sc->groups[w->lost[i].ev->group].blacklist_every / SIM_MIN);
    double half = fmax(maxi / 40, 0.5);
    size_t k = 0;
    double prev = -1e9;
    for (size_t i = 0; i < n; i++) {
        const w_lost *l = &w->lost[ord[i]];
        double iv = (double)w->sc->groups[l->ev->group].blacklist_every / SIM_MIN;
        double lo = fmax(iv - half, prev), hi = iv + half;
        if (k == 0)
            x[k] = lo;
        else if (lo > x[k]) { /* a gap bar of height 0 */
            y[k] = 0;
            x[++k] = lo;
        }
        y[k] = (double)l->after_amount;
        x[++k] = hi;
        prev = hi;
    }
    rpt_chart *ch =
        rpt_chart_add(rs, RPT_CHART_BARS, "exposure", "Lost card: amount accepted after the report",
                      "blacklist distribution interval (min)", "fen", x, y, k);
    (void)ch;
    free(ord);
out:
    free(x);
    free(y);
}

static const char *trace_for(world *w, const char *metric)
{
    if (strncmp(metric, "tap_ms", 6) == 0 && w->trace_slowest[0])
        return w->trace_slowest;
    if (strcmp(metric, "replay.card_accepted") == 0 && w->trace_replay[0][0])
        return w->trace_replay[0];
    if (strcmp(metric, "replay.terminal_accepted") == 0 && w->trace_replay[1][0])
        return w->trace_replay[1];
    if (strcmp(metric, "replay.host_accepted") == 0 && w->trace_replay[2][0])
        return w->trace_replay[2];
    if (strncmp(metric, "replay", 6) == 0) {
        size_t off = 0;
        for (int k = 0; k < 3; k++) {
            size_t len = strlen(w->trace_replay[k]);
            if (off + len >= sizeof(w->trace_cur))
                len = sizeof(w->trace_cur) - 1 - off;
            memcpy(w->trace_cur + off, w->trace_replay[k], len);
            off += len;
        }
        w->trace_cur[off] = '\0';
        return w->trace_cur[0] ? w->trace_cur : NULL;
    }
    if (strncmp(metric, "tear", 4) == 0 && w->trace_tear[0])
        return w->trace_tear;
    return NULL;
}

static const char *detail_for(world *w, const meas *me, const char *metric)
{
    if (strncmp(metric, "replay", 6) == 0) {
        static const char *const what[3] = {"recorded DEBITs to card clones",
                                            "recorded card answers to gates",
                                            "recorded records to the platform"};
        size_t off = 0;
        for (int k = 0; k < 3; k++)
            if (w->replay_kind_tries[k] > 0)
                off += (size_t)snprintf(((meas *)me)->replay + off, sizeof(me->replay) - off,
                                        "%s: %llu accepted of %llu\n", what[k],
                                        (unsigned long long)w->replay_kind_accepted[k],
                                        (unsigned long long)w->replay_kind_tries[k]);
        if (w->replay_kind_accepted[1] > 0 && off < sizeof(me->replay))
            snprintf(((meas *)me)->replay + off, sizeof(me->replay) - off,
                     "a gate approved a fake card whose MAC2 its PSAM refused (the trace ends "
                     "with CREDIT SAM FOR PURCHASE answered 9302): the terminal let the rider "
                     "through and left the verdict to the platform's TAC check\n");
        return me->replay[0] ? me->replay : NULL;
    }
    if ((strncmp(metric, "fares", 5) == 0 || strncmp(metric, "settle", 6) == 0 ||
         strncmp(metric, "host", 4) == 0) &&
        w->host_refusal[0])
        return w->host_refusal;
    if (strncmp(metric, "money", 5) == 0 && me->money[0]) {
        if (w->host_refusal[0] &&
            strlen(me->money) + strlen(w->host_refusal) + 2 < sizeof(((meas *)0)->money)) {
            strcat(((meas *)me)->money, w->host_refusal);
            strcat(((meas *)me)->money, "\n");
        }
        return me->money;
    }
    if (strncmp(metric, "bl.", 3) == 0 && me->bl[0])
        return me->bl;
    if (strncmp(metric, "ota", 3) == 0 && me->ota[0])
        return me->ota;
    return NULL;
}

int w_report(world *w, const rpt_catalog *cat, rpt_report *report)
{
    const scenario *sc = w->sc;
    /* The file as the library names it (scenarios/...), so reports do not depend on
     * where the repository is checked out. */
    const char *shown = strstr(sc->path, "scenarios/");
    rpt_scenario *rs =
        rpt_scenario_add(report, sc->name, shown ? shown : sc->path, sc->description, w->seed);
    if (rs == NULL)
        return RPT_ERR_NOMEM;
    rs->sim_seconds = (double)(sc->end + sc->drain - sc->start) / SIM_S;
    rs->events = w->s != NULL ? sim_fired(w->s) : 0;
    meas *me = calloc(1, sizeof(*me));
    if (me == NULL)
        return RPT_ERR_NOMEM;
    if (w->err == 0) {
        measure(w, me);
        for (int i = 0; i < me->n && w_hooked(w, SIM_HOOK_METRIC); i++) {
            sim_hook_event ev = {.kind = SIM_HOOK_METRIC,
                                 .at = sim_now(w->s),
                                 .card = -1,
                                 .terminal = -1,
                                 .group = -1,
                                 .metric = me->m[i].name,
                                 .value = me->m[i].v,
                                 .has_value = me->m[i].ok};
            w_hook_emit(w, &ev);
        }
    } else if (rpt_scenario_set_error(rs, w->errmsg) != 0) {
        free(me);
        return RPT_ERR_NOMEM;
    }
    double v = 0;
    rpt_figure_add(rs, "terminals", "%d in %zu group%s", w->nterms, sc->ngroups,
                   sc->ngroups == 1 ? "" : "s");
    uint32_t issued = 0;
    for (uint32_t i = 0; i < w->ncards; i++)
        issued += w->cards != NULL && w->cards[i].nvm != NULL;
    rpt_figure_add(rs, "cards used / population", "%u / %u", issued, sc->cards);
    rpt_figure_add(rs, "card transactions", "%llu (%llu approved)", (unsigned long long)w->taps,
                   (unsigned long long)w->approved);
    if (w->tap_ns.count > 0)
        rpt_figure_add(rs, "transaction time p50 / p99 / max", "%.1f / %.1f / %.1f ms",
                       (double)sim_hist_percentile(&w->tap_ns, 50) / SIM_MS,
                       (double)sim_hist_percentile(&w->tap_ns, 99) / SIM_MS,
                       (double)w->tap_ns.max / SIM_MS);
    if (get(me, "gate.capacity_per_min", &v))
        rpt_figure_add(rs, "terminal capacity", "%.1f riders/min", v);
    rpt_figure_add(rs, "longest queue", "%d", w->max_queue);
    rpt_figure_add(rs, "records settled / made", "%llu / %llu", (unsigned long long)w->settled,
                   (unsigned long long)w->records_made);
    if (w->torn > 0)
        rpt_figure_add(rs, "torn / recovered", "%llu / %llu", (unsigned long long)w->torn,
                       (unsigned long long)w->recovered);
    if (w->replay_attempts > 0)
        rpt_figure_add(rs, "replays accepted / tried", "%llu / %llu",
                       (unsigned long long)w->replay_accepted,
                       (unsigned long long)w->replay_attempts);
    if (w->ota_targeted > 0 && get(me, "ota.updated", &v))
        rpt_figure_add(rs, "OTA updated / targeted", "%.0f / %llu", v,
                       (unsigned long long)w->ota_targeted);
    if (w->offline_made > 0)
        rpt_figure_add(rs, "approved while the host was unreachable", "%llu",
                       (unsigned long long)w->offline_made);

    double budget = 0;
    for (size_t i = 0; i < sc->nchecks; i++) {
        const scn_check *k = &sc->checks[i];
        const rpt_req *req = rpt_catalog_find(cat, k->id);
        rpt_check *c = rpt_check_add(rs, req, k->id);
        if (c == NULL) {
            free(me);
            return RPT_ERR_NOMEM;
        }
        const sim_metric_info *mi = sim_world_metrics;
        while (mi->name != NULL && strcmp(mi->name, k->metric) != 0)
            mi++;
        int ok = w->err == 0 && get(me, k->metric, &v);
        rpt_check_set_result(c, k->metric, k->op, k->value, mi->name ? mi->unit : "", ok, v);
        if (req == NULL) {
            c->status = RPT_ERROR;
            rpt_check_set_detail(c, "this requirement id is not in reports/requirements.tsv");
        } else if (w->err != 0) {
            rpt_check_set_detail(c, w->errmsg);
        } else if (c->status != RPT_PASS) {
            rpt_check_set_detail(c, detail_for(w, me, k->metric));
        }
        if (w->err == 0)
            rpt_check_set_trace(c, trace_for(w, k->metric));
        if (strncmp(k->metric, "tap_ms", 6) == 0 && budget == 0)
            budget = k->value;
    }
    if (w->err == 0) {
        latency_chart(w, rs, budget);
        series_chart(rs, &w->queue_series, "queue", "Riders waiting at terminals", "riders");
        series_chart(rs, &w->throughput_series, "throughput", "Card transactions per minute",
                     "transactions");
        exposure_chart(w, rs);
        if (w->ota_targeted > 0)
            series_chart(rs, &w->ota_series, "ota", "OTA campaign: cards updated", "cards");
        if (w->offline_made > 0)
            series_chart(rs, &w->backlog_series, "backlog", "Records waiting for upload",
                         "records");
    }
    free(me);
    return 0;
}
