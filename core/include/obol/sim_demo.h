/*
 * obol core: the kernel's demonstration model, a bank of metro gates at one station
 * through a morning peak. Riders arrive by a non-homogeneous Poisson process, join
 * the shortest gate queue and tap; a tap takes a lognormal time. It exercises every
 * piece of the kernel (events, streams, arrivals, histogram, sampled series) and is
 * what `make run` shows until the scenario engine exists.
 */
#ifndef OBOL_SIM_DEMO_H
#define OBOL_SIM_DEMO_H

#include "obol/sim.h"
#include "obol/sim_metrics.h"

typedef struct sim_demo_params {
    uint64_t seed;
    int gates;            /* 1..64 */
    double peak_per_min;  /* arrival rate at the peak, riders per minute */
    double tap_median_ms; /* median tap (service) time */
    double tap_sigma;     /* lognormal shape of the tap time */
} sim_demo_params;

typedef struct sim_demo_result {
    uint64_t riders;  /* riders who passed a gate */
    uint64_t events;  /* events the kernel fired */
    sim_time end;     /* virtual time when the last rider passed */
    sim_hist wait;    /* queueing + tap time per rider, ns */
    sim_series queue; /* riders waiting in all queues, sampled each minute */
    int max_queue;
} sim_demo_result;

void sim_demo_defaults(sim_demo_params *p);
/* Runs the model. RES must be released with sim_demo_result_free(). Returns 0 or a
 * negative SIM_ERR_* code. */
int sim_demo_run(const sim_demo_params *p, sim_demo_result *res);
void sim_demo_result_free(sim_demo_result *res);

#endif
