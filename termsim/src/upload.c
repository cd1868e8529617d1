/*
 * obol terminal kernel: batch upload of the journal (term_upload(); docs/terminal.md,
 * "Upload").
 *
 * A batch is made once: in one unit of work the terminal takes the next batch
 * sequence number and stamps it on the oldest completed records not yet in a batch
 * (at most max_batch_records), and records the batch as open. Only then is it encoded
 * (from the records carrying its number, in journal order) and sent; so whatever
 * happens to the acknowledgement, a resend is byte for byte the same batch under the
 * same number, and the host, which keys batches by (terminal, sequence) and their
 * digest, answers REPEATED and counts it once. An acknowledgement (ACCEPTED or
 * REPEATED) marks the batch and its records in one unit; per-record notes (duplicate,
 * rejected, flagged) are kept on the records. A REJECTED batch is closed with its
 * reason and its records stay unacknowledged for the operator.
 */
#include <stdlib.h>
#include <string.h>

#include "term_internal.h"

/* The oldest open batch of the terminal (0: none) and whether it was sent before. */
static int open_batch(term *t, uint32_t *seq, int *sent)
{
    sqlite3_stmt *st;
    int r, rc;

    *seq = 0;
    *sent = 0;
    if ((st = term__stmt(t->store, TERM__ST_BATCH_OPEN, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    r = sqlite3_step(st);
    *seq = r == SQLITE_ROW ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
    *sent = r == SQLITE_ROW && sqlite3_column_int64(st, 1) > 0;
    rc = r == SQLITE_ROW || r == SQLITE_DONE
             ? 0
             : term__store_err(t->store, sqlite3_extended_errcode(t->store->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* Makes a new batch of the completed records not yet in one; *SEQ 0 when there are
 * none. */
static int make_batch(term *t, int64_t now, uint32_t *seq)
{
    sqlite3_stmt *st;
    uint32_t s;
    int n, rc;

    *seq = 0;
    if ((rc = term__unit_begin(t->store, 0)) != 0)
        return rc;
    if ((rc = term__seq_next(t->store, t->id, TERM__SEQ_BATCH, &s)) != 0)
        goto fail;
    if ((st = term__stmt(t->store, TERM__ST_TXN_ASSIGN, &rc)) == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int(st, 2, term__max_batch(t));
    sqlite3_bind_int64(st, 3, s);
    if ((rc = term__step_done(t->store, st)) != 0)
        goto fail;
    n = sqlite3_changes(t->store->db);
    if (n == 0) {
        /* Nothing to send: do not spend a sequence number. */
        term__unit_rollback(t->store);
        return 0;
    }
    if ((st = term__stmt(t->store, TERM__ST_BATCH_INSERT, &rc)) == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int64(st, 2, s);
    sqlite3_bind_int(st, 3, n);
    sqlite3_bind_int64(st, 4, now);
    if ((rc = term__step_done(t->store, st)) != 0 || (rc = term__unit_commit(t->store)) != 0)
        goto fail;
    *seq = s;
    return 0;
fail:
    term__unit_rollback(t->store);
    return rc;
}

/* The records of batch SEQ (journal order): their ids into IDS and host records into
 * RECS, both allocated here. */
static int batch_records(term *t, uint32_t seq, int64_t **ids, host_txn **recs, size_t *n)
{
    sqlite3_stmt *st;
    term_txn x;
    size_t cap = 0, k = 0;
    int r, rc;

    *ids = NULL;
    *recs = NULL;
    if ((st = term__stmt(t->store, TERM__ST_TXN_BATCH, &rc)) == NULL)
        return rc;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int64(st, 2, seq);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            size_t nc = cap ? 2 * cap : 64;
            int64_t *a = realloc(*ids, nc * sizeof *a);
            host_txn *b = a != NULL ? realloc(*recs, nc * sizeof *b) : NULL;
            if (a != NULL)
                *ids = a;
            if (b == NULL) {
                rc = TERM_ERR_NOMEM;
                break;
            }
            *recs = b;
            cap = nc;
        }
        term__journal_row(st, &x);
        (*ids)[k] = x.id;
        (*recs)[k] = x.rec;
        k++;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = term__store_err(t->store, sqlite3_extended_errcode(t->store->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == 0 && k > HOST_PROTO_MAX_RECORDS)
        rc = TERM_ERR_STATE;
    if (rc != 0) {
        free(*ids);
        free(*recs);
        *ids = NULL;
        *recs = NULL;
        return rc;
    }
    *n = k;
    return 0;
}

/* Marks batch SEQ acknowledged (or rejected) with the ack's counters and notes. */
static int close_batch(term *t, int64_t now, uint32_t seq, const host_msg *m, const int64_t *ids,
                       size_t n, term_upload_stats *s)
{
    const host_msg_batch_ack *a = &m->u.ack;
    int rejected = a->status == HOST_ACK_REJECTED;
    sqlite3_stmt *st;
    int rc;

    if ((rc = term__unit_begin(t->store, 0)) != 0)
        return rc;
    if (!rejected) {
        if ((st = term__stmt(t->store, TERM__ST_TXN_ACK, &rc)) == NULL)
            goto fail;
        sqlite3_bind_int64(st, 1, (int64_t)t->id);
        sqlite3_bind_int64(st, 2, seq);
        if ((rc = term__step_done(t->store, st)) != 0)
            goto fail;
    }
    for (uint32_t i = 0; i < a->n_notes; i++) {
        host_ack_note note;
        if (host_proto_ack_note(m, i, &note) != 0 || note.index >= n)
            continue;
        if ((st = term__stmt(t->store, TERM__ST_TXN_NOTE, &rc)) == NULL)
            goto fail;
        sqlite3_bind_int64(st, 1, ids[note.index]);
        sqlite3_bind_int(st, 2, note.result);
        sqlite3_bind_int(st, 3, note.reason);
        if ((rc = term__step_done(t->store, st)) != 0)
            goto fail;
    }
    if ((st = term__stmt(t->store, TERM__ST_BATCH_DONE, &rc)) == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int(st, 3, rejected ? 2 : 1);
    sqlite3_bind_int(st, 4, a->reason);
    sqlite3_bind_int(st, 5, a->accepted);
    sqlite3_bind_int(st, 6, a->duplicates);
    sqlite3_bind_int(st, 7, a->rejected);
    sqlite3_bind_int64(st, 8, now);
    if ((rc = term__step_done(t->store, st)) != 0 || (rc = term__unit_commit(t->store)) != 0)
        goto fail;
    if (rejected) {
        s->batches_rejected++;
    } else {
        s->batches_acked++;
        s->records_acked += (uint32_t)n;
        s->records_duplicate += a->duplicates;
        s->records_rejected += a->rejected;
    }
    return 0;
fail:
    term__unit_rollback(t->store);
    return rc;
}

/* Counts a send attempt of batch SEQ (a resend when it is not the first). */
static int attempt(term *t, uint32_t seq)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = term__unit_begin(t->store, 1)) != 0)
        return rc;
    if ((st = term__stmt(t->store, TERM__ST_BATCH_ATTEMPT, &rc)) == NULL)
        goto fail;
    sqlite3_bind_int64(st, 1, (int64_t)t->id);
    sqlite3_bind_int64(st, 2, seq);
    if ((rc = term__step_done(t->store, st)) != 0 || (rc = term__unit_commit(t->store)) != 0)
        goto fail;
    return 0;
fail:
    term__unit_rollback(t->store);
    return rc;
}

/* Sends batch SEQ and handles its acknowledgement. Returns 0 (acknowledged), 1
 * (rejected and closed), or TERM_ERR_*. */
static int send_batch(term *t, int64_t now, uint32_t seq, int resend, term_upload_stats *s)
{
    host_msg_batch b;
    host_msg m;
    host_txn *recs = NULL;
    int64_t *ids = NULL;
    uint8_t *frame = NULL;
    size_t n = 0, len, cap;
    int rc;

    if ((rc = batch_records(t, seq, &ids, &recs, &n)) != 0)
        return rc;
    cap = host_proto_batch_size(n);
    if ((frame = malloc(cap)) == NULL) {
        rc = TERM_ERR_NOMEM;
        goto out;
    }
    memset(&b, 0, sizeof b);
    b.terminal = t->id;
    b.seq = seq;
    if (host_proto_encode_batch(++t->msg_id, &b, recs, n, frame, cap, &len) != 0) {
        rc = TERM_ERR_STATE;
        goto out;
    }
    if ((rc = attempt(t, seq)) != 0)
        goto out;
    s->batches_sent++;
    if (resend)
        s->retries++;
    rc = term__host_call(t, frame, len, &m);
    if (rc != 0)
        goto out;
    if (m.type != HOST_MSG_BATCH_ACK || m.u.ack.seq != seq || m.u.ack.terminal != t->id) {
        /* An ERROR reply (host fault, unknown terminal) leaves the batch open. */
        rc = m.type == HOST_MSG_ERROR ? TERM_ERR_HOST : TERM_ERR_BADMSG;
        goto out;
    }
    if ((rc = close_batch(t, now, seq, &m, ids, n, s)) != 0)
        goto out;
    if (m.u.ack.status == HOST_ACK_REJECTED)
        rc = 1;
out:
    free(frame);
    free(ids);
    free(recs);
    return rc;
}

int term_upload(term *t, int64_t now, term_upload_stats *st)
{
    term_upload_stats local;
    term_upload_stats *s = st != NULL ? st : &local;
    uint32_t seq = 0;
    int rc, resend = 0, rejected = 0;

    if (t == NULL)
        return TERM_ERR_ARG;
    if (t->dead || t->cfg.host == NULL)
        return TERM_ERR_STATE;
    if (st == NULL)
        memset(&local, 0, sizeof local);
    t->clock = now;
    for (;;) {
        /* An open batch first: it was made (and maybe sent) before. */
        if ((rc = open_batch(t, &seq, &resend)) != 0)
            return rc;
        if (seq == 0) {
            if ((rc = make_batch(t, now, &seq)) != 0)
                return rc;
            if (seq == 0)
                return rejected ? TERM_ERR_HOST : 0;
        }
        rc = send_batch(t, now, seq, resend, s);
        if (rc == 1)
            rejected = 1;
        else if (rc != 0)
            return rc;
    }
}
