/*
 * obol core: the world a scenario plays — riders carrying cards (cardsim instances,
 * kept as NVM images and attached to a cos_card only while in a field), terminals
 * (termsim kernels with a PSAM, a cardsim instance running the PSAM applet) grouped in
 * lines of stations, the platform (hostsim) reached over simulated links, and the
 * timeline's events — and the metrics it measures for the checks.
 *
 * sim_world_run() builds the world from a loaded scenario, plays it on the event
 * kernel with the scenario's seed, evaluates the checks and adds a scenario section
 * (figures, checks, charts) to a report. Same scenario, same seed: the same report.
 *
 * Errors: 0 or a negative SIM_ERR_* code; the message in ERR.
 */
#ifndef OBOL_SIM_WORLD_H
#define OBOL_SIM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/rpt.h"
#include "obol/scenario.h"

/* The metrics the world measures, by name, for <check metric="...">. */
typedef struct sim_metric_info {
    const char *name;
    const char *unit;
    const char *what;
} sim_metric_info;

/* The table of known metrics, terminated by a NULL name. */
extern const sim_metric_info sim_world_metrics[];
/* 1 when NAME is a known metric. */
int sim_world_metric_known(const char *name);

/* Deliberate faults, for the tests that show each check can fail. Never set in a
 * normal run. */
enum {
    SIM_FAULT_NONE = 0,
    SIM_FAULT_CARD_FIXED_RNG = 1 << 0, /* cards' RNG repeats: replays to a clone succeed */
    SIM_FAULT_BLACKLIST_LOST = 1 << 1, /* blacklist distribution never reaches a terminal */
    SIM_FAULT_NO_RECOVERY = 1 << 3,    /* riders re-tap a torn card at another gate */
};

/* What a run did, for benchmarks and progress displays. */
typedef struct sim_world_stats {
    uint64_t taps;   /* card transactions at terminals */
    uint64_t events; /* events the kernel fired */
    uint32_t cards;  /* cards issued (used at least once) */
} sim_world_stats;

typedef struct sim_world_opts {
    uint64_t seed; /* overrides the scenario's seed when HAS_SEED */
    int has_seed;
    unsigned faults; /* SIM_FAULT_* */
    /* Progress: called about every 250 ms of wall time with the virtual time reached
     * and events fired; may be NULL. */
    void (*progress)(void *ctx, const scenario *sc, sim_time now, uint64_t events);
    void *progress_ctx;
    sim_world_stats *stats; /* filled after the run when not NULL */
} sim_world_opts;

/* Plays SC and appends its section to REPORT, evaluating SC's checks against the
 * requirement catalogue CAT. A world that cannot be built (a profile missing, out of
 * memory) still adds its section, marked as not run, and returns the error. OPTS may
 * be NULL. Returns 0 (the run happened; the checks may still have failed) or a
 * negative SIM_ERR_* code with the message in ERR. */
int sim_world_run(const scenario *sc, const sim_world_opts *opts, const rpt_catalog *cat,
                  rpt_report *report, char *err, size_t errlen);

#endif /* OBOL_SIM_WORLD_H */
