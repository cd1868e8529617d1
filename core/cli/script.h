/*
 * APDU scripts for `obol card exec`: a line-oriented text format.
 *
 *   # a comment; blank lines are ignored
 *   00 A4 04 00 07 F0 6F 62 6F 6C 41 01     an APDU in hex, blanks anywhere between
 *                                          bytes; a trailing "# comment" is fine
 *   sam> 00 B0 96 00 06                     the same, sent to the card named "sam"
 *                                          (exec --card sam=PROFILE); without a
 *                                          name, to the first card
 *   80 70 00 00 24 $init[11:15] ...         $NAME[A:B] stands for bytes A..B-1 of the
 *                                          response data saved as NAME; $NAME for all
 *   80 50 01 02 0B ... => init              saves this response's data (without the
 *                                          SW) as "init"
 *   reset                                   warm reset (the ATR is printed);
 *   power off / power on                    power cycle; both take a "name>" prefix
 *
 * Parsing reports the first problem as "FILE:LINE: column C: what was expected".
 */
#ifndef OBOL_CLI_SCRIPT_H
#define OBOL_CLI_SCRIPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SCRIPT_APDU_MAX 65544 /* extended case 4: 7 header + 65535 data + 2 Le */
#define SCRIPT_NAME_MAX 31

typedef enum script_kind {
    SCRIPT_END = 0,
    SCRIPT_APDU,
    SCRIPT_RESET,
    SCRIPT_POWER_OFF,
    SCRIPT_POWER_ON,
} script_kind;

/* Looks up the saved response NAME (NUL-terminated): sets *DATA and *LEN and returns
 * 0, or returns -1 when nothing is saved under that name. */
typedef int (*script_lookup_fn)(void *ctx, const char *name, const uint8_t **data, size_t *len);

typedef struct script_reader {
    FILE *f;
    const char *name; /* for messages */
    unsigned line;
    char *buf; /* getline() buffer */
    size_t cap;
    script_lookup_fn lookup; /* may be NULL: then any $NAME is an error */
    void *lookup_ctx;
} script_reader;

typedef struct script_step {
    script_kind kind;
    unsigned line;
    char card[SCRIPT_NAME_MAX + 1]; /* the "name>" prefix, "" for the default card */
    char save[SCRIPT_NAME_MAX + 1]; /* the "=> name" suffix, "" for none */
    size_t len;
    uint8_t apdu[SCRIPT_APDU_MAX];
} script_step;

/* Reads the next step from R into STEP, substituting $NAME references through R's
 * lookup. Returns 0 (STEP->kind SCRIPT_END at the end of input), or -1 with a
 * one-line "NAME:LINE: problem" in ERR. */
int script_next(script_reader *r, script_step *step, char *err, size_t errlen);

/* Parses one line of text (without a newline) into STEP. Exposed for tests. */
int script_parse_line(const char *text, script_lookup_fn lookup, void *ctx, script_step *step,
                      char *err, size_t errlen);

void script_reader_free(script_reader *r);

#endif
