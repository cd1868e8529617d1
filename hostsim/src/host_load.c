/*
 * obol host platform: online load authorization (host_load.h).
 */
#include <stdio.h>
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_blacklist.h"
#include "obol/host_issue.h"
#include "obol/host_load.h"
#include "obol/host_settle.h"

static const char SQL_TERM[] = "SELECT in_service FROM terminal WHERE id = ?1";
static const char SQL_AUTH_PUT[] =
    "INSERT OR REPLACE INTO load_auth(serial, online_counter, terminal, type, amount, "
    "old_balance, request, status, reason, mac2, at) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, ?8, ?9)";

/* The request as the record keeps it (the MAC1 input and what identifies the card's
 * session): random(4) counter(2) old balance(4) amount(4) type(1) terminal(6) date(4)
 * time(3) MAC1(4). */
static void request_bytes(const host_msg_load_req *r, uint8_t out[32])
{
    int i;

    memcpy(out, r->random, 4);
    out[4] = (uint8_t)(r->online_counter >> 8);
    out[5] = (uint8_t)r->online_counter;
    for (i = 0; i < 4; i++) {
        out[6 + i] = (uint8_t)(r->old_balance >> (24 - 8 * i));
        out[10 + i] = (uint8_t)(r->amount >> (24 - 8 * i));
    }
    out[14] = r->type;
    for (i = 0; i < 6; i++)
        out[15 + i] = (uint8_t)(r->terminal >> (40 - 8 * i));
    memcpy(out + 21, r->date, 4);
    memcpy(out + 25, r->time, 3);
    memcpy(out + 28, r->mac1, 4);
}

/* Checks everything but the MAC: 0 to go on, or the decline reason. */
static int precheck(host_db *db, const host_msg_load_req *req, host_card *card)
{
    sqlite3_stmt *st;
    int rc, in_service;

    if (req->type != HOST_PBOC_ED_LOAD && req->type != HOST_PBOC_EP_LOAD)
        return HOST_REASON_BAD_TYPE;
    if ((rc = host__db_stmt(db, SQL_TERM, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(req->terminal));
    rc = host__db_step(db, st);
    if (rc < 0)
        return rc;
    in_service = rc == 1 && sqlite3_column_int(st, 0) != 0;
    if (rc == 1)
        sqlite3_reset(st);
    if (!in_service)
        return HOST_REASON_UNKNOWN_TERMINAL;
    rc = host_card_get(db, req->serial, card);
    if (rc == HOST_ERR_NOTFOUND)
        return HOST_REASON_UNKNOWN_CARD;
    if (rc != 0)
        return rc;
    if (card->state != HOST_CARD_ACTIVE)
        return HOST_REASON_CARD_STATE;
    if ((rc = host_blacklist_contains(db, req->serial, NULL)) != 0)
        return rc < 0 ? rc : HOST_REASON_BLACKLISTED;
    if (req->old_balance > UINT32_MAX - req->amount ||
        req->old_balance + req->amount > card->max_balance)
        return HOST_REASON_LIMIT;
    return 0;
}

static int decline(host_db *db, const host_msg_load_req *req, host_msg_load_reply *rep, int reason)
{
    host_exception e;
    uint8_t raw[32];

    rep->status = HOST_LOAD_DECLINED;
    rep->reason = (uint8_t)reason;
    memset(rep->mac2, 0, 4);
    memset(&e, 0, sizeof e);
    e.source = HOST_EXC_LOAD;
    e.severity = HOST_SEV_REJECTED;
    e.reason = reason;
    e.terminal = req->terminal;
    e.rec_index = -1;
    e.serial = req->serial;
    e.counter = req->online_counter;
    snprintf(e.detail, sizeof e.detail, "load of %u fen declined: %s", (unsigned)req->amount,
             host_reason_str(reason));
    request_bytes(req, raw);
    return host_exception_add(db, &e, raw, sizeof raw);
}

static int approve(host_db *db, const host_msg_load_req *req, host_msg_load_reply *rep)
{
    sqlite3_stmt *st;
    uint8_t raw[32];
    int rc;

    rep->status = HOST_LOAD_APPROVED;
    rep->reason = HOST_REASON_OK;
    request_bytes(req, raw);
    if ((rc = host__db_stmt(db, SQL_AUTH_PUT, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(req->serial));
    sqlite3_bind_int(st, 2, req->online_counter);
    sqlite3_bind_int64(st, 3, host__i64(req->terminal));
    sqlite3_bind_int(st, 4, req->type);
    sqlite3_bind_int64(st, 5, req->amount);
    sqlite3_bind_int64(st, 6, req->old_balance);
    sqlite3_bind_blob(st, 7, raw, sizeof raw, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 8, rep->mac2, 4, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, host__db_now(db));
    return host__db_run(db, st);
}

int host_load_authorize(host_db *db, host_hsm *hsm, const host_msg_load_req *req,
                        host_msg_load_reply *rep)
{
    host_pboc_load l;
    host_card card;
    int rc;

    if (db == NULL || hsm == NULL || req == NULL || rep == NULL)
        return HOST_ERR_ARG;
    memset(rep, 0, sizeof *rep);
    rep->serial = req->serial;
    rep->online_counter = req->online_counter;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    rc = precheck(db, req, &card);
    if (rc == 0) {
        memset(&l, 0, sizeof l);
        l.old_balance = req->old_balance;
        l.amount = req->amount;
        l.online_counter = req->online_counter;
        l.type = req->type;
        for (int i = 0; i < 6; i++)
            l.terminal_id[i] = (uint8_t)(req->terminal >> (40 - 8 * i));
        memcpy(l.date, req->date, 4);
        memcpy(l.time, req->time, 3);
        rc = host_hsm_load_mac2(hsm, card.issuer, card.industry, req->key_version, req->serial,
                                req->random, &l, req->mac1, rep->mac2);
        if (rc == HOST_ERR_MAC)
            rc = HOST_REASON_BAD_MAC1;
        else if (rc == HOST_ERR_NOTFOUND)
            rc = HOST_REASON_UNKNOWN_KEY;
    }
    if (rc == 0)
        rc = approve(db, req, rep);
    else if (rc > 0)
        rc = decline(db, req, rep, rc);
    if (rc != 0) {
        host__db_rollback(db);
        memset(rep, 0, sizeof *rep);
        return rc;
    }
    return host__db_commit(db);
}
