/*
 * The `obol` command-line tool: dispatches to a subcommand.
 *
 *   obol [--version | --help] COMMAND [OPTIONS] [ARGS]
 *
 * Exit codes, for every subcommand: 0 success, 1 the job ran and something failed,
 * 2 bad usage (unknown option, missing file) with a one-line message on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_scenario.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"demo", obol_cmd_demo, "run the kernel's demonstration model (a gate bank at peak)"},
    {"card", obol_cmd_card, "work with a virtual card (exec an APDU script, serve it to PC/SC)"},
    {"replay", obol_cmd_replay, "replay an APDU trace against a card and report divergences"},
    {"conform", obol_cmd_conform, "run the card conformance suite against a card or a reader"},
    {"day", obol_cmd_day, "play a day in miniature: cards, terminals, host, settlement"},
    {"run", obol_cmd_run, "play scenarios and write the conformance report"},
    {"validate", obol_cmd_validate, "check scenario files against the schema"},
    {"list", obol_cmd_list, "list the scenario library"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int obol_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("obol: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

int obol_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: obol [--version] [--help] COMMAND [OPTIONS] [ARGS]\n\n"
                 "obol simulates multi-application financial IC cards, their terminals and\n"
                 "their host platform, and checks them against the specifications.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'obol COMMAND --help' describes a command.\n"
                 "exit codes: 0 success, 1 a run or check failed, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("obol %s\n", OBOL_VERSION);
        return 0;
    }
    if (arg[0] == '-')
        return obol_usage_error("unknown option '%s' (try 'obol --help')", arg);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(arg, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    return obol_usage_error("unknown command '%s' (try 'obol --help')", arg);
}
