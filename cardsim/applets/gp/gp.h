/*
 * obol applet: the GlobalPlatform card manager (GP Card Specification 2.3).
 *
 * One applet class, gp_class, implements every security domain of the card: the issuer
 * security domain (ISD, created at personalization with gp_isd_create()) and the
 * supplementary security domains (SSDs) of industry operators (transit operator,
 * social security bureau), created over the air with INSTALL [for install] from the
 * ROM security domain package. Each SD owns its key sets (OS key objects of usage
 * COS_KEY_GP: kid 1 ENC, 2 MAC, 3 DEK, kver = KVN), opens SCP02 (i=15/55) and SCP03
 * (AES-128, i=00/10/60/70) secure channels, and processes content management
 * commands (INSTALL, LOAD, DELETE, GET STATUS, SET STATUS, PUT KEY, STORE DATA,
 * GET DATA).
 *
 * The ISD is also the card's GlobalPlatform environment (OPEN): it keeps the registry
 * (load files, which SD each application belongs to) in its own NVM objects. An SSD
 * asks the OPEN to execute a content management command through the OPEN's shareable
 * interface (GP_IFACE_OPEN), which the ISD grants to every SD it creates; the OS
 * tells the OPEN which SD is calling, so an SSD with Authorized Management manages
 * only the content associated with it. Keys never cross: the OS firewall walls an
 * SD's key objects off from every other instance, the ISD included.
 *
 * Load files: obol's applet code is in ROM, so a load file (docs/load-file.md) names
 * ROM classes and carries the data new instances need (files, records, parameters,
 * FCI). INSTALL [for install] creates instances from it; a DAP (AES-CMAC over the
 * SHA-256 hash of the load file data block) is checked when the receiving SD has the
 * DAP Verification privilege or an SD has Mandated DAP Verification.
 *
 * This header is what personalization (profiles, tests) and other applets need.
 */
#ifndef OBOL_APPLET_GP_H
#define OBOL_APPLET_GP_H

#include <stddef.h>
#include <stdint.h>

#include "obol/cos_applet.h"
#include "obol/cos_perso.h"

/* The applet class; its id is OBOL_CLASS_GP of obol_rom.h. */
#define GP_CLASS_ID 0x0001u
extern const cos_applet_class gp_class;

/* Well-known AIDs: the ISD (GP CS 2.3, H.1.3), the ROM security domain package and
 * its SD module (what INSTALL [for install] names to create an SSD). */
extern const uint8_t gp_isd_aid_default[8]; /* A000000151000000 */
extern const uint8_t gp_rom_elf_aid[7];     /* A0000001515350 */
extern const uint8_t gp_sd_module_aid[8];   /* A000000151535041 */

/* Card life cycle states (GP CS 2.3, 5.1.1). */
#define GP_CARD_OP_READY    0x01u
#define GP_CARD_INITIALIZED 0x07u
#define GP_CARD_SECURED     0x0Fu
#define GP_CARD_LOCKED      0x7Fu
#define GP_CARD_TERMINATED  0xFFu

/* Application and SD life cycle states (GP CS 2.3, 5.3.1 and 5.3.2). */
#define GP_APP_INSTALLED   0x03u
#define GP_APP_SELECTABLE  0x07u
#define GP_SD_PERSONALIZED 0x0Fu
#define GP_APP_LOCKED      0x80u /* b8 added to the state */
#define GP_ELF_LOADED      0x01u /* executable load file (5.2.1) */

/* Privileges (GP CS 2.3, 6.6.1 Table 6-1): byte 1. */
#define GP_PRIV1_SD             0x80u
#define GP_PRIV1_DAP            0x40u /* with SD: DAP Verification */
#define GP_PRIV1_DELEGATED      0x20u /* with SD: Delegated Management */
#define GP_PRIV1_CARD_LOCK      0x10u
#define GP_PRIV1_CARD_TERMINATE 0x08u
#define GP_PRIV1_CARD_RESET     0x04u
#define GP_PRIV1_CVM            0x02u
#define GP_PRIV1_MANDATED_DAP   0x01u /* with SD and DAP */
/* byte 2 */
#define GP_PRIV2_TRUSTED_PATH    0x80u
#define GP_PRIV2_AUTHORIZED      0x40u /* Authorized Management */
#define GP_PRIV2_TOKEN           0x20u
#define GP_PRIV2_GLOBAL_DELETE   0x10u
#define GP_PRIV2_GLOBAL_LOCK     0x08u
#define GP_PRIV2_GLOBAL_REGISTRY 0x04u
#define GP_PRIV2_FINAL_APP       0x02u
#define GP_PRIV2_GLOBAL_SERVICE  0x01u

/* Shareable interfaces (cos_share_call()). GP_IFACE_OPEN: the ISD serves content
 * management to the SDs it created. GP_IFACE_PERSO: an application (or SD) accepts
 * the STORE DATA its security domain forwards after INSTALL [for personalization]
 * (GP's processData()); the input is P1 P2 || data (plain), the answer a status word
 * and response data. GP_IFACE_DAP: an SD verifies a DAP with its own key. */
#define GP_IFACE_OPEN  0x4Fu
#define GP_IFACE_PERSO 0x50u
#define GP_IFACE_DAP   0x44u

/* Key version numbers with a fixed role. KVN FF is the initial key set; 70 holds the
 * token key, 73 the DAP verification key (one AES-128 key, kid 1) of an SD. SCP02 key
 * sets are 3DES (16 bytes), SCP03 sets AES-128; the algorithm picks the protocol. */
#define GP_KVN_INITIAL 0xFFu
#define GP_KVN_TOKEN   0x70u
#define GP_KVN_DAP     0x73u

/* Security domain parameters: the value of tag C9 in the INSTALL [for install] that
 * creates an SSD (a list of TLVs, tag 1 byte, length 1 byte), and the same tags in
 * gp_isd_config. Unknown tags are refused (6A80).
 *   80 01 i    SCP02 enabled with implementation option i (15 or 55)
 *   81 01 i    SCP03 enabled with option i (00, 10, 60, 70: b5 pseudo-random card
 *              challenge, b6 R-MAC, b7 R-ENC; Amendment D 5.1)
 *   82 01 n    failed EXTERNAL AUTHENTICATEs before a key set locks (0: never)
 *   83 0A kdd  key diversification data returned by INITIALIZE UPDATE
 * Without 80 and 81 an SSD speaks SCP03 i=70. */
#define GP_SDP_SCP02      0x80u
#define GP_SDP_SCP03      0x81u
#define GP_SDP_AUTH_LIMIT 0x82u
#define GP_SDP_KDD        0x83u

#define GP_AUTH_LIMIT_DEFAULT 10u

/* What gp_isd_create() builds. Zeroed fields take the defaults. */
typedef struct gp_isd_config {
    const uint8_t *aid; /* NULL: gp_isd_aid_default */
    uint8_t aid_len;
    uint8_t scp02_i;     /* 0x15 or 0x55; 0: SCP02 off */
    uint8_t scp03;       /* 1: SCP03 on with option scp03_i; 0: SCP03 i=70 when SCP02
                            is off, else SCP03 off */
    uint8_t scp03_i;     /* 00, 10, 20, 30, 60 or 70 (with scp03 = 1) */
    uint8_t auth_limit;  /* 0: GP_AUTH_LIMIT_DEFAULT; 0xFF: never lock */
    uint8_t card_lcs;    /* 0: GP_CARD_OP_READY */
    const uint8_t *kdd;  /* 10 bytes, NULL: zeros */
    const uint8_t *cplc; /* 42 bytes (9F7F), NULL: none */
    const uint8_t *iin;  /* tag 42 value, up to 15 bytes */
    uint8_t iin_len;
    const uint8_t *cin; /* tag 45 value, up to 15 bytes */
    uint8_t cin_len;
    /* The initial key set (KVN FF): 16 bytes used as ENC, MAC and DEK, of algorithm
     * COS_ALG_DES (SCP02) or COS_ALG_AES (SCP03); NULL: the TEST key 404142..4F. */
    const uint8_t *key;
    uint8_t key_alg; /* 0: COS_ALG_AES */
    /* The ISD's privileges (GP CS 2.3, 6.6.1), all zero: the default 9E7C00 (below).
     * Security Domain is always added. An issuer that leaves out Global Delete and
     * Global Lock cannot delete or lock the content of an SSD with Authorized
     * Management (the operators' applications stay the operators'). */
    uint8_t priv[3];
} gp_isd_config;

/* Creates the issuer security domain on a powered, formatted CARD (a personalization
 * step: one NVM transaction): the instance of gp_class under the MF with the ISD's
 * privileges, its configuration and the initial key set. CFG may be NULL for the
 * defaults. Returns 0, COS_ERR_EXISTS (an ISD or the AID exists), COS_ERR_PARAM, or a
 * card OS error. */
int gp_isd_create(cos_card *card, const gp_isd_config *cfg, cos_oid *out);

/* For an applet class whose instances take STORE DATA through their security domain:
 * call it from install(); it grants GP_IFACE_PERSO to the OPEN (the ISD), which
 * forwards STORE DATA from whichever SD the instance belongs to. Returns 0,
 * COS_ERR_NOT_FOUND (the card has no ISD), or an OS error. */
int gp_accept_perso(cos_ctx *ctx);

#endif /* OBOL_APPLET_GP_H */
