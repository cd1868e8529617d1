/*
 * obol applet pboc: declarations shared by the purse's files (pboc.c: the purse and its
 * commands; pboc_perso.c: GlobalPlatform personalization). Not for other applets: they
 * use pboc.h.
 *
 * Persistent state (data object PBOC_OBJ_STATE, all numbers big-endian):
 *    0 purses (PBOC_PURSE_*)      1 MAC failure limit     2 MAC tries left
 *    3 ED PIN reference           4 overdraft limit (3)   7 CAPP cache size
 *    8 maximum balance (4)
 *   12 ED purse: balance (4) online counter (2) offline counter (2)
 *   20 EP purse: the same
 *   28 proof of the last transaction: type (1) counter after it (2) MAC (4) TAC (4)
 */
#ifndef OBOL_APPLET_PBOC_INTERNAL_H
#define OBOL_APPLET_PBOC_INTERNAL_H

#include <stdint.h>

#include "pboc.h"

#define ST_PURSES    0u
#define ST_MAC_LIMIT 1u
#define ST_MAC_LEFT  2u
#define ST_PIN_REF   3u
#define ST_OVERDRAFT 4u
#define ST_CAPP_MAX  7u
#define ST_MAX_BAL   8u
#define ST_ED        12u
#define ST_EP        20u
#define ST_PROOF     28u
#define ST_SIZE      40u
/* Offsets inside one purse block. */
#define PU_BAL     0u
#define PU_ONLINE  4u
#define PU_OFFLINE 6u
#define PROOF_LEN  11u

static inline uint16_t pboc__get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t pboc__get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif /* OBOL_APPLET_PBOC_INTERNAL_H */
