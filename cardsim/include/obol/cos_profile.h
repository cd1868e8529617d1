/*
 * obol card profiles: personalize a card from a text profile (docs/profiles.md).
 *
 * A profile is data, not code: the card serial and issuer code, the applications
 * installed (class, AID, install parameters), their files, PINs and keys (dispersed
 * from TEST master keys by the card serial), limits and initial balances. This loader
 * is host-side (stdio, malloc) and not part of the freestanding card image; it drives
 * the card OS's personalization calls (cos_perso.h) with the product ROM classes
 * (obol_rom.h).
 */
#ifndef OBOL_COS_PROFILE_H
#define OBOL_COS_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "cos.h"

/* Formats and personalizes CARD (attached with cos_card_attach(), with the product ROM
 * table obol_rom_classes or one that has the profile's classes) from the profile
 * NAME_OR_PATH. A name without '/' and without the ".profile" suffix is looked up as
 * NAME.profile in the directory named by the environment variable OBOL_PROFILE_DIR,
 * else in the compiled-in OBOL_PROFILE_DIR_DEFAULT (the repository's profiles/);
 * anything else is a path. SERIAL_OVERRIDE, when not 0, replaces the profile's card
 * serial (so one profile makes many cards). The whole profile is read and checked
 * before the card is touched. Leaves the card powered off and operational (as
 * cos_perso_default()).
 *
 * Returns 0, or a negative COS_ERR_* code with a message in ERR (ERRLEN bytes, always
 * NUL-terminated when ERRLEN > 0; may be NULL) naming file:line and what was expected:
 * COS_ERR_NOT_FOUND (no such profile or include), COS_ERR_PARAM (syntax or value
 * error), COS_ERR_NO_SPACE (the image is too small), or the card OS's error. A failure
 * after formatting leaves a card holding a prefix of the profile's steps. */
int cos_profile_apply(cos_card *card, const char *name_or_path, uint64_t serial_override_or_0,
                      char *err, size_t errlen);

#endif /* OBOL_COS_PROFILE_H */
