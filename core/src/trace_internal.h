/*
 * obol APDU traces: helpers shared by the trace reader and the importers (private).
 */
#ifndef OBOL_TRACE_INTERNAL_H
#define OBOL_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "obol/trace.h"

/* A cursor over the lines of a text: trace__next_line() returns 1 and sets *LINE and
 * *N (without the line end, "\n" or "\r\n") and increments C->lineno, 0 at the end. */
typedef struct trace__cursor {
    const char *text;
    size_t len, pos;
    uint32_t lineno;
} trace__cursor;

int trace__next_line(trace__cursor *c, const char **line, size_t *n);

/* Formats "NAME:LINE: MESSAGE" into ERR (when not NULL) and returns CODE. */
int trace__fail(char *err, size_t errlen, const char *name, uint32_t line, int code,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Decodes hex digits from S (N bytes), skipping blanks, into a new buffer (*OUT,
 * malloc'd, NULL for no bytes) of *OUTLEN bytes. Returns 0, TRACE_ERR_SYNTAX (a
 * non-hex character, *BAD its offset, or an odd count, *BAD = N) or TRACE_ERR_NOMEM. */
int trace__unhex(const char *s, size_t n, uint8_t **out, size_t *outlen, size_t *bad);

/* 1 when the N bytes at S begin with the NUL-terminated PREFIX. */
int trace__starts(const char *s, size_t n, const char *prefix);

#endif
