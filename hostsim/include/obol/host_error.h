/*
 * obol host platform: error codes shared by every hostsim module.
 *
 * Every hostsim function returns 0 on success or one of the negative HOST_ERR_* codes
 * below (libuv style); host_strerror() names them. Errors from the libraries hostsim
 * sits on (OpenSSL; SQLite in host_db.c) are translated into these codes at the
 * boundary and never leak out as foreign codes. The table is an X-macro so the Python
 * binding can generate its exception hierarchy from it. Codes are stable: add new ones
 * at the end, never renumber.
 */
#ifndef OBOL_HOST_ERROR_H
#define OBOL_HOST_ERROR_H

/* XX(name, value, message) */
#define HOST_ERRNO_MAP(XX)                                                                         \
    XX(ARG, -1, "invalid argument or length")                                                      \
    XX(NOSPACE, -2, "output buffer too small")                                                     \
    XX(NOMEM, -3, "out of memory")                                                                 \
    XX(CRYPTO, -4, "cryptographic library failure")                                                \
    XX(MAC, -5, "MAC or TAC does not verify")                                                      \
    XX(CRYPTOGRAM, -6, "card cryptogram does not verify")                                          \
    XX(RMAC, -7, "response MAC does not verify")                                                   \
    XX(CHALLENGE, -8, "pseudo-random card challenge does not verify")                              \
    XX(STATE, -9, "call not allowed in the current session state")                                 \
    XX(PROTO, -10, "malformed or unexpected card response")                                        \
    XX(SW, -11, "card answered with an error status word")                                         \
    XX(PADDING, -12, "bad padding in decrypted data")                                              \
    XX(UNSUPPORTED, -13, "option not supported")                                                   \
    XX(DB, -14, "database error")                                                                  \
    XX(DUPLICATE, -15, "record already exists")                                                    \
    XX(NOTFOUND, -16, "no such record")                                                            \
    XX(IO, -17, "storage I/O error (disk full, read-only or failing)")                             \
    XX(BUSY, -18, "database busy or locked")                                                       \
    XX(CORRUPT, -19, "database corrupt or not an obol platform database")                          \
    XX(SCHEMA, -20, "database schema version not supported")                                       \
    XX(KEY, -21, "wrong storage key or key material does not unwrap")                              \
    XX(BADMSG, -22, "malformed host protocol message")

enum host_errno {
#define HOST__ERR_ENUM(name, value, msg) HOST_ERR_##name = (value),
    HOST_ERRNO_MAP(HOST__ERR_ENUM)
#undef HOST__ERR_ENUM
};

/* Returns a static, human-readable message for a HOST_ERR_* code (or "success" for 0,
 * "unknown error" for anything else). Never NULL; the string is owned by the library. */
const char *host_strerror(int err);

/* Returns the code's name without the prefix ("MAC", "ARG", ...), or NULL when the
 * code is unknown. Used by the Python binding to name exceptions. */
const char *host_err_name(int err);

#endif /* OBOL_HOST_ERROR_H */
