/*
 * obol card OS: the public API for the outside world.
 *
 * What a terminal kernel, the simulator, the CLI or the Python binding needs: attach
 * a card (RAM) to an NVM image through a HAL port, power it on (cold or warm reset,
 * contact or contactless; returns the ATR or ATS), transmit one APDU at a time,
 * power it off, and read its cost counters. Building a card's content (format,
 * personalization) is in cos_perso.h; the applet interface in cos_applet.h.
 *
 * Threading: a card is used by one thread at a time; different cards are independent
 * (no globals anywhere in the card OS).
 */
#ifndef OBOL_COS_H
#define OBOL_COS_H

#include <stddef.h>
#include <stdint.h>

#include "cos_apdu.h"
#include "cos_card.h"
#include "cos_config.h"
#include "cos_err.h"
#include "cos_hal.h"

/* Everything cos_card_attach() needs. Owned by the caller; read during the call. */
typedef struct cos_card_config {
    const cos_hal *hal; /* the port's ops, must outlive the card */
    void *port;         /* the port's context for this card (its NVM image) */
    uint32_t nvm_size;  /* bytes of the NVM image, at most 65535 * COS_NVM_ALIGN */
    uint16_t nvm_page;  /* NVM page size in bytes for the cost counters (e.g. 64) */
    /* The ROM table of applet classes this card's code provides (cos_applet.h);
     * must outlive the card. May be NULL when NCLASSES is 0. */
    const cos_applet_class *const *classes;
    uint16_t nclasses;
} cos_card_config;

/* Interfaces and reset kinds for cos_power_on(). */
#define COS_IF_CONTACT     0x00u /* ISO/IEC 7816-3: returns the ATR */
#define COS_IF_CONTACTLESS 0x01u /* ISO/IEC 14443-4: returns the ATS */
#define COS_RESET_WARM     0x10u /* warm reset (only a contact card can tell) */

/* Card options kept in the NVM header (cos_format()). */
#define COS_OPT_T0 0x01u /* contact interface speaks T=0: responses via 61xx/GET RESPONSE */

/* Initialises CARD (caller-owned memory, any previous content ignored) to use the NVM
 * image behind CFG's port. Touches no NVM; the card is powered off. Returns 0 or
 * COS_ERR_PARAM (missing ops, size out of range). */
int cos_card_attach(cos_card *card, const cos_card_config *cfg);

/* Powers the card on (cold reset, or warm with COS_RESET_WARM) at time NOW (any unit
 * the caller chooses; the simulator uses microseconds of virtual time). Runs NVM
 * recovery first: a transaction torn by a power loss is rolled back. Writes the
 * ATR (contact) or ATS (contactless) into ATR (CAP >= 32 is always enough) and its
 * length into *ATRLEN. All RAM state is reset: channel 0 open at the MF, others
 * closed, security status cleared. Returns 0, COS_ERR_NOT_FORMATTED (blank image;
 * the card can still be formatted), COS_ERR_CORRUPT, COS_ERR_POWER_LOST (the port
 * cut power during recovery; try again), COS_ERR_BUFFER, or a HAL error. */
int cos_power_on(cos_card *card, unsigned flags, uint64_t now, uint8_t *atr, size_t cap,
                 size_t *atrlen);

/* Sends one command APDU (CMD, LEN bytes, caller-owned, read during the call) at time
 * NOW and writes the response (data || SW1 SW2) into RSP of CAP bytes (CAP >= 2; a
 * response that does not fit is cut to its status word 6F00 and recorded as
 * COS_ERR_BUFFER), setting *RSPLEN. Protocol errors are status words; the return
 * value is 0 whenever a response was produced. Returns COS_ERR_NOT_POWERED before
 * cos_power_on(), COS_ERR_POWER_LOST when the port cut the power during this
 * command (no response; the card is mute until powered on again), COS_ERR_PARAM. */
int cos_transmit(cos_card *card, uint64_t now, const uint8_t *cmd, size_t len, uint8_t *rsp,
                 size_t cap, size_t *rsplen);

/* Orderly power off: applets selected on any channel get their power_off call, RAM
 * state is cleared. An open transaction is rolled back (as at a power loss). Safe to
 * call on a card that is off. */
void cos_power_off(cos_card *card);

/* 1 when the card is powered on and answering. */
int cos_is_powered(const cos_card *card);

/* The card's cost counters (cos_hal.h); valid while CARD is. */
const cos_cost *cos_cost_get(const cos_card *card);
void cos_cost_reset(cos_card *card);

/* The last internal fault (err 0 when none). */
cos_fault cos_last_fault(const cos_card *card);

/* SHA-256 over the NVM image's logical content: the header's card state and options
 * and every live object (its offset, header and body), skipping free space and the
 * journal, whose bytes are not observable. Two images with equal digests behave the
 * same. The card must be powered on (so recovery has run). Returns 0 or a HAL error. */
int cos_nvm_digest(cos_card *card, uint8_t out[32]);

#endif /* OBOL_COS_H */
