/*
 * obol host platform: issuance — issuers, card serials, personalization data, and the
 * card registry with its life cycle.
 *
 * host_issue_card() allocates (or takes) an application serial, registers the card
 * as ISSUED and returns what a card profile needs to personalize it: the serial, the
 * issuer code, card type, balances and limits, and the card's keys dispersed by the
 * HSM (never a master key). The caller sends the keys to the card through a
 * GlobalPlatform secure channel (or, in the simulator, hands them to the card
 * profile loader) and wipes them.
 *
 * Life cycle (docs/host-platform.md):
 *
 *     ISSUED --activate--> ACTIVE --lost--> LOST ----replace--> REPLACED
 *        \                   |  ^                                 ^
 *         \                block unblock                          |
 *          \                 v  |                                 |
 *           `-lost/block--> BLOCKED ------------replace-----------'
 *
 * LOST and BLOCKED put the card on the blacklist; unblocking takes it off; REPLACED
 * keeps it there for good (reason REPLACED). Every change is a card_event row.
 */
#ifndef OBOL_HOST_ISSUE_H
#define OBOL_HOST_ISSUE_H

#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_hsm.h"

enum {
    HOST_CARD_ISSUED = 1,
    HOST_CARD_ACTIVE = 2,
    HOST_CARD_LOST = 3,
    HOST_CARD_BLOCKED = 4,
    HOST_CARD_REPLACED = 5
};

/* Registers issuer CODE (the 8-byte issuer/city code as a number) named NAME. Serials
 * it allocates are SERIAL_PREFIX in the high 32 bits and a counter from 1 in the low
 * 32 bits. HOST_ERR_DUPLICATE if it exists. */
int host_issuer_add(host_db *db, uint64_t code, const char *name, uint32_t serial_prefix);

/* What to issue. */
typedef struct host_issue_req {
    uint64_t issuer;
    uint32_t industry;        /* HOST_INDUSTRY_* */
    uint64_t serial;          /* 0: the issuer's next serial */
    uint8_t card_type;        /* 0 adult, 1 student, 2 senior ... (the fare tables' numbers) */
    uint8_t key_version;      /* purse master key version */
    uint8_t gp_kvn;           /* ISD key version for OTA (HOST_KEY_GP), 0: no GP keys */
    uint32_t initial_balance; /* fen */
    uint32_t max_balance;     /* fen, 0: 1,000,000 fen */
    uint32_t deposit;         /* fen */
    uint32_t expiry;          /* YYYYMMDD */
} host_issue_req;

/* Personalization data for one card. Holds dispersed keys: the caller owns it and
 * wipes it (host_wipe(p, sizeof *p)) when the card is personalized. */
typedef struct host_perso {
    uint64_t serial;
    uint64_t issuer;
    uint32_t industry;
    uint8_t card_type;
    uint32_t initial_balance;
    uint32_t max_balance;
    uint32_t deposit;
    uint32_t expiry;
    host_card_keys keys; /* DPK, DLK, DTK for keys.version */
    int has_gp;
    host_gp_keys gp; /* ISD keys when has_gp */
} host_perso;

/* Issues a card: one transaction that allocates the serial, registers the card as
 * ISSUED and derives its keys (nothing is registered when the HSM cannot derive
 * them). OUT receives the personalization data. HOST_ERR_NOTFOUND (issuer or master
 * key missing), HOST_ERR_DUPLICATE (serial taken), HOST_ERR_ARG. */
int host_issue_card(host_db *db, host_hsm *hsm, const host_issue_req *req, host_perso *out);

/* Personalization data again for an issued card (re-personalization, tests). */
int host_issue_perso(host_db *db, host_hsm *hsm, uint64_t serial, host_perso *out);

typedef struct host_card {
    uint64_t serial;
    uint64_t issuer;
    uint32_t industry;
    uint8_t card_type;
    uint8_t key_version;
    int state; /* HOST_CARD_* */
    uint32_t initial_balance;
    uint32_t max_balance;
    uint32_t deposit;
    uint32_t expiry;
    int64_t issued_at;
    int64_t state_at;
    uint64_t replaced_by; /* 0 unless REPLACED */
} host_card;

/* Reads card SERIAL. HOST_ERR_NOTFOUND. */
int host_card_get(host_db *db, uint64_t serial, host_card *out);

/* Moves card SERIAL to STATE (HOST_CARD_ACTIVE, LOST or BLOCKED) for REASON
 * (HOST_BLR_* of host_blacklist.h, recorded in the event and the blacklist).
 * Updates the blacklist in the same transaction. HOST_ERR_STATE for a transition
 * the life cycle does not allow (use host_card_replace() for REPLACED). */
int host_card_set_state(host_db *db, uint64_t serial, int state, uint8_t reason);

/* Replaces card OLD (ACTIVE, LOST or BLOCKED) by a new card issued like it (issuer,
 * industry, type, key versions, limits, expiry) with initial balance BALANCE (the
 * caller's decision, normally the reconciliation's implied balance,
 * host_recon_card_get()). NEW_SERIAL 0 allocates one. OLD becomes REPLACED and stays
 * blacklisted. OUT receives the new card's personalization data. */
int host_card_replace(host_db *db, host_hsm *hsm, uint64_t old, uint64_t new_serial,
                      uint32_t balance, host_perso *out);

/* "ISSUED", "ACTIVE", ... or "?". */
const char *host_card_state_name(int state);

#endif /* OBOL_HOST_ISSUE_H */
