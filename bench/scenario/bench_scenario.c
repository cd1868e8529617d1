/*
 * Benchmarks of the scenario engine: metro_peak's wall time and simulated card
 * transactions per second of wall time, and the whole scenario library's wall time
 * (the target is under 60 s on a 2-core machine). Reports are built but not written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../des/bench_util.h"
#include "obol/rpt.h"
#include "obol/scenario.h"
#include "obol/sim_world.h"

static const char *const library[] = {"metro_peak", "replay_attack", "blacklist_lag",
                                      "ota_update", "card_tearing",  "host_outage",
                                      "retail_pos", "paytv_stb",     "dual_interface"};

/* Runs the library scenario NAME; its wall time in *SECS and transactions in *TAPS. */
static int run(const rpt_catalog *cat, const char *name, double *secs, uint64_t *taps)
{
    char path[512], err[1600];
    snprintf(path, sizeof(path), "%s/%s.xml", scn_schema_dir(), name);
    scenario sc;
    if (scn_load(&sc, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_scenario: %s\n", err);
        return -1;
    }
    rpt_report *r = rpt_report_new("bench");
    sim_world_stats st = {0};
    sim_world_opts o = {0};
    o.stats = &st;
    double t0 = bench_now();
    int rc = r != NULL ? sim_world_run(&sc, &o, cat, r, err, sizeof(err)) : -1;
    *secs = bench_now() - t0;
    *taps = st.taps;
    if (rc != 0)
        fprintf(stderr, "bench_scenario: %s: %s\n", name, err);
    else if (!rpt_all_passed(r))
        fprintf(stderr, "bench_scenario: %s: some checks failed\n", name);
    rpt_report_free(r);
    scn_free(&sc);
    return rc;
}

int main(void)
{
    rpt_catalog cat;
    char err[512];
    if (rpt_catalog_load(&cat, rpt_catalog_default_path(), err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_scenario: %s\n", err);
        return 1;
    }
    double total = 0, metro = 0;
    uint64_t metro_taps = 0;
    int bad = 0;
    for (size_t i = 0; i < sizeof(library) / sizeof(library[0]); i++) {
        double s = 0;
        uint64_t taps = 0;
        if (run(&cat, library[i], &s, &taps) != 0)
            bad = 1;
        fprintf(stderr, "  %-16s %7.2f s  %8llu transactions\n", library[i], s,
                (unsigned long long)taps);
        total += s;
        if (i == 0) {
            metro = s;
            metro_taps = taps;
        }
    }
    printf("BENCH scenario.metro_peak_seconds %.2f s\n", metro);
    printf("BENCH scenario.metro_peak_taps_per_sec %.0f taps/s\n",
           metro > 0 ? (double)metro_taps / metro : 0);
    printf("BENCH scenario.library_seconds %.2f s\n", total);
    rpt_catalog_free(&cat);
    return bad;
}
