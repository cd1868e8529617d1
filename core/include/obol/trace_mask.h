/*
 * obol APDU traces: masks for the response bytes that legitimately differ from one
 * run to the next (card challenges, session-key MACs), and the comparison that
 * `obol replay` makes under them.
 *
 * A mask names response data bytes (never the status word) of the commands it
 * matches. obol knows two layouts (docs/traces.md lists every field):
 *   pboc  GET CHALLENGE; INITIALIZE FOR LOAD random and MAC1; INITIALIZE FOR (CAPP)
 *         PURCHASE random; CREDIT FOR LOAD TAC; DEBIT FOR PURCHASE TAC and MAC2; GET
 *         TRANSACTION PROVE; the PSAM's INIT SAM FOR PURCHASE MAC1
 *   gp    INITIALIZE UPDATE sequence counter, card challenge and cryptogram (SCP02 and
 *         SCP03 layouts, told apart by the SCP identifier in the response); GET CHALLENGE
 * and users add their own by command header and offset:
 *   [CLA:]INS[/P1[/P2]]@OFF[+LEN]   hex CLA/INS/P1/P2 ("*" any), decimal OFF and LEN
 *                                    (no LEN: to the end of the data), e.g. 84@0+8,
 *                                    80:54@4+4, 50/01@11+4
 * Prefix rules: trace_mask_ (TRACE_ERR_* codes of trace.h).
 */
#ifndef OBOL_TRACE_MASK_H
#define OBOL_TRACE_MASK_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_MASK_PBOC 0x1u
#define TRACE_MASK_GP   0x2u

typedef struct trace_mask_rule {
    uint8_t hdr[4]; /* CLA INS P1 P2 to match */
    uint8_t care;   /* bit i set: hdr[i] must match */
    uint32_t off;   /* first masked data byte */
    uint32_t len;   /* masked bytes; UINT32_MAX: to the end */
    char spec[40];  /* as the user wrote it, for reports */
} trace_mask_rule;

/* The masks in force. Zero-initialize; trace_mask_free() releases. */
typedef struct trace_masks {
    unsigned builtin; /* TRACE_MASK_* sets */
    trace_mask_rule *rules;
    size_t nrules;
} trace_masks;

/* Adds SPEC: "pboc", "gp", "known" (both), or a rule in the syntax above. Returns 0,
 * or TRACE_ERR_PARAM with a one-line message in ERR, or TRACE_ERR_NOMEM. */
int trace_mask_add(trace_masks *m, const char *spec, char *err, size_t errlen);
void trace_mask_free(trace_masks *m);

/* Marks in MASK (RSPLEN bytes, zeroed first; 1 = ignore) the bytes of the response RSP
 * (data || SW, RSPLEN bytes) of command CMD that the masks cover; the SW is never
 * masked. Returns the number of masked bytes; *WHY (may be NULL) names the first
 * rule that applied ("pboc: DEBIT FOR PURCHASE TAC, MAC2" or the user's spec). */
size_t trace_mask_apply(const trace_masks *m, const uint8_t *cmd, size_t cmdlen, const uint8_t *rsp,
                        size_t rsplen, uint8_t *mask, const char **why);

/* Compares the response GOT with the EXPECTED one under the masks for command CMD.
 * Returns -1 when they match, else the offset of the first differing byte (the
 * shorter length when only the lengths differ). MASK (ELEN bytes, may be NULL)
 * receives the mask used. */
long trace_mask_compare(const trace_masks *m, const uint8_t *cmd, size_t cmdlen,
                        const uint8_t *expected, size_t elen, const uint8_t *got, size_t glen,
                        uint8_t *mask, const char **why);

#endif /* OBOL_TRACE_MASK_H */
