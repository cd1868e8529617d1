/*
 * `obol demo`: runs the kernel's demonstration model and prints its figures.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "obol/sim_demo.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: obol demo [--seed N] [--gates N] [--peak RIDERS_PER_MIN] [--tap-ms MS]\n\n"
                 "Simulates a station's gate bank from 06:00 to 10:00 with a morning peak and\n"
                 "prints riders served, time at the gate (queue + tap) percentiles and the\n"
                 "queue over time. The same seed gives the same output.\n\n"
                 "  --seed N        root seed of every random stream (default 1)\n"
                 "  --gates N       gates in the bank, 1..64 (default 6)\n"
                 "  --peak N        arrivals per minute at the peak (default 180)\n"
                 "  --tap-ms MS     median time a rider takes at a gate (default 1500)\n");
}

/* Parses a whole decimal number into *OUT, or returns -1. */
static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int obol_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"gates", required_argument, NULL, 'g'},
        {"peak", required_argument, NULL, 'p'}, {"tap-ms", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    sim_demo_params p;
    sim_demo_defaults(&p);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        double v;
        switch (c) {
        case 's':
            if (parse_double(optarg, &v) != 0 || v < 0)
                return obol_usage_error("demo: --seed needs a number >= 0, not '%s'", optarg);
            p.seed = (uint64_t)strtoull(optarg, NULL, 10);
            break;
        case 'g':
            if (parse_double(optarg, &v) != 0 || v < 1 || v > 64 || v != (int)v)
                return obol_usage_error("demo: --gates needs a whole number 1..64, not '%s'",
                                        optarg);
            p.gates = (int)v;
            break;
        case 'p':
            if (parse_double(optarg, &v) != 0 || v < 0)
                return obol_usage_error("demo: --peak needs a rate >= 0, not '%s'", optarg);
            p.peak_per_min = v;
            break;
        case 't':
            if (parse_double(optarg, &v) != 0 || v <= 0)
                return obol_usage_error("demo: --tap-ms needs a time > 0, not '%s'", optarg);
            p.tap_median_ms = v;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return obol_usage_error("demo: unknown option '%s' (try 'obol demo --help')",
                                    argv[optind - 1]);
        }
    }
    if (optind < argc)
        return obol_usage_error("demo: unexpected argument '%s'", argv[optind]);

    sim_demo_result *r = malloc(sizeof(*r));
    if (r == NULL)
        return obol_usage_error("demo: out of memory");
    int rc = sim_demo_run(&p, r);
    if (rc != 0) {
        fprintf(stderr, "obol: demo: %s\n", sim_strerror(rc));
        free(r);
        return 1;
    }
    printf("obol demo: %d gates, peak %.0f riders/min, seed %llu\n", p.gates, p.peak_per_min,
           (unsigned long long)p.seed);
    printf("  riders served      %llu\n", (unsigned long long)r->riders);
    printf("  events fired       %llu\n", (unsigned long long)r->events);
    printf("  last rider out     %02lld:%02lld:%02lld\n", (long long)(r->end / SIM_HOUR),
           (long long)(r->end / SIM_MIN % 60), (long long)(r->end / SIM_S % 60));
    printf("  time at the gate   p50 %.2f s  p90 %.2f s  p99 %.2f s  max %.2f s\n",
           (double)sim_hist_percentile(&r->wait, 50) / SIM_S,
           (double)sim_hist_percentile(&r->wait, 90) / SIM_S,
           (double)sim_hist_percentile(&r->wait, 99) / SIM_S, (double)r->wait.max / SIM_S);
    printf("  longest queue      %d riders\n", r->max_queue);
    printf("  riders waiting, every 10 minutes:\n");
    for (size_t i = 0; i < r->queue.len; i += 10) {
        int n = (int)r->queue.v[i];
        sim_time t = r->queue.t[i];
        printf("    %02lld:%02lld %4d ", (long long)(t / SIM_HOUR), (long long)(t / SIM_MIN % 60),
               n);
        for (int k = 0; k < n && k < 60; k++)
            putchar('#');
        putchar('\n');
    }
    sim_demo_result_free(r);
    free(r);
    return 0;
}
