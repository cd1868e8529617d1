/*
 * obol applet: the terminal's PSAM (purchase secure access module) for PBOC purses.
 *
 * A PSAM sits in every terminal and holds the purchase master keys. For each purchase
 * it derives the card's purchase key by dispersion over the card's serial number
 * (and first over the issuer/city code for two-level keys), computes the session key
 * SESPK and MAC1 for the card, numbers the transaction with its terminal transaction
 * number, and checks the card's MAC2 (PBOC 2.0 part 1, 12.3; PROTOCOLS.md "PSAM").
 *
 * Commands (CLA 80): INIT SAM FOR PURCHASE (80 70 00 00 24), CREDIT SAM FOR PURCHASE
 * (80 72 00 00 04), VERIFY TAC (80 7A 00 00 Lc, obol's own: a TAC check for terminals
 * that hold TAC master keys). The terminal id is the transparent EF with SFI 0x16 (6
 * bytes), readable with READ BINARY through the card OS as real PSAMs have it.
 */
#ifndef OBOL_APPLET_PSAM_H
#define OBOL_APPLET_PSAM_H

#include <stdint.h>

#include "obol/cos_applet.h"

/* The applet class (class id OBOL_CLASS_PSAM of obol_rom.h). */
extern const cos_applet_class psam_class;

/* Install parameters: TLVs as the purse's (tag, length, value); unknown tags refused. */
#define PSAM_TAG_TTN 0x01u /* 4 bytes: the last terminal transaction number used (default 0) */

/* Master keys: key objects in the instance's ADF with kid PSAM_KID, kver = the key
 * version the card announces in INITIALIZE FOR PURCHASE, 16-byte 3DES. The usage says
 * how the card's key is dispersed from it (the number of levels is a property of the
 * key): one level DPK = Div(MK, card serial); two levels K1 = Div(MK, issuer code),
 * DPK = Div(K1, card serial). Div(K, F) = 3DES(K, F) || 3DES(K, NOT F). */
#define PSAM_KEY_PURCHASE1 0x80u /* purchase master key, one level */
#define PSAM_KEY_PURCHASE2 0x81u /* purchase master key, two levels */
#define PSAM_KEY_TAC1      0x82u /* TAC master key, one level (VERIFY TAC) */
#define PSAM_KEY_TAC2      0x83u /* TAC master key, two levels */
#define PSAM_KID           0x01u

/* Files the personalization creates in the ADF. */
#define PSAM_TID_SFI 0x16u /* terminal id, transparent, 6 bytes */

#define PSAM_ALG_3DES 0x00u

/* Data object ids. */
#define PSAM_OBJ_STATE 1u /* terminal transaction number (4) */

#endif /* OBOL_APPLET_PSAM_H */
