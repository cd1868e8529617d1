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

#endif
