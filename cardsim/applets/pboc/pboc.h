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

#include <stddef.h>
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
#define PBOC_OBJ_PERSO                                                                             \
    3u /* GP personalization state (1 byte, PBOC_PERSO_*), from the first                          \
          STORE DATA on */

/* EF 0015, the public application data every purse carries (layout in transit.h and
 * ssc.h; the card serial is the rightmost 8 bytes of the application serial at 12). */
#define PBOC_PUBLIC_FID 0x0015u
#define PBOC_PUBLIC_SFI 0x15u
#define PBOC_PUBLIC_LEN 30u

/* ---- GlobalPlatform personalization (docs/personalization.md) --------------------------
 * After INSTALL [for personalization], the instance's security domain forwards STORE
 * DATA (GP CS 2.3, 11.11) through the shareable interface GP_IFACE_PERSO, which
 * install() grants to the card manager (gp_accept_perso()). The data are in DGI format
 * (P1 b5-b4 = 01, as EMV CPS 1.1 defines it: DGI tag (2) length (1, or FF and 2 bytes)
 * value); a DGI never spans two STORE DATA commands. DGIs 8000-8FFF carry secrets: the
 * purse takes them only from a block the off-card side encrypted under the session's
 * DEK (P1 b7-b6 = 11), which the security domain decrypted before forwarding it, so a
 * key or a PIN never crosses the interface in a block that travelled in clear (6982
 * otherwise). Every block is applied in one NVM transaction: all its DGIs or none.
 *
 *   DGI   value                                                 from the class table
 *   00xx  the whole content of the transparent EF with FID 00xx  (created if absent)
 *   0F10  purse parameters: TLVs as the install parameters, PBOC_TAG_OVERDRAFT,
 *         MAX_BALANCE, MAC_LIMIT, ED_BALANCE, EP_BALANCE; only while both purses'
 *         counters are zero (initial balances cannot be set on a purse in use)
 *   8010  purchase key  index (1) version (1) key (16) KCV (3)    DES KCV: the first 3
 *   8011  load key      index (1) version (1) key (16) KCV (3)    bytes of 3DES(key,
 *   8012  TAC key       index (1) version (1) key (16) KCV (3)    00 x 8); a key replaces
 *                                                                 every version of its
 *                                                                 index
 *   8030  the PIN (classes that take one): tries (1, 1..15) PIN (2..6 bytes, BCD), the
 *         reference of PBOC_TAG_PIN_REF; refused if the PIN exists
 * The last block (P1 b8 = 1) closes the personalization: any later STORE DATA answers
 * 6985, so a replayed personalization script changes nothing. Status words: 6A80 bad
 * format, value or KCV, 6A88 unknown DGI, 6982 a secret in a clear block, 6985 closed,
 * the purse in use, or the PIN exists; 6A84 no room. */
#define PBOC_DGI_PURSE        0x0F10u
#define PBOC_DGI_PURCHASE_KEY 0x8010u
#define PBOC_DGI_LOAD_KEY     0x8011u
#define PBOC_DGI_TAC_KEY      0x8012u
#define PBOC_DGI_PIN          0x8030u
#define PBOC_DGI_KEY_LEN      21u /* index, version, key, KCV */
#define PBOC_PIN_MAXLEN       6u  /* PBOC PINs: 4 to 12 digits, BCD */

/* Personalization state (PBOC_OBJ_PERSO). */
#define PBOC_PERSO_OPEN 0x01u /* blocks applied, more may follow */
#define PBOC_PERSO_DONE 0x0Fu /* the last block applied: no more STORE DATA */

/* A transparent EF the class personalizes by DGI (= FID), created when absent with SFI,
 * read condition AC_READ (written never) and SIZE bytes; the DGI must carry SIZE bytes. */
typedef struct pboc_perso_file {
    uint16_t fid;
    uint8_t sfi;
    uint8_t ac_read;
    uint16_t size;
} pboc_perso_file;

/* What a class (the purse, or a class wrapping it) takes in personalization. DGI: the
 * class's own DGIs, called inside the block's transaction with the value of one DGI
 * (secrets only from an encrypted block, already checked); returns COS_SW_OK when it
 * took it, 0 when the DGI is not the class's (the purse's DGIs follow), another status
 * word to refuse the block, or a negative fault. May be NULL. */
typedef struct pboc_perso_class {
    const pboc_perso_file *files;
    uint8_t nfiles;
    uint8_t pin; /* 1: DGI 8030 is accepted */
    int (*dgi)(cos_ctx *ctx, uint16_t dgi, const uint8_t *v, size_t n);
} pboc_perso_class;

/* Applies one forwarded STORE DATA block: IN = P1 P2 || data (GP_IFACE_PERSO) for the
 * instance of CTX, with the DGIs of CLS. Returns a status word or a negative fault. */
int pboc_perso(cos_ctx *ctx, const pboc_perso_class *cls, const uint8_t *in, size_t inlen);

/* Stores the 16-byte 3DES key VALUE as key USAGE, KID, KVER with ERR_MAX tries after
 * checking KCV (3 bytes) against it, replacing every version of USAGE/KID. For a
 * class's DGI handler (inside the block's transaction). Returns COS_SW_OK, 6A80 (KCV),
 * or a negative fault. */
int pboc_perso_key(cos_ctx *ctx, uint8_t usage, uint8_t kid, uint8_t kver, uint8_t err_max,
                   const uint8_t value[16], const uint8_t kcv[3]);

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

/* Reads the TLV at *POS of P (LEN bytes of one-byte tags and one-byte lengths, as the
 * install parameters and DGI 0F10): *TAG, *L and *V get it and *POS moves past it.
 * Returns 1 for a TLV, 0 at the end of P, or COS_SW_WRONG_DATA when a TLV is cut short.
 * *V points into P. */
int pboc_tlv_next(const uint8_t *p, size_t len, size_t *pos, uint8_t *tag, uint8_t *l,
                  const uint8_t **v);

/* The install parameters a wrapping class builds for its EP-only purse and passes to
 * pboc_class.install(). Every purse tag once is 40 bytes. */
#define PBOC_PARAMS_MAX 64u
typedef struct pboc_params {
    uint8_t buf[PBOC_PARAMS_MAX];
    size_t n;
} pboc_params;

/* Starts PP with PBOC_TAG_PURSES = EP: the wrapping classes' purse is the EP (the ED
 * needs the cardholder's PIN at every purchase). */
void pboc_params_init_ep(pboc_params *pp);
/* Appends one TLV. Returns 0 or COS_SW_WRONG_DATA (too long). */
int pboc_params_put(pboc_params *pp, uint8_t tag, const uint8_t *v, uint8_t len);
/* Takes one of the wrapping class's install TLVs that the class does not handle itself:
 * PBOC_TAG_PURSES must say EP; PBOC_TAG_CAPP_MAX is refused (the class sets the CAPP
 * cache, or has none); any other tag below 0x40 is a purse parameter, appended for the
 * purse's install() to check; a tag from 0x40 up is refused. Returns 0 or
 * COS_SW_WRONG_DATA. */
int pboc_params_forward(pboc_params *pp, uint8_t tag, const uint8_t *v, uint8_t len);

#endif /* OBOL_APPLET_PBOC_H */
