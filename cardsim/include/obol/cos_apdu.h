/*
 * obol card OS: command APDUs, status words and response buffers.
 *
 * This header depends on nothing else of the card OS so that the terminal kernel
 * (termsim) can use the same APDU parser, encoder and status word names.
 * Command-response pairs, cases 1-4, short and extended length fields: ISO/IEC
 * 7816-4:2020, clause 5 (command-response pairs) and 5.6 (status bytes).
 */
#ifndef OBOL_COS_APDU_H
#define OBOL_COS_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "cos_err.h"

/* ---- Status words (ISO/IEC 7816-4:2020, 5.6) --------------------- */
#define COS_SW_OK                   0x9000
#define COS_SW_BYTES_AVAILABLE(n)   (0x6100 | ((n)&0xFF)) /* GET RESPONSE has n more */
#define COS_SW_EOF                  0x6282                /* end of file/record before Ne bytes */
#define COS_SW_DEACTIVATED          0x6283 /* selected file (application) deactivated */
#define COS_SW_VERIFY_FAILED(x)     (0x63C0 | ((x)&0x0F)) /* x further tries allowed */
#define COS_SW_MEMORY_FAILURE       0x6581                /* NVM write failed */
#define COS_SW_WRONG_LENGTH         0x6700                /* Lc/Le/APDU length wrong */
#define COS_SW_CHANNEL_UNSUPPORTED  0x6881
#define COS_SW_SM_UNSUPPORTED       0x6882
#define COS_SW_CHAINING_UNSUPPORTED 0x6884
#define COS_SW_INCOMPATIBLE_FILE    0x6981 /* command incompatible with file structure */
#define COS_SW_SECURITY             0x6982 /* security status not satisfied */
#define COS_SW_AUTH_BLOCKED         0x6983 /* authentication method (PIN/key) blocked */
#define COS_SW_REF_UNUSABLE         0x6984 /* reference data not usable (no challenge) */
#define COS_SW_CONDITIONS           0x6985 /* conditions of use not satisfied */
#define COS_SW_NO_CURRENT_EF        0x6986 /* command not allowed (no current EF) */
#define COS_SW_SM_MISSING           0x6987 /* expected SM data objects missing */
#define COS_SW_SM_WRONG             0x6988 /* incorrect SM data objects (bad MAC) */
#define COS_SW_WRONG_DATA           0x6A80
#define COS_SW_FUNC_UNSUPPORTED     0x6A81 /* function not supported (card/app blocked) */
#define COS_SW_FILE_NOT_FOUND       0x6A82 /* file or application not found */
#define COS_SW_RECORD_NOT_FOUND     0x6A83
#define COS_SW_NO_MEMORY            0x6A84 /* not enough memory space in the file */
#define COS_SW_WRONG_P1P2           0x6A86 /* incorrect parameters P1-P2 */
#define COS_SW_REF_NOT_FOUND        0x6A88 /* referenced data (PIN, key) not found */
#define COS_SW_WRONG_OFFSET         0x6B00 /* wrong parameters P1-P2 (offset outside EF) */
#define COS_SW_WRONG_LE(n)          (0x6C00 | ((n)&0xFF)) /* wrong Le, n bytes available */
#define COS_SW_INS_UNSUPPORTED      0x6D00
#define COS_SW_CLA_UNSUPPORTED      0x6E00
#define COS_SW_UNKNOWN              0x6F00 /* internal fault, no precise diagnosis */

/* ---- Command APDU --------------------------------------------------------------- */

/* A parsed command APDU. DATA points into the caller's buffer, valid as long as it. */
typedef struct cos_apdu {
    uint8_t cla, ins, p1, p2;
    uint8_t kase;        /* ISO case 1..4 */
    uint8_t ext;         /* 1 when the length fields were extended */
    uint8_t chan;        /* logical channel decoded from CLA (set by the card OS) */
    uint8_t sm;          /* CLA secure messaging indication, 0 none, 1 proprietary
                            (CLA 04/84: obol's MAC line protection), 2/3 ISO SM */
    uint16_t nc;         /* Nc: number of data bytes (Lc), 0 when absent */
    uint32_t ne;         /* Ne: maximum response bytes, 0 when Le is absent; 256 for
                            short Le 00, 65536 for extended Le 0000 */
    const uint8_t *data; /* NC bytes (after cos_apdu_parse() never NULL, even when NC is 0) */
} cos_apdu;

/* Parses LEN bytes of BUF as a command APDU (cases 1, 2S, 3S, 4S, 2E, 3E, 4E of
 * ISO/IEC 7816-4:2020, clause 5). Returns 0, or COS_ERR_APDU when the length fields are
 * inconsistent with LEN (the card answers that with 6700). A keeps pointing into BUF.
 * CHAN and SM are left 0; the card OS decodes them from CLA. */
int cos_apdu_parse(cos_apdu *a, const uint8_t *buf, size_t len);

/* Encodes A (header, NC data bytes from A->data, NE) into BUF of CAP bytes, choosing
 * short lengths when NC <= 255 and NE <= 256 and extended otherwise (both fields of
 * one APDU always share one form). Sets *LEN. Returns 0, COS_ERR_PARAM (NE > 65536),
 * or COS_ERR_BUFFER. A->kase and A->ext are ignored. */
int cos_apdu_encode(const cos_apdu *a, uint8_t *buf, size_t cap, size_t *len);

/* 1 when NE means "as many as available" (short Le 00 or extended Le 0000). */
int cos_apdu_ne_wildcard(const cos_apdu *a);

/* ---- Response data ---------------------------------------------------------------- */

/* Response data under construction: the card OS hands one to each command handler
 * and applet; BUF has CAP bytes, LEN are used. */
typedef struct cos_resp {
    uint8_t *buf;
    uint16_t cap;
    uint16_t len;
} cos_resp;

/* Appends N bytes (or one byte, or a big-endian u16/u32). Returns 0, or COS_ERR_BUFFER
 * leaving the response unchanged. */
int cos_resp_put(cos_resp *r, const void *p, size_t n);
int cos_resp_u8(cos_resp *r, uint8_t v);
int cos_resp_u16(cos_resp *r, uint16_t v);
int cos_resp_u32(cos_resp *r, uint32_t v);

/* SW1-SW2 of a response of LEN >= 2 bytes (data || SW1 SW2); 0 when LEN < 2. */
uint16_t cos_rsp_sw(const uint8_t *rsp, size_t len);

#endif /* OBOL_COS_APDU_H */
