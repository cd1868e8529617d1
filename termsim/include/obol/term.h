/*
 * obol terminal kernel: a terminal (metro gate, bus validator, retail POS, set-top
 * box) with its PSAM, its store, its parameters and its link to the host.
 *
 * The kernel drives the card only through its reader (term_reader.h) and the PSAM
 * through a second reader, with APDUs: application selection (PPSE/PSE directory or
 * direct SELECT over a prioritized AID list), the PBOC purchase, the composite
 * transit purchase (INITIALIZE FOR CAPP PURCHASE -> UPDATE CAPP DATA CACHE -> INIT SAM
 * FOR PURCHASE type 09 -> DEBIT FOR PURCHASE -> CREDIT SAM FOR PURCHASE), the online
 * load with the host's MAC2, recovery of an interrupted transaction with GET
 * TRANSACTION PROVE, and the blacklist (with APPLICATION BLOCK). docs/terminal.md
 * describes the flows, the fare model (term_transit.h) and the journal.
 *
 * Order of a transaction, which a crash at any point cannot break:
 *   card reads -> PSAM MAC1 -> journal PENDING (commit) -> DEBIT -> MAC2 check ->
 *   journal COMPLETE with the TAC (commit) -> result callback (the gate opens).
 *
 * Time: every call takes NOW (ns since 1970, UTC; virtual in a simulation) and runs
 * synchronously, advancing the terminal's own clock by what each reader exchange
 * took; the result says when the transaction started and how long it took. Local
 * dates and times for the card are NOW + utc_offset_min.
 *
 * Threading and ownership: a term is used by one thread at a time; the caller owns
 * the readers, the store (shared by any number of terminals) and the callbacks'
 * contexts, which must outlive the term.
 */
#ifndef OBOL_TERM_H
#define OBOL_TERM_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_fare.h"
#include "obol/host_proto.h"
#include "obol/term_error.h"
#include "obol/term_reader.h"
#include "obol/term_store.h"

typedef enum term_kind {
    TERM_GATE_ENTRY = 1, /* metro entry gate: term_tap() */
    TERM_GATE_EXIT = 2,  /* metro exit gate: term_tap() */
    TERM_BUS = 3,        /* bus validator: term_tap() */
    TERM_POS = 4,        /* retail POS: term_purchase(), term_load() */
    TERM_STB = 5         /* set-top box (contact): term_purchase() */
} term_kind;

/* Decisions. */
enum {
    TERM_APPROVED = 1, /* the card paid (or the load landed): open, print, serve */
    TERM_DECLINED = 2, /* nothing was taken from the card */
    TERM_PENDING = 3   /* DEBIT/CREDIT went out and no answer came back: unknown until
                          the card's next tap at this terminal resolves it */
};

/* Why a decision was what it was. Stable values. */
#define TERM_REASON_MAP(XX)                                                                        \
    XX(OK, 0, "approved")                                                                          \
    XX(NO_APP, 1, "no supported application on the card")                                          \
    XX(APP_BLOCKED, 2, "application blocked")                                                      \
    XX(BLACKLISTED, 3, "card is blacklisted")                                                      \
    XX(NO_FUNDS, 4, "balance too low")                                                             \
    XX(EXPIRED, 5, "application expired or not yet valid")                                         \
    XX(ISSUER, 6, "issuer not accepted here")                                                      \
    XX(CARD_TYPE, 7, "card type not accepted here")                                                \
    XX(LIMIT, 8, "amount above the terminal's limit")                                              \
    XX(PIN, 9, "PIN not entered, wrong or blocked")                                                \
    XX(HOST_DECLINED, 10, "the host declined")                                                     \
    XX(CARD_REFUSED, 11, "the card refused a command")                                             \
    XX(LOCKED, 12, "purse locked after MAC failures")                                              \
    XX(KEY, 13, "key index or version not supported")                                              \
    XX(CARD_LOST, 14, "card left the field before anything was taken")                             \
    XX(RECOVERED, 15, "a transaction interrupted earlier was completed")                           \
    XX(NOT_GENUINE, 16, "the card failed authentication: the PSAM refused its MAC2")

enum term_reason {
#define TERM__REASON_ENUM(name, value, msg) TERM_R_##name = (value),
    TERM_REASON_MAP(TERM__REASON_ENUM)
#undef TERM__REASON_ENUM
};

/* "NO_FUNDS" / "balance too low"; "?" for values not in the table. Static strings. */
const char *term_reason_name(int reason);
const char *term_reason_str(int reason);

/* What a transaction came to. Filled by every operation that ran a card. */
typedef struct term_result {
    int status;      /* TERM_APPROVED, TERM_DECLINED, TERM_PENDING */
    int reason;      /* TERM_R_* */
    uint16_t flags;  /* TERM_F_* (term_store.h) */
    uint8_t kind;    /* TERM_TXN_* */
    uint16_t sw;     /* the card's status word behind CARD_REFUSED/KEY/LOCKED, else 0 */
    uint64_t serial; /* card serial (0 when not read) */
    uint8_t card_type;
    uint32_t amount; /* taken (or loaded), fen */
    uint32_t balance_before, balance_after;
    uint32_t ttn;
    uint16_t counter; /* the card's counter before this transaction */
    uint8_t tac[4];
    uint16_t entry_station, exit_station;
    int64_t journal_id; /* 0 when nothing was journaled */
    int64_t start;      /* the clock when the flow started, ns */
    int64_t duration;   /* the sum of the reader exchanges, ns */
} term_result;

/* An AID the terminal accepts. PRIORITY 1 is the highest (0: lowest); PARTIAL accepts
 * a card AID that starts with it (ISO/IEC 7816-4 partial name selection). */
typedef struct term_aid {
    uint8_t aid[16];
    uint8_t len;
    uint8_t priority;
    uint8_t partial;
} term_aid;

/* The host link: sends one protocol frame REQ (LEN bytes) and returns the reply in
 * *RSP (owned by the link, valid until the next call on it). Returns 0, or
 * TERM_ERR_OFFLINE when the request or the reply was lost. */
typedef int (*term_host_fn)(void *ctx, const uint8_t *req, size_t len, const uint8_t **rsp,
                            size_t *rsplen);

/* PIN entry (POS): the cardholder's PIN as PBOC sends it (BCD digits packed, "123456"
 * -> 12 34 56) into PIN (CAP bytes), its length into *LEN. Returns 0, or negative
 * when the cardholder cancels. */
typedef int (*term_pin_fn)(void *ctx, uint64_t serial, uint8_t *pin, size_t cap, size_t *len);

/* The security module's MAC for a card issuer command (APPLICATION BLOCK): the 4-byte
 * line-protection MAC of the card OS (ISO/IEC 9797-1 with the card's challenge as
 * ICV, under the card's application maintenance key, dispersed by SERIAL/ISSUER) over
 * DATA (the command header and data, without the MAC). Returns 0 or negative. */
typedef int (*term_block_mac_fn)(void *ctx, const uint8_t serial[8], const uint8_t issuer[8],
                                 const uint8_t *challenge, size_t chlen, const uint8_t *data,
                                 size_t len, uint8_t mac[4]);

/* Called with every decision after it is committed and before the operation returns:
 * for a gate, TERM_APPROVED means "open now". RES is valid during the call. */
typedef void (*term_result_fn)(void *ctx, const term_result *res);

/* Simulated crash points (fault injection for simulations and tests): the flow stops
 * dead there and returns TERM_ERR_CRASHED, leaving the store and the cards exactly as
 * a killed terminal would; the term must then be closed (term_close) and reopened. */
enum {
    TERM_CRASH_NONE = 0,
    TERM_CRASH_AFTER_PENDING = 1, /* PENDING committed, DEBIT/CREDIT not sent */
    TERM_CRASH_AFTER_DEBIT = 2,   /* the card answered DEBIT/CREDIT, nothing committed */
    TERM_CRASH_AFTER_COMMIT = 3   /* COMPLETE committed, result not yet reported */
};

typedef struct term_config {
    term_kind kind;
    term_reader *card;       /* the card reader (contactless for gates/bus, contact for STB) */
    term_reader *psam;       /* the PSAM slot (contact); required except for a load-only POS */
    term_store *store;       /* required */
    uint16_t station;        /* gates and bus: the station (stop) id of the fare table */
    uint32_t operator_id;    /* used until terminal parameters name one */
    const term_aid *aids;    /* NULL: the PBOC purse AID A00000000386980701 */
    size_t naids;            /* at most 8 */
    int no_directory;        /* 1: skip PPSE/PSE and SELECT the AIDs directly */
    uint8_t capp_sfi;        /* trip record file, 0: 0x17 */
    uint8_t capp_record;     /* its record number, 0: 1 */
    uint32_t pin_free_limit; /* POS: EP purchases up to this amount; above, ED with PIN */
    uint8_t pin_ref;         /* the ED PIN's reference, 0: 1 */
    int32_t utc_offset_min;  /* local time = UTC + this (Beijing: 480) */
    term_host_fn host;
    void *host_ctx;
    term_pin_fn pin;
    void *pin_ctx;
    term_block_mac_fn block_mac; /* NULL: blacklisted cards are refused, not blocked */
    void *block_ctx;
    term_result_fn on_result;
    void *result_ctx;
    int crash_at; /* TERM_CRASH_*; 0 in production */
} term_config;

typedef struct term term;

/* Opens the terminal described by CFG (copied; the AID list too) at NOW: powers the
 * PSAM on, selects its application and reads the terminal id (the PSAM's EF 0016),
 * loads the parameters, blacklist and unresolved PENDING records of that terminal
 * id from the store. Returns 0 with *OUT (close it with term_close()), TERM_ERR_ARG,
 * TERM_ERR_PSAM (no PSAM, or it refused), TERM_ERR_NOMEM, or a store error. */
int term_open(const term_config *cfg, int64_t now, term **out);

/* Closes T (the PSAM is powered off; nothing is written). NULL is a no-op. */
void term_close(term *t);

/* The terminal id as a number (the 6 bytes of the PSAM's EF 0016) and its kind. */
uint64_t term_id(const term *t);
term_kind term_get_kind(const term *t);

/* Gate or bus: a tap of the card in the card reader at NOW. Returns 0 with *RES when
 * a decision was reached (approved or declined, or PENDING when the card left after
 * DEBIT went out: then TERM_ERR_CARD_LOST is returned as well), TERM_ERR_NO_CARD,
 * TERM_ERR_CARD_LOST (with RES->status DECLINED when nothing was taken),
 * TERM_ERR_READER, TERM_ERR_PSAM, TERM_ERR_PARAMS (no fare table: out of service),
 * TERM_ERR_STATE (not a gate or bus), TERM_ERR_CRASHED, or a store error (the card
 * may have paid: the record stays PENDING and the next tap resolves it). RES may
 * not be NULL. */
int term_tap(term *t, int64_t now, term_result *res);

/* POS or set-top box: a purchase of AMOUNT fen with the card in the card reader. A
 * POS takes amounts up to the configured PIN-free limit from the EP without a PIN,
 * larger ones from the ED after the PIN (cfg.pin); above the parameters' offline
 * limit it declines (LIMIT). A set-top box debits the EP over the contact
 * interface. Returns as term_tap(). */
int term_purchase(term *t, int64_t now, uint32_t amount, term_result *res);

/* POS: an online load of AMOUNT fen into PURSE (1 ED with PIN, 2 EP) with MAC2 from the
 * host (LOAD_REQ/LOAD_REPLY over cfg.host). Returns as term_tap(), and
 * TERM_ERR_OFFLINE when the host did not answer (nothing loaded). */
int term_load(term *t, int64_t now, uint32_t amount, uint8_t purse, term_result *res);

/* ---- parameters ------------------------------------------------------------------- */

typedef struct term_sync_stats {
    uint32_t fare_version, params_version, blacklist_version; /* held after the sync */
    uint8_t fare_updated, params_updated, blacklist_updated;
    uint32_t blacklist_size;
} term_sync_stats;

/* Downloads what changed from the host, by version, through the protocol: the fare
 * table, the terminal parameters, the blacklist (delta or full). Each set is
 * checked, committed to the store and only then used. ST may be NULL. Returns 0,
 * TERM_ERR_OFFLINE, TERM_ERR_BADMSG, TERM_ERR_HOST (refused), or a store error; sets
 * fetched before a failure stay. */
int term_sync(term *t, int64_t now, term_sync_stats *st);

/* Installs a parameter payload as if downloaded: KIND HOST_PARAM_FARE or
 * HOST_PARAM_TERMINAL, the protocol's encoding (host_fare_encode(),
 * host_term_params_encode()). For commissioning and tests. */
int term_install_params(term *t, int kind, uint32_t version, const uint8_t *payload, size_t len);
/* Applies blacklist entries as a BL_REPLY would: FULL replaces the list. */
int term_install_blacklist(term *t, uint32_t version, int full, const host_bl_entry *e, size_t n);

/* What the terminal runs with (NULL when it has none). */
const host_fare_table *term_fare(const term *t);
const host_term_params *term_params(const term *t);
uint32_t term_blacklist_version(const term *t);
int term_blacklisted(const term *t, uint64_t serial);

/* ---- upload ------------------------------------------------------------------------ */

typedef struct term_upload_stats {
    uint32_t batches_sent;  /* frames sent, retries included */
    uint32_t batches_acked; /* acknowledged ACCEPTED or REPEATED */
    uint32_t batches_rejected;
    uint32_t retries; /* resends of a batch whose acknowledgement was lost */
    uint32_t records_acked;
    uint32_t records_duplicate, records_rejected; /* per-record notes */
} term_upload_stats;

/* Uploads the completed records not yet acknowledged, in batches of at most the
 * parameters' max_batch_records (default 500): a batch's content and sequence number
 * are committed before it is sent, so a lost acknowledgement is answered by sending
 * the same batch again (the host answers REPEATED and counts it once). Acknowledged
 * records are marked. ST may be NULL (counts are added to it). Returns 0 when
 * everything was acknowledged, TERM_ERR_OFFLINE (try again later; nothing is lost),
 * TERM_ERR_HOST (a batch was REJECTED: kept, see the journal), or a store error. */
int term_upload(term *t, int64_t now, term_upload_stats *st);

/* Records of this terminal still PENDING (unresolved). */
size_t term_pending_count(const term *t);

#endif /* OBOL_TERM_H */
