/*
 * obol termsim tests: shared helpers. Simulated cards personalized from profiles
 * (termsim/profiles), terminals with a PSAM in a simulated slot, a fare table, the
 * TEST keys for the host side (OpenSSL through obol_host), and a small in-test host
 * ("fake host") for the protocol when a test wants to control every reply.
 */
#ifndef OBOL_TESTS_TT_H
#define OBOL_TESTS_TT_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/host_fare.h"
#include "obol/host_proto.h"
#include "obol/term.h"
#include "obol/term_simreader.h"

/* TEST KEYS: profiles/test-keys.profile and termsim/profiles/term-keys.profile. */
extern const uint8_t tt_mlk01[16], tt_mtk01[16], tt_mpk01[16], tt_mmk01[16];

/* 2026-11-22 08:30:00 Beijing time (UTC+8) in ns since 1970, and minutes. */
#define TT_T0      ((int64_t)1795307400 * 1000000000)
#define TT_MIN(m)  ((int64_t)(m)*60 * 1000000000)
#define TT_BEIJING 480

typedef struct tt_card {
    cos_host host;
    cos_card card;
    uint64_t serial;
} tt_card;

/* Attaches a card with an NVM image (in memory, or the file IMAGE when not NULL) and
 * personalizes it from termsim profile NAME (e.g. "transit-card"; a name with a '/'
 * is a path, TT_DIR "/named-df.profile" for this folder's) with SERIAL
 * (0: the profile's); with IMAGE an existing file is only opened, not personalized.
 * Asserts on failure. */
void tt_card_open(tt_card *c, const char *name, uint64_t serial, const char *image);
void tt_card_close(tt_card *c);

/* Direct card work (not through a terminal) for set-up and checks, with the host's
 * TEST keys: SELECT the purse, load AMOUNT into the EP, read the EP balance. */
void tt_card_fund(tt_card *c, uint32_t amount);
uint32_t tt_card_balance(tt_card *c);

/* A terminal: its PSAM (a term-psam card with serial PSAM_SERIAL, terminal id = its
 * low 6 bytes), the two readers, and the kernel. CFG's readers and store are set
 * here; the rest is the caller's (kind, station, callbacks...). */
typedef struct tt_term {
    tt_card psam;
    term_simreader card_rd, psam_rd;
    term_config cfg;
    term *t;
} tt_term;

void tt_term_open(tt_term *x, const term_config *cfg, uint64_t psam_serial, term_store *store);
/* The same with the PSAM's NVM image in the file PSAM_IMAGE (personalized if new). */
void tt_term_open_img(tt_term *x, const term_config *cfg, uint64_t psam_serial,
                      const char *psam_image, term_store *store);
void tt_term_close(tt_term *x);
/* Closes the kernel only (a crash) and opens it again on the same PSAM and store. */
void tt_term_restart(tt_term *x);

/* The test fare tables: metro operator 1 (zones), bus operator 2 (flat fare). */
enum { TT_METRO = 1, TT_BUS = 2 };
void tt_fare_metro(host_fare_table *ft);
void tt_fare_bus(host_fare_table *ft);
/* Installs FT into the terminal as a download would. */
void tt_install_fare(term *t, const host_fare_table *ft, uint32_t version);

/* The block MAC of the security module (term_block_mac_fn) with TEST-MMK-01. */
int tt_block_mac(void *ctx, const uint8_t serial[8], const uint8_t issuer[8],
                 const uint8_t *challenge, size_t chlen, const uint8_t *data, size_t len,
                 uint8_t mac[4]);

/* PIN entry answering "123456" (term_pin_fn); CTX NULL. */
int tt_pin_ok(void *ctx, uint64_t serial, uint8_t *pin, size_t cap, size_t *len);

/* Verifies a completed record's TAC with OpenSSL and the TEST TAC key. */
void tt_expect_tac(const host_txn *r);

/* ---- the fake host ---------------------------------------------------------------- */

typedef struct tt_host {
    /* what it serves */
    uint8_t fare[8192];
    size_t fare_len;
    uint32_t fare_version;
    uint8_t params[256];
    size_t params_len;
    uint32_t params_version;
    host_bl_entry bl[64];
    size_t bl_n;
    uint32_t bl_version;
    /* what it received */
    uint32_t batches, repeats, records;
    uint32_t seen_seq[64];
    uint64_t seen_term[64];
    uint32_t seen_n;
    uint32_t loads;
    /* fault injection: the next N requests are lost, the next M replies are lost */
    int drop_requests, drop_replies;
    uint8_t *reply;
    size_t reply_len;
} tt_host;

void tt_host_init(tt_host *h);
void tt_host_free(tt_host *h);
/* term_host_fn */
int tt_host_link(void *ctx, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rsplen);

#endif /* OBOL_TESTS_TT_H */
