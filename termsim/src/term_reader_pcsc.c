/*
 * obol terminal kernel: the PC/SC reader backend (term_reader_pcsc.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "obol/term_reader_pcsc.h"

struct term_pcsc {
    term_reader base; /* first: the kernel's handle */
    SCARDCONTEXT ctx;
    SCARDHANDLE card;
    DWORD proto;
    int connected;
    char pcsc_name[256];
    char msg[512];
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Records the failure of WHAT and maps RV to a TERM_ERR_* code. */
static int fail(term_pcsc *p, const char *what, LONG rv)
{
    snprintf(p->msg, sizeof(p->msg), "%s: %s: %s (0x%08lX)", p->pcsc_name, what,
             pcsc_stringify_error(rv), (unsigned long)rv);
    switch (rv) {
    case SCARD_E_NO_SMARTCARD:
    case SCARD_W_UNPOWERED_CARD:
    case SCARD_W_UNRESPONSIVE_CARD:
        return TERM_ERR_NO_CARD;
    case SCARD_W_REMOVED_CARD:
    case SCARD_W_RESET_CARD:
        return TERM_ERR_CARD_LOST;
    case SCARD_E_INSUFFICIENT_BUFFER:
        return TERM_ERR_BUFFER;
    default:
        return TERM_ERR_READER;
    }
}

static int op_present(term_reader *r)
{
    term_pcsc *p = (term_pcsc *)r;
    SCARD_READERSTATE st;
    memset(&st, 0, sizeof(st));
    st.szReader = p->pcsc_name;
    st.dwCurrentState = SCARD_STATE_UNAWARE;
    LONG rv = SCardGetStatusChange(p->ctx, 0, &st, 1);
    if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
        fail(p, "SCardGetStatusChange", rv);
        return 0;
    }
    return (st.dwEventState & SCARD_STATE_PRESENT) != 0;
}

static int op_power_on(term_reader *r, int64_t now, uint8_t *atr, size_t cap, size_t *len,
                       int64_t *elapsed)
{
    term_pcsc *p = (term_pcsc *)r;
    int64_t t0 = mono_ns();
    LONG rv;
    int rc = 0;
    (void)now;
    if (!p->connected) {
        rv = SCardConnect(p->ctx, p->pcsc_name, SCARD_SHARE_SHARED,
                          SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card, &p->proto);
        if (rv != SCARD_S_SUCCESS) {
            rc = fail(p, "SCardConnect", rv);
            goto out;
        }
        p->connected = 1;
    }
    /* a cold reset, whatever state pcscd or another application left the card in */
    rv = SCardReconnect(p->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                        SCARD_UNPOWER_CARD, &p->proto);
    if (rv != SCARD_S_SUCCESS) {
        rc = fail(p, "SCardReconnect", rv);
        goto out;
    }
    uint8_t buf[MAX_ATR_SIZE];
    char name[256];
    DWORD namelen = sizeof(name), state, proto, atrlen = sizeof(buf);
    rv = SCardStatus(p->card, name, &namelen, &state, &proto, buf, &atrlen);
    if (rv != SCARD_S_SUCCESS) {
        rc = fail(p, "SCardStatus", rv);
        goto out;
    }
    if (atrlen > cap) {
        snprintf(p->msg, sizeof(p->msg), "%s: a %lu-byte ATR, room for %zu", p->pcsc_name,
                 (unsigned long)atrlen, cap);
        rc = TERM_ERR_BUFFER;
        goto out;
    }
    memcpy(atr, buf, atrlen);
    *len = atrlen;
out:
    *elapsed = mono_ns() - t0;
    return rc;
}

static void op_power_off(term_reader *r)
{
    term_pcsc *p = (term_pcsc *)r;
    if (!p->connected)
        return;
    p->connected = 0;
    LONG rv = SCardDisconnect(p->card, SCARD_UNPOWER_CARD);
    if (rv != SCARD_S_SUCCESS)
        fail(p, "SCardDisconnect", rv);
}

static int op_transmit(term_reader *r, int64_t now, const uint8_t *cmd, size_t len, uint8_t *rsp,
                       size_t cap, size_t *rsplen, int64_t *elapsed)
{
    term_pcsc *p = (term_pcsc *)r;
    int64_t t0 = mono_ns();
    int rc = 0;
    (void)now;
    if (!p->connected) {
        snprintf(p->msg, sizeof(p->msg), "%s: the card is not powered", p->pcsc_name);
        rc = TERM_ERR_NO_CARD;
        goto out;
    }
    const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    DWORD n = (DWORD)cap;
    LONG rv = SCardTransmit(p->card, pci, cmd, (DWORD)len, NULL, rsp, &n);
    if (rv != SCARD_S_SUCCESS) {
        rc = fail(p, "SCardTransmit", rv);
        if (rc == TERM_ERR_CARD_LOST || rc == TERM_ERR_NO_CARD)
            rc = TERM_ERR_CARD_LOST; /* the command may or may not have reached the card */
        goto out;
    }
    if (n < 2) {
        snprintf(p->msg, sizeof(p->msg), "%s: a %lu-byte response", p->pcsc_name, (unsigned long)n);
        rc = TERM_ERR_READER;
        goto out;
    }
    *rsplen = n;
out:
    *elapsed = mono_ns() - t0;
    return rc;
}

static const term_reader_ops pcsc_ops = {op_present, op_power_on, op_power_off, op_transmit};

/* Finds WANT in the reader list: exact, else a unique part, else an index. */
static int find_reader(term_pcsc *p, const char *want, char *err, size_t errlen)
{
    char *list = NULL;
    DWORD len = SCARD_AUTOALLOCATE;
    LONG rv = SCardListReaders(p->ctx, NULL, (LPSTR)&list, &len);
    if (rv != SCARD_S_SUCCESS) {
        if (err != NULL)
            snprintf(err, errlen, "no PC/SC readers: %s", pcsc_stringify_error(rv));
        return TERM_ERR_READER;
    }
    const char *exact = NULL, *part = NULL, *by_index = NULL;
    int parts = 0, idx = 0;
    char *end;
    long want_index = strtol(want, &end, 10);
    if (*want == '\0' || *end != '\0')
        want_index = -1;
    for (const char *r = list; *r; r += strlen(r) + 1, idx++) {
        if (strcmp(r, want) == 0)
            exact = r;
        else if (strstr(r, want) != NULL) {
            part = r;
            parts++;
        }
        if (idx == want_index)
            by_index = r;
    }
    const char *pick = exact ? exact : parts == 1 ? part : by_index;
    int rc = 0;
    if (pick != NULL) {
        snprintf(p->pcsc_name, sizeof(p->pcsc_name), "%s", pick);
    } else {
        rc = TERM_ERR_READER;
        if (err != NULL) {
            size_t k = (size_t)snprintf(err, errlen, "no PC/SC reader '%s'%s; readers:", want,
                                        parts > 1 ? " (it matches several)" : "");
            for (const char *r = list; *r && k < errlen; r += strlen(r) + 1)
                k += (size_t)snprintf(err + k, errlen - k, " \"%s\"", r);
        }
    }
    SCardFreeMemory(p->ctx, list);
    return rc;
}

int term_pcsc_open(term_pcsc **out, const char *pcsc_name, const char *name, unsigned iface,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (pcsc_name == NULL || (iface != TERM_IF_CONTACT && iface != TERM_IF_CONTACTLESS))
        return TERM_ERR_ARG;
    term_pcsc *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return TERM_ERR_NOMEM;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
    if (rv != SCARD_S_SUCCESS) {
        if (err != NULL)
            snprintf(err, errlen, "cannot reach pcscd: %s", pcsc_stringify_error(rv));
        free(p);
        return TERM_ERR_READER;
    }
    int rc = find_reader(p, pcsc_name, err, errlen);
    if (rc != 0) {
        SCardReleaseContext(p->ctx);
        free(p);
        return rc;
    }
    term_reader_init(&p->base, &pcsc_ops, name != NULL ? name : p->pcsc_name, iface);
    *out = p;
    return 0;
}

term_reader *term_pcsc_reader(term_pcsc *p)
{
    return &p->base;
}

const char *term_pcsc_name(const term_pcsc *p)
{
    return p->pcsc_name;
}

const char *term_pcsc_errmsg(const term_pcsc *p)
{
    return p->msg;
}

void term_pcsc_close(term_pcsc *p)
{
    if (p == NULL)
        return;
    op_power_off(&p->base);
    SCardReleaseContext(p->ctx);
    free(p);
}
