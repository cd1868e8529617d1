/*
 * obol applet: the social security and health application.
 *
 * One instance is the cardholder's social security application in its own ADF (obol's
 * AID F06F626F6C53534301 on the product profiles): personal information the cardholder
 * unlocks with the PIN, the insurance status, a medical account for hospital and
 * pharmacy settlement, the visit records a hospital appends, the prescriptions a
 * pharmacy reads, and the transaction log.
 *
 * ---- the medical account ---------------------------------------------------------------
 * The account is the PBOC applet's EP purse (pboc.h, "the purse inside another class"),
 * so a settlement is a PBOC purchase with MAC1 from the terminal's PSAM, MAC2 and a TAC
 * the social insurance host verifies, and the fund's top-up is a PBOC load (MAC2 from the
 * host): the same formulas, counters, log and tear safety as the purse. The roles are
 * bound to the purchase key index: index 1 is the hospitals' purchase key, index 2 the
 * pharmacies'; a terminal's PSAM holds only its own master key. On top of the MACs the
 * card refuses INITIALIZE FOR PURCHASE (6982) unless the terminal authenticated in the
 * role of that key index on this channel and, when SSC_TAG_DEBIT_PIN is on (the
 * default), the cardholder's PIN was verified: the cardholder consents to each
 * settlement. Loads need no role (the host's MAC2 authorizes them).
 *
 * ---- roles ---------------------------------------------------------------------------
 * A terminal authenticates in a role with EXTERNAL AUTHENTICATE on the OS's challenge:
 *   GET CHALLENGE (00 84 00 00 08, the card OS's), then
 *   EXTERNAL AUTHENTICATE 00 82 00 P2 04 MAC, P2 = the role key number (1 hospital,
 *   2 pharmacy), MAC = the 4-byte line-protection MAC of the command (cos_sm_verify():
 *   ISO/IEC 9797-1 algorithm 3 under the 16-byte role key, initial value the challenge
 *   padded with zeros, over 00 82 00 P2 04 padded 80 00..).
 * The card OS keeps its challenge private and answers EXTERNAL AUTHENTICATE only for
 * the access conditions of its files, so an applet cannot tell which key authenticated;
 * this applet therefore takes EXTERNAL AUTHENTICATE for its role keys itself and checks
 * the cryptogram with cos_sm_verify(), the one OS service that uses the challenge (which
 * keeps GET CHALLENGE, line protection and APPLICATION BLOCK the OS's). The role lasts,
 * like the OS's security status, until the application is deselected (another DF
 * selected on the channel, the channel closed) or the card reset; a new EXTERNAL
 * AUTHENTICATE replaces it and a failed one leaves none. Answers: 9000; 63Cx wrong cryptogram (x
 * tries left, the key's counter), 6983 key blocked, 6984 no challenge, 6700 Lc not 4,
 * 6A86 P1 not 00, 6A88 no such role key.
 *
 * Rights (anything not granted here falls to the card OS and the file's own access
 * condition, which answers 6982):
 *
 *   what                                   hospital  pharmacy  cardholder PIN
 *   READ BINARY EF 0005 personal info         -         -         yes (OS: read pin1)
 *   READ BINARY EF 0006 insurance status     yes       yes        yes (OS: read pin1)
 *   READ RECORD EF 0019 visit records        yes        -          -
 *   APPEND RECORD EF 0019 visit records      yes        -          -
 *   READ RECORD EF 001A prescriptions        yes       yes         -
 *   APPEND RECORD EF 001A prescriptions      yes        -          -
 *   INITIALIZE FOR PURCHASE, key index 1     yes        -       and the PIN (DEBIT_PIN)
 *   INITIALIZE FOR PURCHASE, key index 2      -        yes      and the PIN (DEBIT_PIN)
 * The applet serves the role rows itself by short EF identifier (READ BINARY with P1
 * b8 set, READ RECORD P2 b3-b1 100, APPEND RECORD P2 b3-b1 000); a command on the
 * current EF goes to the OS.
 *
 * ---- files of the ADF ------------------------------------------------------------------
 *   EF 0005 SFI 0x05 personal information, transparent, 64 bytes, read pin1
 *           (personalization): 0 name (30, UTF-8, zero padded) 30 sex (1, 1 male 2 female)
 *           31 ethnicity (1) 32 birth date (4, BCD) 36 citizen id number (18, ASCII)
 *           54 region code (6, ASCII) 60 RFU (4)
 *   EF 0006 SFI 0x06 insurance status, transparent, 20 bytes, read pin1
 *           (personalization): 0 insurance type (1, 01 employee 02 resident) 1 status
 *           (1, 01 active 02 suspended 03 terminated) 2 insured region (3, BCD) 5 valid
 *           from (4, BCD) 9 valid until (4, BCD) 13 reimbursement percent (1) 14 annual
 *           cap (4) 18 RFU (2)
 *   EF 0015 SFI 0x15 public application data, transparent, 30 bytes, read always
 *           (personalization; PBOC's layout: issuer (8) type (1) version (1) application
 *           serial (10, the card serial its rightmost 8) start (4) expiry (4) RFU (2))
 *   EF 0018 SFI 0x18 transaction log (the purse's, pboc.h)
 *   EF 0019 SFI 0x19 visit records, cyclic, 48 bytes (install()), OS access never:
 *            0 date (4, BCD)  4 time (3, BCD)  7 institution code (6)  13 department (2)
 *           15 visit type (1, 01 outpatient 02 inpatient 03 emergency)
 *           16 diagnosis code (8, ASCII ICD-10)  24 total cost (4)  28 paid by the fund (4)
 *           32 paid from the account (4)  36 doctor id (4)  40 prescriptions (1) 41 RFU (7)
 *   EF 001A SFI 0x1A prescriptions, cyclic, 48 bytes (install()), OS access never:
 *            0 date (4, BCD)  4 institution code (6)  10 prescription number (4)
 *           14 drug code (10, ASCII)  24 quantity (2)  26 unit price (4)  30 dosage (8,
 *           ASCII)  38 doctor id (4)  42 RFU (6)
 * Keys: the role keys (usage SSC_KEY_ROLE, kid 1 hospital, 2 pharmacy, 16-byte 3DES,
 * dispersed for the card), the purse's purchase keys (index 1 hospital, 2 pharmacy), TAC
 * keys of the same indexes and the fund's load key (pboc.h). PIN: reference 1 of the ADF.
 *
 * ---- personalization -------------------------------------------------------------------
 * By profile (cos_perso), or through the instance's GlobalPlatform security domain
 * (STORE DATA after INSTALL [for personalization]; docs/personalization.md): the purse's
 * DGIs (pboc.h: 0F10 account parameters and initial balance, 8010/8011/8012 purchase,
 * load and TAC keys, 8030 the PIN), the SSC files, DGI = FID, created when the load file
 * did not bring them:
 *   0005  EF 0005 personal information, 64 bytes (read pin1)
 *   0006  EF 0006 insurance status, 20 bytes (read pin1)
 *   0015  EF 0015 public application data, 30 bytes (read always)
 * and the role keys:
 *   8020  role key number (1: SSC_KID_HOSPITAL or SSC_KID_PHARMACY) version (1) tries
 *         (1, 0 unlimited..15) key (16, 3DES, dispersed for the card) KCV (3)
 * DGIs 8000-8FFF only from blocks encrypted under the DEK (P1 b7-b6 = 11).
 */
#ifndef OBOL_APPLET_SSC_H
#define OBOL_APPLET_SSC_H

#include <stdint.h>

#include "obol/cos_applet.h"

/* The applet class (class id OBOL_CLASS_SSC of obol_rom.h). */
extern const cos_applet_class ssc_class;

/* ---- install parameters --------------------------------------------------------------
 * TLVs as the purse's (tag 1, length 1, value). Tags below 0x40 are the purse's (pboc.h)
 * and go to its install(), except that the account is always the EP without CAPP
 * (PBOC_TAG_PURSES other than EP and PBOC_TAG_CAPP_MAX are refused). Unknown tags are
 * refused (6A80). */
#define SSC_TAG_VISIT_NREC 0x40u /* 1 byte: visit records kept, 1..254 (default 10) */
#define SSC_TAG_RX_NREC    0x41u /* 1 byte: prescriptions kept, 1..254 (default 10) */
#define SSC_TAG_DEBIT_PIN                                                                          \
    0x42u /* 1 byte: 1 a settlement needs the cardholder's PIN                                     \
             (default), 0 the role alone */

#define SSC_NREC_DEFAULT 10u

/* ---- roles and keys ------------------------------------------------------------------ */
#define SSC_KEY_ROLE      0x90u /* key usage of the role keys (applet-defined) */
#define SSC_KID_HOSPITAL  0x01u /* role key number and purchase key index */
#define SSC_KID_PHARMACY  0x02u
#define SSC_ROLE_HOSPITAL 0x01u /* role bits */
#define SSC_ROLE_PHARMACY 0x02u
#define SSC_PIN_REF       0x01u

/* Personalization DGI of a role key (see "personalization" above). */
#define SSC_DGI_ROLE_KEY     0x8020u
#define SSC_DGI_ROLE_KEY_LEN 22u

/* ---- files ------------------------------------------------------------------------------ */
#define SSC_PERSONAL_SFI  0x05u
#define SSC_INSURANCE_SFI 0x06u
#define SSC_PUBLIC_SFI    0x15u
#define SSC_VISIT_FID     0x0019u
#define SSC_VISIT_SFI     0x19u
#define SSC_RX_FID        0x001Au
#define SSC_RX_SFI        0x1Au
#define SSC_PERSONAL_LEN  64u
#define SSC_INSURANCE_LEN 20u
#define SSC_VISIT_LEN     48u
#define SSC_RX_LEN        48u

/* Data object ids (after the purse's, pboc.h PBOC_OBJ_WRAPPER). */
#define SSC_OBJ_CONFIG    0x10u /* 1 byte: SSC_CFG_* */
#define SSC_CFG_DEBIT_PIN 0x01u

#endif /* OBOL_APPLET_SSC_H */
