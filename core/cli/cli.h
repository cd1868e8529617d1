/*
 * The obol command-line tool: shared declarations of its subcommands.
 * Each subcommand lives in its own cmd_*.c file, takes the arguments after its own
 * name (argv[0] is the subcommand name) and returns the process exit code:
 * 0 success, 1 a check or run failed, 2 a usage error (bad option, missing file).
 */
#ifndef OBOL_CLI_H
#define OBOL_CLI_H

#include <stdint.h>
#include <stdio.h>

int obol_cmd_demo(int argc, char **argv);
/* `obol day` (cmd_day.c): the day in miniature of the terminal kernel and the host. */
int obol_cmd_day(int argc, char **argv);
int obol_cmd_card(int argc, char **argv);
/* `obol card serve` (cmd_serve.c), dispatched by obol_cmd_card(). */
int obol_cmd_card_serve(int argc, char **argv);
/* `obol replay` (cmd_replay.c). */
int obol_cmd_replay(int argc, char **argv);
/* `obol conform` (cmd_conform.c, conform_cases.c). */
int obol_cmd_conform(int argc, char **argv);

/* Parses a whole unsigned number (decimal, 0x hex or 0 octal as strtoull reads them;
 * no sign, nothing after it) into *OUT. Returns 0, or -1 leaving *OUT alone. */
int obol_parse_u64(const char *s, uint64_t *out);

/* Prints "obol: MSG" to stderr (one line) and returns 2, for usage errors. */
int obol_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
