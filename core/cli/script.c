/*
 * The APDU script reader of `obol card exec` (format in script.h).
 */
#include "script.h"

#include <ctype.h>
#include <stdarg.h>
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

static int is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-';
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* True when the text from P, up to a comment or the end, is only WORD (case-blind)
 * with blanks around it. */
static int is_word(const char *p, const char *word)
{
    p = skip_blanks(p);
    size_t n = strlen(word);
    if (strncasecmp(p, word, n) != 0)
        return 0;
    p = skip_blanks(p + n);
    return *p == '\0' || *p == '#';
}

/* Reads a name at *P into OUT; returns its length (0 when there is none). */
static size_t read_name(const char **p, char out[SCRIPT_NAME_MAX + 1])
{
    size_t n = 0;
    while (is_name_char((unsigned char)(*p)[n]) && n < SCRIPT_NAME_MAX) {
        out[n] = (*p)[n];
        n++;
    }
    out[n] = '\0';
    *p += n;
    return n;
}

/* Parses a decimal number at *P. Returns -1 when there is none. */
static long read_number(const char **p)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)**p) && v < 1000000)
        v = v * 10 + (*(*p)++ - '0');
    return v;
}

/* Writes "column C: MESSAGE" into ERR and returns -1. */
static int fail(char *err, size_t errlen, const char *text, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *text, const char *at, const char *fmt, ...)
{
    int n = snprintf(err, errlen, "column %zu: ", (size_t)(at - text) + 1);
    if (n > 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Appends the bytes a $NAME[A:B] reference at P stands for; advances P. */
static int substitute(const char *text, const char **pp, script_lookup_fn lookup, void *ctx,
                      script_step *step, char *err, size_t errlen)
{
    const char *p = *pp + 1; /* past '$' */
    char name[SCRIPT_NAME_MAX + 1];
    if (read_name(&p, name) == 0)
        return fail(err, errlen, text, p, "expected a saved response name after '$'");
    const uint8_t *data = NULL;
    size_t len = 0;
    if (lookup == NULL || lookup(ctx, name, &data, &len) != 0)
        return fail(err, errlen, text, *pp, "no response was saved as '%s' (save one with '=> %s')",
                    name, name);
    long a = 0, b = (long)len;
    if (*p == '[') {
        p++;
        a = read_number(&p);
        if (a < 0 || *p != ':')
            return fail(err, errlen, text, p, "expected [START:END] after $%s", name);
        p++;
        b = read_number(&p);
        if (b < 0 || *p != ']')
            return fail(err, errlen, text, p, "expected [START:END] after $%s", name);
        p++;
        if (a > b || (size_t)b > len)
            return fail(err, errlen, text, *pp, "$%s[%ld:%ld] is outside the %zu bytes saved", name,
                        a, b, len);
    }
    if (step->len + (size_t)(b - a) > SCRIPT_APDU_MAX)
        return fail(err, errlen, text, p, "the APDU is longer than %d bytes", SCRIPT_APDU_MAX);
    memcpy(step->apdu + step->len, data + a, (size_t)(b - a));
    step->len += (size_t)(b - a);
    *pp = p;
    return 0;
}

int script_parse_line(const char *text, script_lookup_fn lookup, void *ctx, script_step *step,
                      char *err, size_t errlen)
{
    const char *p = skip_blanks(text);
    step->len = 0;
    step->card[0] = step->save[0] = '\0';
    step->kind = SCRIPT_END; /* "nothing on this line" to the caller */

    /* An optional "name>" prefix: a name, then '>' (hex alone never has a '>'). */
    const char *q = p;
    char name[SCRIPT_NAME_MAX + 1];
    if (read_name(&q, name) > 0 && *q == '>') {
        memcpy(step->card, name, sizeof(name));
        p = skip_blanks(q + 1);
    }
    if (is_word(p, "reset")) {
        step->kind = SCRIPT_RESET;
        return 0;
    }
    if (is_word(p, "power off")) {
        step->kind = SCRIPT_POWER_OFF;
        return 0;
    }
    if (is_word(p, "power on")) {
        step->kind = SCRIPT_POWER_ON;
        return 0;
    }
    int hi = -1; /* the high nibble waiting for its pair */
    for (; *p != '\0' && *p != '#'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r')
            continue;
        if (*p == '$' && hi < 0) {
            if (substitute(text, &p, lookup, ctx, step, err, errlen) != 0)
                return -1;
            p--;
            continue;
        }
        if (*p == '=' && p[1] == '>' && hi < 0) {
            q = skip_blanks(p + 2);
            if (read_name(&q, step->save) == 0)
                return fail(err, errlen, text, p, "expected a name after '=>'");
            q = skip_blanks(q);
            if (*q != '\0' && *q != '#')
                return fail(err, errlen, text, p, "expected the end of the line after '=> %s'",
                            step->save);
            break;
        }
        int v = hexval((unsigned char)*p);
        if (v < 0)
            return fail(err, errlen, text, p,
                        "expected a hex digit, a blank, '$name', '=> name' or '#', found '%c'",
                        isprint((unsigned char)*p) ? *p : '?');
        if (hi < 0) {
            hi = v;
            /* A byte may not be split by a blank: "0 0" is a mistake. */
            if (p[1] == ' ' || p[1] == '\t' || p[1] == '\r' || p[1] == '\0' || p[1] == '#' ||
                p[1] == '$' || p[1] == '=')
                return fail(err, errlen, text, p, "expected two hex digits per byte");
            continue;
        }
        if (step->len == SCRIPT_APDU_MAX)
            return fail(err, errlen, text, p, "the APDU is longer than %d bytes", SCRIPT_APDU_MAX);
        step->apdu[step->len++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    if (step->len == 0) {
        if (step->card[0] != '\0' || step->save[0] != '\0')
            return fail(err, errlen, text, p, "expected an APDU");
        return 0;
    }
    if (step->len < 4)
        return fail(err, errlen, text, p,
                    "expected an APDU of at least 4 bytes (CLA INS P1 P2), found %zu", step->len);
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
        char what[200];
        if (script_parse_line(r->buf, r->lookup, r->lookup_ctx, step, what, sizeof(what)) != 0) {
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
