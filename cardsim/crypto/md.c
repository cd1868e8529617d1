/*
 * obol card OS: the Merkle-Damgard construction shared by SHA-256 (FIPS 180-4) and SM3
 * (GB/T 32905-2016): both hash 64-byte blocks into 8 words of state and pad the same
 * way, and differ only in their initial value and compression function.
 */
#include "crypto_internal.h"

#include <string.h>

void cos__md_update(cos_sha256_ctx *c, cos__md_compress compress, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0)
        return;
    c->bytes += len;
    if (c->fill) {
        size_t n = 64 - c->fill < len ? 64 - c->fill : len;
        memcpy(c->buf + c->fill, p, n);
        c->fill += n;
        p += n;
        len -= n;
        if (c->fill < 64)
            return;
        compress(c->h, c->buf);
        c->fill = 0;
    }
    for (; len >= 64; p += 64, len -= 64)
        compress(c->h, p);
    if (len) {
        memcpy(c->buf, p, len);
        c->fill = len;
    }
}

/* FIPS 180-4, 5.1.1 and GB/T 32905-2016, 5.2: append 1, then zeros to 56 mod 64 bytes,
 * then the bit length as a 64-bit big-endian number. */
void cos__md_final(cos_sha256_ctx *c, cos__md_compress compress, uint8_t out[32])
{
    uint64_t bits = c->bytes * 8;
    size_t n = c->fill;
    c->buf[n++] = 0x80;
    if (n > 56) {
        memset(c->buf + n, 0, 64 - n);
        compress(c->h, c->buf);
        n = 0;
    }
    memset(c->buf + n, 0, 56 - n);
    cos__store32(c->buf + 56, (uint32_t)(bits >> 32));
    cos__store32(c->buf + 60, (uint32_t)bits);
    compress(c->h, c->buf);
    for (int i = 0; i < 8; i++)
        cos__store32(out + 4 * i, c->h[i]);
    cos_wipe(c, sizeof *c);
}
