/*
 * obol: the ROM table of applet classes of the product card.
 *
 * The card's code registers its applets by class (cos_applet.h); this table is the one
 * the product card (the simulator's cards, the Cortex-M image, profiles) passes in
 * cos_card_config.classes. Every instance in NVM records its class id, so the ids below
 * are part of the NVM format: they are stable, never reused, never renumbered. Add new
 * classes at the end of rom.c and give them the next free id of their range here.
 *
 *   id      name       what                                             status
 *   0x0001  gp         GlobalPlatform card manager (ISD and SSDs)          cardsim/applets/gp
 *   0x0010  pboc       PBOC ED/EP purse with CAPP (JR/T 0025 part 1)      cardsim/applets/pboc
 *   0x0011  psam       terminal PSAM: purchase MAC1/MAC2, TAC check       cardsim/applets/psam
 *   0x0020  transit    transit (JT/T 978 style) application                cardsim/applets/transit
 *   0x0030  ssc        social security card application                    cardsim/applets/ssc
 *   0x7F00-0x7FFF      test classes of tests' own ROM tables (never in this table)
 */
#ifndef OBOL_OBOL_ROM_H
#define OBOL_OBOL_ROM_H

#include <stdint.h>

#include "cos_applet.h"

#define OBOL_CLASS_GP         0x0001u
#define OBOL_CLASS_PBOC       0x0010u
#define OBOL_CLASS_PSAM       0x0011u
#define OBOL_CLASS_TRANSIT    0x0020u
#define OBOL_CLASS_SSC        0x0030u
#define OBOL_CLASS_TEST_FIRST 0x7F00u
#define OBOL_CLASS_TEST_LAST  0x7FFFu

/* The product card's classes, in ROM (const); obol_rom_nclasses entries. Pass both in
 * cos_card_config (classes, nclasses). */
extern const cos_applet_class *const obol_rom_classes[];
extern const uint16_t obol_rom_nclasses;

/* The class with id ID or name NAME in the table, or NULL. */
const cos_applet_class *obol_rom_find(uint16_t id);
const cos_applet_class *obol_rom_find_name(const char *name);

#endif /* OBOL_OBOL_ROM_H */
