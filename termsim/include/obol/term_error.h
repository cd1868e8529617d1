/*
 * obol terminal kernel: error codes.
 *
 * Every termsim function returns 0 (or a count) on success or one of the negative
 * TERM_ERR_* codes below (libuv style); term_strerror() and term_errname() name them.
 * Errors of what the kernel sits on (SQLite, the host protocol codec, a reader
 * backend) are translated into these codes where they enter termsim and never leak
 * out as foreign codes. A card or host that says "no" is not an error: that is a
 * decision, reported in term_result (term.h). The table is an X-macro so a binding
 * can generate its exception hierarchy from it. Codes are stable: add new ones at
 * the end, never renumber.
 */
#ifndef OBOL_TERM_ERROR_H
#define OBOL_TERM_ERROR_H

#define TERM_ERR_MAP(XX)                                                                           \
    XX(ARG, -1, "invalid argument")                                                                \
    XX(NOMEM, -2, "out of memory")                                                                 \
    XX(READER, -3, "reader failure")                                                               \
    XX(NO_CARD, -4, "no card in the field")                                                        \
    XX(CARD_LOST, -5, "card left the field during the transaction")                                \
    XX(PROTO, -6, "malformed or unexpected card response")                                         \
    XX(PSAM, -7, "PSAM missing or failing")                                                        \
    XX(DB, -8, "terminal store error")                                                             \
    XX(IO, -9, "terminal store I/O error (disk full, read-only or failing)")                       \
    XX(BUSY, -10, "terminal store busy or locked")                                                 \
    XX(CORRUPT, -11, "terminal store corrupt or not a terminal store")                             \
    XX(SCHEMA, -12, "terminal store schema version not supported")                                 \
    XX(OFFLINE, -13, "host not reachable (request or reply lost)")                                 \
    XX(BADMSG, -14, "malformed or unexpected host message")                                        \
    XX(HOST, -15, "host refused the request")                                                      \
    XX(STATE, -16, "operation not valid for this terminal or in this state")                       \
    XX(PARAMS, -17, "parameters missing: the terminal is out of service")                          \
    XX(NOT_FOUND, -18, "no such record")                                                           \
    XX(CRASHED, -19, "simulated terminal crash")                                                   \
    XX(BUFFER, -20, "buffer too small")

enum term_errno {
#define TERM__ERR_ENUM(name, value, msg) TERM_ERR_##name = (value),
    TERM_ERR_MAP(TERM__ERR_ENUM)
#undef TERM__ERR_ENUM
};

/* A message for CODE ("unknown error" for values not in the table); static string. */
const char *term_strerror(int code);
/* The code's name without prefix ("CARD_LOST"), "OK" for 0, "?" if unknown. */
const char *term_errname(int code);

#endif /* OBOL_TERM_ERROR_H */
