/*
 * obol card profiles: the loader (host side; format in docs/profiles.md).
 *
 * A profile is read whole (with its includes) into a list of directive lines, checked
 * once without touching the card (a dry run of the same code), and only then played
 * against the card: cos_format(), cos_power_on(), the MF/DF/application/file/PIN/key
 * steps in file order, cos_perso_finish(), cos_power_off(). Every error names the
 * file and line and says what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos.h"
#include "obol/cos_crypto.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "psam/psam.h"
#include "ssc/ssc.h"
#include "transit/transit.h"

#ifndef OBOL_PROFILE_DIR_DEFAULT
#define OBOL_PROFILE_DIR_DEFAULT "profiles"
#endif

#define MAX_INCLUDE_DEPTH 8
#define MAX_MKEYS         64
#define MAX_PARAMS        255
#define MAX_DATA          4096

typedef struct attr {
    const char *k; /* NULL for a positional argument */
    const char *v;
    int used;
} attr;

typedef struct pline {
    const char *file;
    int line;
    const char *dir; /* the directive */
    int nattr;
    attr *attrs;
} pline;

typedef struct mkey {
    const char *name;
    uint8_t v[COS_KEY_MAX];
    size_t len;
} mkey;

typedef struct loader {
    pline *lines;
    size_t n, cap;
    char **owned; /* file names and contents */
    size_t nowned, capowned;
    mkey mk[MAX_MKEYS];
    size_t nmk;
    const pline *card_line;
    uint8_t serial[8], issuer[8];
    uint16_t journal;
    uint8_t options;
    uint8_t mf_name[COS_AID_MAX];
    size_t mf_name_len;
    cos_card *card;
    int dry;
    cos_oid mf, cur;
    char *err;
    size_t errlen;
} loader;

/* ---- errors and bookkeeping ------------------------------------------------------------ */

static int fail(loader *L, const pline *p, int code, const char *fmt, ...)
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

static char *own(loader *L, char *p)
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

static void loader_free(loader *L)
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
static const char *get(const pline *p, const char *k)
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
static const char *arg(const pline *p, int idx)
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
static int check_used(loader *L, const pline *p)
{
    int i;

    for (i = 0; i < p->nattr; i++)
        if (!p->attrs[i].used) {
            if (p->attrs[i].k != NULL)
                return fail(L, p, COS_ERR_PARAM, "unknown attribute '%s' for '%s'", p->attrs[i].k,
                            p->dir);
            return fail(L, p, COS_ERR_PARAM, "unexpected argument '%s' for '%s'", p->attrs[i].v,
                        p->dir);
        }
    return 0;
}

/* ---- values ----------------------------------------------------------------------------- */

/* Parses a decimal or 0x-hexadecimal number no larger than MAX. */
static int num(loader *L, const pline *p, const char *what, const char *s, unsigned long long max,
               unsigned long long *out)
{
    char *end;
    int base = 10;

    if (s == NULL || *s == '\0')
        return fail(L, p, COS_ERR_PARAM, "expected a number for %s", what);
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!isxdigit((unsigned char)*s))
        return fail(L, p, COS_ERR_PARAM, "expected a number for %s, got '%s'", what, s);
    errno = 0;
    *out = strtoull(s, &end, base);
    if (errno != 0 || *end != '\0' || *out > max)
        return fail(L, p, COS_ERR_PARAM, "expected a number from 0 to %llu for %s, got '%s'", max,
                    what, s);
    return 0;
}

static int opt_num(loader *L, const pline *p, const char *k, unsigned long long max,
                   unsigned long long dflt, unsigned long long *out)
{
    const char *v = get(p, k);
    *out = dflt;
    return v == NULL ? 0 : num(L, p, k, v, max, out);
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
static int hex(loader *L, const pline *p, const char *what, const char *s, uint8_t *out, size_t cap,
               size_t *len)
{
    size_t n = 0;
    int hi = -1;

    if (s == NULL)
        return fail(L, p, COS_ERR_PARAM, "expected hex bytes for %s", what);
    while (*s != '\0') {
        if (s[0] == '$' && s[1] == '{') {
            const char *e = strchr(s, '}');
            const uint8_t *src;
            size_t take = 8;
            if (e == NULL || hi >= 0)
                return fail(L, p, COS_ERR_PARAM, "bad placeholder in %s", what);
            if (strncmp(s + 2, "serial", 6) == 0)
                src = L->serial, s += 8;
            else if (strncmp(s + 2, "issuer", 6) == 0)
                src = L->issuer, s += 8;
            else
                return fail(L, p, COS_ERR_PARAM,
                            "expected ${serial} or ${issuer} (optionally :N) in %s", what);
            if (*s == ':') {
                take = (size_t)strtoul(s + 1, NULL, 10);
                if (take < 1 || take > 8)
                    return fail(L, p, COS_ERR_PARAM, "expected :1 to :8 in a placeholder of %s",
                                what);
                s = e;
            }
            if (s != e)
                return fail(L, p, COS_ERR_PARAM, "bad placeholder in %s", what);
            if (n + take > cap)
                return fail(L, p, COS_ERR_PARAM, "%s is longer than %zu bytes", what, cap);
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
            return fail(L, p, COS_ERR_PARAM, "expected hex digits for %s, got '%c'", what, *s);
        if (hi < 0) {
            hi = hexval((unsigned char)*s);
        } else {
            if (n >= cap)
                return fail(L, p, COS_ERR_PARAM, "%s is longer than %zu bytes", what, cap);
            out[n++] = (uint8_t)(hi << 4 | hexval((unsigned char)*s));
            hi = -1;
        }
        s++;
    }
    if (hi >= 0)
        return fail(L, p, COS_ERR_PARAM, "odd number of hex digits in %s", what);
    *len = n;
    return 0;
}

static int hex_exact(loader *L, const pline *p, const char *what, const char *s, uint8_t *out,
                     size_t want)
{
    size_t n;
    int rc = hex(L, p, what, s, out, want, &n);
    if (rc == 0 && n != want)
        return fail(L, p, COS_ERR_PARAM, "expected %zu bytes for %s, got %zu", want, what, n);
    return rc;
}

/* Access conditions: always, never, pinN, authN, smN or a hex byte 0xHH. */
static int acond(loader *L, const pline *p, const char *k, uint8_t dflt, uint8_t *out)
{
    const char *v = get(p, k);
    unsigned long long n;

    *out = dflt;
    if (v == NULL)
        return 0;
    if (strcmp(v, "always") == 0)
        *out = COS_AC_ALWAYS;
    else if (strcmp(v, "never") == 0)
        *out = COS_AC_NEVER;
    else if (strncmp(v, "pin", 3) == 0 && num(L, p, k, v + 3, 15, &n) == 0)
        *out = (uint8_t)COS_AC_PIN(n);
    else if (strncmp(v, "auth", 4) == 0 && num(L, p, k, v + 4, 15, &n) == 0)
        *out = (uint8_t)COS_AC_AUTH(n);
    else if (strncmp(v, "sm", 2) == 0 && num(L, p, k, v + 2, 15, &n) == 0)
        *out = (uint8_t)COS_AC_SM(n);
    else if (strncmp(v, "0x", 2) == 0 && num(L, p, k, v, 255, &n) == 0)
        *out = (uint8_t)n;
    else
        return fail(L, p, COS_ERR_PARAM,
                    "expected always, never, pinN, authN, smN or 0xHH for %s, got '%s'", k, v);
    return 0;
}

/* ---- reading files ---------------------------------------------------------------------- */

static int read_file(loader *L, const char *path, int depth, const pline *from);

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
            return fail(L, &pl, COS_ERR_PARAM, "too many attributes on one line");
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
        const char *name = arg(&pl, 0);
        char *path;
        size_t need;
        if (name == NULL || (rc = check_used(L, &pl)) != 0) {
            free(pl.attrs);
            return name == NULL ? fail(L, &pl, COS_ERR_PARAM, "expected 'include NAME'") : rc;
        }
        need = strlen(dirpath) + strlen(name) + 16;
        path = own(L, malloc(need));
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
        rc = read_file(L, path, depth + 1, &pl);
        free(pl.attrs);
        return rc;
    }
    if ((rc = add_line(L, &pl)) != 0)
        free(pl.attrs);
    return rc;
}

static int read_file(loader *L, const char *path, int depth, const pline *from)
{
    FILE *f;
    char *buf, *name, *dirpath, *s, *slash;
    long size;
    int lineno = 1, rc = 0;

    if (depth > MAX_INCLUDE_DEPTH)
        return fail(L, from, COS_ERR_PARAM, "includes nested deeper than %d (a cycle?)",
                    MAX_INCLUDE_DEPTH);
    f = fopen(path, "rb");
    if (f == NULL)
        return fail(L, from, COS_ERR_NOT_FOUND, "cannot open profile '%s': %s", path,
                    strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return fail(L, from, COS_ERR_PARAM, "cannot read profile '%s'", path);
    }
    buf = own(L, malloc((size_t)size + 1));
    name = own(L, strdup(path));
    dirpath = own(L, strdup(path));
    if (buf == NULL || name == NULL || dirpath == NULL) {
        fclose(f);
        return COS_ERR_NO_SPACE;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fclose(f);
        return fail(L, from, COS_ERR_PARAM, "cannot read profile '%s'", path);
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

/* ---- directives -------------------------------------------------------------------------- */

static int do_masterkey(loader *L, const pline *p)
{
    const char *name = arg(p, 0), *v = arg(p, 1);
    mkey *m;
    size_t i;
    int rc;

    if (name == NULL || v == NULL)
        return fail(L, p, COS_ERR_PARAM, "expected 'masterkey TEST-NAME HEX'");
    /* Every master key in a profile is a published test key and must say so. */
    if (strncmp(name, "TEST-", 5) != 0)
        return fail(L, p, COS_ERR_PARAM, "master key names must start with TEST-, got '%s'", name);
    for (i = 0; i < L->nmk; i++)
        if (strcmp(L->mk[i].name, name) == 0)
            return fail(L, p, COS_ERR_PARAM, "master key '%s' defined twice", name);
    if (L->nmk == MAX_MKEYS)
        return fail(L, p, COS_ERR_PARAM, "more than %d master keys", MAX_MKEYS);
    m = &L->mk[L->nmk];
    if ((rc = hex(L, p, "the master key", v, m->v, sizeof m->v, &m->len)) != 0)
        return rc;
    if (m->len != 8 && m->len != 16 && m->len != 24 && m->len != 32)
        return fail(L, p, COS_ERR_PARAM, "expected a key of 8, 16, 24 or 32 bytes, got %zu",
                    m->len);
    m->name = name;
    L->nmk++;
    return check_used(L, p);
}

static int do_card(loader *L, const pline *p, uint64_t serial_override)
{
    unsigned long long n;
    int rc, i;

    if (L->card_line != NULL)
        return fail(L, p, COS_ERR_PARAM, "a second 'card' line (the first is at %s:%d)",
                    L->card_line->file, L->card_line->line);
    L->card_line = p;
    if (serial_override != 0) {
        for (i = 0; i < 8; i++)
            L->serial[i] = (uint8_t)(serial_override >> (56 - 8 * i));
        (void)get(p, "serial");
    } else if ((rc = hex_exact(L, p, "serial", get(p, "serial"), L->serial, 8)) != 0) {
        return rc;
    }
    if (get(p, "issuer") != NULL &&
        (rc = hex_exact(L, p, "issuer", get(p, "issuer"), L->issuer, 8)) != 0)
        return rc;
    if ((rc = opt_num(L, p, "journal", 65535, 0, &n)) != 0)
        return rc;
    L->journal = (uint16_t)n;
    if ((rc = opt_num(L, p, "t0", 1, 0, &n)) != 0)
        return rc;
    L->options = n ? COS_OPT_T0 : 0;
    if (get(p, "mf_name") != NULL && (rc = hex(L, p, "mf_name", get(p, "mf_name"), L->mf_name,
                                               COS_AID_MAX, &L->mf_name_len)) != 0)
        return rc;
    return check_used(L, p);
}

/* Reports a card OS result: 0 passes, a status word or a fault fails naming the step. */
static int card_rc(loader *L, const pline *p, int rc, const char *what)
{
    if (rc == 0)
        return 0;
    if (rc > 0)
        return fail(L, p, COS_ERR_PARAM, "%s refused with status word %04X", what, (unsigned)rc);
    return fail(L, p, rc, "%s failed: %s", what, cos_strerror(rc));
}

static int do_df(loader *L, const pline *p)
{
    uint8_t name[COS_AID_MAX], fci[COS_FCI_MAX], fidb[2];
    size_t namelen = 0, fcilen = 0;
    cos_df_spec spec;
    cos_oid oid = 0;
    int rc;

    if ((rc = hex_exact(L, p, "fid", get(p, "fid"), fidb, 2)) != 0)
        return rc;
    if (get(p, "name") != NULL &&
        (rc = hex(L, p, "name", get(p, "name"), name, sizeof name, &namelen)) != 0)
        return rc;
    if (get(p, "fci") != NULL && (rc = hex(L, p, "fci", get(p, "fci"), fci, sizeof fci, &fcilen)))
        return rc;
    if ((rc = check_used(L, p)) != 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.fid = (uint16_t)(fidb[0] << 8 | fidb[1]);
    spec.name = namelen ? name : NULL;
    spec.namelen = (uint8_t)namelen;
    spec.fci = fcilen ? fci : NULL;
    spec.fcilen = (uint8_t)fcilen;
    if (!L->dry && (rc = card_rc(L, p, cos_perso_df(L->card, L->mf, &spec, &oid), "DF")) != 0)
        return rc;
    L->cur = oid;
    return 0;
}

/* Install parameters a profile may name for the ROM classes (encoded as the class's TLV). */
enum { V_U8, V_U24, V_U32, V_PURSES, V_HEX };
static const struct {
    const char *cls, *name;
    uint8_t tag, kind;
} class_attrs[] = {
    {"pboc", "purses", PBOC_TAG_PURSES, V_PURSES},
    {"pboc", "overdraft", PBOC_TAG_OVERDRAFT, V_U24},
    {"pboc", "max_balance", PBOC_TAG_MAX_BALANCE, V_U32},
    {"pboc", "mac_fail_limit", PBOC_TAG_MAC_LIMIT, V_U8},
    {"pboc", "ed_balance", PBOC_TAG_ED_BALANCE, V_U32},
    {"pboc", "ep_balance", PBOC_TAG_EP_BALANCE, V_U32},
    {"pboc", "pin_ref", PBOC_TAG_PIN_REF, V_U8},
    {"pboc", "capp_max", PBOC_TAG_CAPP_MAX, V_U8},
    {"pboc", "log_records", PBOC_TAG_LOG_NREC, V_U8},
    {"psam", "ttn", PSAM_TAG_TTN, V_U32},
    /* transit and ssc carry the PBOC purse: its parameters, then their own */
    {"transit", "max_balance", PBOC_TAG_MAX_BALANCE, V_U32},
    {"transit", "mac_fail_limit", PBOC_TAG_MAC_LIMIT, V_U8},
    {"transit", "ep_balance", PBOC_TAG_EP_BALANCE, V_U32},
    {"transit", "log_records", PBOC_TAG_LOG_NREC, V_U8},
    {"transit", "operators", TRANSIT_TAG_OPERATORS, V_HEX},
    {"transit", "capp_reclen", TRANSIT_TAG_CAPP_RECLEN, V_U8},
    {"ssc", "max_balance", PBOC_TAG_MAX_BALANCE, V_U32},
    {"ssc", "mac_fail_limit", PBOC_TAG_MAC_LIMIT, V_U8},
    {"ssc", "ep_balance", PBOC_TAG_EP_BALANCE, V_U32},
    {"ssc", "log_records", PBOC_TAG_LOG_NREC, V_U8},
    {"ssc", "visit_records", SSC_TAG_VISIT_NREC, V_U8},
    {"ssc", "rx_records", SSC_TAG_RX_NREC, V_U8},
    {"ssc", "debit_pin", SSC_TAG_DEBIT_PIN, V_U8},
};

static int class_params(loader *L, const pline *p, const char *cls, uint8_t *out, size_t *len)
{
    static const unsigned bytes[] = {1, 3, 4, 1, 0};
    size_t i, n = 0;
    int rc;

    for (i = 0; i < sizeof class_attrs / sizeof class_attrs[0]; i++) {
        const char *v;
        unsigned long long x = 0;
        unsigned b, k;
        if (strcmp(class_attrs[i].cls, cls) != 0 || (v = get(p, class_attrs[i].name)) == NULL)
            continue;
        b = bytes[class_attrs[i].kind];
        if (class_attrs[i].kind == V_HEX) {
            /* A byte string (hex, placeholders allowed) the class checks itself. */
            size_t hl, room = MAX_PARAMS - n < 257 ? MAX_PARAMS - n : 257;
            if (room < 2)
                return fail(L, p, COS_ERR_PARAM, "install parameters longer than %d bytes",
                            MAX_PARAMS);
            if ((rc = hex(L, p, class_attrs[i].name, v, out + n + 2, room - 2, &hl)) != 0)
                return rc;
            out[n] = class_attrs[i].tag;
            out[n + 1] = (uint8_t)hl;
            n += 2 + hl;
            continue;
        }
        if (class_attrs[i].kind == V_PURSES) {
            if (strcmp(v, "ed") == 0)
                x = PBOC_PURSE_ED;
            else if (strcmp(v, "ep") == 0)
                x = PBOC_PURSE_EP;
            else if (strcmp(v, "ed,ep") == 0 || strcmp(v, "ep,ed") == 0)
                x = PBOC_PURSE_ED | PBOC_PURSE_EP;
            else
                return fail(L, p, COS_ERR_PARAM, "expected purses=ed, ep or ed,ep, got '%s'", v);
        } else if ((rc = num(L, p, class_attrs[i].name, v, (1ull << (8 * b)) - 1, &x)) != 0) {
            return rc;
        }
        if (n + 2 + b > MAX_PARAMS)
            return fail(L, p, COS_ERR_PARAM, "install parameters longer than %d bytes", MAX_PARAMS);
        out[n++] = class_attrs[i].tag;
        out[n++] = (uint8_t)b;
        for (k = 0; k < b; k++)
            out[n++] = (uint8_t)(x >> (8 * (b - 1 - k)));
    }
    *len = n;
    return 0;
}

static int do_app(loader *L, const pline *p)
{
    uint8_t aid[COS_AID_MAX], fci[COS_FCI_MAX], fidb[2] = {0, 0}, params[MAX_PARAMS], priv[3];
    size_t aidlen, fcilen = 0, plen = 0, raw = 0;
    const char *clsname = get(p, "class");
    const cos_applet_class *cls;
    cos_inst_spec spec;
    cos_oid oid = 0;
    int rc;

    if (clsname == NULL)
        return fail(L, p, COS_ERR_PARAM, "expected class=NAME on 'app'");
    cls = obol_rom_find_name(clsname);
    if (cls == NULL)
        return fail(L, p, COS_ERR_PARAM, "unknown applet class '%s' (not in obol_rom.h)", clsname);
    if ((rc = hex(L, p, "aid", get(p, "aid"), aid, sizeof aid, &aidlen)) != 0)
        return rc;
    if (aidlen < 5)
        return fail(L, p, COS_ERR_PARAM, "expected an AID of 5 to 16 bytes");
    if (get(p, "fid") != NULL && (rc = hex_exact(L, p, "fid", get(p, "fid"), fidb, 2)) != 0)
        return rc;
    if (get(p, "fci") != NULL && (rc = hex(L, p, "fci", get(p, "fci"), fci, sizeof fci, &fcilen)))
        return rc;
    memset(priv, 0, sizeof priv);
    if (get(p, "priv") != NULL && (rc = hex_exact(L, p, "priv", get(p, "priv"), priv, 3)) != 0)
        return rc;
    if ((rc = class_params(L, p, clsname, params, &plen)) != 0)
        return rc;
    if (get(p, "params") != NULL &&
        (rc = hex(L, p, "params", get(p, "params"), params + plen, sizeof params - plen, &raw)))
        return rc;
    plen += raw;
    if ((rc = check_used(L, p)) != 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.df.fid = (uint16_t)(fidb[0] << 8 | fidb[1]);
    spec.df.name = aid;
    spec.df.namelen = (uint8_t)aidlen;
    spec.df.fci = fcilen ? fci : NULL;
    spec.df.fcilen = (uint8_t)fcilen;
    spec.class_id = cls->id;
    spec.params = plen ? params : NULL;
    spec.plen = (uint16_t)plen;
    memcpy(spec.priv, priv, 3);
    if (!L->dry &&
        (rc = card_rc(L, p, cos_inst_create(L->card, L->mf, &spec, &oid), "installing the app")))
        return rc;
    L->cur = oid;
    return 0;
}

static int do_ef(loader *L, const pline *p)
{
    uint8_t data[MAX_DATA];
    const char *type = get(p, "type"), *recs;
    uint8_t fidb[2];
    unsigned long long sfi = 0, size = 0, reclen = 0, nrec = 0, blank = 0;
    size_t dlen = 0;
    cos_ef_spec spec;
    cos_oid oid;
    int rc;

    memset(&spec, 0, sizeof spec);
    if ((rc = hex_exact(L, p, "fid", get(p, "fid"), fidb, 2)) != 0)
        return rc;
    spec.fid = (uint16_t)(fidb[0] << 8 | fidb[1]);
    if (get(p, "sfi") != NULL) {
        uint8_t b;
        if ((rc = hex_exact(L, p, "sfi (hex)", get(p, "sfi"), &b, 1)) != 0)
            return rc;
        if (b < 1 || b > 30)
            return fail(L, p, COS_ERR_PARAM, "expected an sfi from 01 to 1E");
        sfi = b;
    }
    spec.sfi = (uint8_t)sfi;
    if (type == NULL)
        return fail(L, p, COS_ERR_PARAM, "expected type=transparent, linear or cyclic");
    if (strcmp(type, "transparent") == 0)
        spec.type = COS_EF_TRANSPARENT;
    else if (strcmp(type, "linear") == 0)
        spec.type = COS_EF_LINEAR;
    else if (strcmp(type, "cyclic") == 0)
        spec.type = COS_EF_CYCLIC;
    else
        return fail(L, p, COS_ERR_PARAM, "expected type=transparent, linear or cyclic, got '%s'",
                    type);
    if ((rc = acond(L, p, "read", COS_AC_ALWAYS, &spec.ac_read)) != 0 ||
        (rc = acond(L, p, "write", COS_AC_NEVER, &spec.ac_write)) != 0)
        return rc;
    if (spec.type == COS_EF_TRANSPARENT) {
        if (get(p, "data") != NULL &&
            (rc = hex(L, p, "data", get(p, "data"), data, sizeof data, &dlen)) != 0)
            return rc;
        if ((rc = opt_num(L, p, "size", 65535, dlen, &size)) != 0)
            return rc;
        if (size == 0 || dlen > size)
            return fail(L, p, COS_ERR_PARAM, "expected size >= 1 and >= the data (%zu bytes)",
                        dlen);
        spec.size = (uint16_t)size;
    } else {
        if ((rc = num(L, p, "reclen", get(p, "reclen"), 255, &reclen)) != 0 ||
            (rc = num(L, p, "nrec", get(p, "nrec"), 254, &nrec)) != 0)
            return rc;
        if (reclen == 0 || nrec == 0)
            return fail(L, p, COS_ERR_PARAM, "expected reclen and nrec of at least 1");
        spec.reclen = (uint8_t)reclen;
        spec.nrec = (uint8_t)nrec;
        /* records=R1,R2,... each exactly reclen bytes, appended in order */
        if ((recs = get(p, "records")) != NULL) {
            char tmp[1024];
            const char *s = recs;
            while (*s != '\0') {
                const char *c = strchr(s, ',');
                size_t l = c ? (size_t)(c - s) : strlen(s), got;
                if (l >= sizeof tmp)
                    return fail(L, p, COS_ERR_PARAM, "a record is too long");
                memcpy(tmp, s, l);
                tmp[l] = '\0';
                if ((rc = hex(L, p, "a record", tmp, data + dlen, sizeof data - dlen, &got)) != 0)
                    return rc;
                if (got != reclen)
                    return fail(L, p, COS_ERR_PARAM, "expected records of %llu bytes, got %zu",
                                reclen, got);
                dlen += got;
                if (dlen / reclen > nrec)
                    return fail(L, p, COS_ERR_PARAM, "more records than nrec=%llu", nrec);
                s = c ? c + 1 : s + l;
            }
        }
        /* blank=N appends N records of zeros (records a CAPP update rewrites later) */
        if ((rc = opt_num(L, p, "blank", 254, 0, &blank)) != 0)
            return rc;
        if (dlen / reclen + blank > nrec)
            return fail(L, p, COS_ERR_PARAM, "more records than nrec=%llu", nrec);
        if (dlen + blank * reclen > sizeof data)
            return fail(L, p, COS_ERR_PARAM, "initial records longer than %zu bytes", sizeof data);
        memset(data + dlen, 0, (size_t)(blank * reclen));
        dlen += (size_t)(blank * reclen);
    }
    spec.init = dlen ? data : NULL;
    spec.init_len = (uint16_t)dlen;
    if ((rc = check_used(L, p)) != 0)
        return rc;
    if (L->dry)
        return 0;
    return card_rc(L, p, cos_perso_ef(L->card, L->cur, &spec, &oid), "creating the EF");
}

static int do_pin(loader *L, const pline *p)
{
    uint8_t v[COS_PIN_MAX];
    size_t len;
    unsigned long long ref, maxlen, tries, puk;
    cos_oid oid;
    int rc;

    if ((rc = num(L, p, "ref", get(p, "ref"), 31, &ref)) != 0)
        return rc;
    if (ref == 0)
        return fail(L, p, COS_ERR_PARAM, "expected ref from 1 to 31");
    if ((rc = hex(L, p, "value", get(p, "value"), v, sizeof v, &len)) != 0)
        return rc;
    if (len == 0)
        return fail(L, p, COS_ERR_PARAM, "expected a PIN value of 1 to %d bytes", COS_PIN_MAX);
    if ((rc = opt_num(L, p, "max", COS_PIN_MAX, len, &maxlen)) != 0 ||
        (rc = opt_num(L, p, "tries", 15, 3, &tries)) != 0 ||
        (rc = opt_num(L, p, "puk", 31, 0, &puk)) != 0)
        return rc;
    if (maxlen < len)
        return fail(L, p, COS_ERR_PARAM, "expected max >= the PIN length %zu", len);
    if ((rc = check_used(L, p)) != 0)
        return rc;
    if (L->dry)
        return 0;
    rc = cos_perso_pin(L->card, L->cur, (uint8_t)ref, v, (uint8_t)len, (uint8_t)maxlen,
                       (uint8_t)tries, (uint8_t)puk, &oid);
    return card_rc(L, p, rc, "creating the PIN");
}

static const struct {
    const char *name;
    uint8_t usage;
} usages[] = {
    {"any", COS_KEY_ANY},
    {"ext_auth", COS_KEY_EXT_AUTH},
    {"int_auth", COS_KEY_INT_AUTH},
    {"sm_mac", COS_KEY_SM_MAC},
    {"app_maint", COS_KEY_APP_MAINT},
    {"gp", COS_KEY_GP},
    {"purchase", PBOC_KEY_PURCHASE},
    {"load", PBOC_KEY_LOAD},
    {"tac", PBOC_KEY_TAC},
    {"psam_purchase1", PSAM_KEY_PURCHASE1},
    {"psam_purchase2", PSAM_KEY_PURCHASE2},
    {"psam_tac1", PSAM_KEY_TAC1},
    {"psam_tac2", PSAM_KEY_TAC2},
    {"ssc_role", SSC_KEY_ROLE},
};

static int do_key(loader *L, const pline *p)
{
    const char *u = get(p, "usage"), *alg = get(p, "alg"), *master = get(p, "master");
    const char *disp = get(p, "disperse");
    uint8_t v[COS_KEY_MAX], k1[16];
    size_t len = 0, i;
    unsigned long long usage = 256, kid, kver, tries;
    cos_key_spec spec;
    cos_oid oid;
    int rc;

    if (u == NULL)
        return fail(L, p, COS_ERR_PARAM, "expected usage=NAME or a number on 'key'");
    for (i = 0; i < sizeof usages / sizeof usages[0]; i++)
        if (strcmp(usages[i].name, u) == 0)
            usage = usages[i].usage;
    if (usage == 256 && (rc = num(L, p, "usage", u, 255, &usage)) != 0)
        return rc;
    if ((rc = opt_num(L, p, "index", 255, 1, &kid)) != 0 ||
        (rc = opt_num(L, p, "version", 255, 1, &kver)) != 0 ||
        (rc = opt_num(L, p, "tries", 255, 0, &tries)) != 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.alg = COS_ALG_DES;
    if (alg != NULL) {
        if (strcmp(alg, "des") == 0 || strcmp(alg, "3des") == 0)
            spec.alg = COS_ALG_DES;
        else if (strcmp(alg, "aes") == 0)
            spec.alg = COS_ALG_AES;
        else if (strcmp(alg, "sm4") == 0)
            spec.alg = COS_ALG_SM4;
        else
            return fail(L, p, COS_ERR_PARAM, "expected alg=des, aes or sm4, got '%s'", alg);
    }
    if ((master != NULL) == (get(p, "value") != NULL))
        return fail(L, p, COS_ERR_PARAM, "expected exactly one of value=HEX and master=TEST-NAME");
    if (master != NULL) {
        const mkey *m = NULL;
        for (i = 0; i < L->nmk; i++)
            if (strcmp(L->mk[i].name, master) == 0)
                m = &L->mk[i];
        if (m == NULL)
            return fail(L, p, COS_ERR_PARAM, "unknown master key '%s' (expected a masterkey line)",
                        master);
        if (disp == NULL || strcmp(disp, "serial") == 0 || strcmp(disp, "issuer,serial") == 0) {
            /* PBOC dispersion: Div(MK, F) = 3DES(MK, F) || 3DES(MK, NOT F); two levels
             * disperse by the issuer code first (the project's pinned choice). */
            if (m->len != 16 || spec.alg != COS_ALG_DES)
                return fail(L, p, COS_ERR_PARAM, "dispersion needs a 16-byte 3DES master key");
            if (disp != NULL && strcmp(disp, "issuer,serial") == 0) {
                cos_pboc_disperse(m->v, L->issuer, k1);
                cos_pboc_disperse(k1, L->serial, v);
                cos_wipe(k1, sizeof k1);
            } else {
                cos_pboc_disperse(m->v, L->serial, v);
            }
            len = 16;
        } else if (strcmp(disp, "none") == 0) {
            memcpy(v, m->v, m->len);
            len = m->len;
        } else {
            return fail(L, p, COS_ERR_PARAM,
                        "expected disperse=serial, issuer,serial or none, got '%s'", disp);
        }
    } else if ((rc = hex(L, p, "value", get(p, "value"), v, sizeof v, &len)) != 0) {
        return rc;
    }
    if ((rc = check_used(L, p)) != 0)
        goto out;
    spec.usage = (uint8_t)usage;
    spec.kid = (uint8_t)kid;
    spec.kver = (uint8_t)kver;
    spec.len = (uint8_t)len;
    spec.err_max = (uint8_t)tries;
    spec.value = v;
    if (!L->dry)
        rc = card_rc(L, p, cos_perso_key(L->card, L->cur, &spec, &oid), "creating the key");
out:
    cos_wipe(v, sizeof v);
    return rc;
}

/* Plays the directives (other than card and masterkey) in order. */
static int play(loader *L)
{
    size_t i;
    int rc = 0;

    L->cur = L->mf;
    for (i = 0; rc == 0 && i < L->n; i++) {
        const pline *p = &L->lines[i];
        if (strcmp(p->dir, "card") == 0 || strcmp(p->dir, "masterkey") == 0)
            continue;
        if (strcmp(p->dir, "mf") == 0) {
            L->cur = L->mf;
            rc = check_used(L, p);
        } else if (strcmp(p->dir, "df") == 0) {
            rc = do_df(L, p);
        } else if (strcmp(p->dir, "app") == 0) {
            rc = do_app(L, p);
        } else if (strcmp(p->dir, "ef") == 0) {
            rc = do_ef(L, p);
        } else if (strcmp(p->dir, "pin") == 0) {
            rc = do_pin(L, p);
        } else if (strcmp(p->dir, "key") == 0) {
            rc = do_key(L, p);
        } else {
            rc = fail(L, p, COS_ERR_PARAM,
                      "unknown directive '%s' (expected include, masterkey, card, mf, df, app, "
                      "ef, pin or key)",
                      p->dir);
        }
    }
    return rc;
}

static void reset_used(loader *L)
{
    size_t i;
    int k;

    for (i = 0; i < L->n; i++)
        for (k = 0; k < L->lines[i].nattr; k++)
            L->lines[i].attrs[k].used = 0;
}

int cos_profile_apply(cos_card *card, const char *name_or_path, uint64_t serial_override_or_0,
                      char *err, size_t errlen)
{
    loader L;
    char *path = NULL;
    uint8_t atr[64];
    size_t atrlen, i;
    cos_format_params fp;
    int rc;

    memset(&L, 0, sizeof L);
    L.err = err;
    L.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (card == NULL || name_or_path == NULL || *name_or_path == '\0')
        return fail(&L, NULL, COS_ERR_PARAM, "no card or no profile name");
    if (strchr(name_or_path, '/') == NULL && strstr(name_or_path, ".profile") == NULL) {
        const char *dir = getenv("OBOL_PROFILE_DIR");
        size_t need;
        if (dir == NULL || *dir == '\0')
            dir = OBOL_PROFILE_DIR_DEFAULT;
        need = strlen(dir) + strlen(name_or_path) + 16;
        path = malloc(need);
        if (path == NULL)
            return fail(&L, NULL, COS_ERR_NO_SPACE, "out of memory");
        snprintf(path, need, "%s/%s.profile", dir, name_or_path);
    }
    rc = read_file(&L, path ? path : name_or_path, 0, NULL);
    free(path);
    if (rc != 0)
        goto out;
    /* Pass 0: master keys and the card line, wherever they are. */
    for (i = 0; rc == 0 && i < L.n; i++) {
        if (strcmp(L.lines[i].dir, "masterkey") == 0)
            rc = do_masterkey(&L, &L.lines[i]);
        else if (strcmp(L.lines[i].dir, "card") == 0)
            rc = do_card(&L, &L.lines[i], serial_override_or_0);
    }
    if (rc != 0)
        goto out;
    if (L.card_line == NULL) {
        rc = fail(&L, NULL, COS_ERR_PARAM, "%s: expected a 'card serial=...' line", name_or_path);
        goto out;
    }
    /* Pass 1: the whole profile checked without the card. */
    L.dry = 1;
    if ((rc = play(&L)) != 0)
        goto out;
    reset_used(&L);
    /* Pass 2: the card. */
    L.dry = 0;
    L.card = card;
    memset(&fp, 0, sizeof fp);
    fp.journal_size = L.journal;
    fp.options = L.options;
    fp.mf_name = L.mf_name_len ? L.mf_name : NULL;
    fp.mf_name_len = (uint8_t)L.mf_name_len;
    if ((rc = card_rc(&L, L.card_line, cos_format(card, &fp), "formatting the card")) != 0)
        goto out;
    rc = cos_power_on(card, COS_IF_CONTACT, 0, atr, sizeof atr, &atrlen);
    if ((rc = card_rc(&L, L.card_line, rc, "powering the card on")) != 0)
        goto out;
    L.mf = cos_perso_mf(card);
    if ((rc = play(&L)) == 0)
        rc = card_rc(&L, L.card_line, cos_perso_finish(card), "finishing personalization");
    cos_power_off(card);
out:
    loader_free(&L);
    return rc;
}
