/*
 * obol terminal kernel: the reader front end (term_reader.h). Calls the backend,
 * reports every step to the trace callback, and advances the terminal's clock by
 * what the backend says each operation took.
 */
#include <string.h>

#include "obol/term_reader.h"

void term_reader_init(term_reader *r, const term_reader_ops *ops, const char *name, unsigned iface)
{
    memset(r, 0, sizeof *r);
    r->ops = ops;
    if (name != NULL) {
        size_t n = strlen(name);
        if (n >= sizeof r->name)
            n = sizeof r->name - 1;
        memcpy(r->name, name, n);
    }
    r->iface = (uint8_t)iface;
}

void term_reader_set_trace(term_reader *r, term_trace_fn fn, void *ctx)
{
    r->trace = fn;
    r->trace_ctx = fn != NULL ? ctx : NULL;
}

static void trace(term_reader *r, int kind, const uint8_t *data, size_t len, int64_t time, int err)
{
    term_trace_event ev;

    if (r->trace == NULL)
        return;
    ev.reader = r->name;
    ev.kind = kind;
    ev.data = data;
    ev.len = len;
    ev.time = time;
    ev.err = err;
    r->trace(r->trace_ctx, &ev);
}

int term_reader_present(term_reader *r)
{
    if (r == NULL || r->ops == NULL)
        return TERM_ERR_ARG;
    return r->ops->present(r);
}

int term_reader_power_on(term_reader *r, int64_t *clock, uint8_t *atr, size_t cap, size_t *len)
{
    int64_t el = 0;
    int rc;

    if (r == NULL || r->ops == NULL || clock == NULL || atr == NULL || len == NULL)
        return TERM_ERR_ARG;
    *len = 0;
    rc = r->ops->power_on(r, *clock, atr, cap, len, &el);
    *clock += el;
    if (rc < 0)
        trace(r, TERM_TRACE_ERROR, NULL, 0, *clock, rc);
    else
        trace(r, TERM_TRACE_POWER_ON, atr, *len, *clock, 0);
    return rc;
}

void term_reader_power_off(term_reader *r, int64_t *clock)
{
    if (r == NULL || r->ops == NULL)
        return;
    r->ops->power_off(r);
    trace(r, TERM_TRACE_POWER_OFF, NULL, 0, clock != NULL ? *clock : 0, 0);
}

int term_reader_transmit(term_reader *r, int64_t *clock, const uint8_t *cmd, size_t len,
                         uint8_t *rsp, size_t cap, size_t *rsplen)
{
    int64_t el = 0;
    int rc;

    if (r == NULL || r->ops == NULL || clock == NULL || cmd == NULL || len < 4 || rsp == NULL ||
        cap < 2 || rsplen == NULL)
        return TERM_ERR_ARG;
    *rsplen = 0;
    trace(r, TERM_TRACE_CMD, cmd, len, *clock, 0);
    rc = r->ops->transmit(r, *clock, cmd, len, rsp, cap, rsplen, &el);
    *clock += el;
    r->exchanges++;
    if (rc == 0 && *rsplen < 2)
        rc = TERM_ERR_READER; /* a backend must answer at least a status word */
    if (rc < 0)
        trace(r, TERM_TRACE_ERROR, NULL, 0, *clock, rc);
    else
        trace(r, TERM_TRACE_RSP, rsp, *rsplen, *clock, 0);
    return rc;
}
