/*
 * obol APDU traces: replaying a trace against cards and comparing the answers — the
 * part of `obol replay` that any driver reuses (the CLI with its PC/SC, QEMU and
 * in-process targets; the Python binding with its cards).
 *
 * Each reader of the trace is played against one target (or skipped): power events
 * are replayed (a trace without them powers the card on before its first command) and
 * every response is compared byte for byte, except for the bytes the masks name
 * (trace_mask.h). The first divergence stops the replay. The outcome of every
 * exchange is kept for reports: the divergence with the exchanges before it, and
 * JUnit XML with one test case per exchange.
 *
 * Errors: TRACE_ERR_* codes of trace.h. Ownership: the caller owns the trace, the
 * masks and the targets, which must outlive the replay; the replay owns its outcomes
 * and frees them in trace_replay_free().
 */
#ifndef OBOL_TRACE_REPLAY_H
#define OBOL_TRACE_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "obol/trace.h"
#include "obol/trace_mask.h"

/* A card a reader is replayed against: four operations on the caller's CTX. Each
 * returns 0 or nonzero on a failure, whose one-line text errmsg() gives. */
typedef struct trace_target_ops {
    /* Powers on (cold, or warm when WARM); the ATR in *ATR (owned by the target, valid
     * until its next call) and *ATRLEN. */
    int (*power_on)(void *ctx, int warm, const uint8_t **atr, size_t *atrlen);
    int (*power_off)(void *ctx);
    /* Sends CMD (LEN bytes); the response (data || SW) into RSP (CAP bytes). */
    int (*transmit)(void *ctx, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
                    size_t *rsplen);
    int (*is_powered)(void *ctx);
    const char *(*errmsg)(void *ctx);
} trace_target_ops;

typedef struct trace_target {
    const trace_target_ops *ops;
    void *ctx;
    const char *name; /* for reports ("in-process card purse"); not copied */
} trace_target;

/* What became of one exchange or power event. */
typedef enum trace_outcome_status {
    TRACE_MATCHED = 0,
    TRACE_DIVERGED = 1,
    TRACE_NOT_REPLAYED = 2, /* after the divergence */
} trace_outcome_status;

typedef struct trace_outcome {
    size_t cmd_ev; /* index of the command event (or of the power event) */
    size_t num;    /* the exchange's number (1, 2, ...), 0 for a power event */
    size_t rsp_ev; /* index of the expected response, or (size_t)-1 */
    trace_outcome_status status;
    size_t masked; /* response bytes masked */
    uint8_t *got;  /* what the card answered (owned), NULL when nothing */
    size_t gotlen;
    long diff;     /* first differing offset of a diverged response */
    char why[160]; /* the mask that applied, or the target's error */
} trace_outcome;

typedef struct trace_replay {
    /* set by the caller before trace_replay_run() */
    const trace_log *t;
    const trace_masks *masks; /* may be NULL: exact comparison */
    /* one entry per reader of T (T->nreaders); NULL: the reader is not replayed */
    trace_target *const *targets;
    int ignore_atr;   /* do not compare ATRs at power on */
    unsigned context; /* exchanges shown before a divergence (trace_replay_print) */
    /* results */
    trace_outcome *out;
    size_t nout;
    size_t nexchanges; /* APDU exchanges among the outcomes */
    size_t bad;        /* index in OUT of the divergence, NOUT when every answer matched */
} trace_replay;

/* Plays RP->t against RP->targets. Returns 0 when every exchange matched, 1 at a
 * divergence (RP->bad; the outcomes after it are TRACE_NOT_REPLAYED), or
 * TRACE_ERR_NOMEM / TRACE_ERR_PARAM (no trace or no targets). Call once per RP. */
int trace_replay_run(trace_replay *rp);

/* Releases the outcomes; the inputs stay the caller's. */
void trace_replay_free(trace_replay *rp);

/* Bytes masked in all, and responses with masked bytes. */
void trace_replay_masked(const trace_replay *rp, size_t *bytes, size_t *responses);

/* Writes the divergence report to F: where (exchange, file:line, reader -> target),
 * the RP->context exchanges before it, the command, expected and received responses
 * (masked bytes as ".."), and what differs. Nothing when every exchange matched. */
void trace_replay_print(const trace_replay *rp, FILE *f);

/* Writes a JUnit XML report to PATH: one test case per exchange and power event, the
 * divergence a failure, what followed it skipped. Returns 0 or TRACE_ERR_IO. */
int trace_replay_write_junit(const trace_replay *rp, const char *path);
/* The same report written to the open stream F. */
void trace_replay_junit(const trace_replay *rp, FILE *f);

#endif /* OBOL_TRACE_REPLAY_H */
