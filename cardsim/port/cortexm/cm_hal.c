/*
 * The Cortex-M port of the card OS HAL (see cm_hal.h). NVM is ordinary memory on
 * QEMU's mps2-an385 (its SSRAM stands in for flash), so a write is a copy; power
 * loss is a QEMU kill, which leaves a prefix of the writes in place, as on a chip.
 */
#include "cm_hal.h"
#include "../port_rng.h"

#include <string.h>

#include "obol/cos_err.h"

extern uint8_t __nvm_start[], __nvm_size[], __config_start[];

static uint64_t rng_state[4];

uint32_t cm_nvm_size(void)
{
    return (uint32_t)(uintptr_t)__nvm_size;
}

static int nvm_read(void *port, uint32_t off, void *buf, size_t len)
{
    (void)port;
    memcpy(buf, __nvm_start + off, len);
    return 0;
}

static int nvm_write(void *port, uint32_t off, const void *buf, size_t len)
{
    (void)port;
    memcpy(__nvm_start + off, buf, len);
    return 0;
}

static int nvm_erase(void *port, uint32_t off, size_t len)
{
    (void)port;
    memset(__nvm_start + off, 0xFF, len);
    return 0;
}

static int rng(void *port, uint8_t *buf, size_t len)
{
    (void)port;
    port_rng_fill(rng_state, buf, len);
    return 0;
}

void cm_rng_init(void)
{
    uint64_t seed = 0;
    if (memcmp(__config_start, "OBOLSEED", 8) == 0)
        for (int i = 7; i >= 0; i--)
            seed = seed << 8 | __config_start[8 + i];
    port_rng_seed(rng_state, seed);
}

static const cos_hal hal = {nvm_read, nvm_write, nvm_erase, rng, NULL, NULL, NULL};

const cos_hal *cm_hal(void)
{
    return &hal;
}
