/*
 * Metrics: histogram percentiles within their stated relative error against exact
 * sorted percentiles, bucket geometry, merging, series and samplers.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "obol/sim_metrics.h"
#include "obol/sim_rng.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

Test(sim_hist, percentiles_within_the_error_bound)
{
    enum { N = 200000 };
    int64_t *v = malloc(N * sizeof(*v));
    sim_hist *h = malloc(sizeof(*h));
    sim_hist_init(h);
    sim_rng r;
    sim_rng_init(&r, 5, 5);
    for (int i = 0; i < N; i++) {
        /* Latencies from microseconds to seconds, in ns: a wide lognormal. */
        v[i] = (int64_t)sim_rng_lognormal(&r, log(2e6), 1.5);
        sim_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof(*v), cmp_i64);
    const double bound = 1.0 / (2 << SIM_HIST_SUB_BITS); /* 2^-(b+1) */
    const double ps[] = {1, 10, 25, 50, 75, 90, 99, 99.9, 99.99};
    for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
        size_t rank = (size_t)ceil(ps[k] / 100.0 * N); /* 1-based */
        int64_t exact = v[rank - 1];
        int64_t got = sim_hist_percentile(h, ps[k]);
        double rel = fabs((double)(got - exact)) / (double)exact;
        cr_assert_leq(rel, bound, "p%g: got %lld, exact %lld (rel %g)", ps[k], (long long)got,
                      (long long)exact, rel);
    }
    cr_assert_eq(sim_hist_percentile(h, 0), v[0]);
    cr_assert_eq(sim_hist_percentile(h, 100), v[N - 1]);
    cr_assert_eq(h->count, N);
    free(v);
    free(h);
}

Test(sim_hist, small_values_are_exact_and_buckets_tile)
{
    for (int64_t x = 0; x < 2 * SIM_HIST_SUB; x++)
        cr_assert_eq(sim_hist_index(x), (size_t)x);
    /* Consecutive buckets are adjacent and every value maps into its own bucket. */
    int64_t prev_hi = -1;
    for (size_t i = 0; i < SIM_HIST_BUCKETS; i++) {
        int64_t lo, hi;
        sim_hist_bucket_range(i, &lo, &hi);
        cr_assert_eq(lo, prev_hi + 1, "bucket %zu", i);
        cr_assert_eq(sim_hist_index(lo), i);
        cr_assert_eq(sim_hist_index(hi), i);
        prev_hi = hi;
    }
    cr_assert_eq(prev_hi, INT64_MAX);
}

Test(sim_hist, merge_and_mean)
{
    sim_hist *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    sim_hist_init(a);
    sim_hist_init(b);
    for (int i = 1; i <= 100; i++)
        sim_hist_record(i <= 50 ? a : b, i);
    sim_hist_merge(a, b);
    cr_assert_eq(a->count, 100);
    cr_assert_float_eq(sim_hist_mean(a), 50.5, 1e-12);
    cr_assert_eq(sim_hist_percentile(a, 50), 50);
    cr_assert_eq(a->min, 1);
    cr_assert_eq(a->max, 100);
    sim_hist_record(a, -5); /* clamped */
    cr_assert_eq(a->min, 0);
    free(a);
    free(b);
}

static double count_calls(void *arg)
{
    return ++*(double *)arg;
}

static void noop(sim *s, void *arg, uint64_t data)
{
    (void)s;
    (void)arg;
    (void)data;
}

Test(sim_series, sampler_follows_virtual_time)
{
    sim *s = sim_new(1);
    sim_series ts;
    sim_series_init(&ts);
    sim_sampler sp;
    double calls = 0;
    cr_assert_eq(sim_schedule(s, 10 * SIM_S, noop, NULL, 0, NULL), SIM_OK);
    cr_assert_eq(sim_sampler_start(s, &sp, &ts, 0, SIM_S, count_calls, &calls), SIM_OK);
    sim_run(s, SIM_NEVER);
    /* Samples at 0..10 s: the last one at 10 s ties with the model's event and comes
     * after it (scheduled later), when nothing is left, so sampling stops there. */
    cr_assert_eq(ts.len, 11);
    for (size_t i = 0; i < ts.len; i++) {
        cr_assert_eq(ts.t[i], (sim_time)i * SIM_S);
        cr_assert_float_eq(ts.v[i], (double)(i + 1), 1e-12);
    }
    cr_assert_eq(sp.err, 0);
    sim_series_free(&ts);
    sim_free(s);
}
