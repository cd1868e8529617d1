/*
 * obol APDU traces: the terminal kernel's reader trace callback (term_reader.h) written
 * as an obol trace (trace.h), one trace reader per terminal reader.
 *
 *   trace_writer w;  trace_term tt;
 *   trace_writer_open(&w, "gate.trace", "my gate", 0);
 *   trace_term_init(&tt, &w);
 *   term_reader_set_trace(card_reader, trace_term_hook, &tt);
 *   term_reader_set_trace(psam_reader, trace_term_hook, &tt);
 *
 * Times are the terminal clock's (ns, virtual in a simulation) relative to the first
 * event. A command is written together with its response, so an exchange the kernel
 * reports as failed (the card left the field) becomes a comment naming the command and
 * the error, and the trace stays well-formed for replay.
 */
#ifndef OBOL_TRACE_TERM_H
#define OBOL_TRACE_TERM_H

#include <stddef.h>
#include <stdint.h>

#include "obol/term_reader.h"
#include "obol/trace.h"

typedef struct trace_term {
    trace_writer *w; /* not owned */
    int64_t t0;      /* the first event's time */
    int started;
    char reader[32]; /* the pending command's reader */
    uint8_t *cmd;    /* the pending command (owned) */
    size_t cmdlen, cmdcap;
    int64_t cmd_time;
    int err; /* first TRACE_ERR_* of a write (sticky) */
} trace_term;

/* Sets TT up to write into W (which must stay open while the hook is installed). */
void trace_term_init(trace_term *tt, trace_writer *w);
/* The term_trace_fn to install with term_reader_set_trace(); CTX is the trace_term. */
void trace_term_hook(void *ctx, const term_trace_event *ev);
/* Releases what TT holds (not the writer). Returns the first write error, or 0. */
int trace_term_free(trace_term *tt);

#endif /* OBOL_TRACE_TERM_H */
