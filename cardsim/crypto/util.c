/*
 * obol card OS: constant-time comparison and secure wipe, the two helpers every MAC
 * check and every key buffer in the card OS relies on.
 */
#include <obol/cos_crypto.h>

#include <string.h>

/* Every byte is read and folded into one accumulator, with no branch on the data, so
 * the time taken depends on LEN only. The volatile reads keep the compiler from
 * turning the loop into an early-exit memcmp. */
int cos_ct_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++)
        acc |= (uint32_t)(x[i] ^ y[i]);
    /* acc is 0..255: acc - 1 has its top bit set exactly when acc == 0. */
    return (int)(((acc - 1) >> 31) & 1u);
}

/* A memset whose result is never read again may be removed as a dead store. With GCC
 * and Clang an empty asm statement that takes the pointer and clobbers memory makes
 * the zeros observable; elsewhere the bytes are written through a volatile pointer. */
void cos_wipe(void *p, size_t len)
{
    if (len == 0)
        return;
#if defined(__GNUC__)
    memset(p, 0, len);
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile uint8_t *v = p;
    while (len--)
        *v++ = 0;
#endif
}
