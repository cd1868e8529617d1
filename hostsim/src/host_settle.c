/*
 * obol host platform: clearing — batch ingestion with idempotency, per-record checks
 * (TAC through the HSM, balances, duplicates and replays) and the exceptions table
 * (host_settle.h). Settlement sums and reports are in host_report.c.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_issue.h"
#include "obol/host_settle.h"

enum { RAW_MAX = 4096, DIGEST = 32 };

static const char SQL_EXC_ADD[] =
    "INSERT INTO exception(at, source, severity, reason, terminal, batch_seq, batch, rec_index, "
    "serial, counter, detail, raw) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_EXC_COUNT[] =
    "SELECT count(*) FROM exception WHERE (?1 < 0 OR reason = ?1) AND (?2 < 0 OR severity = ?2)";
static const char SQL_EXC_LIST[] =
    "SELECT id, at, source, severity, reason, coalesce(terminal, 0), coalesce(batch_seq, 0), "
    "coalesce(batch, 0), coalesce(rec_index, -1), coalesce(serial, 0), coalesce(counter, -1), "
    "detail FROM exception WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char SQL_TERM[] = "SELECT operator, in_service FROM terminal WHERE id = ?1";
static const char SQL_BATCH_GET[] =
    "SELECT id, digest, records, accepted, duplicates, rejected, notes FROM batch "
    "WHERE terminal = ?1 AND seq = ?2";
static const char SQL_BATCH_REPEAT[] = "UPDATE batch SET repeats = repeats + 1 WHERE id = ?1";
static const char SQL_BATCH_ADD[] =
    "INSERT INTO batch(terminal, seq, digest, received, records, accepted, duplicates, rejected, "
    "notes) VALUES(?1, ?2, ?3, ?4, ?5, 0, 0, 0, x'')";
static const char SQL_BATCH_DONE[] =
    "UPDATE batch SET accepted = ?2, duplicates = ?3, rejected = ?4, notes = ?5 WHERE id = ?1";
static const char SQL_TERM_SEEN[] = "UPDATE terminal SET last_seen = ?2 WHERE id = ?1";
static const char SQL_CARD[] = "SELECT c.issuer, c.industry, c.state, b.reason FROM card c "
                               "LEFT JOIN blacklist b ON b.serial = c.serial WHERE c.serial = ?1";
static const char SQL_TXN_ADD[] =
    "INSERT INTO txn(batch, serial, kind, counter, type, card_type, amount, terminal, ttn, day, "
    "time, balance_before, balance_after, tac, key_version, alg, entry_station, exit_station, "
    "operator) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
    "?18, ?19)";
static const char SQL_TXN_BY_COUNTER[] =
    "SELECT id, amount, terminal, ttn, day, time, tac FROM txn "
    "WHERE serial = ?1 AND kind = ?2 AND counter = ?3";
static const char SQL_TXN_BY_TTN[] = "SELECT id FROM txn WHERE terminal = ?1 AND ttn = ?2";

/* ---- exceptions ------------------------------------------------------------------ */

int host_exception_add(host_db *db, const host_exception *e, const uint8_t *raw, size_t raw_len)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || e == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_EXC_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__db_now(db));
    sqlite3_bind_int(st, 2, e->source);
    sqlite3_bind_int(st, 3, e->severity);
    sqlite3_bind_int(st, 4, e->reason);
    if (e->terminal != 0)
        sqlite3_bind_int64(st, 5, host__i64(e->terminal));
    if (e->source == HOST_EXC_BATCH || e->source == HOST_EXC_RECORD)
        sqlite3_bind_int64(st, 6, e->batch_seq);
    if (e->batch_id != 0)
        sqlite3_bind_int64(st, 7, e->batch_id);
    if (e->rec_index >= 0)
        sqlite3_bind_int(st, 8, e->rec_index);
    if (e->serial != 0)
        sqlite3_bind_int64(st, 9, host__i64(e->serial));
    if (e->counter >= 0)
        sqlite3_bind_int(st, 10, e->counter);
    sqlite3_bind_text(st, 11, e->detail, -1, SQLITE_TRANSIENT);
    if (raw != NULL && raw_len > 0)
        sqlite3_bind_blob(st, 12, raw, (int)(raw_len > RAW_MAX ? RAW_MAX : raw_len),
                          SQLITE_TRANSIENT);
    return host__db_run(db, st);
}

int host_exception_count(host_db *db, int reason, int severity, int64_t *n)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || n == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_EXC_COUNT, &st)) != 0)
        return rc;
    sqlite3_bind_int(st, 1, reason);
    sqlite3_bind_int(st, 2, severity);
    if ((rc = host__db_step(db, st)) != 1)
        return rc == 0 ? HOST_ERR_DB : rc;
    *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int host_exception_list(host_db *db, int64_t after, host_exception *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st;
    size_t k = 0;
    int rc;

    if (db == NULL || n == NULL || (cap > 0 && out == NULL))
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_EXC_LIST, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, (int64_t)cap);
    while ((rc = host__db_step(db, st)) == 1) {
        host_exception *e = &out[k++];
        memset(e, 0, sizeof *e);
        e->id = sqlite3_column_int64(st, 0);
        e->at = sqlite3_column_int64(st, 1);
        e->source = sqlite3_column_int(st, 2);
        e->severity = sqlite3_column_int(st, 3);
        e->reason = sqlite3_column_int(st, 4);
        e->terminal = host__u64(sqlite3_column_int64(st, 5));
        e->batch_seq = (uint32_t)sqlite3_column_int64(st, 6);
        e->batch_id = sqlite3_column_int64(st, 7);
        e->rec_index = sqlite3_column_int(st, 8);
        e->serial = host__u64(sqlite3_column_int64(st, 9));
        e->counter = sqlite3_column_int(st, 10);
        snprintf(e->detail, sizeof e->detail, "%s", (const char *)sqlite3_column_text(st, 11));
    }
    *n = k;
    return rc;
}

/* ---- results --------------------------------------------------------------------- */

void host_ingest_result_free(host_ingest_result *r)
{
    if (r == NULL)
        return;
    free(r->notes);
    r->notes = NULL;
    r->n_notes = 0;
}

static int note_push(host_ingest_result *r, size_t *cap, size_t index, uint8_t result,
                     uint8_t reason)
{
    if (r->n_notes == *cap) {
        size_t c = *cap == 0 ? 16 : *cap * 2;
        host_ack_note *n = realloc(r->notes, c * sizeof *n);
        if (n == NULL)
            return HOST_ERR_NOMEM;
        r->notes = n;
        *cap = c;
    }
    r->notes[r->n_notes].index = (uint16_t)index;
    r->notes[r->n_notes].result = result;
    r->notes[r->n_notes].reason = reason;
    r->n_notes++;
    return 0;
}

/* Notes are stored in the batch row as the protocol encodes them (4 bytes each). */
static void *notes_pack(const host_ingest_result *r, size_t *len)
{
    uint8_t *p = malloc(r->n_notes * 4 + 1);
    size_t i;

    if (p == NULL)
        return NULL;
    for (i = 0; i < r->n_notes; i++) {
        p[4 * i] = (uint8_t)(r->notes[i].index >> 8);
        p[4 * i + 1] = (uint8_t)r->notes[i].index;
        p[4 * i + 2] = r->notes[i].result;
        p[4 * i + 3] = r->notes[i].reason;
    }
    *len = r->n_notes * 4;
    return p;
}

static int notes_unpack(host_ingest_result *r, const uint8_t *p, size_t len)
{
    size_t i, n = len / 4, cap = 0;
    int rc;

    for (i = 0; i < n; i++)
        if ((rc = note_push(r, &cap, (size_t)((p[4 * i] << 8) | p[4 * i + 1]), p[4 * i + 2],
                            p[4 * i + 3])) != 0)
            return rc;
    return 0;
}

int host_settle_ack_encode(const host_ingest_result *r, uint32_t id, uint8_t **out, size_t *out_len)
{
    host_msg_batch_ack a;
    size_t cap;
    int rc;

    if (r == NULL || out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    memset(&a, 0, sizeof a);
    a.terminal = r->terminal >> 48 == 0 ? r->terminal : 0;
    a.seq = r->seq;
    a.status = r->status;
    a.reason = r->reason;
    a.records = r->records;
    a.accepted = r->accepted;
    a.duplicates = r->duplicates;
    a.rejected = r->rejected;
    cap = host_proto_ack_size(r->n_notes);
    *out = malloc(cap);
    if (*out == NULL)
        return HOST_ERR_NOMEM;
    rc = host_proto_encode_ack(id, &a, r->notes, r->n_notes, *out, cap, out_len);
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- ingestion ------------------------------------------------------------------- */

/* What one batch's processing shares. */
typedef struct ingest {
    host_db *db;
    host_hsm *hsm;
    uint64_t terminal;
    uint32_t seq;
    uint32_t operator_id;
    int64_t batch_id;
    host_ingest_result *out;
    size_t notes_cap;
} ingest;

static int batch_exception(ingest *g, int severity, int reason, const char *detail,
                           const uint8_t *raw, size_t raw_len)
{
    host_exception e;

    memset(&e, 0, sizeof e);
    e.source = HOST_EXC_BATCH;
    e.severity = severity;
    e.reason = reason;
    e.terminal = g->terminal;
    e.batch_seq = g->seq;
    e.batch_id = g->batch_id;
    e.rec_index = -1;
    e.counter = -1;
    snprintf(e.detail, sizeof e.detail, "%s", detail);
    return host_exception_add(g->db, &e, raw, raw_len);
}

/* Notes record I's outcome and records the exception (every outcome but a plain
 * accept). */
static int record_outcome(ingest *g, size_t i, const host_txn *t, const uint8_t *raw, int severity,
                          int reason, const char *detail)
{
    host_ingest_result *r = g->out;
    host_exception e;
    uint8_t result;
    int rc;

    if (severity == HOST_SEV_REJECTED) {
        r->rejected++;
        result = HOST_NOTE_REJECTED;
    } else if (severity == HOST_SEV_DUPLICATE) {
        r->duplicates++;
        result = HOST_NOTE_DUPLICATE;
    } else {
        r->flagged++;
        result = HOST_NOTE_FLAGGED;
    }
    if ((rc = note_push(r, &g->notes_cap, i, result, (uint8_t)reason)) != 0)
        return rc;
    memset(&e, 0, sizeof e);
    e.source = HOST_EXC_RECORD;
    e.severity = severity;
    e.reason = reason;
    e.terminal = g->terminal;
    e.batch_seq = g->seq;
    e.batch_id = g->batch_id;
    e.rec_index = (int)i;
    e.serial = t->serial;
    e.counter = t->counter;
    snprintf(e.detail, sizeof e.detail, "%s", detail);
    return host_exception_add(g->db, &e, raw, HOST_PROTO_RECORD);
}

static void be_bytes(uint8_t *p, uint64_t v, int n)
{
    int i;

    for (i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Verifies T's TAC for the card's issuer and industry: 0, HOST_REASON_* > 0 for a
 * refusal, or a negative fault. */
static int check_tac(ingest *g, const host_txn *t, uint64_t issuer, uint32_t industry)
{
    int rc;

    if (t->type == HOST_PBOC_ED_LOAD || t->type == HOST_PBOC_EP_LOAD) {
        host_pboc_load l;
        memset(&l, 0, sizeof l);
        l.old_balance = t->balance_before;
        l.amount = t->amount;
        l.online_counter = t->counter;
        l.type = t->type;
        be_bytes(l.terminal_id, t->terminal, 6);
        memcpy(l.date, t->date, 4);
        memcpy(l.time, t->time, 3);
        rc = host_hsm_load_tac_verify(g->hsm, issuer, industry, t->key_version, t->serial, &l,
                                      t->tac);
    } else {
        host_pboc_purchase p;
        memset(&p, 0, sizeof p);
        p.amount = t->amount;
        p.type = t->type;
        be_bytes(p.terminal_id, t->terminal, 6);
        p.ttn = t->ttn;
        memcpy(p.date, t->date, 4);
        memcpy(p.time, t->time, 3);
        rc = host_hsm_purchase_tac_verify(g->hsm, issuer, industry, t->key_version, t->serial, &p,
                                          t->tac);
    }
    if (rc == HOST_ERR_MAC)
        return HOST_REASON_BAD_TAC;
    if (rc == HOST_ERR_NOTFOUND)
        return HOST_REASON_UNKNOWN_KEY;
    return rc;
}

static int insert_txn(ingest *g, const host_txn *t, int kind)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = host__db_stmt(g->db, SQL_TXN_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, g->batch_id);
    sqlite3_bind_int64(st, 2, host__i64(t->serial));
    sqlite3_bind_int(st, 3, kind);
    sqlite3_bind_int(st, 4, t->counter);
    sqlite3_bind_int(st, 5, t->type);
    sqlite3_bind_int(st, 6, t->card_type);
    sqlite3_bind_int64(st, 7, t->amount);
    sqlite3_bind_int64(st, 8, host__i64(t->terminal));
    sqlite3_bind_int64(st, 9, t->ttn);
    sqlite3_bind_int64(st, 10, host_bcd_date(t->date));
    sqlite3_bind_int64(st, 11, host_bcd_time(t->time));
    sqlite3_bind_int64(st, 12, t->balance_before);
    sqlite3_bind_int64(st, 13, t->balance_after);
    sqlite3_bind_blob(st, 14, t->tac, 4, SQLITE_STATIC);
    sqlite3_bind_int(st, 15, t->key_version);
    sqlite3_bind_int(st, 16, t->alg);
    sqlite3_bind_int(st, 17, t->entry_station);
    sqlite3_bind_int(st, 18, t->exit_station);
    sqlite3_bind_int64(st, 19, t->operator_id);
    return host__db_run(g->db, st);
}

/* After a unique-key conflict: which key, and whether the earlier record is the same
 * transaction (a replay) or a different one on the same counter (a clone or a
 * terminal fault). Fills REASON and DETAIL. */
static int classify_duplicate(ingest *g, const host_txn *t, int kind, int *reason, char *detail,
                              size_t cap)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = host__db_stmt(g->db, SQL_TXN_BY_COUNTER, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(t->serial));
    sqlite3_bind_int(st, 2, kind);
    sqlite3_bind_int(st, 3, t->counter);
    rc = host__db_step(g->db, st);
    if (rc == 1) {
        int same = (uint32_t)sqlite3_column_int64(st, 1) == t->amount &&
                   host__u64(sqlite3_column_int64(st, 2)) == t->terminal &&
                   (uint32_t)sqlite3_column_int64(st, 3) == t->ttn &&
                   (uint32_t)sqlite3_column_int64(st, 4) == host_bcd_date(t->date) &&
                   sqlite3_column_int64(st, 5) == host_bcd_time(t->time) &&
                   sqlite3_column_bytes(st, 6) == 4 &&
                   memcmp(sqlite3_column_blob(st, 6), t->tac, 4) == 0;
        *reason = HOST_REASON_DUP_CARD_COUNTER;
        snprintf(detail, cap, "%s counter %u of card %016llx already taken as txn %lld",
                 same ? "replay:" : "conflict: different transaction on", (unsigned)t->counter,
                 (unsigned long long)t->serial, (long long)sqlite3_column_int64(st, 0));
        sqlite3_reset(st);
        return 0;
    }
    if (rc < 0)
        return rc;
    if ((rc = host__db_stmt(g->db, SQL_TXN_BY_TTN, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(t->terminal));
    sqlite3_bind_int64(st, 2, t->ttn);
    rc = host__db_step(g->db, st);
    if (rc < 0)
        return rc;
    *reason = HOST_REASON_DUP_TERMINAL_TTN;
    snprintf(detail, cap, "terminal %012llx transaction number %u already taken as txn %lld",
             (unsigned long long)t->terminal, (unsigned)t->ttn,
             rc == 1 ? (long long)sqlite3_column_int64(st, 0) : -1ll);
    if (rc == 1)
        sqlite3_reset(st);
    return 0;
}

/* Checks and takes record I (encoded at RAW). Returns 0 (whatever the outcome) or a
 * negative fault. */
static int ingest_record(ingest *g, size_t i, const uint8_t *raw)
{
    sqlite3_stmt *st;
    char detail[160];
    host_txn t;
    uint64_t issuer;
    uint32_t industry;
    int rc, state, kind, listed, reason;

    if (host_txn_decode(raw, &t, &reason) != 0)
        return record_outcome(g, i, &t, raw, HOST_SEV_REJECTED, reason, "malformed record");
    if (t.terminal != g->terminal)
        return record_outcome(g, i, &t, raw, HOST_SEV_REJECTED, HOST_REASON_TERMINAL_MISMATCH,
                              "record's terminal id is not the batch's");
    if (t.operator_id != g->operator_id)
        return record_outcome(g, i, &t, raw, HOST_SEV_REJECTED, HOST_REASON_OPERATOR_MISMATCH,
                              "record's operator is not the terminal's");
    if ((rc = host__db_stmt(g->db, SQL_CARD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(t.serial));
    rc = host__db_step(g->db, st);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return record_outcome(g, i, &t, raw, HOST_SEV_REJECTED, HOST_REASON_UNKNOWN_CARD,
                              "card serial not issued");
    issuer = host__u64(sqlite3_column_int64(st, 0));
    industry = (uint32_t)sqlite3_column_int64(st, 1);
    state = sqlite3_column_int(st, 2);
    listed = sqlite3_column_type(st, 3) != SQLITE_NULL;
    sqlite3_reset(st);

    kind = t.type == HOST_PBOC_ED_LOAD || t.type == HOST_PBOC_EP_LOAD ? HOST_CTR_ONLINE
                                                                      : HOST_CTR_OFFLINE;
    if (kind == HOST_CTR_ONLINE
            ? (t.balance_before > UINT32_MAX - t.amount ||
               t.balance_before + t.amount != t.balance_after)
            : (t.balance_before < t.amount || t.balance_before - t.amount != t.balance_after))
        return record_outcome(g, i, &t, raw, HOST_SEV_REJECTED, HOST_REASON_BAD_BALANCE,
                              "balance before/after does not match the amount");
    if ((rc = check_tac(g, &t, issuer, industry)) != 0)
        return rc < 0 ? rc
                      : record_outcome(g, i, &t, raw, HOST_SEV_REJECTED, rc,
                                       rc == HOST_REASON_BAD_TAC ? "TAC does not verify"
                                                                 : "no TAC key of this version");
    rc = insert_txn(g, &t, kind);
    if (rc == HOST_ERR_DUPLICATE) {
        if ((rc = classify_duplicate(g, &t, kind, &reason, detail, sizeof detail)) != 0)
            return rc;
        return record_outcome(g, i, &t, raw, HOST_SEV_DUPLICATE, reason, detail);
    }
    if (rc != 0)
        return rc;
    g->out->accepted++;
    /* Offline transactions of a listed card are taken (the value moved on the card)
     * and flagged for the issuer. */
    if (listed || state == HOST_CARD_LOST || state == HOST_CARD_BLOCKED ||
        state == HOST_CARD_REPLACED) {
        snprintf(detail, sizeof detail, "card %s%s; transaction taken", host_card_state_name(state),
                 listed ? " and blacklisted" : "");
        rc = record_outcome(g, i, &t, raw, HOST_SEV_FLAGGED, HOST_REASON_BLACKLISTED, detail);
    }
    return rc;
}

/* An earlier batch with this terminal and sequence: acknowledge again or refuse. */
static int repeat(ingest *g, sqlite3_stmt *st, const uint8_t digest[DIGEST], const uint8_t *recs,
                  size_t raw_len)
{
    host_ingest_result *r = g->out;
    int64_t id = sqlite3_column_int64(st, 0);
    int same = sqlite3_column_bytes(st, 1) == DIGEST &&
               memcmp(sqlite3_column_blob(st, 1), digest, DIGEST) == 0;
    sqlite3_stmt *up;
    int rc;

    if (!same) {
        sqlite3_reset(st);
        r->status = HOST_ACK_REJECTED;
        r->reason = HOST_REASON_BATCH_CONFLICT;
        return batch_exception(g, HOST_SEV_REJECTED, HOST_REASON_BATCH_CONFLICT,
                               "batch sequence already used with different records", recs, raw_len);
    }
    r->status = HOST_ACK_REPEATED;
    r->reason = HOST_REASON_BATCH_REPLAY;
    r->batch_id = id;
    r->records = (uint16_t)sqlite3_column_int(st, 2);
    r->accepted = (uint16_t)sqlite3_column_int(st, 3);
    r->duplicates = (uint16_t)sqlite3_column_int(st, 4);
    r->rejected = (uint16_t)sqlite3_column_int(st, 5);
    rc = notes_unpack(r, sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6));
    sqlite3_reset(st);
    if (rc != 0)
        return rc;
    if ((rc = host__db_stmt(g->db, SQL_BATCH_REPEAT, &up)) != 0)
        return rc;
    sqlite3_bind_int64(up, 1, id);
    if ((rc = host__db_run(g->db, up)) != 0)
        return rc;
    g->batch_id = id;
    return batch_exception(g, HOST_SEV_DUPLICATE, HOST_REASON_BATCH_REPLAY,
                           "batch received again; acknowledged with its first result", NULL, 0);
}

/* The batch's body inside the open transaction. */
static int ingest_body(ingest *g, const uint8_t *recs, size_t n, const uint8_t digest[DIGEST])
{
    host_ingest_result *r = g->out;
    sqlite3_stmt *st;
    void *packed;
    size_t i, plen;
    int rc;

    if ((rc = host__db_stmt(g->db, SQL_TERM, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(g->terminal));
    rc = host__db_step(g->db, st);
    if (rc < 0)
        return rc;
    if (rc == 0 || sqlite3_column_int(st, 1) == 0) {
        if (rc == 1)
            sqlite3_reset(st);
        r->status = HOST_ACK_REJECTED;
        r->reason = HOST_REASON_UNKNOWN_TERMINAL;
        return batch_exception(g, HOST_SEV_REJECTED, HOST_REASON_UNKNOWN_TERMINAL,
                               "terminal not registered or out of service", recs,
                               n * HOST_PROTO_RECORD);
    }
    g->operator_id = (uint32_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);

    if ((rc = host__db_stmt(g->db, SQL_BATCH_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(g->terminal));
    sqlite3_bind_int64(st, 2, g->seq);
    rc = host__db_step(g->db, st);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return repeat(g, st, digest, recs, n * HOST_PROTO_RECORD);

    if ((rc = host__db_stmt(g->db, SQL_BATCH_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(g->terminal));
    sqlite3_bind_int64(st, 2, g->seq);
    sqlite3_bind_blob(st, 3, digest, DIGEST, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, host__db_now(g->db));
    sqlite3_bind_int64(st, 5, (int64_t)n);
    if ((rc = host__db_run(g->db, st)) != 0)
        return rc;
    g->batch_id = sqlite3_last_insert_rowid(g->db->sql);
    r->batch_id = g->batch_id;
    r->status = HOST_ACK_ACCEPTED;
    r->reason = HOST_REASON_OK;
    for (i = 0; i < n; i++)
        if ((rc = ingest_record(g, i, recs + i * HOST_PROTO_RECORD)) != 0)
            return rc;

    if ((packed = notes_pack(r, &plen)) == NULL)
        return HOST_ERR_NOMEM;
    if ((rc = host__db_stmt(g->db, SQL_BATCH_DONE, &st)) != 0) {
        free(packed);
        return rc;
    }
    sqlite3_bind_int64(st, 1, g->batch_id);
    sqlite3_bind_int(st, 2, r->accepted);
    sqlite3_bind_int(st, 3, r->duplicates);
    sqlite3_bind_int(st, 4, r->rejected);
    sqlite3_bind_blob(st, 5, packed, (int)plen, free);
    if ((rc = host__db_run(g->db, st)) != 0)
        return rc;
    if ((rc = host__db_stmt(g->db, SQL_TERM_SEEN, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(g->terminal));
    sqlite3_bind_int64(st, 2, host__db_now(g->db));
    return host__db_run(g->db, st);
}

static int sha256(const uint8_t *p, size_t len, uint8_t out[DIGEST])
{
    if (EVP_Digest(p, len, out, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return HOST_ERR_CRYPTO;
    }
    return 0;
}

/* Ingests N encoded records as batch (TERMINAL, SEQ) in one transaction. */
static int ingest_records(host_db *db, host_hsm *hsm, uint64_t terminal, uint32_t seq,
                          const uint8_t *recs, size_t n, host_ingest_result *out)
{
    uint8_t digest[DIGEST];
    ingest g;
    int rc;

    memset(&g, 0, sizeof g);
    g.db = db;
    g.hsm = hsm;
    g.terminal = terminal;
    g.seq = seq;
    g.out = out;
    out->terminal = terminal;
    out->seq = seq;
    out->records = (uint16_t)n;
    if ((rc = sha256(recs, n * HOST_PROTO_RECORD, digest)) != 0)
        return rc;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = ingest_body(&g, recs, n, digest)) != 0) {
        host__db_rollback(db);
        goto fail;
    }
    if ((rc = host__db_commit(db)) != 0)
        goto fail;
    return 0;
fail:
    /* Nothing of the batch was kept: the terminal keeps it and sends it again. */
    host_ingest_result_free(out);
    memset(out, 0, sizeof *out);
    return rc;
}

/* Takes terminal id and sequence from a frame that did not decode, when the bytes
 * are there, so the exception names who sent it. */
static void salvage_ids(const uint8_t *msg, size_t len, uint64_t *terminal, uint32_t *seq)
{
    const uint8_t *p;
    int i;

    *terminal = 0;
    *seq = 0;
    if (msg == NULL || len < HOST_PROTO_HDR + 10 || msg[3] != HOST_MSG_BATCH)
        return;
    p = msg + HOST_PROTO_HDR;
    for (i = 0; i < 6; i++)
        *terminal = (*terminal << 8) | p[i];
    *seq = ((uint32_t)p[6] << 24) | ((uint32_t)p[7] << 16) | ((uint32_t)p[8] << 8) | p[9];
}

int host_settle_ingest(host_db *db, host_hsm *hsm, const uint8_t *msg, size_t len,
                       host_ingest_result *out)
{
    host_msg m;
    int reason = 0, rc;

    if (db == NULL || hsm == NULL || out == NULL || (msg == NULL && len > 0))
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    rc = msg == NULL ? HOST_ERR_BADMSG : host_proto_decode(msg, len, &m, &reason);
    if (rc == 0 && m.type != HOST_MSG_BATCH) {
        rc = HOST_ERR_BADMSG;
        reason = HOST_REASON_TYPE;
    }
    if (rc == HOST_ERR_BADMSG) {
        ingest g;
        char detail[96];
        memset(&g, 0, sizeof g);
        g.db = db;
        salvage_ids(msg, len, &g.terminal, &g.seq);
        out->terminal = g.terminal;
        out->seq = g.seq;
        out->status = HOST_ACK_REJECTED;
        out->reason = (uint8_t)(reason == 0 ? HOST_REASON_LENGTH : reason);
        snprintf(detail, sizeof detail, "batch frame refused: %s", host_reason_str(out->reason));
        rc = batch_exception(&g, HOST_SEV_REJECTED, out->reason, detail, msg, len);
        if (rc != 0)
            memset(out, 0, sizeof *out);
        return rc;
    }
    if (rc != 0)
        return rc;
    return ingest_records(db, hsm, m.u.batch.terminal, m.u.batch.seq, m.u.batch.records,
                          m.u.batch.count, out);
}

int host_settle_ingest_txns(host_db *db, host_hsm *hsm, uint64_t terminal, uint32_t seq,
                            const host_txn *txns, size_t n, host_ingest_result *out)
{
    uint8_t *recs;
    size_t i;
    int rc;

    if (db == NULL || hsm == NULL || out == NULL || (n > 0 && txns == NULL) ||
        n > HOST_PROTO_MAX_RECORDS)
        return HOST_ERR_ARG;
    memset(out, 0, sizeof *out);
    recs = malloc(n * HOST_PROTO_RECORD + 1);
    if (recs == NULL)
        return HOST_ERR_NOMEM;
    for (i = 0; i < n; i++)
        if ((rc = host_txn_encode(&txns[i], recs + i * HOST_PROTO_RECORD)) != 0)
            goto done;
    rc = ingest_records(db, hsm, terminal, seq, recs, n, out);
done:
    free(recs);
    return rc;
}
