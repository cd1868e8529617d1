/*
 * PHOLD (Fujimoto, 1990), the standard event-queue benchmark: logical processes
 * exchange a constant population of events; each event, on firing, schedules one new
 * event at an exponential delay for a random destination. The rate of fired events
 * with 1 k and with 1 M pending events is the kernel's throughput on one core.
 *
 * Prints BENCH des.phold_events_per_sec and des.phold_1m_events_per_sec (median of 5
 * runs of about half a second each after a warm-up).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "obol/sim.h"
#include "obol/sim_rng.h"

#ifndef PHOLD_SUFFIX
#define PHOLD_SUFFIX ""
#endif

typedef struct phold {
    sim_rng *lp_rng; /* one stream per logical process */
    uint64_t nlp;
} phold;

static void phold_event(sim *s, void *arg, uint64_t lp)
{
    phold *m = arg;
    sim_rng *r = &m->lp_rng[lp];
    sim_time delay = (sim_time)(sim_rng_exponential(r, 1.0) * (double)SIM_US);
    uint64_t dest = sim_rng_below(r, m->nlp);
    sim_after(s, delay, phold_event, m, dest, NULL);
}

/* Runs PHOLD with POP pending events for about SECONDS of wall time and returns
 * fired events per second. */
static double phold_rate(size_t pop, double seconds)
{
    phold m;
    m.nlp = pop < 65536 ? pop : 65536;
    m.lp_rng = malloc(m.nlp * sizeof(*m.lp_rng));
    for (uint64_t i = 0; i < m.nlp; i++)
        sim_rng_init(&m.lp_rng[i], 1, i);
    sim *s = sim_new(1);
    for (size_t i = 0; i < pop; i++)
        sim_schedule(s, (sim_time)sim_rng_below(&m.lp_rng[i % m.nlp], SIM_US), phold_event, &m,
                     i % m.nlp, NULL);
    /* Warm up so the heap is in its steady state, then time slices of virtual time. */
    sim_time slice = (sim_time)(SIM_US * 200000.0 / (double)pop) + 1;
    sim_run(s, sim_now(s) + 10 * slice);
    uint64_t fired0 = sim_fired(s);
    double t0 = bench_now(), t1;
    do {
        sim_run(s, sim_now(s) + slice);
        t1 = bench_now();
    } while (t1 - t0 < seconds);
    double rate = (double)(sim_fired(s) - fired0) / (t1 - t0);
    sim_free(s);
    free(m.lp_rng);
    return rate;
}

int main(void)
{
    const struct {
        const char *name;
        size_t pop;
    } cases[] = {{"des.phold_events_per_sec", 1000}, {"des.phold_1m_events_per_sec", 1000000}};
    for (size_t c = 0; c < 2; c++) {
        double runs[5];
        for (int i = 0; i < 5; i++)
            runs[i] = phold_rate(cases[c].pop, 0.5);
        printf("BENCH %s%s %.0f events/s\n", cases[c].name, PHOLD_SUFFIX, bench_median(runs, 5));
        fflush(stdout);
    }
    return 0;
}
