/*
 * obol host platform: the error table behind host_strerror() and host_err_name().
 */
#include <stddef.h>

#include "obol/host_error.h"

const char *host_strerror(int err)
{
    if (err == 0)
        return "success";
    switch (err) {
#define HOST__ERR_MSG(name, value, msg)                                                            \
    case (value):                                                                                  \
        return (msg);
        HOST_ERRNO_MAP(HOST__ERR_MSG)
#undef HOST__ERR_MSG
    default:
        return "unknown error";
    }
}

const char *host_err_name(int err)
{
    switch (err) {
#define HOST__ERR_NAME(name, value, msg)                                                           \
    case (value):                                                                                  \
        return #name;
        HOST_ERRNO_MAP(HOST__ERR_NAME)
#undef HOST__ERR_NAME
    default:
        return NULL;
    }
}
