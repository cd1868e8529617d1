/*
 * The event queue: ordering, ties in scheduling order, cancel, reschedule, the run's
 * end conditions, and determinism of a whole event trace.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "obol/sim.h"
#include "obol/sim_rng.h"

typedef struct log {
    uint64_t data[4096];
    sim_time t[4096];
    size_t n;
} log_t;

static void record(sim *s, void *arg, uint64_t data)
{
    log_t *l = arg;
    cr_assert_lt(l->n, 4096);
    l->data[l->n] = data;
    l->t[l->n] = sim_now(s);
    l->n++;
}

static log_t lg;

Test(sim_queue, fires_in_time_order)
{
    sim *s = sim_new(1);
    const sim_time ts[] = {50, 10, 40, 20, 30, 0, 60};
    for (size_t i = 0; i < 7; i++)
        cr_assert_eq(sim_schedule(s, ts[i], record, &lg, ts[i], NULL), SIM_OK);
    lg.n = 0;
    cr_assert_eq(sim_run(s, SIM_NEVER), SIM_STOP_EMPTY);
    cr_assert_eq(lg.n, 7);
    for (size_t i = 0; i < 7; i++) {
        cr_assert_eq(lg.t[i], (sim_time)(i * 10));
        cr_assert_eq(lg.data[i], i * 10);
    }
    cr_assert_eq(sim_now(s), 60);
    cr_assert_eq(sim_fired(s), 7);
    sim_free(s);
}

Test(sim_queue, ties_fire_in_scheduling_order)
{
    sim *s = sim_new(1);
    /* Interleave three instants so that the heap must reorder, and check that within
     * an instant the order is the order of scheduling. */
    for (uint64_t i = 0; i < 300; i++)
        cr_assert_eq(sim_schedule(s, (sim_time)((i * 7) % 3), record, &lg, i, NULL), SIM_OK);
    lg.n = 0;
    sim_run(s, SIM_NEVER);
    cr_assert_eq(lg.n, 300);
    for (size_t i = 1; i < lg.n; i++) {
        cr_assert_geq(lg.t[i], lg.t[i - 1]);
        if (lg.t[i] == lg.t[i - 1])
            cr_assert_gt(lg.data[i], lg.data[i - 1], "tie order broken at %zu", i);
    }
    sim_free(s);
}

Test(sim_queue, cancel_removes_exactly_that_event)
{
    sim *s = sim_new(1);
    sim_event_id ids[100];
    for (uint64_t i = 0; i < 100; i++)
        cr_assert_eq(sim_schedule(s, (sim_time)(100 - i), record, &lg, i, &ids[i]), SIM_OK);
    for (int i = 0; i < 100; i += 3)
        cr_assert_eq(sim_cancel(s, ids[i]), SIM_OK);
    cr_assert_eq(sim_cancel(s, ids[0]), SIM_ERR_NOENT, "a second cancel must fail");
    cr_assert_eq(sim_cancel(s, 0), SIM_ERR_NOENT);
    cr_assert_eq(sim_pending(s), 66);
    lg.n = 0;
    sim_run(s, SIM_NEVER);
    cr_assert_eq(lg.n, 66);
    for (size_t i = 0; i < lg.n; i++)
        cr_assert_neq(lg.data[i] % 3, 0, "cancelled event %llu fired",
                      (unsigned long long)lg.data[i]);
    cr_assert_eq(sim_cancel(s, ids[1]), SIM_ERR_NOENT, "a fired event cannot be cancelled");
    sim_free(s);
}

Test(sim_queue, stale_id_does_not_hit_reused_slot)
{
    sim *s = sim_new(1);
    sim_event_id a, b;
    cr_assert_eq(sim_schedule(s, 5, record, &lg, 1, &a), SIM_OK);
    cr_assert_eq(sim_cancel(s, a), SIM_OK);
    cr_assert_eq(sim_schedule(s, 6, record, &lg, 2, &b), SIM_OK);
    cr_assert_neq(a, b);
    cr_assert_eq(sim_cancel(s, a), SIM_ERR_NOENT);
    cr_assert(sim_is_pending(s, b, NULL));
    sim_free(s);
}

Test(sim_queue, reschedule_moves_and_reorders)
{
    sim *s = sim_new(1);
    sim_event_id ids[5];
    for (uint64_t i = 0; i < 5; i++)
        cr_assert_eq(sim_schedule(s, 10 * (sim_time)(i + 1), record, &lg, i, &ids[i]), SIM_OK);
    /* Move event 0 later than all, event 4 earlier than all, event 2 to a tie with 1:
     * the rescheduled one fires after the one already there. */
    cr_assert_eq(sim_reschedule(s, ids[0], 100), SIM_OK);
    cr_assert_eq(sim_reschedule(s, ids[4], 1), SIM_OK);
    cr_assert_eq(sim_reschedule(s, ids[2], 20), SIM_OK);
    sim_time at;
    cr_assert(sim_is_pending(s, ids[0], &at));
    cr_assert_eq(at, 100);
    lg.n = 0;
    sim_run(s, SIM_NEVER);
    const uint64_t want[] = {4, 1, 2, 3, 0};
    cr_assert_eq(lg.n, 5);
    for (size_t i = 0; i < 5; i++)
        cr_assert_eq(lg.data[i], want[i], "position %zu", i);
    cr_assert_eq(sim_reschedule(s, ids[0], 200), SIM_ERR_NOENT);
    sim_free(s);
}

Test(sim_queue, refuses_the_past)
{
    sim *s = sim_new(1);
    cr_assert_eq(sim_schedule(s, 10, record, &lg, 0, NULL), SIM_OK);
    sim_run(s, SIM_NEVER);
    cr_assert_eq(sim_schedule(s, 9, record, &lg, 0, NULL), SIM_ERR_PAST);
    cr_assert_eq(sim_after(s, -1, record, &lg, 0, NULL), SIM_ERR_PAST);
    cr_assert_eq(sim_schedule(s, 10, NULL, &lg, 0, NULL), SIM_ERR_INVAL);
    sim_free(s);
}

static void stopper(sim *s, void *arg, uint64_t data)
{
    record(s, arg, data);
    if (data == 3)
        sim_stop(s);
}

Test(sim_queue, run_ends_at_deadline_empty_or_request)
{
    sim *s = sim_new(1);
    for (uint64_t i = 1; i <= 6; i++)
        sim_schedule(s, (sim_time)i * SIM_S, stopper, &lg, i, NULL);
    lg.n = 0;
    cr_assert_eq(sim_run(s, 2 * SIM_S + 500), SIM_STOP_DEADLINE);
    cr_assert_eq(lg.n, 2);
    cr_assert_eq(sim_now(s), 2 * SIM_S + 500, "the clock advances to the deadline");
    cr_assert_eq(sim_run(s, SIM_NEVER), SIM_STOP_REQUEST);
    cr_assert_eq(lg.n, 3);
    cr_assert_eq(sim_now(s), 3 * SIM_S);
    cr_assert_eq(sim_run(s, SIM_NEVER), SIM_STOP_EMPTY);
    cr_assert_eq(lg.n, 6);
    sim_free(s);
}

/* A small PHOLD-like model whose whole trace is hashed: the same seed must give the
 * same trace, another seed a different one. */
typedef struct trace_model {
    sim_rng rng;
    uint64_t hash;
    int left;
} trace_model;

static void hop(sim *s, void *arg, uint64_t data)
{
    trace_model *m = arg;
    m->hash = (m->hash ^ (uint64_t)sim_now(s) ^ (data << 32)) * 0x100000001B3ull;
    if (m->left-- <= 0)
        return;
    sim_time d = (sim_time)(sim_rng_exponential(&m->rng, 1.0) * SIM_MS);
    sim_after(s, d, hop, m, sim_rng_below(&m->rng, 64), NULL);
    if (sim_rng_uniform(&m->rng) < 0.1)
        sim_after(s, d, hop, m, data, NULL); /* a tie now and then */
}

static uint64_t trace_hash(uint64_t seed)
{
    sim *s = sim_new(seed);
    trace_model m = {.hash = 0xCBF29CE484222325ull, .left = 20000};
    sim_rng_init(&m.rng, seed, 0);
    for (int i = 0; i < 32; i++)
        sim_schedule(s, 0, hop, &m, (uint64_t)i, NULL);
    sim_run(s, SIM_NEVER);
    sim_free(s);
    return m.hash;
}

Test(sim_queue, same_seed_same_trace)
{
    uint64_t a = trace_hash(42), b = trace_hash(42), c = trace_hash(43);
    cr_assert_eq(a, b);
    cr_assert_neq(a, c);
}

/* The heap against a simple reference: random schedule/cancel/reschedule, then the
 * firing order must equal the reference sorted by (time, order of last schedule). */
Test(sim_queue, random_operations_match_reference)
{
    enum { N = 3000 };
    sim *s = sim_new(7);
    sim_rng r;
    sim_rng_init(&r, 7, 99);
    static sim_event_id ids[N];
    static sim_time when[N];
    static uint64_t order[N];
    static int alive[N];
    uint64_t stamp = 0;
    for (int i = 0; i < N; i++) {
        when[i] = (sim_time)sim_rng_below(&r, 500);
        order[i] = stamp++;
        alive[i] = 1;
        cr_assert_eq(sim_schedule(s, when[i], record, &lg, (uint64_t)i, &ids[i]), SIM_OK);
    }
    for (int k = 0; k < N; k++) {
        int i = (int)sim_rng_below(&r, N);
        if (!alive[i])
            continue;
        if (sim_rng_below(&r, 2)) {
            cr_assert_eq(sim_cancel(s, ids[i]), SIM_OK);
            alive[i] = 0;
        } else {
            when[i] = (sim_time)sim_rng_below(&r, 500);
            order[i] = stamp++;
            cr_assert_eq(sim_reschedule(s, ids[i], when[i]), SIM_OK);
        }
    }
    lg.n = 0;
    sim_run(s, SIM_NEVER);
    size_t expect = 0;
    for (int i = 0; i < N; i++)
        expect += (size_t)alive[i];
    cr_assert_eq(lg.n, expect);
    for (size_t k = 1; k < lg.n; k++) {
        uint64_t a = lg.data[k - 1], b = lg.data[k];
        cr_assert(alive[a] && alive[b]);
        cr_assert(when[a] < when[b] || (when[a] == when[b] && order[a] < order[b]),
                  "out of order at %zu", k);
    }
    sim_free(s);
}
