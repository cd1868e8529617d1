/*
 * obol applet: PBOC ED/EP purse (JR/T 0025 / PBOC 2.0 part 1, electronic deposit and
 * electronic purse; composite CAPP purchase as JT/T 978 transit cards use it).
 *
 * Persistent state: the state object (layout in pboc_internal.h), the transaction log
 * EF 0018, the CAPP cache object, the keys.
 * A purchase or load rewrites one purse, the proof and the log record (and a CAPP
 * record) inside one NVM transaction, so a power loss leaves either the old card or
 * the new one (PBOC 2.0 part 1, 12: the card must not lose or create value).
 *
 * Transient state (the channel's applet RAM, struct sess) holds the session between
 * INITIALIZE and DEBIT/CREDIT; any other command in between ends the session, as PBOC
 * requires the second command to follow the first directly.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gp/gp.h"
#include "obol/cos_applet.h"
#include "obol/cos_crypto.h"
#include "obol/obol_rom.h"
#include "pboc_internal.h"

/* Session steps. */
enum { S_IDLE = 0, S_LOAD, S_PURCHASE, S_CAPP };

/* The session kept in the channel's applet RAM between commands. */
typedef struct sess {
    uint8_t ready; /* the handles below were opened at select */
    uint8_t has_log, has_capp;
    uint8_t step;  /* S_* */
    uint8_t purse; /* PBOC_PURSE_ED or PBOC_PURSE_EP */
    uint8_t type;  /* PBOC_TT_* */
    uint8_t capp;  /* a CAPP record is cached */
    uint8_t capp_sfi, capp_rec, capp_len;
    uint16_t ctr; /* the counter INITIALIZE returned */
    uint32_t amount;
    uint8_t tid[6];
    uint8_t rnd[4];
    uint8_t seslk[8]; /* load only */
    cos_key key;      /* purchase or load key of the session */
    cos_key tac;      /* TAC key of the same index */
    cos_obj st;       /* PBOC_OBJ_STATE */
    cos_obj cache;    /* PBOC_OBJ_CAPP */
    cos_ef log;       /* SFI 0x18 */
} sess;

_Static_assert(sizeof(sess) <= PBOC_RAM_USED, "purse session must fit PBOC_RAM_USED (pboc.h)");
_Static_assert(PBOC_RAM_USED <= COS_APPLET_RAM, "purse session must fit the applet RAM");

/* ---- small helpers ---------------------------------------------------------------------- */
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static unsigned purse_off(uint8_t purse)
{
    return purse == PBOC_PURSE_ED ? ST_ED : ST_EP;
}

/* The lock of PBOC 2.0 part 1 (status 9303): on when a failure limit is set and used up. */
static int is_locked(const uint8_t *st)
{
    return st[ST_MAC_LIMIT] != 0 && st[ST_MAC_LEFT] == 0;
}

static void sess_end(sess *s)
{
    s->step = S_IDLE;
    s->capp = 0;
    cos_wipe(s->seslk, sizeof s->seslk);
}

/* The ED is PIN-protected (PBOC 2.0 part 1, 5.2: ED load, purchase and balance enquiry
 * need the cardholder's PIN). The card OS keeps the verification state (VERIFY on the
 * channel); the purse asks it, and a fault counts as "not verified" (fails closed). */
static int pin_ok(cos_ctx *ctx, const uint8_t *st)
{
    return cos_pin_verified(ctx, st[ST_PIN_REF]) == 1;
}

/* Opens the instance's objects once per selection. Returns 0 or a fault. */
static int sess_open(cos_ctx *ctx, sess *s)
{
    int rc = cos_obj_open(ctx, PBOC_OBJ_STATE, &s->st);
    if (rc < 0)
        return rc;
    if (s->st.len < ST_SIZE)
        return COS_ERR_CORRUPT;
    s->has_log = 0;
    if (cos_ef_open_sfi(ctx, PBOC_LOG_SFI, &s->log) == 0 && s->log.type == COS_EF_CYCLIC &&
        s->log.reclen == PBOC_LOG_RECLEN)
        s->has_log = 1;
    s->has_capp = cos_obj_open(ctx, PBOC_OBJ_CAPP, &s->cache) == 0;
    s->ready = 1;
    return 0;
}

/* Counts one MAC failure (PBOC 2.0 part 1: consecutive MAC errors lock the application).
 * The count is a direct write so that no abort can undo it. Returns 9302 or a fault. */
static int mac_failed(cos_ctx *ctx, sess *s, const uint8_t *st)
{
    uint8_t left = st[ST_MAC_LEFT];
    int rc;

    sess_end(s);
    if (st[ST_MAC_LIMIT] == 0 || left == 0)
        return PBOC_SW_MAC_INVALID;
    left--;
    rc = cos_obj_write_direct(ctx, &s->st, ST_MAC_LEFT, &left, 1);
    return rc < 0 ? rc : (int)PBOC_SW_MAC_INVALID;
}

/* PBOC MAC (PBOC 2.0 part 1, appendix: ISO/IEC 9797-1 algorithm 1, single DES under an
 * 8-byte key, zero ICV, 80 00.. padding), leftmost 4 bytes. */
static int mac4(cos_ctx *ctx, const uint8_t key[8], const uint8_t *data, size_t len, uint8_t out[4])
{
    uint8_t m[16];
    int rc = cos_mac(ctx, COS_ALG_DES, key, 8, NULL, data, len, m);
    if (rc < 0)
        return rc;
    memcpy(out, m, 4);
    return 0;
}

/* TAC = MAC(DTK left XOR DTK right, DATA) (PBOC 2.0 part 1, 12.2.x and 12.3.x). */
static int tac_mac(cos_ctx *ctx, const cos_key *k, const uint8_t *data, size_t len, uint8_t out[4])
{
    uint8_t dtk[COS_KEY_MAX], tk[8];
    int rc, i;

    rc = cos_key_read(ctx, k, dtk, sizeof dtk);
    if (rc >= 0 && rc != 16)
        rc = COS_ERR_CRYPTO;
    if (rc >= 0) {
        for (i = 0; i < 8; i++)
            tk[i] = (uint8_t)(dtk[i] ^ dtk[i + 8]);
        rc = mac4(ctx, tk, data, len, out);
    }
    cos_wipe(dtk, sizeof dtk);
    cos_wipe(tk, sizeof tk);
    return rc;
}

/* Finds the session keys of index KID and usage USAGE plus the TAC key of the same
 * index. Returns 0, 9403 (PBOC 2.0 part 1: key index not supported) or a fault. */
static int find_keys(cos_ctx *ctx, sess *s, uint8_t usage, uint8_t kid)
{
    int rc = cos_key_find(ctx, usage, kid, -1, &s->key);
    if (rc == COS_ERR_NOT_FOUND)
        return PBOC_SW_KEY_INDEX;
    if (rc < 0)
        return rc;
    if (s->key.alg != COS_ALG_DES || s->key.len != 16)
        return PBOC_SW_KEY_INDEX;
    rc = cos_key_find(ctx, PBOC_KEY_TAC, kid, -1, &s->tac);
    if (rc == COS_ERR_NOT_FOUND)
        return PBOC_SW_KEY_INDEX;
    if (rc < 0)
        return rc;
    if (s->tac.alg != COS_ALG_DES || s->tac.len != 16)
        return PBOC_SW_KEY_INDEX;
    return 0;
}

/* Checks P2 (the purse) against the installed purses and the ED PIN. Returns 0 or the
 * status word to answer. */
static int check_purse(cos_ctx *ctx, const uint8_t *st, uint8_t p2)
{
    if ((p2 != PBOC_PURSE_ED && p2 != PBOC_PURSE_EP) || !(st[ST_PURSES] & p2))
        return COS_SW_WRONG_P1P2;
    if (p2 == PBOC_PURSE_ED && !pin_ok(ctx, st))
        return COS_SW_SECURITY;
    return 0;
}

/* ---- INITIALIZE FOR LOAD (80 50 00 P2 0B), PBOC 2.0 part 1, 12.2.2 ------------------------ */
static int init_load(cos_ctx *ctx, sess *s, const uint8_t *st, const cos_apdu *a, cos_resp *r)
{
    const uint8_t *d = a->data;
    const uint8_t *pu = st + purse_off(a->p2);
    uint8_t in[15], m[8];
    uint32_t bal, amount, maxb;
    uint16_t ctr;
    int sw;

    if ((sw = check_purse(ctx, st, a->p2)) != 0)
        return sw;
    if (a->nc != 11)
        return COS_SW_WRONG_LENGTH;
    if ((sw = find_keys(ctx, s, PBOC_KEY_LOAD, d[0])) != 0)
        return sw;
    bal = get32(pu + PU_BAL);
    ctr = get16(pu + PU_ONLINE);
    amount = get32(d + 1);
    maxb = get32(st + ST_MAX_BAL);
    if (ctr == 0xFFFFu)
        return PBOC_SW_COUNTER_MAX;
    /* A load beyond the maximum balance is refused before any MAC is computed. */
    if (amount > maxb || bal > maxb - amount)
        return COS_SW_CONDITIONS;
    if ((sw = cos_random(ctx, s->rnd, 4)) < 0)
        return sw;
    /* SESLK = 3DES(DLK, random || online counter || 80 00). */
    memcpy(in, s->rnd, 4);
    put16(in + 4, ctr);
    in[6] = 0x80;
    in[7] = 0x00;
    sw = cos_key_cipher(ctx, &s->key, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, in, s->seslk, 8);
    if (sw < 0)
        return sw;
    /* MAC1 = MAC(SESLK, old balance || amount || type || terminal id). */
    s->type = a->p2 == PBOC_PURSE_ED ? PBOC_TT_ED_LOAD : PBOC_TT_EP_LOAD;
    put32(in, bal);
    memcpy(in + 4, d + 1, 4);
    in[8] = s->type;
    memcpy(in + 9, d + 5, 6);
    if ((sw = mac4(ctx, s->seslk, in, 15, m)) < 0)
        return sw;
    if ((sw = cos_resp_u32(r, bal)) < 0 || (sw = cos_resp_u16(r, ctr)) < 0 ||
        (sw = cos_resp_u8(r, s->key.kver)) < 0 || (sw = cos_resp_u8(r, PBOC_ALG_3DES)) < 0 ||
        (sw = cos_resp_put(r, s->rnd, 4)) < 0 || (sw = cos_resp_put(r, m, 4)) < 0)
        return sw;
    s->step = S_LOAD;
    s->purse = a->p2;
    s->ctr = ctr;
    s->amount = amount;
    memcpy(s->tid, d + 5, 6);
    return COS_SW_OK;
}

/* Builds a log record (PROTOCOLS.md: counter, overdraft, amount, type, terminal id,
 * date, time; 23 bytes). */
static void log_record(uint8_t rec[PBOC_LOG_RECLEN], const sess *s, const uint8_t *st,
                       const uint8_t *date, const uint8_t *time)
{
    put16(rec, s->ctr);
    if (s->purse == PBOC_PURSE_ED)
        memcpy(rec + 2, st + ST_OVERDRAFT, 3);
    else
        memset(rec + 2, 0, 3);
    put32(rec + 5, s->amount);
    rec[9] = s->type;
    memcpy(rec + 10, s->tid, 6);
    memcpy(rec + 16, date, 4);
    memcpy(rec + 20, time, 3);
}

/* Writes the new purse block, the proof and the log record in the open transaction. */
static int commit_purse(cos_ctx *ctx, sess *s, uint8_t *st, const uint8_t rec[PBOC_LOG_RECLEN])
{
    unsigned from = purse_off(s->purse);
    int rc;

    /* A successful MAC ends a run of failures (the count is of consecutive errors). */
    if (st[ST_MAC_LEFT] != st[ST_MAC_LIMIT]) {
        st[ST_MAC_LEFT] = st[ST_MAC_LIMIT];
        rc = cos_obj_write(ctx, &s->st, ST_MAC_LEFT, st + ST_MAC_LEFT, 1);
        if (rc < 0)
            return rc;
    }
    rc = cos_obj_write(ctx, &s->st, (uint16_t)from, st + from,
                       (uint16_t)(ST_PROOF + PROOF_LEN - from));
    if (rc < 0)
        return rc;
    if (s->has_log)
        rc = cos_ef_append_record(ctx, &s->log, rec, PBOC_LOG_RECLEN);
    return rc < 0 ? rc : 0;
}

/* ---- CREDIT FOR LOAD (80 52 00 00 0B), PBOC 2.0 part 1, 12.2.3 ---------------------------- */
static int credit_load(cos_ctx *ctx, sess *s, uint8_t *st, const cos_apdu *a, cos_resp *r)
{
    const uint8_t *d = a->data;
    uint8_t *pu;
    uint8_t in[24], m[4], tac[4], rec[PBOC_LOG_RECLEN];
    uint32_t bal;
    int rc;

    if (s->step != S_LOAD)
        return COS_SW_CONDITIONS;
    if (a->p1 != 0 || a->p2 != 0)
        return COS_SW_WRONG_P1P2;
    if (a->nc != 11)
        return COS_SW_WRONG_LENGTH;
    /* MAC2 = MAC(SESLK, amount || type || terminal id || date || time). */
    put32(in, s->amount);
    in[4] = s->type;
    memcpy(in + 5, s->tid, 6);
    memcpy(in + 11, d, 7);
    if ((rc = mac4(ctx, s->seslk, in, 18, m)) < 0)
        return rc;
    if (!cos_ct_equal(m, d + 7, 4))
        return mac_failed(ctx, s, st);
    pu = st + purse_off(s->purse);
    bal = get32(pu + PU_BAL);
    if (s->amount > get32(st + ST_MAX_BAL) || bal > get32(st + ST_MAX_BAL) - s->amount) {
        sess_end(s);
        return COS_SW_CONDITIONS; /* the balance changed since INITIALIZE */
    }
    /* TAC over new balance || online counter before the increment || amount || type ||
     * terminal id || date || time. */
    bal += s->amount;
    put32(in, bal);
    put16(in + 4, s->ctr);
    put32(in + 6, s->amount);
    in[10] = s->type;
    memcpy(in + 11, s->tid, 6);
    memcpy(in + 17, d, 7);
    if ((rc = tac_mac(ctx, &s->tac, in, 24, tac)) < 0)
        return rc;
    put32(pu + PU_BAL, bal);
    put16(pu + PU_ONLINE, (uint16_t)(s->ctr + 1));
    st[ST_PROOF] = s->type;
    put16(st + ST_PROOF + 1, (uint16_t)(s->ctr + 1));
    memcpy(st + ST_PROOF + 3, d + 7, 4);
    memcpy(st + ST_PROOF + 7, tac, 4);
    log_record(rec, s, st, d, d + 4);
    if ((rc = cos_txn_begin(ctx)) < 0)
        return rc;
    rc = commit_purse(ctx, s, st, rec);
    if (rc < 0) {
        cos_txn_abort(ctx);
        return rc;
    }
    if ((rc = cos_txn_commit(ctx)) < 0)
        return rc;
    sess_end(s);
    if ((rc = cos_resp_put(r, tac, 4)) < 0)
        return rc;
    return COS_SW_OK;
}

/* ---- INITIALIZE FOR PURCHASE / CAPP PURCHASE (80 50 01|03 P2 0B), 12.3.2 ------------------ */
static int init_purchase(cos_ctx *ctx, sess *s, const uint8_t *st, const cos_apdu *a, cos_resp *r)
{
    const uint8_t *d = a->data;
    const uint8_t *pu;
    int capp = a->p1 == 0x03;
    uint32_t bal, amount;
    uint16_t ctr;
    int sw;

    /* The composite purchase is an EP transaction (PBOC 2.0 part 1, CAPP). */
    if (capp && (a->p2 != PBOC_PURSE_EP || !s->has_capp))
        return COS_SW_WRONG_P1P2;
    if ((sw = check_purse(ctx, st, a->p2)) != 0)
        return sw;
    if (a->nc != 11)
        return COS_SW_WRONG_LENGTH;
    if ((sw = find_keys(ctx, s, PBOC_KEY_PURCHASE, d[0])) != 0)
        return sw;
    pu = st + purse_off(a->p2);
    bal = get32(pu + PU_BAL);
    ctr = get16(pu + PU_OFFLINE);
    amount = get32(d + 1);
    if (ctr == 0xFFFFu)
        return PBOC_SW_COUNTER_MAX;
    if (amount > bal)
        return PBOC_SW_NO_FUNDS;
    if ((sw = cos_random(ctx, s->rnd, 4)) < 0)
        return sw;
    /* balance || offline counter || overdraft limit || key version || algorithm || random */
    if ((sw = cos_resp_u32(r, bal)) < 0 || (sw = cos_resp_u16(r, ctr)) < 0)
        return sw;
    if (a->p2 == PBOC_PURSE_ED)
        sw = cos_resp_put(r, st + ST_OVERDRAFT, 3);
    else
        sw = cos_resp_put(r, "\0\0\0", 3);
    if (sw < 0 || (sw = cos_resp_u8(r, s->key.kver)) < 0 ||
        (sw = cos_resp_u8(r, PBOC_ALG_3DES)) < 0 || (sw = cos_resp_put(r, s->rnd, 4)) < 0)
        return sw;
    s->step = capp ? S_CAPP : S_PURCHASE;
    s->purse = a->p2;
    s->type = capp ? PBOC_TT_CAPP_PURCHASE
                   : (a->p2 == PBOC_PURSE_ED ? PBOC_TT_ED_PURCHASE : PBOC_TT_EP_PURCHASE);
    s->ctr = ctr;
    s->amount = amount;
    s->capp = 0;
    memcpy(s->tid, d + 5, 6);
    return COS_SW_OK;
}

/* ---- UPDATE CAPP DATA CACHE (80 DC P1 P2 Lc), PBOC 2.0 part 1, CAPP purchase -------------
 * P1 the record number, P2 = SFI << 3 | 000 or 100. The record is cached (in NVM, as the
 * applet RAM is too small for a 0x80-byte trip record) and written by DEBIT FOR
 * PURCHASE in the purchase's transaction; one record per composite purchase. */
static int capp_update(cos_ctx *ctx, sess *s, const cos_apdu *a)
{
    cos_ef ef;
    uint8_t sfi = (uint8_t)(a->p2 >> 3);
    int rc;

    if (s->step != S_CAPP || s->capp)
        return COS_SW_CONDITIONS;
    if ((a->p2 & 7u) != 0 && (a->p2 & 7u) != 4)
        return COS_SW_WRONG_P1P2;
    if (sfi == 0 || sfi == 31 || sfi == PBOC_LOG_SFI)
        return COS_SW_WRONG_P1P2;
    if (cos_ef_open_sfi(ctx, sfi, &ef) != 0)
        return COS_SW_FILE_NOT_FOUND;
    if (ef.type != COS_EF_LINEAR && ef.type != COS_EF_CYCLIC)
        return COS_SW_INCOMPATIBLE_FILE;
    /* The record must exist: CAPP records are created at personalization. */
    if (a->p1 == 0 || a->p1 > ef.nrec ||
        cos_ef_read_record(ctx, &ef, a->p1, NULL, 0) == COS_ERR_NOT_FOUND)
        return COS_SW_RECORD_NOT_FOUND;
    if (a->nc != ef.reclen || a->nc > s->cache.len)
        return COS_SW_WRONG_LENGTH;
    rc = cos_obj_write_direct(ctx, &s->cache, 0, a->data, (uint16_t)a->nc);
    if (rc < 0)
        return rc;
    s->capp = 1;
    s->capp_sfi = sfi;
    s->capp_rec = a->p1;
    s->capp_len = (uint8_t)a->nc;
    return COS_SW_OK;
}

/* Writes the cached CAPP record in the open transaction. */
static int capp_commit(cos_ctx *ctx, sess *s)
{
    uint8_t buf[255];
    cos_ef ef;
    int rc;

    if ((rc = cos_ef_open_sfi(ctx, s->capp_sfi, &ef)) < 0)
        return rc;
    if ((rc = cos_obj_read(ctx, &s->cache, 0, buf, s->capp_len)) < 0)
        return rc;
    rc = cos_ef_update_record(ctx, &ef, s->capp_rec, buf, s->capp_len);
    return rc < 0 ? rc : 0;
}

/* ---- DEBIT FOR PURCHASE (80 54 01 00 0F), PBOC 2.0 part 1, 12.3.3 ------------------------ */
static int debit(cos_ctx *ctx, sess *s, uint8_t *st, const cos_apdu *a, cos_resp *r)
{
    const uint8_t *d = a->data; /* ttn (4) date (4) time (3) MAC1 (4) */
    uint8_t in[22], sespk[8], m[4], mac2[4], tac[4], rec[PBOC_LOG_RECLEN];
    uint8_t *pu;
    uint32_t bal;
    int rc;

    if (s->step != S_PURCHASE && s->step != S_CAPP)
        return COS_SW_CONDITIONS;
    if (a->p1 != 0x01 || a->p2 != 0x00)
        return COS_SW_WRONG_P1P2;
    if (a->nc != 15)
        return COS_SW_WRONG_LENGTH;
    /* SESPK = 3DES(DPK, random || offline counter || rightmost 2 bytes of the ttn). */
    memcpy(in, s->rnd, 4);
    put16(in + 4, s->ctr);
    memcpy(in + 6, d + 2, 2);
    rc = cos_key_cipher(ctx, &s->key, COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, in, sespk, 8);
    if (rc < 0)
        goto out;
    /* MAC1 = MAC(SESPK, amount || type || terminal id || date || time). */
    put32(in, s->amount);
    in[4] = s->type;
    memcpy(in + 5, s->tid, 6);
    memcpy(in + 11, d + 4, 7);
    if ((rc = mac4(ctx, sespk, in, 18, m)) < 0)
        goto out;
    if (!cos_ct_equal(m, d + 11, 4)) {
        rc = mac_failed(ctx, s, st);
        goto out;
    }
    pu = st + purse_off(s->purse);
    bal = get32(pu + PU_BAL);
    if (s->amount > bal) { /* spent on another channel since INITIALIZE */
        sess_end(s);
        rc = PBOC_SW_NO_FUNDS;
        goto out;
    }
    /* MAC2 = MAC(SESPK, amount); TAC over amount || type || terminal id || ttn || date
     * || time (22 bytes). */
    if ((rc = mac4(ctx, sespk, in, 4, mac2)) < 0)
        goto out;
    memmove(in + 15, in + 11, 7);
    memcpy(in + 11, d, 4);
    if ((rc = tac_mac(ctx, &s->tac, in, 22, tac)) < 0)
        goto out;
    put32(pu + PU_BAL, bal - s->amount);
    put16(pu + PU_OFFLINE, (uint16_t)(s->ctr + 1));
    st[ST_PROOF] = s->type;
    put16(st + ST_PROOF + 1, (uint16_t)(s->ctr + 1));
    memcpy(st + ST_PROOF + 3, mac2, 4);
    memcpy(st + ST_PROOF + 7, tac, 4);
    log_record(rec, s, st, d + 4, d + 8);
    if ((rc = cos_txn_begin(ctx)) < 0)
        goto out;
    rc = commit_purse(ctx, s, st, rec);
    if (rc == 0 && s->capp)
        rc = capp_commit(ctx, s);
    if (rc < 0) {
        cos_txn_abort(ctx);
        goto out;
    }
    if ((rc = cos_txn_commit(ctx)) < 0)
        goto out;
    sess_end(s);
    /* The response is TAC || MAC2 (PROTOCOLS.md; GET TRANSACTION PROVE reverses it). */
    if ((rc = cos_resp_put(r, tac, 4)) < 0 || (rc = cos_resp_put(r, mac2, 4)) < 0)
        goto out;
    rc = COS_SW_OK;
out:
    cos_wipe(sespk, sizeof sespk);
    return rc;
}

/* ---- GET BALANCE (80 5C 00 P2 04), PBOC 2.0 part 1, 12.5 ---------------------------------- */
static int get_balance(cos_ctx *ctx, const uint8_t *st, const cos_apdu *a, cos_resp *r)
{
    int sw;

    if (a->p1 != 0)
        return COS_SW_WRONG_P1P2;
    if ((sw = check_purse(ctx, st, a->p2)) != 0)
        return sw;
    if (a->nc != 0)
        return COS_SW_WRONG_LENGTH;
    if ((sw = cos_resp_put(r, st + purse_off(a->p2) + PU_BAL, 4)) < 0)
        return sw;
    return COS_SW_OK;
}

/* ---- GET TRANSACTION PROVE (80 5A 00 type 02), PBOC 2.0 part 1, 12.6 ----------------------
 * Data: the counter after the transaction (the INITIALIZE value + 1). Answers MAC || TAC
 * of the card's last transaction when type and counter match: MAC2 for a purchase, the
 * (verified) MAC2 of the host for a load. Otherwise 9406. */
static int get_prove(const uint8_t *st, const cos_apdu *a, cos_resp *r)
{
    const uint8_t *pr = st + ST_PROOF;
    int sw;

    if (a->p1 != 0)
        return COS_SW_WRONG_P1P2;
    switch (a->p2) {
    case PBOC_TT_ED_LOAD:
    case PBOC_TT_EP_LOAD:
    case PBOC_TT_ED_PURCHASE:
    case PBOC_TT_EP_PURCHASE:
    case PBOC_TT_CAPP_PURCHASE:
        break;
    default:
        return COS_SW_WRONG_P1P2;
    }
    if (a->nc != 2)
        return COS_SW_WRONG_LENGTH;
    if (pr[0] != a->p2 || get16(pr + 1) != get16(a->data))
        return PBOC_SW_NO_PROOF;
    if ((sw = cos_resp_put(r, pr + 3, 8)) < 0)
        return sw;
    return COS_SW_OK;
}

/* 1 when command A may follow step STEP without ending the session. */
static int continues(uint8_t step, const cos_apdu *a)
{
    switch (step) {
    case S_LOAD:
        return a->ins == 0x52;
    case S_PURCHASE:
        return a->ins == 0x54;
    case S_CAPP:
        return a->ins == 0x54 || a->ins == 0xDC;
    default:
        return 0;
    }
}

static int dispatch(cos_ctx *ctx, sess *s, const cos_apdu *a, cos_resp *r)
{
    uint8_t st[ST_SIZE];
    int rc;

    /* Standard commands (CLA 0x, ISO) are the card OS's: READ RECORD of the log, VERIFY
     * of the ED PIN... They end a purse session like any other command. */
    if ((a->cla & 0x80u) == 0) {
        sess_end(s);
        return COS_PROCESS_OS;
    }
    /* So are APPLICATION BLOCK (84 1E), APPLICATION UNBLOCK (84 18) and CARD BLOCK (84
     * 16), proprietary-class commands with line protection that the OS checks against
     * the application maintenance key (PBOC 2.0 part 1, application management
     * commands): a terminal blocks a blacklisted card while the purse is selected. */
    if (a->ins == 0x1E || a->ins == 0x18 || a->ins == 0x16) {
        sess_end(s);
        return COS_PROCESS_OS;
    }
    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    if (s->step != S_IDLE && !continues(s->step, a))
        sess_end(s);
    if ((rc = cos_obj_read(ctx, &s->st, 0, st, ST_SIZE)) < 0)
        return rc;
    if (is_locked(st)) {
        sess_end(s);
        return PBOC_SW_LOCKED;
    }
    switch (a->ins) {
    case 0x50:
        switch (a->p1) {
        case 0x00:
            return init_load(ctx, s, st, a, r);
        case 0x01:
        case 0x03:
            return init_purchase(ctx, s, st, a, r);
        default:
            return COS_SW_WRONG_P1P2;
        }
    case 0x52:
        return credit_load(ctx, s, st, a, r);
    case 0x54:
        return debit(ctx, s, st, a, r);
    case 0x5A:
        return get_prove(st, a, r);
    case 0x5C:
        return get_balance(ctx, st, a, r);
    case 0xDC:
        return capp_update(ctx, s, a);
    default:
        return COS_SW_INS_UNSUPPORTED;
    }
}

/* ---- the applet interface ------------------------------------------------------------------ */

/* install(): creates the state object from the TLV parameters (pboc.h), the CAPP
 * cache and the transaction log. */
static int pboc_install(cos_ctx *ctx, const uint8_t *params, size_t len)
{
    uint8_t st[ST_SIZE];
    cos_obj o;
    uint8_t nlog = PBOC_LOG_NREC, tag, l;
    const uint8_t *v;
    size_t i = 0;
    int rc;

    memset(st, 0, sizeof st);
    st[ST_PURSES] = PBOC_PURSE_EP;
    st[ST_MAC_LIMIT] = PBOC_DEFAULT_MAC_LIMIT;
    st[ST_PIN_REF] = PBOC_DEFAULT_PIN_REF;
    put32(st + ST_MAX_BAL, PBOC_DEFAULT_MAX_BALANCE);
    while ((rc = pboc_tlv_next(params, len, &i, &tag, &l, &v)) == 1) {
        switch (tag) {
        case PBOC_TAG_PURSES:
            if (l != 1 || v[0] == 0 || (v[0] & ~(PBOC_PURSE_ED | PBOC_PURSE_EP)))
                return COS_SW_WRONG_DATA;
            st[ST_PURSES] = v[0];
            break;
        case PBOC_TAG_OVERDRAFT:
            if (l != 3)
                return COS_SW_WRONG_DATA;
            memcpy(st + ST_OVERDRAFT, v, 3);
            break;
        case PBOC_TAG_MAX_BALANCE:
            if (l != 4)
                return COS_SW_WRONG_DATA;
            memcpy(st + ST_MAX_BAL, v, 4);
            break;
        case PBOC_TAG_MAC_LIMIT:
        case PBOC_TAG_PIN_REF:
        case PBOC_TAG_CAPP_MAX:
            if (l != 1)
                return COS_SW_WRONG_DATA;
            st[tag == PBOC_TAG_MAC_LIMIT ? ST_MAC_LIMIT
                                         : (tag == PBOC_TAG_PIN_REF ? ST_PIN_REF : ST_CAPP_MAX)] =
                v[0];
            break;
        case PBOC_TAG_LOG_NREC:
            if (l != 1 || v[0] > 254)
                return COS_SW_WRONG_DATA;
            nlog = v[0];
            break;
        case PBOC_TAG_ED_BALANCE:
        case PBOC_TAG_EP_BALANCE:
            if (l != 4)
                return COS_SW_WRONG_DATA;
            memcpy(st + (tag == PBOC_TAG_ED_BALANCE ? ST_ED : ST_EP) + PU_BAL, v, 4);
            break;
        default:
            return COS_SW_WRONG_DATA;
        }
    }
    if (rc != 0)
        return rc;
    st[ST_MAC_LEFT] = st[ST_MAC_LIMIT];
    if (get32(st + ST_ED) > get32(st + ST_MAX_BAL) || get32(st + ST_EP) > get32(st + ST_MAX_BAL))
        return COS_SW_WRONG_DATA;
    if ((rc = cos_obj_create(ctx, PBOC_OBJ_STATE, ST_SIZE, &o)) < 0)
        return rc;
    if ((rc = cos_obj_write(ctx, &o, 0, st, ST_SIZE)) < 0)
        return rc;
    if (st[ST_CAPP_MAX] != 0 && (rc = cos_obj_create(ctx, PBOC_OBJ_CAPP, st[ST_CAPP_MAX], &o)) < 0)
        return rc;
    if (nlog != 0) {
        /* The transaction log: readable by anyone with READ RECORD, written only by
         * the purse (PBOC 2.0 part 1, transaction detail file). */
        cos_ef_spec log = {PBOC_LOG_FID,
                           PBOC_LOG_SFI,
                           COS_EF_CYCLIC,
                           COS_AC_ALWAYS,
                           COS_AC_NEVER,
                           0,
                           PBOC_LOG_RECLEN,
                           nlog,
                           NULL,
                           0};
        if ((rc = cos_ef_create(ctx, &log, NULL)) < 0)
            return rc;
    }
    /* STORE DATA through the instance's security domain (pboc_perso.c). A card without
     * a GlobalPlatform card manager is personalized by its profile only. */
    rc = gp_accept_perso(ctx);
    return rc == COS_ERR_NOT_FOUND ? 0 : rc;
}

/* select(): a purse locked by MAC failures cannot be selected (PBOC 2.0 part 1, SELECT:
 * 6A81 application locked). */
static int pboc_select(cos_ctx *ctx)
{
    sess s;
    uint8_t st[ST_SIZE];
    int rc;

    memset(&s, 0, sizeof s);
    if ((rc = sess_open(ctx, &s)) < 0)
        return rc;
    if ((rc = cos_obj_read(ctx, &s.st, 0, st, ST_SIZE)) < 0)
        return rc;
    if (is_locked(st))
        return COS_SW_FUNC_UNSUPPORTED;
    if (ctx->ram != NULL)
        memcpy(ctx->ram, &s, sizeof s);
    return 0;
}

void pboc_session_end(cos_ctx *ctx)
{
    sess s;

    if (ctx == NULL || ctx->ram == NULL)
        return;
    memcpy(&s, ctx->ram, sizeof s);
    sess_end(&s);
    memcpy(ctx->ram, &s, sizeof s);
    cos_wipe(&s, sizeof s);
}

static void pboc_deselect(cos_ctx *ctx)
{
    if (ctx->ram != NULL)
        cos_wipe(ctx->ram, sizeof(sess));
}

static int pboc_process(cos_ctx *ctx, const cos_apdu *cmd, cos_resp *resp)
{
    sess s;
    int rc;

    if (ctx->ram == NULL)
        return COS_ERR_PARAM;
    memcpy(&s, ctx->ram, sizeof s);
    rc = s.ready ? 0 : sess_open(ctx, &s);
    if (rc == 0)
        rc = dispatch(ctx, &s, cmd, resp);
    memcpy(ctx->ram, &s, sizeof s);
    cos_wipe(&s, sizeof s);
    return rc;
}

/* The shareable interface: GP_IFACE_PERSO only, granted to the card manager by
 * install(); the personalization data of the purse (pboc_perso.c, pboc.h). */
static int pboc_share(cos_ctx *ctx, const uint8_t *client, size_t clen, uint8_t iface,
                      const uint8_t *in, size_t inlen, cos_resp *out)
{
    static const pboc_perso_file files[] = {
        {PBOC_PUBLIC_FID, PBOC_PUBLIC_SFI, COS_AC_ALWAYS, PBOC_PUBLIC_LEN},
    };
    static const pboc_perso_class cls = {files, 1, 1, NULL};

    (void)client;
    (void)clen;
    (void)out;
    if (iface != GP_IFACE_PERSO)
        return COS_SW_CONDITIONS;
    return pboc_perso(ctx, &cls, in, inlen);
}

static const uint8_t pboc_module_aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x42, 0x4F, 0x43};

const cos_applet_class pboc_class = {
    .id = OBOL_CLASS_PBOC,
    .flags = 0,
    .module_aid_len = sizeof pboc_module_aid,
    .module_aid = pboc_module_aid,
    .name = "pboc",
    .install = pboc_install,
    .select = pboc_select,
    .deselect = pboc_deselect,
    .process = pboc_process,
    .power_off = pboc_deselect,
    .share = pboc_share,
};
