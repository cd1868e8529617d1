/*
 * obol host platform: off-card GlobalPlatform client (the TSM's engine).
 *
 * A secure channel session (SCP02 i=15/55, GP Card Specification 2.3 Appendix E;
 * SCP03, Amendment D) as seen from the host, plus builders for the card content
 * management commands a TSM scripts (GP CS 2.3 chapter 11). Nothing here talks to a
 * card: the caller transmits the APDUs these functions build and hands back what the
 * card answered.
 *
 *   host_gp_session s;
 *   host_gp_session_init(&s, HOST_GP_SCP03, 0, &keys, isd_aid, 8);
 *   host_gp_init_update(&s, host_challenge, apdu, sizeof apdu, &n);   -> transmit
 *   host_gp_open(&s, rsp, rsp_len, HOST_GP_LEVEL_CMAC, apdu, ...);     -> transmit
 *   host_gp_confirm(&s, rsp, rsp_len);                                  (EXT AUTH 9000)
 *   host_gp_wrap(&s, plain, plain_len, apdu, ...);                      -> transmit
 *   host_gp_unwrap(&s, rsp, rsp_len, out, ...);                         (R-MAC/R-ENC)
 *   host_gp_session_wipe(&s);
 *
 * APDUs are short (ISO/IEC 7816-4 cases 1-4, Lc and Le one byte each); responses are
 * data || SW1 SW2. Outputs go to (out, cap, *out_len): HOST_ERR_NOSPACE when CAP is too
 * small. The session is caller-owned plain memory (no heap, no OpenSSL objects); it
 * holds key material, so wipe it with host_gp_session_wipe(). Any failed verification
 * (card cryptogram, R-MAC) moves the session to HOST_GP_FAILED and every later call
 * returns HOST_ERR_STATE: a broken channel is never reused.
 */
#ifndef OBOL_HOST_GP_H
#define OBOL_HOST_GP_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_error.h"

enum { HOST_GP_SCP02 = 2, HOST_GP_SCP03 = 3 };

/* Security levels (EXTERNAL AUTHENTICATE P1; GP CS 2.3 E.5.2.3, Amendment D 7.1.2.1). */
enum {
    HOST_GP_LEVEL_NONE = 0x00,
    HOST_GP_LEVEL_CMAC = 0x01,
    HOST_GP_LEVEL_CDEC = 0x02, /* always with CMAC: 0x03 */
    HOST_GP_LEVEL_RMAC = 0x10,
    HOST_GP_LEVEL_RENC = 0x20 /* SCP03 only, always with CDEC, CMAC and RMAC: 0x33 */
};

/* Session states. */
enum {
    HOST_GP_IDLE = 0,  /* after host_gp_session_init() */
    HOST_GP_INIT_SENT, /* INITIALIZE UPDATE built */
    HOST_GP_AUTH_SENT, /* card authenticated, EXTERNAL AUTHENTICATE built */
    HOST_GP_OPEN,      /* EXTERNAL AUTHENTICATE answered 9000: wrap/unwrap allowed */
    HOST_GP_FAILED     /* a verification failed; wipe and start again */
};

/* A static key set as stored in the card's security domain. SCP02: three 16-byte
 * 3DES keys. SCP03: three AES keys of LEN 16, 24 or 32 bytes. KVN 0 in INITIALIZE
 * UPDATE means "the card's default key set". */
typedef struct host_gp_keys {
    uint8_t enc[32];
    uint8_t mac[32];
    uint8_t dek[32];
    size_t len;
    uint8_t kvn;
} host_gp_keys;

/* Session state; fields are private to host_gp_*.c (read-only for tests/diagnostics). */
typedef struct host_gp_session {
    int scp;       /* HOST_GP_SCP02 or HOST_GP_SCP03 */
    int state;     /* HOST_GP_* state */
    uint8_t i;     /* implementation option (SCP02: declared; SCP03: from the card) */
    uint8_t level; /* security level in force after EXTERNAL AUTHENTICATE */
    host_gp_keys keys;
    uint8_t aid[16]; /* invoking AID (SCP03 pseudo-random card challenge check) */
    size_t aid_len;
    uint8_t host_challenge[8];
    uint8_t card_challenge[8];
    uint8_t seq[3];       /* sequence counter: SCP02 2 bytes, SCP03 3 bytes (if sent) */
    uint8_t card_kvn;     /* KVN the card answered with */
    uint8_t s_enc[32];    /* session keys; SCP02 uses 16 bytes of each */
    uint8_t s_mac[32];    /* SCP02: C-MAC key */
    uint8_t s_rmac[32];   /* SCP02: R-MAC key; SCP03: S-RMAC */
    uint8_t s_dek[16];    /* SCP02 only: session DEK (PUT KEY); SCP03 uses the static DEK */
    uint8_t chain[16];    /* SCP02: ICV of the next C-MAC; SCP03: MAC chaining value */
    uint8_t ricv[8];      /* SCP02: ICV of the next R-MAC (the previous R-MAC) */
    uint32_t enc_counter; /* SCP03 encryption counter */
    uint8_t rcmd[261];    /* SCP02 R-MAC: the last command's plain header, Lc and data */
    size_t rcmd_len;
} host_gp_session;

/* Prepares S for a session with KEYS. SCP is HOST_GP_SCP02 or HOST_GP_SCP03.
 * I: SCP02 implementation option, 0x15 or 0x55 (both: 3 keys, explicit initiation,
 * C-MAC on the header as sent, ICV encrypted; 55 adds a pseudo-random card challenge,
 * which the host cannot check for SCP02 and takes as sent). SCP03: the expected option
 * or 0 to accept what the card reports. AID (up to 16 bytes) is the invoking security
 * domain's AID, used to check an SCP03 pseudo-random card challenge; NULL skips that
 * check. KEYS is copied. Returns 0 or HOST_ERR_ARG / HOST_ERR_UNSUPPORTED. */
int host_gp_session_init(host_gp_session *s, int scp, uint8_t i, const host_gp_keys *keys,
                         const uint8_t *aid, size_t aid_len);

/* Wipes every byte of S (keys included). S can then be initialized again. */
void host_gp_session_wipe(host_gp_session *s);

/* Builds INITIALIZE UPDATE `80 50 KVN 00 08 host-challenge 00` (GP CS 2.3 E.5.1,
 * Amendment D 7.1.1). HOST_CHALLENGE (8 bytes) comes from the caller so simulations
 * stay deterministic. State IDLE -> INIT_SENT. */
int host_gp_init_update(host_gp_session *s, const uint8_t host_challenge[8], uint8_t *out,
                        size_t cap, size_t *out_len);

/* Consumes the card's INITIALIZE UPDATE response RSP (data || SW), derives the session
 * keys, verifies the card cryptogram (and an SCP03 pseudo-random card challenge), then
 * builds EXTERNAL AUTHENTICATE `84 82 LEVEL 00 10 host-cryptogram C-MAC` for LEVEL.
 * Returns HOST_ERR_SW for a non-9000 status, HOST_ERR_PROTO for a malformed response
 * (length, SCP identifier, option), HOST_ERR_CRYPTOGRAM / HOST_ERR_CHALLENGE (state
 * FAILED), HOST_ERR_ARG for a level the protocol does not define.
 * State INIT_SENT -> AUTH_SENT. */
int host_gp_open(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t level,
                 uint8_t *out, size_t cap, size_t *out_len);

/* Takes the card's answer to EXTERNAL AUTHENTICATE: 9000 opens the channel (state
 * OPEN); anything else returns HOST_ERR_SW and fails the session. */
int host_gp_confirm(host_gp_session *s, const uint8_t *rsp, size_t rsp_len);

/* Protects the plain command APDU IN according to the security level: C-MAC (and
 * C-DECRYPTION of the data field) and records what the R-MAC of the answer covers.
 * Level 00 copies IN. Each call advances the MAC chain (and the SCP03 encryption
 * counter), so every wrapped command must be sent and its answer unwrapped in order.
 * HOST_ERR_ARG for a malformed APDU or one that would exceed 255 bytes of data. */
int host_gp_wrap(host_gp_session *s, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                 size_t *out_len);

/* Checks the R-MAC of the card's response RSP (data || R-MAC || SW) and decrypts
 * R-ENC data, writing plain data || SW to OUT. Without R-MAC the response is copied.
 * SCP03 responses with an error SW carry no R-MAC and are passed through. Returns
 * HOST_ERR_RMAC (state FAILED), HOST_ERR_PROTO for a bad length, HOST_ERR_PADDING. */
int host_gp_unwrap(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t *out, size_t cap,
                   size_t *out_len);

/* ---- Content management command builders (plain APDUs; wrap them separately) ------ */

/* INSTALL P1 values (GP CS 2.3 11.5.2.1); 0x0C = install and make selectable. */
enum {
    HOST_GP_INSTALL_LOAD = 0x02,
    HOST_GP_INSTALL_INSTALL = 0x04,
    HOST_GP_INSTALL_SELECTABLE = 0x08,
    HOST_GP_INSTALL_EXTRADITION = 0x10,
    HOST_GP_INSTALL_PERSO = 0x20
};

/* What an INSTALL carries; fields a P1 does not use are ignored (GP CS 2.3 11.5.2.3):
 *   for load (02): elf_aid, sd_aid, hash, params (load parameters), token;
 *   for install (04, 0C, 04|08): elf_aid, module_aid, app_aid, privileges, params
 *     (install parameters, e.g. `C9 len app-params`), token;
 *   for make selectable (08): app_aid, privileges, token;
 *   for extradition (10): sd_aid, app_aid, params (extradition parameters), token;
 *   for personalization (20): app_aid. */
typedef struct host_gp_install {
    uint8_t p1;
    const uint8_t *elf_aid;
    size_t elf_aid_len;
    const uint8_t *module_aid;
    size_t module_aid_len;
    const uint8_t *app_aid;
    size_t app_aid_len;
    const uint8_t *sd_aid;
    size_t sd_aid_len;
    const uint8_t *privileges; /* 1 or 3 bytes (GP CS 2.3 11.1.2) */
    size_t privileges_len;
    const uint8_t *hash;
    size_t hash_len;
    const uint8_t *params;
    size_t params_len;
    const uint8_t *token;
    size_t token_len;
} host_gp_install;

/* INSTALL `80 E6 P1 00 Lc data 00`. */
int host_gp_install_cmd(const host_gp_install *in, uint8_t *out, size_t cap, size_t *out_len);

/* Number of LOAD commands needed for a load file of FILE_LEN bytes sent in blocks of
 * BLOCK bytes (1..255) once the `C4 len` header is prepended; 0 if it exceeds 256. */
size_t host_gp_load_count(size_t file_len, size_t block);

/* LOAD block INDEX (0-based) of FILE: `80 E8 P1 INDEX Lc block 00`, P1 80 on the last
 * block (GP CS 2.3 11.6). The first block starts with the Load File Data Block tag C4
 * and its BER length. *LAST is set to 1 on the last block (may be NULL). */
int host_gp_load_cmd(const uint8_t *file, size_t file_len, size_t block, size_t index, uint8_t *out,
                     size_t cap, size_t *out_len, int *last);

/* DELETE `80 E4 00 P2 Lc 4F len AID 00`, P2 80 when RELATED (delete the object and
 * its related objects) (GP CS 2.3 11.2). */
int host_gp_delete_cmd(const uint8_t *aid, size_t aid_len, int related, uint8_t *out, size_t cap,
                       size_t *out_len);

/* PUT KEY `80 D8 OLD_KVN P2 Lc NEW_KVN key-blocks 00` replacing (OLD_KVN != 0) or
 * creating (OLD_KVN 0) a key set of NKEYS keys of KEYLEN bytes each, stored back to
 * back in KEYS, identifiers FIRST_ID, FIRST_ID+1, ... (GP CS 2.3 11.8; P2 b8 set when
 * NKEYS > 1). S must be OPEN: the key data is encrypted under the DEK of the session's
 * protocol, SCP02: 3DES-ECB under the session DEK (E.4.7), key block `80 10 enc 03 KCV`;
 * SCP03: AES-CBC with zero ICV under the static DEK (Amendment D 7.2), key block
 * `88 len keylen enc 03 KCV`, KEYLEN 16, 24 or 32 (24 zero-padded to 32). */
int host_gp_put_key_cmd(const host_gp_session *s, uint8_t old_kvn, uint8_t new_kvn,
                        uint8_t first_id, const uint8_t *keys, size_t nkeys, size_t keylen,
                        uint8_t *out, size_t cap, size_t *out_len);

/* STORE DATA P1 bits (GP CS 2.3 11.11.2.1). */
enum {
    HOST_GP_STORE_LAST = 0x80,
    HOST_GP_STORE_ENC_APP = 0x20,
    HOST_GP_STORE_ENCRYPTED = 0x60,
    HOST_GP_STORE_DGI = 0x08,
    HOST_GP_STORE_BERTLV = 0x10
};

/* STORE DATA `80 E2 P1 BLOCK Lc data` (case 3). */
int host_gp_store_data_cmd(uint8_t p1, uint8_t block, const uint8_t *data, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len);

/* SET STATUS `80 F0 P1 P2 [Lc AID]` (GP CS 2.3 11.10): P1 80 ISD (AID may be empty),
 * 40 application or SD, 60 SD and its associated applications; P2 the new state. */
int host_gp_set_status_cmd(uint8_t p1, uint8_t state, const uint8_t *aid, size_t aid_len,
                           uint8_t *out, size_t cap, size_t *out_len);

/* GET STATUS `80 F2 P1 P2 Lc 4F len AID 00` in response format 2 (P2 02, or 03 for the
 * next occurrence after 6310) (GP CS 2.3 11.4). P1 80 ISD, 40 applications and SDs,
 * 20 load files, 10 load files and modules. AID filters by prefix; may be empty. */
int host_gp_get_status_cmd(uint8_t p1, int next, const uint8_t *aid, size_t aid_len, uint8_t *out,
                           size_t cap, size_t *out_len);

#endif /* OBOL_HOST_GP_H */
