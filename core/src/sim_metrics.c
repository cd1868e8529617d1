/*
 * Histograms, time series and samplers (see obol/sim_metrics.h for the geometry).
 */
#include "obol/sim_metrics.h"

#include <stdlib.h>
#include <string.h>

void sim_hist_init(sim_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = INT64_MAX;
    h->max = 0;
}

static int msb64(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

size_t sim_hist_index(int64_t v)
{
    if (v < 0)
        v = 0;
    uint64_t u = (uint64_t)v;
    if (u < 2 * (uint64_t)SIM_HIST_SUB)
        return (size_t)u;
    int k = msb64(u) - SIM_HIST_SUB_BITS;
    return (size_t)k * SIM_HIST_SUB + (size_t)(u >> k);
}

void sim_hist_bucket_range(size_t i, int64_t *lo, int64_t *hi)
{
    if (i < 2 * (size_t)SIM_HIST_SUB) {
        *lo = *hi = (int64_t)i;
        return;
    }
    /* Index i = k*S + m with m in [S, 2S): the bucket holds [m << k, (m+1) << k). */
    size_t k = i / SIM_HIST_SUB - 1;
    uint64_t m = i - k * SIM_HIST_SUB;
    *lo = (int64_t)(m << k);
    *hi = (int64_t)(((m + 1) << k) - 1);
}

void sim_hist_record_n(sim_hist *h, int64_t v, uint64_t n)
{
    if (n == 0)
        return;
    if (v < 0)
        v = 0;
    h->bucket[sim_hist_index(v)] += n;
    h->count += n;
    h->sum += (double)v * (double)n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void sim_hist_record(sim_hist *h, int64_t v)
{
    sim_hist_record_n(h, v, 1);
}

int64_t sim_hist_percentile(const sim_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    if (p <= 0.0)
        return h->min;
    if (p >= 100.0)
        return h->max;
    /* The rank of the wanted value, 1-based: ceil(p/100 * count). */
    double r = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < SIM_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            int64_t lo, hi;
            sim_hist_bucket_range(i, &lo, &hi);
            /* The middle of the bucket halves the worst-case error. */
            int64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}

double sim_hist_mean(const sim_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}

void sim_hist_merge(sim_hist *dst, const sim_hist *src)
{
    if (src->count == 0)
        return;
    for (size_t i = 0; i < SIM_HIST_BUCKETS; i++)
        dst->bucket[i] += src->bucket[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

void sim_series_init(sim_series *ts)
{
    memset(ts, 0, sizeof(*ts));
}

void sim_series_free(sim_series *ts)
{
    free(ts->t);
    free(ts->v);
    memset(ts, 0, sizeof(*ts));
}

int sim_series_add(sim_series *ts, sim_time t, double v)
{
    if (ts->len == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 64;
        sim_time *nt = realloc(ts->t, cap * sizeof(*nt));
        if (nt == NULL)
            return SIM_ERR_NOMEM;
        ts->t = nt;
        double *nv = realloc(ts->v, cap * sizeof(*nv));
        if (nv == NULL)
            return SIM_ERR_NOMEM;
        ts->v = nv;
        ts->cap = cap;
    }
    ts->t[ts->len] = t;
    ts->v[ts->len] = v;
    ts->len++;
    return SIM_OK;
}

static void sample_event(sim *s, void *arg, uint64_t data)
{
    (void)data;
    sim_sampler *sp = arg;
    int rc = sim_series_add(sp->series, sim_now(s), sp->fn(sp->arg));
    if (rc != SIM_OK && sp->err == 0)
        sp->err = rc;
    /* Keep sampling only while the model has work pending. */
    if (sim_pending(s) > 0) {
        rc = sim_after(s, sp->period, sample_event, sp, 0, NULL);
        if (rc != SIM_OK && sp->err == 0)
            sp->err = rc;
    }
}

int sim_sampler_start(sim *s, sim_sampler *sp, sim_series *series, sim_time start, sim_time period,
                      sim_sample_fn fn, void *arg)
{
    if (period <= 0 || fn == NULL || series == NULL)
        return SIM_ERR_INVAL;
    sp->series = series;
    sp->fn = fn;
    sp->arg = arg;
    sp->period = period;
    sp->err = 0;
    return sim_schedule(s, start, sample_event, sp, 0, NULL);
}
