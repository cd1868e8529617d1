/*
 * obol terminal kernel: the in-process reader backend for simulated cards.
 *
 * A term_simreader is a reader whose field holds a cos_card of the card OS (the
 * simulator's card, the PSAM in its slot): power on/off and every APDU go through
 * cos_power_on(), cos_transmit() and cos_power_off(), never into applet code. The
 * card is the caller's; inserting one puts it in the field, removing takes it out.
 *
 * Timing: an optional timing model says what each operation takes in ns, from the
 * bytes exchanged and the work the card did (the cos_cost counters' difference); the
 * simulator supplies one built from its timing profile (air interface, PSAM baud rate,
 * chip constants). Without one, time does not advance.
 *
 * Fault injection: term_simreader_tear() takes the card out of the field at a chosen
 * exchange, before the command reaches it or after the card processed it (its answer
 * is lost), the way a passenger pulls a card away; a power loss inside the card (the
 * host port's cos_host_cut_after()) shows up as TERM_ERR_CARD_LOST as well.
 */
#ifndef OBOL_TERM_SIMREADER_H
#define OBOL_TERM_SIMREADER_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/term_reader.h"

/* What a timing model is asked about. */
enum { TERM_SIM_POWER_ON = 1, TERM_SIM_APDU = 2 };

/* Returns the ns operation OP took: CMDLEN bytes sent, RSPLEN received (the ATR for
 * a power on), WORK the card's cost counters for it. */
typedef int64_t (*term_sim_timing_fn)(void *ctx, const term_reader *r, int op, size_t cmdlen,
                                      size_t rsplen, const cos_cost *work);

/* Tear modes. */
enum {
    TERM_TEAR_BEFORE = 1, /* the command never reaches the card */
    TERM_TEAR_AFTER = 2   /* the card processes the command; its answer is lost */
};

typedef struct term_simreader {
    term_reader base; /* first: pass &sr->base to the kernel */
    cos_card *card;   /* in the field, or NULL; not owned */
    term_sim_timing_fn timing;
    void *timing_ctx;
    uint32_t tear_after; /* exchanges left before the tear */
    uint8_t tear_mode;   /* 0: none armed */
    uint8_t tear_ins;    /* tear at the first command with this INS (0: by count) */
    uint8_t powered;
} term_simreader;

/* Sets S up as an empty reader called NAME with interface IFACE (TERM_IF_*). */
void term_simreader_init(term_simreader *s, const char *name, unsigned iface);

/* Puts CARD (attached with cos_card_attach(), caller-owned, must outlive its stay in
 * the field) in the field, replacing any card there; NULL empties the field. The card
 * is powered off when it leaves. */
void term_simreader_insert(term_simreader *s, cos_card *card);
void term_simreader_remove(term_simreader *s);

/* Sets the timing model (FN NULL: time does not advance). */
void term_simreader_set_timing(term_simreader *s, term_sim_timing_fn fn, void *ctx);

/* Arms a tear: AFTER more exchanges go normally, then at the next one the card
 * leaves the field as MODE says (TERM_TEAR_BEFORE or _AFTER) and the exchange fails
 * with TERM_ERR_CARD_LOST. MODE 0 disarms. */
void term_simreader_tear(term_simreader *s, uint32_t after, int mode);
/* The same at the first command whose INS byte is INS (e.g. 0x54, DEBIT FOR
 * PURCHASE). */
void term_simreader_tear_on(term_simreader *s, uint8_t ins, int mode);

/* The directory of the terminal kernel's card profiles (termsim/profiles: transit cards
 * with a card type and an application maintenance key, PSAMs with a terminal id of
 * their own): $OBOL_TERM_PROFILE_DIR when set, else the source tree's. Pass
 * "DIR/NAME.profile" to cos_profile_apply(). Static string. */
const char *term_sim_profile_dir(void);

#endif /* OBOL_TERM_SIMREADER_H */
