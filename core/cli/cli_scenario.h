/*
 * obol CLI: the scenario engine's subcommands (run, validate, list), each in its own
 * cmd_*.c file, and what they share: resolving a scenario argument (a path, or a name
 * of the library in scenarios/) and listing the library.
 */
#ifndef OBOL_CLI_SCENARIO_H
#define OBOL_CLI_SCENARIO_H

#include <stddef.h>

int obol_cmd_run(int argc, char **argv);
int obol_cmd_validate(int argc, char **argv);
int obol_cmd_list(int argc, char **argv);

/* Resolves ARG: an existing path as it is; a bare name (no '/', no ".xml") as
 * NAME.xml in the scenario library directory. Writes the path into OUT (CAP bytes).
 * Returns 0, or -1 when nothing by that name exists. */
int obol_scenario_path(const char *arg, char *out, size_t cap);

/* The library: the sorted paths of SCENARIO_DIR/NAME.xml files. Returns the count (the caller
 * frees each path and the array), or -1. */
int obol_scenario_library(char ***paths);

#endif
