/*
 * obol terminal kernel: the reader interface.
 *
 * The kernel sees a card only through a reader: presence, power on (ATR or ATS),
 * power off and one APDU exchange at a time. A backend fills term_reader_ops (as
 * SQLite's VFS or the card OS's HAL): the in-process backend for simulated cards is
 * term_simreader.h; a PC/SC backend and the QEMU hardware image plug in the same way.
 * Nothing in the kernel knows which backend it drives.
 *
 * Time: every call takes the terminal's clock (nanoseconds, virtual in a simulation,
 * real with real readers) by pointer and advances it by what the exchange took, as
 * the backend reports it (a simulated backend asks its timing model; a real one
 * measures). A transaction's duration is therefore the sum of its exchanges.
 *
 * Tracing: with a trace callback set, every power on/off, command, response and
 * failure is reported with the reader's name, the bytes and the time, for the APDU
 * trace format and for replay.
 *
 * Ownership: a term_reader is caller-owned memory (usually embedded first in the
 * backend's own struct); the kernel never frees it. One thread at a time.
 */
#ifndef OBOL_TERM_READER_H
#define OBOL_TERM_READER_H

#include <stddef.h>
#include <stdint.h>

#include "obol/term_error.h"

/* Interface types. */
#define TERM_IF_CONTACT     0u /* ISO/IEC 7816-3 (PSAM slot, set-top box, POS slot) */
#define TERM_IF_CONTACTLESS 1u /* ISO/IEC 14443-4 (gates, validators, QuickPass) */

/* Trace event kinds. */
enum {
    TERM_TRACE_POWER_ON = 1,  /* DATA: the ATR (contact) or ATS (contactless) */
    TERM_TRACE_POWER_OFF = 2, /* no data */
    TERM_TRACE_CMD = 3,       /* DATA: the command APDU, as sent */
    TERM_TRACE_RSP = 4,       /* DATA: the response APDU, data || SW1 SW2 */
    TERM_TRACE_ERROR = 5      /* no data; ERR says what failed (e.g. TERM_ERR_CARD_LOST) */
};

typedef struct term_trace_event {
    const char *reader; /* the reader's name */
    int kind;           /* TERM_TRACE_* */
    const uint8_t *data;
    size_t len;
    int64_t time; /* ns: when the command left (CMD) or the answer arrived (RSP) */
    int err;      /* TERM_TRACE_ERROR: the TERM_ERR_* */
} term_trace_event;

/* Called synchronously; EV and its bytes are valid during the call only. */
typedef void (*term_trace_fn)(void *ctx, const term_trace_event *ev);

typedef struct term_reader term_reader;

/* A backend. Every function is required. ELAPSED (never NULL) receives what the
 * operation took in ns. */
typedef struct term_reader_ops {
    /* 1 when a card is in the field (or inserted), 0 when not. */
    int (*present)(term_reader *r);
    /* Powers the card on (cold reset) at NOW; the ATR or ATS into ATR (CAP bytes).
     * Returns 0, TERM_ERR_NO_CARD, TERM_ERR_READER or TERM_ERR_BUFFER. */
    int (*power_on)(term_reader *r, int64_t now, uint8_t *atr, size_t cap, size_t *len,
                    int64_t *elapsed);
    /* Powers the card off (the field is dropped); safe when already off or absent. */
    void (*power_off)(term_reader *r);
    /* One exchange at NOW: the response (data || SW1 SW2, at least 2 bytes) into RSP of
     * CAP bytes. Returns 0, TERM_ERR_CARD_LOST (the card left the field: whether it
     * processed the command is unknown), TERM_ERR_NO_CARD (not powered),
     * TERM_ERR_READER or TERM_ERR_BUFFER. */
    int (*transmit)(term_reader *r, int64_t now, const uint8_t *cmd, size_t len, uint8_t *rsp,
                    size_t cap, size_t *rsplen, int64_t *elapsed);
} term_reader_ops;

/* The reader as the kernel holds it. Fields are read-only for the kernel except
 * through the functions below; backends embed it as their first member. */
struct term_reader {
    const term_reader_ops *ops;
    char name[32];
    uint8_t iface; /* TERM_IF_* */
    term_trace_fn trace;
    void *trace_ctx;
    uint64_t exchanges; /* APDU exchanges so far (statistics) */
};

/* Sets R up for backend OPS with NAME (cut to 31 characters) and interface IFACE;
 * no trace. */
void term_reader_init(term_reader *r, const term_reader_ops *ops, const char *name, unsigned iface);

/* Sets (or with FN NULL clears) the trace callback. */
void term_reader_set_trace(term_reader *r, term_trace_fn fn, void *ctx);

/* The kernel's entry points: they call the backend, trace, and advance *CLOCK. */
int term_reader_present(term_reader *r);
int term_reader_power_on(term_reader *r, int64_t *clock, uint8_t *atr, size_t cap, size_t *len);
void term_reader_power_off(term_reader *r, int64_t *clock);
int term_reader_transmit(term_reader *r, int64_t *clock, const uint8_t *cmd, size_t len,
                         uint8_t *rsp, size_t cap, size_t *rsplen);

#endif /* OBOL_TERM_READER_H */
