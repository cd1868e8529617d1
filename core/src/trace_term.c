/*
 * obol APDU traces: the terminal kernel's trace callback as an obol trace
 * (trace_term.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/term_error.h"
#include "obol/trace_term.h"

void trace_term_init(trace_term *tt, trace_writer *w)
{
    memset(tt, 0, sizeof(*tt));
    tt->w = w;
}

static uint64_t rel_us(trace_term *tt, int64_t t)
{
    if (!tt->started) {
        tt->t0 = t;
        tt->started = 1;
    }
    return t > tt->t0 ? (uint64_t)(t - tt->t0) / 1000u : 0;
}

static void note(trace_term *tt, int rc)
{
    if (rc != 0 && tt->err == 0)
        tt->err = rc;
}

void trace_term_hook(void *ctx, const term_trace_event *ev)
{
    trace_term *tt = ctx;
    uint64_t t = rel_us(tt, ev->time);
    switch (ev->kind) {
    case TERM_TRACE_POWER_ON:
        note(tt, trace_write_at(tt->w, t, ev->reader, TRACE_ON, ev->data, ev->len));
        break;
    case TERM_TRACE_POWER_OFF:
        note(tt, trace_write_at(tt->w, t, ev->reader, TRACE_OFF, NULL, 0));
        break;
    case TERM_TRACE_CMD:
        if (ev->len > tt->cmdcap) {
            uint8_t *b = realloc(tt->cmd, ev->len);
            if (b == NULL) {
                note(tt, TRACE_ERR_NOMEM);
                tt->cmdlen = 0;
                break;
            }
            tt->cmd = b;
            tt->cmdcap = ev->len;
        }
        memcpy(tt->cmd, ev->data, ev->len);
        tt->cmdlen = ev->len;
        tt->cmd_time = ev->time;
        snprintf(tt->reader, sizeof(tt->reader), "%s", ev->reader);
        break;
    case TERM_TRACE_RSP:
        if (tt->cmdlen > 0 && strcmp(tt->reader, ev->reader) == 0)
            note(tt, trace_write_at(tt->w, rel_us(tt, tt->cmd_time), ev->reader, TRACE_CMD, tt->cmd,
                                    tt->cmdlen));
        tt->cmdlen = 0;
        note(tt, trace_write_at(tt->w, t, ev->reader, TRACE_RSP, ev->data, ev->len));
        break;
    case TERM_TRACE_ERROR: {
        /* no response: keep the command as a comment, so the trace stays replayable */
        char text[600];
        size_t k =
            (size_t)snprintf(text, sizeof(text), "\"%s\" %s: ", ev->reader, term_errname(ev->err));
        if (tt->cmdlen > 0 && strcmp(tt->reader, ev->reader) == 0) {
            k += (size_t)snprintf(text + k, sizeof(text) - k, "no answer to > ");
            for (size_t i = 0; i < tt->cmdlen && k + 3 < sizeof(text); i++)
                k += (size_t)snprintf(text + k, sizeof(text) - k, "%02X", tt->cmd[i]);
        } else {
            snprintf(text + k, sizeof(text) - k, "%s", term_strerror(ev->err));
        }
        tt->cmdlen = 0;
        note(tt, trace_write_comment(tt->w, text));
        break;
    }
    default:
        break;
    }
}

int trace_term_free(trace_term *tt)
{
    int rc = tt->err;
    free(tt->cmd);
    memset(tt, 0, sizeof(*tt));
    return rc;
}
