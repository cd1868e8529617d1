/*
 * obol core: metrics for simulation runs — counters, latency histograms with
 * bounded relative error, and time series sampled on virtual time.
 *
 * The histogram is log-linear in the manner of HdrHistogram: values below 2^(b+1)
 * are counted exactly; above, each power-of-two range is cut into 2^b equal
 * sub-buckets, so a reported percentile is within 2^-(b+1) of a recorded value
 * (b = SIM_HIST_SUB_BITS = 7: 0.39 %). It holds int64 values >= 0 (nanoseconds,
 * bytes, counts) and has a fixed size, so recording never allocates.
 */
#ifndef OBOL_SIM_METRICS_H
#define OBOL_SIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "obol/sim.h"

typedef struct sim_counter {
    uint64_t n;
} sim_counter;

static inline void sim_counter_add(sim_counter *c, uint64_t k)
{
    c->n += k;
}

#define SIM_HIST_SUB_BITS 7
#define SIM_HIST_SUB      (1 << SIM_HIST_SUB_BITS)
#define SIM_HIST_BUCKETS  ((63 - SIM_HIST_SUB_BITS + 1) * SIM_HIST_SUB)

typedef struct sim_hist {
    uint64_t count;
    int64_t min, max;
    double sum;
    uint64_t bucket[SIM_HIST_BUCKETS];
} sim_hist;

void sim_hist_init(sim_hist *h);
/* Records V (negative values are clamped to 0). */
void sim_hist_record(sim_hist *h, int64_t v);
/* Records V N times. */
void sim_hist_record_n(sim_hist *h, int64_t v, uint64_t n);
/* The value at percentile P (0..100): the smallest recorded value such that at least
 * P percent of the values are <= it, within the relative error bound above; exact
 * min and max at P = 0 and 100. Returns 0 for an empty histogram. */
int64_t sim_hist_percentile(const sim_hist *h, double p);
double sim_hist_mean(const sim_hist *h);
/* Adds every value of SRC to DST. */
void sim_hist_merge(sim_hist *dst, const sim_hist *src);
/* Bucket geometry, for plotting: the index of V and the inclusive range of index I. */
size_t sim_hist_index(int64_t v);
void sim_hist_bucket_range(size_t i, int64_t *lo, int64_t *hi);

/* A time series: (virtual time, value) points, appended in time order. */
typedef struct sim_series {
    sim_time *t;
    double *v;
    size_t len, cap;
} sim_series;

void sim_series_init(sim_series *ts);
void sim_series_free(sim_series *ts);
/* Appends a point. Returns 0 or SIM_ERR_NOMEM. */
int sim_series_add(sim_series *ts, sim_time t, double v);

/* A sampler: every PERIOD of virtual time from START, calls FN(ARG) and appends its
 * value to SERIES, while the simulation has other events pending (a sampler alone
 * never keeps a run going). The caller owns the sampler, which must stay valid while
 * the simulation runs. */
typedef double (*sim_sample_fn)(void *arg);
typedef struct sim_sampler {
    sim_series *series;
    sim_sample_fn fn;
    void *arg;
    sim_time period;
    int err; /* the first error met while sampling (out of memory), else 0 */
} sim_sampler;

int sim_sampler_start(sim *s, sim_sampler *sp, sim_series *series, sim_time start, sim_time period,
                      sim_sample_fn fn, void *arg);

#endif /* OBOL_SIM_METRICS_H */
