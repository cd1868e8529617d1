/*
 * The kernel's demonstration model: a station's gate bank through a morning peak.
 *
 * The arrival profile rises from 06:00 to a peak between 07:30 and 08:30 and falls
 * off by 10:00 (shape only; the scenario engine carries real profiles). Each gate is
 * a FIFO server; a rider joins the shortest queue (lowest index on ties).
 */
#include "obol/sim_demo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "obol/sim_rng.h"

#define MAX_GATES 64

typedef struct gate {
    sim_time *queue; /* arrival times of the riders waiting, a ring */
    size_t head, len, cap;
    int busy;
} gate;

typedef struct model {
    const sim_demo_params *p;
    sim_demo_result *res;
    sim_arrivals arrivals;
    sim_rng tap_rng;
    gate gates[MAX_GATES];
    int waiting;
    int err;
} model;

static void start_tap(sim *s, model *m, int g);

static double waiting_now(void *arg)
{
    return ((model *)arg)->waiting;
}

static void tap_done(sim *s, void *arg, uint64_t g)
{
    model *m = arg;
    gate *gt = &m->gates[g];
    sim_time arrived = gt->queue[gt->head];
    gt->head = (gt->head + 1) % gt->cap;
    gt->len--;
    m->waiting--;
    gt->busy = 0;
    m->res->riders++;
    m->res->end = sim_now(s);
    sim_hist_record(&m->res->wait, sim_now(s) - arrived);
    if (gt->len > 0)
        start_tap(s, m, (int)g);
}

static void start_tap(sim *s, model *m, int g)
{
    double mu = log(m->p->tap_median_ms);
    double ms = sim_rng_lognormal(&m->tap_rng, mu, m->p->tap_sigma);
    m->gates[g].busy = 1;
    int rc = sim_after(s, (sim_time)(ms * (double)SIM_MS), tap_done, m, (uint64_t)g, NULL);
    if (rc != SIM_OK && m->err == 0)
        m->err = rc;
}

static int enqueue(gate *gt, sim_time t)
{
    if (gt->len == gt->cap) {
        size_t cap = gt->cap ? gt->cap * 2 : 16;
        sim_time *q = malloc(cap * sizeof(*q));
        if (q == NULL)
            return SIM_ERR_NOMEM;
        for (size_t i = 0; i < gt->len; i++)
            q[i] = gt->queue[(gt->head + i) % gt->cap];
        free(gt->queue);
        gt->queue = q;
        gt->head = 0;
        gt->cap = cap;
    }
    gt->queue[(gt->head + gt->len) % gt->cap] = t;
    gt->len++;
    return SIM_OK;
}

static void arrive(sim *s, void *arg, uint64_t data)
{
    (void)data;
    model *m = arg;
    int best = 0;
    for (int g = 1; g < m->p->gates; g++)
        if (m->gates[g].len < m->gates[best].len)
            best = g;
    int rc = enqueue(&m->gates[best], sim_now(s));
    if (rc != SIM_OK) {
        m->err = rc;
        sim_stop(s);
        return;
    }
    m->waiting++;
    if (m->waiting > m->res->max_queue)
        m->res->max_queue = m->waiting;
    if (!m->gates[best].busy)
        start_tap(s, m, best);
    sim_time next = sim_arrivals_next(&m->arrivals);
    if (next != SIM_NEVER) {
        rc = sim_schedule(s, next, arrive, m, 0, NULL);
        if (rc != SIM_OK && m->err == 0)
            m->err = rc;
    }
}

void sim_demo_defaults(sim_demo_params *p)
{
    p->seed = 1;
    p->gates = 6;
    p->peak_per_min = 180.0;
    p->tap_median_ms = 1500.0; /* walking through, not only the card exchange */
    p->tap_sigma = 0.35;
}

int sim_demo_run(const sim_demo_params *p, sim_demo_result *res)
{
    if (p->gates < 1 || p->gates > MAX_GATES || !(p->peak_per_min >= 0) ||
        !(p->tap_median_ms > 0) || !(p->tap_sigma >= 0))
        return SIM_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    sim_hist_init(&res->wait);
    sim_series_init(&res->queue);

    const double peak = p->peak_per_min / 60.0;
    const sim_time at[] = {
        6 * SIM_HOUR, 7 * SIM_HOUR, 7 * SIM_HOUR + 30 * SIM_MIN, 8 * SIM_HOUR + 30 * SIM_MIN,
        9 * SIM_HOUR, 10 * SIM_HOUR};
    const double rate[] = {0.2 * peak, 0.6 * peak, peak, 0.5 * peak, 0.25 * peak, 0.0};
    sim_rate_profile prof = {at, rate, sizeof(at) / sizeof(at[0])};

    model *m = calloc(1, sizeof(*m));
    sim *s = sim_new(p->seed);
    int rc = SIM_ERR_NOMEM;
    if (m == NULL || s == NULL)
        goto out;
    m->p = p;
    m->res = res;
    /* Stream ids: 0 for the arrivals, 1 for tap times. */
    rc = sim_arrivals_init(&m->arrivals, &prof, p->seed, 0);
    if (rc != SIM_OK)
        goto out;
    sim_rng_init(&m->tap_rng, p->seed, 1);
    sim_time first = sim_arrivals_next(&m->arrivals);
    if (first != SIM_NEVER && (rc = sim_schedule(s, first, arrive, m, 0, NULL)) != SIM_OK)
        goto out;
    sim_sampler sampler;
    rc = sim_sampler_start(s, &sampler, &res->queue, at[0], SIM_MIN, waiting_now, m);
    if (rc != SIM_OK)
        goto out;
    sim_run(s, SIM_NEVER);
    res->events = sim_fired(s);
    rc = m->err ? m->err : sampler.err;
out:
    if (m != NULL)
        for (int g = 0; g < MAX_GATES; g++)
            free(m->gates[g].queue);
    free(m);
    sim_free(s);
    return rc;
}

void sim_demo_result_free(sim_demo_result *res)
{
    sim_series_free(&res->queue);
}
