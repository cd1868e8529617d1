/*
 * obol host platform: the key store, an HSM-like boundary around the master keys.
 *
 * Master keys (per issuer, per industry, per usage, by version) live in the platform
 * database wrapped under a local storage key (AES-256-GCM, the key's identity bound as
 * associated data), and they never leave this module in clear: callers ask for work
 * done with them —
 *   "verify this TAC for card serial S, key version V"  host_hsm_purchase_tac_verify()
 *   "compute MAC2 for this load" (after checking MAC1)   host_hsm_load_mac2()
 *   "derive the keys for personalizing card S"           host_hsm_card_keys()
 *   "the card's GlobalPlatform keys" (TSM sessions)      host_hsm_card_gp_keys()
 *   "load a PSAM with master key K"                      host_hsm_psam_put_key()
 * and get dispersed (card-level) keys, MACs, or key data encrypted for a secure
 * channel. Every key in this project is a TEST key: import and generation refuse a
 * label that does not say "TEST".
 *
 * Dispersion (PBOC 2.0; PROTOCOLS.md "PSAM"): a one-level master key MK gives the
 * card key Div(MK, serial); a two-level one Div(Div(MK, issuer code), serial), with
 * Div(K, F) = 3DES(K, F) || 3DES(K, NOT F), the serial and the issuer code as 8 bytes
 * big-endian. GlobalPlatform card keys (usage HOST_KEY_GP, AES-128 for SCP03) are
 * obol's choice, documented in docs/host-platform.md: ENC/MAC/DEK = the NIST SP 800-108
 * counter-mode AES-CMAC KDF of SCP03 with constants 01/02/03 and the serial as context.
 *
 * The storage key is the caller's (32 bytes; a simulator derives it from its seed, a
 * deployment from wherever it keeps secrets); the first host_hsm_open() on a database
 * records a check value, later opens with another key fail with HOST_ERR_KEY.
 *
 * A host_hsm is owned by the caller, bound to one host_db (which must outlive it),
 * single-threaded. It caches unwrapped master keys and derived TAC keys in memory,
 * wiped at host_hsm_close().
 */
#ifndef OBOL_HOST_HSM_H
#define OBOL_HOST_HSM_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_crypto.h"
#include "obol/host_db.h"
#include "obol/host_gp.h"

typedef struct host_hsm host_hsm;

/* Key usages. */
enum {
    HOST_KEY_PURCHASE = 1, /* MPK: card DPK (SESPK, purchase MAC1/MAC2) */
    HOST_KEY_LOAD = 2,     /* MLK: card DLK (SESLK, load MAC1/MAC2) */
    HOST_KEY_TAC = 3,      /* MTK: card DTK (TAC) */
    HOST_KEY_GP = 4        /* KMC: card ISD keys for SCP03 (AES-128) */
};

/* Industries: the application a master key serves. Numbers are the platform's own. */
enum { HOST_INDUSTRY_FINANCE = 0, HOST_INDUSTRY_TRANSIT = 1, HOST_INDUSTRY_SOCIAL = 2 };

/* A master key's identity. */
typedef struct host_key_id {
    uint64_t issuer;   /* issuer/city code (8 bytes as a number), registered (host_issue.h) */
    uint32_t industry; /* HOST_INDUSTRY_* */
    uint8_t usage;     /* HOST_KEY_* */
    uint8_t version;   /* the key version the card announces (0..255) */
} host_key_id;

/* What may be known about a master key: everything but the key. */
typedef struct host_key_info {
    host_key_id id;
    uint8_t levels; /* dispersion levels, 1 or 2 */
    uint8_t kcv[3]; /* DES (3DES(key, 0^8)) or AES (AES(key, 1^16)) check value */
    char label[64];
    int64_t created;
} host_key_info;

/* Opens the key store of DB with the 32-byte STORAGE_KEY (copied and kept until
 * close). Returns 0, HOST_ERR_KEY (the database was set up with another storage key),
 * HOST_ERR_NOMEM, or a store error. */
int host_hsm_open(host_db *db, const uint8_t storage_key[32], host_hsm **out);

/* Wipes the caches and the storage key and frees HSM. NULL is a no-op. */
void host_hsm_close(host_hsm *hsm);

/* Creates master key ID with a fresh random value (OpenSSL's RAND). LEVELS is 1 or 2
 * (the PSAM's dispersion; ignored for HOST_KEY_GP). LABEL must contain "TEST". KCV
 * (may be NULL) receives the check value. HOST_ERR_DUPLICATE if ID exists,
 * HOST_ERR_NOTFOUND if the issuer is not registered. */
int host_hsm_key_generate(host_hsm *hsm, const host_key_id *id, uint8_t levels, const char *label,
                          uint8_t kcv[3]);

/* The same with a known 16-byte value: the TEST master keys that card profiles and
 * PSAM profiles are personalized from. The value is wrapped at once; the caller
 * should wipe its copy. */
int host_hsm_key_import(host_hsm *hsm, const host_key_id *id, uint8_t levels, const char *label,
                        const uint8_t key[16], uint8_t kcv[3]);

/* Everything about master key ID except its value. HOST_ERR_NOTFOUND. */
int host_hsm_key_info(host_hsm *hsm, const host_key_id *id, host_key_info *out);

/* ---- personalization ------------------------------------------------------------- */

/* A card's dispersed purse keys (16-byte 3DES each) for key version VERSION. */
typedef struct host_card_keys {
    uint8_t version;
    uint8_t dpk[16]; /* purchase */
    uint8_t dlk[16]; /* load */
    uint8_t dtk[16]; /* TAC */
} host_card_keys;

/* Derives card SERIAL's purse keys from the purchase, load and TAC master keys of
 * (ISSUER, INDUSTRY, VERSION). The caller owns OUT and must wipe it (host_wipe())
 * once the keys are on their way through a secure channel. HOST_ERR_NOTFOUND when a
 * master key is missing; HOST_ERR_KEY when one does not unwrap. */
int host_hsm_card_keys(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                       uint64_t serial, host_card_keys *out);

/* Derives card SERIAL's SCP03 ISD key set (AES-128 ENC, MAC, DEK; KVN = KVN) from the
 * HOST_KEY_GP master key of (ISSUER, INDUSTRY, KVN). Same ownership as above. */
int host_hsm_card_gp_keys(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t kvn,
                          uint64_t serial, host_gp_keys *out);

/* ---- transaction cryptography ---------------------------------------------------- */

/* Verifies a purchase TAC (types 05, 06, 09) of card SERIAL under TAC master key
 * version VERSION: 0, HOST_ERR_MAC, HOST_ERR_NOTFOUND (no such key version). Derived
 * TAC keys are cached, so a settlement run pays the dispersion once per card. */
int host_hsm_purchase_tac_verify(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                                 uint64_t serial, const host_pboc_purchase *p,
                                 const uint8_t tac[4]);

/* Verifies a load TAC (types 01, 02): same returns. */
int host_hsm_load_tac_verify(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                             uint64_t serial, const host_pboc_load *l, const uint8_t tac[4]);

/* Online load: derives SESLK from the card's DLK (load key version VERSION), checks
 * the card's MAC1 over L (old balance, amount, type, terminal id) and, when it
 * verifies, computes MAC2 over amount, type, terminal id, date and time.
 * RANDOM is the card random and L->online_counter the counter from INITIALIZE FOR
 * LOAD. Returns 0 with MAC2 set, HOST_ERR_MAC (MAC1 wrong; MAC2 untouched),
 * HOST_ERR_NOTFOUND. */
int host_hsm_load_mac2(host_hsm *hsm, uint64_t issuer, uint32_t industry, uint8_t version,
                       uint64_t serial, const uint8_t random[4], const host_pboc_load *l,
                       const uint8_t mac1[4], uint8_t mac2[4]);

/* ---- PSAM key loading ------------------------------------------------------------ */

/* Builds the PUT KEY that loads master key ID into a PSAM through the open SCP02
 * session S (GP CS 2.3 11.8: key data 3DES-ECB under the session DEK, `80 10 ...
 * 03 KCV`), key identifier KEY_ID, new key version NEW_KVN replacing OLD_KVN (0:
 * create). The master key exists in clear only inside this call. KCV (may be NULL)
 * receives the key's check value for the caller to compare with the PSAM's answer.
 * Wrap the APDU with host_gp_wrap() before sending. HOST_ERR_UNSUPPORTED for an
 * SCP03 session (its PUT KEY carries AES key blocks), HOST_ERR_STATE when S is not
 * open. */
int host_hsm_psam_put_key(host_hsm *hsm, const host_key_id *id, const host_gp_session *s,
                          uint8_t old_kvn, uint8_t new_kvn, uint8_t key_id, uint8_t *out,
                          size_t cap, size_t *out_len, uint8_t kcv[3]);

/* Counters for benchmarks and tests. */
typedef struct host_hsm_stats {
    uint64_t tac_verified;    /* TAC verifications done (either result) */
    uint64_t tac_failed;      /* of which did not verify */
    uint64_t tac_key_derived; /* TAC keys dispersed (cache misses) */
    uint64_t unwraps;         /* master keys unwrapped from the store */
} host_hsm_stats;

void host_hsm_get_stats(const host_hsm *hsm, host_hsm_stats *out);

#endif /* OBOL_HOST_HSM_H */
