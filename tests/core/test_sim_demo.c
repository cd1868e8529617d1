/*
 * The demonstration model: conservation (every arrival is served), determinism under
 * a seed, and that more gates shorten the time at the gate.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "obol/sim_demo.h"

static sim_demo_result *run(int gates, uint64_t seed)
{
    sim_demo_params p;
    sim_demo_defaults(&p);
    p.gates = gates;
    p.seed = seed;
    sim_demo_result *r = malloc(sizeof(*r));
    cr_assert_eq(sim_demo_run(&p, r), 0);
    return r;
}

Test(sim_demo, deterministic_and_sensible)
{
    sim_demo_result *a = run(6, 9), *b = run(6, 9), *c = run(12, 9);
    cr_assert_gt(a->riders, 10000, "a morning peak at 180/min brings over 10k riders");
    cr_assert_eq(a->riders, b->riders);
    cr_assert_eq(a->events, b->events);
    cr_assert_eq(a->wait.sum, b->wait.sum);
    cr_assert_eq(a->queue.len, b->queue.len);
    cr_assert_eq(a->riders, a->wait.count);
    /* Same arrival stream, twice the gates: no rider waits longer at the 99th. */
    cr_assert_eq(a->riders, c->riders);
    cr_assert_lt(sim_hist_percentile(&c->wait, 99), sim_hist_percentile(&a->wait, 99));
    sim_demo_params bad;
    sim_demo_defaults(&bad);
    bad.gates = 0;
    cr_assert_eq(sim_demo_run(&bad, a), SIM_ERR_INVAL);
    sim_demo_result_free(b);
    sim_demo_result_free(c);
    free(a);
    free(b);
    free(c);
}
