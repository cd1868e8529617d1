/*
 * obol core: building and running a world (sim_world.h). The parts are built in
 * order — cards (lazily: images appear on first use), terminals with their PSAMs, the
 * host, riders, the timeline and the attacker — and the kernel runs from the
 * scenario's start to its end plus the drain time, in one-minute slices so the
 * progress hook can be called. Then world_checks.c measures and reports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "world_internal.h"

void w_fail(world *w, int err, const char *fmt, ...)
{
    if (w->err != 0)
        return;
    w->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
    va_end(ap);
    if (w->s != NULL)
        sim_stop(w->s);
}

void w_datetime(sim_time t, uint8_t date[4], uint8_t tim[3])
{
    /* The scenario's day is Monday 2026-11-23; clock times past 24:00 are the next day. */
    long long sec = (long long)(t / SIM_S);
    int day = 23 + (int)(sec / 86400);
    sec %= 86400;
    int h = (int)(sec / 3600), m = (int)(sec / 60 % 60), s = (int)(sec % 60);
    date[0] = 0x20;
    date[1] = 0x26;
    date[2] = 0x11;
    date[3] = (uint8_t)((day / 10) << 4 | day % 10);
    tim[0] = (uint8_t)((h / 10) << 4 | h % 10);
    tim[1] = (uint8_t)((m / 10) << 4 | m % 10);
    tim[2] = (uint8_t)((s / 10) << 4 | s % 10);
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void world_free(world *w)
{
    w_terms_free(w);
    w_host_free(w);
    w_riders_free(w);
    w_cards_free(w);
    for (size_t i = 0; i < sizeof(w->cap) / sizeof(w->cap[0]); i++)
        free(w->cap[i].nvm_before);
    sim_series_free(&w->queue_series);
    sim_series_free(&w->throughput_series);
    sim_series_free(&w->ota_series);
    sim_series_free(&w->backlog_series);
    sim_free(w->s);
    free(w);
}

int sim_world_run(const scenario *sc, const sim_world_opts *opts, const rpt_catalog *cat,
                  rpt_report *report, char *err, size_t errlen)
{
    static const sim_world_opts none = {0};
    if (opts == NULL)
        opts = &none;
    world *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return SIM_ERR_NOMEM;
    }
    w->sc = sc;
    w->opts = opts;
    w->seed = opts->has_seed ? opts->seed : sc->seed;
    w->key_index = 1;
    w->slowest = -1;
    sim_hist_init(&w->tap_ns);
    sim_hist_init(&w->wait_ns);
    sim_hist_init(&w->svc_ns);
    sim_hist_init(&w->ota_ns);
    sim_series_init(&w->queue_series);
    sim_series_init(&w->throughput_series);
    sim_series_init(&w->ota_series);
    sim_series_init(&w->backlog_series);
    sim_sampler sp[4];
    int rc;
    w->s = sim_new(w->seed);
    if (w->s == NULL) {
        rc = SIM_ERR_NOMEM;
        w_fail(w, rc, "out of memory");
        goto report;
    }
    if ((rc = w_cards_init(w)) != 0 || (rc = w_terms_init(w)) != 0 || (rc = w_host_init(w)) != 0 ||
        (rc = w_terms_open(w)) != 0 || (rc = w_riders_start(w)) != 0 ||
        (rc = w_timeline_start(w)) != 0 || (rc = w_attack_start(w)) != 0 ||
        (rc = w_host_start(w)) != 0 || (rc = w_samplers_start(w, sp)) != 0) {
        w_fail(w, rc, "the world could not be built: %s", sim_strerror(rc));
        goto report;
    }
    if (opts->setup != NULL && (rc = opts->setup(w, opts->setup_ctx)) != 0) {
        w_fail(w, rc, "the run's setup failed: %s", sim_strerror(rc));
        goto report;
    }
    sim_time until = sc->end + sc->drain;
    double last = wall();
    for (sim_time t = sc->start; t < until && w->err == 0;) {
        t = t + SIM_MIN < until ? t + SIM_MIN : until;
        if (sim_run(w->s, t) == SIM_STOP_EMPTY)
            break;
        if (opts->progress != NULL && wall() - last >= 0.25) {
            last = wall();
            opts->progress(opts->progress_ctx, sc, t, sim_fired(w->s));
        }
    }
    if (w->err == 0)
        w_host_close_day(w);
    for (int i = 0; i < 4; i++)
        if (sp[i].err != 0)
            w_fail(w, sp[i].err, "sampling failed: %s", sim_strerror(sp[i].err));
report:
    w->reporting = 1;
    if (opts->stats != NULL) {
        opts->stats->taps = w->taps;
        opts->stats->events = w->s != NULL ? sim_fired(w->s) : 0;
        opts->stats->cards = 0;
        for (uint32_t i = 0; w->cards != NULL && i < w->ncards; i++)
            opts->stats->cards += w->cards[i].nvm != NULL;
    }
    rc = w_report(w, cat, report);
    if (rc != 0)
        w_fail(w, SIM_ERR_NOMEM, "out of memory while reporting");
    rc = w->err;
    if (rc != 0)
        snprintf(err, errlen, "%s", w->errmsg);
    world_free(w);
    return rc;
}
