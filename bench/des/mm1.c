/*
 * M/M/1 queue (arrival rate 0.9, service rate 1.0) in obol's kernel and in SimPy,
 * one after the other in the same benchmark: customers served per second of wall
 * time in each, and their ratio.
 *
 * The SimPy model (mm1_simpy.py) is the textbook one: a Resource of capacity 1, a
 * source process and one process per customer. Debian's python3-simpy runs under
 * /usr/bin/python3.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "obol/sim.h"
#include "obol/sim_rng.h"

typedef struct mm1 {
    sim_rng arr, svc;
    uint64_t queue; /* customers in the system */
    uint64_t served;
    uint64_t limit;
    double wait_sum;
} mm1;

static void depart(sim *s, void *arg, uint64_t data);

static void arrive(sim *s, void *arg, uint64_t data)
{
    (void)data;
    mm1 *m = arg;
    if (m->queue++ == 0)
        sim_after(s, (sim_time)(sim_rng_exponential(&m->svc, 1.0) * SIM_S), depart, m, 0, NULL);
    sim_after(s, (sim_time)(sim_rng_exponential(&m->arr, 0.9) * SIM_S), arrive, m, 0, NULL);
}

static void depart(sim *s, void *arg, uint64_t data)
{
    (void)data;
    mm1 *m = arg;
    m->queue--;
    if (++m->served == m->limit) {
        sim_stop(s);
        return;
    }
    if (m->queue > 0)
        sim_after(s, (sim_time)(sim_rng_exponential(&m->svc, 1.0) * SIM_S), depart, m, 0, NULL);
}

static double obol_rate(uint64_t customers)
{
    mm1 m = {.limit = customers};
    sim_rng_init(&m.arr, 1, 0);
    sim_rng_init(&m.svc, 1, 1);
    sim *s = sim_new(1);
    double t0 = bench_now();
    sim_schedule(s, 0, arrive, &m, 0, NULL);
    sim_run(s, SIM_NEVER);
    double dt = bench_now() - t0;
    sim_free(s);
    return (double)m.served / dt;
}

static double simpy_rate(void)
{
    FILE *p = popen("/usr/bin/python3 " SIMPY_SCRIPT " 200000", "r");
    if (p == NULL)
        return -1;
    double rate = -1;
    if (fscanf(p, "%lf", &rate) != 1)
        rate = -1;
    if (pclose(p) != 0)
        rate = -1;
    return rate;
}

int main(void)
{
    double runs[5];
    for (int i = 0; i < 5; i++)
        runs[i] = obol_rate(5000000);
    double obol = bench_median(runs, 5);
    for (int i = 0; i < 3; i++)
        runs[i] = simpy_rate();
    double simpy = bench_median(runs, 3);
    printf("BENCH des.mm1_obol_customers_per_sec %.0f customers/s\n", obol);
    if (simpy <= 0) {
        fprintf(stderr, "bench_des_mm1: SimPy did not run (is python3-simpy installed?)\n");
        return 1;
    }
    printf("BENCH des.mm1_simpy_customers_per_sec %.0f customers/s\n", simpy);
    printf("BENCH des.mm1_vs_simpy %.1f x\n", obol / simpy);
    return 0;
}
