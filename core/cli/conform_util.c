/*
 * obol CLI: the card conformance suite's shared machinery (conform.h): the exchanges
 * with their log and the deviation messages every case uses, the constants of the
 * suite, the TEST keys and the resets between cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

const uint8_t conform__purse_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};
const uint8_t conform__psam_aid[10] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};
const uint8_t conform__isd_aid[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};
/* GlobalPlatform's well-known test key (TEST KEY; profiles/multiapp.profile's ISD). */
const uint8_t conform__gp_test_key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                          0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};
/* Every purse transaction of the suite is dated 2026-11-22 08:30:00, so runs compare. */
const uint8_t conform__tx_date[4] = {0x20, 0x26, 0x11, 0x22};
const uint8_t conform__tx_time[3] = {0x08, 0x30, 0x00};
const uint8_t conform__load_tid[6] = {0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};

const char *conform_verdict_name(conform_verdict v)
{
    static const char *const names[] = {"pass", "FAIL", "error", "skip"};
    return (unsigned)v < 4 ? names[v] : "?";
}

/* ---- exchanges and their log -------------------------------------------------------- */

void conform__log(conform_ctx *c, const char *who, const char *dir, const uint8_t *b, size_t n)
{
    size_t need = strlen(who) + 8 + 2 * n + 2;
    if (c->loglen + need + 1 > c->logcap) {
        size_t cap = (c->logcap ? 2 * c->logcap : 4096) + need;
        char *p = realloc(c->log, cap);
        if (p == NULL)
            return;
        c->log = p;
        c->logcap = cap;
    }
    c->loglen += (size_t)sprintf(c->log + c->loglen, "\"%s\" %s", who, dir);
    if (n > 0)
        c->log[c->loglen++] = ' ';
    for (size_t i = 0; i < n; i++)
        c->loglen += (size_t)sprintf(c->log + c->loglen, "%02X", b[i]);
    c->log[c->loglen++] = '\n';
    c->log[c->loglen] = '\0';
}

/* Records why the case ended with V (the first reason stays) and returns V. */
conform_verdict conform__said(conform_ctx *c, conform_verdict v, const char *fmt, ...)
{
    if (c->detail[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
        va_end(ap);
    }
    return v;
}

/* One exchange with L ("card" or "psam" in the log): the response data into DATA (may
 * be NULL), its length into *DLEN, the status word into *SW. Returns 0, or -1 when the
 * card did not answer (the detail says why). */
int conform__xfer(conform_ctx *c, link *l, const uint8_t *cmd, size_t len, uint8_t *data,
                  size_t *dlen, uint16_t *sw)
{
    uint8_t rsp[CONFORM__RSP_MAX];
    size_t n = 0;
    const char *who = l == c->card ? "card" : "psam";
    conform__log(c, who, ">", cmd, len);
    if (link_transmit(l, cmd, len, rsp, sizeof(rsp), &n) != 0) {
        conform__said(c, CONFORM_ERROR, "%s did not answer: %s", who, link_errmsg(l));
        return -1;
    }
    conform__log(c, who, "<", rsp, n);
    *sw = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
    if (data != NULL)
        memcpy(data, rsp, n - 2);
    if (dlen != NULL)
        *dlen = n - 2;
    return 0;
}

size_t conform__unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex && n < cap; hex++) {
        int v = (*hex >= '0' && *hex <= '9')   ? *hex - '0'
                : (*hex >= 'A' && *hex <= 'F') ? *hex - 'A' + 10
                : (*hex >= 'a' && *hex <= 'f') ? *hex - 'a' + 10
                                               : -1;
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

/* conform__xfer() with the command in hex. */
int conform__xh(conform_ctx *c, link *l, const char *hex, uint8_t *data, size_t *dlen, uint16_t *sw)
{
    uint8_t cmd[300];
    return conform__xfer(c, l, cmd, conform__unhex(hex, cmd, sizeof(cmd)), data, dlen, sw);
}

int conform__select_aid(conform_ctx *c, link *l, uint8_t cla, const uint8_t *aid, size_t len,
                        uint8_t *fci, size_t *fcilen, uint16_t *sw)
{
    uint8_t cmd[32] = {cla, 0xA4, 0x04, 0x00, (uint8_t)len};
    memcpy(cmd + 5, aid, len);
    cmd[5 + len] = 0x00;
    return conform__xfer(c, l, cmd, 6 + len, fci, fcilen, sw);
}

void conform__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t conform__be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- keys and resets ---------------------------------------------------------------- */

int conform_load_keys(conform_ctx *c, const char *dir, char *err, size_t errlen)
{
    char path[1024], line[512];
    snprintf(path, sizeof(path), "%s/test-keys.profile", dir);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open the TEST keys", path);
        return -1;
    }
    static const struct {
        const char *name;
        size_t off;
    } want[] = {{"TEST-MPK-01", offsetof(conform_ctx, mpk1)},
                {"TEST-MPK-02", offsetof(conform_ctx, mpk2)},
                {"TEST-MLK-01", offsetof(conform_ctx, mlk1)},
                {"TEST-MTK-01", offsetof(conform_ctx, mtk1)}};
    unsigned found = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[64], hex[128];
        if (sscanf(line, "masterkey %63s %127s", name, hex) != 2)
            continue;
        for (size_t i = 0; i < 4; i++)
            if (strcmp(name, want[i].name) == 0 &&
                conform__unhex(hex, (uint8_t *)c + want[i].off, 16) == 16)
                found |= 1u << i;
    }
    fclose(f);
    if (found != 0xF) {
        snprintf(err, errlen, "%s: TEST-MPK-01/02, TEST-MLK-01 or TEST-MTK-01 missing", path);
        return -1;
    }
    c->have_keys = 1;
    return 0;
}

int conform_reset(conform_ctx *c)
{
    const uint8_t *atr;
    size_t len;
    if (link_power_on(c->card, 0, &atr, &len) != 0) {
        conform__said(c, CONFORM_ERROR, "power on: %s", link_errmsg(c->card));
        return -1;
    }
    if (c->psam != NULL && link_power_on(c->psam, 0, &atr, &len) != 0) {
        conform__said(c, CONFORM_ERROR, "PSAM power on: %s", link_errmsg(c->psam));
        return -1;
    }
    return 0;
}
