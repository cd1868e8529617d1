/*
 * obol card OS: the card instance (all RAM state of one card).
 *
 * The struct is public only so that callers can allocate cards themselves (on the
 * stack, in an array, statically on the chip): the card OS has no heap. Its fields
 * are private to cardsim/src; use the functions of cos.h. A cos_card is what the
 * chip's RAM holds, so it is small (about 1.2 KB with the default cos_config.h) and
 * volatile: everything in it except the cost counters is lost at power off, and a
 * simulator holding a million cards may keep only their NVM images and attach a
 * cos_card to an image while that card is in a reader's field.
 */
#ifndef OBOL_COS_CARD_H
#define OBOL_COS_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "cos_config.h"
#include "cos_hal.h"

typedef struct cos_applet_class cos_applet_class;

/* Object id: the NVM offset of an object divided by COS_NVM_ALIGN; 0 is "none". */
typedef uint16_t cos_oid;

/* The last internal fault, for diagnostics (cos_last_fault()). */
typedef struct cos_fault {
    int err;     /* COS_ERR_* code, 0 when none since attach */
    uint8_t cla; /* header of the command during which it happened */
    uint8_t ins;
    uint16_t count; /* faults since attach (saturating) */
} cos_fault;

/* Per logical channel state (ISO/IEC 7816-4:2020, 5.4 and 11.2). */
typedef struct cos__chan {
    uint8_t open;
    uint8_t rec;                 /* current record number, 0 none */
    cos_oid df;                  /* current DF */
    cos_oid ef;                  /* current EF, 0 none */
    cos_oid app;                 /* selected applet instance (its ADF), 0 none */
    cos_oid sec[COS_SEC_SLOTS];  /* verified PIN / authenticated key objects */
    uint8_t ram[COS_APPLET_RAM]; /* transient RAM of the selected applet */
} cos__chan;

/* State of the NVM transaction in progress (see cardsim/src/nvm.c). */
typedef struct cos__txn {
    uint8_t depth; /* 0 none; 1 open (explicit or implicit); >1 nested implicit */
    uint8_t count; /* journal records written */
    uint8_t freed; /* an object was freed: no fresh-range shortcut any more */
    uint8_t nfresh;
    uint16_t fill; /* journal bytes used after the count byte */
    struct {
        uint32_t off, len;
    } fresh[COS_TXN_FRESH]; /* allocated in this transaction: no undo needed */
} cos__txn;

typedef struct cos_card {
    /* attach-time configuration */
    const cos_hal *hal;
    void *port;
    const cos_applet_class *const *classes;
    uint16_t nclasses;
    uint16_t nvm_page;
    uint32_t nvm_size;
    /* NVM geometry, read from the image's header at power on */
    uint32_t heap_off;
    uint16_t jnl_off;
    uint16_t jnl_size;
    cos_oid mf;
    uint8_t card_state; /* ISO LCS of the card (NVM header copy) */
    uint8_t options;    /* COS_OPT_* (NVM header copy) */
    /* power and transport */
    uint8_t power; /* 0 off, 1 on, 2 lost (mute until the next power on) */
    uint8_t iface; /* COS_IF_CONTACT or COS_IF_CONTACTLESS */
    uint8_t t0;    /* T=0 response chaining active */
    uint8_t share_depth;
    uint64_t now; /* time passed in with the current call */
    cos_cost cost;
    cos_fault fault;
    cos__txn txn;
    /* GET CHALLENGE: valid for the next command on channel chal_ch only */
    uint8_t chal[16];
    uint8_t chal_len;
    uint8_t chal_ch;
    uint8_t chal_age; /* 2 set by this command, 1 usable by this command, 0 none */
    /* response kept for GET RESPONSE */
    uint16_t pend_off;
    uint16_t pend_len;
    uint16_t pend_sw;
    cos__chan ch[COS_CHANNELS];
    uint8_t resp[COS_RESP_MAX];
} cos_card;

#endif /* OBOL_COS_CARD_H */
