/*
 * obol terminal kernel: the terminal's store and its transaction journal (SQLite).
 *
 * One store holds, per terminal id: the journal of transactions, the upload batches,
 * the parameter sets (fare table, terminal parameters) and the blacklist as last
 * downloaded, and events (cards blocked). Every completed transaction is committed
 * here before the terminal opens its gate or reports the sale; a transaction whose
 * DEBIT (or CREDIT) may have reached the card is committed as PENDING first, so a
 * crash or a card pulled away at any point leaves a record the next tap of that card
 * resolves (GET TRANSACTION PROVE). docs/terminal.md explains the model.
 *
 * Two durability modes:
 *   TERM_STORE_DURABLE  a real terminal: a file in WAL mode with synchronous=FULL;
 *                       every commit is on disk when it returns, so killing the
 *                       process at any instant loses nothing that was reported.
 *   TERM_STORE_SIM      simulation: many simulated terminals share one store (a file
 *                       with synchronous=OFF, or in memory). A terminal's commit is
 *                       a savepoint release inside a long transaction that the store
 *                       commits every GROUP units; a simulated terminal crash keeps
 *                       exactly what that terminal had committed, as a real one would.
 *
 * SQLite's result codes never leave this boundary: they become TERM_ERR_DB, _IO,
 * _BUSY, _CORRUPT, _SCHEMA or _NOMEM, and the last message is kept
 * (term_store_errmsg()). A store is one connection: one thread at a time; the caller
 * owns it and closes it after every terminal using it.
 */
#ifndef OBOL_TERM_STORE_H
#define OBOL_TERM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_proto.h"
#include "obol/term_error.h"

/* PRAGMA application_id of a terminal store ("OBTM") and the schema version. */
#define TERM_STORE_APPLICATION_ID 0x4F42544D
#define TERM_STORE_SCHEMA_VERSION 1

enum { TERM_STORE_DURABLE = 1, TERM_STORE_SIM = 2 };

typedef struct term_store term_store;

typedef struct term_store_options {
    int mode;        /* TERM_STORE_DURABLE (default when 0) or TERM_STORE_SIM */
    const char *vfs; /* SQLite VFS name (fault injection in tests), NULL: default */
    unsigned group;  /* SIM: terminal commits per real commit, 0: 4096 */
    int cache_kib;   /* page cache, 0: SQLite's default */
} term_store_options;

/* Opens (creating when needed) the store at PATH. PATH NULL or ":memory:" is an
 * in-memory store (SIM mode only). Returns 0, TERM_ERR_IO (cannot open or create),
 * TERM_ERR_CORRUPT (not a database, or not a terminal store), TERM_ERR_SCHEMA (a
 * newer schema), TERM_ERR_ARG, TERM_ERR_NOMEM. */
int term_store_open(const char *path, const term_store_options *opt, term_store **out);

/* Commits what SIM mode holds in its group, finalizes and closes. NULL is a no-op.
 * Terminals using S must be closed first. */
void term_store_close(term_store *s);

/* SIM mode: commits the current group now (a checkpoint for readers on other
 * connections). DURABLE mode: nothing to do. */
int term_store_flush(term_store *s);

/* The mode the store was opened in. */
int term_store_mode(const term_store *s);

/* The last SQLite message seen ("" if none); owned by S. */
const char *term_store_errmsg(const term_store *s);

/* ---- the journal ----------------------------------------------------------------- */

/* Journal record states. */
enum {
    TERM_TXN_PENDING = 0,  /* committed before DEBIT/CREDIT: outcome unknown until resolved */
    TERM_TXN_COMPLETE = 1, /* the card took it; TAC known */
    TERM_TXN_VOID = 2,     /* resolved: the card never took it */
    TERM_TXN_UNPROVEN = 3  /* resolved: the card took it, its TAC is gone (kept for the operator) */
};

/* Transaction kinds. */
enum {
    TERM_TXN_ENTRY = 1,       /* metro gate entry (composite purchase, entry record) */
    TERM_TXN_EXIT = 2,        /* metro gate exit (composite purchase of the fare) */
    TERM_TXN_BUS = 3,         /* bus validator (composite purchase, flat fare) */
    TERM_TXN_PURCHASE = 4,    /* retail purchase (EP, or ED with PIN) */
    TERM_TXN_LOAD = 5,        /* online load */
    TERM_TXN_SUBSCRIPTION = 6 /* set-top box pay-TV debit */
};

/* Record flags (also in term_result.flags). */
enum {
    TERM_F_RECOVERED = 0x0001, /* completed by GET TRANSACTION PROVE after a lost answer */
    TERM_F_PENALTY = 0x0002,   /* the maximum fare: no entry record, or a trip left open */
    TERM_F_TRANSFER = 0x0004,  /* a transfer rule reduced the fare */
    TERM_F_DISCOUNT = 0x0008,  /* a card-type discount applied */
    TERM_F_PIN = 0x0010,       /* the cardholder's PIN was verified (ED) */
    TERM_F_MAC2_BAD = 0x0020,  /* the PSAM refused the card's MAC2 (the card debited anyway) */
    TERM_F_BLOCKED = 0x0040,   /* the card's application was blocked (blacklist) */
    TERM_F_REPEAT = 0x0080     /* the answer was already given (recovery of a lost tap) */
};

/* One journal record: the transaction as uploaded (host_txn) and its local state. */
typedef struct term_txn {
    int64_t id;
    uint8_t state; /* TERM_TXN_PENDING... */
    uint8_t kind;  /* TERM_TXN_ENTRY... */
    uint16_t flags;
    host_txn rec;       /* rec.terminal and rec.ttn identify it */
    uint32_t batch;     /* upload batch sequence, 0: not in a batch yet */
    uint8_t acked;      /* 1: the host holds the batch */
    uint8_t ack_result; /* HOST_NOTE_* of the acknowledgement */
    uint8_t ack_reason; /* HOST_REASON_* */
    int64_t at;         /* terminal clock (ns) when it was committed last */
} term_txn;

/* The record with journal id ID, or with (TERMINAL, TTN). 0 or TERM_ERR_NOT_FOUND. */
int term_journal_get(term_store *s, int64_t id, term_txn *out);
int term_journal_find(term_store *s, uint64_t terminal, uint32_t ttn, term_txn *out);

/* Calls FN for each record of TERMINAL (0: every terminal) in STATE (-1: any), in
 * journal order; FN returning non-zero stops the walk with that value. */
typedef int (*term_txn_fn)(void *ctx, const term_txn *t);
int term_journal_each(term_store *s, uint64_t terminal, int state, term_txn_fn fn, void *ctx);

/* Counts records of TERMINAL (0: all) in STATE (-1: any) with ACKED (-1: any). */
int term_journal_count(term_store *s, uint64_t terminal, int state, int acked, int64_t *n);

#endif /* OBOL_TERM_STORE_H */
