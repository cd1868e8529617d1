/*
 * obol card OS: the applet interface and the services the OS offers applets.
 *
 * Applets are native C modules (as in canokey-core) sharing one small interface:
 * install, select, deselect, process APDU, power off, and an optional shareable
 * entry. Their code is registered in ROM by class (the const table passed in
 * cos_card_config); their instances live in NVM, each as an ADF (an application DF
 * with the instance's AID as DF name) that also records the class id, a GlobalPlatform
 * life cycle byte, privileges and the owning security domain. Whatever an instance
 * creates (files, keys, PINs, data objects, grants) lies in its ADF's subtree and is
 * its own: the OS services below take the calling context (cos_ctx) and refuse
 * objects of any other instance with COS_ERR_ACCESS. The only way to another
 * instance's data is its shareable interface, which it grants to a named client AID.
 *
 * The FMCOS/PBOC model: an applet answers its proprietary commands (CLA 80/84) in
 * process() and hands standard ISO commands back with COS_PROCESS_OS, so the OS's
 * file system serves the applet's ADF (READ RECORD of its log, UPDATE BINARY with
 * line protection, VERIFY of its PIN...).
 *
 * Return conventions (STYLE.md, two channels of failure):
 *   process()  a status word (0x6000-0x9FFF), COS_PROCESS_OS, or a negative COS_ERR_*
 *              (the dispatcher answers 6F00, records the fault, aborts a transaction);
 *   install(), select(), share()  0 to accept, a status word to refuse, or negative.
 * An applet that returns with a transaction open gets it aborted (as in Java Card).
 */
#ifndef OBOL_COS_APPLET_H
#define OBOL_COS_APPLET_H

#include <stddef.h>
#include <stdint.h>

#include "cos_apdu.h"
#include "cos_card.h"
#include "cos_err.h"
#include "cos_hal.h"

/* The context of one call into an applet. Built by the OS on its stack; the applet
 * passes it to every OS service and must not keep it after returning. */
typedef struct cos_ctx {
    cos_card *card; /* for the OS; applets should not touch it directly */
    cos_oid inst;   /* the instance this call runs for (its ADF) */
    uint8_t chan;   /* logical channel of the command, 0xFF outside one */
    uint8_t *ram;   /* COS_APPLET_RAM transient bytes on CHAN while selected, else NULL */
} cos_ctx;

/* process(): let the card OS handle this command itself (ISO commands on the ADF). */
#define COS_PROCESS_OS 0

/* Class flags. */
#define COS_CLASS_MULTISELECT 0x01u /* may be selected on two channels at once */

struct cos_applet_class {
    uint16_t id;   /* stable class id, stored in NVM with each instance */
    uint8_t flags; /* COS_CLASS_* */
    uint8_t module_aid_len;
    const uint8_t *module_aid; /* executable module AID for GP INSTALL (may be NULL) */
    const char *name;
    /* Called once when an instance is created (its ADF exists, empty), inside an NVM
     * transaction: create files, keys, objects from PARAMS (install parameters).
     * NULL: nothing to do. */
    int (*install)(cos_ctx *ctx, const uint8_t *params, size_t len);
    /* Called when the instance becomes selected on ctx->chan (RAM already zeroed). */
    int (*select)(cos_ctx *ctx);
    /* Called when it stops being selected on ctx->chan (another DF selected, channel
     * closed, reset). May be NULL. */
    void (*deselect)(cos_ctx *ctx);
    /* Every command on a channel where the instance is selected, except SELECT,
     * MANAGE CHANNEL and GET RESPONSE. RESP has room for COS_RESP_MAX bytes; the OS
     * applies Le (6Cxx, 61xx) to what the applet put there. */
    int (*process)(cos_ctx *ctx, const cos_apdu *cmd, cos_resp *resp);
    /* At an orderly power off, for instances selected on some channel. May be NULL. */
    void (*power_off)(cos_ctx *ctx);
    /* The shareable interface: called by the OS for a client whose AID the server
     * granted interface IFACE (cos_share_grant()); ctx is the server's. May be NULL. */
    int (*share)(cos_ctx *ctx, const uint8_t *client_aid, size_t client_len, uint8_t iface,
                 const uint8_t *in, size_t inlen, cos_resp *out);
};

/* ---- identity, time, randomness ----------------------------------------------------- */

/* Copies the instance's AID into AID (COS_AID_MAX bytes) and returns its length, or
 * a negative error. */
int cos_app_aid(cos_ctx *ctx, uint8_t aid[COS_AID_MAX]);
/* The time passed in by the caller of the current cos_transmit(). */
uint64_t cos_now(const cos_ctx *ctx);
/* LEN random bytes from the HAL. Returns 0 or COS_ERR_RNG. */
int cos_random(cos_ctx *ctx, uint8_t *buf, size_t len);

/* ---- transactions -------------------------------------------------------------------- */

/* All NVM writes between begin and commit reach NVM all together or not at all, even
 * across power loss (rolled back at the next power on). No nesting: begin inside a
 * transaction returns COS_ERR_TXN_STATE; commit/abort outside one too. */
int cos_txn_begin(cos_ctx *ctx);
int cos_txn_commit(cos_ctx *ctx);
int cos_txn_abort(cos_ctx *ctx);
int cos_txn_is_open(const cos_ctx *ctx);

/* ---- private data objects ------------------------------------------------------------ */

/* A handle to one of the instance's NVM data objects (a byte array of LEN bytes). */
typedef struct cos_obj {
    cos_oid oid;
    uint16_t len;
} cos_obj;

/* Creates data object ID (the applet's own numbering) of LEN bytes, zero-filled.
 * Returns 0, COS_ERR_EXISTS, COS_ERR_NO_SPACE, or an NVM error. */
int cos_obj_create(cos_ctx *ctx, uint16_t id, uint16_t len, cos_obj *out);
/* Finds the instance's object ID. Returns 0 or COS_ERR_NOT_FOUND. */
int cos_obj_open(cos_ctx *ctx, uint16_t id, cos_obj *out);
/* Reads/writes LEN bytes at OFF. Writes are part of the open transaction, or atomic
 * on their own when none is open. Returns 0, COS_ERR_RANGE, COS_ERR_ACCESS (the
 * handle names another instance's object: the firewall), or an NVM error. */
int cos_obj_read(cos_ctx *ctx, const cos_obj *o, uint16_t off, void *buf, uint16_t len);
int cos_obj_write(cos_ctx *ctx, const cos_obj *o, uint16_t off, const void *buf, uint16_t len);
/* A write outside any transaction, even when one is open (it survives an abort):
 * for try counters that must count an attempt whatever happens next. Atomic only
 * per byte. */
int cos_obj_write_direct(cos_ctx *ctx, const cos_obj *o, uint16_t off, const void *buf,
                         uint16_t len);
int cos_obj_delete(cos_ctx *ctx, const cos_obj *o);

/* ---- the instance's files -------------------------------------------------------------- */

#define COS_EF_TRANSPARENT 0x20u
#define COS_EF_LINEAR      0x21u /* linear fixed */
#define COS_EF_CYCLIC      0x22u

typedef struct cos_ef {
    cos_oid oid;
    uint8_t type; /* COS_EF_* */
    uint8_t sfi;
    uint8_t reclen; /* record files */
    uint8_t nrec;   /* record files: capacity */
    uint16_t size;  /* data bytes */
} cos_ef;

/* Access conditions. A PIN or key reference r (1..15) is resolved from the file's
 * DF upwards (nearest first); r = 0 means the first PIN / key of that usage found. */
#define COS_AC_ALWAYS  0x00u
#define COS_AC_PIN(r)  (0x10u | ((r)&0x0Fu)) /* PIN r verified on this channel */
#define COS_AC_AUTH(r) (0x20u | ((r)&0x0Fu)) /* EXTERNAL AUTHENTICATE with key r passed */
#define COS_AC_SM(r)   (0x30u | ((r)&0x0Fu)) /* line protection MAC with key r (CLA 04) */
#define COS_AC_NEVER   0xFFu                 /* (as every undefined value) */

typedef struct cos_ef_spec {
    uint16_t fid;
    uint8_t sfi;         /* 1..30, 0: none */
    uint8_t type;        /* COS_EF_TRANSPARENT, COS_EF_LINEAR, COS_EF_CYCLIC */
    uint8_t ac_read;     /* COS_AC_* for READ BINARY / READ RECORD */
    uint8_t ac_write;    /* COS_AC_* for UPDATE BINARY / UPDATE and APPEND RECORD */
    uint16_t size;       /* transparent: bytes */
    uint8_t reclen;      /* records: record length 1..255 */
    uint8_t nrec;        /* records: capacity 1..254 */
    const uint8_t *init; /* transparent: initial content (else zeros); records: NINIT
                            records of RECLEN bytes appended in order */
    uint16_t init_len;   /* bytes of INIT */
} cos_ef_spec;

/* Creates an EF described by SPEC as a child of the instance's ADF (from install(),
 * typically). Returns 0, COS_ERR_EXISTS (FID taken), COS_ERR_NO_SPACE, COS_ERR_PARAM. */
int cos_ef_create(cos_ctx *ctx, const cos_ef_spec *spec, cos_ef *out);
/* Finds an EF of the instance's ADF subtree by file identifier, or a child of the
 * ADF by short EF identifier. Returns 0 or COS_ERR_NOT_FOUND. Access conditions do
 * not apply: the applet owns its files. */
int cos_ef_open(cos_ctx *ctx, uint16_t fid, cos_ef *out);
int cos_ef_open_sfi(cos_ctx *ctx, uint8_t sfi, cos_ef *out);
/* Transparent EFs. Returns 0, COS_ERR_RANGE, COS_ERR_ACCESS, COS_ERR_PARAM. */
int cos_ef_read(cos_ctx *ctx, const cos_ef *ef, uint16_t off, void *buf, uint16_t len);
int cos_ef_write(cos_ctx *ctx, const cos_ef *ef, uint16_t off, const void *buf, uint16_t len);
/* Record EFs. Record numbers as in READ RECORD (for a cyclic EF, 1 is the newest).
 * read returns the record length or COS_ERR_NOT_FOUND; update needs LEN == reclen;
 * append writes the next record of a linear EF (COS_ERR_NO_SPACE when full) or the
 * new record 1 of a cyclic EF (overwriting the oldest). */
int cos_ef_read_record(cos_ctx *ctx, const cos_ef *ef, uint8_t recno, void *buf, size_t cap);
int cos_ef_update_record(cos_ctx *ctx, const cos_ef *ef, uint8_t recno, const void *data,
                         uint8_t len);
int cos_ef_append_record(cos_ctx *ctx, const cos_ef *ef, const void *data, uint8_t len);

/* ---- keys -------------------------------------------------------------------------------- */

/* Key algorithms. */
#define COS_ALG_DES 0x01u /* DES / 3DES: 8, 16 or 24 bytes */
#define COS_ALG_AES 0x02u /* 16, 24 or 32 bytes */
#define COS_ALG_SM4 0x03u /* 16 bytes */

/* Key usages known to the OS; 0x80-0xFF are for applets (PBOC: purchase, load, TAC
 * keys...), 0x20 for GlobalPlatform key sets (kid 1 ENC, 2 MAC, 3 DEK, kver = KVN). */
#define COS_KEY_ANY       0x00u
#define COS_KEY_EXT_AUTH  0x01u /* EXTERNAL AUTHENTICATE: the card checks the terminal */
#define COS_KEY_INT_AUTH  0x02u /* INTERNAL AUTHENTICATE: the card proves itself */
#define COS_KEY_SM_MAC    0x03u /* line protection MAC (CLA 04/84) */
#define COS_KEY_APP_MAINT 0x04u /* APPLICATION BLOCK/UNBLOCK, CARD BLOCK (MAC) */
#define COS_KEY_GP        0x20u /* GlobalPlatform secure channel keys */
#define COS_KEY_APPLET    0x80u /* first applet-defined usage */

/* A key object: identity (usage, kid = id/index, kver = version/KVN), algorithm,
 * length and error counter (err_max 0: unlimited). */
typedef struct cos_key {
    cos_oid oid;
    uint8_t usage, kid, kver, alg, len, err_left, err_max;
} cos_key;

/* What cos_key_put() and cos_perso_key() store. */
typedef struct cos_key_spec {
    uint8_t usage, kid, kver, alg, len;
    uint8_t err_max; /* tries before the key blocks; 0 unlimited */
    const uint8_t *value;
} cos_key_spec;

/* Finds the instance's key with USAGE (COS_KEY_ANY: any) and KID, of version KVER,
 * or of any version when KVER is negative. Returns 0 or COS_ERR_NOT_FOUND. */
int cos_key_find(cos_ctx *ctx, uint8_t usage, uint8_t kid, int kver, cos_key *out);
/* Creates a key in the instance's ADF, or replaces the value, algorithm and counter
 * of the one with the same usage, kid and kver (atomically). */
int cos_key_put(cos_ctx *ctx, const cos_key_spec *spec, cos_key *out);
int cos_key_delete(cos_ctx *ctx, const cos_key *k);
/* Copies the key value into BUF (CAP >= k->len) for derivations; wipe it after use.
 * Returns the length or COS_ERR_ACCESS / COS_ERR_BUFFER. */
int cos_key_read(cos_ctx *ctx, const cos_key *k, uint8_t *buf, size_t cap);
/* Cipher LEN bytes with key K (cos_cipher_op modes); counts blocks. Returns 0,
 * COS_ERR_CRYPTO (blocked key, bad length), COS_ERR_ACCESS. */
int cos_key_cipher(cos_ctx *ctx, const cos_key *k, unsigned mode, uint8_t *iv, const uint8_t *in,
                   uint8_t *out, size_t len);
/* MAC with key K over DATA from ICV (NULL: zero); see cos_mac(). */
int cos_key_mac(cos_ctx *ctx, const cos_key *k, const uint8_t *icv, const uint8_t *data, size_t len,
                uint8_t out[16]);
/* Error counter: failed() decrements (a direct write, surviving any abort) and
 * returns the tries left; succeeded() restores err_max. */
int cos_key_failed(cos_ctx *ctx, cos_key *k);
int cos_key_succeeded(cos_ctx *ctx, cos_key *k);

/* ---- crypto with session keys (RAM), counted in the card's cost ------------------------ */

/* Block cipher through the HAL crypto engine (soft crypto by default). */
int cos_cipher(cos_ctx *ctx, uint8_t alg, const uint8_t *key, size_t keylen, unsigned mode,
               uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len);
/* MAC over DATA with ISO/IEC 9797-1 padding method 2 (80 00..) and initial value ICV
 * (NULL: zero). DES: an 8-byte key gives MAC algorithm 1 (single-DES CBC-MAC), a
 * 16-byte key MAC algorithm 3 (retail MAC: single DES with the left half, the final
 * block 3DES), as EMV/PBOC specify for double-length keys; 8 bytes out. AES, SM4:
 * CBC-MAC, 16 bytes out. Returns the MAC length or a negative error. */
int cos_mac(cos_ctx *ctx, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
            const uint8_t *data, size_t len, uint8_t out[16]);

/* Checks the line-protection MAC (CLA 04/84) of CMD with key K: the last 4 data bytes
 * are MAC(K, ICV = challenge from the last GET CHALLENGE padded with zeros to a
 * block, CLA INS P1 P2 Lc || data without the MAC). Consumes the challenge; a wrong
 * MAC decrements K's error counter. Returns COS_SW_OK or the status word to answer:
 * 6700 (no room for a MAC), 6984 (no challenge), 6983 (key blocked), 6988 (wrong). */
int cos_sm_verify(cos_ctx *ctx, const cos_apdu *cmd, cos_key *k);

/* ---- cardholder verification ---------------------------------------------------------- */

/* Whether PIN REF (1..31) has been verified on the calling channel, the PIN being
 * resolved from the instance's ADF upwards as access conditions resolve it (the ADF's
 * own PIN REF first, then its parents'). For applets whose commands need the
 * cardholder (the PBOC ED purse). Returns 1 verified, 0 not verified (or no such
 * PIN), or a negative fault. */
int cos_pin_verified(cos_ctx *ctx, uint8_t ref);

/* ---- shareable interfaces ---------------------------------------------------------------- */

/* Server side: allow the instance with AID CLIENT to call interface IFACE (stored in
 * NVM under the server's ADF). Revoke removes the grant. */
int cos_share_grant(cos_ctx *ctx, const uint8_t *client, size_t len, uint8_t iface);
int cos_share_revoke(cos_ctx *ctx, const uint8_t *client, size_t len, uint8_t iface);
/* Client side: calls interface IFACE of the instance SERVER with IN; the server's
 * class share() runs with the server's context and writes into OUT. Returns the
 * server's result (0 or a status word), COS_ERR_NOT_FOUND (no such server),
 * COS_ERR_ACCESS (no grant for the caller's AID), or a fault. */
int cos_share_call(cos_ctx *ctx, const uint8_t *server, size_t len, uint8_t iface,
                   const uint8_t *in, size_t inlen, cos_resp *out);

#endif /* OBOL_COS_APPLET_H */
