/*
 * obol card OS: command APDU parsing and encoding, response buffers.
 * ISO/IEC 7816-4:2020, clause 5: a command is CLA INS P1 P2 [Lc data] [Le]; short Lc/Le
 * are one byte (Le 00 = 256), extended ones start with a 00 byte and have two
 * (Le 0000 = 65536); in case 4E, Le has two bytes after the data.
 */
#include "cos_internal.h"

int cos_apdu_parse(cos_apdu *a, const uint8_t *b, size_t len)
{
    if (!a || !b || len < 4)
        return COS_ERR_APDU;
    memset(a, 0, sizeof *a);
    /* Never NULL, even without data: handlers may pass (data, nc) to memcpy() and
     * friends, for which a NULL pointer is undefined even with a length of 0 (C11
     * 7.24.1). The fuzzer found an applet doing exactly that. */
    a->data = b + 4;
    a->cla = b[0];
    a->ins = b[1];
    a->p1 = b[2];
    a->p2 = b[3];
    if (len == 4) {
        a->kase = 1;
        return 0;
    }
    if (len == 5) { /* case 2S */
        a->kase = 2;
        a->ne = b[4] ? b[4] : 256;
        return 0;
    }
    if (b[4] != 0) { /* 3S or 4S */
        size_t lc = b[4];
        if (len == 5 + lc) {
            a->kase = 3;
        } else if (len == 6 + lc) {
            a->kase = 4;
            a->ne = b[5 + lc] ? b[5 + lc] : 256;
        } else {
            return COS_ERR_APDU;
        }
        a->nc = (uint16_t)lc;
        a->data = b + 5;
        return 0;
    }
    /* b[4] == 0: extended */
    a->ext = 1;
    if (len == 7) { /* case 2E */
        uint32_t le = cos__get16(b + 5);
        a->kase = 2;
        a->ne = le ? le : 65536;
        return 0;
    }
    if (len < 8)
        return COS_ERR_APDU;
    {
        size_t lc = cos__get16(b + 5);
        if (lc == 0)
            return COS_ERR_APDU;
        if (len == 7 + lc) {
            a->kase = 3;
        } else if (len == 9 + lc) {
            uint32_t le = cos__get16(b + 7 + lc);
            a->kase = 4;
            a->ne = le ? le : 65536;
        } else {
            return COS_ERR_APDU;
        }
        a->nc = (uint16_t)lc;
        a->data = b + 7;
    }
    return 0;
}

int cos_apdu_encode(const cos_apdu *a, uint8_t *buf, size_t cap, size_t *len)
{
    int ext;
    size_t n = 0, need;

    if (!a || !buf || !len || a->ne > 65536 || (a->nc && !a->data))
        return COS_ERR_PARAM;
    ext = a->nc > 255 || a->ne > 256;
    need = 4 + (a->nc ? (ext ? 3u : 1u) + a->nc : 0) + (a->ne ? (ext ? (a->nc ? 2u : 3u) : 1u) : 0);
    if (need > cap)
        return COS_ERR_BUFFER;
    buf[n++] = a->cla;
    buf[n++] = a->ins;
    buf[n++] = a->p1;
    buf[n++] = a->p2;
    if (a->nc) {
        if (ext) {
            buf[n++] = 0;
            cos__put16(buf + n, a->nc);
            n += 2;
        } else {
            buf[n++] = (uint8_t)a->nc;
        }
        memcpy(buf + n, a->data, a->nc);
        n += a->nc;
    }
    if (a->ne) {
        if (ext) {
            if (!a->nc)
                buf[n++] = 0;
            cos__put16(buf + n, (uint16_t)(a->ne == 65536 ? 0 : a->ne));
            n += 2;
        } else {
            buf[n++] = (uint8_t)(a->ne == 256 ? 0 : a->ne);
        }
    }
    *len = n;
    return 0;
}

int cos_apdu_ne_wildcard(const cos_apdu *a)
{
    return a->ne == 65536 || (a->ne == 256 && !a->ext);
}

int cos_resp_put(cos_resp *r, const void *p, size_t n)
{
    if (n > (size_t)(r->cap - r->len))
        return COS_ERR_BUFFER;
    if (n)
        memcpy(r->buf + r->len, p, n);
    r->len = (uint16_t)(r->len + n);
    return 0;
}

int cos_resp_u8(cos_resp *r, uint8_t v)
{
    return cos_resp_put(r, &v, 1);
}

int cos_resp_u16(cos_resp *r, uint16_t v)
{
    uint8_t b[2];
    cos__put16(b, v);
    return cos_resp_put(r, b, 2);
}

int cos_resp_u32(cos_resp *r, uint32_t v)
{
    uint8_t b[4];
    cos__put32(b, v);
    return cos_resp_put(r, b, 4);
}

uint16_t cos_rsp_sw(const uint8_t *rsp, size_t len)
{
    return len < 2 ? 0 : (uint16_t)(rsp[len - 2] << 8 | rsp[len - 1]);
}
