/*
 * obol card OS: declarations shared between the files of cardsim/src (cos__ names).
 *
 * NVM format (all integers big-endian), version 1:
 *
 *   0   header, 32 bytes: magic "OBC1", version, card LCS, options, align,
 *       image size (4), journal offset (2), journal size (2), heap offset (4),
 *       MF object id (2), 10 bytes reserved.
 *   32  journal: one count byte, then undo records {offset (4), length (2), old bytes}.
 *   ..  heap: a chain of objects covering the rest of the image, each aligned to
 *       COS_NVM_ALIGN and starting with an 8-byte header:
 *         type (1), lcs (1), size in align units incl. header (2), parent id (2), id (2)
 *       The object id (cos_oid) is the object's offset / COS_NVM_ALIGN.
 *
 * Object bodies (after the header):
 *   FREE   -
 *   DF     ac_create, ac_delete, namelen, fcilen, name, fci          (id = FID)
 *   ADF    class id (2), GP lcs, privileges (3), SD id (2), then a DF body
 *   EF     sfi, ac_read, ac_write, reclen, nrec, nused, newest, rfu, size (2), data
 *   PIN    tries left, tries max, len, maxlen, puk ref, rfu, value[maxlen] (id = ref)
 *   KEY    usage, kid, kver, alg, len, err left, err max, rfu, value[len]
 *   DATA   len (2), bytes                                (id = applet's object id)
 *   GRANT  iface, aid len, aid                            (parent = server ADF)
 * The parent of a file, PIN or key is its DF; of a DATA or GRANT object the owning
 * ADF. The owner of any object is its nearest ADF ancestor (or the OS when none).
 */
#ifndef OBOL_COS_INTERNAL_H
#define OBOL_COS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "obol/cos.h"
#include "obol/cos_applet.h"
#include "obol/cos_perso.h"

/* ---- NVM header ---------------------------------------------------------------------- */
#define COS__HDR_SIZE    32u
#define COS__HDR_STATE   5u
#define COS__HDR_OPTIONS 6u
#define COS__MAGIC       "OBC1"
#define COS__VERSION     1u

/* ---- object types ---------------------------------------------------------------------- */
#define COS__T_FREE 0x01u
#define COS__T_DF   0x10u
#define COS__T_ADF  0x11u
/* EF types are COS_EF_TRANSPARENT 0x20, COS_EF_LINEAR 0x21, COS_EF_CYCLIC 0x22 */
#define COS__T_PIN   0x30u
#define COS__T_KEY   0x31u
#define COS__T_DATA  0x40u
#define COS__T_GRANT 0x41u

#define COS__OBJ_HDR  8u
#define COS__IS_DF(t) ((t) == COS__T_DF || (t) == COS__T_ADF)
#define COS__IS_EF(t) ((t) >= 0x20u && (t) <= 0x22u)

/* Body layouts (offsets within the body). */
#define COS__ADF_APP 8u /* the app part before the DF body of an ADF */
#define COS__EF_HDR  10u
#define COS__PIN_HDR 6u
#define COS__KEY_HDR 8u

/* A RAM copy of an object header. */
typedef struct cos__obj {
    uint32_t off;  /* NVM offset of the header */
    uint32_t size; /* bytes including the header */
    uint8_t type, lcs;
    cos_oid parent;
    uint16_t id;
} cos__obj;

/* A DF's description. */
typedef struct cos__df {
    cos__obj o;
    uint8_t namelen, fcilen;
    uint8_t name[COS_AID_MAX];
    /* ADF only */
    uint16_t class_id;
    uint8_t gp_lcs;
    uint8_t priv[3];
    cos_oid sd;
    uint32_t fci_off; /* NVM offset of the FCI bytes */
} cos__df;

/* An EF's description. */
typedef struct cos__ef {
    cos__obj o;
    uint8_t sfi, ac_read, ac_write, reclen, nrec, nused, newest;
    uint16_t size;
    uint32_t data; /* NVM offset of the data */
} cos__ef;

typedef struct cos__pin {
    cos__obj o;
    uint8_t left, max, len, maxlen, puk;
} cos__pin;

/* ---- helpers ---------------------------------------------------------------------------- */
static inline uint16_t cos__get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t cos__get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void cos__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void cos__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t cos__oid_off(cos_oid oid)
{
    return (uint32_t)oid * COS_NVM_ALIGN;
}
static inline cos_oid cos__off_oid(uint32_t off)
{
    return (cos_oid)(off / COS_NVM_ALIGN);
}

/* ---- nvm.c: raw access, journal, transactions ------------------------------------------- */
int cos__nvm_read(cos_card *c, uint32_t off, void *buf, size_t len);
/* A write that bypasses the journal (counted, power-loss aware). */
int cos__nvm_write_raw(cos_card *c, uint32_t off, const void *buf, size_t len);
/* A write inside the open transaction (journaled unless the range is fresh); with no
 * transaction open, a write of more than one byte is made atomic on its own. */
int cos__nvm_write(cos_card *c, uint32_t off, const void *buf, size_t len);
/* Transactions. enter() opens one or joins the open one; leave() commits what enter()
 * opened when OK is true and rolls back otherwise, returning RC or the commit error. */
int cos__txn_begin(cos_card *c);
int cos__txn_commit(cos_card *c);
int cos__txn_abort(cos_card *c);
int cos__txn_enter(cos_card *c);
int cos__txn_leave(cos_card *c, int rc, int ok);
void cos__txn_fresh(cos_card *c, uint32_t off, uint32_t len);
/* Rolls back a torn transaction found in the journal (power on). */
int cos__nvm_recover(cos_card *c);
/* Marks the card mute after a power loss; returns ERR. */
int cos__power_lost(cos_card *c, int err);

/* ---- obj.c: the object heap -------------------------------------------------------------- */
int cos__obj_load(cos_card *c, cos_oid oid, cos__obj *o);
/* Iteration: set o->off = 0 to start; returns 1 with the next live object, 0 at the
 * end, or a negative error. */
int cos__obj_next(cos_card *c, cos__obj *o);
/* Allocates an object of BODYLEN bytes (its first INITLEN from INIT, the rest zero)
 * inside the open transaction. */
int cos__obj_alloc(cos_card *c, uint8_t type, uint8_t lcs, cos_oid parent, uint16_t id,
                   const void *init, size_t initlen, size_t bodylen, cos__obj *out);
int cos__obj_free(cos_card *c, cos_oid oid);
/* Loads OID only if it is the start of a live object (for handles from applets). */
int cos__obj_check(cos_card *c, cos_oid oid, cos__obj *o);
int cos__obj_set_lcs(cos_card *c, const cos__obj *o, uint8_t lcs);
/* The owner of an object: its nearest ADF ancestor (itself for an ADF), 0 for the OS. */
int cos__obj_owner(cos_card *c, cos_oid oid, cos_oid *owner);
/* 1 when ANC is OID or one of its ancestors. */
int cos__obj_is_under(cos_card *c, cos_oid oid, cos_oid anc);

/* ---- fs.c: the file system --------------------------------------------------------------- */
int cos__df_load(cos_card *c, cos_oid oid, cos__df *df);
int cos__ef_load(cos_card *c, cos_oid oid, cos__ef *ef);
int cos__pin_load(cos_card *c, cos_oid oid, cos__pin *p);
/* Children of DF by FID / SFI (any file type); COS_ERR_NOT_FOUND when none. */
int cos__fs_child_fid(cos_card *c, cos_oid df, uint16_t fid, cos_oid *out);
int cos__fs_child_sfi(cos_card *c, cos_oid df, uint8_t sfi, cos_oid *out);
/* The first DF after AFTER (0: from the start) whose name begins with NAME. */
int cos__fs_find_name(cos_card *c, const uint8_t *name, size_t len, cos_oid after, cos_oid *out);
/* EF data access (no access conditions). */
int cos__ef_read(cos_card *c, const cos__ef *ef, uint32_t off, void *buf, size_t len);
int cos__ef_write(cos_card *c, const cos__ef *ef, uint32_t off, const void *buf, size_t len);
/* Record access: the NVM offset of record RECNO, COS_ERR_NOT_FOUND when absent. */
int cos__rec_off(const cos__ef *ef, uint8_t recno, uint32_t *off);
int cos__rec_append(cos_card *c, cos__ef *ef, const uint8_t *data, uint8_t len);
/* FCI / FCP of a file into R (ISO/IEC 7816-4:2020, 7.4). */
int cos__fs_fci(cos_card *c, cos_oid oid, int fcp_only, cos_resp *r);
/* Finds a PIN (type COS__T_PIN) or key usage object from DF upwards. */
int cos__fs_find_pin(cos_card *c, cos_oid df, uint8_t ref, cos__pin *out);
int cos__fs_find_key(cos_card *c, cos_oid df, uint8_t usage, uint8_t kid, cos_key *out);

/* ---- key.c ------------------------------------------------------------------------------- */
int cos__key_load(cos_card *c, cos_oid oid, cos_key *k);
int cos__key_value(cos_card *c, const cos_key *k, uint8_t *buf, size_t cap);
int cos__key_failed(cos_card *c, cos_key *k);
int cos__key_succeeded(cos_card *c, cos_key *k);
int cos__key_create(cos_card *c, cos_oid df, const cos_key_spec *spec, cos_oid *out);

/* ---- crypto.c: HAL crypto entry points (counted) ------------------------------------------ */
int cos__cipher(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, unsigned mode,
                uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len);
int cos__mac(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
             const uint8_t *data, size_t len, uint8_t out[16]);
/* MAC over PRE || DATA (the command header before its data, for line protection). */
int cos__mac_hdr(cos_card *c, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
                 const uint8_t *pre, size_t prelen, const uint8_t *data, size_t len,
                 uint8_t out[16]);
int cos__random(cos_card *c, uint8_t *buf, size_t len);

/* ---- sec.c: security state, access conditions, line protection ---------------------------- */
int cos__sec_has(const cos_card *c, uint8_t ch, cos_oid oid);
void cos__sec_add(cos_card *c, uint8_t ch, cos_oid oid);
void cos__sec_remove(cos_card *c, uint8_t ch, cos_oid oid);
/* Drops verifications not in scope of the channel's new current DF. */
int cos__sec_prune(cos_card *c, uint8_t ch);
/* Checks access condition AC of a file in DF for command A; returns COS_SW_OK or the
 * status word to answer. For COS_AC_SM it verifies the MAC (the data then ends 4
 * bytes early: *NC is set to the data length without it). */
int cos__sec_check(cos_card *c, const cos_apdu *a, cos_oid df, uint8_t ac, uint16_t *nc);
/* Line-protection MAC check of A with key K (cos_sm_verify()). */
int cos__sm_verify(cos_card *c, const cos_apdu *a, cos_key *k);

/* ---- command handlers: return a status word or a negative fault ---------------------------- */
int cos__cmd_select(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_read_binary(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_update_binary(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_read_record(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_write_record(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_get_challenge(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_verify(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_change_ref(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_reset_retry(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_ext_auth(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_int_auth(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_block(cos_card *c, const cos_apdu *a, cos_resp *r);
int cos__cmd_manage_channel(cos_card *c, const cos_apdu *a, cos_resp *r);

/* ---- channel.c / applet.c ------------------------------------------------------------------ */
/* Makes DF (and EF, 0 for none) current on channel CH, deselecting and selecting
 * applets as the owner changes. Returns COS_SW_OK, a refusal SW, or a fault. */
int cos__chan_set_df(cos_card *c, uint8_t ch, cos_oid df, cos_oid ef);
void cos__chan_close(cos_card *c, uint8_t ch);
void cos__chan_reset_all(cos_card *c);
const cos_applet_class *cos__class_find(const cos_card *c, uint16_t id);
void cos__ctx_init(cos_ctx *x, cos_card *c, cos_oid inst, uint8_t ch);
/* 1 when the application (ADF or named DF) owning the channel's current DF is blocked
 * temporarily; sets *LCS to the LCS of that application. */
int cos__app_lcs(cos_card *c, uint8_t ch, uint8_t *lcs);

/* ---- atr.c ----------------------------------------------------------------------------------- */
int cos__atr(const cos_card *c, uint8_t *out, size_t cap, size_t *len);

/* ---- card.c ---------------------------------------------------------------------------------- */
void cos__fault(cos_card *c, int err, const cos_apdu *a);

#endif /* OBOL_COS_INTERNAL_H */
