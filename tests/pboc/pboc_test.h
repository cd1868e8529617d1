/*
 * obol PBOC tests: shared helpers. Cards on the host port personalized from profiles,
 * APDU exchange with status words, and a terminal that runs purchases (card + PSAM)
 * and loads (card + host, with OpenSSL through obol_host) through APDUs only.
 */
#ifndef OBOL_TESTS_PBOC_TEST_H
#define OBOL_TESTS_PBOC_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_host.h"

/* The TEST master keys of profiles/test-keys.profile (TEST KEYS, published). */
extern const uint8_t pt_test_mpk01[16], pt_test_mpk02[16], pt_test_mlk01[16], pt_test_mtk01[16];

/* The purse AID of profiles/purse.profile and the PSAM AID of profiles/psam.profile. */
extern const uint8_t pt_purse_aid[9];
extern const uint8_t pt_psam_aid[10];

typedef struct pt_card {
    cos_host host;
    cos_card card;
    cos_hal hal;      /* the host port's ops, with a fixed RNG when asked */
    uint8_t fixed[4]; /* fixed random bytes (pt_fix_rng) */
} pt_card;

/* Attaches a card with an NVM image of SIZE bytes (0: 16 KiB) and the product ROM
 * table, personalizes it from PROFILE (with SERIAL as override, 0 none) and powers it
 * on. Asserts on failure. */
void pt_open(pt_card *t, const char *profile, uint64_t serial, uint32_t size);
void pt_close(pt_card *t);
/* From now on the card's RNG answers RND repeated (for known-answer tests). */
void pt_fix_rng(pt_card *t, const uint8_t rnd[4]);
/* Powers the card off and on again (cold reset). */
void pt_reset(pt_card *t);

/* Sends CMD; returns the status word, writes the response data into RSP (cap 512)
 * and its length into *RLEN (RSP, RLEN may be NULL). Asserts cos_transmit() == 0. */
uint16_t pt_tx(pt_card *t, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen);
/* The same with the command as a hex string (spaces allowed). */
uint16_t pt_txh(pt_card *t, const char *hex, uint8_t *rsp, size_t *rlen);
/* SELECT by AID; returns the status word. */
uint16_t pt_select(pt_card *t, const uint8_t *aid, size_t len);

size_t pt_unhex(const char *hex, uint8_t *out, size_t cap);
void pt_expect_hex(const char *what, const uint8_t *got, size_t len, const char *want);

/* The card's serial and issuer code as the terminal reads them (EF 0015). */
void pt_read_ids(pt_card *card, uint8_t serial[8], uint8_t issuer[8]);

/* One purchase by a terminal through APDUs: SELECT the purse, read EF 0015, INITIALIZE
 * FOR (CAPP) PURCHASE, INIT SAM FOR PURCHASE, [UPDATE CAPP DATA CACHE], DEBIT FOR
 * PURCHASE, CREDIT SAM FOR PURCHASE. Stops at the first status word other than 9000
 * and says where. */
typedef struct pt_purchase {
    /* in */
    uint8_t purse; /* 1 ED, 2 EP */
    uint8_t kid;
    uint32_t amount;
    int capp;                /* composite purchase (type 09) */
    const uint8_t *capp_rec; /* record for UPDATE CAPP DATA CACHE, or NULL */
    uint8_t capp_len, capp_sfi, capp_recno;
    uint8_t date[4], time[3];
    int no_select; /* the purse is already selected (and the IDs known) */
    /* out */
    int stage;        /* 0 done; 1 INITIALIZE, 2 INIT SAM, 3 CAPP cache, 4 DEBIT, 5 CREDIT SAM */
    uint16_t sw;      /* status word of the failing stage, 9000 when done */
    uint32_t balance; /* from INITIALIZE */
    uint16_t ctr;
    uint8_t kver, rnd[4];
    uint8_t serial[8], issuer[8], tid[6];
    uint32_t ttn;
    uint8_t mac1[4], tac[4], mac2[4];
} pt_purchase;

void pt_purchase_run(pt_card *card, pt_card *psam, pt_purchase *p);

/* One load: INITIALIZE FOR LOAD, the host checks MAC1 and computes MAC2 with DLK and
 * checks the TAC with DTK (both dispersed from the TEST masters by the card serial),
 * CREDIT FOR LOAD. Stage 1 INITIALIZE, 2 MAC1 wrong (sw 0), 3 CREDIT, 4 TAC wrong. */
typedef struct pt_load {
    uint8_t purse, kid;
    uint32_t amount;
    uint8_t tid[6], date[4], time[3];
    int bad_mac2; /* send a wrong MAC2 */
    int stage;
    uint16_t sw;
    uint32_t old_balance;
    uint16_t ctr;
    uint8_t tac[4], mac2[4];
} pt_load;

void pt_load_run(pt_card *card, pt_load *l);

/* GET BALANCE of PURSE (the purse selected). Asserts 9000. */
uint32_t pt_balance(pt_card *card, uint8_t purse);

#endif /* OBOL_TESTS_PBOC_TEST_H */
