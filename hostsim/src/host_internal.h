/*
 * obol host platform: helpers shared by hostsim's source files (private).
 *
 * Names with the host__ prefix cross files inside hostsim but are not part of the
 * public API. Everything follows the public conventions: 0 or a negative HOST_ERR_*.
 */
#ifndef OBOL_HOST_INTERNAL_H
#define OBOL_HOST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_error.h"

/* Runs the OpenSSL cipher NAME ("DES-EDE3-ECB", "AES-128-CBC", ...) without padding
 * over LEN bytes. KEY has the cipher's key length; IV is NULL for ECB. Translates and
 * clears OpenSSL errors. */
int host__cipher(const char *name, const uint8_t *key, const uint8_t *iv, int encrypt,
                 const uint8_t *in, uint8_t *out, size_t len);

/* Expands an 8-, 16- or 24-byte DES key to the 24 bytes DES-EDE3 takes. */
int host__des_key24(const uint8_t *key, size_t keylen, uint8_t out[24]);

/* Name of the OpenSSL AES cipher for KEYLEN in MODE ("ECB" or "CBC"), NULL if invalid. */
const char *host__aes_name(size_t keylen, int cbc);

/* AES-CMAC over A || B (either may be empty), full 16-byte output. */
int host__aes_cmac2(const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen, uint8_t mac[16]);

/* Appends `80 00..` to the LEN bytes at BUF (capacity CAP) up to a multiple of BS;
 * returns the padded length, or 0 when CAP is too small. */
size_t host__pad80(uint8_t *buf, size_t len, size_t cap, size_t bs);

/* Removes `80 00..` padding from LEN bytes; returns the unpadded length through *OUT
 * or HOST_ERR_PADDING. */
int host__unpad80(const uint8_t *buf, size_t len, size_t *out);

/* Big-endian stores. */
static inline void host__be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void host__be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

#endif /* OBOL_HOST_INTERNAL_H */
