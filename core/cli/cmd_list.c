/*
 * `obol list`: the scenario library with a one-line description each, or with
 * --metrics the metrics checks can name.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_scenario.h"
#include "obol/scenario.h"
#include "obol/sim_world.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: obol list [--metrics]\n\n"
                 "Lists the scenario library (scenarios/*.xml, or $OBOL_SCENARIO_DIR) with a\n"
                 "one-line description each; 'obol run NAME' plays one.\n\n"
                 "  --metrics   list the metrics a scenario's checks can name instead\n");
}

/* The first sentence of S, cut to WIDTH characters. */
static void first_sentence(const char *s, char *out, size_t width)
{
    size_t n = 0;
    while (s[n] && n + 1 < width && !(s[n] == '.' && (s[n + 1] == ' ' || s[n + 1] == '\0')))
        n++;
    memcpy(out, s, n);
    out[n] = '\0';
}

int obol_cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'}, {"metrics", no_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
    opterr = 0;
    optind = 1;
    int c, metrics = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == 'm') {
            metrics = 1;
            continue;
        }
        return obol_usage_error("list: unknown option '%s' (try 'obol list --help')",
                                argv[optind - 1]);
    }
    if (optind < argc)
        return obol_usage_error("list: unexpected argument '%s'", argv[optind]);
    if (metrics) {
        for (const sim_metric_info *m = sim_world_metrics; m->name != NULL; m++)
            printf("%-26s %-11s %s\n", m->name, m->unit, m->what);
        return 0;
    }
    char **paths;
    int n = obol_scenario_library(&paths);
    if (n < 0) {
        fprintf(stderr, "obol: list: cannot read the scenario directory %s\n", scn_schema_dir());
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        scenario sc;
        char err[1600];
        if (scn_load(&sc, paths[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        } else {
            char line[96];
            first_sentence(sc.description ? sc.description : "", line, sizeof(line));
            printf("%-16s %s\n", sc.name, line);
            scn_free(&sc);
        }
        free(paths[i]);
    }
    free(paths);
    return bad;
}
