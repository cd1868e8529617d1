/*
 * obol applet: the transit application (JT/T 978 style composite purchase).
 *
 * One instance is one transit application in its own ADF (AID A000000632010105, the
 * China T-Union "MOT_T_EP" application, on the product profiles): an electronic purse
 * (EP only) with the composite purchase of metro and bus fares, per-operator trip
 * records, the card type with its discount, and the transaction log. The purse is the
 * PBOC applet's own (pboc.h, "the purse inside another class"): the transit class
 * forwards every purse command to pboc_class and adds two things of its own:
 *
 *   - the multi-operator CAPP record file (EF 001A, SFI 0x1A), created by install() with
 *     one record per operator or city, each carrying its record identifier in byte 0;
 *   - addressing those records by identifier (ISO/IEC 7816-4 record commands: P2 b3-b1
 *     000 means "P1 is a record identifier, first occurrence"): UPDATE CAPP DATA CACHE
 *     (80 DC id D0) caches the operator's record for the composite purchase, READ RECORD
 *     (00 B2 id D0) reads it; P2 b3-b1 100 keeps P1 a record number. A record keeps its
 *     identifier however it is addressed: a cached record whose byte 0 differs is
 *     refused (6A80), so one operator's terminal cannot take over another's record.
 *
 * The composite purchase of a trip (PROTOCOLS.md "Transit composite purchase"):
 *   entry: INITIALIZE FOR CAPP PURCHASE (80 50 03 02, amount 0) -> INIT SAM FOR PURCHASE
 *          (type 09) -> UPDATE CAPP DATA CACHE (the operator's record, state "entered")
 *          -> DEBIT FOR PURCHASE -> CREDIT SAM FOR PURCHASE;
 *   exit:  the same with the fare (the full fare times the card type's discount) and the
 *          record in state "exited".
 * The purse writes the cached record, the new balance, the counter and the log record in
 * one NVM transaction (PBOC 2.0 part 1, 12: a power loss leaves the old card or the new
 * one). The card does not price trips or check dates: terminals read the card type,
 * discount and validity below and compute the fare, as JT/T 978 terminals do.
 *
 * ---- files of the ADF ----------------------------------------------------------------
 *   EF 0015 SFI 0x15 public application data, transparent, 30 bytes, read always
 *           (personalization; the layout of PBOC's EF 0015 with the 2 FCI bytes used for
 *           the card type and discount):
 *              0 issuer identification (8)       8 application type (1, 02 transit EP)
 *              9 application version (1)        10 application serial number (10: the
 *                                                  card serial is its rightmost 8)
 *             20 start date (4, BCD YYYYMMDD)   24 expiry date (4, BCD)
 *             28 card type (1, TRANSIT_CARD_*)  29 discount: percent of the full fare
 *                                                  charged (1, 100 ordinary, 0 free)
 *   EF 0016 SFI 0x16 holder and issuer data, transparent, 56 bytes, read always
 *           (personalization; anonymous cards leave the holder fields zero):
 *              0 holder name (20, UTF-8, zero padded)   20 holder id type (1)
 *             21 holder id number (18, ASCII)
 *             39 discount valid from (4, BCD)           43 discount valid until (4, BCD)
 *             47 issuing city code (2, BCD)             49 issuing operator id (4)
 *             53 RFU (3)
 *   EF 0018 SFI 0x18 transaction log, cyclic, 23-byte records (the purse's, pboc.h)
 *   EF 001A SFI 0x1A operator trip records, linear, one record per operator (install()),
 *           TRANSIT_TAG_CAPP_RECLEN bytes (default 48), read always, written only by the
 *           composite purchase. The card keeps byte 0; the rest is the terminals' layout,
 *           obol's (JT/T 978 style):
 *              0 record identifier (1)      1 trip state (1, TRANSIT_TRIP_*)
 *              2 entry city code (2, BCD)   4 entry station (4)
 *              8 entry terminal id (6)     14 entry time (7, BCD YYYYMMDDhhmmss)
 *             21 exit station (4)          25 exit terminal id (6)
 *             31 exit time (7, BCD)        38 fare charged (4)
 *             42 full fare (4)             46 card type of the trip (1)   47 RFU (1)
 * Keys are the purse's (pboc.h: purchase, load and TAC keys by index).
 *
 * ---- personalization -------------------------------------------------------------------
 * By profile (cos_perso), or through the instance's GlobalPlatform security domain
 * (STORE DATA after INSTALL [for personalization]; docs/personalization.md): the purse's
 * DGIs (pboc.h: 0F10 purse parameters and initial balance, 8010/8011/8012 purchase, load
 * and TAC keys, encrypted) and the transit files, DGI = FID, created when the load file
 * did not bring them:
 *   0015  EF 0015 public application data, 30 bytes (read always)
 *   0016  EF 0016 holder and issuer data, 56 bytes (read always)
 * There is no PIN (DGI 8030 answers 6A88).
 */
#ifndef OBOL_APPLET_TRANSIT_H
#define OBOL_APPLET_TRANSIT_H

#include <stdint.h>

#include "obol/cos_applet.h"

/* The applet class (class id OBOL_CLASS_TRANSIT of obol_rom.h). */
extern const cos_applet_class transit_class;

/* ---- install parameters --------------------------------------------------------------
 * TLVs as the purse's (tag 1, length 1, value). Tags below 0x40 are the purse's
 * (pboc.h) and go to its install(), except that the purse is always the EP
 * (PBOC_TAG_PURSES other than EP is refused) and its CAPP cache always holds one
 * operator record (PBOC_TAG_CAPP_MAX is refused: it follows TRANSIT_TAG_CAPP_RECLEN).
 * Unknown tags are refused (6A80). */
#define TRANSIT_TAG_OPERATORS                                                                      \
    0x40u                             /* 1..TRANSIT_OPERATORS_MAX record identifiers, distinct,    \
                                         01..FE (required) */
#define TRANSIT_TAG_CAPP_RECLEN 0x41u /* 1 byte: operator record length, 16..255 (default 48) */

#define TRANSIT_OPERATORS_MAX   16u
#define TRANSIT_CAPP_RECLEN_MIN 16u
#define TRANSIT_CAPP_RECLEN_DEF 48u

/* ---- files ---------------------------------------------------------------------------- */
#define TRANSIT_PUBLIC_SFI 0x15u
#define TRANSIT_HOLDER_SFI 0x16u
#define TRANSIT_CAPP_FID   0x001Au
#define TRANSIT_CAPP_SFI   0x1Au

/* EF 0015 offsets and sizes. */
#define TRANSIT_PUBLIC_LEN    30u
#define TRANSIT_PUB_ISSUER    0u
#define TRANSIT_PUB_SERIAL    12u /* the card serial: rightmost 8 of the application serial */
#define TRANSIT_PUB_START     20u
#define TRANSIT_PUB_EXPIRY    24u
#define TRANSIT_PUB_CARD_TYPE 28u
#define TRANSIT_PUB_DISCOUNT  29u
#define TRANSIT_APP_TYPE      0x02u /* application type byte of EF 0015 */

/* EF 0016 offsets and sizes. */
#define TRANSIT_HOLDER_LEN      56u
#define TRANSIT_HOLD_NAME       0u
#define TRANSIT_HOLD_ID_TYPE    20u
#define TRANSIT_HOLD_ID_NUMBER  21u
#define TRANSIT_HOLD_DISC_FROM  39u
#define TRANSIT_HOLD_DISC_UNTIL 43u
#define TRANSIT_HOLD_CITY       47u
#define TRANSIT_HOLD_OPERATOR   49u

/* Card types (EF 0015 byte 28). City schemes number their own; these are obol's. */
#define TRANSIT_CARD_ORDINARY 0x01u
#define TRANSIT_CARD_SENIOR   0x02u
#define TRANSIT_CARD_STUDENT  0x03u

/* Operator record: offsets and trip states (byte 1). */
#define TRANSIT_REC_ID         0u
#define TRANSIT_REC_STATE      1u
#define TRANSIT_REC_ENTRY_CITY 2u
#define TRANSIT_REC_ENTRY_STN  4u
#define TRANSIT_REC_ENTRY_TID  8u
#define TRANSIT_REC_ENTRY_TIME 14u
#define TRANSIT_REC_EXIT_STN   21u
#define TRANSIT_REC_EXIT_TID   25u
#define TRANSIT_REC_EXIT_TIME  31u
#define TRANSIT_REC_FARE       38u
#define TRANSIT_REC_FULL_FARE  42u
#define TRANSIT_REC_CARD_TYPE  46u
#define TRANSIT_TRIP_IDLE      0x00u
#define TRANSIT_TRIP_ENTERED   0x01u
#define TRANSIT_TRIP_EXITED    0x02u

#endif /* OBOL_APPLET_TRANSIT_H */
