/*
 * Random streams (xoshiro256** seeded by SplitMix64) and distributions, including
 * the non-homogeneous Poisson arrival process by inversion of the integrated rate.
 */
#include "obol/sim_rng.h"

#include <math.h>

/* SplitMix64 (Steele, Lea and Flood, 2014): a bijective mixer, used here to spread a
 * (seed, stream) pair over the 256-bit xoshiro state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void sim_rng_init(sim_rng *r, uint64_t seed, uint64_t stream)
{
    /* Hash the stream id first so that streams 0, 1, 2 of one seed do not start from
     * neighbouring SplitMix64 states. */
    uint64_t h = stream;
    uint64_t x = seed ^ splitmix64(&h);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the all-zero state is the generator's one fixed point */
}

uint64_t sim_rng_u64(sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sim_rng_uniform(sim_rng *r)
{
    return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53;
}

double sim_rng_uniform_range(sim_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_uniform(r);
}

uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
    /* Lemire's multiply-and-shift (ACM TOMS 2019): the high word of x * n is uniform
     * on [0, n) once the few low-word values that would bias it are rejected; the
     * division that finds them runs only when a draw lands near the edge. */
    unsigned __int128 m = (unsigned __int128)sim_rng_u64(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)sim_rng_u64(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double sim_rng_exponential(sim_rng *r, double rate)
{
    /* 1 - U lies in (0, 1], so the logarithm is finite. */
    return -log(1.0 - sim_rng_uniform(r)) / rate;
}

double sim_rng_normal(sim_rng *r, double mean, double sd)
{
    double u, v, q;
    do {
        u = 2.0 * sim_rng_uniform(r) - 1.0;
        v = 2.0 * sim_rng_uniform(r) - 1.0;
        q = u * u + v * v;
    } while (q >= 1.0 || q == 0.0);
    return mean + sd * u * sqrt(-2.0 * log(q) / q);
}

double sim_rng_lognormal(sim_rng *r, double mu, double sigma)
{
    return exp(sim_rng_normal(r, mu, sigma));
}

int sim_arrivals_init(sim_arrivals *a, const sim_rate_profile *p, uint64_t seed, uint64_t stream)
{
    if (p == NULL || p->n == 0 || p->at == NULL || p->per_sec == NULL)
        return SIM_ERR_INVAL;
    for (size_t i = 0; i < p->n; i++) {
        if (!(p->per_sec[i] >= 0.0) || !isfinite(p->per_sec[i]))
            return SIM_ERR_INVAL;
        if (i > 0 && p->at[i] <= p->at[i - 1])
            return SIM_ERR_INVAL;
    }
    a->p = *p;
    sim_rng_init(&a->rng, seed, stream);
    a->t = p->at[0];
    a->seg = 0;
    return SIM_OK;
}

static sim_time seg_end(const sim_rate_profile *p, size_t seg)
{
    return seg + 1 < p->n ? p->at[seg + 1] : SIM_NEVER;
}

sim_time sim_arrivals_next(sim_arrivals *a)
{
    const sim_rate_profile *p = &a->p;
    if (a->t == SIM_NEVER)
        return SIM_NEVER;
    /* Draw the integrated intensity to the next arrival, then walk the segments,
     * spending it at each segment's rate. */
    double need = sim_rng_exponential(&a->rng, 1.0);
    sim_time t = a->t;
    for (;;) {
        double rate = p->per_sec[a->seg];
        sim_time end = seg_end(p, a->seg);
        if (rate > 0.0) {
            double dt_s = need / rate;
            double room_s = end == SIM_NEVER ? INFINITY : (double)(end - t) / (double)SIM_S;
            if (dt_s < room_s) {
                sim_time dt = (sim_time)(dt_s * (double)SIM_S);
                a->t = t + dt;
                return a->t;
            }
            need -= room_s * rate;
        } else if (end == SIM_NEVER) {
            a->t = SIM_NEVER;
            return SIM_NEVER;
        }
        t = end;
        a->seg++;
    }
}

double sim_rate_integral(const sim_rate_profile *p, sim_time t0, sim_time t1)
{
    double sum = 0.0;
    for (size_t i = 0; i < p->n; i++) {
        sim_time lo = p->at[i] > t0 ? p->at[i] : t0;
        sim_time end = seg_end(p, i);
        sim_time hi = end < t1 ? end : t1;
        if (hi > lo)
            sum += p->per_sec[i] * (double)(hi - lo) / (double)SIM_S;
    }
    return sum;
}
