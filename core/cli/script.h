/*
 * APDU scripts for `obol card exec`: a line-oriented text format.
 *
 *   # a comment; blank lines are ignored
 *   00 A4 04 00 07 F0 6F 62 6F 6C 41 01     an APDU in hex, spaces anywhere between
 *                                          nibble pairs; a trailing "# comment" is fine
 *   reset                                   warm reset (the ATR is printed)
 *   power off / power on                    power cycle (the ATR is printed at power on)
 *
 * Parsing reports the first problem as "FILE:LINE: what was expected".
 */
#ifndef OBOL_CLI_SCRIPT_H
#define OBOL_CLI_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SCRIPT_APDU_MAX 65544 /* extended case 4: 7 header + 65535 data + 2 Le */

typedef enum script_kind {
    SCRIPT_END = 0,
    SCRIPT_APDU,
    SCRIPT_RESET,
    SCRIPT_POWER_OFF,
    SCRIPT_POWER_ON,
} script_kind;

typedef struct script_reader {
    FILE *f;
    const char *name; /* for messages */
    unsigned line;
    char *buf; /* getline() buffer */
    size_t cap;
} script_reader;

typedef struct script_step {
    script_kind kind;
    unsigned line;
    size_t len;
    uint8_t apdu[SCRIPT_APDU_MAX];
} script_step;

/* Reads the next step from R into STEP. Returns 0 (STEP->kind SCRIPT_END at the end
 * of input), or -1 with a one-line "NAME:LINE: problem" in ERR. */
int script_next(script_reader *r, script_step *step, char *err, size_t errlen);

/* Parses one line of text (without a newline) into STEP. Exposed for tests. */
int script_parse_line(const char *text, script_step *step, char *err, size_t errlen);

void script_reader_free(script_reader *r);

#endif
