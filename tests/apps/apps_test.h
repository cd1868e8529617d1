/*
 * obol industry application tests: shared helpers (apps_test.c).
 *
 * Cards on the host port personalized from profiles, APDU exchange, and the terminal
 * side of the flows through APDUs only: a purchase or composite purchase with a PSAM
 * card, a load with the host's keys, EXTERNAL AUTHENTICATE in an SSC role. Every MAC and
 * TAC the card computes is checked with hostsim's OpenSSL code (host_crypto.h), an
 * independent implementation. The flow functions do not assert (the tearing harness runs
 * them on cards that lose power): they return 0 when done, the stage that failed (> 0,
 * with its status word), or a negative card OS error.
 */
#ifndef OBOL_TESTS_APPS_TEST_H
#define OBOL_TESTS_APPS_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_host.h"

/* The TEST master keys of profiles/test-keys-apps.profile and test-keys.profile (TEST
 * KEYS, published). */
extern const uint8_t at_transit_mpk[16], at_transit_mlk[16], at_transit_mtk[16];
extern const uint8_t at_ssc_hosp_mpk[16], at_ssc_pharm_mpk[16], at_ssc_mlk[16], at_ssc_mtk[16];
extern const uint8_t at_ssc_hosp_role[16], at_ssc_pharm_role[16];
extern const uint8_t at_pboc_mpk01[16], at_pboc_mlk01[16], at_pboc_mtk01[16];

/* Application AIDs of the product profiles. */
extern const uint8_t at_transit_aid[8], at_ssc_aid[9], at_pboc_aid[9], at_psam_aid[10];
extern const uint8_t at_isd_aid[8];

/* A card on the host port. */
typedef struct at_card {
    cos_host host;
    cos_card card;
} at_card;

/* Attaches a card with an NVM image of NVM bytes (0: 32 KiB) and the product ROM table,
 * personalizes it from PROFILE (a name in profiles/ or a path; at_path() for the test
 * profiles of tests/apps) and powers it on (contactless). Asserts on failure. */
void at_open(at_card *t, const char *profile, uint32_t nvm);
void at_close(at_card *t);
/* Powers the card off and on again. */
void at_reset(at_card *t);
/* The path of a profile in tests/apps (a static buffer, valid until the next call). */
const char *at_path(const char *name);

/* ---- APDUs ------------------------------------------------------------------------------ */

/* Sends CMD to C; returns the status word, or a negative card OS error (no response).
 * RSP (may be NULL) receives the data (up to 600 bytes), *RLEN its length. */
int at_xtx(cos_card *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen);
/* The same with the command in hex (spaces and '_' allowed). */
int at_xtxh(cos_card *c, const char *hex, uint8_t *rsp, size_t *rlen);
/* Asserting forms for ordinary tests: the status word. */
uint16_t at_tx(at_card *t, const char *hex, uint8_t *rsp, size_t *rlen);
/* printf-style hex command. */
uint16_t at_txf(at_card *t, uint8_t *rsp, size_t *rlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
uint16_t at_select(at_card *t, const uint8_t *aid, size_t len);
int at_xselect(cos_card *c, const uint8_t *aid, size_t len);

size_t at_unhex(const char *hex, uint8_t *out, size_t cap);
uint32_t at_be32(const uint8_t *p);
void at_put32(uint8_t *p, uint32_t v);

/* The card serial and issuer code as a terminal reads them: EF 0015 (SFI 0x15) of the
 * selected application, issuer at 0, serial at 12. Returns the status word. */
int at_read_ids(cos_card *c, uint8_t serial[8], uint8_t issuer[8]);

/* ---- purchase and composite purchase through a PSAM ------------------------------------ */

typedef struct at_purchase {
    /* in */
    uint8_t kid; /* purchase key index */
    uint32_t amount;
    int capp;                       /* composite purchase (type 09) */
    const uint8_t *rec;             /* record for UPDATE CAPP DATA CACHE (capp only), or NULL */
    uint8_t reclen, rec_p1, rec_p2; /* P1 and P2 of 80 DC */
    uint8_t date[4], time[3];
    /* the host's purchase master key for the check (NULL: no check); two_level: Div(Div(
     * mpk, issuer), serial), else Div(mpk, serial); mtk: the TAC master (Div by serial) */
    const uint8_t *mpk, *mtk;
    int two_level;
    /* out */
    int stage;        /* 0 done; 1 INITIALIZE, 2 INIT SAM, 3 CAPP cache, 4 DEBIT, 5 CREDIT SAM */
    uint16_t sw;      /* status word of the failing stage */
    int verified;     /* the host checked MAC1, MAC2 and TAC and all matched */
    uint32_t balance; /* from INITIALIZE */
    uint16_t ctr;
    uint8_t kver, rnd[4];
    uint8_t serial[8], issuer[8], tid[6];
    uint32_t ttn;
    uint8_t mac1[4], tac[4], mac2[4];
} at_purchase;

/* Runs one purchase on CARD (the application selected, EF 0015 readable) with PSAM
 * (powered; the PSAM application is selected here). Returns 0, the failing stage, or a
 * negative error. */
int at_purchase_run(cos_card *card, cos_card *psam, at_purchase *p);

/* One EP load: INITIALIZE FOR LOAD, the host checks MAC1 and computes MAC2 from MLK,
 * CREDIT FOR LOAD, the host checks the TAC with MTK (both dispersed by the serial).
 * Returns 0, 1 INITIALIZE refused, 2 MAC1 wrong, 3 CREDIT refused, 4 TAC wrong, or a
 * negative error. PROOF_OUT (may be NULL) receives MAC2 || TAC, as GET TRANSACTION
 * PROVE answers them. */
int at_load_run(cos_card *card, const uint8_t mlk[16], const uint8_t mtk[16], uint32_t amount,
                uint8_t proof_out[8]);

/* GET BALANCE of the EP; asserts 9000. */
uint32_t at_balance(at_card *t);

/* ---- SSC roles -------------------------------------------------------------------------- */

/* EXTERNAL AUTHENTICATE in role KID with the role key Div(MASTER, card serial): GET
 * CHALLENGE, then 00 82 00 KID 04 MAC on channel CHAN (CLA 0x | chan). WRONG corrupts
 * the MAC. Returns the status word of EXTERNAL AUTHENTICATE (or of GET CHALLENGE when it
 * fails), or a negative error. The SSC application must be selected on CHAN. */
int at_role_auth(cos_card *c, uint8_t chan, uint8_t kid, const uint8_t master[16], int wrong);

#endif /* OBOL_TESTS_APPS_TEST_H */
