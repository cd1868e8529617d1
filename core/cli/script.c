/*
 * The APDU script reader of `obol card exec` (format in script.h).
 */
#include "script.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* True when the text from P, up to a comment or the end, is only WORD (case-blind)
 * with blanks around it. */
static int is_word(const char *p, const char *word)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(word);
    if (strncasecmp(p, word, n) != 0)
        return 0;
    p += n;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '\0' || *p == '#';
}

int script_parse_line(const char *text, script_step *step, char *err, size_t errlen)
{
    step->len = 0;
    step->kind = SCRIPT_END; /* "nothing on this line" to the caller */
    if (is_word(text, "reset")) {
        step->kind = SCRIPT_RESET;
        return 0;
    }
    if (is_word(text, "power off")) {
        step->kind = SCRIPT_POWER_OFF;
        return 0;
    }
    if (is_word(text, "power on")) {
        step->kind = SCRIPT_POWER_ON;
        return 0;
    }
    int hi = -1; /* the high nibble waiting for its pair */
    size_t col = 0;
    for (const char *p = text; *p != '\0' && *p != '#'; p++, col++) {
        if (*p == ' ' || *p == '\t' || *p == '\r')
            continue;
        int v = hexval((unsigned char)*p);
        if (v < 0) {
            snprintf(err, errlen, "column %zu: expected a hex digit, a space or '#', found '%c'",
                     col + 1, isprint((unsigned char)*p) ? *p : '?');
            return -1;
        }
        if (hi < 0) {
            hi = v;
            /* A nibble pair may not be split by a blank: "0 0" is a mistake. */
            if (p[1] == ' ' || p[1] == '\t' || p[1] == '\0' || p[1] == '#' || p[1] == '\r') {
                snprintf(err, errlen, "column %zu: expected two hex digits per byte", col + 1);
                return -1;
            }
            continue;
        }
        if (step->len == SCRIPT_APDU_MAX) {
            snprintf(err, errlen, "the APDU is longer than %d bytes", SCRIPT_APDU_MAX);
            return -1;
        }
        step->apdu[step->len++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (step->len == 0)
        return 0;
    if (step->len < 4) {
        snprintf(err, errlen, "expected an APDU of at least 4 bytes (CLA INS P1 P2), found %zu",
                 step->len);
        return -1;
    }
    step->kind = SCRIPT_APDU;
    return 0;
}

int script_next(script_reader *r, script_step *step, char *err, size_t errlen)
{
    for (;;) {
        ssize_t n = getline(&r->buf, &r->cap, r->f);
        if (n < 0) {
            if (ferror(r->f)) {
                snprintf(err, errlen, "%s:%u: read error", r->name, r->line + 1);
                return -1;
            }
            step->kind = SCRIPT_END;
            return 0;
        }
        r->line++;
        if (n > 0 && r->buf[n - 1] == '\n')
            r->buf[--n] = '\0';
        char what[160];
        if (script_parse_line(r->buf, step, what, sizeof(what)) != 0) {
            snprintf(err, errlen, "%s:%u: %s", r->name, r->line, what);
            return -1;
        }
        step->line = r->line;
        if (step->kind != SCRIPT_END)
            return 0;
    }
}

void script_reader_free(script_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}
