/*
 * obol applet gp: small BER-TLV and length-value helpers for command data fields
 * (ISO/IEC 7816-4:2020, 6.2; GP CS 2.3 uses one- and two-byte tags, lengths up to
 * 0xFFFF in the 81/82 forms).
 */
#include <string.h>

#include "gp_internal.h"

int gp__tlv_next(const uint8_t *p, size_t len, size_t *off, uint16_t *tag, const uint8_t **val,
                 size_t *vlen)
{
    size_t i = *off, n;

    if (i >= len)
        return 0;
    *tag = p[i++];
    if ((*tag & 0x1F) == 0x1F) {
        if (i >= len)
            return -1;
        *tag = (uint16_t)(*tag << 8 | p[i++]);
    }
    if (i >= len)
        return -1;
    n = p[i++];
    if (n == 0x81) {
        if (i >= len)
            return -1;
        n = p[i++];
    } else if (n == 0x82) {
        if (i + 1 >= len)
            return -1;
        n = (size_t)p[i] << 8 | p[i + 1];
        i += 2;
    } else if (n > 0x7F) {
        return -1;
    }
    if (n > len - i)
        return -1;
    *val = p + i;
    *vlen = n;
    *off = i + n;
    return 1;
}

int gp__tlv_find(const uint8_t *p, size_t len, uint16_t tag, const uint8_t **val, size_t *vlen)
{
    size_t off = 0;
    uint16_t t;
    int rc;

    while ((rc = gp__tlv_next(p, len, &off, &t, val, vlen)) == 1)
        if (t == tag)
            return 1;
    return rc;
}

int gp__tlv_put(cos_resp *r, uint16_t tag, const void *val, size_t len)
{
    uint8_t h[4];
    size_t n = 0;

    if (tag > 0xFF)
        h[n++] = (uint8_t)(tag >> 8);
    h[n++] = (uint8_t)tag;
    if (len > 0x7F)
        h[n++] = 0x81;
    h[n++] = (uint8_t)len;
    if (len > 0xFF || (size_t)r->len + n + len > r->cap)
        return COS_ERR_BUFFER;
    memcpy(r->buf + r->len, h, n);
    if (len)
        memcpy(r->buf + r->len + n, val, len);
    r->len = (uint16_t)(r->len + n + len);
    return 0;
}

int gp__lv(const uint8_t **p, const uint8_t *end, const uint8_t **val, size_t *len)
{
    if (*p >= end)
        return -1;
    *len = **p;
    if ((size_t)(end - *p - 1) < *len)
        return -1;
    *val = *p + 1;
    *p += 1 + *len;
    return 0;
}

int gp__unpad(const uint8_t *p, size_t len, size_t *out)
{
    while (len > 0 && p[len - 1] == 0x00)
        len--;
    if (len == 0 || p[len - 1] != 0x80)
        return -1;
    *out = len - 1;
    return 0;
}

int gp__sw_ok(int sw)
{
    return sw == (int)COS_SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}
