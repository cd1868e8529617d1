/*
 * obol APDU traces: obol's own trace format (docs/traces.md), its writer and reader,
 * and importers for the logs other tools write (pcsc-spy, GlobalPlatformPro).
 *
 * A trace is a sequence of events on named readers: power on (with the ATR), warm
 * reset (with the ATR), power off, command APDU, response APDU. The card side writes
 * one (`obol card serve --trace`, `obol card exec --trace`), the terminal kernel and
 * the simulator write one through the same writer, and `obol replay` reads any of the
 * three formats into the same in-memory model and plays the commands again.
 *
 * Errors: functions return 0 or a negative TRACE_ERR_* code; trace_strerror() names
 * it. Readers also fill a one-line message "FILE:LINE: what was expected".
 * Ownership: the caller owns every struct passed in; what a loaded trace holds is
 * owned by it and released by trace_log_free().
 */
#ifndef OBOL_TRACE_H
#define OBOL_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    TRACE_ERR_NOMEM = -1,  /* an allocation failed */
    TRACE_ERR_IO = -2,     /* a file could not be opened, read or written (errno kept) */
    TRACE_ERR_SYNTAX = -3, /* a line does not follow the format (message has file:line) */
    TRACE_ERR_FORMAT = -4, /* the file is in no format this reader knows, or a newer version */
    TRACE_ERR_PARAM = -5,  /* an argument is out of range */
};

/* Returns a static, human-readable name for a TRACE_ERR_* code (any int). */
const char *trace_strerror(int err);

/* The version this library writes; it reads versions 1..TRACE_VERSION. */
#define TRACE_VERSION 1

typedef enum trace_kind {
    TRACE_CMD = 0, /* "> HEX": a command APDU sent to the card */
    TRACE_RSP,     /* "< HEX": the response APDU (data || SW1 SW2) */
    TRACE_ON,      /* "ON HEX": cold power on; the ATR (ATS) the card answered */
    TRACE_RESET,   /* "RESET HEX": warm reset; the ATR */
    TRACE_OFF,     /* "OFF": power off (or card removed) */
} trace_kind;

/* The token of KIND in the obol format (">", "<", "ON", "RESET", "OFF"). */
const char *trace_kind_token(trace_kind kind);

typedef struct trace_event {
    trace_kind kind;
    uint32_t reader; /* index into trace_log.readers */
    uint32_t line;   /* line of the source file the event came from (0: made in memory) */
    uint64_t t_us;   /* microseconds since the trace's start */
    uint32_t len;    /* bytes of DATA */
    uint8_t *data;   /* owned by the trace; NULL when LEN is 0 */
} trace_event;

/* A trace in memory. Zero-initialize it (or trace_log_init()) before use. */
typedef struct trace_log {
    char *path;     /* the file it was read from, for messages (NULL when built) */
    char *format;   /* "obol", "pcsc-spy" or "gpp" */
    char *source;   /* the obol header's source= (NULL when absent) */
    char **readers; /* reader names in order of first appearance */
    uint32_t nreaders;
    trace_event *ev;
    size_t nev, cap;
} trace_log;

void trace_log_init(trace_log *t);
/* Releases everything the trace holds and leaves it empty (initialized). */
void trace_log_free(trace_log *t);

/* The index of reader NAME in T, adding it when new. Returns the index (>= 0) or
 * TRACE_ERR_NOMEM. */
int trace_log_reader(trace_log *t, const char *name);

/* Appends an event (DATA of LEN bytes is copied; LINE is the source line or 0).
 * Returns 0 or TRACE_ERR_NOMEM / TRACE_ERR_PARAM (an unknown reader index). */
int trace_log_add(trace_log *t, trace_kind kind, uint32_t reader, uint64_t t_us,
                  const uint8_t *data, size_t len, uint32_t line);

/* Input formats. TRACE_FMT_AUTO looks at the content: a first line "obol-trace N" is
 * obol's; SCardTransmit blocks are pcsc-spy's; "A>>"/"A<<" lines are GlobalPlatformPro's. */
typedef enum trace_format {
    TRACE_FMT_AUTO = 0,
    TRACE_FMT_OBOL,
    TRACE_FMT_PCSCSPY,
    TRACE_FMT_GPP,
} trace_format;

/* Parses the name used on command lines ("auto", "obol", "pcsc-spy", "gpp"); returns
 * 0 and sets *OUT, or TRACE_ERR_PARAM. */
int trace_format_parse(const char *name, trace_format *out);

/* Reads the file PATH ("-" is standard input) in format FMT into T (which must be
 * initialized and is replaced). Checks that every response answers a command on the
 * same reader and that no command is left without a response. Returns 0, or
 * TRACE_ERR_IO / TRACE_ERR_SYNTAX / TRACE_ERR_FORMAT / TRACE_ERR_NOMEM with a one-line
 * message in ERR ("PATH:LINE: what was expected"; ERR may be NULL). On failure T is
 * left empty. */
int trace_load(trace_log *t, const char *path, trace_format fmt, char *err, size_t errlen);

/* The same from text in memory (TEXT of LEN bytes, NAME for messages). */
int trace_load_text(trace_log *t, const char *name, const char *text, size_t len, trace_format fmt,
                    char *err, size_t errlen);

/* The importers behind trace_load_text(), exposed for tests. Each parses TEXT into
 * the empty trace T. */
int trace__parse_obol(trace_log *t, const char *name, const char *text, size_t len, char *err,
                      size_t errlen);
int trace__parse_pcscspy(trace_log *t, const char *name, const char *text, size_t len, char *err,
                         size_t errlen);
int trace__parse_gpp(trace_log *t, const char *name, const char *text, size_t len, char *err,
                     size_t errlen);

/* ---- writing ------------------------------------------------------------------------ */

/* A streaming writer of the obol format: one line per event, flushed as written so a
 * trace of a live session can be read while it grows. */
typedef struct trace_writer {
    FILE *f;
    int owned;      /* the writer opened F and closes it */
    uint64_t t0_ns; /* CLOCK_MONOTONIC at open, for trace_write() */
    int err;        /* first write error (TRACE_ERR_IO), sticky */
} trace_writer;

/* Flags of trace_writer_open(). */
#define TRACE_W_NOSTART                                                                            \
    0x1u /* no start= (wall clock) in the header: the simulator's                                  \
            traces stay byte-identical from run to run */

/* Opens PATH for writing ("-" is standard output; an existing file is replaced) and
 * writes the header line: the version, the current UTC time as start= (unless
 * TRACE_W_NOSTART in FLAGS) and SOURCE (e.g. "obol card serve"; may be NULL) as
 * source=. Returns 0 or TRACE_ERR_IO (errno kept). */
int trace_writer_open(trace_writer *w, const char *path, const char *source, unsigned flags);
/* The same on a stream the caller owns (not closed by trace_writer_close()). */
int trace_writer_attach(trace_writer *w, FILE *f, const char *source, unsigned flags);

/* Writes one event on reader READER (any text; quoted as needed) timed now, i.e. the
 * monotonic time since the writer was opened. DATA may be NULL when LEN is 0. Returns
 * 0 or TRACE_ERR_IO. Errors are sticky: later writes return the first error. */
int trace_write(trace_writer *w, const char *reader, trace_kind kind, const uint8_t *data,
                size_t len);
/* The same at an explicit time T_US (microseconds since the start): the simulator
 * writes virtual time, so its traces are byte-identical from run to run. */
int trace_write_at(trace_writer *w, uint64_t t_us, const char *reader, trace_kind kind,
                   const uint8_t *data, size_t len);
/* Writes a "# TEXT" comment line (TEXT without newlines). */
int trace_write_comment(trace_writer *w, const char *text);

/* Closes (or detaches) the writer. Returns 0 or the first error of the writer's life. */
int trace_writer_close(trace_writer *w);

/* Writes the whole trace T to the open writer W (event times kept). Used to convert an
 * imported log to the obol format. Returns 0 or TRACE_ERR_IO. */
int trace_log_write(const trace_log *t, trace_writer *w);

#endif /* OBOL_TRACE_H */
