/*
 * obol core: seeded random streams and the distributions the models draw from.
 *
 * Every entity (a rider, a gate, a card, a network link) draws from its own stream,
 * derived from (root seed, entity id) by hashing, so adding an entity never shifts
 * the draws of another. The generator is xoshiro256** (Blackman and Vigna, 2018),
 * seeded through SplitMix64 as its authors recommend. Streams are plain values: the
 * caller owns them, copying one copies its future.
 */
#ifndef OBOL_SIM_RNG_H
#define OBOL_SIM_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "obol/sim.h"

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

/* Initializes R as the stream of entity STREAM under root SEED. Distinct (seed,
 * stream) pairs give statistically independent streams. */
void sim_rng_init(sim_rng *r, uint64_t seed, uint64_t stream);

uint64_t sim_rng_u64(sim_rng *r);
/* Uniform on [0, 1) with 53 random bits. */
double sim_rng_uniform(sim_rng *r);
/* Uniform on [lo, hi). */
double sim_rng_uniform_range(sim_rng *r, double lo, double hi);
/* Uniform integer on [0, n) without modulo bias; n > 0. */
uint64_t sim_rng_below(sim_rng *r, uint64_t n);
/* Exponential with the given RATE (> 0): mean 1/rate. */
double sim_rng_exponential(sim_rng *r, double rate);
/* Normal with MEAN and standard deviation SD (Marsaglia's polar method; the second
 * variate is discarded so that a draw consumes a bounded, state-free amount). */
double sim_rng_normal(sim_rng *r, double mean, double sd);
/* Lognormal: exp(N(mu, sigma)). */
double sim_rng_lognormal(sim_rng *r, double mu, double sigma);

/* ---- Non-homogeneous Poisson arrivals over a piecewise-constant rate profile ---- */

/* A rate profile: from time at[i] (inclusive) to at[i+1] arrivals come at rate
 * per_sec[i] per second; after the last breakpoint the last rate holds (set it to 0
 * to end the arrivals). Breakpoints must increase; at[0] is where arrivals start. */
typedef struct sim_rate_profile {
    const sim_time *at;
    const double *per_sec;
    size_t n;
} sim_rate_profile;

typedef struct sim_arrivals {
    sim_rate_profile p;
    sim_rng rng;
    sim_time t; /* time of the last arrival (or the profile's start) */
    size_t seg; /* segment containing t */
} sim_arrivals;

/* Checks the profile (n >= 1, increasing times, rates >= 0 and finite) and starts the
 * process at at[0]. The profile's arrays must outlive A. Returns 0 or SIM_ERR_INVAL. */
int sim_arrivals_init(sim_arrivals *a, const sim_rate_profile *p, uint64_t seed, uint64_t stream);
/* The time of the next arrival, or SIM_NEVER when the rate stays zero from here on.
 * Exact: it inverts the integrated rate with one exponential draw per arrival. */
sim_time sim_arrivals_next(sim_arrivals *a);
/* The expected number of arrivals in [t0, t1): the integral of the rate. */
double sim_rate_integral(const sim_rate_profile *p, sim_time t0, sim_time t1);

#endif /* OBOL_SIM_RNG_H */
