/*
 * obol CLI: the PC/SC card link (link.h) over pcsc-lite's winscard API.
 *
 * Power on is SCardConnect (shared, T=0 or T=1) followed by SCardReconnect with
 * SCARD_UNPOWER_CARD, so every power on is a cold reset whatever state pcscd left the
 * card in; a warm reset is SCardReconnect with SCARD_RESET_CARD; power off is
 * SCardDisconnect with SCARD_UNPOWER_CARD. The ATR comes from SCardStatus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "link.h"

typedef struct plink {
    link base; /* first */
    SCARDCONTEXT ctx;
    SCARDHANDLE card;
    DWORD proto;
    int connected;
    char reader[256];
    uint8_t atr[MAX_ATR_SIZE];
    size_t atrlen;
} plink;

static int pfail(link *l, int code, const char *what, LONG rv)
{
    snprintf(l->msg, sizeof(l->msg), "%s: %s: %s (0x%08lX)", l->name, what,
             pcsc_stringify_error(rv), (unsigned long)rv);
    return code;
}

static int pl_status_atr(plink *p)
{
    char name[256];
    DWORD namelen = sizeof(name), state, proto, atrlen = sizeof(p->atr);
    LONG rv = SCardStatus(p->card, name, &namelen, &state, &proto, p->atr, &atrlen);
    if (rv != SCARD_S_SUCCESS)
        return pfail(&p->base, LINK_ERR_IO, "SCardStatus", rv);
    p->atrlen = atrlen;
    return 0;
}

static int pl_power_on(link *l, int warm, const uint8_t **atr, size_t *atrlen)
{
    plink *p = (plink *)l;
    LONG rv;
    if (!p->connected) {
        rv = SCardConnect(p->ctx, p->reader, SCARD_SHARE_SHARED,
                          SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card, &p->proto);
        if (rv != SCARD_S_SUCCESS)
            return pfail(l, rv == SCARD_E_NO_SMARTCARD ? LINK_ERR_CARD : LINK_ERR_IO,
                         "SCardConnect", rv);
        p->connected = 1;
    }
    rv = SCardReconnect(p->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                        warm ? SCARD_RESET_CARD : SCARD_UNPOWER_CARD, &p->proto);
    if (rv != SCARD_S_SUCCESS)
        return pfail(l, LINK_ERR_IO, "SCardReconnect", rv);
    int rc = pl_status_atr(p);
    if (rc != 0)
        return rc;
    *atr = p->atr;
    *atrlen = p->atrlen;
    return 0;
}

static int pl_power_off(link *l)
{
    plink *p = (plink *)l;
    if (!p->connected)
        return 0;
    p->connected = 0;
    LONG rv = SCardDisconnect(p->card, SCARD_UNPOWER_CARD);
    return rv == SCARD_S_SUCCESS ? 0 : pfail(l, LINK_ERR_IO, "SCardDisconnect", rv);
}

static int pl_transmit(link *l, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                       size_t *rsplen)
{
    plink *p = (plink *)l;
    if (!p->connected) {
        snprintf(l->msg, sizeof(l->msg), "%s: the card is not powered", l->name);
        return LINK_ERR_CARD;
    }
    const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    DWORD n = (DWORD)cap;
    LONG rv = SCardTransmit(p->card, pci, cmd, (DWORD)len, NULL, rsp, &n);
    if (rv != SCARD_S_SUCCESS) {
        int gone = rv == SCARD_W_REMOVED_CARD || rv == SCARD_E_NO_SMARTCARD ||
                   rv == SCARD_W_RESET_CARD || rv == SCARD_W_UNPOWERED_CARD;
        return pfail(l, gone ? LINK_ERR_CARD : LINK_ERR_IO, "SCardTransmit", rv);
    }
    if (n < 2) {
        snprintf(l->msg, sizeof(l->msg), "%s: a %lu-byte response", l->name, (unsigned long)n);
        return LINK_ERR_CARD;
    }
    *rsplen = n;
    return 0;
}

static int pl_close(link *l, char *err, size_t errlen)
{
    plink *p = (plink *)l;
    (void)err;
    (void)errlen;
    if (p->connected)
        SCardDisconnect(p->card, SCARD_UNPOWER_CARD);
    SCardReleaseContext(p->ctx);
    free(p);
    return 0;
}

static const link_ops plink_ops = {pl_power_on, pl_power_off, pl_transmit, pl_close};

/* Finds the reader WANT in the reader list: exact, else a unique substring, else an
 * index. Writes its full name into OUT. */
static int find_reader(SCARDCONTEXT ctx, const char *want, char *out, size_t cap, char *err,
                       size_t errlen)
{
    char *list = NULL;
    DWORD len = SCARD_AUTOALLOCATE;
    LONG rv = SCardListReaders(ctx, NULL, (LPSTR)&list, &len);
    if (rv != SCARD_S_SUCCESS) {
        snprintf(err, errlen, "no PC/SC readers: %s", pcsc_stringify_error(rv));
        return LINK_ERR_USAGE;
    }
    const char *exact = NULL, *part = NULL;
    int nparts = 0, idx = 0, want_idx = -1;
    char *end;
    long v = strtol(want, &end, 10);
    if (*want != '\0' && *end == '\0' && v >= 0)
        want_idx = (int)v;
    const char *by_idx = NULL;
    for (const char *r = list; *r; r += strlen(r) + 1, idx++) {
        if (strcmp(r, want) == 0)
            exact = r;
        else if (strstr(r, want) != NULL) {
            part = r;
            nparts++;
        }
        if (idx == want_idx)
            by_idx = r;
    }
    const char *pick = exact ? exact : nparts == 1 ? part : by_idx;
    int rc = 0;
    if (pick == NULL) {
        size_t k = (size_t)snprintf(err, errlen, "no PC/SC reader '%s'%s; readers:", want,
                                    nparts > 1 ? " (it matches several)" : "");
        for (const char *r = list; *r && k < errlen; r += strlen(r) + 1)
            k += (size_t)snprintf(err + k, errlen - k, " \"%s\"", r);
        rc = LINK_ERR_USAGE;
    } else {
        snprintf(out, cap, "%s", pick);
    }
    SCardFreeMemory(ctx, list);
    return rc;
}

int link_open_pcsc(link **out, const char *name, char *err, size_t errlen)
{
    plink *p = calloc(1, sizeof(*p));
    *out = NULL;
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return LINK_ERR_NOMEM;
    }
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
    if (rv != SCARD_S_SUCCESS) {
        snprintf(err, errlen, "cannot reach pcscd: %s", pcsc_stringify_error(rv));
        free(p);
        return LINK_ERR_IO;
    }
    int rc = find_reader(p->ctx, name, p->reader, sizeof(p->reader), err, errlen);
    if (rc != 0) {
        SCardReleaseContext(p->ctx);
        free(p);
        return rc;
    }
    p->base.ops = &plink_ops;
    snprintf(p->base.name, sizeof(p->base.name), "pcsc:%s", p->reader);
    *out = &p->base;
    return 0;
}
