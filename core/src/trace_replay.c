/*
 * obol APDU traces: replaying a trace against targets and reporting the outcome
 * (trace_replay.h). Moved out of `obol replay` (core/cli/cmd_replay.c) so the Python
 * binding replays with the same rules and prints the same report.
 */
#include <stdlib.h>
#include <string.h>

#include "obol/trace_replay.h"

#define RSP_CAP (65536 + 2)

/* ---- printing ----------------------------------------------------------------------- */

/* Prints BYTES as hex; bytes with MASK set print as "..". */
static void put_hex(FILE *f, const uint8_t *b, size_t n, const uint8_t *mask)
{
    for (size_t i = 0; i < n; i++) {
        if (mask != NULL && mask[i])
            fputs("..", f);
        else
            fprintf(f, "%02X", b[i]);
    }
}

static uint16_t sw_of(const uint8_t *r, size_t n)
{
    return n >= 2 ? (uint16_t)(r[n - 2] << 8 | r[n - 1]) : 0;
}

static void print_context(const trace_replay *rp, size_t k, FILE *f)
{
    size_t from = k > rp->context ? k - rp->context : 0;
    if (from == k)
        return;
    fprintf(f, "  before it:\n");
    for (size_t i = from; i < k; i++) {
        const trace_outcome *o = &rp->out[i];
        const trace_event *e = &rp->t->ev[o->cmd_ev];
        char where[64];
        if (o->num)
            snprintf(where, sizeof(where), "#%zu line %u", o->num, (unsigned)e->line);
        else
            snprintf(where, sizeof(where), "line %u", (unsigned)e->line);
        fprintf(f, "    %-16s %s ", where, trace_kind_token(e->kind));
        put_hex(f, e->data, e->len, NULL);
        if (o->rsp_ev != (size_t)-1) {
            const trace_event *r = &rp->t->ev[o->rsp_ev];
            fprintf(f, "\n    %-16s < ", "");
            put_hex(f, r->data, r->len, NULL);
        }
        fprintf(f, "%s\n", o->masked ? "  (matched, masked)" : "  (matched)");
    }
}

void trace_replay_print(const trace_replay *rp, FILE *f)
{
    if (rp->bad >= rp->nout)
        return;
    size_t k = rp->bad;
    const trace_outcome *o = &rp->out[k];
    const trace_event *e = &rp->t->ev[o->cmd_ev];
    const char *reader = rp->t->readers[e->reader];
    const trace_target *tg = rp->targets[e->reader];
    const char *target_name = tg != NULL && tg->name != NULL ? tg->name : "card";
    const char *path = rp->t->path != NULL ? rp->t->path : "(trace)";
    if (o->num)
        fprintf(f, "replay: DIVERGENCE at exchange %zu (%s:%u, reader \"%s\" -> %s)\n", o->num,
                path, (unsigned)e->line, reader, target_name);
    else
        fprintf(f, "replay: DIVERGENCE at %s (%s:%u, reader \"%s\" -> %s)\n",
                e->kind == TRACE_RESET ? "a warm reset" : "power on", path, (unsigned)e->line,
                reader, target_name);
    print_context(rp, k, f);
    if (e->kind != TRACE_CMD) {
        fprintf(f, "  %-9s %s\n", trace_kind_token(e->kind), "power event");
        fprintf(f, "  expected ATR ");
        put_hex(f, e->data, e->len, NULL);
        fprintf(f, "\n  got      ATR ");
        put_hex(f, o->got, o->gotlen, NULL);
        fprintf(f, "\n  %s\n", o->why);
        return;
    }
    const trace_event *r = &rp->t->ev[o->rsp_ev];
    uint8_t *mask = calloc(r->len ? r->len : 1, 1);
    if (mask != NULL && rp->masks != NULL)
        trace_mask_apply(rp->masks, e->data, e->len, r->data, r->len, mask, NULL);
    fprintf(f, "  command  > ");
    put_hex(f, e->data, e->len, NULL);
    fprintf(f, "\n  expected < ");
    put_hex(f, r->data, r->len, mask);
    fprintf(f, "   (%s:%u)\n  got      < ", path, (unsigned)r->line);
    if (o->got != NULL)
        put_hex(f, o->got, o->gotlen, NULL);
    else
        fputs("(no answer)", f);
    fputc('\n', f);
    if (o->got == NULL)
        fprintf(f, "  %s\n", o->why);
    else if (sw_of(r->data, r->len) != sw_of(o->got, o->gotlen))
        fprintf(f, "  the status word differs: expected %04X, got %04X\n", sw_of(r->data, r->len),
                sw_of(o->got, o->gotlen));
    else if (r->len != o->gotlen)
        fprintf(f, "  the length differs: expected %u data bytes, got %zu\n", r->len - 2,
                o->gotlen - 2);
    else
        fprintf(f, "  first difference at data byte %ld: expected %02X, got %02X\n", o->diff,
                r->data[o->diff], o->got[o->diff]);
    if (o->why[0] && o->got != NULL)
        fprintf(f, "  masked in this response: %s\n", o->why);
    free(mask);
}

/* ---- JUnit ---------------------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

int trace_replay_write_junit(const trace_replay *rp, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return TRACE_ERR_IO;
    trace_replay_junit(rp, f);
    return fclose(f) == 0 ? 0 : TRACE_ERR_IO;
}

void trace_replay_junit(const trace_replay *rp, FILE *f)
{
    size_t failures = rp->bad < rp->nout ? 1 : 0, skipped = 0;
    for (size_t i = 0; i < rp->nout; i++)
        skipped += rp->out[i].status == TRACE_NOT_REPLAYED;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    fprintf(f, "  <testsuite name=\"replay ");
    xml_text(f, rp->t->path != NULL ? rp->t->path : "(trace)");
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n", rp->nout,
            failures, skipped);
    for (size_t i = 0; i < rp->nout; i++) {
        const trace_outcome *o = &rp->out[i];
        const trace_event *e = &rp->t->ev[o->cmd_ev];
        char name[128];
        if (e->kind == TRACE_CMD)
            snprintf(name, sizeof(name), "#%zu %02X %02X %02X %02X (line %u)", o->num, e->data[0],
                     e->data[1], e->data[2], e->data[3], (unsigned)e->line);
        else
            snprintf(name, sizeof(name), "%s (line %u)", trace_kind_token(e->kind),
                     (unsigned)e->line);
        fprintf(f, "    <testcase classname=\"replay.");
        xml_text(f, rp->t->readers[e->reader]);
        fprintf(f, "\" name=\"");
        xml_text(f, name);
        fprintf(f, "\"");
        if (o->status == TRACE_MATCHED) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n");
        if (o->status == TRACE_NOT_REPLAYED) {
            fprintf(f, "      <skipped message=\"not replayed after the divergence\"/>\n");
        } else {
            fprintf(f, "      <failure message=\"");
            char msg[256];
            if (o->got == NULL)
                snprintf(msg, sizeof(msg), "no answer: %s", o->why);
            else
                snprintf(msg, sizeof(msg), "response differs at byte %ld", o->diff);
            xml_text(f, msg);
            fprintf(f, "\">");
            if (o->rsp_ev != (size_t)-1) {
                const trace_event *r = &rp->t->ev[o->rsp_ev];
                fprintf(f, "expected ");
                put_hex(f, r->data, r->len, NULL);
                fprintf(f, "\ngot ");
                if (o->got != NULL)
                    put_hex(f, o->got, o->gotlen, NULL);
            }
            fprintf(f, "</failure>\n");
        }
        fprintf(f, "    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
}

/* ---- the replay ----------------------------------------------------------------------- */

static trace_outcome *new_outcome(trace_replay *rp, size_t ev)
{
    trace_outcome *o = &rp->out[rp->nout++];
    memset(o, 0, sizeof(*o));
    o->cmd_ev = ev;
    o->rsp_ev = (size_t)-1;
    if (rp->t->ev[ev].kind == TRACE_CMD)
        o->num = ++rp->nexchanges;
    return o;
}

static const char *errmsg_of(const trace_target *tg)
{
    const char *m = tg->ops->errmsg != NULL ? tg->ops->errmsg(tg->ctx) : NULL;
    return m != NULL && m[0] ? m : "the card did not answer";
}

static int copy_got(trace_outcome *o, const uint8_t *b, size_t n)
{
    if ((o->got = malloc(n ? n : 1)) == NULL)
        return TRACE_ERR_NOMEM;
    memcpy(o->got, b, n);
    o->gotlen = n;
    return 0;
}

/* Plays the trace. Returns 0 when every answer matched (*BAD = RP->nout), 1 at a
 * divergence (*BAD its outcome's index), or TRACE_ERR_NOMEM / TRACE_ERR_PARAM. */
static int play(trace_replay *rp, uint8_t *rsp, size_t *bad)
{
    const trace_log *t = rp->t;
    for (size_t i = 0; i < t->nev; i++) {
        const trace_event *e = &t->ev[i];
        trace_target *tg = e->reader < t->nreaders ? rp->targets[e->reader] : NULL;
        if (tg == NULL || e->kind == TRACE_RSP)
            continue;
        const uint8_t *atr;
        size_t atrlen;
        if (e->kind == TRACE_OFF) {
            tg->ops->power_off(tg->ctx);
            continue;
        }
        trace_outcome *o = new_outcome(rp, i);
        *bad = rp->nout - 1;
        if (e->kind == TRACE_ON || e->kind == TRACE_RESET) {
            if (tg->ops->power_on(tg->ctx, e->kind == TRACE_RESET, &atr, &atrlen) != 0) {
                snprintf(o->why, sizeof(o->why), "%s", errmsg_of(tg));
                o->status = TRACE_DIVERGED;
                return 1;
            }
            if (!rp->ignore_atr && e->len > 0 &&
                (atrlen != e->len || memcmp(atr, e->data, atrlen) != 0)) {
                if (copy_got(o, atr, atrlen) != 0)
                    return TRACE_ERR_NOMEM;
                snprintf(o->why, sizeof(o->why), "the ATR differs (--ignore-atr skips this)");
                o->status = TRACE_DIVERGED;
                return 1;
            }
            continue;
        }
        /* a command: its response is the next event of the same reader */
        for (size_t j = i + 1; j < t->nev; j++)
            if (t->ev[j].reader == e->reader) {
                o->rsp_ev = j;
                break;
            }
        if (o->rsp_ev == (size_t)-1)
            return TRACE_ERR_PARAM; /* trace_load() never leaves a command unanswered */
        const trace_event *r = &t->ev[o->rsp_ev];
        size_t got = 0;
        int rc = 0;
        if (!tg->ops->is_powered(tg->ctx)) /* imported traces start with a powered card */
            rc = tg->ops->power_on(tg->ctx, 0, &atr, &atrlen);
        if (rc == 0)
            rc = tg->ops->transmit(tg->ctx, e->data, e->len, rsp, RSP_CAP, &got);
        if (rc != 0) {
            snprintf(o->why, sizeof(o->why), "%s", errmsg_of(tg));
            o->status = TRACE_DIVERGED;
            return 1;
        }
        const char *why = NULL;
        uint8_t *mask = malloc(r->len ? r->len : 1);
        static const trace_masks none = {0};
        o->diff = trace_mask_compare(rp->masks != NULL ? rp->masks : &none, e->data, e->len,
                                     r->data, r->len, rsp, got, mask, &why);
        for (size_t k = 0; mask != NULL && k < r->len; k++)
            o->masked += mask[k];
        free(mask);
        if (why != NULL)
            snprintf(o->why, sizeof(o->why), "%s", why);
        if (copy_got(o, rsp, got) != 0)
            return TRACE_ERR_NOMEM;
        if (o->diff >= 0) {
            o->status = TRACE_DIVERGED;
            return 1;
        }
    }
    *bad = rp->nout;
    return 0;
}

/* Adds the events play() did not reach, for the JUnit report. */
static void add_unplayed(trace_replay *rp, size_t after_ev)
{
    for (size_t i = after_ev + 1; i < rp->t->nev; i++) {
        const trace_event *e = &rp->t->ev[i];
        if (rp->targets[e->reader] == NULL || e->kind == TRACE_RSP || e->kind == TRACE_OFF)
            continue;
        trace_outcome *o = new_outcome(rp, i);
        o->status = TRACE_NOT_REPLAYED;
    }
}

int trace_replay_run(trace_replay *rp)
{
    if (rp->t == NULL || rp->targets == NULL || rp->out != NULL)
        return TRACE_ERR_PARAM;
    rp->nout = rp->nexchanges = 0;
    rp->bad = 0;
    if ((rp->out = calloc(rp->t->nev + 1, sizeof(*rp->out))) == NULL)
        return TRACE_ERR_NOMEM;
    uint8_t *rsp = malloc(RSP_CAP);
    if (rsp == NULL)
        return TRACE_ERR_NOMEM;
    size_t bad = 0;
    int rc = play(rp, rsp, &bad);
    free(rsp);
    rp->bad = rc < 0 ? rp->nout : bad;
    if (rc == 1)
        add_unplayed(rp, rp->out[bad].cmd_ev);
    return rc;
}

void trace_replay_free(trace_replay *rp)
{
    for (size_t i = 0; rp->out != NULL && i < rp->nout; i++)
        free(rp->out[i].got);
    free(rp->out);
    rp->out = NULL;
    rp->nout = 0;
}

void trace_replay_masked(const trace_replay *rp, size_t *bytes, size_t *responses)
{
    *bytes = *responses = 0;
    for (size_t i = 0; i < rp->nout; i++)
        if (rp->out[i].masked) {
            *bytes += rp->out[i].masked;
            (*responses)++;
        }
}
