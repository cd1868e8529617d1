/*
 * obol: the product card's ROM table of applet classes (obol_rom.h lists the ids).
 * Freestanding: const data and two lookups, no libc beyond what the card OS uses.
 */
#include <stddef.h>
#include <stdint.h>

#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "psam/psam.h"
#include "ssc/ssc.h"
#include "transit/transit.h"
#include "gp/gp.h"

const cos_applet_class *const obol_rom_classes[] = {
    &pboc_class, &psam_class, &transit_class, &ssc_class, &gp_class,
};

const uint16_t obol_rom_nclasses = sizeof obol_rom_classes / sizeof obol_rom_classes[0];

const cos_applet_class *obol_rom_find(uint16_t id)
{
    uint16_t i;

    for (i = 0; i < obol_rom_nclasses; i++)
        if (obol_rom_classes[i]->id == id)
            return obol_rom_classes[i];
    return NULL;
}

const cos_applet_class *obol_rom_find_name(const char *name)
{
    uint16_t i;

    for (i = 0; i < obol_rom_nclasses; i++) {
        const char *a = obol_rom_classes[i]->name, *b = name;
        while (*a != '\0' && *a == *b) {
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return obol_rom_classes[i];
    }
    return NULL;
}
