/*
 * `obol validate FILE...`: checks scenario files (and timing profiles) against their
 * schemas and, for scenarios, everything the loader checks (references, time order,
 * metrics, profiles). Prints "FILE: ok" or "FILE:LINE: what was expected".
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_scenario.h"
#include "obol/scenario.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: obol validate FILE...\n\n"
                 "Checks each scenario file against scenarios/scenario.xsd and the loader's\n"
                 "rules (names, references, times, metrics, timing profiles), and each timing\n"
                 "profile against scenarios/profile.xsd. A FILE may be a library name\n"
                 "(see 'obol list'). Exit code 0 when every file is valid, 1 when one is not.\n");
}

int obol_cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        return obol_usage_error("validate: unknown option '%s' (try 'obol validate --help')",
                                argv[optind - 1]);
    }
    if (optind >= argc)
        return obol_usage_error("validate: no file given (try 'obol validate --help')");
    char path[SCN_PATH_MAX];
    for (int i = optind; i < argc; i++)
        if (obol_scenario_path(argv[i], path, sizeof(path)) != 0)
            return obol_usage_error("validate: no such file or scenario '%s'", argv[i]);
    int bad = 0;
    for (int i = optind; i < argc; i++) {
        obol_scenario_path(argv[i], path, sizeof(path));
        char err[1600];
        int rc;
        FILE *f = fopen(path, "r");
        char head[512] = "";
        if (f != NULL) {
            size_t n = fread(head, 1, sizeof(head) - 1, f);
            head[n] = '\0';
            fclose(f);
        }
        if (strstr(head, "<profile") != NULL) {
            rc = scn_validate(path, err, sizeof(err));
        } else {
            scenario sc;
            rc = scn_load(&sc, path, err, sizeof(err));
            if (rc == 0)
                scn_free(&sc);
        }
        if (rc == 0) {
            printf("%s: ok\n", path);
        } else {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        }
    }
    return bad;
}
