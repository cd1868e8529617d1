/*
 * The Cortex-M port of the card OS HAL: NVM in the linker script's NVM region,
 * a seeded xoshiro256** RNG (the same generator and seeding as the host port, so
 * one seed gives the same card challenges on the image and in-process), and the
 * soft crypto.
 */
#ifndef OBOL_CM_HAL_H
#define OBOL_CM_HAL_H

#include <stdint.h>

#include "obol/cos_hal.h"

/* The HAL ops of the image; the port context is unused (one card per chip). */
const cos_hal *cm_hal(void);
/* Bytes of the NVM region. */
uint32_t cm_nvm_size(void);
/* Seeds the RNG from the configuration word the harness may preload at the start of
 * the CONFIG region ("OBOLSEED" then the seed, little-endian); 0 when absent. */
void cm_rng_init(void);

#endif
