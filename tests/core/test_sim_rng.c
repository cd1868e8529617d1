/*
 * Random streams and distributions: reproducibility, stream independence, moments
 * within statistical tolerance, and the arrival process against its rate profile.
 * Tolerances are 5 standard errors: a correct generator fails one in ~3.5 million
 * runs, a wrong mean or variance fails at once. Seeds are fixed, so runs repeat.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "obol/sim_rng.h"

Test(sim_rng, same_seed_and_stream_same_draws)
{
    sim_rng a, b;
    sim_rng_init(&a, 12345, 7);
    sim_rng_init(&b, 12345, 7);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(sim_rng_u64(&a), sim_rng_u64(&b));
}

Test(sim_rng, adding_an_entity_does_not_change_another)
{
    /* Entity 5's draws are the same whether or not entities 0..4 and 6..99 exist and
     * draw in between: streams are derived, not split off a shared generator. */
    sim_rng alone, others[100];
    sim_rng_init(&alone, 99, 5);
    for (int e = 0; e < 100; e++)
        sim_rng_init(&others[e], 99, (uint64_t)e);
    for (int i = 0; i < 500; i++) {
        for (int e = 0; e < 100; e++)
            if (e != 5)
                (void)sim_rng_u64(&others[e]);
        cr_assert_eq(sim_rng_u64(&others[5]), sim_rng_u64(&alone));
    }
}

Test(sim_rng, neighbouring_streams_are_uncorrelated)
{
    /* Pearson correlation of uniforms from streams s and s+1 (and of seeds s and
     * s+1) must be within 5/sqrt(n) of zero. */
    const int n = 200000;
    for (int pair = 0; pair < 2; pair++) {
        sim_rng a, b;
        sim_rng_init(&a, 1, 10);
        if (pair == 0)
            sim_rng_init(&b, 1, 11);
        else
            sim_rng_init(&b, 2, 10);
        double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double x = sim_rng_uniform(&a), y = sim_rng_uniform(&b);
            sa += x;
            sb += y;
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        double cov = sab / n - (sa / n) * (sb / n);
        double r = cov / sqrt((saa / n - (sa / n) * (sa / n)) * (sbb / n - (sb / n) * (sb / n)));
        cr_assert_lt(fabs(r), 5.0 / sqrt(n), "pair %d: correlation %g", pair, r);
    }
}

typedef double (*draw_fn)(sim_rng *r);

static double draw_uniform(sim_rng *r)
{
    return sim_rng_uniform_range(r, 2.0, 5.0);
}
static double draw_exp(sim_rng *r)
{
    return sim_rng_exponential(r, 4.0);
}
static double draw_normal(sim_rng *r)
{
    return sim_rng_normal(r, -3.0, 2.0);
}
static double draw_lognormal(sim_rng *r)
{
    return sim_rng_lognormal(r, 0.5, 0.4);
}

/* Checks the sample mean and variance of N draws against the true MEAN and VAR.
 * The variance's standard error uses the fourth central moment MU4. */
static void check_moments(const char *name, draw_fn f, double mean, double var, double mu4)
{
    const int n = 400000;
    sim_rng r;
    sim_rng_init(&r, 2026, 1);
    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = f(&r);
        s1 += x;
        s2 += x * x;
    }
    double m = s1 / n;
    double v = s2 / n - m * m;
    double se_mean = sqrt(var / n);
    double se_var = sqrt((mu4 - var * var) / n);
    cr_assert_lt(fabs(m - mean), 5 * se_mean, "%s: mean %g, want %g", name, m, mean);
    cr_assert_lt(fabs(v - var), 5 * se_var, "%s: variance %g, want %g", name, v, var);
}

Test(sim_rng, distribution_moments)
{
    /* Uniform(2,5): var (b-a)^2/12, mu4 (b-a)^4/80. */
    check_moments("uniform", draw_uniform, 3.5, 9.0 / 12, 81.0 / 80);
    /* Exponential(rate 4): mean 1/4, var 1/16, mu4 9/rate^4. */
    check_moments("exponential", draw_exp, 0.25, 1.0 / 16, 9.0 / 256);
    /* Normal(-3, 2): var 4, mu4 3 sd^4. */
    check_moments("normal", draw_normal, -3.0, 4.0, 48.0);
    /* Lognormal(0.5, 0.4): mean e^(mu+s^2/2), var (e^(s^2)-1) e^(2mu+s^2); the fourth
     * central moment from the raw moments E[X^k] = e^(k mu + k^2 s^2/2). */
    double mu = 0.5, s2 = 0.16;
    double e1 = exp(mu + s2 / 2), e2 = exp(2 * mu + 2 * s2), e3 = exp(3 * mu + 4.5 * s2),
           e4 = exp(4 * mu + 8 * s2);
    double mu4 = e4 - 4 * e3 * e1 + 6 * e2 * e1 * e1 - 3 * e1 * e1 * e1 * e1;
    check_moments("lognormal", draw_lognormal, e1, e2 - e1 * e1, mu4);
}

Test(sim_rng, below_is_unbiased_over_a_small_range)
{
    enum { K = 7, N = 700000 };
    sim_rng r;
    sim_rng_init(&r, 3, 3);
    int hits[K] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = sim_rng_below(&r, K);
        cr_assert_lt(v, K);
        hits[v]++;
    }
    /* Each count is binomial(N, 1/K). */
    double p = 1.0 / K, sd = sqrt(N * p * (1 - p));
    for (int k = 0; k < K; k++)
        cr_assert_lt(fabs(hits[k] - N * p), 5 * sd, "value %d: %d hits", k, hits[k]);
}

Test(sim_rng, arrivals_follow_the_profile)
{
    /* A peak profile: 1/s, then 20/s, then 5/s, then nothing. Count arrivals per
     * segment over many independent runs; each count is Poisson with the integral of
     * the rate as its mean. */
    const sim_time at[] = {0, 100 * SIM_S, 400 * SIM_S, 600 * SIM_S};
    const double rate[] = {1.0, 20.0, 5.0, 0.0};
    sim_rate_profile p = {at, rate, 4};
    double count[3] = {0, 0, 0};
    const int runs = 50;
    for (int run = 0; run < runs; run++) {
        sim_arrivals a;
        cr_assert_eq(sim_arrivals_init(&a, &p, 11, (uint64_t)run), SIM_OK);
        sim_time t, prev = 0;
        while ((t = sim_arrivals_next(&a)) != SIM_NEVER) {
            cr_assert_geq(t, prev);
            cr_assert_lt(t, 600 * SIM_S, "an arrival after the rate fell to zero");
            prev = t;
            count[t < 100 * SIM_S ? 0 : t < 400 * SIM_S ? 1 : 2]++;
        }
    }
    for (int i = 0; i < 3; i++) {
        double want = runs * sim_rate_integral(&p, at[i], at[i + 1]);
        cr_assert_lt(fabs(count[i] - want), 5 * sqrt(want), "segment %d: %g arrivals, want %g", i,
                     count[i], want);
    }
    cr_assert_float_eq(sim_rate_integral(&p, 0, 600 * SIM_S), 100 + 6000 + 1000, 1e-9);
}

Test(sim_rng, arrivals_reject_bad_profiles)
{
    sim_arrivals a;
    const sim_time at[] = {0, 10, 10};
    const double rate[] = {1, -1, 1};
    const double ok_rate[] = {1, 1, 1};
    sim_rate_profile neg = {at, rate, 2};
    sim_rate_profile dup = {at, ok_rate, 3};
    sim_rate_profile none = {at, ok_rate, 0};
    cr_assert_eq(sim_arrivals_init(&a, &neg, 1, 1), SIM_ERR_INVAL);
    cr_assert_eq(sim_arrivals_init(&a, &dup, 1, 1), SIM_ERR_INVAL);
    cr_assert_eq(sim_arrivals_init(&a, &none, 1, 1), SIM_ERR_INVAL);
}
