/*
 * obol terminal kernel: error names and messages (term_error.h).
 */
#include <stddef.h>

#include "obol/term_error.h"

const char *term_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define TERM__ERR_MSG(name, value, msg)                                                            \
    case value:                                                                                    \
        return msg;
        TERM_ERR_MAP(TERM__ERR_MSG)
#undef TERM__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *term_errname(int code)
{
    switch (code) {
    case 0:
        return "OK";
#define TERM__ERR_NAME(name, value, msg)                                                           \
    case value:                                                                                    \
        return #name;
        TERM_ERR_MAP(TERM__ERR_NAME)
#undef TERM__ERR_NAME
    default:
        return "?";
    }
}
