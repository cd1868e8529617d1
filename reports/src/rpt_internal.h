/*
 * obol reports: helpers shared by the writers (not public). A growing byte buffer
 * with printf, escaping for HTML/XML text and JSON strings, deterministic number
 * formatting, and writing a buffer to a file in one go.
 */
#ifndef OBOL_RPT_INTERNAL_H
#define OBOL_RPT_INTERNAL_H

#include <stddef.h>

#include "obol/rpt.h"

typedef struct rpt__buf {
    char *p;
    size_t len, cap;
    int err; /* sticky: the first RPT_ERR_NOMEM; later appends do nothing */
} rpt__buf;

void rpt__buf_init(rpt__buf *b);
void rpt__buf_free(rpt__buf *b);
void rpt__puts(rpt__buf *b, const char *s);
void rpt__putn(rpt__buf *b, const char *s, size_t n);
void rpt__printf(rpt__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends S escaped for HTML/XML text and attribute values (& < > " '). */
void rpt__html(rpt__buf *b, const char *s);
/* Appends S as a JSON string literal, quotes included (NULL gives null). */
void rpt__json_str(rpt__buf *b, const char *s);
/* Appends a number in a fixed, locale-free format: integers without a fraction,
 * others with up to 6 significant decimals; non-finite values as null (JSON) or
 * "n/a" (HTML). */
void rpt__num(rpt__buf *b, double v, int json);
/* Writes the buffer to PATH. Returns 0, RPT_ERR_NOMEM (the buffer's) or RPT_ERR_IO. */
int rpt__write_file(const rpt__buf *b, const char *path, char *err, size_t errlen);
/* snprintf into ERR when it is not NULL. */
void rpt__err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Draws CH as an inline SVG element WIDTH x HEIGHT pixels (rpt_svg.c). */
void rpt__svg_chart(rpt__buf *b, const rpt_chart *ch, int width, int height);

#endif
