/*
 * obol applet: PBOC electronic deposit (ED) and electronic purse (EP), JR/T 0025
 * (PBOC 2.0) part 1, with the composite (CAPP) purchase of transit cards.
 *
 * One instance is one PBOC ED/EP application: an ADF holding an ED purse, an EP purse
 * or both (P2 01 ED, 02 EP selects the purse in each command), their balances and
 * online/offline counters, the overdraft limit, the cyclic transaction log (SFI 0x18)
 * and its keys. Commands (CLA 80): INITIALIZE FOR LOAD / PURCHASE / CAPP PURCHASE
 * (80 50), CREDIT FOR LOAD (80 52), DEBIT FOR PURCHASE (80 54), GET TRANSACTION PROVE
 * (80 5A), GET BALANCE (80 5C), UPDATE CAPP DATA CACHE (80 DC). Standard commands
 * (SELECT, READ RECORD of the log, READ BINARY, VERIFY of the ED PIN) are the card OS's.
 *
 * This header is what personalization (cardsim/profile, tests) needs: the class, the
 * install parameters, the key usages and the layout of the files the applet uses.
 */
#ifndef OBOL_APPLET_PBOC_H
#define OBOL_APPLET_PBOC_H

#include <stdint.h>

#include "obol/cos_applet.h"

/* The applet class (class id OBOL_CLASS_PBOC of obol_rom.h). */
extern const cos_applet_class pboc_class;

/* ---- install parameters --------------------------------------------------------------
 * A sequence of TLVs, tag (1) length (1) value; unknown tags are refused (6A80) so a
 * misspelled profile cannot install a purse with silent defaults. Numbers big-endian. */
#define PBOC_TAG_PURSES      0x01u /* 1 byte: PBOC_PURSE_ED | PBOC_PURSE_EP (default EP) */
#define PBOC_TAG_OVERDRAFT   0x02u /* 3 bytes: ED overdraft limit (default 0) */
#define PBOC_TAG_MAX_BALANCE 0x03u /* 4 bytes: highest balance a load may reach */
#define PBOC_TAG_MAC_LIMIT   0x04u /* 1 byte: MAC failures before the lock (0 never) */
#define PBOC_TAG_ED_BALANCE  0x05u /* 4 bytes: initial ED balance (overdraft included) */
#define PBOC_TAG_EP_BALANCE  0x06u /* 4 bytes: initial EP balance */
#define PBOC_TAG_PIN_REF     0x07u /* 1 byte: reference of the ED PIN (default 1) */
#define PBOC_TAG_CAPP_MAX    0x08u /* 1 byte: largest CAPP record cached (0: no CAPP) */
#define PBOC_TAG_LOG_NREC    0x09u /* 1 byte: records of the transaction log (default 10, 0 none) */

#define PBOC_PURSE_ED 0x01u
#define PBOC_PURSE_EP 0x02u

/* Defaults when a tag is absent. */
#define PBOC_DEFAULT_MAX_BALANCE 0x7FFFFFFFu
#define PBOC_DEFAULT_MAC_LIMIT   3u
#define PBOC_DEFAULT_PIN_REF     1u

/* ---- keys ----------------------------------------------------------------------------
 * Key objects in the instance's ADF (cos_perso_key): usage below, kid = the key index
 * the terminal names in INITIALIZE (1..255), kver = the key version the card returns,
 * algorithm COS_ALG_DES, 16 bytes, each dispersed for this card (DPK, DLK, DTK). The TAC
 * of a transaction uses the TAC key with the same index as its purchase or load key;
 * an index without both answers 9403. */
#define PBOC_KEY_PURCHASE 0x80u /* DPK: SESPK, MAC1 check, MAC2 */
#define PBOC_KEY_LOAD     0x81u /* DLK: SESLK, load MAC1, MAC2 check */
#define PBOC_KEY_TAC      0x82u /* DTK: TAC (left half XOR right half, single DES) */

/* The algorithm identifier returned by INITIALIZE: 3DES (PBOC 2.0 part 1). */
#define PBOC_ALG_3DES 0x00u

/* ---- transaction types (the type byte MACed and logged) ------------------------------ */
#define PBOC_TT_ED_LOAD       0x01u
#define PBOC_TT_EP_LOAD       0x02u
#define PBOC_TT_ED_PURCHASE   0x05u
#define PBOC_TT_EP_PURCHASE   0x06u
#define PBOC_TT_CAPP_PURCHASE 0x09u

/* ---- files ---------------------------------------------------------------------------
 * install() creates the transaction log: the cyclic EF 0018 with SFI 0x18 and 23-byte
 * records, counter (2) overdraft limit (3) amount (4) type (1) terminal id (6) date (4)
 * time (3), newest first; the seeds' cards keep 10 (PROTOCOLS.md). READ RECORD reads
 * it through the card OS. The personalization adds the rest (EF 0015 public data...).
 * CAPP records (UPDATE CAPP DATA CACHE) go to a linear or cyclic record EF of the ADF
 * named by its SFI in P2, which the personalization creates. */
#define PBOC_LOG_FID    0x0018u
#define PBOC_LOG_SFI    0x18u
#define PBOC_LOG_RECLEN 23u
#define PBOC_LOG_NREC   10u

/* Status words of the purse beyond ISO/IEC 7816-4 (PBOC 2.0 part 1, appendix on status
 * words). */
#define PBOC_SW_MAC_INVALID 0x9302u /* MAC1 / MAC2 does not verify */
#define PBOC_SW_LOCKED      0x9303u /* application locked permanently (MAC failures) */
#define PBOC_SW_NO_FUNDS    0x9401u /* insufficient balance */
#define PBOC_SW_COUNTER_MAX 0x9402u /* transaction counter at its maximum */
#define PBOC_SW_KEY_INDEX   0x9403u /* key index not supported */
#define PBOC_SW_NO_PROOF    0x9406u /* requested MAC/TAC not available */

/* Data object ids of the instance (cos_obj_create). */
#define PBOC_OBJ_STATE 1u /* configuration, balances, counters, last transaction proof */
#define PBOC_OBJ_CAPP  2u /* the CAPP record cached between 80 DC and DEBIT */

/* ---- the purse inside another class ---------------------------------------------------
 * Industry applications that carry a purse (transit, cardsim/applets/transit; social
 * security, cardsim/applets/ssc) reuse this one instead of a copy: their class calls
 * pboc_class's install(), select(), deselect(), process() and power_off() with its own
 * context, so the purse's objects (PBOC_OBJ_*, ids 1 and 2), its log EF 0018 and its keys
 * live in the wrapping instance's ADF. The purse keeps its session in the first
 * PBOC_RAM_USED bytes of the channel's applet RAM; the wrapping class may use the rest
 * (COS_APPLET_RAM - PBOC_RAM_USED bytes) and numbers its own data objects from 0x10. */
#define PBOC_RAM_USED    72u
#define PBOC_OBJ_WRAPPER 0x10u /* first data object id free for a wrapping class */

/* Ends the purse session (INITIALIZE pending) on CTX's channel, as any command other
 * than the session's second one does. For a wrapping class that answers a command
 * itself. Safe without a session or outside a selection (ctx->ram NULL). */
void pboc_session_end(cos_ctx *ctx);

#endif /* OBOL_APPLET_PBOC_H */
