/*
 * `obol card ...`: work with one virtual card.
 *
 *   obol card exec [--profile NAME] [--image FILE] [--seed N] [--contactless]
 *                  [--echo] SCRIPT|-
 *
 * exec powers the card on, feeds it the APDU script (format in script.h) and prints
 * one line per APDU: the response in hex, data then SW. With --image the card's NVM
 * lives in FILE: a new file is personalized (from --profile, else the default test
 * card) and kept, an existing one is used as it is, so balances and counters persist
 * from run to run. The card's RNG is seeded from --seed (default 0), so a run is
 * reproducible.
 */
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
#include "script.h"

#define DEFAULT_NVM_SIZE 32768u

static void usage_card(FILE *out)
{
    fprintf(out, "usage: obol card exec [OPTIONS] SCRIPT|-\n\n"
                 "Subcommands:\n"
                 "  exec   run an APDU script against a virtual card\n\n"
                 "'obol card exec --help' describes the options.\n");
}

static void usage_exec(FILE *out)
{
    fprintf(out,
            "usage: obol card exec [OPTIONS] SCRIPT|-\n\n"
            "Powers a virtual card on and sends it the APDUs of SCRIPT (or standard input\n"
            "for '-'), printing one response per APDU in hex, data then SW.\n\n"
            "Script lines: an APDU in hex (spaces allowed between bytes), '# comments',\n"
            "blank lines, and the directives 'reset', 'power off', 'power on' (these print\n"
            "'ATR <hex>' when the card answers).\n\n"
            "  --profile NAME   personalize from profiles/NAME.profile (or a path); without\n"
            "                   it, the default test card (an MF with test files)\n"
            "  --image FILE     keep the card's NVM in FILE across runs (created and\n"
            "                   personalized when missing, used as it is otherwise)\n"
            "  --nvm-size N     bytes of NVM for a new card (default %u)\n"
            "  --serial N       card serial for the profile (default: the profile's)\n"
            "  --seed N         seed of the card's random number generator (default 0)\n"
            "  --contactless    power on through the contactless interface (ATS)\n"
            "  --echo           print each command ('> hex') before its response ('< hex')\n"
            "  --atr            print the ATR at power on ('ATR hex')\n\n"
            "Exit codes: 0 the script ran, 1 the card failed (a fault, no answer),\n"
            "2 bad usage or a malformed script (FILE:LINE: what was expected).\n",
            DEFAULT_NVM_SIZE);
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

static void print_hex(const char *prefix, const uint8_t *b, size_t n)
{
    fputs(prefix, stdout);
    for (size_t i = 0; i < n; i++)
        printf("%02X", b[i]);
    putchar('\n');
}

typedef struct exec_opts {
    const char *profile;
    const char *image;
    uint64_t serial;
    uint64_t seed;
    uint32_t nvm_size;
    unsigned iface;
    int echo;
    int atr;
} exec_opts;

/* Opens the card's NVM (file or memory) and personalizes it when it is new. Returns
 * 0, 1 (a card fault, reported) or 2 (usage, reported). */
static int open_card(const exec_opts *o, cos_host *h, cos_card *card)
{
    int fresh = 1;
    uint32_t size = o->nvm_size;
    int rc;
    if (o->image != NULL) {
        struct stat st;
        if (stat(o->image, &st) == 0) {
            if (st.st_size <= 0 || st.st_size > (off_t)UINT32_MAX)
                return obol_usage_error("card exec: %s: not a card image (size %lld)", o->image,
                                        (long long)st.st_size);
            size = (uint32_t)st.st_size;
            fresh = 0;
        }
        rc = cos_host_open_file(h, o->image, size, 64, o->seed);
    } else {
        rc = cos_host_open_mem(h, size, 64, o->seed);
    }
    if (rc != 0)
        return obol_usage_error("card exec: cannot open the card image%s%s: %s",
                                o->image ? " " : "", o->image ? o->image : "", cos_strerror(rc));
    cos_card_config cfg;
    cos_host_config(h, obol_rom_classes, obol_rom_nclasses, &cfg);
    if ((rc = cos_card_attach(card, &cfg)) != 0) {
        cos_host_close(h);
        fprintf(stderr, "obol: card exec: %s\n", cos_strerror(rc));
        return 1;
    }
    if (!fresh)
        return 0;
    if (o->profile != NULL) {
        char err[256];
        rc = cos_profile_apply(card, o->profile, o->serial, err, sizeof(err));
        if (rc != 0) {
            cos_host_close(h);
            if (o->image != NULL)
                remove(o->image); /* do not leave a half-personalized image behind */
            return obol_usage_error("card exec: %s", err);
        }
    } else if ((rc = cos_perso_default(card, 0, 0)) != 0) {
        cos_host_close(h);
        if (o->image != NULL)
            remove(o->image);
        fprintf(stderr, "obol: card exec: personalizing the default card: %s\n", cos_strerror(rc));
        return 1;
    }
    return 0;
}

static int power_on(const exec_opts *o, cos_card *card, unsigned flags, int print)
{
    uint8_t atr[64];
    size_t atrlen = 0;
    int rc = cos_power_on(card, o->iface | flags, 0, atr, sizeof(atr), &atrlen);
    if (rc != 0) {
        fprintf(stderr, "obol: card exec: power on: %s\n", cos_strerror(rc));
        return 1;
    }
    if (print)
        print_hex("ATR ", atr, atrlen);
    return 0;
}

static int run_script(const exec_opts *o, script_reader *r, cos_card *card)
{
    static script_step step;
    static uint8_t rsp[COS_RESP_MAX + 2];
    char err[256];
    uint64_t now = 0;
    int rc = power_on(o, card, 0, o->atr || o->echo);
    while (rc == 0) {
        if (script_next(r, &step, err, sizeof(err)) != 0)
            return obol_usage_error("card exec: %s", err);
        if (step.kind == SCRIPT_END)
            break;
        switch (step.kind) {
        case SCRIPT_RESET:
            rc = power_on(o, card, COS_RESET_WARM, 1);
            continue;
        case SCRIPT_POWER_OFF:
            cos_power_off(card);
            continue;
        case SCRIPT_POWER_ON:
            rc = power_on(o, card, 0, 1);
            continue;
        default:
            break;
        }
        if (o->echo)
            print_hex("> ", step.apdu, step.len);
        size_t rsplen = 0;
        int trc = cos_transmit(card, ++now, step.apdu, step.len, rsp, sizeof(rsp), &rsplen);
        if (trc != 0) {
            fprintf(stderr, "obol: card exec: %s:%u: the card did not answer: %s\n", r->name,
                    step.line, cos_strerror(trc));
            return 1;
        }
        print_hex(o->echo ? "< " : "", rsp, rsplen);
    }
    cos_power_off(card);
    return rc;
}

static int cmd_exec(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'p'},  {"image", required_argument, NULL, 'i'},
        {"nvm-size", required_argument, NULL, 'n'}, {"serial", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 's'},     {"contactless", no_argument, NULL, 'c'},
        {"echo", no_argument, NULL, 'e'},           {"atr", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    exec_opts o = {.nvm_size = DEFAULT_NVM_SIZE, .iface = COS_IF_CONTACT};
    uint64_t v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o.profile = optarg;
            break;
        case 'i':
            o.image = optarg;
            break;
        case 'n':
            if (parse_u64(optarg, &v) != 0 || v < 1024 || v > 65535u * COS_NVM_ALIGN)
                return obol_usage_error("card exec: --nvm-size needs 1024..%u bytes, not '%s'",
                                        65535u * COS_NVM_ALIGN, optarg);
            o.nvm_size = (uint32_t)v;
            break;
        case 'S':
            if (parse_u64(optarg, &o.serial) != 0 || o.serial == 0)
                return obol_usage_error("card exec: --serial needs a number > 0, not '%s'", optarg);
            break;
        case 's':
            if (parse_u64(optarg, &o.seed) != 0)
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
        case 'h':
            usage_exec(stdout);
            return 0;
        default:
            return obol_usage_error("card exec: unknown option '%s' (try 'obol card exec --help')",
                                    argv[optind - 1]);
        }
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
    cos_host h;
    cos_card *card = malloc(sizeof(*card));
    int rc = card == NULL ? 1 : open_card(&o, &h, card);
    if (rc == 0) {
        rc = run_script(&o, &r, card);
        cos_host_close(&h);
    }
    free(card);
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
    return obol_usage_error("card: unknown subcommand '%s' (try 'obol card --help')", argv[1]);
}
