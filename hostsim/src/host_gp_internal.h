/*
 * obol host platform: GlobalPlatform client internals shared by host_gp.c,
 * host_scp02.c and host_scp03.c (private).
 */
#ifndef OBOL_HOST_GP_INTERNAL_H
#define OBOL_HOST_GP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_gp.h"

/* A parsed short command APDU (ISO/IEC 7816-4 5.1, cases 1 to 4). DATA points into
 * the caller's buffer. */
typedef struct host__apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;
    size_t lc;
    int has_le;
    uint8_t le;
} host__apdu;

/* Parses IN; HOST_ERR_ARG for anything that is not a short APDU (extended length,
 * Lc 00, trailing bytes). */
int host__apdu_parse(const uint8_t *in, size_t len, host__apdu *a);

/* Writes CLA INS P1 P2 Lc DATA MAC [Le] to OUT, with Lc = dlen + maclen. The caller
 * has checked that Lc fits in a byte. */
int host__apdu_emit(const host__apdu *a, uint8_t cla, const uint8_t *data, size_t dlen,
                    const uint8_t *mac, size_t maclen, uint8_t *out, size_t cap, size_t *out_len);

/* Copies N bytes to OUT (capacity CAP); HOST_ERR_NOSPACE if it does not fit. */
int host__copy_out(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* Protocol halves; the state checks live in host_gp.c. DATA/LEN is the INITIALIZE
 * UPDATE response without its status word. */
int host__scp02_open(host_gp_session *s, const uint8_t *data, size_t len, uint8_t level,
                     uint8_t *out, size_t cap, size_t *out_len);
int host__scp02_wrap(host_gp_session *s, const host__apdu *a, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t cap, size_t *out_len);
int host__scp02_unwrap(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t *out,
                       size_t cap, size_t *out_len);

int host__scp03_open(host_gp_session *s, const uint8_t *data, size_t len, uint8_t level,
                     uint8_t *out, size_t cap, size_t *out_len);
int host__scp03_wrap(host_gp_session *s, const host__apdu *a, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t cap, size_t *out_len);
int host__scp03_unwrap(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t *out,
                       size_t cap, size_t *out_len);

#endif /* OBOL_HOST_GP_INTERNAL_H */
