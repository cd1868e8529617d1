/*
 * obol APDU traces: response masks (trace_mask.h). The built-in layouts follow
 * PROTOCOLS.md: PBOC 2.0 part 1 (INITIALIZE FOR LOAD/PURCHASE, CREDIT, DEBIT, GET
 * TRANSACTION PROVE, the PSAM's INIT SAM FOR PURCHASE) and GlobalPlatform card spec
 * 2.x (INITIALIZE UPDATE under SCP02 and SCP03).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/trace.h"
#include "obol/trace_mask.h"

static int hexbyte(const char *s, size_t n, uint8_t *out)
{
    unsigned v = 0;
    if (n != 2)
        return -1;
    for (size_t i = 0; i < 2; i++) {
        char c = s[i];
        int d = (c >= '0' && c <= '9')   ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = (uint8_t)v;
    return 0;
}

static int decimal(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 6)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = (uint32_t)v;
    return 0;
}

static int bad_spec(const char *spec, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen,
                 "bad mask '%s': expected pboc, gp, known or [CLA:]INS[/P1[/P2]]@OFF[+LEN] "
                 "(hex header bytes or *, decimal offset and length), e.g. 84@0+8",
                 spec);
    return TRACE_ERR_PARAM;
}

int trace_mask_add(trace_masks *m, const char *spec, char *err, size_t errlen)
{
    if (strcmp(spec, "pboc") == 0) {
        m->builtin |= TRACE_MASK_PBOC;
        return 0;
    }
    if (strcmp(spec, "gp") == 0) {
        m->builtin |= TRACE_MASK_GP;
        return 0;
    }
    if (strcmp(spec, "known") == 0) {
        m->builtin |= TRACE_MASK_PBOC | TRACE_MASK_GP;
        return 0;
    }
    trace_mask_rule r;
    memset(&r, 0, sizeof(r));
    snprintf(r.spec, sizeof(r.spec), "%s", spec);
    const char *at = strchr(spec, '@');
    if (at == NULL)
        return bad_spec(spec, err, errlen);
    /* the header part: [CLA:]INS[/P1[/P2]] */
    const char *h = spec, *hend = at;
    const char *colon = memchr(h, ':', (size_t)(hend - h));
    if (colon != NULL) {
        if (colon - h == 1 && h[0] == '*') {
        } else if (hexbyte(h, (size_t)(colon - h), &r.hdr[0]) == 0) {
            r.care |= 1;
        } else {
            return bad_spec(spec, err, errlen);
        }
        h = colon + 1;
    }
    for (int k = 1; k <= 3 && h <= hend; k++) {
        const char *slash = memchr(h, '/', (size_t)(hend - h));
        const char *fend = slash ? slash : hend;
        if (fend - h == 1 && h[0] == '*') {
        } else if (hexbyte(h, (size_t)(fend - h), &r.hdr[k]) == 0) {
            r.care |= (uint8_t)(1u << k);
        } else {
            return bad_spec(spec, err, errlen);
        }
        if (slash == NULL)
            break;
        if (k == 3)
            return bad_spec(spec, err, errlen);
        h = slash + 1;
    }
    /* the byte range: OFF[+LEN] */
    const char *range = at + 1, *plus = strchr(range, '+');
    if (decimal(range, plus ? (size_t)(plus - range) : strlen(range), &r.off) != 0)
        return bad_spec(spec, err, errlen);
    r.len = UINT32_MAX;
    if (plus != NULL && (decimal(plus + 1, strlen(plus + 1), &r.len) != 0 || r.len == 0))
        return bad_spec(spec, err, errlen);
    trace_mask_rule *nr = realloc(m->rules, (m->nrules + 1) * sizeof(*nr));
    if (nr == NULL)
        return TRACE_ERR_NOMEM;
    m->rules = nr;
    m->rules[m->nrules++] = r;
    return 0;
}

void trace_mask_free(trace_masks *m)
{
    free(m->rules);
    memset(m, 0, sizeof(*m));
}

/* Masks data bytes [OFF, OFF + LEN) of a response with DLEN data bytes. */
static size_t cover(uint8_t *mask, size_t dlen, uint32_t off, uint32_t len)
{
    size_t n = 0;
    for (size_t i = off; i < dlen && (len == UINT32_MAX || i < (size_t)off + len); i++, n++)
        mask[i] = 1;
    return n;
}

/* The command's Lc (short APDUs), or -1 when it carries no data. */
static int lc_of(const uint8_t *cmd, size_t len)
{
    return len > 5 && cmd[4] != 0 ? cmd[4] : -1;
}

static size_t builtin_pboc(const uint8_t *c, size_t clen, size_t dlen, uint8_t *mask,
                           const char **why)
{
    uint8_t cla = c[0] & 0xFC, ins = c[1], p1 = c[2];
    if (ins == 0x84 && (cla & 0x80) == 0) {
        *why = "pboc: GET CHALLENGE";
        return cover(mask, dlen, 0, UINT32_MAX);
    }
    if (cla != 0x80)
        return 0;
    switch (ins) {
    case 0x50:
        if (lc_of(c, clen) != 0x0B)
            return 0; /* INITIALIZE UPDATE has Lc 08: the gp layout */
        if (p1 == 0x00) {
            /* old balance(4) online counter(2) key version(1) alg(1) random(4) MAC1(4) */
            *why = "pboc: INITIALIZE FOR LOAD random, MAC1";
            return cover(mask, dlen, 8, 8);
        }
        if (p1 == 0x01 || p1 == 0x03) {
            /* balance(4) offline counter(2) overdraft(3) key version(1) alg(1) random(4) */
            *why = "pboc: INITIALIZE FOR PURCHASE random";
            return cover(mask, dlen, 11, 4);
        }
        return 0;
    case 0x52:
        *why = "pboc: CREDIT FOR LOAD TAC";
        return cover(mask, dlen, 0, 4);
    case 0x54:
        *why = "pboc: DEBIT FOR PURCHASE TAC, MAC2";
        return cover(mask, dlen, 0, 8);
    case 0x5A:
        *why = "pboc: GET TRANSACTION PROVE MAC, TAC";
        return cover(mask, dlen, 0, 8);
    case 0x70:
        /* terminal transaction number(4) MAC1(4) */
        *why = "pboc: INIT SAM FOR PURCHASE MAC1";
        return cover(mask, dlen, 4, 4);
    default:
        return 0;
    }
}

static size_t builtin_gp(const uint8_t *c, size_t clen, const uint8_t *rsp, size_t dlen,
                         uint8_t *mask, const char **why)
{
    uint8_t cla = c[0] & 0xFC, ins = c[1];
    if (ins == 0x84 && (cla & 0x80) == 0) {
        *why = "gp: GET CHALLENGE";
        return cover(mask, dlen, 0, UINT32_MAX);
    }
    if (cla != 0x80 || ins != 0x50 || lc_of(c, clen) != 0x08 || dlen < 12)
        return 0;
    /* key diversification data(10) key version(1) SCP id(1) ... */
    if (rsp[11] == 0x02) {
        /* SCP02: sequence counter(2) card challenge(6) card cryptogram(8) */
        *why = "gp: INITIALIZE UPDATE (SCP02) counter, card challenge, cryptogram";
        return cover(mask, dlen, 12, 16);
    }
    if (rsp[11] == 0x03) {
        /* SCP03: i(1) card challenge(8) card cryptogram(8) [sequence counter(3)] */
        *why = "gp: INITIALIZE UPDATE (SCP03) card challenge, cryptogram, counter";
        return cover(mask, dlen, 13, UINT32_MAX);
    }
    return 0;
}

size_t trace_mask_apply(const trace_masks *m, const uint8_t *cmd, size_t cmdlen, const uint8_t *rsp,
                        size_t rsplen, uint8_t *mask, const char **why)
{
    const char *first = NULL, *w = NULL;
    size_t n = 0;
    memset(mask, 0, rsplen);
    if (why != NULL)
        *why = NULL;
    if (cmdlen < 4 || rsplen < 2)
        return 0;
    size_t dlen = rsplen - 2;
    if ((m->builtin & TRACE_MASK_PBOC) && (n += builtin_pboc(cmd, cmdlen, dlen, mask, &w)) &&
        !first)
        first = w;
    if ((m->builtin & TRACE_MASK_GP) && (n += builtin_gp(cmd, cmdlen, rsp, dlen, mask, &w)) &&
        !first)
        first = w;
    for (size_t i = 0; i < m->nrules; i++) {
        const trace_mask_rule *r = &m->rules[i];
        int match = 1;
        for (int k = 0; k < 4; k++)
            if ((r->care & (1u << k)) && r->hdr[k] != cmd[k])
                match = 0;
        if (match) {
            size_t k = cover(mask, dlen, r->off, r->len);
            if (k > 0 && first == NULL)
                first = r->spec;
            n += k;
        }
    }
    if (why != NULL)
        *why = first;
    /* count masked bytes, not rule hits (rules may overlap) */
    n = 0;
    for (size_t i = 0; i < dlen; i++)
        n += mask[i];
    return n;
}

long trace_mask_compare(const trace_masks *m, const uint8_t *cmd, size_t cmdlen,
                        const uint8_t *expected, size_t elen, const uint8_t *got, size_t glen,
                        uint8_t *mask, const char **why)
{
    uint8_t local[512];
    uint8_t *mk = mask;
    if (mk == NULL)
        mk = elen <= sizeof(local) ? local : malloc(elen);
    long diff = -1;
    if (mk == NULL) {
        /* no room for a mask: compare exactly */
        for (size_t i = 0; i < elen && i < glen && diff < 0; i++)
            if (expected[i] != got[i])
                diff = (long)i;
    } else {
        trace_mask_apply(m, cmd, cmdlen, expected, elen, mk, why);
        for (size_t i = 0; i < elen && i < glen && diff < 0; i++)
            if (!mk[i] && expected[i] != got[i])
                diff = (long)i;
    }
    if (diff < 0 && elen != glen)
        diff = (long)(elen < glen ? elen : glen);
    if (mk != mask && mk != local)
        free(mk);
    return diff;
}
