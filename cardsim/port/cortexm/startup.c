/*
 * Start-up of the card image on a Cortex-M3: the vector table, the reset handler
 * (copy .data from flash, zero .bss, call main) and the C library routines GCC may
 * emit calls to even in freestanding code (struct copies become memcpy/memset).
 */
#include <stddef.h>
#include <stdint.h>

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;

int main(void);
void obol_reset(void);
void obol_fault(void);

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &__stack_top, /* initial stack pointer */
    obol_reset,   /* reset */
    obol_fault,   /* NMI */
    obol_fault,   /* hard fault */
    obol_fault,   /* memory management fault */
    obol_fault,   /* bus fault */
    obol_fault,   /* usage fault */
};

void obol_fault(void)
{
    for (;;)
        ;
}

void obol_reset(void)
{
    uint32_t *src = &__data_load;
    for (uint32_t *dst = &__data_start; dst < &__data_end;)
        *dst++ = *src++;
    for (uint32_t *dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;
    main();
    obol_fault();
}

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}
