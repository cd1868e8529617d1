/*
 * obol reports: the byte buffer, escaping and number formatting the writers share.
 * Everything here is deterministic and locale-free: the library never calls
 * setlocale(), so printf's decimal point is '.'.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

void rpt__buf_init(rpt__buf *b)
{
    memset(b, 0, sizeof(*b));
}

void rpt__buf_free(rpt__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static int grow(rpt__buf *b, size_t more)
{
    if (b->err)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->err = RPT_ERR_NOMEM;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void rpt__putn(rpt__buf *b, const char *s, size_t n)
{
    if (grow(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void rpt__puts(rpt__buf *b, const char *s)
{
    rpt__putn(b, s, strlen(s));
}

void rpt__printf(rpt__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rpt__html(rpt__buf *b, const char *s)
{
    if (s == NULL)
        return;
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            break;
        }
        if (rep != NULL) {
            rpt__putn(b, run, (size_t)(s - run));
            rpt__puts(b, rep);
            run = s + 1;
        }
    }
    rpt__putn(b, run, (size_t)(s - run));
}

void rpt__json_str(rpt__buf *b, const char *s)
{
    if (s == NULL) {
        rpt__puts(b, "null");
        return;
    }
    rpt__putn(b, "\"", 1);
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        switch (*u) {
        case '"':
            rpt__puts(b, "\\\"");
            break;
        case '\\':
            rpt__puts(b, "\\\\");
            break;
        case '\n':
            rpt__puts(b, "\\n");
            break;
        case '\t':
            rpt__puts(b, "\\t");
            break;
        case '\r':
            rpt__puts(b, "\\r");
            break;
        default:
            if (*u < 0x20)
                rpt__printf(b, "\\u%04x", *u);
            else
                rpt__putn(b, (const char *)u, 1);
        }
    }
    rpt__putn(b, "\"", 1);
}

void rpt__num(rpt__buf *b, double v, int json)
{
    if (!isfinite(v)) {
        rpt__puts(b, json ? "null" : "n/a");
        return;
    }
    if (v == floor(v) && fabs(v) < 9.0e15) {
        rpt__printf(b, "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.6f", v);
    /* Trim trailing zeros of the fraction so 0.250000 reads 0.25. */
    char *dot = strchr(tmp, '.');
    if (dot != NULL) {
        char *e = tmp + strlen(tmp) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    if (strcmp(tmp, "-0") == 0)
        strcpy(tmp, "0");
    rpt__puts(b, tmp);
}

void rpt__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int rpt__write_file(const rpt__buf *b, const char *path, char *err, size_t errlen)
{
    if (b->err) {
        rpt__err(err, errlen, "%s: out of memory", path);
        return b->err;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        rpt__err(err, errlen, "%s: %s", path, strerror(errno));
        return RPT_ERR_IO;
    }
    size_t n = b->len ? fwrite(b->p, 1, b->len, f) : 0;
    int bad = n != b->len;
    if (fclose(f) != 0)
        bad = 1;
    if (bad) {
        rpt__err(err, errlen, "%s: write failed: %s", path, strerror(errno));
        return RPT_ERR_IO;
    }
    return RPT_OK;
}
