/*
 * obol host platform: the TSM — over-the-air campaigns to issued cards through
 * GlobalPlatform secure channels (SCP03, card keys from the HSM).
 *
 * A campaign is one card content operation (install and make selectable an
 * application from a load file already on the card, delete an application, lock or
 * unlock one) aimed at a set of cards. Targeting builds each card's script (plain
 * APDUs from host_gp's builders) and a delivery record (PENDING). Delivery is driven
 * by the caller — the simulator, or a terminal through the protocol's OTA messages —
 * one command at a time:
 *
 *   host_tsm_begin(db, hsm, serial, NULL, &s)   NOTFOUND: nothing pending for the card
 *   while (host_tsm_next(s, apdu, sizeof apdu, &n) == HOST_TSM_SEND) {
 *       transmit apdu, get the response (or nothing: the card left the field)
 *       host_tsm_result(s, rsp, rsp_len)       (rsp NULL: response lost)
 *   }
 *   host_tsm_end(s);
 *
 * Each session selects the ISD, opens SCP03, and for each pending delivery first asks
 * the card (GET STATUS for the application) whether the campaign's result is already
 * there. Only when it is not is the script sent; the delivery is marked SENDING (and
 * its attempt counted) in the database before its first command leaves. So a card
 * that applied a script whose acknowledgement was lost is recognised in the next
 * session and marked APPLIED (how = HOST_TSM_BY_STATUS) without sending it again:
 * the script is applied exactly once. A card error moves the delivery back to
 * PENDING (or FAILED after the campaign's maximum attempts); a lost response ends
 * the session with the delivery left SENDING, to be checked next time.
 */
#ifndef OBOL_HOST_TSM_H
#define OBOL_HOST_TSM_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_hsm.h"

enum { HOST_TSM_INSTALL = 1, HOST_TSM_DELETE = 2, HOST_TSM_LOCK = 3, HOST_TSM_UNLOCK = 4 };

/* Delivery states. */
enum { HOST_TSM_PENDING = 0, HOST_TSM_SENDING = 1, HOST_TSM_APPLIED = 2, HOST_TSM_FAILED = 3 };

/* How an APPLIED delivery was confirmed. */
enum { HOST_TSM_BY_ACK = 1, HOST_TSM_BY_STATUS = 2 };

/* host_tsm_next() results. */
enum { HOST_TSM_SEND = 1 };

typedef struct host_tsm_campaign {
    const char *name;
    int op;                 /* HOST_TSM_* */
    const uint8_t *app_aid; /* the application acted on (5..16 bytes) */
    size_t app_aid_len;
    const uint8_t *elf_aid; /* INSTALL: executable load file and module */
    size_t elf_aid_len;
    const uint8_t *module_aid;
    size_t module_aid_len;
    const uint8_t *privileges; /* INSTALL: 1 or 3 bytes, NULL for 00 */
    size_t privileges_len;
    const uint8_t *params; /* INSTALL: install parameters (C9 ...), NULL for C9 00 */
    size_t params_len;
    uint8_t kvn;      /* ISD key version (HOST_KEY_GP master key version), 0x30..0x3F */
    uint8_t level;    /* secure channel level (HOST_GP_LEVEL_*), 0: C-MAC */
    int max_attempts; /* sends before FAILED, 0: 3 */
} host_tsm_campaign;

/* Creates campaign C (copied); its id in *ID. */
int host_tsm_campaign_create(host_db *db, const host_tsm_campaign *c, int64_t *id);

/* Targets N issued cards: builds each card's script and a PENDING delivery, in one
 * transaction. HOST_ERR_NOTFOUND (campaign or a card), HOST_ERR_DUPLICATE (a card
 * already targeted by this campaign). */
int host_tsm_target(host_db *db, int64_t campaign, const uint64_t *serials, size_t n);

typedef struct host_tsm_delivery {
    int64_t campaign;
    uint64_t serial;
    int state;       /* HOST_TSM_PENDING .. FAILED */
    int attempts;    /* times the script was sent */
    int sessions;    /* sessions that took this delivery up */
    int how;         /* HOST_TSM_BY_* once APPLIED */
    int last_reason; /* HOST_REASON_* of the last failure */
    uint16_t last_sw;
} host_tsm_delivery;

int host_tsm_delivery_get(host_db *db, int64_t campaign, uint64_t serial, host_tsm_delivery *out);

/* Deliveries of CAMPAIGN by state: COUNTS[HOST_TSM_PENDING..HOST_TSM_FAILED]. */
int host_tsm_campaign_counts(host_db *db, int64_t campaign, int64_t counts[4]);

typedef struct host_tsm_session host_tsm_session;

/* Starts a delivery session with card SERIAL. CHALLENGE is the 8-byte SCP host
 * challenge (NULL: derived deterministically from the card and the session count, so
 * simulations replay; a real deployment passes random bytes). Returns 0 with *OUT,
 * HOST_ERR_NOTFOUND when nothing is pending for the card, or a store/HSM error. The
 * caller ends the session with host_tsm_end(). */
int host_tsm_begin(host_db *db, host_hsm *hsm, uint64_t serial, const uint8_t challenge[8],
                   host_tsm_session **out);

/* The next command APDU to transmit: HOST_TSM_SEND with the APDU in OUT, or 0 when
 * the session is over (host_tsm_status() says how), or a negative HOST_ERR_*. Call
 * host_tsm_result() with the card's answer before asking for the next command. */
int host_tsm_next(host_tsm_session *s, uint8_t *out, size_t cap, size_t *out_len);

/* The card's response (data || SW1 SW2) to the last command, or RSP NULL when none
 * came back (the session ends; what was in flight is checked next session). Returns 0
 * or a negative HOST_ERR_* (store failure; the session is over). */
int host_tsm_result(host_tsm_session *s, const uint8_t *rsp, size_t rsp_len);

/* Session outcome: HOST_OTA_SEND (running), HOST_OTA_DONE (every delivery handled),
 * HOST_OTA_ABORTED (ended early, *REASON says why; may be NULL). */
int host_tsm_status(const host_tsm_session *s, int *reason);

/* Session id (unique per platform run) and the number of the next step. */
uint32_t host_tsm_session_id(const host_tsm_session *s);
uint16_t host_tsm_step_no(const host_tsm_session *s);
uint64_t host_tsm_serial(const host_tsm_session *s);

/* Ends S (wiping its keys). Deliveries stay as recorded. NULL is a no-op. */
void host_tsm_end(host_tsm_session *s);

#endif /* OBOL_HOST_TSM_H */
