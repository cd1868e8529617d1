/*
 * `obol card ...`: work with one virtual card.
 *
 *   obol card exec [--profile NAME] [--image FILE] [--card NAME=PROFILE[@IMAGE]]...
 *                  [--seed N] [--contactless] [--echo] SCRIPT|-
 *
 * exec powers the cards on, feeds them the APDU script (format in script.h) and prints
 * one line per APDU: the response in hex, data then SW. With an image the card's NVM
 * lives in a file: a new file is personalized (from the profile, else the default
 * test card) and kept, an existing one is used as it is, so balances and counters
 * persist from run to run. Several cards (a purse and a PSAM, say) take part in one
 * script through --card and "name>" prefixes; a response saved with "=> var" feeds
 * later commands through $var[a:b], which is how a terminal's purchase is scripted.
 * Card i's RNG is seeded with --seed + i (default 0), so a run is reproducible.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "obol/trace.h"
#include "script.h"

#define DEFAULT_NVM_SIZE 32768u

static void usage_card(FILE *out)
{
    fprintf(out, "usage: obol card exec [OPTIONS] SCRIPT|-\n"
                 "       obol card serve --card SPEC [--card SPEC]... [OPTIONS]\n\n"
                 "Subcommands:\n"
                 "  exec   run an APDU script against a virtual card\n"
                 "  serve  present virtual cards to PC/SC applications through vpcd\n\n"
                 "'obol card exec --help' and 'obol card serve --help' describe the options.\n");
}

static void usage_exec(FILE *out)
{
    fprintf(out,
            "usage: obol card exec [OPTIONS] SCRIPT|-\n\n"
            "Powers a virtual card on and sends it the APDUs of SCRIPT (or standard input\n"
            "for '-'), printing one response per APDU in hex, data then SW.\n\n"
            "Script lines: an APDU in hex (spaces allowed between bytes), '# comments',\n"
            "blank lines, and the directives 'reset', 'power off', 'power on' (these print\n"
            "'ATR <hex>' when the card answers). 'NAME>' before a line sends it to card\n"
            "NAME; '=> VAR' after an APDU saves its response data, and $VAR[A:B] (bytes A\n"
            "to B-1) or $VAR in a later APDU stands for those bytes.\n\n"
            "  --profile NAME   personalize from profiles/NAME.profile (or a path); without\n"
            "                   it, the default test card (an MF with test files)\n"
            "  --image FILE     keep the card's NVM in FILE across runs (created and\n"
            "                   personalized when missing, used as it is otherwise)\n"
            "  --card NAME=PROFILE[@IMAGE]\n"
            "                   a card named NAME for 'NAME>' script lines (repeatable;\n"
            "                   PROFILE 'default' is the default test card); the first\n"
            "                   one also takes the lines without a name\n"
            "  --nvm-size N     bytes of NVM for a new card (default %u)\n"
            "  --serial N       card serial for the profile (default: the profile's)\n"
            "  --seed N         seed of the cards' random number generators (card i: N+i;\n"
            "                   default 0)\n"
            "  --contactless    power on through the contactless interface (ATS)\n"
            "  --echo           print each command ('> hex') before its response ('< hex')\n"
            "  --atr            print the ATR at power on ('ATR hex')\n"
            "  --trace FILE     write the power events and APDUs to FILE (obol trace format,\n"
            "                   docs/traces.md; replay it with 'obol replay')\n\n"
            "Exit codes: 0 the script ran, 1 the card failed (a fault, no answer),\n"
            "2 bad usage or a malformed script (FILE:LINE: what was expected).\n",
            DEFAULT_NVM_SIZE);
}

static void print_hex(const char *prefix, const uint8_t *b, size_t n)
{
    fputs(prefix, stdout);
    for (size_t i = 0; i < n; i++)
        printf("%02X", b[i]);
    putchar('\n');
}

#define MAX_CARDS 8

typedef struct exec_card {
    char name[SCRIPT_NAME_MAX + 1];
    const char *profile; /* NULL: the default test card */
    const char *image;   /* NULL: in memory */
    cos_host h;
    cos_card *card;
    int open;
} exec_card;

typedef struct saved_rsp {
    char name[SCRIPT_NAME_MAX + 1];
    uint8_t *data;
    size_t len;
} saved_rsp;

typedef struct exec_opts {
    exec_card cards[MAX_CARDS];
    int ncards;
    saved_rsp *saved;
    size_t nsaved;
    uint64_t serial;
    uint64_t seed;
    uint32_t nvm_size;
    unsigned iface;
    int echo;
    int atr;
    const char *trace;
    trace_writer *tw; /* open when --trace was given */
} exec_opts;

/* Opens card C's NVM (file or memory) and personalizes it when it is new. Returns 0,
 * 1 (a card fault, reported) or 2 (usage, reported). */
static int open_card(const exec_opts *o, exec_card *c, uint64_t seed)
{
    int fresh = 1;
    uint32_t size = o->nvm_size;
    cos_host *h = &c->h;
    int rc;
    if (c->image != NULL) {
        struct stat st;
        if (stat(c->image, &st) == 0) {
            if (st.st_size <= 0 || st.st_size > (off_t)UINT32_MAX)
                return obol_usage_error("card exec: %s: not a card image (size %lld)", c->image,
                                        (long long)st.st_size);
            size = (uint32_t)st.st_size;
            fresh = 0;
        }
        rc = cos_host_open_file(h, c->image, size, 64, seed);
    } else {
        rc = cos_host_open_mem(h, size, 64, seed);
    }
    if (rc != 0)
        return obol_usage_error("card exec: cannot open the card image%s%s: %s",
                                c->image ? " " : "", c->image ? c->image : "", cos_strerror(rc));
    cos_card_config cfg;
    cos_host_config(h, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((c->card = malloc(sizeof(*c->card))) == NULL || (rc = cos_card_attach(c->card, &cfg)) != 0)
        goto fault;
    if (fresh && c->profile != NULL) {
        char err[256];
        rc = cos_profile_apply(c->card, c->profile, o->serial, err, sizeof(err));
        if (rc != 0) {
            cos_host_close(h);
            free(c->card);
            if (c->image != NULL)
                remove(c->image); /* do not leave a half-personalized image behind */
            return obol_usage_error("card exec: %s", err);
        }
    } else if (fresh && (rc = cos_perso_default(c->card, 0, 0)) != 0) {
        goto fault;
    }
    c->open = 1;
    return 0;
fault:
    fprintf(stderr, "obol: card exec: card %s: %s\n", c->name,
            c->card ? cos_strerror(rc) : "out of memory");
    cos_host_close(h);
    free(c->card);
    if (fresh && c->image != NULL)
        remove(c->image);
    return 1;
}

static void close_card(exec_card *c)
{
    if (!c->open)
        return;
    cos_power_off(c->card);
    cos_host_close(&c->h);
    free(c->card);
    c->open = 0;
}

static int power_on(const exec_opts *o, exec_card *c, unsigned flags, int print)
{
    uint8_t atr[64];
    size_t atrlen = 0;
    int rc = cos_power_on(c->card, o->iface | flags, 0, atr, sizeof(atr), &atrlen);
    if (rc != 0) {
        fprintf(stderr, "obol: card exec: %s: power on: %s\n", c->name, cos_strerror(rc));
        return 1;
    }
    if (print) {
        if (o->ncards > 1)
            printf("%s ", c->name);
        print_hex("ATR ", atr, atrlen);
    }
    if (o->tw != NULL) /* the trace's reader is the card's name */
        trace_write(o->tw, c->name, (flags & COS_RESET_WARM) ? TRACE_RESET : TRACE_ON, atr, atrlen);
    return 0;
}

static int lookup_saved(void *ctx, const char *name, const uint8_t **data, size_t *len)
{
    const exec_opts *o = ctx;
    for (size_t i = 0; i < o->nsaved; i++)
        if (strcmp(o->saved[i].name, name) == 0) {
            *data = o->saved[i].data;
            *len = o->saved[i].len;
            return 0;
        }
    return -1;
}

/* Saves LEN bytes under NAME, replacing what was saved there. Returns 0 or -1. */
static int save_rsp(exec_opts *o, const char *name, const uint8_t *data, size_t len)
{
    saved_rsp *s = NULL;
    for (size_t i = 0; i < o->nsaved; i++)
        if (strcmp(o->saved[i].name, name) == 0)
            s = &o->saved[i];
    if (s == NULL) {
        saved_rsp *n = realloc(o->saved, (o->nsaved + 1) * sizeof(*n));
        if (n == NULL)
            return -1;
        o->saved = n;
        s = &n[o->nsaved++];
        snprintf(s->name, sizeof(s->name), "%s", name);
        s->data = NULL;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, data, len);
    free(s->data);
    s->data = copy;
    s->len = len;
    return 0;
}

static exec_card *find_card(exec_opts *o, const char *name)
{
    if (name[0] == '\0')
        return &o->cards[0];
    for (int i = 0; i < o->ncards; i++)
        if (strcmp(o->cards[i].name, name) == 0)
            return &o->cards[i];
    return NULL;
}

static int run_script(exec_opts *o, script_reader *r)
{
    static script_step step;
    static uint8_t rsp[COS_RESP_MAX + 2];
    char err[300];
    uint64_t now = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < o->ncards; i++)
        rc = power_on(o, &o->cards[i], 0, o->atr || o->echo);
    r->lookup = lookup_saved;
    r->lookup_ctx = o;
    while (rc == 0) {
        if (script_next(r, &step, err, sizeof(err)) != 0)
            return obol_usage_error("card exec: %s", err);
        if (step.kind == SCRIPT_END)
            break;
        exec_card *c = find_card(o, step.card);
        if (c == NULL)
            return obol_usage_error("card exec: %s:%u: no card named '%s' (declare it with "
                                    "--card %s=PROFILE)",
                                    r->name, step.line, step.card, step.card);
        switch (step.kind) {
        case SCRIPT_RESET:
            rc = power_on(o, c, COS_RESET_WARM, 1);
            continue;
        case SCRIPT_POWER_OFF:
            cos_power_off(c->card);
            if (o->tw != NULL)
                trace_write(o->tw, c->name, TRACE_OFF, NULL, 0);
            continue;
        case SCRIPT_POWER_ON:
            rc = power_on(o, c, 0, 1);
            continue;
        default:
            break;
        }
        if (o->echo) {
            printf("%s", o->ncards > 1 ? c->name : "");
            print_hex("> ", step.apdu, step.len);
        }
        size_t rsplen = 0;
        int trc = cos_transmit(c->card, ++now, step.apdu, step.len, rsp, sizeof(rsp), &rsplen);
        if (trc != 0) {
            fprintf(stderr, "obol: card exec: %s:%u: card %s did not answer: %s\n", r->name,
                    step.line, c->name, cos_strerror(trc));
            return 1;
        }
        if (o->echo)
            printf("%s", o->ncards > 1 ? c->name : "");
        print_hex(o->echo ? "< " : "", rsp, rsplen);
        if (o->tw != NULL) {
            trace_write(o->tw, c->name, TRACE_CMD, step.apdu, step.len);
            trace_write(o->tw, c->name, TRACE_RSP, rsp, rsplen);
        }
        if (step.save[0] != '\0' && save_rsp(o, step.save, rsp, rsplen - 2) != 0) {
            fprintf(stderr, "obol: card exec: out of memory\n");
            return 1;
        }
    }
    return rc;
}

/* Parses NAME=PROFILE[@IMAGE] into card C. Returns 0 or -1. */
static int parse_card_spec(char *spec, exec_card *c)
{
    char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec || (size_t)(eq - spec) > SCRIPT_NAME_MAX || eq[1] == '\0')
        return -1;
    for (char *p = spec; p < eq; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return -1;
    memcpy(c->name, spec, (size_t)(eq - spec));
    c->name[eq - spec] = '\0';
    char *at = strchr(eq + 1, '@');
    if (at != NULL) {
        *at = '\0';
        if (at[1] == '\0')
            return -1;
        c->image = at + 1;
    }
    c->profile = strcmp(eq + 1, "default") == 0 ? NULL : eq + 1;
    return 0;
}

static int cmd_exec(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'p'}, {"image", required_argument, NULL, 'i'},
        {"card", required_argument, NULL, 'C'},    {"nvm-size", required_argument, NULL, 'n'},
        {"serial", required_argument, NULL, 'S'},  {"seed", required_argument, NULL, 's'},
        {"contactless", no_argument, NULL, 'c'},   {"echo", no_argument, NULL, 'e'},
        {"atr", no_argument, NULL, 'a'},           {"trace", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static exec_opts o;
    memset(&o, 0, sizeof(o));
    o.nvm_size = DEFAULT_NVM_SIZE;
    o.iface = COS_IF_CONTACT;
    const char *profile = NULL, *image = NULL;
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            profile = optarg;
            break;
        case 'i':
            image = optarg;
            break;
        case 'C':
            if (o.ncards == MAX_CARDS)
                return obol_usage_error("card exec: at most %d cards", MAX_CARDS);
            if (parse_card_spec(optarg, &o.cards[o.ncards]) != 0)
                return obol_usage_error("card exec: --card needs NAME=PROFILE[@IMAGE], not '%s'",
                                        optarg);
            if (find_card(&o, o.cards[o.ncards].name) != NULL)
                return obol_usage_error("card exec: two cards named '%s'", o.cards[o.ncards].name);
            o.ncards++;
            break;
        case 'n':
            if (obol_parse_u64(optarg, &v) != 0 || v < 1024 || v > 65535u * COS_NVM_ALIGN)
                return obol_usage_error("card exec: --nvm-size needs 1024..%u bytes, not '%s'",
                                        65535u * COS_NVM_ALIGN, optarg);
            o.nvm_size = (uint32_t)v;
            break;
        case 'S':
            if (obol_parse_u64(optarg, &o.serial) != 0 || o.serial == 0)
                return obol_usage_error("card exec: --serial needs a number > 0, not '%s'", optarg);
            break;
        case 's':
            if (obol_parse_u64(optarg, &o.seed) != 0)
                return obol_usage_error("card exec: --seed needs a number >= 0, not '%s'", optarg);
            break;
        case 'c':
            o.iface = COS_IF_CONTACTLESS;
            break;
        case 'e':
            o.echo = 1;
            break;
        case 'a':
            o.atr = 1;
            break;
        case 't':
            o.trace = optarg;
            break;
        case 'h':
            usage_exec(stdout);
            return 0;
        default:
            return obol_usage_error("card exec: unknown option '%s' (try 'obol card exec --help')",
                                    argv[optind - 1]);
        }
    }
    if (o.ncards > 0 && (profile != NULL || image != NULL))
        return obol_usage_error("card exec: use --card NAME=PROFILE[@IMAGE] for every card, "
                                "or --profile/--image for a single one");
    if (o.ncards == 0) {
        snprintf(o.cards[0].name, sizeof(o.cards[0].name), "card");
        o.cards[0].profile = profile;
        o.cards[0].image = image;
        o.ncards = 1;
    }
    if (optind != argc - 1)
        return obol_usage_error("card exec: expected one SCRIPT (or '-' for standard input)");
    const char *path = argv[optind];
    script_reader r = {.name = path};
    if (strcmp(path, "-") == 0) {
        r.f = stdin;
        r.name = "<stdin>";
    } else if ((r.f = fopen(path, "r")) == NULL) {
        return obol_usage_error("card exec: cannot open %s: %s", path, strerror(errno));
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < o.ncards; i++)
        rc = open_card(&o, &o.cards[i], o.seed + (uint64_t)i);
    trace_writer tw;
    if (rc == 0 && o.trace != NULL) {
        if (trace_writer_open(&tw, o.trace, "obol card exec", 0) != 0)
            rc = obol_usage_error("card exec: cannot write the trace %s: %s", o.trace,
                                  strerror(errno));
        else
            o.tw = &tw;
    }
    if (rc == 0)
        rc = run_script(&o, &r);
    for (int i = 0; i < o.ncards; i++) {
        if (o.tw != NULL && o.cards[i].open && cos_is_powered(o.cards[i].card))
            trace_write(o.tw, o.cards[i].name, TRACE_OFF, NULL, 0);
        close_card(&o.cards[i]);
    }
    if (o.tw != NULL && trace_writer_close(o.tw) != 0 && rc == 0) {
        fprintf(stderr, "obol: card exec: writing the trace %s failed\n", o.trace);
        rc = 1;
    }
    for (size_t i = 0; i < o.nsaved; i++)
        free(o.saved[i].data);
    free(o.saved);
    script_reader_free(&r);
    if (r.f != stdin)
        fclose(r.f);
    return rc;
}

int obol_cmd_card(int argc, char **argv)
{
    if (argc < 2) {
        usage_card(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage_card(stdout);
        return 0;
    }
    if (strcmp(argv[1], "exec") == 0)
        return cmd_exec(argc - 1, argv + 1);
    if (strcmp(argv[1], "serve") == 0)
        return obol_cmd_card_serve(argc - 1, argv + 1);
    return obol_usage_error("card: unknown subcommand '%s' (try 'obol card --help')", argv[1]);
}
