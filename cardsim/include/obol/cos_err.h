/*
 * obol card OS: internal fault codes.
 *
 * The card OS has two channels of failure (STYLE.md): a protocol error is a status
 * word answered to the terminal, and an internal fault is one of these negative
 * codes. Functions return 0 (or a non-negative value) on success and a COS_ERR_*
 * code on a fault; the APDU dispatcher maps any fault to status word 6F00 and
 * records it (cos_last_fault()).
 */
#ifndef OBOL_COS_ERR_H
#define OBOL_COS_ERR_H

enum {
    COS_OK = 0,
    COS_ERR_PARAM = -1,         /* an argument is invalid */
    COS_ERR_NVM = -2,           /* the HAL reported an NVM read/write failure */
    COS_ERR_POWER_LOST = -3,    /* power was cut during an NVM write */
    COS_ERR_NOT_POWERED = -4,   /* the card is not powered on */
    COS_ERR_NOT_FORMATTED = -5, /* the NVM image holds no obol card */
    COS_ERR_CORRUPT = -6,       /* the NVM image is inconsistent */
    COS_ERR_NO_SPACE = -7,      /* no free NVM for the object */
    COS_ERR_JOURNAL_FULL = -8,  /* the transaction journal is full */
    COS_ERR_TXN_STATE = -9,     /* begin inside a transaction, or commit/abort outside */
    COS_ERR_ACCESS = -10,       /* firewall: the object belongs to another applet */
    COS_ERR_NOT_FOUND = -11,    /* no such object, file, key or applet class */
    COS_ERR_EXISTS = -12,       /* an object with that identity already exists */
    COS_ERR_RANGE = -13,        /* offset or length outside the object */
    COS_ERR_BUFFER = -14,       /* an output buffer is too small */
    COS_ERR_CRYPTO = -15,       /* the crypto engine failed or the key is unusable */
    COS_ERR_RNG = -16,          /* the random number generator failed */
    COS_ERR_APPLET = -17,       /* an applet returned an invalid value */
    COS_ERR_UNSUPPORTED = -18,  /* the operation is not supported by this build */
    COS_ERR_APDU = -19,         /* a byte string is not a well-formed command APDU */
};

/* A static English message for ERR (any int; unknown values give a generic text).
 * Never NULL. */
const char *cos_strerror(int err);

#endif /* OBOL_COS_ERR_H */
