/*
 * obol card OS: the host port (cardsim/port/host).
 *
 * Fills the HAL for a card simulated in a host process: the card's NVM image lives
 * in memory (owned by the port or by the caller, so a simulator can keep a million
 * images its own way) or in a file that persists across runs (loaded at open,
 * written through on every NVM write); a per-card seeded deterministic RNG makes
 * simulations reproducible; power loss can be injected after the k-th NVM write or
 * inside a write at byte granularity. Not freestanding: uses malloc and stdio.
 */
#ifndef OBOL_COS_HOST_H
#define OBOL_COS_HOST_H

#include <stdint.h>
#include <stdio.h>

#include "cos.h"

/* One card's port context. Owned by the caller; fields are private. */
typedef struct cos_host {
    uint8_t *nvm;
    uint32_t size;
    uint16_t page;
    uint8_t owned; /* nvm was allocated by the port */
    FILE *file;    /* write-through image file, or NULL */
    /* power-loss injection */
    uint8_t armed, cut;
    uint32_t cut_after, cut_bytes;
    uint32_t writes; /* nvm_write and nvm_erase calls since open / cos_host_reset_writes */
    uint32_t *log;   /* optional: length of each write, LOG_CAP entries */
    uint32_t log_cap;
    /* xoshiro256** state */
    uint64_t rng[4];
} cos_host;

/* The ops; constant, shared by every host card. */
extern const cos_hal cos_host_hal;

/* Opens a fresh in-memory image of SIZE bytes, erased (0xFF), with page size PAGE and
 * RNG seed SEED. Returns 0 or COS_ERR_PARAM / COS_ERR_NVM (allocation failed). */
int cos_host_open_mem(cos_host *h, uint32_t size, uint16_t page, uint64_t seed);
/* Uses the caller's image NVM of SIZE bytes (not copied, not freed). */
int cos_host_open_buffer(cos_host *h, uint8_t *nvm, uint32_t size, uint16_t page, uint64_t seed);
/* Opens the image file PATH: loads it when it exists (its size must be SIZE), else
 * creates it erased. Every later write goes through to the file. */
int cos_host_open_file(cos_host *h, const char *path, uint32_t size, uint16_t page, uint64_t seed);
/* Releases what the port allocated and closes the file. */
void cos_host_close(cos_host *h);

/* Fills CFG for cos_card_attach() with this port and the applet table CLASSES. */
void cos_host_config(cos_host *h, const cos_applet_class *const *classes, uint16_t nclasses,
                     cos_card_config *cfg);

/* Re-seeds the RNG (same seed, same random bytes). */
void cos_host_seed(cos_host *h, uint64_t seed);

/* Power-loss injection: the next K writes land fully, the one after lands only its
 * first BYTES bytes (0: none) and fails with COS_ERR_POWER_LOST; every later write
 * fails without effect until cos_host_restore_power(). */
void cos_host_cut_after(cos_host *h, uint32_t k, uint32_t bytes);
/* Disarms any injection and restores power (before the next cos_power_on()). */
void cos_host_restore_power(cos_host *h);
/* 1 when an injected power loss happened. */
int cos_host_power_was_cut(const cos_host *h);

uint32_t cos_host_writes(const cos_host *h);
void cos_host_reset_writes(cos_host *h);

#endif /* OBOL_COS_HOST_H */
