/* obol card OS: messages for the COS_ERR_* codes of cos_err.h. */
#include "cos_internal.h"

const char *cos_strerror(int err)
{
    switch (err) {
    case COS_OK:
        return "success";
    case COS_ERR_PARAM:
        return "invalid argument";
    case COS_ERR_NVM:
        return "NVM access failed";
    case COS_ERR_POWER_LOST:
        return "power lost during an NVM write";
    case COS_ERR_NOT_POWERED:
        return "card not powered";
    case COS_ERR_NOT_FORMATTED:
        return "NVM image not formatted";
    case COS_ERR_CORRUPT:
        return "NVM image corrupt";
    case COS_ERR_NO_SPACE:
        return "no free NVM";
    case COS_ERR_JOURNAL_FULL:
        return "transaction journal full";
    case COS_ERR_TXN_STATE:
        return "wrong transaction state";
    case COS_ERR_ACCESS:
        return "access denied by the applet firewall";
    case COS_ERR_NOT_FOUND:
        return "not found";
    case COS_ERR_EXISTS:
        return "already exists";
    case COS_ERR_RANGE:
        return "offset or length out of range";
    case COS_ERR_BUFFER:
        return "buffer too small";
    case COS_ERR_CRYPTO:
        return "crypto operation failed";
    case COS_ERR_RNG:
        return "random number generator failed";
    case COS_ERR_APPLET:
        return "applet returned an invalid value";
    case COS_ERR_UNSUPPORTED:
        return "not supported";
    case COS_ERR_APDU:
        return "malformed command APDU";
    default:
        return "unknown error";
    }
}
