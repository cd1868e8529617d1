/*
 * obol host platform: issuance and the card registry (host_issue.h) — issuers and
 * their serial counters, issuing a card with its personalization data from the HSM,
 * and the life cycle with its blacklist side effects.
 */
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_blacklist.h"
#include "obol/host_issue.h"

enum { DEFAULT_MAX_BALANCE = 1000000 }; /* fen: 10,000 yuan */

static const char SQL_ISSUER_ADD[] =
    "INSERT INTO issuer(code, name, serial_prefix) VALUES(?1, ?2, ?3)";
static const char SQL_ISSUER_NEXT[] =
    "UPDATE issuer SET next_serial = next_serial + 1 WHERE code = ?1 "
    "RETURNING serial_prefix, next_serial - 1";
static const char SQL_CARD_ADD[] =
    "INSERT INTO card(serial, issuer, industry, card_type, key_version, state, "
    "initial_balance, max_balance, deposit, expiry, issued_at, state_at) "
    "VALUES(?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9, ?10, ?10)";
static const char SQL_CARD_GET[] =
    "SELECT issuer, industry, card_type, key_version, state, initial_balance, max_balance, "
    "deposit, expiry, issued_at, state_at, coalesce(replaced_by, 0) FROM card WHERE serial = ?1";
static const char SQL_CARD_STATE[] =
    "UPDATE card SET state = ?2, state_at = ?3, replaced_by = ?4 WHERE serial = ?1";
static const char SQL_EVENT[] =
    "INSERT INTO card_event(serial, at, from_state, to_state, reason) VALUES(?1, ?2, ?3, ?4, ?5)";

const char *host_card_state_name(int state)
{
    switch (state) {
    case HOST_CARD_ISSUED:
        return "ISSUED";
    case HOST_CARD_ACTIVE:
        return "ACTIVE";
    case HOST_CARD_LOST:
        return "LOST";
    case HOST_CARD_BLOCKED:
        return "BLOCKED";
    case HOST_CARD_REPLACED:
        return "REPLACED";
    default:
        return "?";
    }
}

int host_issuer_add(host_db *db, uint64_t code, const char *name, uint32_t serial_prefix)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || name == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_ISSUER_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(code));
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, serial_prefix);
    return host__db_run(db, st);
}

int host_card_get(host_db *db, uint64_t serial, host_card *out)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_CARD_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(serial));
    rc = host__db_step(db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    memset(out, 0, sizeof *out);
    out->serial = serial;
    out->issuer = host__u64(sqlite3_column_int64(st, 0));
    out->industry = (uint32_t)sqlite3_column_int64(st, 1);
    out->card_type = (uint8_t)sqlite3_column_int(st, 2);
    out->key_version = (uint8_t)sqlite3_column_int(st, 3);
    out->state = sqlite3_column_int(st, 4);
    out->initial_balance = (uint32_t)sqlite3_column_int64(st, 5);
    out->max_balance = (uint32_t)sqlite3_column_int64(st, 6);
    out->deposit = (uint32_t)sqlite3_column_int64(st, 7);
    out->expiry = (uint32_t)sqlite3_column_int64(st, 8);
    out->issued_at = sqlite3_column_int64(st, 9);
    out->state_at = sqlite3_column_int64(st, 10);
    out->replaced_by = host__u64(sqlite3_column_int64(st, 11));
    sqlite3_reset(st);
    return 0;
}

/* The issuer's next serial: prefix in the high 32 bits, counter in the low ones. */
static int next_serial(host_db *db, uint64_t issuer, uint64_t *serial)
{
    sqlite3_stmt *st;
    int64_t counter;
    int rc;

    if ((rc = host__db_stmt(db, SQL_ISSUER_NEXT, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(issuer));
    rc = host__db_step(db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    counter = sqlite3_column_int64(st, 1);
    *serial = ((uint64_t)sqlite3_column_int64(st, 0) << 32) | (uint64_t)counter;
    /* Step to the end so the UPDATE ... RETURNING completes. */
    rc = host__db_step(db, st);
    if (rc < 0)
        return rc;
    return counter > 0xFFFFFFFFll ? HOST_ERR_NOSPACE : 0;
}

static int event(host_db *db, uint64_t serial, int from, int to, uint8_t reason)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = host__db_stmt(db, SQL_EVENT, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(serial));
    sqlite3_bind_int64(st, 2, host__db_now(db));
    sqlite3_bind_int(st, 3, from);
    sqlite3_bind_int(st, 4, to);
    sqlite3_bind_int(st, 5, reason);
    return host__db_run(db, st);
}

/* Fills OUT from the card's registry row and the HSM. */
static int perso_of(host_hsm *hsm, const host_card *c, uint8_t gp_kvn, host_perso *out)
{
    int rc;

    memset(out, 0, sizeof *out);
    out->serial = c->serial;
    out->issuer = c->issuer;
    out->industry = c->industry;
    out->card_type = c->card_type;
    out->initial_balance = c->initial_balance;
    out->max_balance = c->max_balance;
    out->deposit = c->deposit;
    out->expiry = c->expiry;
    rc = host_hsm_card_keys(hsm, c->issuer, c->industry, c->key_version, c->serial, &out->keys);
    if (rc == 0 && gp_kvn != 0) {
        rc = host_hsm_card_gp_keys(hsm, c->issuer, c->industry, gp_kvn, c->serial, &out->gp);
        out->has_gp = rc == 0;
    }
    if (rc != 0)
        host_wipe(out, sizeof *out);
    return rc;
}

/* Registers the card of REQ (inside the caller's transaction) and derives its perso. */
static int issue(host_db *db, host_hsm *hsm, const host_issue_req *req, uint32_t balance,
                 host_perso *out)
{
    sqlite3_stmt *st;
    host_card c;
    int rc;

    memset(&c, 0, sizeof c);
    c.serial = req->serial;
    if (c.serial == 0 && (rc = next_serial(db, req->issuer, &c.serial)) != 0)
        return rc;
    c.issuer = req->issuer;
    c.industry = req->industry;
    c.card_type = req->card_type;
    c.key_version = req->key_version;
    c.initial_balance = balance;
    c.max_balance = req->max_balance != 0 ? req->max_balance : DEFAULT_MAX_BALANCE;
    c.deposit = req->deposit;
    c.expiry = req->expiry;
    if (c.initial_balance > c.max_balance)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_CARD_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(c.serial));
    sqlite3_bind_int64(st, 2, host__i64(c.issuer));
    sqlite3_bind_int64(st, 3, c.industry);
    sqlite3_bind_int(st, 4, c.card_type);
    sqlite3_bind_int(st, 5, c.key_version);
    sqlite3_bind_int64(st, 6, c.initial_balance);
    sqlite3_bind_int64(st, 7, c.max_balance);
    sqlite3_bind_int64(st, 8, c.deposit);
    sqlite3_bind_int64(st, 9, c.expiry);
    sqlite3_bind_int64(st, 10, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        return rc;
    if ((rc = event(db, c.serial, 0, HOST_CARD_ISSUED, HOST_BLR_NONE)) != 0)
        return rc;
    return perso_of(hsm, &c, req->gp_kvn, out);
}

int host_issue_card(host_db *db, host_hsm *hsm, const host_issue_req *req, host_perso *out)
{
    int rc;

    if (db == NULL || hsm == NULL || req == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = issue(db, hsm, req, req->initial_balance, out)) != 0) {
        host__db_rollback(db);
        return rc;
    }
    if ((rc = host__db_commit(db)) != 0)
        host_wipe(out, sizeof *out);
    return rc;
}

int host_issue_perso(host_db *db, host_hsm *hsm, uint64_t serial, host_perso *out)
{
    host_card c;
    int rc;

    if (db == NULL || hsm == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host_card_get(db, serial, &c)) != 0)
        return rc;
    return perso_of(hsm, &c, 0, out);
}

/* Whether the life cycle allows FROM -> TO through host_card_set_state(). */
static int transition_ok(int from, int to)
{
    switch (to) {
    case HOST_CARD_ACTIVE:
        return from == HOST_CARD_ISSUED || from == HOST_CARD_BLOCKED;
    case HOST_CARD_LOST:
    case HOST_CARD_BLOCKED:
        return from == HOST_CARD_ISSUED || from == HOST_CARD_ACTIVE ||
               (to == HOST_CARD_LOST && from == HOST_CARD_BLOCKED);
    default:
        return 0;
    }
}

static int set_state(host_db *db, uint64_t serial, int from, int to, uint8_t reason,
                     uint64_t replaced_by)
{
    sqlite3_stmt *st;
    int rc, listed;

    if ((rc = host__db_stmt(db, SQL_CARD_STATE, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(serial));
    sqlite3_bind_int(st, 2, to);
    sqlite3_bind_int64(st, 3, host__db_now(db));
    if (replaced_by != 0)
        sqlite3_bind_int64(st, 4, host__i64(replaced_by));
    else
        sqlite3_bind_null(st, 4);
    if ((rc = host__db_run(db, st)) != 0)
        return rc;
    if ((rc = event(db, serial, from, to, reason)) != 0)
        return rc;
    /* The blacklist follows the state: listed while lost, blocked or replaced. */
    if ((listed = host_blacklist_contains(db, serial, NULL)) < 0)
        return listed;
    if (to == HOST_CARD_ACTIVE && listed)
        return host_blacklist_remove(db, serial, reason, NULL);
    if (to != HOST_CARD_ACTIVE && !listed)
        return host_blacklist_add(db, serial, reason, NULL);
    if (to != HOST_CARD_ACTIVE && listed && to != from) {
        /* Already listed for another reason: record the new one as a change. */
        if ((rc = host_blacklist_remove(db, serial, reason, NULL)) != 0)
            return rc;
        return host_blacklist_add(db, serial, reason, NULL);
    }
    return 0;
}

int host_card_set_state(host_db *db, uint64_t serial, int state, uint8_t reason)
{
    host_card c;
    int rc;

    if (db == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host_card_get(db, serial, &c)) != 0)
        goto fail;
    if (!transition_ok(c.state, state)) {
        rc = HOST_ERR_STATE;
        goto fail;
    }
    if ((rc = set_state(db, serial, c.state, state, reason, 0)) != 0)
        goto fail;
    return host__db_commit(db);
fail:
    host__db_rollback(db);
    return rc;
}

int host_card_replace(host_db *db, host_hsm *hsm, uint64_t old, uint64_t new_serial,
                      uint32_t balance, host_perso *out)
{
    host_issue_req req;
    host_card c;
    int rc;

    if (db == NULL || hsm == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host_card_get(db, old, &c)) != 0)
        goto fail;
    if (c.state != HOST_CARD_ACTIVE && c.state != HOST_CARD_LOST && c.state != HOST_CARD_BLOCKED) {
        rc = HOST_ERR_STATE;
        goto fail;
    }
    memset(&req, 0, sizeof req);
    req.issuer = c.issuer;
    req.industry = c.industry;
    req.serial = new_serial;
    req.card_type = c.card_type;
    req.key_version = c.key_version;
    req.max_balance = c.max_balance;
    req.deposit = c.deposit;
    req.expiry = c.expiry;
    if ((rc = issue(db, hsm, &req, balance, out)) != 0)
        goto fail;
    if ((rc = set_state(db, old, c.state, HOST_CARD_REPLACED, HOST_BLR_REPLACED, out->serial)) !=
        0) {
        host_wipe(out, sizeof *out);
        goto fail;
    }
    if ((rc = host__db_commit(db)) != 0)
        host_wipe(out, sizeof *out);
    return rc;
fail:
    host__db_rollback(db);
    return rc;
}
