/*
 * obol CLI: the card conformance suite behind `obol conform card` (cmd_conform.c runs
 * it and writes the reports; conform_cases.c holds the cases).
 *
 * A case checks one requirement (an id of reports/conformance.tsv) on the card under
 * test, through APDUs only (link.h), so the same case runs against the in-process
 * card, the Cortex-M3 image under QEMU and any card in a PC/SC reader. Purse cases use
 * a PSAM in a second link and the host's own cryptography (OpenSSL, hostsim) with the
 * TEST keys of profiles/test-keys.profile; GlobalPlatform cases open a secure channel
 * with GlobalPlatform's test key set.
 *
 * A case returns a verdict; on failure it leaves one line in CTX->detail saying which
 * step deviated, and every exchange it made is in CTX->log (obol trace lines), which
 * the report attaches.
 */
#ifndef OBOL_CLI_CONFORM_H
#define OBOL_CLI_CONFORM_H

#include <stddef.h>
#include <stdint.h>

#include "link.h"

typedef enum conform_verdict {
    CONFORM_PASS = 0,
    CONFORM_FAIL = 1,  /* the card answered against the requirement */
    CONFORM_ERROR = 2, /* the case could not run (a precondition failed, no answer) */
    CONFORM_SKIP = 3,  /* not applicable to this card (no PSAM, no card manager) */
} conform_verdict;

const char *conform_verdict_name(conform_verdict v);

/* What the purse cases remember of the last purchase. */
typedef struct conform_purchase {
    int done;
    uint32_t amount, balance_before;
    uint16_t counter; /* offline counter before the purchase */
    uint32_t ttn;
    uint8_t date[4], time[3], tid[6];
    uint8_t mac2[4], tac[4];
} conform_purchase;

typedef struct conform_ctx {
    link *card;
    link *psam; /* NULL: PSAM cases are skipped */
    /* TEST master keys from profiles/test-keys.profile */
    uint8_t mpk1[16], mpk2[16], mlk1[16], mtk1[16];
    int have_keys;
    /* learned from the card */
    uint8_t serial[8], issuer[8];
    int have_ids;
    uint8_t tid[6]; /* the PSAM's terminal id */
    conform_purchase last;
    /* output of the running case */
    char detail[1024];
    char *log;
    size_t loglen, logcap;
} conform_ctx;

typedef struct conform_case {
    const char *id;    /* requirement id */
    const char *title; /* one line, as the report shows it */
    conform_verdict (*run)(conform_ctx *c);
} conform_case;

extern const conform_case conform_cases[];
extern const size_t conform_ncases;

/* Loads the TEST master keys from DIR/test-keys.profile into C. Returns 0 or -1 with a
 * message in ERR. */
int conform_load_keys(conform_ctx *c, const char *dir, char *err, size_t errlen);

/* Powers the card (and the PSAM) on again, so every case starts from a fresh reset. */
int conform_reset(conform_ctx *c);

/* ---- internal: shared by the case files (conform_util.c) ---------------------------- */

#define CONFORM__RSP_MAX 1024

/* The purse and PSAM AIDs of profiles/, the ISD's, GlobalPlatform's TEST key and the
 * date, time and terminal id of the suite's transactions. */
extern const uint8_t conform__purse_aid[9], conform__psam_aid[10], conform__isd_aid[8];
extern const uint8_t conform__gp_test_key[16];
extern const uint8_t conform__tx_date[4], conform__tx_time[3], conform__load_tid[6];

/* Appends a trace line ("card" > HEX) to the case's log. */
void conform__log(conform_ctx *c, const char *who, const char *dir, const uint8_t *b, size_t n);
/* Records why the case ends with V (the first reason stays) and returns V. */
conform_verdict conform__said(conform_ctx *c, conform_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One exchange with L (the card or the PSAM): response data into DATA (may be NULL),
 * its length into *DLEN (may be NULL), the status word into *SW. Returns 0, or -1
 * when the card did not answer (the detail says why). */
int conform__xfer(conform_ctx *c, link *l, const uint8_t *cmd, size_t len, uint8_t *data,
                  size_t *dlen, uint16_t *sw);
/* conform__xfer() with the command in hex (blanks ignored). */
int conform__xh(conform_ctx *c, link *l, const char *hex, uint8_t *data, size_t *dlen,
                uint16_t *sw);
size_t conform__unhex(const char *hex, uint8_t *out, size_t cap);
/* SELECT by AID on the channel of CLA. */
int conform__select_aid(conform_ctx *c, link *l, uint8_t cla, const uint8_t *aid, size_t len,
                        uint8_t *fci, size_t *fcilen, uint16_t *sw);
void conform__put32(uint8_t *p, uint32_t v);
uint32_t conform__be32(const uint8_t *p);

/* A case step's status word must be WANT, else the case fails with WHAT (returns from
 * the calling case function). */
#define CONFORM__EXPECT_SW(c, got, want, what)                                                     \
    do {                                                                                           \
        if ((got) != (want))                                                                       \
            return conform__said((c), CONFORM_FAIL, "%s: SW %04X, expected %04X", (what), (got),   \
                                 (want));                                                          \
    } while (0)

/* Selects the purse and learns the card's serial and issuer (conform_pboc.c); SKIP when
 * the card has none. */
conform_verdict conform__purse_open(conform_ctx *c);

/* The purse and PSAM cases (conform_pboc.c). */
conform_verdict conform__pboc_select(conform_ctx *c);
conform_verdict conform__pboc_balance(conform_ctx *c);
conform_verdict conform__pboc_load(conform_ctx *c);
conform_verdict conform__pboc_purchase1(conform_ctx *c);
conform_verdict conform__pboc_purchase2(conform_ctx *c);
conform_verdict conform__pboc_no_funds(conform_ctx *c);
conform_verdict conform__pboc_bad_mac1(conform_ctx *c);
conform_verdict conform__pboc_bad_key(conform_ctx *c);
conform_verdict conform__pboc_log(conform_ctx *c);
conform_verdict conform__pboc_prove(conform_ctx *c);
conform_verdict conform__pboc_ed_pin(conform_ctx *c);
conform_verdict conform__psam_select(conform_ctx *c);
conform_verdict conform__psam_mac1(conform_ctx *c);
conform_verdict conform__psam_bad_mac2(conform_ctx *c);
conform_verdict conform__psam_ttn(conform_ctx *c);

#endif
