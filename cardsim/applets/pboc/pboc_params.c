/*
 * obol applet pboc: the purse's install parameters (pboc.h), read and built.
 *
 * The purse, its GP personalization (DGI 0F10) and the classes that wrap it (transit,
 * social security) all walk the same one-byte-tag, one-byte-length TLVs; the wrapping
 * classes also build the EP-only purse's parameters from the TLVs they are installed
 * with, in one way for both.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obol/cos_applet.h"
#include "pboc.h"

int pboc_tlv_next(const uint8_t *p, size_t len, size_t *pos, uint8_t *tag, uint8_t *l,
                  const uint8_t **v)
{
    size_t i = *pos;

    if (i >= len)
        return 0;
    if (len - i < 2 || len - i - 2 < p[i + 1])
        return COS_SW_WRONG_DATA;
    *tag = p[i];
    *l = p[i + 1];
    *v = p + i + 2;
    *pos = i + 2u + p[i + 1];
    return 1;
}

void pboc_params_init_ep(pboc_params *pp)
{
    pp->buf[0] = PBOC_TAG_PURSES;
    pp->buf[1] = 1;
    pp->buf[2] = PBOC_PURSE_EP;
    pp->n = 3;
}

int pboc_params_put(pboc_params *pp, uint8_t tag, const uint8_t *v, uint8_t len)
{
    if (PBOC_PARAMS_MAX - pp->n < 2u + len)
        return COS_SW_WRONG_DATA;
    pp->buf[pp->n] = tag;
    pp->buf[pp->n + 1] = len;
    memcpy(pp->buf + pp->n + 2, v, len);
    pp->n += 2u + len;
    return 0;
}

int pboc_params_forward(pboc_params *pp, uint8_t tag, const uint8_t *v, uint8_t len)
{
    switch (tag) {
    case PBOC_TAG_PURSES:
        if (len != 1 || v[0] != PBOC_PURSE_EP)
            return COS_SW_WRONG_DATA;
        return 0; /* already there (pboc_params_init_ep) */
    case PBOC_TAG_CAPP_MAX:
        return COS_SW_WRONG_DATA; /* the wrapping class decides the CAPP cache */
    default:
        if (tag >= 0x40)
            return COS_SW_WRONG_DATA;
        /* A purse parameter: the purse's install() checks it. */
        return pboc_params_put(pp, tag, v, len);
    }
}
