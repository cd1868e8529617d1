/*
 * obol APDU traces: importers for the logs other tools write.
 *
 * pcsc-spy (pcsc-lite's spy, `pcsc-spy -n` output, with or without --thread and
 * --diffable): function blocks such as
 *
 *   SCardConnect
 *    i szReader Virtual PCD 00 00
 *    o phCard 0x4A7B0001 (...)
 *   SCardTransmit
 *    i hCard: 0x4A7B0001
 *    i bSendLength 0x00000005 (5)
 *    i bSendBuffer
 *    i  0000 80 5C 00 02 04                                   .\...
 *    o bRecvLength 0x00000006 (6)
 *    o bRecvBuffer
 *    o  0000 00 00 00 00 90 00                                ......
 *    => Command successful (SCARD_S_SUCCESS [0x00000000])  [0.000211]
 *
 * The hex dump's bytes sit at fixed columns (offset, 16 bytes, ASCII), so the lengths
 * logged before each buffer say how many to take; the ASCII column is never read as
 * bytes. Readers come from SCardConnect (szReader -> phCard); times add up the
 * bracketed durations, as the display has no clock.
 *
 * GlobalPlatformPro / apdu4j (`gp -d`):
 *
 *   SCardConnect("Virtual PCD 00 00", T=*) -> T=1, 3B9E13...
 *   A>> T=1 (4+0008) 80500000 08 0102030405060708 00
 *   A<< (0028+2) (12ms) 000000000000000000002002... 9000
 *
 * The announced lengths are checked against the hex, so a truncated line is a syntax
 * error with its line number, not a silent difference at replay.
 */
#include <stdlib.h>
#include <string.h>

#include "obol/trace.h"
#include "trace_internal.h"

/* ---- shared ------------------------------------------------------------------------- */

static const char *find(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return s + i;
    return NULL;
}

static int add(trace_log *t, trace_kind kind, const char *reader, uint64_t t_us,
               const uint8_t *data, size_t len, uint32_t line)
{
    int r = trace_log_reader(t, reader);
    return r < 0 ? r : trace_log_add(t, kind, (uint32_t)r, t_us, data, len, line);
}

/* Reads "[S.FFFFFF]" or "(Nms)" durations into microseconds; 0 when absent. */
static uint64_t bracket_seconds(const char *s, size_t n)
{
    const char *p = NULL;
    for (size_t i = n; i-- > 0;)
        if (s[i] == '[') {
            p = s + i + 1;
            break;
        }
    if (p == NULL)
        return 0;
    uint64_t sec = 0, us = 0;
    int fd = 0;
    while (p < s + n && *p >= '0' && *p <= '9')
        sec = sec * 10 + (uint64_t)(*p++ - '0');
    if (p < s + n && *p == '.')
        for (p++; p < s + n && *p >= '0' && *p <= '9'; p++)
            if (fd++ < 6)
                us = us * 10 + (uint64_t)(*p - '0');
    for (; fd < 6; fd++)
        us *= 10;
    return sec * 1000000u + us;
}

/* The number of data bytes a command APDU carries (Nc), or -1 when malformed. */
static long apdu_nc(const uint8_t *a, size_t n)
{
    if (n < 4)
        return -1;
    if (n <= 5)
        return 0;
    if (a[4] != 0)
        return (n == 5u + a[4] || n == 6u + a[4]) ? a[4] : -1;
    if (n == 7)
        return 0; /* extended case 2 */
    long nc = (long)a[5] << 8 | a[6];
    return (n == 7u + (size_t)nc || n == 9u + (size_t)nc) ? nc : -1;
}

/* ---- pcsc-spy ----------------------------------------------------------------------- */

#define SPY_HANDLES 64

typedef struct spy {
    trace_log *t;
    const char *name;
    char *err;
    size_t errlen;
    uint64_t t_us;
    char fn[40];      /* the function of the current block */
    uint32_t fn_line; /* its line */
    char reader[256]; /* SCardConnect: szReader; also the reader of the last connect */
    char handle[32];  /* hCard of the current block */
    int have_reader;
    struct {
        char handle[32];
        char reader[256];
    } map[SPY_HANDLES];
    size_t nmap, next_slot;
    /* the buffer being read */
    int in_buf; /* 0 none, 'i' send buffer, 'o' receive buffer */
    long want;  /* bytes announced by the length line, -1 unknown */
    uint8_t buf[2][65544];
    size_t got[2];
    long len[2]; /* announced send/receive lengths */
    uint32_t cmd_line;
    uint32_t disposition; /* SCardDisconnect / SCardReconnect dwInitialization */
    int have_disposition;
} spy;

static const char *spy_reader_of(spy *s, const char *handle)
{
    if (strcmp(handle, "0x????") != 0)
        for (size_t i = 0; i < s->nmap; i++)
            if (strcmp(s->map[i].handle, handle) == 0)
                return s->map[i].reader;
    return s->have_reader ? s->reader : "pcsc";
}

static void spy_map(spy *s, const char *handle, const char *reader)
{
    size_t i;
    for (i = 0; i < s->nmap; i++)
        if (strcmp(s->map[i].handle, handle) == 0)
            break;
    if (i == s->nmap) {
        if (s->nmap < SPY_HANDLES)
            s->nmap++;
        else
            i = s->next_slot++ % SPY_HANDLES;
    }
    snprintf(s->map[i].handle, sizeof(s->map[i].handle), "%s", handle);
    snprintf(s->map[i].reader, sizeof(s->map[i].reader), "%s", reader);
}

/* Copies the first word of S (N bytes) into OUT. */
static void word(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    while (n > 0 && (*s == ' ' || *s == ':')) {
        s++;
        n--;
    }
    while (k < n && s[k] != ' ' && k + 1 < cap) {
        out[k] = s[k];
        k++;
    }
    out[k] = '\0';
}

static long hexnum(const char *s, size_t n)
{
    const char *p = find(s, n, "0x");
    if (p == NULL)
        return -1;
    long v = 0;
    for (p += 2; p < s + n; p++) {
        int d = (*p >= '0' && *p <= '9')   ? *p - '0'
                : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
                                           : -1;
        if (d < 0)
            break;
        v = v * 16 + d;
        if (v > 0x7FFFFFFF)
            return -1;
    }
    return v;
}

/* One hex dump line "0000 80 5C 00 02 04   ...": bytes at columns 5 + 3k. */
static int spy_dump_line(spy *s, int which, const char *l, size_t n, uint32_t line)
{
    size_t have = s->got[which];
    long want = s->len[which];
    size_t take = 16;
    if (want >= 0) {
        if ((long)have >= want)
            return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                               "more hex dump lines than the %ld bytes announced", want);
        take = (size_t)want - have < 16 ? (size_t)want - have : 16;
    }
    if (n < 5 || l[4] != ' ')
        return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                           "expected a hex dump line 'OFFSET BYTES ASCII'");
    size_t k;
    for (k = 0; k < take; k++) {
        size_t c = 5 + 3 * k;
        uint8_t *b = NULL;
        size_t bl, bad;
        if (c + 2 > n || trace__unhex(l + c, 2, &b, &bl, &bad) != 0 || bl != 1) {
            free(b);
            if (want < 0 && k > 0)
                break; /* unknown length: the dump ends where the bytes do */
            return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                               "expected %zu hex bytes in this dump line, found %zu", take, k);
        }
        if (have + k >= sizeof(s->buf[which])) {
            free(b);
            return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                               "buffer too long");
        }
        s->buf[which][have + k] = b[0];
        free(b);
        if (c + 2 < n && l[c + 2] != ' ')
            return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                               "expected hex bytes separated by spaces");
    }
    s->got[which] += k;
    return 0;
}

/* The end of a function block (the " => " line): emit what it did. */
static int spy_end(spy *s, const char *l, size_t n, uint32_t line)
{
    int ok = find(l, n, "[0x00000000]") != NULL || find(l, n, "SCARD_S_SUCCESS") != NULL;
    s->t_us += bracket_seconds(l, n);
    int rc = 0;
    if (!ok) {
        /* A failed call exchanged nothing with the card. */
    } else if (strcmp(s->fn, "SCardConnect") == 0) {
        if (s->handle[0])
            spy_map(s, s->handle, s->reader);
        rc = add(s->t, TRACE_ON, s->reader, s->t_us, NULL, 0, s->fn_line);
    } else if (strcmp(s->fn, "SCardTransmit") == 0) {
        const char *r = spy_reader_of(s, s->handle);
        if (s->len[0] >= 0 && (long)s->got[0] != s->len[0])
            return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                               "the send buffer has %zu bytes, %ld announced", s->got[0],
                               s->len[0]);
        if (s->len[1] >= 0 && (long)s->got[1] != s->len[1])
            return trace__fail(s->err, s->errlen, s->name, line, TRACE_ERR_SYNTAX,
                               "the receive buffer has %zu bytes, %ld announced", s->got[1],
                               s->len[1]);
        if (s->got[0] < 4 || s->got[1] < 2)
            return trace__fail(s->err, s->errlen, s->name, s->fn_line, TRACE_ERR_SYNTAX,
                               "SCardTransmit without a command (>= 4 bytes) and a response "
                               "(>= 2 bytes)");
        rc = add(s->t, TRACE_CMD, r, s->t_us, s->buf[0], s->got[0], s->cmd_line);
        if (rc == 0)
            rc = add(s->t, TRACE_RSP, r, s->t_us, s->buf[1], s->got[1], line);
    } else if (strcmp(s->fn, "SCardReconnect") == 0 && s->have_disposition) {
        /* dwInitialization: 1 SCARD_RESET_CARD (warm), 2 SCARD_UNPOWER_CARD (cold) */
        const char *r = spy_reader_of(s, s->handle);
        if (s->disposition == 1)
            rc = add(s->t, TRACE_RESET, r, s->t_us, NULL, 0, s->fn_line);
        else if (s->disposition == 2)
            rc = add(s->t, TRACE_ON, r, s->t_us, NULL, 0, s->fn_line);
    } else if (strcmp(s->fn, "SCardDisconnect") == 0 && s->have_disposition &&
               (s->disposition == 2 || s->disposition == 3)) {
        /* SCARD_UNPOWER_CARD or SCARD_EJECT_CARD power the card off */
        rc = add(s->t, TRACE_OFF, spy_reader_of(s, s->handle), s->t_us, NULL, 0, s->fn_line);
    }
    s->fn[0] = '\0';
    return rc;
}

/* SCardStatus gives the ATR: it completes the power on event of that reader. */
static int spy_status_atr(spy *s, const char *hex, size_t n, uint32_t line)
{
    uint8_t *atr = NULL;
    size_t len, bad;
    if (trace__unhex(hex, n, &atr, &len, &bad) != 0 || len == 0) {
        free(atr);
        return 0; /* "NULL" or not hex: no ATR to learn */
    }
    int r = trace_log_reader(s->t, spy_reader_of(s, s->handle));
    if (r < 0) {
        free(atr);
        return r;
    }
    for (size_t i = s->t->nev; i-- > 0;) {
        trace_event *e = &s->t->ev[i];
        if (e->reader != (uint32_t)r)
            continue;
        if ((e->kind == TRACE_ON || e->kind == TRACE_RESET) && e->len == 0) {
            e->data = atr;
            e->len = (uint32_t)len;
            return 0;
        }
        break;
    }
    (void)line;
    free(atr);
    return 0;
}

static int spy_line(spy *s, const char *l, size_t n, uint32_t line)
{
    /* strip the indentation and an optional " (tN) " thread mark */
    while (n > 0 && *l == ' ') {
        l++;
        n--;
    }
    if (n > 2 && l[0] == '(' && l[1] == 't') {
        const char *close = memchr(l, ')', n);
        if (close != NULL) {
            n -= (size_t)(close + 1 - l);
            l = close + 1;
            while (n > 0 && *l == ' ') {
                l++;
                n--;
            }
        }
    }
    if (n == 0)
        return 0;
    if (trace__starts(l, n, "=>"))
        return s->fn[0] ? spy_end(s, l, n, line) : 0;
    if (n >= 2 && (l[0] == 'i' || l[0] == 'o') && l[1] == ' ') {
        int dir = l[0] == 'i' ? 0 : 1;
        l += 2;
        n -= 2;
        if (n > 0 && *l == ' ') { /* a hex dump line, one more space of padding */
            if (!s->in_buf)
                return 0;
            while (n > 0 && *l == ' ') {
                l++;
                n--;
            }
            return spy_dump_line(s, s->in_buf == 'i' ? 0 : 1, l, n, line);
        }
        s->in_buf = 0;
        if (s->fn[0] == '\0')
            return 0;
        if (trace__starts(l, n, "hCard") || trace__starts(l, n, "phCard")) {
            if (dir == 1 || trace__starts(l, n, "hCard"))
                word(l + (l[0] == 'p' ? 6 : 5), n - (l[0] == 'p' ? 6 : 5), s->handle,
                     sizeof(s->handle));
        } else if (trace__starts(l, n, "szReader")) {
            size_t k = 8;
            while (k < n && l[k] == ' ')
                k++;
            snprintf(s->reader, sizeof(s->reader), "%.*s", (int)(n - k), l + k);
            s->have_reader = 1;
        } else if (trace__starts(l, n, "bSendLength")) {
            s->len[0] = hexnum(l, n);
        } else if (trace__starts(l, n, "bRecvLength")) {
            s->len[1] = hexnum(l, n);
        } else if (trace__starts(l, n, "bSendBuffer")) {
            s->in_buf = 'i';
            s->got[0] = 0;
            s->cmd_line = line;
        } else if (trace__starts(l, n, "bRecvBuffer")) {
            s->in_buf = 'o';
            s->got[1] = 0;
        } else if (trace__starts(l, n, "dwDisposition") ||
                   trace__starts(l, n, "dwInitialization")) {
            long v = hexnum(l, n);
            s->have_disposition = v >= 0;
            s->disposition = (uint32_t)(v >= 0 ? v : 0);
        } else if (trace__starts(l, n, "bAtr ") && strcmp(s->fn, "SCardStatus") == 0) {
            return spy_status_atr(s, l + 5, n - 5, line);
        }
        return 0;
    }
    /* a function name starts a block */
    if (l[0] == 'S' && trace__starts(l, n, "SCard")) {
        snprintf(s->fn, sizeof(s->fn), "%.*s", (int)(n < 39 ? n : 39), l);
        for (char *p = s->fn; *p; p++)
            if (*p == ' ')
                *p = '\0';
        s->fn_line = line;
        s->handle[0] = '\0';
        s->len[0] = s->len[1] = -1;
        s->got[0] = s->got[1] = 0;
        s->in_buf = 0;
        s->have_disposition = 0;
    }
    return 0;
}

int trace__parse_pcscspy(trace_log *t, const char *name, const char *text, size_t len, char *err,
                         size_t errlen)
{
    spy *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return TRACE_ERR_NOMEM;
    s->t = t;
    s->name = name;
    s->err = err;
    s->errlen = errlen;
    s->len[0] = s->len[1] = -1;
    trace__cursor c = {.text = text, .len = len};
    const char *l;
    size_t n;
    int rc = 0;
    while (rc == 0 && trace__next_line(&c, &l, &n))
        rc = spy_line(s, l, n, c.lineno);
    if (rc == 0 && t->nev == 0)
        rc = trace__fail(err, errlen, name, 0, TRACE_ERR_FORMAT,
                         "no SCardTransmit with a command and a response in this pcsc-spy log");
    free(s);
    return rc;
}

/* ---- GlobalPlatformPro -------------------------------------------------------------- */

/* Concatenates the hex tokens of S (N bytes) into OUT. Returns the byte count or -1
 * with *BAD at the offending character. */
static long gpp_hex(const char *s, size_t n, uint8_t *out, size_t cap, size_t *bad)
{
    uint8_t *b = NULL;
    size_t bl;
    if (trace__unhex(s, n, &b, &bl, bad) != 0) {
        free(b);
        return -1;
    }
    if (bl > cap) {
        free(b);
        *bad = 0;
        return -1;
    }
    if (bl > 0)
        memcpy(out, b, bl);
    free(b);
    return (long)bl;
}

/* Reads "(4+NNNN)", "(NNNN+2)" or "(N)" at P: the numbers before and after '+'. */
static int gpp_paren(const char *p, const char *end, long *a, long *b, const char **after)
{
    if (p >= end || *p != '(')
        return -1;
    long x = 0, y = -1;
    int d = 0;
    for (p++; p < end && *p >= '0' && *p <= '9'; p++, d++)
        x = x * 10 + (*p - '0');
    if (d == 0 || d > 6)
        return -1;
    if (p < end && *p == '+') {
        y = 0;
        d = 0;
        for (p++; p < end && *p >= '0' && *p <= '9'; p++, d++)
            y = y * 10 + (*p - '0');
        if (d == 0 || d > 6)
            return -1;
    }
    if (p >= end || *p != ')')
        return -1;
    *a = x;
    *b = y;
    *after = p + 1;
    return 0;
}

static const char *skip_sp(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

typedef struct gpp {
    trace_log *t;
    const char *name;
    char *err;
    size_t errlen;
    uint8_t *buf; /* GPP_BUFCAP bytes */
    char reader[256];
    uint64_t t_us;
} gpp;

#define GPP_BUFCAP 65544

static int gpp_fail(gpp *g, uint32_t line, const char *msg)
{
    return trace__fail(g->err, g->errlen, g->name, line, TRACE_ERR_SYNTAX, "%s", msg);
}

/* Sums a duration "(12ms)" or "(1s200ms)" into G's clock; *P moves past it. */
static int gpp_duration(gpp *g, const char **p, const char *end)
{
    const char *q = memchr(*p, ')', (size_t)(end - *p));
    if (q == NULL)
        return -1;
    uint64_t ms = 0, v = 0;
    for (const char *r = *p + 1; r < q; r++) {
        if (*r >= '0' && *r <= '9') {
            v = v * 10 + (uint64_t)(*r - '0');
        } else if (*r == 's') {
            ms += v * 1000;
            v = 0;
        } else if (*r == 'm') {
            ms += v;
            v = 0;
            r++; /* the 's' of "ms" */
        }
    }
    g->t_us += ms * 1000;
    *p = q + 1;
    return 0;
}

static int gpp_line(gpp *g, const char *l, size_t n, uint32_t line)
{
    const char *end = l + n, *p;
    long a, b, got;
    size_t bad = 0;
    const char *first = skip_sp(l, end);
    if (first < end && *first == '#') {
        /* apdu4j's comment lines: only "# Using \"READER\"" means something */
        if ((p = find(l, n, "# Using \"")) != NULL) {
            p += 9;
            const char *q = memchr(p, '"', (size_t)(end - p));
            if (q != NULL)
                snprintf(g->reader, sizeof(g->reader), "%.*s", (int)(q - p), p);
        }
        return 0;
    }
    if ((p = find(l, n, "SCardConnect(\"")) != NULL) {
        p += 14;
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (q != NULL)
            snprintf(g->reader, sizeof(g->reader), "%.*s", (int)(q - p), p);
        /* "-> T=1, 3B9E..." carries the ATR */
        const char *arrow = find(l, n, "-> ");
        const char *comma = arrow ? memchr(arrow, ',', (size_t)(end - arrow)) : NULL;
        got = 0;
        if (comma != NULL &&
            (got = gpp_hex(comma + 1, (size_t)(end - comma - 1), g->buf, GPP_BUFCAP, &bad)) < 0)
            got = 0;
        return add(g->t, TRACE_ON, g->reader, g->t_us, g->buf, (size_t)got, line);
    }
    if (find(l, n, "SCardDisconnect(") != NULL)
        return add(g->t, TRACE_OFF, g->reader, g->t_us, NULL, 0, line);
    if ((p = find(l, n, "A>>")) != NULL || (p = find(l, n, "B>>")) != NULL) {
        int apdu = p[0] == 'A';
        p = skip_sp(p + 3, end);
        if (p < end && *p != '(') /* the protocol, "T=1" */
            while (p < end && *p != ' ')
                p++;
        p = skip_sp(p, end);
        if (gpp_paren(p, end, &a, &b, &p) != 0 || (apdu ? (a != 4 || b < 0) : b >= 0))
            return gpp_fail(g, line,
                            apdu ? "expected '(4+NNNN)' after 'A>> T=x'"
                                 : "expected '(N)' after 'B>> T=x'");
        if ((got = gpp_hex(p, (size_t)(end - p), g->buf, GPP_BUFCAP, &bad)) < 0)
            return gpp_fail(g, line, "expected the command in hex");
        if (got < 4 || (apdu ? apdu_nc(g->buf, (size_t)got) != b : got != a))
            return trace__fail(g->err, g->errlen, g->name, line, TRACE_ERR_SYNTAX,
                               "the line announces %ld %s, the hex does not hold that",
                               apdu ? b : a, apdu ? "data bytes" : "bytes");
        return add(g->t, TRACE_CMD, g->reader, g->t_us, g->buf, (size_t)got, line);
    }
    if ((p = find(l, n, "A<<")) != NULL || (p = find(l, n, "B<<")) != NULL) {
        int apdu = p[0] == 'A';
        p = skip_sp(p + 3, end);
        if (gpp_paren(p, end, &a, &b, &p) != 0 || (apdu ? b != 2 : b >= 0))
            return gpp_fail(
                g, line, apdu ? "expected '(NNNN+2)' after 'A<<'" : "expected '(N)' after 'B<<'");
        p = skip_sp(p, end);
        if (p < end && *p == '(' && gpp_duration(g, &p, end) != 0)
            return gpp_fail(g, line, "expected the duration '(Nms)' to close");
        if ((got = gpp_hex(p, (size_t)(end - p), g->buf, GPP_BUFCAP, &bad)) < 0)
            return gpp_fail(g, line, "expected the response in hex");
        long want = apdu ? a + 2 : a;
        if (got != want)
            return trace__fail(
                g->err, g->errlen, g->name, line, TRACE_ERR_SYNTAX,
                "the line announces %ld bytes, the hex holds %ld%s", want, got,
                got == 2 && want <= 4 ? " (older GlobalPlatformPro omits 1- and 2-byte data)" : "");
        return add(g->t, TRACE_RSP, g->reader, g->t_us, g->buf, (size_t)got, line);
    }
    return 0;
}

int trace__parse_gpp(trace_log *t, const char *name, const char *text, size_t len, char *err,
                     size_t errlen)
{
    gpp g = {.t = t, .name = name, .err = err, .errlen = errlen, .reader = "gp"};
    trace__cursor c = {.text = text, .len = len};
    const char *l;
    size_t n;
    int rc = (g.buf = malloc(GPP_BUFCAP)) == NULL ? TRACE_ERR_NOMEM : 0;
    while (rc == 0 && trace__next_line(&c, &l, &n))
        rc = gpp_line(&g, l, n, c.lineno);
    if (rc == 0 && t->nev == 0)
        rc = trace__fail(err, errlen, name, 0, TRACE_ERR_FORMAT,
                         "no 'A>>'/'A<<' lines in this GlobalPlatformPro log");
    free(g.buf);
    return rc;
}
