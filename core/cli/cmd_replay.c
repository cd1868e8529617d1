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

#define MAX_TARGETS 16
#define RSP_CAP     (65536 + 2)

typedef struct target {
    char *spec_text; /* --card argument (owned; SPEC points into it), or NULL */
    vcard_spec spec;
    const char *reader; /* --reader TARGET, or NULL */
    link *link;
    int trace_reader; /* index in the trace, -1 unmapped */
} target;

/* One replayed exchange, for the report and JUnit. */
typedef struct outcome {
    size_t cmd_ev; /* index of the command event (or of the power event) */
    size_t num;    /* the exchange's number (1, 2, ...), 0 for a power event */
    size_t rsp_ev; /* index of the expected response, or (size_t)-1 */
    int status;    /* 0 match, 1 divergence, 2 not replayed */
    size_t masked; /* bytes masked */
    uint8_t *got;  /* what the card answered (owned), NULL when nothing */
    size_t gotlen;
    long diff;     /* first differing offset */
    char why[160]; /* mask or error text */
} outcome;

typedef struct replay {
    const trace_log *t;
    trace_masks masks;
    target targets[MAX_TARGETS];
    size_t ntargets;
    int ignore_atr;
    unsigned context;
    outcome *out;
    size_t nout;
    size_t nexchanges; /* APDU exchanges among the outcomes */
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

/* ---- printing ----------------------------------------------------------------------- */

/* Prints BYTES as hex; bytes with MASK set print as "..". */
static void put_hex(FILE *f, const uint8_t *b, size_t n, const uint8_t *mask)
{
    for (size_t i = 0; i < n; i++) {
        if (mask != NULL && mask[i])
            fputs("..", f);
        else
            fprintf(f, "%02X", b[i]);
    }
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
    return n >= 2 ? (uint16_t)(r[n - 2] << 8 | r[n - 1]) : 0;
}

static void print_context(const replay *rp, size_t k, FILE *f)
{
    size_t from = k > rp->context ? k - rp->context : 0;
    if (from == k)
        return;
    fprintf(f, "  before it:\n");
    for (size_t i = from; i < k; i++) {
        const outcome *o = &rp->out[i];
        const trace_event *e = &rp->t->ev[o->cmd_ev];
        char where[64];
        if (o->num)
            snprintf(where, sizeof(where), "#%zu line %u", o->num, (unsigned)e->line);
        else
            snprintf(where, sizeof(where), "line %u", (unsigned)e->line);
        fprintf(f, "    %-16s %s ", where, trace_kind_token(e->kind));
        put_hex(f, e->data, e->len, NULL);
        if (o->rsp_ev != (size_t)-1) {
            const trace_event *r = &rp->t->ev[o->rsp_ev];
            fprintf(f, "\n    %-16s < ", "");
            put_hex(f, r->data, r->len, NULL);
        }
        fprintf(f, "%s\n", o->masked ? "  (matched, masked)" : "  (matched)");
    }
}

static void print_divergence(const replay *rp, size_t k, const char *target_name, FILE *f)
{
    const outcome *o = &rp->out[k];
    const trace_event *e = &rp->t->ev[o->cmd_ev];
    const char *reader = rp->t->readers[e->reader];
    if (o->num)
        fprintf(f, "replay: DIVERGENCE at exchange %zu (%s:%u, reader \"%s\" -> %s)\n", o->num,
                rp->t->path, (unsigned)e->line, reader, target_name);
    else
        fprintf(f, "replay: DIVERGENCE at %s (%s:%u, reader \"%s\" -> %s)\n",
                e->kind == TRACE_RESET ? "a warm reset" : "power on", rp->t->path,
                (unsigned)e->line, reader, target_name);
    print_context(rp, k, f);
    if (e->kind != TRACE_CMD) {
        fprintf(f, "  %-9s %s\n", trace_kind_token(e->kind), "power event");
        fprintf(f, "  expected ATR ");
        put_hex(f, e->data, e->len, NULL);
        fprintf(f, "\n  got      ATR ");
        put_hex(f, o->got, o->gotlen, NULL);
        fprintf(f, "\n  %s\n", o->why);
        return;
    }
    const trace_event *r = &rp->t->ev[o->rsp_ev];
    uint8_t *mask = calloc(r->len ? r->len : 1, 1);
    if (mask != NULL)
        trace_mask_apply(&rp->masks, e->data, e->len, r->data, r->len, mask, NULL);
    fprintf(f, "  command  > ");
    put_hex(f, e->data, e->len, NULL);
    fprintf(f, "\n  expected < ");
    put_hex(f, r->data, r->len, mask);
    fprintf(f, "   (%s:%u)\n  got      < ", rp->t->path, (unsigned)r->line);
    if (o->got != NULL)
        put_hex(f, o->got, o->gotlen, NULL);
    else
        fputs("(no answer)", f);
    fputc('\n', f);
    if (o->got == NULL)
        fprintf(f, "  %s\n", o->why);
    else if (sw_of(r->data, r->len) != sw_of(o->got, o->gotlen))
        fprintf(f, "  the status word differs: expected %04X, got %04X\n", sw_of(r->data, r->len),
                sw_of(o->got, o->gotlen));
    else if (r->len != o->gotlen)
        fprintf(f, "  the length differs: expected %u data bytes, got %zu\n", r->len - 2,
                o->gotlen - 2);
    else
        fprintf(f, "  first difference at data byte %ld: expected %02X, got %02X\n", o->diff,
                r->data[o->diff], o->got[o->diff]);
    if (o->why[0] && o->got != NULL)
        fprintf(f, "  masked in this response: %s\n", o->why);
    free(mask);
}

/* ---- JUnit ---------------------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

static int write_junit(const replay *rp, const char *path, size_t first_bad)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    size_t failures = first_bad < rp->nout ? 1 : 0, skipped = 0;
    for (size_t i = 0; i < rp->nout; i++)
        skipped += rp->out[i].status == 2;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    fprintf(f, "  <testsuite name=\"replay ");
    xml_text(f, rp->t->path);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", rp->nout,
            failures, skipped);
    for (size_t i = 0; i < rp->nout; i++) {
        const outcome *o = &rp->out[i];
        const trace_event *e = &rp->t->ev[o->cmd_ev];
        char name[128];
        if (e->kind == TRACE_CMD)
            snprintf(name, sizeof(name), "#%zu %02X %02X %02X %02X (line %u)", o->num, e->data[0],
                     e->data[1], e->data[2], e->data[3], (unsigned)e->line);
        else
            snprintf(name, sizeof(name), "%s (line %u)", trace_kind_token(e->kind),
                     (unsigned)e->line);
        fprintf(f, "    <testcase classname=\"replay.");
        xml_text(f, rp->t->readers[e->reader]);
        fprintf(f, "\" name=\"");
        xml_text(f, name);
        fprintf(f, "\"");
        if (o->status == 0) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n");
        if (o->status == 2) {
            fprintf(f, "      <skipped message=\"not replayed after the divergence\"/>\n");
        } else {
            fprintf(f, "      <failure message=\"");
            char msg[256];
            if (o->got == NULL)
                snprintf(msg, sizeof(msg), "no answer: %s", o->why);
            else
                snprintf(msg, sizeof(msg), "response differs at byte %ld", o->diff);
            xml_text(f, msg);
            fprintf(f, "\">");
            if (o->rsp_ev != (size_t)-1) {
                const trace_event *r = &rp->t->ev[o->rsp_ev];
                fprintf(f, "expected ");
                put_hex(f, r->data, r->len, NULL);
                fprintf(f, "\ngot ");
                if (o->got != NULL)
                    put_hex(f, o->got, o->gotlen, NULL);
            }
            fprintf(f, "</failure>\n");
        }
        fprintf(f, "    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- the replay ----------------------------------------------------------------------- */

static target *target_of(replay *rp, uint32_t reader)
{
    for (size_t i = 0; i < rp->ntargets; i++)
        if (rp->targets[i].trace_reader == (int)reader)
            return &rp->targets[i];
    return NULL;
}

static outcome *new_outcome(replay *rp, size_t ev)
{
    outcome *o = &rp->out[rp->nout++];
    memset(o, 0, sizeof(*o));
    o->cmd_ev = ev;
    o->rsp_ev = (size_t)-1;
    if (rp->t->ev[ev].kind == TRACE_CMD)
        o->num = ++rp->nexchanges;
    return o;
}

/* Plays the trace. Returns the index of the diverging outcome, or RP->nout when all
 * matched. */
static size_t play(replay *rp, uint8_t *rsp)
{
    const trace_log *t = rp->t;
    for (size_t i = 0; i < t->nev; i++) {
        const trace_event *e = &t->ev[i];
        target *tg = target_of(rp, e->reader);
        if (tg == NULL || e->kind == TRACE_RSP)
            continue;
        link *l = tg->link;
        const uint8_t *atr;
        size_t atrlen;
        if (e->kind == TRACE_OFF) {
            link_power_off(l);
            continue;
        }
        outcome *o = new_outcome(rp, i);
        if (e->kind == TRACE_ON || e->kind == TRACE_RESET) {
            if (link_power_on(l, e->kind == TRACE_RESET, &atr, &atrlen) != 0) {
                snprintf(o->why, sizeof(o->why), "%s", link_errmsg(l));
                o->status = 1;
                return rp->nout - 1;
            }
            if (!rp->ignore_atr && e->len > 0 &&
                (atrlen != e->len || memcmp(atr, e->data, atrlen) != 0)) {
                o->got = malloc(atrlen ? atrlen : 1);
                if (o->got != NULL)
                    memcpy(o->got, atr, atrlen);
                o->gotlen = atrlen;
                snprintf(o->why, sizeof(o->why), "the ATR differs (--ignore-atr skips this)");
                o->status = 1;
                return rp->nout - 1;
            }
            continue;
        }
        /* a command: its response is the next event of the same reader */
        for (size_t j = i + 1; j < t->nev; j++)
            if (t->ev[j].reader == e->reader) {
                o->rsp_ev = j;
                break;
            }
        const trace_event *r = &t->ev[o->rsp_ev];
        size_t got = 0;
        int rc = 0;
        if (!l->powered) /* imported traces start with a powered card */
            rc = link_power_on(l, 0, &atr, &atrlen);
        if (rc == 0)
            rc = link_transmit(l, e->data, e->len, rsp, RSP_CAP, &got);
        if (rc != 0) {
            snprintf(o->why, sizeof(o->why), "%s", link_errmsg(l));
            o->status = 1;
            return rp->nout - 1;
        }
        const char *why = NULL;
        uint8_t *mask = malloc(r->len);
        o->diff =
            trace_mask_compare(&rp->masks, e->data, e->len, r->data, r->len, rsp, got, mask, &why);
        for (size_t k = 0; mask != NULL && k < r->len; k++)
            o->masked += mask[k];
        free(mask);
        if (why != NULL)
            snprintf(o->why, sizeof(o->why), "%s", why);
        if ((o->got = malloc(got)) != NULL)
            memcpy(o->got, rsp, got);
        o->gotlen = got;
        if (o->diff >= 0) {
            o->status = 1;
            return rp->nout - 1;
        }
    }
    return rp->nout;
}

/* Counts what play() did not reach, for the JUnit report. */
static void add_unplayed(replay *rp, size_t after_ev)
{
    for (size_t i = after_ev + 1; i < rp->t->nev; i++) {
        const trace_event *e = &rp->t->ev[i];
        if (target_of(rp, e->reader) == NULL || e->kind == TRACE_RSP || e->kind == TRACE_OFF)
            continue;
        outcome *o = new_outcome(rp, i);
        o->status = 2;
    }
}

/* Maps the trace's readers to the targets: a --card whose name= is a reader's name
 * takes that reader; the others take the remaining readers in order of first
 * appearance (or of --only). */
static int map_readers(replay *rp, char **only, size_t nonly)
{
    const trace_log *t = rp->t;
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

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = v;
    return 0;
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
    static uint8_t rsp[RSP_CAP];
    trace_log t;
    trace_format fmt = TRACE_FMT_AUTO;
    char *only[MAX_TARGETS];
    size_t nonly = 0;
    const char *junit = NULL, *elf = NULL;
    int all_qemu = 0, rc = 2, c;
    char err[1024];
    uint64_t v;
    memset(&rp, 0, sizeof(rp));
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
            } else if (parse_u64(optarg, &v) != 0) {
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
            if (parse_u64(optarg, &v) != 0 || v > 1000) {
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
    rp.t = &t;
    if ((rc = map_readers(&rp, only, nonly)) != 0)
        goto out;
    rc = 2;
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
    }
    if ((rp.out = calloc(t.nev + 1, sizeof(*rp.out))) == NULL) {
        rc = 1;
        goto out;
    }
    size_t bad = play(&rp, rsp);
    if (bad < rp.nout) {
        const target *tg = target_of(&rp, t.ev[rp.out[bad].cmd_ev].reader);
        print_divergence(&rp, bad, tg->link->name, stdout);
        add_unplayed(&rp, rp.out[bad].cmd_ev);
        rc = 1;
    } else {
        size_t masked = 0, nmasked = 0;
        for (size_t i = 0; i < rp.nout; i++)
            if (rp.out[i].masked) {
                masked += rp.out[i].masked;
                nmasked++;
            }
        size_t power = rp.nout - rp.nexchanges;
        printf("replay: %s: %zu exchange%s", t.path, rp.nexchanges, rp.nexchanges == 1 ? "" : "s");
        if (power)
            printf(" and %zu power-on%s", power, power == 1 ? "" : "s");
        printf(" replayed, all match");
        if (nmasked)
            printf(" (%zu bytes masked in %zu response%s)", masked, nmasked,
                   nmasked == 1 ? "" : "s");
        printf("\n");
        rc = 0;
    }
    if (junit != NULL && write_junit(&rp, junit, bad) != 0) {
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
    for (size_t i = 0; i < rp.nout; i++)
        free(rp.out[i].got);
    free(rp.out);
    trace_mask_free(&rp.masks);
    trace_log_free(&t);
    return rc;
}
