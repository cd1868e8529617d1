/*
 * obol host platform: clearing and settlement.
 *
 * Ingestion takes a terminal's batch (the protocol's BATCH message, or the same
 * records already decoded) and, in one transaction:
 *   - refuses the whole batch when the frame is malformed (checksum, length, fields),
 *     the terminal is unknown or out of service, or the batch sequence was used
 *     before with different content;
 *   - acknowledges a batch seen before (same terminal, sequence and content) again
 *     with its original counts: it is counted once, and the repeat is flagged;
 *   - otherwise checks every record — terminal and operator match the batch's
 *     terminal, the card is issued, balance before/after match the amount, the TAC
 *     verifies (through the HSM, with OpenSSL), and the record is neither a replay of
 *     one already taken (same card serial and counter, or same terminal and terminal
 *     transaction number) — and takes the good ones.
 * Nothing is dropped silently: every refused batch, refused record, duplicate and
 * flag (e.g. a blacklisted card's offline purchase, accepted since the money moved)
 * is a row in the exceptions table with its reason, and a note in the
 * acknowledgement. A store failure (I/O, disk full) rolls the batch back and returns
 * a negative HOST_ERR_*: no acknowledgement, the terminal sends the batch again.
 *
 * Settlement sums the accepted transactions per operator and day; the counter check
 * finds gaps in each card's counters; the reconciliation compares each card's balance
 * implied by its issuance, loads and purchases with the balance the card reported in
 * its latest transaction.
 */
#ifndef OBOL_HOST_SETTLE_H
#define OBOL_HOST_SETTLE_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_proto.h"

/* The outcome of one batch: the acknowledgement's content. NOTES (malloc'd, freed by
 * host_ingest_result_free()) lists every record not plainly accepted. */
typedef struct host_ingest_result {
    uint64_t terminal;
    uint32_t seq;
    uint8_t status; /* HOST_ACK_* */
    uint8_t reason; /* HOST_REASON_* when REJECTED or REPEATED */
    uint16_t records, accepted, duplicates, rejected, flagged;
    host_ack_note *notes;
    size_t n_notes;
    int64_t batch_id; /* the batch's row (0 when rejected) */
} host_ingest_result;

void host_ingest_result_free(host_ingest_result *r);

/* Ingests the BATCH frame MSG of LEN bytes. Returns 0 with OUT filled (whatever the
 * status), or a negative HOST_ERR_* for a store or crypto failure (nothing kept). */
int host_settle_ingest(host_db *db, host_hsm *hsm, const uint8_t *msg, size_t len,
                       host_ingest_result *out);

/* The same for records already decoded (the simulator's direct path); the content
 * digest is computed over their encoding, so both paths recognise each other's
 * repeats. */
int host_settle_ingest_txns(host_db *db, host_hsm *hsm, uint64_t terminal, uint32_t seq,
                            const host_txn *txns, size_t n, host_ingest_result *out);

/* Encodes R as the BATCH_ACK frame answering message ID, into a malloc'd buffer. */
int host_settle_ack_encode(const host_ingest_result *r, uint32_t id, uint8_t **out,
                           size_t *out_len);

/* ---- exceptions ------------------------------------------------------------------ */

enum { HOST_EXC_BATCH = 1, HOST_EXC_RECORD = 2, HOST_EXC_LOAD = 3, HOST_EXC_PROTOCOL = 4 };
enum { HOST_SEV_REJECTED = 0, HOST_SEV_DUPLICATE = 1, HOST_SEV_FLAGGED = 2 };

typedef struct host_exception {
    int64_t id;
    int64_t at;
    int source;   /* HOST_EXC_* */
    int severity; /* HOST_SEV_* */
    int reason;   /* HOST_REASON_* */
    uint64_t terminal;
    uint32_t batch_seq;
    int64_t batch_id; /* 0 none */
    int rec_index;    /* -1 none */
    uint64_t serial;  /* 0 none */
    int counter;      /* -1 none */
    char detail[160];
} host_exception;

/* Records an exception (used by every service that refuses input). RAW (may be NULL)
 * is kept, up to 4 KiB, for later inspection. */
int host_exception_add(host_db *db, const host_exception *e, const uint8_t *raw, size_t raw_len);

/* Exceptions with REASON (-1 any) and SEVERITY (-1 any): the count in *N. */
int host_exception_count(host_db *db, int reason, int severity, int64_t *n);

/* Exceptions with id > AFTER in id order, up to CAP into OUT, *N how many. */
int host_exception_list(host_db *db, int64_t after, host_exception *out, size_t cap, size_t *n);

/* ---- settlement ------------------------------------------------------------------ */

typedef struct host_settlement {
    uint32_t operator_id;
    uint32_t day; /* YYYYMMDD */
    int64_t purchases;
    int64_t purchase_amount; /* fen */
    int64_t loads;
    int64_t load_amount; /* fen */
} host_settlement;

/* Settles days FROM..TO (YYYYMMDD, inclusive): sums the accepted transactions per
 * operator and day, stores them (replacing an earlier run for those days, so late
 * batches are included when run again), and returns the rows in (day, operator)
 * order: up to CAP into OUT (may be NULL with CAP 0), the total in *N. */
int host_settle_run(host_db *db, uint32_t from, uint32_t to, host_settlement *out, size_t cap,
                    size_t *n);

/* ---- counters and reconciliation ------------------------------------------------- */

enum { HOST_CTR_OFFLINE = 0, HOST_CTR_ONLINE = 1 }; /* purchases, loads */

typedef struct host_gap {
    uint64_t serial;
    int kind; /* HOST_CTR_* */
    uint32_t first_missing;
    uint32_t last_missing;
} host_gap;

/* Recomputes the counter gaps of every card (a counter missing between 0 and the
 * highest one received; a gap closes when the missing transaction arrives) into the
 * counter_gap table; up to CAP gaps into OUT, the total in *N. */
int host_settle_gaps(host_db *db, host_gap *out, size_t cap, size_t *n);

typedef struct host_recon_card {
    uint64_t serial;
    int64_t initial;   /* initial balance at issuance */
    int64_t loads;     /* sum of accepted loads */
    int64_t purchases; /* sum of accepted purchases */
    int64_t implied;   /* initial + loads - purchases */
    int seen;          /* 1 when a transaction was received */
    int64_t reported;  /* balance after the latest transaction (initial when not seen) */
    uint32_t last_day;
    uint32_t last_time;
    int64_t diff; /* reported - implied */
} host_recon_card;

typedef struct host_recon {
    int64_t cards;
    int64_t cards_seen;
    int64_t mismatches;
    int64_t sum_initial, sum_loads, sum_purchases, sum_implied, sum_reported;
    int64_t loads_unconfirmed; /* approved online loads with no load record uploaded */
} host_recon;

/* The reconciliation report: SUMMARY over every card, and the cards whose reported
 * balance differs from the implied one (up to CAP into OUT, the total in *N). */
int host_settle_reconcile(host_db *db, host_recon *summary, host_recon_card *out, size_t cap,
                          size_t *n);

/* One card's line of the report. HOST_ERR_NOTFOUND. */
int host_recon_card_get(host_db *db, uint64_t serial, host_recon_card *out);

#endif /* OBOL_HOST_SETTLE_H */
