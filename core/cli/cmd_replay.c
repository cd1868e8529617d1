/*
 * `obol replay`: plays the commands of an APDU trace again and compares the answers.
 *
 *   obol replay TRACE [--card SPEC [--image F] [--seed N]]... [--reader TARGET]...
 *               [--qemu] [--only READER]... [--mask SPEC]... [--junit FILE]
 *
 * TRACE is an obol trace, a pcsc-spy log or a GlobalPlatformPro log (trace.h). Each
 * reader of the trace (in order of first appearance, or the --only ones in the order
 * given) is played against one target, in the order the targets were given: a virtual
 * card (--card, in process or --qemu) or a PC/SC reader (--reader pcsc:NAME). Power
 * events are replayed (a trace without them powers the card on before its first
 * command); every response is compared byte for byte, except for the bytes the masks
 * name (trace_mask.h). The first divergence stops the replay and is reported with the
 * exchanges before it. Exit: 0 every exchange matched, 1 a divergence (or a card that
 * did not answer), 2 bad usage or a malformed trace (FILE:LINE).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "link.h"
#include "obol/trace.h"
#include "obol/trace_mask.h"
#include "obol/trace_replay.h"

#define MAX_TARGETS 16

typedef struct target {
    char *spec_text; /* --card argument (owned; SPEC points into it), or NULL */
    vcard_spec spec;
    const char *reader; /* --reader TARGET, or NULL */
    link *link;
    int trace_reader; /* index in the trace, -1 unmapped */
} target;

typedef struct replay {
    trace_masks masks;
    target targets[MAX_TARGETS];
    size_t ntargets;
    int ignore_atr;
    unsigned context;
} replay;

static void usage_replay(FILE *f)
{
    fprintf(f, "usage: obol replay TRACE [OPTIONS]\n\n"
               "Replays the commands of TRACE (an obol trace, a pcsc-spy log or a\n"
               "GlobalPlatformPro 'A>>/A<<' log) against cards and compares every response\n"
               "with the one in the trace, exactly or under masks. Each reader of the trace is\n"
               "played against one target, in order (see --only).\n\n"
               "Targets (in the order of the trace's readers; default: one in-process\n"
               "default test card):\n"
               "  --card SPEC      a virtual card: PROFILE or key=value,... as in 'obol card\n"
               "                   serve' (profile=, image=, seed=, serial=, nvm=, qemu, elf=)\n"
               "  --image FILE     the NVM image of the last --card (kept across runs)\n"
               "  --seed N         the RNG seed of the last --card (default 0)\n"
               "  --qemu           every --card runs as the Cortex-M3 image under QEMU\n"
               "  --reader TARGET  pcsc:NAME (a PC/SC reader: full name, unique part or index),\n"
               "                   inproc:PROFILE or qemu[:PROFILE]\n"
               "  --only READER    replay only this reader of the trace (repeatable; the\n"
               "                   targets follow the --only order)\n\n"
               "Comparison:\n"
               "  --mask SPEC      ignore response bytes that legitimately vary: 'pboc',\n"
               "                   'gp', 'known' (both), or [CLA:]INS[/P1[/P2]]@OFF[+LEN]\n"
               "                   (hex header bytes or *, decimal data offset and length),\n"
               "                   e.g. --mask 84@0+8 (repeatable; docs/traces.md)\n"
               "  --ignore-atr     do not compare ATRs at power on\n"
               "  --context N      exchanges shown before a divergence (default 3)\n"
               "  --format F       auto (default), obol, pcsc-spy or gpp\n"
               "  --junit FILE     write a JUnit XML report (one test case per exchange)\n\n"
               "Exit codes: 0 every response matched, 1 a divergence or a card that did not\n"
               "answer, 2 bad usage or a malformed trace (FILE:LINE: what was expected).\n");
}

/* ---- targets: the CLI's links as trace_replay targets ------------------------------ */

static int tg_power_on(void *ctx, int warm, const uint8_t **atr, size_t *atrlen)
{
    return link_power_on(ctx, warm, atr, atrlen);
}

static int tg_power_off(void *ctx)
{
    return link_power_off(ctx);
}

static int tg_transmit(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                       size_t *rsplen)
{
    return link_transmit(ctx, cmd, len, rsp, cap, rsplen);
}

static int tg_is_powered(void *ctx)
{
    return ((const link *)ctx)->powered;
}

static const char *tg_errmsg(void *ctx)
{
    return link_errmsg(ctx);
}

static const trace_target_ops link_target_ops = {tg_power_on, tg_power_off, tg_transmit,
                                                 tg_is_powered, tg_errmsg};

/* Maps the trace's readers to the targets: a --card whose name= is a reader's name
 * takes that reader; the others take the remaining readers in order of first
 * appearance (or of --only). */
static int map_readers(replay *rp, const trace_log *t, char **only, size_t nonly)
{
    size_t nwant = nonly ? nonly : t->nreaders;
    int want[MAX_TARGETS];
    if (nwant > MAX_TARGETS)
        return obol_usage_error("replay: the trace has %zu readers; replay at most %d of them "
                                "at a time with --only",
                                nwant, MAX_TARGETS);
    for (size_t i = 0; i < nwant; i++) {
        want[i] = (int)i;
        if (nonly) {
            want[i] = -1;
            for (uint32_t k = 0; k < t->nreaders; k++)
                if (strcmp(t->readers[k], only[i]) == 0)
                    want[i] = (int)k;
            if (want[i] < 0)
                return obol_usage_error("replay: the trace has no reader \"%s\"", only[i]);
        }
    }
    if (rp->ntargets == 0) {
        rp->ntargets = 1; /* one in-process default test card */
        rp->targets[0].spec.name = "card";
    }
    if (rp->ntargets < nwant)
        return obol_usage_error("replay: the trace has %zu reader%s to replay (first \"%s\"), "
                                "but %zu target%s given: add --card/--reader targets or "
                                "choose with --only",
                                nwant, nwant == 1 ? "" : "s", t->readers[want[0]], rp->ntargets,
                                rp->ntargets == 1 ? " was" : "s were");
    int taken[MAX_TARGETS] = {0};
    for (size_t i = 0; i < rp->ntargets; i++) {
        target *tg = &rp->targets[i];
        tg->trace_reader = -1;
        for (size_t w = 0; tg->spec.name != NULL && w < nwant; w++)
            if (!taken[w] && strcmp(t->readers[want[w]], tg->spec.name) == 0) {
                tg->trace_reader = want[w];
                taken[w] = 1;
                break;
            }
    }
    size_t next = 0;
    for (size_t w = 0; w < nwant; w++) {
        if (taken[w])
            continue;
        while (next < rp->ntargets && rp->targets[next].trace_reader >= 0)
            next++;
        rp->targets[next++].trace_reader = want[w];
    }
    size_t unused = 0;
    for (size_t i = 0; i < rp->ntargets; i++)
        unused += rp->targets[i].trace_reader < 0;
    if (unused)
        fprintf(stderr, "obol: replay: %zu target%s more than the trace's readers, not used\n",
                unused, unused == 1 ? "" : "s");
    return 0;
}

static int add_card(replay *rp, const char *arg, char *err, size_t errlen)
{
    if (rp->ntargets == MAX_TARGETS)
        return snprintf(err, errlen, "at most %d targets", MAX_TARGETS), -1;
    target *tg = &rp->targets[rp->ntargets];
    if ((tg->spec_text = strdup(arg)) == NULL)
        return snprintf(err, errlen, "out of memory"), -1;
    rp->ntargets++;
    if (strcmp(tg->spec_text, "default") == 0)
        return 0;
    return vcard_spec_parse(tg->spec_text, &tg->spec, NULL, err, errlen);
}

int obol_cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"card", required_argument, NULL, 'c'},   {"image", required_argument, NULL, 'i'},
        {"seed", required_argument, NULL, 's'},   {"qemu", no_argument, NULL, 'q'},
        {"elf", required_argument, NULL, 'E'},    {"reader", required_argument, NULL, 'r'},
        {"only", required_argument, NULL, 'o'},   {"mask", required_argument, NULL, 'm'},
        {"ignore-atr", no_argument, NULL, 'A'},   {"context", required_argument, NULL, 'x'},
        {"format", required_argument, NULL, 'f'}, {"junit", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static replay rp;
    trace_log t;
    trace_replay tr;
    trace_target tts[MAX_TARGETS];
    trace_target **by_reader = NULL;
    trace_format fmt = TRACE_FMT_AUTO;
    char *only[MAX_TARGETS];
    size_t nonly = 0;
    const char *junit = NULL, *elf = NULL;
    int all_qemu = 0, rc = 2, c;
    char err[1024];
    uint64_t v;
    memset(&rp, 0, sizeof(rp));
    memset(&tr, 0, sizeof(tr));
    rp.context = 3;
    trace_log_init(&t);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (add_card(&rp, optarg, err, sizeof(err)) != 0) {
                obol_usage_error("replay: --card %s: %s", optarg, err);
                goto out;
            }
            break;
        case 'i':
        case 's':
            if (rp.ntargets == 0 || rp.targets[rp.ntargets - 1].reader != NULL) {
                obol_usage_error("replay: --%s belongs to a --card (give the --card first)",
                                 c == 'i' ? "image" : "seed");
                goto out;
            }
            if (c == 'i') {
                rp.targets[rp.ntargets - 1].spec.image = optarg;
            } else if (obol_parse_u64(optarg, &v) != 0) {
                obol_usage_error("replay: --seed needs a number >= 0, not '%s'", optarg);
                goto out;
            } else {
                rp.targets[rp.ntargets - 1].spec.seed = v;
            }
            break;
        case 'q':
            all_qemu = 1;
            break;
        case 'E':
            elf = optarg;
            break;
        case 'r':
            if (rp.ntargets == MAX_TARGETS) {
                obol_usage_error("replay: at most %d targets", MAX_TARGETS);
                goto out;
            }
            rp.targets[rp.ntargets++].reader = optarg;
            break;
        case 'o':
            if (nonly == MAX_TARGETS) {
                obol_usage_error("replay: at most %d --only readers", MAX_TARGETS);
                goto out;
            }
            only[nonly++] = optarg;
            break;
        case 'm':
            if (trace_mask_add(&rp.masks, optarg, err, sizeof(err)) != 0) {
                obol_usage_error("replay: %s", err);
                goto out;
            }
            break;
        case 'A':
            rp.ignore_atr = 1;
            break;
        case 'x':
            if (obol_parse_u64(optarg, &v) != 0 || v > 1000) {
                obol_usage_error("replay: --context needs 0..1000, not '%s'", optarg);
                goto out;
            }
            rp.context = (unsigned)v;
            break;
        case 'f':
            if (trace_format_parse(optarg, &fmt) != 0) {
                obol_usage_error("replay: --format is auto, obol, pcsc-spy or gpp, not '%s'",
                                 optarg);
                goto out;
            }
            break;
        case 'j':
            junit = optarg;
            break;
        case 'h':
            usage_replay(stdout);
            rc = 0;
            goto out;
        default:
            obol_usage_error("replay: unknown option '%s' (try 'obol replay --help')",
                             argv[optind - 1]);
            goto out;
        }
    }
    if (optind != argc - 1) {
        obol_usage_error("replay: expected one TRACE (try 'obol replay --help')");
        goto out;
    }
    if (trace_load(&t, argv[optind], fmt, err, sizeof(err)) != 0) {
        obol_usage_error("replay: %s", err);
        goto out;
    }
    if ((rc = map_readers(&rp, &t, only, nonly)) != 0)
        goto out;
    rc = 2;
    if ((by_reader = calloc(t.nreaders + 1, sizeof(*by_reader))) == NULL) {
        obol_usage_error("replay: out of memory");
        goto out;
    }
    for (size_t i = 0; i < rp.ntargets; i++) {
        target *tg = &rp.targets[i];
        if (tg->trace_reader < 0)
            continue;
        if (all_qemu)
            tg->spec.qemu = 1;
        if (elf != NULL && tg->spec.elf == NULL)
            tg->spec.elf = elf;
        if (tg->spec.name == NULL)
            tg->spec.name = t.readers[tg->trace_reader];
        int lr = tg->reader ? link_open(&tg->link, tg->reader, &tg->spec, err, sizeof(err))
                            : link_open_vcard(&tg->link, &tg->spec, err, sizeof(err));
        if (lr != 0) {
            if (lr == LINK_ERR_USAGE)
                obol_usage_error("replay: %s", err);
            else {
                fprintf(stderr, "obol: replay: %s\n", err);
                rc = 1;
            }
            goto out;
        }
        tts[i] = (trace_target){&link_target_ops, tg->link, tg->link->name};
        by_reader[tg->trace_reader] = &tts[i];
    }
    tr.t = &t;
    tr.masks = &rp.masks;
    tr.targets = by_reader;
    tr.ignore_atr = rp.ignore_atr;
    tr.context = rp.context;
    int prc = trace_replay_run(&tr);
    if (prc < 0) {
        fprintf(stderr, "obol: replay: %s\n", trace_strerror(prc));
        rc = 1;
        goto out;
    }
    if (prc == 1) {
        trace_replay_print(&tr, stdout);
        rc = 1;
    } else {
        size_t masked, nmasked;
        trace_replay_masked(&tr, &masked, &nmasked);
        size_t power = tr.nout - tr.nexchanges;
        printf("replay: %s: %zu exchange%s", t.path, tr.nexchanges, tr.nexchanges == 1 ? "" : "s");
        if (power)
            printf(" and %zu power-on%s", power, power == 1 ? "" : "s");
        printf(" replayed, all match");
        if (nmasked)
            printf(" (%zu bytes masked in %zu response%s)", masked, nmasked,
                   nmasked == 1 ? "" : "s");
        printf("\n");
        rc = 0;
    }
    if (junit != NULL && trace_replay_write_junit(&tr, junit) != 0) {
        fprintf(stderr, "obol: replay: cannot write %s: %s\n", junit, strerror(errno));
        rc = 1;
    }
out:
    for (size_t i = 0; i < rp.ntargets; i++) {
        if (link_close(rp.targets[i].link, err, sizeof(err)) != 0) {
            fprintf(stderr, "obol: replay: %s\n", err);
            if (rc == 0)
                rc = 1;
        }
        free(rp.targets[i].spec_text);
    }
    trace_replay_free(&tr);
    free(by_reader);
    trace_mask_free(&rp.masks);
    trace_log_free(&t);
    return rc;
}
