/*
 * `obol conform card`: the card conformance suite (conform.h) against one card, with
 * the same reports as `obol run` (JUnit XML, HTML, JSON through reports/rpt.h).
 *
 *   obol conform card [--reader inproc:PROFILE | pcsc:NAME | qemu[:PROFILE]]
 *                     [--psam-reader TARGET] [--seed N] [--image F] [--elf F]
 *                     [--report-dir DIR] [--junit F] [--html F] [--json F] [--only ID]...
 *
 * Every case starts from a cold reset of the card and the PSAM. With a qemu reader the
 * suite runs twice, on the Cortex-M3 image and on the in-process card with the same
 * profile and seed, and lists each case's verdicts side by side; the report then has
 * one scenario for each. Exit: 0 no case failed (and, for qemu, both agree), 1 a case
 * failed or could not run, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "conform.h"
#include "obol/rpt.h"

#ifndef OBOL_PROFILE_DIR_DEFAULT
#define OBOL_PROFILE_DIR_DEFAULT "profiles"
#endif
#ifndef OBOL_CONFORMANCE_DEFAULT
#define OBOL_CONFORMANCE_DEFAULT "reports/conformance.tsv"
#endif

#define MAX_ONLY 64

typedef struct run_result {
    char name[320];
    conform_verdict v[64];
    uint64_t log_hash[64]; /* FNV-1a of each case's exchanges, to compare two cards */
} run_result;

typedef struct conform_opts {
    const char *reader, *psam_reader;
    vcard_spec base;
    const char *only[MAX_ONLY];
    size_t nonly;
} conform_opts;

static void usage_conform(FILE *f)
{
    fprintf(
        f,
        "usage: obol conform card [OPTIONS]\n\n"
        "Runs the card conformance suite (ISO/IEC 7816-3/-4 basics, the PBOC purse with a\n"
        "PSAM, the PSAM, the GlobalPlatform card manager when the card has one) against\n"
        "a card, through APDUs only, and writes the same reports as 'obol run'. The\n"
        "requirements are reports/conformance.tsv; keys are the TEST keys of profiles/.\n\n"
        "  --reader TARGET       the card under test (default inproc:multiapp):\n"
        "                        inproc:PROFILE  obol's card in this process\n"
        "                        qemu[:PROFILE]  the Cortex-M3 image under QEMU; the suite\n"
        "                                        also runs in process and both verdicts\n"
        "                                        are listed side by side\n"
        "                        pcsc:NAME       the card in a PC/SC reader (name, part, index)\n"
        "  --psam-reader TARGET  the PSAM (default inproc:psam for inproc and qemu cards,\n"
        "                        none for pcsc: give pcsc:NAME; without one the PSAM and\n"
        "                        purchase cases are skipped)\n"
        "  --seed N              the virtual cards' RNG seed (default 0)\n"
        "  --image FILE          the virtual card's NVM image (default: a fresh card)\n"
        "  --elf FILE            the Cortex-M3 image for qemu\n"
        "  --only ID             run only this case (repeatable)\n"
        "  --list                list the cases and exit\n"
        "  --report-dir DIR      where the reports go (default reports/conform)\n"
        "  --junit F, --html F, --json F\n"
        "                        the report files (default DIR/junit.xml, index.html,\n"
        "                        report.json)\n\n"
        "Exit codes: 0 no case failed, 1 a case failed or could not run (or, for qemu,\n"
        "the image and the in-process card disagree), 2 bad usage.\n");
}

static int make_dir(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof(p), "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return -1;
            *s = '/';
        }
    return mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static int selected(const conform_opts *o, const char *id)
{
    if (o->nonly == 0)
        return 1;
    for (size_t i = 0; i < o->nonly; i++)
        if (strcmp(o->only[i], id) == 0)
            return 1;
    return 0;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 0x100000001B3u;
    }
    return h;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : dflt;
}

/* Runs the suite on CARD (and PSAM) into SC (may be NULL) and RES. Returns the number
 * of cases that failed or could not run. */
static size_t run_suite(const conform_opts *o, link *card, link *psam, const rpt_catalog *cat,
                        rpt_scenario *sc, run_result *res, int print)
{
    conform_ctx ctx;
    size_t bad = 0, counts[4] = {0};
    char err[512];
    memset(&ctx, 0, sizeof(ctx));
    ctx.card = card;
    ctx.psam = psam;
    if (conform_load_keys(&ctx, env_or("OBOL_PROFILE_DIR", OBOL_PROFILE_DIR_DEFAULT), err,
                          sizeof(err)) != 0)
        fprintf(stderr, "obol: conform: %s (purse cases will not run)\n", err);
    for (size_t i = 0; i < conform_ncases && i < 64; i++) {
        const conform_case *cs = &conform_cases[i];
        if (!selected(o, cs->id)) {
            res->v[i] = CONFORM_SKIP;
            continue;
        }
        ctx.detail[0] = '\0';
        ctx.loglen = 0;
        if (ctx.log != NULL)
            ctx.log[0] = '\0';
        conform_verdict v = conform_reset(&ctx) == 0 ? cs->run(&ctx) : CONFORM_ERROR;
        res->v[i] = v;
        res->log_hash[i] = fnv1a(ctx.log, ctx.loglen);
        counts[v]++;
        if (v == CONFORM_FAIL || v == CONFORM_ERROR)
            bad++;
        if (print)
            printf("  %-20s %-5s %s%s%s\n", cs->id, conform_verdict_name(v), cs->title,
                   ctx.detail[0] ? ": " : "", ctx.detail);
        if (sc == NULL || v == CONFORM_SKIP)
            continue;
        rpt_check *ck = rpt_check_add(sc, rpt_catalog_find(cat, cs->id), cs->id);
        if (ck == NULL)
            continue;
        rpt_check_set_result(ck, "deviations", "eq", 0, NULL, v != CONFORM_ERROR,
                             v == CONFORM_FAIL ? 1 : 0);
        if (ctx.detail[0])
            rpt_check_set_detail(ck, ctx.detail);
        if (ctx.loglen > 0)
            rpt_check_set_trace(ck, ctx.log);
    }
    if (sc != NULL) {
        rpt_figure_add(sc, "card", "%s", card->name);
        rpt_figure_add(sc, "PSAM", "%s", psam ? psam->name : "none");
        rpt_figure_add(sc, "cases", "%zu passed, %zu failed, %zu errors, %zu skipped",
                       counts[CONFORM_PASS], counts[CONFORM_FAIL], counts[CONFORM_ERROR],
                       counts[CONFORM_SKIP]);
    }
    if (print)
        printf("%zu passed, %zu failed, %zu errors, %zu skipped\n", counts[CONFORM_PASS],
               counts[CONFORM_FAIL], counts[CONFORM_ERROR], counts[CONFORM_SKIP]);
    free(ctx.log);
    return bad;
}

/* Opens the card and PSAM links for TARGET, runs the suite, closes them. Returns the
 * number of bad cases, or -1 (links could not open: reported, *USAGE set for usage). */
static long run_target(const conform_opts *o, const char *target, const rpt_catalog *cat,
                       rpt_report *rep, run_result *res, int print, int *usage)
{
    link *card = NULL, *psam = NULL;
    char err[1024];
    long bad = -1;
    int lr = link_open(&card, target, &o->base, err, sizeof(err));
    if (lr == 0 && o->psam_reader != NULL) {
        vcard_spec ps = o->base;
        ps.image = NULL; /* the image is the card's */
        ps.qemu = 0;
        lr = link_open(&psam, o->psam_reader, &ps, err, sizeof(err));
    }
    if (lr != 0) {
        *usage = lr == LINK_ERR_USAGE;
        fprintf(stderr, "obol: conform: %s\n", err);
        goto out;
    }
    snprintf(res->name, sizeof(res->name), "%s", card->name);
    if (print)
        printf("obol conform card: %s; PSAM: %s\n", card->name, psam ? psam->name : "none");
    char title[400];
    snprintf(title, sizeof(title), "card conformance: %s", card->name);
    rpt_scenario *sc = rep ? rpt_scenario_add(rep, title, NULL,
                                              "obol's card conformance suite through APDUs "
                                              "(reports/conformance.tsv)",
                                              o->base.seed)
                           : NULL;
    bad = (long)run_suite(o, card, psam, cat, sc, res, print);
out:
    if (link_close(card, err, sizeof(err)) != 0)
        fprintf(stderr, "obol: conform: %s\n", err);
    link_close(psam, err, sizeof(err));
    return bad;
}

/* Both runs' verdicts per case, and whether the two cards exchanged the same bytes. */
static void print_side_by_side(const run_result *a, const run_result *b)
{
    printf("\n%-20s %-6s %-11s %s\n", "case", "qemu", "in-process", "APDUs");
    for (size_t i = 0; i < conform_ncases && i < 64; i++) {
        const char *apdus = a->v[i] == CONFORM_SKIP && b->v[i] == CONFORM_SKIP ? "-"
                            : a->log_hash[i] == b->log_hash[i]                 ? "identical"
                                                                               : "differ";
        printf("%-20s %-6s %-11s %s%s\n", conform_cases[i].id, conform_verdict_name(a->v[i]),
               conform_verdict_name(b->v[i]), apdus,
               a->v[i] != b->v[i] ? "  <- the verdicts differ" : "");
    }
}

static int cmd_card(int argc, char **argv)
{
    static const struct option opts[] = {{"reader", required_argument, NULL, 'r'},
                                         {"psam-reader", required_argument, NULL, 'p'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"image", required_argument, NULL, 'i'},
                                         {"elf", required_argument, NULL, 'e'},
                                         {"only", required_argument, NULL, 'o'},
                                         {"list", no_argument, NULL, 'l'},
                                         {"report-dir", required_argument, NULL, 'd'},
                                         {"junit", required_argument, NULL, 'j'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"json", required_argument, NULL, 'J'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static conform_opts o;
    const char *dir = "reports/conform", *junit = NULL, *html = NULL, *json = NULL;
    int c, psam_given = 0;
    memset(&o, 0, sizeof(o));
    o.reader = "inproc:multiapp";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o.reader = optarg;
            break;
        case 'p':
            o.psam_reader = strcmp(optarg, "none") == 0 ? NULL : optarg;
            psam_given = 1;
            break;
        case 's':
            if (obol_parse_u64(optarg, &o.base.seed) != 0)
                return obol_usage_error("conform: --seed needs a number >= 0, not '%s'", optarg);
            break;
        case 'i':
            o.base.image = optarg;
            break;
        case 'e':
            o.base.elf = optarg;
            break;
        case 'o':
            if (o.nonly == MAX_ONLY)
                return obol_usage_error("conform: at most %d --only", MAX_ONLY);
            for (size_t i = 0; i <= conform_ncases; i++) {
                if (i == conform_ncases)
                    return obol_usage_error("conform: no case '%s' (try --list)", optarg);
                if (strcmp(conform_cases[i].id, optarg) == 0)
                    break;
            }
            o.only[o.nonly++] = optarg;
            break;
        case 'l':
            for (size_t i = 0; i < conform_ncases; i++)
                printf("%-20s %s\n", conform_cases[i].id, conform_cases[i].title);
            return 0;
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
        case 'h':
            usage_conform(stdout);
            return 0;
        default:
            return obol_usage_error("conform: unknown option '%s' (try 'obol conform --help')",
                                    argv[optind - 1]);
        }
    }
    if (optind != argc)
        return obol_usage_error("conform: unexpected argument '%s'", argv[optind]);
    int is_qemu = strncmp(o.reader, "qemu", 4) == 0 && (o.reader[4] == '\0' || o.reader[4] == ':');
    if (strncmp(o.reader, "pcsc:", 5) != 0 && !is_qemu && strncmp(o.reader, "inproc", 6) != 0)
        return obol_usage_error("conform: --reader is inproc:PROFILE, qemu[:PROFILE] or pcsc:NAME, "
                                "not '%s'",
                                o.reader);
    if (!psam_given && strncmp(o.reader, "pcsc:", 5) != 0)
        o.psam_reader = "inproc:psam";
    if (is_qemu && o.reader[4] == '\0')
        o.reader = "qemu:multiapp";

    char fj[1100], fh[1100], fs[1100], err[1024];
    snprintf(fj, sizeof(fj), "%s/junit.xml", dir);
    snprintf(fh, sizeof(fh), "%s/index.html", dir);
    snprintf(fs, sizeof(fs), "%s/report.json", dir);
    junit = junit ? junit : fj;
    html = html ? html : fh;
    json = json ? json : fs;
    rpt_catalog cat;
    const char *catpath = env_or("OBOL_CONFORMANCE", OBOL_CONFORMANCE_DEFAULT);
    if (rpt_catalog_load(&cat, catpath, err, sizeof(err)) != 0)
        return obol_usage_error("conform: %s", err);
    rpt_report *rep = rpt_report_new("obol card conformance");
    static run_result first, second;
    int usage = 0, rc = 1;
    long bad = rep ? run_target(&o, o.reader, &cat, rep, &first, 1, &usage) : -1;
    if (bad >= 0 && is_qemu) {
        /* the same suite on the in-process card with the same profile and seed */
        char inproc[300];
        snprintf(inproc, sizeof(inproc), "inproc:%s", o.reader + 5);
        vcard_spec keep = o.base;
        o.base.image = NULL; /* the image file belongs to the QEMU card */
        long bad2 = run_target(&o, inproc, &cat, rep, &second, 0, &usage);
        o.base = keep;
        print_side_by_side(&first, &second);
        int differ = 0;
        for (size_t i = 0; i < conform_ncases; i++)
            differ |= first.v[i] != second.v[i];
        if (differ)
            printf("the QEMU image and the in-process card disagree\n");
        bad = bad2 < 0 ? -1 : bad + bad2 + differ;
    }
    if (bad < 0) {
        rc = usage ? 2 : 1;
        goto out;
    }
    if (((junit == fj || html == fh || json == fs) && make_dir(dir) != 0) ||
        rpt_write_junit(rep, junit, err, sizeof(err)) != 0 ||
        rpt_write_html(rep, html, err, sizeof(err)) != 0 ||
        rpt_write_json(rep, json, err, sizeof(err)) != 0) {
        fprintf(stderr, "obol: conform: writing the reports: %s\n", err[0] ? err : strerror(errno));
        rc = 1;
        goto out;
    }
    printf("report: %s\n        %s\n        %s\n", html, junit, json);
    rc = bad == 0 ? 0 : 1;
out:
    rpt_report_free(rep);
    rpt_catalog_free(&cat);
    return rc;
}

int obol_cmd_conform(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage_conform(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "card") == 0)
        return cmd_card(argc - 1, argv + 1);
    return obol_usage_error("conform: unknown subject '%s' (obol conform card)", argv[1]);
}
