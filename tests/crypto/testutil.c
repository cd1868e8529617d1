/* Helpers shared by obol's crypto tests (see testutil.h). */
#include "testutil.h"

#include <criterion/criterion.h>
#include <string.h>

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t th_unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex; hex++) {
        if (*hex == ' ')
            continue;
        int v = nibble(*hex);
        cr_assert(v >= 0, "bad hex digit '%c'", *hex);
        if (hi < 0) {
            hi = v;
        } else {
            cr_assert(n < cap, "hex string longer than %zu bytes", cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    cr_assert(hi < 0, "odd number of hex digits");
    return n;
}

char *th_hex(char *buf, const uint8_t *p, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        buf[2 * i] = digits[p[i] >> 4];
        buf[2 * i + 1] = digits[p[i] & 15];
    }
    buf[2 * len] = 0;
    return buf;
}

void th_expect_hex(const char *what, const uint8_t *got, size_t len, const char *want)
{
    uint8_t exp[512];
    char gs[1025], ws[1025];
    size_t n = th_unhex(exp, sizeof exp, want);
    cr_assert(len <= sizeof exp);
    cr_assert_eq(n, len, "%s: expected %zu bytes, compared %zu", what, n, len);
    cr_assert(memcmp(got, exp, len) == 0, "%s:\n  got  %s\n  want %s", what, th_hex(gs, got, len),
              th_hex(ws, exp, len));
}

void th_rng_seed(th_rng *r, uint64_t seed)
{
    r->s = seed;
}

uint64_t th_rng_next(th_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void th_rng_bytes(th_rng *r, uint8_t *out, size_t len)
{
    while (len) {
        uint64_t v = th_rng_next(r);
        for (int i = 0; i < 8 && len; i++, len--) {
            *out++ = (uint8_t)v;
            v >>= 8;
        }
    }
}

size_t th_rng_below(th_rng *r, size_t n)
{
    return (size_t)(th_rng_next(r) % n);
}
