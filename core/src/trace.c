/*
 * obol APDU traces: the in-memory model, obol's own format (docs/traces.md) read and
 * written, and the loader that picks an importer and checks the command/response
 * pairing whatever the format.
 *
 *   obol-trace 1 start=2026-11-22T01:37:00.123456Z source="obol card serve"
 *   # a comment
 *   0.000000 "user" ON 3B9E138131FE458031C073F6215B646F626F6C8105E6
 *   0.000412 "user" > 00A4040009A0000000038698070100
 *   0.000455 "user" < 6F0B8409A000000003869807019000
 *   1.250000 "user" OFF
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obol/trace.h"
#include "trace_internal.h"

const char *trace_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case TRACE_ERR_NOMEM:
        return "out of memory";
    case TRACE_ERR_IO:
        return "input/output error";
    case TRACE_ERR_SYNTAX:
        return "syntax error in the trace";
    case TRACE_ERR_FORMAT:
        return "unknown trace format or version";
    case TRACE_ERR_PARAM:
        return "invalid argument";
    default:
        return "unknown trace error";
    }
}

const char *trace_kind_token(trace_kind kind)
{
    static const char *const tok[] = {">", "<", "ON", "RESET", "OFF"};
    return (unsigned)kind < 5 ? tok[kind] : "?";
}

/* ---- the model ---------------------------------------------------------------------- */

void trace_log_init(trace_log *t)
{
    memset(t, 0, sizeof(*t));
}

void trace_log_free(trace_log *t)
{
    for (size_t i = 0; i < t->nev; i++)
        free(t->ev[i].data);
    for (uint32_t i = 0; i < t->nreaders; i++)
        free(t->readers[i]);
    free(t->ev);
    free(t->readers);
    free(t->path);
    free(t->format);
    free(t->source);
    trace_log_init(t);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

int trace_log_reader(trace_log *t, const char *name)
{
    for (uint32_t i = 0; i < t->nreaders; i++)
        if (strcmp(t->readers[i], name) == 0)
            return (int)i;
    if (t->nreaders >= 65536)
        return TRACE_ERR_PARAM;
    char **r = realloc(t->readers, (t->nreaders + 1) * sizeof(*r));
    if (r == NULL)
        return TRACE_ERR_NOMEM;
    t->readers = r;
    if ((r[t->nreaders] = dupstr(name)) == NULL)
        return TRACE_ERR_NOMEM;
    return (int)t->nreaders++;
}

int trace_log_add(trace_log *t, trace_kind kind, uint32_t reader, uint64_t t_us,
                  const uint8_t *data, size_t len, uint32_t line)
{
    if (reader >= t->nreaders || (unsigned)kind > TRACE_OFF || len > UINT32_MAX)
        return TRACE_ERR_PARAM;
    if (t->nev == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        trace_event *ev = realloc(t->ev, cap * sizeof(*ev));
        if (ev == NULL)
            return TRACE_ERR_NOMEM;
        t->ev = ev;
        t->cap = cap;
    }
    trace_event *e = &t->ev[t->nev];
    memset(e, 0, sizeof(*e));
    if (len > 0) {
        if ((e->data = malloc(len)) == NULL)
            return TRACE_ERR_NOMEM;
        memcpy(e->data, data, len);
    }
    e->kind = kind;
    e->reader = reader;
    e->line = line;
    e->t_us = t_us;
    e->len = (uint32_t)len;
    t->nev++;
    return 0;
}

int trace_format_parse(const char *name, trace_format *out)
{
    static const struct {
        const char *name;
        trace_format fmt;
    } names[] = {{"auto", TRACE_FMT_AUTO},
                 {"obol", TRACE_FMT_OBOL},
                 {"pcsc-spy", TRACE_FMT_PCSCSPY},
                 {"gpp", TRACE_FMT_GPP}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return 0;
        }
    return TRACE_ERR_PARAM;
}

/* ---- shared helpers ----------------------------------------------------------------- */

int trace__next_line(trace__cursor *c, const char **line, size_t *n)
{
    if (c->pos >= c->len)
        return 0;
    const char *s = c->text + c->pos;
    const char *nl = memchr(s, '\n', c->len - c->pos);
    size_t k = nl ? (size_t)(nl - s) : c->len - c->pos;
    c->pos += k + (nl != NULL);
    if (k > 0 && s[k - 1] == '\r')
        k--;
    *line = s;
    *n = k;
    c->lineno++;
    return 1;
}

int trace__fail(char *err, size_t errlen, const char *name, uint32_t line, int code,
                const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return code;
    int k = line ? snprintf(err, errlen, "%s:%u: ", name, (unsigned)line)
                 : snprintf(err, errlen, "%s: ", name);
    if (k >= 0 && (size_t)k < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int trace__unhex(const char *s, size_t n, uint8_t **out, size_t *outlen, size_t *bad)
{
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ' || s[i] == '\t')
            continue;
        if (hexval(s[i]) < 0) {
            *bad = i;
            return TRACE_ERR_SYNTAX;
        }
        digits++;
    }
    if (digits % 2 != 0) {
        *bad = n;
        return TRACE_ERR_SYNTAX;
    }
    *out = NULL;
    *outlen = digits / 2;
    if (digits == 0)
        return 0;
    uint8_t *b = malloc(digits / 2);
    if (b == NULL)
        return TRACE_ERR_NOMEM;
    size_t k = 0;
    int hi = -1;
    for (size_t i = 0; i < n; i++) {
        int v = hexval(s[i]);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            b[k++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    *out = b;
    return 0;
}

int trace__starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

/* ---- obol format: reading ----------------------------------------------------------- */

static size_t skip_blanks(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* Reads a reader name at S[*I]: "quoted" with \" and \\ escapes, or a bare token.
 * Writes it NUL-terminated into OUT (CAP bytes). Returns 0 or -1. */
static int read_name(const char *s, size_t n, size_t *i, char *out, size_t cap)
{
    size_t k = 0, j = *i;
    if (j < n && s[j] == '"') {
        for (j++; j < n && s[j] != '"'; j++) {
            if (s[j] == '\\' && j + 1 < n)
                j++;
            if (k + 1 >= cap)
                return -1;
            out[k++] = s[j];
        }
        if (j >= n)
            return -1;
        j++;
    } else {
        for (; j < n && s[j] != ' ' && s[j] != '\t'; j++) {
            if (k + 1 >= cap)
                return -1;
            out[k++] = s[j];
        }
    }
    if (k == 0)
        return -1;
    out[k] = '\0';
    *i = j;
    return 0;
}

/* Parses "SECONDS[.FRACTION]" (up to 9 fraction digits) into microseconds. */
static int read_time(const char *s, size_t n, size_t *i, uint64_t *t_us)
{
    size_t j = *i;
    uint64_t sec = 0, frac = 0;
    int digits = 0, fd = 0;
    for (; j < n && s[j] >= '0' && s[j] <= '9'; j++, digits++) {
        if (sec > (UINT64_MAX - 9) / 10 / 1000000)
            return -1;
        sec = sec * 10 + (uint64_t)(s[j] - '0');
    }
    if (digits == 0)
        return -1;
    if (j < n && s[j] == '.') {
        for (j++; j < n && s[j] >= '0' && s[j] <= '9'; j++) {
            if (++fd > 9)
                return -1;
            if (fd <= 6)
                frac = frac * 10 + (uint64_t)(s[j] - '0');
        }
        if (fd == 0)
            return -1;
    }
    for (int k = fd; k < 6; k++)
        frac *= 10;
    if (j < n && s[j] != ' ' && s[j] != '\t')
        return -1;
    *t_us = sec * 1000000u + frac;
    *i = j;
    return 0;
}

/* Reads the header "obol-trace VERSION key=value...". */
static int read_header(trace_log *t, const char *name, const char *s, size_t n, char *err,
                       size_t errlen)
{
    size_t i = strlen("obol-trace");
    if (!trace__starts(s, n, "obol-trace") || i >= n || (s[i] != ' ' && s[i] != '\t'))
        return trace__fail(err, errlen, name, 1, TRACE_ERR_FORMAT,
                           "expected the header 'obol-trace VERSION' on the first line");
    i = skip_blanks(s, n, i);
    unsigned long version = 0;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9' && version < 1000000)
        version = version * 10 + (unsigned long)(s[i++] - '0');
    if (i == d || (i < n && s[i] != ' ' && s[i] != '\t'))
        return trace__fail(err, errlen, name, 1, TRACE_ERR_SYNTAX,
                           "expected a version number after 'obol-trace'");
    if (version < 1 || version > TRACE_VERSION)
        return trace__fail(err, errlen, name, 1, TRACE_ERR_FORMAT,
                           "trace format version %lu; this obol reads versions 1 to %d", version,
                           TRACE_VERSION);
    /* key=value attributes; only source= is kept, unknown keys are for later versions */
    while ((i = skip_blanks(s, n, i)) < n) {
        size_t k = i;
        while (i < n && s[i] != '=' && s[i] != ' ')
            i++;
        if (i >= n || s[i] != '=' || i == k)
            return trace__fail(err, errlen, name, 1, TRACE_ERR_SYNTAX,
                               "expected key=value in the header, got '%.*s'", (int)(i - k), s + k);
        int is_source = (i - k == 6 && memcmp(s + k, "source", 6) == 0);
        i++;
        char val[256];
        if (read_name(s, n, &i, val, sizeof(val)) != 0)
            return trace__fail(err, errlen, name, 1, TRACE_ERR_SYNTAX,
                               "expected a value after '%.*s='", (int)(i - k - 1), s + k);
        if (is_source) {
            free(t->source);
            if ((t->source = dupstr(val)) == NULL)
                return TRACE_ERR_NOMEM;
        }
    }
    return 0;
}

int trace__parse_obol(trace_log *t, const char *name, const char *text, size_t len, char *err,
                      size_t errlen)
{
    trace__cursor c = {.text = text, .len = len};
    const char *s;
    size_t n;
    int rc;
    if (!trace__next_line(&c, &s, &n))
        return trace__fail(err, errlen, name, 0, TRACE_ERR_FORMAT, "empty file");
    if ((rc = read_header(t, name, s, n, err, errlen)) != 0)
        return rc;
    while (trace__next_line(&c, &s, &n)) {
        size_t i = skip_blanks(s, n, 0);
        if (i == n || s[i] == '#')
            continue;
        uint64_t t_us;
        char rname[256], tok[8];
        if (read_time(s, n, &i, &t_us) != 0)
            return trace__fail(err, errlen, name, c.lineno, TRACE_ERR_SYNTAX,
                               "expected a time in seconds (e.g. 0.000412) first");
        i = skip_blanks(s, n, i);
        if (read_name(s, n, &i, rname, sizeof(rname)) != 0)
            return trace__fail(err, errlen, name, c.lineno, TRACE_ERR_SYNTAX,
                               "expected a reader name (\"quoted\" or one word) after the time");
        i = skip_blanks(s, n, i);
        size_t k = 0;
        while (i < n && s[i] != ' ' && s[i] != '\t' && k + 1 < sizeof(tok))
            tok[k++] = s[i++];
        tok[k] = '\0';
        trace_kind kind;
        if (strcmp(tok, ">") == 0)
            kind = TRACE_CMD;
        else if (strcmp(tok, "<") == 0)
            kind = TRACE_RSP;
        else if (strcmp(tok, "ON") == 0)
            kind = TRACE_ON;
        else if (strcmp(tok, "RESET") == 0)
            kind = TRACE_RESET;
        else if (strcmp(tok, "OFF") == 0)
            kind = TRACE_OFF;
        else
            return trace__fail(err, errlen, name, c.lineno, TRACE_ERR_SYNTAX,
                               "expected '>', '<', ON, RESET or OFF after the reader, got '%s'",
                               tok);
        /* the rest is hex, up to an optional "# comment" */
        const char *h = s + i;
        size_t hn = n - i;
        const char *hash = memchr(h, '#', hn);
        if (hash != NULL)
            hn = (size_t)(hash - h);
        uint8_t *data = NULL;
        size_t dlen = 0, bad = 0;
        if ((rc = trace__unhex(h, hn, &data, &dlen, &bad)) != 0) {
            if (rc == TRACE_ERR_SYNTAX)
                return trace__fail(err, errlen, name, c.lineno, rc,
                                   bad < hn ? "expected hex bytes, got '%c'"
                                            : "expected hex bytes, got an odd number of digits%c",
                                   bad < hn ? h[bad] : ' ');
            return rc;
        }
        if (kind == TRACE_OFF && dlen > 0) {
            free(data);
            return trace__fail(err, errlen, name, c.lineno, TRACE_ERR_SYNTAX, "OFF takes no bytes");
        }
        if ((kind == TRACE_CMD && dlen < 4) || (kind == TRACE_RSP && dlen < 2)) {
            free(data);
            return trace__fail(err, errlen, name, c.lineno, TRACE_ERR_SYNTAX,
                               kind == TRACE_CMD ? "a command APDU has at least 4 bytes"
                                                 : "a response has at least SW1 SW2");
        }
        int r = trace_log_reader(t, rname);
        rc = r < 0 ? r : trace_log_add(t, kind, (uint32_t)r, t_us, data, dlen, c.lineno);
        free(data);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------------ */

/* Is the line (without its indentation and an optional "(tN)" thread mark) exactly a
 * PC/SC function name, as pcsc-spy prints them? */
static int spy_function_line(const char *s, size_t n)
{
    size_t i = skip_blanks(s, n, 0);
    if (i + 2 < n && s[i] == '(' && s[i + 1] == 't') {
        const char *close = memchr(s + i, ')', n - i);
        if (close == NULL)
            return 0;
        i = skip_blanks(s, n, (size_t)(close - s) + 1);
    }
    static const char *const fns[] = {"SCardEstablishContext", "SCardConnect", "SCardTransmit",
                                      "SCardListReaders"};
    for (size_t k = 0; k < sizeof(fns) / sizeof(fns[0]); k++)
        if (n - i == strlen(fns[k]) && memcmp(s + i, fns[k], n - i) == 0)
            return 1;
    return 0;
}

static trace_format detect(const char *text, size_t len)
{
    trace__cursor c = {.text = text, .len = len};
    const char *s;
    size_t n;
    int lines = 0, spy = 0;
    while (trace__next_line(&c, &s, &n) && lines++ < 5000) {
        if (lines == 1 && trace__starts(s, n, "obol-trace"))
            return TRACE_FMT_OBOL;
        size_t i = skip_blanks(s, n, 0);
        for (size_t j = i; j + 4 <= n && s[i] != '#'; j++)
            if ((s[j] == 'A' || s[j] == 'B') &&
                (memcmp(s + j + 1, ">> ", 3) == 0 || memcmp(s + j + 1, "<< ", 3) == 0))
                return TRACE_FMT_GPP;
        spy |= spy_function_line(s, n);
    }
    return spy ? TRACE_FMT_PCSCSPY : TRACE_FMT_AUTO;
}

/* Every response answers the pending command of its reader; no command is left
 * unanswered; power events do not cut an exchange. */
static int check_pairing(const trace_log *t, const char *name, char *err, size_t errlen)
{
    int rc = 0;
    uint32_t *pending = calloc(t->nreaders ? t->nreaders : 1, sizeof(*pending));
    if (pending == NULL)
        return TRACE_ERR_NOMEM;
    for (size_t i = 0; i < t->nev && rc == 0; i++) {
        const trace_event *e = &t->ev[i];
        uint32_t line = e->line ? e->line : (uint32_t)(i + 1);
        switch (e->kind) {
        case TRACE_CMD:
            if (pending[e->reader])
                rc = trace__fail(err, errlen, name, line, TRACE_ERR_SYNTAX,
                                 "a command on \"%s\" while the command of line %u has no "
                                 "response yet",
                                 t->readers[e->reader], (unsigned)pending[e->reader]);
            pending[e->reader] = line;
            break;
        case TRACE_RSP:
            if (!pending[e->reader])
                rc = trace__fail(err, errlen, name, line, TRACE_ERR_SYNTAX,
                                 "a response on \"%s\" without a command before it",
                                 t->readers[e->reader]);
            pending[e->reader] = 0;
            break;
        default:
            if (pending[e->reader])
                rc = trace__fail(err, errlen, name, line, TRACE_ERR_SYNTAX,
                                 "%s on \"%s\" while the command of line %u has no response",
                                 trace_kind_token(e->kind), t->readers[e->reader],
                                 (unsigned)pending[e->reader]);
            break;
        }
    }
    for (uint32_t r = 0; r < t->nreaders && rc == 0; r++)
        if (pending[r])
            rc = trace__fail(err, errlen, name, pending[r], TRACE_ERR_SYNTAX,
                             "the command on \"%s\" has no response (the trace ends)",
                             t->readers[r]);
    free(pending);
    return rc;
}

int trace_load_text(trace_log *t, const char *name, const char *text, size_t len, trace_format fmt,
                    char *err, size_t errlen)
{
    static const char *const fmt_names[] = {"auto", "obol", "pcsc-spy", "gpp"};
    int rc;
    trace_log_free(t);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (fmt == TRACE_FMT_AUTO && (fmt = detect(text, len)) == TRACE_FMT_AUTO)
        return trace__fail(err, errlen, name, 0, TRACE_ERR_FORMAT,
                           "not a trace obol knows (an obol trace starts with 'obol-trace "
                           "VERSION'; pcsc-spy and GlobalPlatformPro logs are read too)");
    switch (fmt) {
    case TRACE_FMT_OBOL:
        rc = trace__parse_obol(t, name, text, len, err, errlen);
        break;
    case TRACE_FMT_PCSCSPY:
        rc = trace__parse_pcscspy(t, name, text, len, err, errlen);
        break;
    case TRACE_FMT_GPP:
        rc = trace__parse_gpp(t, name, text, len, err, errlen);
        break;
    default:
        rc = TRACE_ERR_PARAM;
        break;
    }
    if (rc == 0)
        rc = check_pairing(t, name, err, errlen);
    if (rc == 0 &&
        ((t->path = dupstr(name)) == NULL || (t->format = dupstr(fmt_names[fmt])) == NULL))
        rc = TRACE_ERR_NOMEM;
    if (rc == TRACE_ERR_NOMEM)
        trace__fail(err, errlen, name, 0, rc, "out of memory");
    if (rc != 0)
        trace_log_free(t);
    return rc;
}

int trace_load(trace_log *t, const char *path, trace_format fmt, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    if (f == NULL)
        return trace__fail(err, errlen, path, 0, TRACE_ERR_IO, "cannot open: %s", strerror(errno));
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = trace__fail(err, errlen, path, 0, TRACE_ERR_NOMEM, "out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0)
            break;
    }
    if (ferror(f)) {
        rc = trace__fail(err, errlen, path, 0, TRACE_ERR_IO, "read error: %s", strerror(errno));
        goto out;
    }
    rc = trace_load_text(t, path, buf, len, fmt, err, errlen);
out:
    free(buf);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* ---- obol format: writing ----------------------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fputc('\\', f);
        fputc(ch < 0x20 || ch == 0x7F ? '?' : ch, f);
    }
    fputc('"', f);
}

static int finish_line(trace_writer *w)
{
    if (fputc('\n', w->f) == EOF || fflush(w->f) != 0 || ferror(w->f))
        w->err = TRACE_ERR_IO;
    return w->err;
}

int trace_writer_attach(trace_writer *w, FILE *f, const char *source, unsigned flags)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
    w->t0_ns = mono_ns();
    fprintf(f, "obol-trace %d", TRACE_VERSION);
    if (!(flags & TRACE_W_NOSTART)) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        fprintf(f, " start=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000));
    }
    if (source != NULL) {
        fputs(" source=", f);
        put_quoted(f, source);
    }
    return finish_line(w);
}

int trace_writer_open(trace_writer *w, const char *path, const char *source, unsigned flags)
{
    FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (f == NULL) {
        memset(w, 0, sizeof(*w));
        return TRACE_ERR_IO;
    }
    int rc = trace_writer_attach(w, f, source, flags);
    w->owned = f != stdout;
    return rc;
}

int trace_write_at(trace_writer *w, uint64_t t_us, const char *reader, trace_kind kind,
                   const uint8_t *data, size_t len)
{
    if (w->f == NULL)
        return TRACE_ERR_PARAM;
    if (w->err)
        return w->err;
    fprintf(w->f, "%llu.%06u ", (unsigned long long)(t_us / 1000000u), (unsigned)(t_us % 1000000u));
    put_quoted(w->f, reader);
    fprintf(w->f, " %s", trace_kind_token(kind));
    if (len > 0)
        fputc(' ', w->f);
    for (size_t i = 0; i < len; i++)
        fprintf(w->f, "%02X", data[i]);
    return finish_line(w);
}

int trace_write(trace_writer *w, const char *reader, trace_kind kind, const uint8_t *data,
                size_t len)
{
    return trace_write_at(w, (mono_ns() - w->t0_ns) / 1000u, reader, kind, data, len);
}

int trace_write_comment(trace_writer *w, const char *text)
{
    if (w->f == NULL)
        return TRACE_ERR_PARAM;
    if (w->err)
        return w->err;
    fputs("# ", w->f);
    for (; *text; text++)
        fputc(*text == '\n' || *text == '\r' ? ' ' : *text, w->f);
    return finish_line(w);
}

int trace_writer_close(trace_writer *w)
{
    int rc = w->err;
    if (w->f != NULL && w->owned && fclose(w->f) != 0 && rc == 0)
        rc = TRACE_ERR_IO;
    memset(w, 0, sizeof(*w));
    return rc;
}

int trace_log_write(const trace_log *t, trace_writer *w)
{
    for (size_t i = 0; i < t->nev; i++) {
        const trace_event *e = &t->ev[i];
        int rc = trace_write_at(w, e->t_us, t->readers[e->reader], e->kind, e->data, e->len);
        if (rc != 0)
            return rc;
    }
    return 0;
}
