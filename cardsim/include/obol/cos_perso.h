/*
 * obol card OS: formatting, personalization and instance management.
 *
 * The issuer's side of the card: lay out a blank NVM image (cos_format()), build the
 * file system (DFs, EFs, PINs, keys), create applet instances, and finish. These
 * calls act with the issuer's authority (no access conditions, no firewall); tests
 * and card profiles use them to build cards, and the GlobalPlatform card manager will
 * use cos_inst_create()/cos_inst_delete()/cos_app_find() for INSTALL and DELETE.
 *
 * Sequence: cos_card_attach() -> cos_format() -> cos_power_on() -> cos_perso_*() and
 * cos_inst_create() -> cos_perso_finish(). Each call is atomic on its own (an NVM
 * transaction), so a card torn during personalization holds a prefix of the steps.
 *
 * Access conditions (COS_AC_*) and EF descriptions (cos_ef_spec) are in cos_applet.h,
 * since applets create files in their own ADFs too.
 */
#ifndef OBOL_COS_PERSO_H
#define OBOL_COS_PERSO_H

#include <stddef.h>
#include <stdint.h>

#include "cos_applet.h"
#include "cos_card.h"

/* Life cycle status bytes (ISO/IEC 7816-4:2020, 7.4.10), used for the card (NVM
 * header, ATR status indicator) and for files (FCP tag 8A). */
#define COS_LCS_CREATION    0x01u
#define COS_LCS_INIT        0x03u
#define COS_LCS_ACTIVE      0x05u /* operational, activated */
#define COS_LCS_DEACTIVATED 0x04u /* operational, deactivated: APPLICATION BLOCK (temporary) */
#define COS_LCS_TERMINATED  0x0Cu /* APPLICATION BLOCK (permanent), CARD BLOCK */

/* GlobalPlatform application life cycle (GP card spec 2.3, 11.1.1). */
#define COS_GP_INSTALLED  0x03u
#define COS_GP_SELECTABLE 0x07u
#define COS_GP_LOCKED     0x80u /* bit 8 added to the state */

typedef struct cos_format_params {
    uint16_t journal_size; /* bytes, 0: COS_JOURNAL_DEFAULT */
    uint8_t options;       /* COS_OPT_* of cos.h */
    const uint8_t *mf_name;
    uint8_t mf_name_len;
} cos_format_params;

/* Erases the whole NVM image and lays out an empty card: header, journal, and an MF
 * (FID 3F00) in life cycle CREATION. The card must be attached (powered or not); it
 * is left powered off. P may be NULL for defaults. Returns 0, COS_ERR_PARAM (image
 * too small for the journal), or a HAL error. */
int cos_format(cos_card *card, const cos_format_params *p);

/* The MF of a powered card (0 if not formatted). */
cos_oid cos_perso_mf(const cos_card *card);

typedef struct cos_df_spec {
    uint16_t fid;        /* 0: no file identifier (select by name only) */
    const uint8_t *name; /* DF name / AID, 0..16 bytes */
    uint8_t namelen;
    const uint8_t *fci; /* proprietary FCI: the content of tag A5 (e.g. PBOC 9F08, BF0C) */
    uint8_t fcilen;
} cos_df_spec;

/* Creates a DF under PARENT. FIDs must be unique among a DF's children. */
int cos_perso_df(cos_card *card, cos_oid parent, const cos_df_spec *spec, cos_oid *out);
/* Creates an EF under the DF PARENT. */
int cos_perso_ef(cos_card *card, cos_oid parent, const cos_ef_spec *spec, cos_oid *out);
/* Creates PIN REF (1..31) in DF: value PIN of LEN bytes (room for MAXLEN, >= LEN, for
 * later changes), TRIES allowed, PUK_REF the PIN whose value is the resetting code
 * for RESET RETRY COUNTER (0: none). */
int cos_perso_pin(cos_card *card, cos_oid df, uint8_t ref, const uint8_t *pin, uint8_t len,
                  uint8_t maxlen, uint8_t tries, uint8_t puk_ref, cos_oid *out);
/* Creates a key object in DF (any DF, an ADF's keys belong to its instance). */
int cos_perso_key(cos_card *card, cos_oid df, const cos_key_spec *spec, cos_oid *out);
/* Sets the card's life cycle to operational (COS_LCS_ACTIVE). */
int cos_perso_finish(cos_card *card);

/* ---- applet instances (also for the GlobalPlatform card manager) --------------------- */

typedef struct cos_inst_spec {
    cos_df_spec df;        /* df.name is the instance AID (required, 5..16 bytes) */
    uint16_t class_id;     /* a class of the card's ROM table */
    const uint8_t *params; /* install parameters for the class's install() */
    uint16_t plen;
    cos_oid sd;      /* owning security domain instance, 0: the card issuer */
    uint8_t priv[3]; /* GlobalPlatform privileges */
    uint8_t gp_lcs;  /* 0: COS_GP_SELECTABLE */
} cos_inst_spec;

/* Creates an instance of a ROM class as an ADF under PARENT (normally the MF) and
 * runs the class's install() in the same transaction. Returns 0; the status word the
 * install() refused with (nothing is created); COS_ERR_NOT_FOUND (unknown class),
 * COS_ERR_EXISTS (AID or FID taken), COS_ERR_NO_SPACE, or another fault (nothing is
 * created). The card must be powered on. */
int cos_inst_create(cos_card *card, cos_oid parent, const cos_inst_spec *spec, cos_oid *out);

/* Deletes the instance INST with every object it owns (atomically). It must not be
 * selected on any channel (COS_ERR_TXN_STATE otherwise... use cos_power_off first). */
int cos_inst_delete(cos_card *card, cos_oid inst);

typedef struct cos_app_info {
    cos_oid oid;
    uint16_t class_id;
    uint8_t gp_lcs;
    uint8_t lcs; /* ISO LCS of the ADF (APPLICATION BLOCK) */
    uint8_t priv[3];
    cos_oid sd;
    uint8_t aid_len;
    uint8_t aid[COS_AID_MAX];
} cos_app_info;

/* Finds the instance with exactly AID. Returns 0 or COS_ERR_NOT_FOUND. */
int cos_app_find(cos_card *card, const uint8_t *aid, size_t len, cos_app_info *out);
/* Iterates instances: start with *oid = 0; returns 0 with the next one, or
 * COS_ERR_NOT_FOUND at the end. */
int cos_app_next(cos_card *card, cos_oid *oid, cos_app_info *out);
/* Sets the GlobalPlatform life cycle byte (SET STATUS, INSTALL for make selectable).
 * An instance whose state is not SELECTABLE (or is LOCKED) cannot be selected. */
int cos_app_set_gp_lcs(cos_card *card, cos_oid inst, uint8_t gp_lcs);

/* ---- the default test card ------------------------------------------------------------- */

/* Formats and personalizes the card obol's tests use (documented in perso_default.c):
 * an MF with one EF of each type and with each access condition, PINs, keys (test
 * keys), a plain DF, and two instances of applet class TEST_CLASS (AIDs
 * F06F626F6C4101 and F06F626F6C4201) when TEST_CLASS is not 0. Leaves the card
 * powered off and operational. */
int cos_perso_default(cos_card *card, uint16_t test_class, uint8_t options);

#endif /* OBOL_COS_PERSO_H */
