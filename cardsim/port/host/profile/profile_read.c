/*
 * obol card profiles: reading and checking the text — files and includes, directive
 * lines and their attributes, numbers, hex strings with placeholders, access
 * conditions — with file:line errors (format in docs/profiles.md).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_crypto.h"
#include "profile_internal.h"

/* ---- errors and bookkeeping ------------------------------------------------------------ */

int prof__fail(loader *L, const pline *p, int code, const char *fmt, ...)
{
    va_list ap;
    size_t off = 0;

    if (L->err == NULL || L->errlen == 0)
        return code;
    if (p != NULL) {
        int k = snprintf(L->err, L->errlen, "%s:%d: ", p->file, p->line);
        off = k > 0 ? (size_t)k : 0;
    }
    if (off < L->errlen) {
        va_start(ap, fmt);
        vsnprintf(L->err + off, L->errlen - off, fmt, ap);
        va_end(ap);
    }
    return code;
}

char *prof__own(loader *L, char *p)
{
    if (p == NULL)
        return NULL;
    if (L->nowned == L->capowned) {
        size_t nc = L->capowned ? 2 * L->capowned : 16;
        char **q = realloc(L->owned, nc * sizeof *q);
        if (q == NULL) {
            free(p);
            return NULL;
        }
        L->owned = q;
        L->capowned = nc;
    }
    L->owned[L->nowned++] = p;
    return p;
}

void prof__loader_free(loader *L)
{
    size_t i;

    for (i = 0; i < L->n; i++)
        free(L->lines[i].attrs);
    free(L->lines);
    for (i = 0; i < L->nowned; i++)
        free(L->owned[i]);
    free(L->owned);
    cos_wipe(L->mk, sizeof L->mk);
}

/* The value of attribute K of line P (marked used), or NULL. */
const char *prof__get(const pline *p, const char *k)
{
    int i;

    for (i = 0; i < p->nattr; i++)
        if (p->attrs[i].k != NULL && strcmp(p->attrs[i].k, k) == 0) {
            p->attrs[i].used = 1;
            return p->attrs[i].v;
        }
    return NULL;
}

/* Positional argument I of line P (marked used), or NULL. */
const char *prof__arg(const pline *p, int idx)
{
    int i, n = 0;

    for (i = 0; i < p->nattr; i++)
        if (p->attrs[i].k == NULL && n++ == idx) {
            p->attrs[i].used = 1;
            return p->attrs[i].v;
        }
    return NULL;
}

/* Fails on any attribute the directive did not use (a typo must not pass silently). */
int prof__check_used(loader *L, const pline *p)
{
    int i;

    for (i = 0; i < p->nattr; i++)
        if (!p->attrs[i].used) {
            if (p->attrs[i].k != NULL)
                return prof__fail(L, p, COS_ERR_PARAM, "unknown attribute '%s' for '%s'",
                                  p->attrs[i].k, p->dir);
            return prof__fail(L, p, COS_ERR_PARAM, "unexpected argument '%s' for '%s'",
                              p->attrs[i].v, p->dir);
        }
    return 0;
}

/* ---- values ----------------------------------------------------------------------------- */

/* Parses a decimal or 0x-hexadecimal number no larger than MAX. */
int prof__num(loader *L, const pline *p, const char *what, const char *s, unsigned long long max,
              unsigned long long *out)
{
    char *end;
    int base = 10;

    if (s == NULL || *s == '\0')
        return prof__fail(L, p, COS_ERR_PARAM, "expected a number for %s", what);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!isxdigit((unsigned char)*s))
        return prof__fail(L, p, COS_ERR_PARAM, "expected a number for %s, got '%s'", what, s);
    errno = 0;
    *out = strtoull(s, &end, base);
    if (errno != 0 || *end != '\0' || *out > max)
        return prof__fail(L, p, COS_ERR_PARAM, "expected a number from 0 to %llu for %s, got '%s'",
                          max, what, s);
    return 0;
}

int prof__opt_num(loader *L, const pline *p, const char *k, unsigned long long max,
                  unsigned long long dflt, unsigned long long *out)
{
    const char *v = prof__get(p, k);
    *out = dflt;
    return v == NULL ? 0 : prof__num(L, p, k, v, max, out);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Expands a hex template: hex digits, '_' as a separator, ${serial}, ${issuer} and
 * ${serial:N} / ${issuer:N} (their rightmost N bytes). Writes at most CAP bytes. */
int prof__hex(loader *L, const pline *p, const char *what, const char *s, uint8_t *out, size_t cap,
              size_t *len)
{
    size_t n = 0;
    int hi = -1;

    if (s == NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "expected hex bytes for %s", what);
    while (*s != '\0') {
        if (s[0] == '$' && s[1] == '{') {
            const char *e = strchr(s, '}');
            const uint8_t *src;
            size_t take = 8;
            if (e == NULL || hi >= 0)
                return prof__fail(L, p, COS_ERR_PARAM, "bad placeholder in %s", what);
            if (strncmp(s + 2, "serial", 6) == 0)
                src = L->serial, s += 8;
            else if (strncmp(s + 2, "issuer", 6) == 0)
                src = L->issuer, s += 8;
            else
                return prof__fail(L, p, COS_ERR_PARAM,
                                  "expected ${serial} or ${issuer} (optionally :N) in %s", what);
            if (*s == ':') {
                take = (size_t)strtoul(s + 1, NULL, 10);
                if (take < 1 || take > 8)
                    return prof__fail(L, p, COS_ERR_PARAM,
                                      "expected :1 to :8 in a placeholder of %s", what);
                s = e;
            }
            if (s != e)
                return prof__fail(L, p, COS_ERR_PARAM, "bad placeholder in %s", what);
            if (n + take > cap)
                return prof__fail(L, p, COS_ERR_PARAM, "%s is longer than %zu bytes", what, cap);
            memcpy(out + n, src + 8 - take, take);
            n += take;
            s = e + 1;
            continue;
        }
        if (*s == '_') {
            s++;
            continue;
        }
        if (hexval((unsigned char)*s) < 0)
            return prof__fail(L, p, COS_ERR_PARAM, "expected hex digits for %s, got '%c'", what,
                              *s);
        if (hi < 0) {
            hi = hexval((unsigned char)*s);
        } else {
            if (n >= cap)
                return prof__fail(L, p, COS_ERR_PARAM, "%s is longer than %zu bytes", what, cap);
            out[n++] = (uint8_t)(hi << 4 | hexval((unsigned char)*s));
            hi = -1;
        }
        s++;
    }
    if (hi >= 0)
        return prof__fail(L, p, COS_ERR_PARAM, "odd number of hex digits in %s", what);
    *len = n;
    return 0;
}

int prof__hex_exact(loader *L, const pline *p, const char *what, const char *s, uint8_t *out,
                    size_t want)
{
    size_t n;
    int rc = prof__hex(L, p, what, s, out, want, &n);
    if (rc == 0 && n != want)
        return prof__fail(L, p, COS_ERR_PARAM, "expected %zu bytes for %s, got %zu", want, what, n);
    return rc;
}

/* Access conditions: always, never, pinN, authN, smN or a hex byte 0xHH. */
int prof__acond(loader *L, const pline *p, const char *k, uint8_t dflt, uint8_t *out)
{
    const char *v = prof__get(p, k);
    unsigned long long n;

    *out = dflt;
    if (v == NULL)
        return 0;
    if (strcmp(v, "always") == 0)
        *out = COS_AC_ALWAYS;
    else if (strcmp(v, "never") == 0)
        *out = COS_AC_NEVER;
    else if (strncmp(v, "pin", 3) == 0 && prof__num(L, p, k, v + 3, 15, &n) == 0)
        *out = (uint8_t)COS_AC_PIN(n);
    else if (strncmp(v, "auth", 4) == 0 && prof__num(L, p, k, v + 4, 15, &n) == 0)
        *out = (uint8_t)COS_AC_AUTH(n);
    else if (strncmp(v, "sm", 2) == 0 && prof__num(L, p, k, v + 2, 15, &n) == 0)
        *out = (uint8_t)COS_AC_SM(n);
    else if (strncmp(v, "0x", 2) == 0 && prof__num(L, p, k, v, 255, &n) == 0)
        *out = (uint8_t)n;
    else
        return prof__fail(L, p, COS_ERR_PARAM,
                          "expected always, never, pinN, authN, smN or 0xHH for %s, got '%s'", k,
                          v);
    return 0;
}

/* ---- reading files ---------------------------------------------------------------------- */

static int add_line(loader *L, const pline *pl)
{
    if (L->n == L->cap) {
        size_t nc = L->cap ? 2 * L->cap : 64;
        pline *q = realloc(L->lines, nc * sizeof *q);
        if (q == NULL)
            return COS_ERR_NO_SPACE;
        L->lines = q;
        L->cap = nc;
    }
    L->lines[L->n++] = *pl;
    return 0;
}

/* Splits one line (modified in place) into a directive and attributes. */
static int parse_line(loader *L, const char *file, int lineno, char *s, const char *dirpath,
                      int depth)
{
    char *tok[64];
    int nt = 0, i, rc;
    pline pl;
    char *h = strchr(s, '#');

    if (h != NULL)
        *h = '\0';
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '\0')
            break;
        if (nt == 64) {
            pl.file = file;
            pl.line = lineno;
            return prof__fail(L, &pl, COS_ERR_PARAM, "too many attributes on one line");
        }
        tok[nt++] = s;
        while (*s != '\0' && !isspace((unsigned char)*s))
            s++;
        if (*s != '\0')
            *s++ = '\0';
    }
    if (nt == 0)
        return 0;
    memset(&pl, 0, sizeof pl);
    pl.file = file;
    pl.line = lineno;
    pl.dir = tok[0];
    pl.nattr = nt - 1;
    pl.attrs = calloc((size_t)(nt > 1 ? nt - 1 : 1), sizeof(attr));
    if (pl.attrs == NULL)
        return COS_ERR_NO_SPACE;
    for (i = 1; i < nt; i++) {
        char *eq = strchr(tok[i], '=');
        if (eq != NULL) {
            *eq = '\0';
            pl.attrs[i - 1].k = tok[i];
            pl.attrs[i - 1].v = eq + 1;
        } else {
            pl.attrs[i - 1].v = tok[i];
        }
    }
    if (strcmp(pl.dir, "include") == 0) {
        const char *name = prof__arg(&pl, 0);
        char *path;
        size_t need;
        if (name == NULL || (rc = prof__check_used(L, &pl)) != 0) {
            free(pl.attrs);
            return name == NULL ? prof__fail(L, &pl, COS_ERR_PARAM, "expected 'include NAME'") : rc;
        }
        need = strlen(dirpath) + strlen(name) + 16;
        path = prof__own(L, malloc(need));
        if (path == NULL) {
            free(pl.attrs);
            return COS_ERR_NO_SPACE;
        }
        if (name[0] == '/')
            snprintf(path, need, "%s", name);
        else if (strchr(name, '/') != NULL || strstr(name, ".profile") != NULL)
            snprintf(path, need, "%s/%s", dirpath, name);
        else
            snprintf(path, need, "%s/%s.profile", dirpath, name);
        rc = prof__read_file(L, path, depth + 1, &pl);
        free(pl.attrs);
        return rc;
    }
    if ((rc = add_line(L, &pl)) != 0)
        free(pl.attrs);
    return rc;
}

int prof__read_file(loader *L, const char *path, int depth, const pline *from)
{
    FILE *f;
    char *buf, *name, *dirpath, *s, *slash;
    long size;
    int lineno = 1, rc = 0;

    if (depth > MAX_INCLUDE_DEPTH)
        return prof__fail(L, from, COS_ERR_PARAM, "includes nested deeper than %d (a cycle?)",
                          MAX_INCLUDE_DEPTH);
    f = fopen(path, "rb");
    if (f == NULL)
        return prof__fail(L, from, COS_ERR_NOT_FOUND, "cannot open profile '%s': %s", path,
                          strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return prof__fail(L, from, COS_ERR_PARAM, "cannot read profile '%s'", path);
    }
    buf = prof__own(L, malloc((size_t)size + 1));
    name = prof__own(L, strdup(path));
    dirpath = prof__own(L, strdup(path));
    if (buf == NULL || name == NULL || dirpath == NULL) {
        fclose(f);
        return COS_ERR_NO_SPACE;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return prof__fail(L, from, COS_ERR_PARAM, "cannot read profile '%s'", path);
    }
    fclose(f);
    buf[size] = '\0';
    slash = strrchr(dirpath, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        strcpy(dirpath, ".");
    for (s = buf; rc == 0 && *s != '\0'; lineno++) {
        char *nl = strchr(s, '\n');
        if (nl != NULL)
            *nl = '\0';
        rc = parse_line(L, name, lineno, s, dirpath, depth);
        if (nl == NULL)
            break;
        s = nl + 1;
    }
    return rc;
}
