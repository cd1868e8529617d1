/*
 * `obol day`: a day in miniature (termsim's term_day.h) — cards issued by the host
 * platform and personalized from profiles, loads with the host's MAC2, metro and bus
 * taps, a shop, a lost card, a card pulled away after DEBIT, uploads that lose
 * acknowledgements, settlement — and its figures, with the checks: the host's sums
 * per operator equal the terminals' to the fen, every TAC verifies, the host's
 * reconciliation and every card's balance agree. Exit 0 when every check passes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "obol/term_day.h"

/* Declared in cli.h with the other subcommands; repeated so this file stands alone. */
int obol_cmd_day(int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out, "usage: obol day [--seed N] [--cards N] [--db FILE] [--quiet]\n\n"
                 "Plays a day of a small transit and retail network end to end: the host\n"
                 "platform issues cards, terminals (gates, a bus validator, a shop POS with\n"
                 "their PSAMs) run the kernel's flows against the simulated cards, upload\n"
                 "their journals, and the host settles the day. Prints the day's figures and\n"
                 "the checks; the same seed gives the same output.\n\n"
                 "  --seed N     root seed (default 1)\n"
                 "  --cards N    cards issued and ridden, 2..10000 (default 24)\n"
                 "  --db FILE    keep the platform's database in FILE (a new file)\n"
                 "  --quiet      the figures only, no progress lines\n"
                 "exit codes: 0 every check passed, 1 a check failed or the day could not run,\n"
                 "2 bad usage.\n");
}

/* Parses a whole unsigned decimal number in [MIN, MAX] into *OUT, or returns -1. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (*s == '\0' || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int obol_cmd_day(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'}, {"cards", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    term_day_options o;
    term_day_figures f;
    struct stat sb;
    char err[256];
    uint64_t v;
    int c, rc, quiet = 0;

    memset(&o, 0, sizeof o);
    o.seed = 1;
    o.cards = 24;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_u64(optarg, 0, UINT64_MAX, &v) != 0)
                return obol_usage_error("day: --seed needs a whole number >= 0, not '%s'", optarg);
            o.seed = v;
            break;
        case 'c':
            if (parse_u64(optarg, 2, 10000, &v) != 0)
                return obol_usage_error("day: --cards needs a whole number 2..10000, not '%s'",
                                        optarg);
            o.cards = (unsigned)v;
            break;
        case 'd':
            if (*optarg == '\0')
                return obol_usage_error("day: --db needs a file name");
            if (stat(optarg, &sb) == 0)
                return obol_usage_error("day: '%s' exists; the day needs a new database file",
                                        optarg);
            o.db = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return obol_usage_error("day: unknown option '%s' (try 'obol day --help')",
                                    argv[optind - 1]);
        }
    }
    if (optind < argc)
        return obol_usage_error("day: unexpected argument '%s' (try 'obol day --help')",
                                argv[optind]);
    o.log = quiet ? NULL : stdout;
    printf("obol day: seed %llu, %u cards\n", (unsigned long long)o.seed, o.cards);
    rc = term_day_run(&o, &f, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "obol: day: %s\n", err[0] ? err : "the day could not run");
        return 1;
    }
    term_day_print(&f, stdout);
    if (o.db != NULL)
        printf("platform database: %s\n", o.db);
    return f.ok ? 0 : 1;
}
