/*
 * `obol run [--seed N] [--report-dir DIR] [--junit F] [--html F] [--json F]
 * SCENARIO...`: plays scenarios and writes the conformance report (JUnit XML, HTML,
 * JSON; by default reports/out/junit.xml, index.html, report.json). On a terminal a
 * progress line shows the virtual time reached and the events per second; nothing
 * is drawn when stdout or stderr is not a terminal. Exit code 0 only when every
 * check of every scenario passed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_scenario.h"
#include "obol/rpt.h"
#include "obol/scenario.h"
#include "obol/sim_world.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: obol run [--seed N] [--report-dir DIR] [--junit F] [--html F] [--json F]\n"
                 "                SCENARIO...\n\n"
                 "Plays each scenario (a file, or a library name from 'obol list'; 'all' plays\n"
                 "the whole library) and writes the conformance report. Exit code 0 only when\n"
                 "every check passed, 1 when one failed or a scenario could not run.\n\n"
                 "  --seed N          override every scenario's seed\n"
                 "  --report-dir DIR  where the reports go (default reports/out)\n"
                 "  --junit F         JUnit XML file (default DIR/junit.xml)\n"
                 "  --html F          HTML report (default DIR/index.html)\n"
                 "  --json F          JSON report (default DIR/report.json)\n"
                 "  --quiet           print only the summary line\n");
}

typedef struct progress {
    int on;
    struct timespec t0, last;
    uint64_t ev0;
    const char *name;
} progress;

static double secs(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, const scenario *sc, sim_time now, uint64_t events)
{
    progress *p = ctx;
    if (!p->on)
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double el = secs(&p->t0, &t);
    double span = (double)(sc->end + sc->drain - sc->start);
    double frac = span > 0 ? (double)(now - sc->start) / span : 1;
    if (frac < 0)
        frac = 0;
    if (frac > 1)
        frac = 1;
    char bar[31];
    int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    double rate = el > 0 ? (double)events / el : 0;
    fprintf(stderr, "\r  [%s] %-14s %02lld:%02lld:%02lld  %7.1fk events/s ", bar, sc->name,
            (long long)(now / SIM_HOUR), (long long)(now / SIM_MIN % 60),
            (long long)(now / SIM_S % 60), rate / 1e3);
    fflush(stderr);
    p->last = t;
}

/* Creates DIR (one level, and its parent when missing). */
static int make_dir(const char *dir)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    char parent[1024];
    snprintf(parent, sizeof(parent), "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash == NULL || slash == parent)
        return -1;
    *slash = '\0';
    if (make_dir(parent) != 0)
        return -1;
    return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

int obol_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},  {"report-dir", required_argument, NULL, 'd'},
        {"junit", required_argument, NULL, 'j'}, {"html", required_argument, NULL, 'H'},
        {"json", required_argument, NULL, 'J'},  {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    sim_world_opts wo = {0};
    const char *dir = "reports/out", *junit = NULL, *html = NULL, *json = NULL;
    int quiet = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case 's': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-')
                return obol_usage_error("run: --seed needs a whole number >= 0, not '%s'", optarg);
            wo.seed = v;
            wo.has_seed = 1;
            break;
        }
        case 'd':
            dir = optarg;
            break;
        case 'j':
            junit = optarg;
            break;
        case 'H':
            html = optarg;
            break;
        case 'J':
            json = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            return obol_usage_error("run: unknown option '%s' (try 'obol run --help')",
                                    argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return obol_usage_error("run: no scenario given (try 'obol run --help' or 'obol list')");

    /* Resolve every argument first, so a typo fails before hours of simulation. */
    char **paths = NULL;
    int npaths = 0, rc = 1;
    for (int i = optind; i < argc; i++) {
        char **add = NULL;
        int nadd;
        if (strcmp(argv[i], "all") == 0) {
            nadd = obol_scenario_library(&add);
            if (nadd < 0) {
                rc = obol_usage_error("run: cannot read the scenario library %s", scn_schema_dir());
                goto out;
            }
        } else {
            char p[SCN_PATH_MAX];
            if (obol_scenario_path(argv[i], p, sizeof(p)) != 0) {
                rc = obol_usage_error("run: no such file or scenario '%s' (try 'obol list')",
                                      argv[i]);
                goto out;
            }
            add = malloc(sizeof(*add));
            if (add == NULL || (add[0] = strdup(p)) == NULL) {
                free(add);
                rc = obol_usage_error("run: out of memory");
                goto out;
            }
            nadd = 1;
        }
        char **np = realloc(paths, (size_t)(npaths + nadd) * sizeof(*paths));
        if (np == NULL) {
            for (int k = 0; k < nadd; k++)
                free(add[k]);
            free(add);
            rc = obol_usage_error("run: out of memory");
            goto out;
        }
        paths = np;
        memcpy(paths + npaths, add, (size_t)nadd * sizeof(*add));
        npaths += nadd;
        free(add);
    }

    char fj[1100], fh[1100], fs[1100];
    snprintf(fj, sizeof(fj), "%s/junit.xml", dir);
    snprintf(fh, sizeof(fh), "%s/index.html", dir);
    snprintf(fs, sizeof(fs), "%s/report.json", dir);
    junit = junit ? junit : fj;
    html = html ? html : fh;
    json = json ? json : fs;
    if ((junit == fj || html == fh || json == fs) && make_dir(dir) != 0) {
        rc = obol_usage_error("run: cannot create the report directory '%s': %s", dir,
                              strerror(errno));
        goto out;
    }

    rpt_catalog cat;
    char err[1600];
    if (rpt_catalog_load(&cat, rpt_catalog_default_path(), err, sizeof(err)) != 0) {
        fprintf(stderr, "obol: run: %s\n", err);
        rc = 1;
        goto out;
    }
    rpt_report *rep = rpt_report_new("obol conformance report");
    if (rep == NULL) {
        rpt_catalog_free(&cat);
        rc = obol_usage_error("run: out of memory");
        goto out;
    }
    progress pg = {0};
    pg.on = !quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
    wo.progress = on_progress;
    wo.progress_ctx = &pg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < npaths; i++) {
        scenario sc;
        if (scn_load(&sc, paths[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            const char *base = strrchr(paths[i], '/');
            rpt_scenario *rs = rpt_scenario_add(rep, base ? base + 1 : paths[i], paths[i], NULL,
                                                wo.has_seed ? wo.seed : 0);
            if (rs != NULL)
                rpt_scenario_set_error(rs, err);
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &pg.t0);
        int wrc = sim_world_run(&sc, &wo, &cat, rep, err, sizeof(err));
        if (pg.on)
            fprintf(stderr, "\r%*s\r", 96, "");
        if (wrc != 0)
            fprintf(stderr, "obol: run: %s: %s\n", sc.name, err);
        if (!quiet && rep->n > 0) {
            const rpt_scenario *rs = rep->sc[rep->n - 1];
            size_t pass = 0;
            for (size_t k = 0; k < rs->ncheck; k++)
                pass += rs->check[k]->status == RPT_PASS;
            struct timespec te;
            clock_gettime(CLOCK_MONOTONIC, &te);
            printf("%-4s %-16s %zu/%zu checks passed  (%.1f s)\n",
                   rs->error == NULL && pass == rs->ncheck ? "ok" : "FAIL", rs->name, pass,
                   rs->ncheck, secs(&pg.t0, &te));
            for (size_t k = 0; k < rs->ncheck; k++)
                if (rs->check[k]->status != RPT_PASS)
                    printf("       %s %s: %s\n", rpt_status_name(rs->check[k]->status),
                           rs->check[k]->id, rs->check[k]->message ? rs->check[k]->message : "");
            fflush(stdout);
        }
        scn_free(&sc);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int wbad = 0;
    if (rpt_write_junit(rep, junit, err, sizeof(err)) != 0 ||
        rpt_write_html(rep, html, err, sizeof(err)) != 0 ||
        rpt_write_json(rep, json, err, sizeof(err)) != 0) {
        fprintf(stderr, "obol: run: %s\n", err);
        wbad = 1;
    }
    rpt_totals t;
    rpt_totals_get(rep, &t);
    int ok = rpt_all_passed(rep) && !wbad;
    printf("obol run: %zu scenario%s, %zu checks: %zu passed, %zu failed, %zu errors "
           "(%.1f s)\n",
           t.scenarios, t.scenarios == 1 ? "" : "s", t.checks, t.passed, t.failed, t.errors,
           secs(&t0, &t1));
    if (!wbad)
        printf("report: %s\n        %s\n        %s\n", html, junit, json);
    rpt_report_free(rep);
    rpt_catalog_free(&cat);
    rc = ok ? 0 : 1;
out:
    for (int i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    return rc;
}
