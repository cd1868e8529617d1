/*
 * obol card OS: the exhaustive tearing harness (host only, cardsim/port/host/tear.c).
 *
 * Checks that an operation on a card is all-or-nothing under power loss. Given the
 * card's NVM image before, an operation (any sequence of APDUs or API calls on a
 * powered card) and a digest of the observable state (default: cos_nvm_digest()),
 * it runs the operation once untorn and counts its NVM writes W, then for every cut
 * point k = 0..W-1 (and, inside write k, after a few byte offsets) runs it again on a
 * fresh copy of the image with the power cut there, powers the card up again (which
 * runs recovery) and requires the digest to equal the state before or the state
 * after, or one of the extra states the caller declares acceptable (a PIN try
 * consumed by a torn VERIFY). The PBOC and GlobalPlatform tests run it over purchase,
 * load, INSTALL and PUT KEY.
 */
#ifndef OBOL_COS_TEAR_H
#define OBOL_COS_TEAR_H

#include <stddef.h>
#include <stdint.h>

#include "cos.h"

/* The operation: runs on a powered CARD; returns 0, or a negative error (a torn run
 * returns COS_ERR_POWER_LOST somewhere; the harness ignores the result of torn runs
 * and fails the untorn run if it is negative). */
typedef int (*cos_tear_op)(cos_card *card, void *arg);
/* The observable state of a powered CARD. NULL: cos_nvm_digest(). */
typedef int (*cos_tear_digest)(cos_card *card, void *arg, uint8_t out[32]);

typedef struct cos_tear_spec {
    const uint8_t *image; /* the NVM image before (copied for every run) */
    uint32_t size;
    uint16_t page;
    const cos_applet_class *const *classes;
    uint16_t nclasses;
    uint64_t seed;        /* RNG seed of every run (the same challenges each time) */
    unsigned power_flags; /* for cos_power_on(): interface */
    cos_tear_op op;
    void *arg;
    cos_tear_digest digest;
    const uint8_t (*extra)[32]; /* further acceptable digests */
    size_t nextra;
    /* Byte offsets inside each write to cut at as well (those below the write's
     * length); NULL: {1, len/2, len-1}. */
    const uint32_t *bytes;
    size_t nbytes;
} cos_tear_spec;

typedef struct cos_tear_result {
    uint32_t writes;    /* NVM writes of the untorn operation */
    uint32_t runs;      /* torn runs checked */
    uint32_t as_before; /* runs that recovered to the state before */
    uint32_t as_after;  /* ... to the state after */
    uint32_t as_extra;  /* ... to an extra state */
    uint8_t before[32]; /* digests, for callers that build extra states */
    uint8_t after[32];
    char msg[200]; /* what failed */
} cos_tear_result;

/* Runs the check. Returns 0 when every torn run recovered to an acceptable state,
 * 1 when one did not (RES->msg names the cut), or a negative error of the harness or
 * of the untorn run. */
int cos_tear_run(const cos_tear_spec *spec, cos_tear_result *res);

/* One run without tearing from SPEC's image: the digest after the operation (for
 * building extra acceptable states from a variant of the operation). */
int cos_tear_digest_after(const cos_tear_spec *spec, uint8_t out[32]);

#endif /* OBOL_COS_TEAR_H */
