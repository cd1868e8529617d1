/*
 * obol applet gp: declarations shared by the files of the card manager (gp__ names).
 *
 * Files: sd.c (the class: dispatch, install, GET DATA, STORE DATA), scp.c (session
 * set-up and secure messaging common to both protocols), scp02.c, scp03.c, mac.c
 * (MACs and key derivation on the card OS crypto engine), keys.c (key sets, PUT KEY,
 * key information, DAP), open.c (the OPEN: caller identification, registry, DELETE),
 * install.c (INSTALL), load.c (INSTALL [for load], LOAD, load files), status.c (GET
 * STATUS, SET STATUS, card life cycle), isd.c (gp_isd_create, FCI, card data), tlv.c.
 *
 * NVM objects of a security domain (cos_obj ids):
 *   GP_OBJ_CFG      every SD: its configuration and sequence counter (layout CFG_*)
 *   GP_OBJ_CARD     ISD: CPLC, IIN, CIN
 *   GP_OBJ_REG      ISD: the registry of instances (GP_REG_MAX entries of REG_*)
 *   GP_OBJ_PENDING  ISD: the load in progress (after INSTALL [for load])
 *   GP_OBJ_ELF(n)   ISD: load file n, a header (ELF_*) then the load file data block
 *
 * Transient RAM: the channel's COS_APPLET_RAM bytes hold a gp_ram (the secure channel
 * session and the state of multi-command sequences). The card OS's response buffer
 * (COS_RESP_MAX >= 512) is split: the first GP_WORK bytes take the response, the rest
 * the plain command data after unwrapping (GP_HDR bytes of header room first, so the
 * command can go to the OPEN through the shareable interface without a copy).
 */
#ifndef OBOL_APPLET_GP_INTERNAL_H
#define OBOL_APPLET_GP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gp.h"
#include "obol/cos_applet.h"
#include "obol/cos_perso.h"

/* ---- sizes -------------------------------------------------------------------------- */
#define GP_WORK        256u /* response area at the start of the response buffer */
#define GP_HDR         9u   /* header room before the plain data (OPEN call header) */
#define GP_DATA_MAX    247u /* plain command data bytes we accept */
#define GP_RESP_LIMIT  230u /* response data of a handler: R-ENC pad + R-MAC still fit */
#define GP_REG_MAX     32u  /* registry entries */
#define GP_ELF_MAX     8u   /* load files */
#define GP_ELF_MODULES 4u   /* executable modules per load file */
#define GP_KVN_MAX     8u   /* key versions an SD keeps */
#define GP_PARAMS_MAX  192u /* install parameters handed to a class */

#if COS_RESP_MAX < 512
#error "the card manager needs COS_RESP_MAX >= 512"
#endif

/* ---- NVM objects ---------------------------------------------------------------------- */
#define GP_OBJ_CFG     0x0001u
#define GP_OBJ_CARD    0x0002u
#define GP_OBJ_REG     0x0003u
#define GP_OBJ_PENDING 0x0004u
#define GP_OBJ_ELF(n)  ((uint16_t)(0x0100u + (n)))

/* Configuration (GP_OBJ_CFG). */
#define CFG_FLAGS  0u /* CF_* */
#define CFG_LCS    1u /* ISD: card life cycle state */
#define CFG_I02    2u
#define CFG_I03    3u
#define CFG_LIMIT  4u  /* failed authentications before a key set locks, 0 never */
#define CFG_SEQ    5u  /* sequence counter, 3 bytes (SCP02 uses the low 2) */
#define CFG_KDD    8u  /* key diversification data, 10 bytes */
#define CFG_KVN    18u /* KVNs of the key sets present, GP_KVN_MAX bytes, 0 = free */
#define CFG_ISDLEN 26u
#define CFG_ISD    27u /* SSD: the ISD's AID (16 bytes) */
#define CFG_SIZE   43u

#define CF_ISD   0x01u
#define CF_SCP02 0x02u
#define CF_SCP03 0x04u

/* Card data (GP_OBJ_CARD, ISD). */
#define CARD_CPLC 0u  /* 1 byte present flag then 42 bytes */
#define CARD_IIN  43u /* length then 15 bytes */
#define CARD_CIN  59u /* length then 15 bytes */
#define CARD_SIZE 75u

/* Registry entry (GP_OBJ_REG): instances created by INSTALL or extradited. */
#define REG_OID      0u /* 2 bytes, 0 = free */
#define REG_ELF      2u /* load file slot, REG_ROM, REG_NONE */
#define REG_MOD      3u /* module index */
#define REG_SD       4u /* associated security domain (2 bytes) */
#define REG_FLAGS    6u /* RF_* */
#define REG_SIZE     8u
#define REG_ROM      0xFEu
#define REG_NONE     0xFFu
#define RF_CARD_LOCK 0x01u /* locked by the card's CARD_LOCKED state */

/* Load file header (GP_OBJ_ELF). */
#define ELF_STATE  0u /* ES_* */
#define ELF_AIDLEN 1u
#define ELF_AID    2u
#define ELF_SD     18u /* associated SD (2) */
#define ELF_LEN    20u /* load file data block bytes (2) */
#define ELF_RECV   22u /* received so far (2) */
#define ELF_NEXT   24u /* next LOAD block number */
#define ELF_NMOD   25u
#define ELF_VER    26u /* version (2) */
#define ELF_HDR    32u
#define ES_LOADING 1u
#define ES_LOADED  2u

/* Pending load (GP_OBJ_PENDING). */
#define PEND_CALLER  0u /* SD that processed INSTALL [for load] (2) */
#define PEND_SD      2u /* associated SD (2) */
#define PEND_SLOT    4u
#define PEND_HASH_ON 5u
#define PEND_NDAP    6u
#define PEND_DAP     7u  /* 2 x oid of the SDs whose DAP is required */
#define PEND_DAP_OK  11u /* the DAPs verified at LOAD block 0 */
#define PEND_AIDLEN  12u
#define PEND_AID     13u
#define PEND_HASH    29u
#define PEND_SIZE    61u

/* ---- transient state ----------------------------------------------------------------- */
enum { GP_ST_NONE = 0, GP_ST_INIT = 1, GP_ST_OPEN = 2 };

#define GP_LVL_CMAC 0x01u
#define GP_LVL_CDEC 0x02u
#define GP_LVL_RMAC 0x10u
#define GP_LVL_RENC 0x20u

#define RF_LOAD  0x01u /* INSTALL [for load] accepted: LOAD may follow */
#define RF_MORE  0x02u /* GET STATUS answered 6310: the next occurrence may follow */
#define RF_PERSO 0x04u /* INSTALL [for personalization]: STORE DATA goes to perso[] */
#define RF_STORE 0x08u /* a STORE DATA sequence is open (store_next counts) */

/* The session and sequence state in the channel's applet RAM. Bytes only: the OS
 * gives no alignment for the RAM. Before EXTERNAL AUTHENTICATE the expected host
 * cryptogram waits in the first 8 bytes of u.s02.icv / u.s03.chain. */
typedef struct gp_ram {
    uint8_t state; /* GP_ST_* */
    uint8_t scp;   /* 2 or 3 */
    uint8_t level; /* security level (GP_LVL_*) */
    uint8_t kvn;   /* key set of the session */
    uint8_t i;     /* implementation option */
    uint8_t flags; /* RF_* */
    uint8_t seq[3];
    uint8_t store_next; /* next STORE DATA block number */
    uint8_t status_p1;  /* P1 of the GET STATUS that answered 6310 */
    uint8_t cursor[2];  /* where that GET STATUS stopped */
    uint8_t perso[2];   /* oid of the INSTALL [for personalization] target */
    union {
        struct {
            uint8_t s_enc[16], s_mac[16], s_rmac[16], s_dek[16];
            uint8_t icv[8];  /* ICV of the next C-MAC */
            uint8_t ricv[8]; /* ICV of the next R-MAC */
        } s02;
        struct {
            uint8_t s_enc[16], s_mac[16], s_rmac[16];
            uint8_t chain[16]; /* MAC chaining value */
            uint8_t ctr[4];    /* encryption counter, big-endian */
        } s03;
    } u;
} gp_ram;

_Static_assert(sizeof(gp_ram) <= COS_APPLET_RAM, "the GP session must fit the applet RAM");

/* One call into a security domain. */
typedef struct gp_sd {
    cos_ctx *ctx;
    gp_ram *ram; /* NULL outside a channel (shareable interface calls) */
    cos_obj cfgh;
    uint8_t cfg[CFG_SIZE];
} gp_sd;

/* A key set: ENC, MAC, DEK (kid 1, 2, 3) of one KVN and one algorithm. */
typedef struct gp_keyset {
    cos_key enc, mac, dek;
    uint8_t kvn, alg;
} gp_keyset;

/* ---- tlv.c ------------------------------------------------------------------------------ */
static inline uint16_t gp__get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline void gp__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
/* Walks a BER-TLV list P of LEN bytes: from *OFF, returns 1 with the next object (tag of
 * one or two bytes, length in the short, 81 or 82 form), 0 at the end, -1 when the list
 * is malformed. */
int gp__tlv_next(const uint8_t *p, size_t len, size_t *off, uint16_t *tag, const uint8_t **val,
                 size_t *vlen);
/* The first object with TAG at the top level of the list: 1 found, 0 absent, -1 malformed. */
int gp__tlv_find(const uint8_t *p, size_t len, uint16_t tag, const uint8_t **val, size_t *vlen);
/* Appends TAG (one or two bytes) LEN VALUE to R (LEN < 256). Returns 0 or COS_ERR_BUFFER. */
int gp__tlv_put(cos_resp *r, uint16_t tag, const void *val, size_t len);
/* Reads a length-prefixed field (len(1) value) at *P before END; 0 or -1 if it overruns. */
int gp__lv(const uint8_t **p, const uint8_t *end, const uint8_t **val, size_t *len);
/* Removes ISO/IEC 9797-1 padding method 2 (80 00..) from the end of P: 0 or -1. */
int gp__unpad(const uint8_t *p, size_t len, size_t *out);
/* 1 when the status word carries data and a response MAC (9000, 62xx, 63xx). */
int gp__sw_ok(int sw);

/* ---- mac.c ---------------------------------------------------------------------------- */
enum { GP_MAC_CMAC = 1, GP_MAC_RETAIL, GP_MAC_DES3 };

/* A streaming MAC on the card OS crypto engine (so a hardware engine serves it and the
 * cost counters see every block): AES-CMAC (NIST SP 800-38B), the retail MAC (ISO/IEC
 * 9797-1 algorithm 3, single DES then 3DES on the final block) or a full 3DES CBC-MAC
 * (algorithm 1), both with padding method 2. The key is a key object K or raw bytes. */
typedef struct gp_mac {
    cos_ctx *ctx;
    const cos_key *k;
    const uint8_t *key;
    uint8_t keylen, kind, bs, fill;
    uint8_t x[16];
    uint8_t buf[16];
} gp_mac;

int gp__mac_start(gp_mac *m, cos_ctx *ctx, int kind, const cos_key *k, const uint8_t *key,
                  size_t keylen, const uint8_t *icv);
int gp__mac_update(gp_mac *m, const void *p, size_t n);
/* Writes the full MAC (16 bytes CMAC, 8 bytes DES) to OUT and wipes M. */
int gp__mac_final(gp_mac *m, uint8_t out[16]);
/* SCP03 data derivation (Amendment D 4.1.5): LBITS of KDF output under the key (object
 * K or raw KEY of 16 bytes) with CONSTANT and context C1 || C2. */
int gp__kdf(cos_ctx *ctx, const cos_key *k, const uint8_t *key, uint8_t constant, const uint8_t *c1,
            size_t n1, const uint8_t *c2, size_t n2, uint16_t lbits, uint8_t *out);
/* SCP02 session key (GP CS 2.3 E.4.1): 3DES-CBC of K over C0 C1 || SEQ || 00 x 12. */
int gp__scp02_key(cos_ctx *ctx, const cos_key *k, uint8_t c0, uint8_t c1, const uint8_t seq[2],
                  uint8_t out[16]);
/* AES(KEY, block) and single-block helpers on raw keys. */
int gp__aes_block(cos_ctx *ctx, const uint8_t *key, const uint8_t in[16], uint8_t out[16]);

/* ---- sd.c ------------------------------------------------------------------------------- */
int gp__sd_load(cos_ctx *ctx, gp_ram *ram, gp_sd *sd);
int gp__cfg_write(gp_sd *sd, unsigned off, const void *p, size_t n);
/* The card life cycle state as the OPEN keeps it (for an SSD: asked through the OPEN). */
int gp__card_lcs(gp_sd *sd, uint8_t *lcs);
/* Processes the personalization data of an SD (STORE DATA to itself, or forwarded to it
 * through GP_IFACE_PERSO): P1 as in STORE DATA, DATA plain. Returns a status word. */
int gp__sd_store(gp_sd *sd, uint8_t p1, const uint8_t *data, size_t len);

/* ---- scp.c, scp02.c, scp03.c ----------------------------------------------------------- */
int gp__cmd_init_update(gp_sd *sd, const cos_apdu *a, cos_resp *r);
int gp__cmd_ext_auth(gp_sd *sd, const cos_apdu *a);
/* Verifies and strips the command's secure messaging: *PLAIN gets the plain command,
 * its data in BUF (GP_DATA_MAX bytes). Returns 0 or the status word to answer; a
 * security failure also closes the session. */
int gp__unwrap(gp_sd *sd, const cos_apdu *a, cos_apdu *plain, uint8_t *buf);
/* The start of unwrapping common to SCP02 and SCP03 (GP CS 2.3 E.4.4, Amendment D
 * 6.2.4): *PLAIN becomes A with the secure messaging bit of CLA cleared and its data in
 * BUF. Returns 0 when the session's level has no C-MAC and A, which must not claim
 * secure messaging, was copied to BUF; 1 when A carries a C-MAC to check, in its last 8
 * bytes (*BLEN gets the length before them); or COS_SW_SECURITY, the session closed,
 * when A's secure messaging does not match the level. */
int gp__unwrap_start(gp_ram *ram, const cos_apdu *a, cos_apdu *plain, uint8_t *buf, size_t *blen);
/* Adds R-MAC / R-ENC to the response R of the plain command PLAIN answered SW. */
int gp__wrap(gp_sd *sd, const cos_apdu *plain, int sw, cos_resp *r);
void gp__session_close(gp_ram *ram);
/* Increments the SD's sequence counter in NVM. */
int gp__seq_next(gp_sd *sd);
/* Decrypts LEN bytes of sensitive data (PUT KEY key values, encrypted STORE DATA) in
 * place with the session's DEK: SCP02 3DES-ECB under the session DEK (E.4.7), SCP03
 * AES-CBC with a zero ICV under the static DEK (Amendment D 7.2). */
int gp__dek_decrypt(gp_sd *sd, uint8_t *p, size_t len);

int gp__scp02_init(gp_sd *sd, const gp_keyset *ks, const uint8_t hc[8], cos_resp *r);
int gp__scp02_auth(gp_sd *sd, const gp_keyset *ks, const cos_apdu *a);
int gp__scp02_unwrap(gp_sd *sd, const cos_apdu *a, cos_apdu *plain, uint8_t *buf);
int gp__scp02_wrap(gp_sd *sd, const cos_apdu *plain, int sw, cos_resp *r);
int gp__scp03_init(gp_sd *sd, const gp_keyset *ks, const uint8_t hc[8], cos_resp *r);
int gp__scp03_auth(gp_sd *sd, const gp_keyset *ks, const cos_apdu *a);
int gp__scp03_unwrap(gp_sd *sd, const cos_apdu *a, cos_apdu *plain, uint8_t *buf);
int gp__scp03_wrap(gp_sd *sd, const cos_apdu *plain, int sw, cos_resp *r);

/* ---- keys.c ------------------------------------------------------------------------------ */
/* Finds key set KVN (KVN < 0: the default one) usable for a secure channel. */
int gp__keyset(gp_sd *sd, int kvn, gp_keyset *ks);
int gp__cmd_put_key(gp_sd *sd, const cos_apdu *a, cos_resp *r);
/* Stores the key blocks of a PUT KEY data field (NEW_KVN || blocks), P1 old KVN, P2 first
 * kid and flags; DECRYPT says the values are encrypted under the session DEK. Appends
 * the KVN and the check values to R. Returns a status word. */
int gp__store_keys(gp_sd *sd, uint8_t p1, uint8_t p2, const uint8_t *data, size_t len, int decrypt,
                   cos_resp *r);
int gp__key_info(gp_sd *sd, cos_resp *r);
/* Checks DAP (16 bytes) = AES-CMAC(own DAP key, HASH (32 bytes)): COS_SW_OK or 6985. */
int gp__dap_check(gp_sd *sd, const uint8_t *hash, const uint8_t *dap);

/* ---- open.c: the OPEN ------------------------------------------------------------------ */
/* Call header layout before the plain data (GP_HDR bytes). */
#define OH_OP    0u
#define OH_FLAGS 1u
#define OH_AUX   2u /* 2 bytes: cursor, target, result */
#define OH_NC    4u
#define OH_CLA   5u
#define OH_INS   6u
#define OH_P1    7u
#define OH_P2    8u
enum { GP_OP_CMD = 1, GP_OP_FORWARD, GP_OP_STATE };

typedef struct gp_open {
    cos_ctx *ctx;        /* the ISD's */
    cos_app_info caller; /* the SD the command came through */
    int isd;             /* the caller is the ISD itself */
    cos_apdu cmd;        /* plain command */
    const uint8_t *fwd;  /* P1 P2 data for forwarding */
    size_t fwdlen;
    uint8_t aux[2];
    uint8_t flags;
} gp_open;

/* The OPEN's entry: IN = header (OH_*) || data from the SD with AID CLIENT. OUT gets
 * aux (2 bytes) || response data. Returns a status word or a negative fault. */
int gp__open_entry(cos_ctx *ctx, const uint8_t *client, size_t clen, const uint8_t *in,
                   size_t inlen, cos_resp *out);
/* SD side: sends the plain command PLAIN (its data at BUF + GP_HDR, the header room
 * before it) to the OPEN with OP and AUX; the response data lands in R (the aux value
 * the OPEN returns in *AUX). Returns the status word. */
int gp__open_call(gp_sd *sd, uint8_t op, const cos_apdu *plain, uint8_t *buf, uint8_t aux[2],
                  cos_resp *r);

int gp__app_by_oid(const gp_open *o, cos_oid oid, cos_app_info *out);
int gp__reg_get(gp_open *o, cos_oid oid, uint8_t e[REG_SIZE], unsigned *idx);
int gp__reg_put(gp_open *o, unsigned idx, const uint8_t e[REG_SIZE]);
int gp__reg_free(gp_open *o, unsigned *idx);
/* The SD an instance is associated with (registry first, else its ADF's owner). */
cos_oid gp__assoc(gp_open *o, const cos_app_info *app, const uint8_t *reg_entry);
/* 1 when the caller may manage content associated with SD: its own, or, for the ISD,
 * content of an SD without Authorized Management (its own included). */
int gp__may_manage(const gp_open *o, cos_oid sd);
uint8_t gp__open_lcs(gp_open *o);
int gp__open_set_lcs(gp_open *o, uint8_t lcs);
int gp__cmd_delete(gp_open *o, cos_resp *r);
/* Maps an OS fault of a content operation to a status word (6A84, 6A80, 6985), or
 * keeps a real fault negative. */
int gp__os_sw(int rc);

/* ---- install.c, load.c, status.c ------------------------------------------------------- */
int gp__cmd_install(gp_open *o, cos_resp *r);
int gp__install_load(gp_open *o, const uint8_t *d, size_t n, cos_resp *r);
int gp__cmd_load(gp_open *o, cos_resp *r);
int gp__cmd_get_status(gp_open *o, cos_resp *r);
int gp__cmd_set_status(gp_open *o, cos_resp *r);

/* A module of a load file, as parsed from NVM (offsets into the ELF object). */
typedef struct gp_module {
    uint8_t aid_len;
    uint8_t aid[16];
    uint16_t class_id;
    uint16_t fid;
    uint16_t fci_off, fci_len;
    uint16_t par_off, par_len;
    uint16_t files_off, files_end; /* the module's value, scanned for A2 */
} gp_module;

typedef struct gp_elf {
    cos_obj h;
    uint8_t hdr[ELF_HDR];
} gp_elf;

int gp__elf_open(gp_open *o, unsigned slot, gp_elf *e);
int gp__elf_find(gp_open *o, const uint8_t *aid, size_t len, unsigned *slot, gp_elf *e);
/* Module IDX of a loaded file: 0, COS_ERR_NOT_FOUND, or COS_ERR_CORRUPT. */
int gp__elf_module(gp_open *o, const gp_elf *e, unsigned idx, gp_module *m);
/* Walks the file templates of M: from *OFF, fills SPEC (its initial content read into
 * BUF of CAP bytes); 1 with a file, 0 at the end, negative on a bad template. */
int gp__elf_file(gp_open *o, const gp_elf *e, const gp_module *m, uint16_t *off, cos_ef_spec *spec,
                 uint8_t *buf, size_t cap);
int gp__elf_delete(gp_open *o, unsigned slot);

/* ---- isd.c ----------------------------------------------------------------------------- */
/* The proprietary FCI of an SD (tag 73 security domain management data, 9F65). */
size_t gp__sd_fci(uint8_t flags, uint8_t i02, uint8_t i03, uint8_t out[COS_FCI_MAX]);
/* Card recognition data (GET DATA 66). */
int gp__card_data(const gp_sd *sd, cos_resp *r);
/* The ISD of the card (gp class, owned by the issuer). */
int gp__find_isd(cos_card *card, cos_app_info *out);

#endif /* OBOL_APPLET_GP_INTERNAL_H */
