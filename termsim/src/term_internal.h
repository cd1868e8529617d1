/*
 * obol terminal kernel: private declarations shared by the kernel's files.
 *
 * Files: term.c (open/close, the common card prelude, results), select.c
 * (application selection), card.c (PBOC and PSAM commands as APDUs), purchase.c
 * (the purchase core with its journal steps), recover.c (GET TRANSACTION PROVE),
 * transit.c (trip record and fares), flows.c (tap, purchase, load entry points),
 * blacklist.c, params.c, sync.c, upload.c, store.c, journal.c, clock.c, reader.c,
 * simreader.c, term_error.c.
 */
#ifndef OBOL_TERM_INTERNAL_H
#define OBOL_TERM_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "obol/cos_apdu.h"
#include "obol/host_fare.h"
#include "obol/host_proto.h"
#include "obol/term.h"
#include "obol/term_store.h"
#include "obol/term_transit.h"

#define TERM__MAX_AIDS 8

/* PBOC transaction types (the type byte MACed, logged and proved). */
#define TERM__TT_ED_LOAD     0x01u
#define TERM__TT_EP_LOAD     0x02u
#define TERM__TT_ED_PURCHASE 0x05u
#define TERM__TT_EP_PURCHASE 0x06u
#define TERM__TT_CAPP        0x09u
#define TERM__RSP_MAX        300 /* response APDUs: 256 data bytes + SW, with room */

/* ---- store ------------------------------------------------------------------------- */

enum term__stmt_id {
    TERM__ST_TXN_INSERT,
    TERM__ST_TXN_FINISH,
    TERM__ST_TXN_GET,
    TERM__ST_TXN_FIND,
    TERM__ST_TXN_PENDING,
    TERM__ST_TXN_ASSIGN,
    TERM__ST_TXN_BATCH,
    TERM__ST_TXN_ACK,
    TERM__ST_TXN_NOTE,
    TERM__ST_BATCH_INSERT,
    TERM__ST_BATCH_OPEN,
    TERM__ST_BATCH_DONE,
    TERM__ST_BATCH_ATTEMPT,
    TERM__ST_SEQ_GET,
    TERM__ST_SEQ_PUT,
    TERM__ST_PARAM_GET,
    TERM__ST_PARAM_PUT,
    TERM__ST_BL_CLEAR,
    TERM__ST_BL_ADD,
    TERM__ST_BL_DEL,
    TERM__ST_BL_ALL,
    TERM__ST_EVENT_ADD,
    TERM__ST_COUNT
};

struct term_store {
    sqlite3 *db;
    int mode;
    unsigned group;    /* SIM: units per real commit */
    unsigned in_group; /* SIM: units since the last real commit */
    int outer;         /* SIM: the long transaction is open */
    int in_unit;
    int single; /* the unit is one statement */
    sqlite3_stmt *st[TERM__ST_COUNT];
    int sqlite_code;
    char errmsg[256];
};

/* Translates SQLite result RC (kept with the message) into a TERM_ERR_*. */
int term__store_err(term_store *s, int rc);
/* The cached statement ID, prepared on first use and reset; NULL on failure (the
 * error is recorded: term__store_err() was called, see *RC). */
sqlite3_stmt *term__stmt(term_store *s, int id, int *rc);
/* Steps a write statement to completion and resets it: 0 or TERM_ERR_*. */
int term__step_done(term_store *s, sqlite3_stmt *st);

/* A unit of work: everything between begin and commit becomes durable together
 * (DURABLE: a transaction; SIM: a savepoint in the group). Rollback undoes the unit.
 * SINGLE promises exactly one writing statement, which needs no transaction of its
 * own (DURABLE: autocommit; SIM: none). */
int term__unit_begin(term_store *s, int single);
int term__unit_commit(term_store *s);
void term__unit_rollback(term_store *s);

/* Journal rows (journal.c). Insert sets T->id. Finish sets state, flags, TAC, the
 * balance after and the time of record ID. */
int term__journal_insert(term_store *s, term_txn *t);
int term__journal_finish(term_store *s, int64_t id, int state, uint16_t flags, const uint8_t tac[4],
                         uint32_t balance_after, int64_t at);
/* Per-terminal counters: the next batch sequence and the next load number. */
int term__seq_next(term_store *s, uint64_t terminal, int which, uint32_t *out);
enum { TERM__SEQ_BATCH = 0, TERM__SEQ_LOAD = 1 };
/* Event log (blocked cards). */
int term__event_add(term_store *s, uint64_t terminal, int64_t at, int kind, uint64_t serial,
                    int detail);
enum { TERM__EV_BLACKLIST_HIT = 1, TERM__EV_BLOCKED = 2 };
/* Row reader shared by the journal queries: the columns of TERM__TXN_COLUMNS. */
void term__journal_row(sqlite3_stmt *st, term_txn *t);
#define TERM__TXN_COLUMNS                                                                          \
    "id, state, kind, flags, serial, card_type, type, counter, amount, terminal, ttn, date, "      \
    "time, balance_before, balance_after, tac, key_version, alg, entry_station, exit_station, "    \
    "operator, batch, acked, ack_result, ack_reason, at"

/* ---- the terminal ------------------------------------------------------------------ */

typedef struct term__bl {
    uint64_t serial;
    uint8_t reason;
} term__bl;

typedef struct term__pend {
    int64_t id;
    uint64_t serial;
} term__pend;

struct term {
    term_config cfg;
    term_aid aids[TERM__MAX_AIDS];
    term_store *store;
    uint64_t id;
    uint8_t tid[6];
    int64_t clock; /* the running clock of the current flow */
    uint32_t msg_id;
    int dead; /* a simulated crash happened: only term_close() */
    /* parameters */
    host_fare_table *fare; /* NULL: none */
    uint32_t fare_version;
    host_term_params params;
    uint32_t params_version; /* 0: none (defaults) */
    term__bl *bl;            /* sorted by serial */
    size_t bl_n, bl_cap;
    uint32_t bl_version;
    /* unresolved PENDING records of this terminal */
    term__pend *pend;
    size_t npend, pend_cap;
};

/* What the terminal knows of the card in the field. */
typedef struct term__card {
    uint8_t aid[16];
    uint8_t aidlen;
    uint8_t serial[8], issuer[8];
    uint64_t serialn;
    uint8_t app_type;
    uint8_t start[4], expiry[4];
    uint8_t card_type;
} term__card;

/* The parameters in force (defaults when none were downloaded). */
uint8_t term__key_index(const term *t);
uint32_t term__operator(const term *t);
uint16_t term__max_batch(const term *t);

/* APDU exchange with 61xx (GET RESPONSE) and 6Cxx (wrong Le) handled: the data into
 * OUT (CAP bytes, may be NULL when none is expected), *OUTLEN, *SW. Returns 0 or the
 * reader's TERM_ERR_*. */
int term__xchg(term *t, term_reader *r, const uint8_t *cmd, size_t len, uint8_t *out, size_t cap,
               size_t *outlen, uint16_t *sw);

/* Application selection (select.c): finds and selects the application. Returns 0
 * with C->aid set, 1 when no accepted application is there, 2 when it is blocked,
 * or TERM_ERR_*. */
int term__select(term *t, term__card *c);
/* Sets the default AID list (the PBOC purse of obol's profiles). */
void term__default_aids(term *t);

/* Local date/time (BCD) of the clock (clock.c). */
void term__local_bcd(const term *t, int64_t ns, uint8_t date[4], uint8_t time[3]);

/* Card commands (card.c). Each returns 0 with *SW (the card's answer), or TERM_ERR_*. */
typedef struct term__init {
    uint32_t balance;
    uint16_t counter;
    uint8_t overdraft[3];
    uint8_t kver, alg;
    uint8_t rnd[4];
    uint8_t mac1[4]; /* load only */
} term__init;
int term__card_read_ids(term *t, term__card *c, uint16_t *sw);
int term__card_read_record(term *t, uint8_t sfi, uint8_t rec, uint8_t *out, size_t cap, size_t *len,
                           uint16_t *sw);
int term__card_init_purchase(term *t, int capp, uint8_t purse, uint8_t kid, uint32_t amount,
                             term__init *out, uint16_t *sw);
int term__card_capp_update(term *t, uint8_t sfi, uint8_t rec, const uint8_t *data, size_t len,
                           uint16_t *sw);
int term__card_debit(term *t, uint32_t ttn, const uint8_t date[4], const uint8_t time[3],
                     const uint8_t mac1[4], uint8_t tac[4], uint8_t mac2[4], uint16_t *sw);
int term__card_prove(term *t, uint8_t type, uint16_t counter_after, uint8_t mac[4], uint8_t tac[4],
                     uint16_t *sw);
int term__card_verify_pin(term *t, uint8_t ref, const uint8_t *pin, size_t len, uint16_t *sw);
int term__card_init_load(term *t, uint8_t purse, uint8_t kid, uint32_t amount, term__init *out,
                         uint16_t *sw);
int term__card_credit_load(term *t, const uint8_t date[4], const uint8_t time[3],
                           const uint8_t mac2[4], uint8_t tac[4], uint16_t *sw);
int term__card_block(term *t, const term__card *c, uint16_t *sw);
int term__psam_open(term *t);
int term__psam_init(term *t, const term__card *c, const term__init *in, uint32_t amount,
                    uint8_t type, const uint8_t date[4], const uint8_t time[3], uint32_t *ttn,
                    uint8_t mac1[4], uint16_t *sw);
int term__psam_credit(term *t, const uint8_t mac2[4], uint16_t *sw);

/* The common start of a card transaction (term.c): clock, presence, power, selection,
 * identification, blacklist, acceptance checks, pending recovery. Returns 0 to go
 * on, 1 when RES holds a final decision (already reported), or TERM_ERR_* (the card
 * is powered off). */
int term__card_begin(term *t, int64_t now, int kind, term__card *c, term_result *res);
/* Reports a decision: duration, result callback, power off. Returns RC. */
int term__finish(term *t, term_result *res, int status, int reason, int rc);

/* Verifies the cardholder's PIN for the ED (flows.c). Returns 0 when verified, 1 when
 * a decision (declined) was reported, or TERM_ERR_*. */
int term__verify_pin(term *t, const term__card *c, term_result *res);

/* The purchase core (purchase.c). */
typedef struct term__buy {
    uint8_t kind;  /* TERM_TXN_* */
    uint8_t type;  /* 05, 06 or 09 */
    uint8_t purse; /* 1 ED, 2 EP */
    uint32_t amount;
    uint32_t need; /* balance required, >= amount */
    const uint8_t *capp;
    uint8_t capp_len;
    uint16_t entry_station, exit_station;
    uint16_t flags;
} term__buy;
int term__buy_run(term *t, const term__card *c, const term__buy *b, term_result *res);

/* Journal steps shared by purchase and load (purchase.c). The PENDING commit before
 * the card may pay (deferred in simulation mode: X->id stays 0 until the record is
 * written), its flush when a flow stops short of resolving it, and the resolution
 * (COMPLETE, VOID, UNPROVEN), which writes a deferred record in its final state. */
int term__pending_commit(term *t, term_txn *x);
int term__pending_flush(term *t, term_txn *x);
int term__resolve_commit(term *t, term_txn *x, int state, uint16_t flags, const uint8_t tac[4],
                         uint32_t balance_after);
/* A flow stops after the PENDING point without resolving it: the record goes to the
 * store as PENDING (if it was deferred), then the decision STATUS/REASON is reported
 * and RC returned; STATUS 0 is a simulated crash (no decision, TERM_ERR_CRASHED). */
int term__stop_pending(term *t, term_txn *x, term_result *res, int status, int reason, int rc);
/* The card refused the money command with SW (it kept its balance, BALANCE): the
 * record becomes VOID and the flow declines for REASON. */
int term__void_refused(term *t, term_txn *x, term_result *res, uint16_t sw, int reason,
                       uint32_t balance);
/* Fills RES from a journal record. */
void term__result_from_txn(term_result *res, const term_txn *x);

/* Recovery (recover.c): resolves the PENDING records of card C. With REPORT, returns
 * 1 when it completed one (RES filled, APPROVED/RECOVERED, reported); without, it
 * only resolves them and returns 0. 0 also when there was nothing to complete (go
 * on), or TERM_ERR_*. */
int term__recover(term *t, const term__card *c, term_result *res, int report);

/* Parameter kinds in the store: HOST_PARAM_FARE, HOST_PARAM_TERMINAL and this one for
 * the blacklist's version (its entries are in their own table). */
#define TERM__PARAM_BL 3

/* Blacklist (blacklist.c). */
const term__bl *term__bl_find(const term *t, uint64_t serial);
int term__bl_load(term *t);
int term__bl_apply(term *t, uint32_t version, int full, const host_bl_entry *e, size_t n);

/* Parameters (params.c). */
int term__params_load(term *t);
int term__params_apply(term *t, int kind, uint32_t version, const uint8_t *payload, size_t len,
                       int store);

/* Pending list (term.c). */
int term__pend_add(term *t, int64_t id, uint64_t serial);
void term__pend_del(term *t, int64_t id);
const term__pend *term__pend_find(const term *t, uint64_t serial);

/* Host exchange (sync.c): encodes nothing, sends REQ and decodes the reply into M
 * (pointing into the link's buffer). Returns 0, TERM_ERR_OFFLINE, TERM_ERR_BADMSG. */
int term__host_call(term *t, const uint8_t *req, size_t len, host_msg *m);

/* Big-endian helpers. */
static inline uint16_t term__get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t term__get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void term__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void term__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint64_t term__get_n(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}
static inline void term__put_n(uint8_t *p, size_t n, uint64_t v)
{
    for (size_t i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

#endif /* OBOL_TERM_INTERNAL_H */
