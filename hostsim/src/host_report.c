/*
 * obol host platform: settlement per operator and day, counter gaps, and the
 * reconciliation report (host_settle.h) — set-based SQL over the accepted
 * transactions, each run in one transaction so it sees one consistent state.
 */
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_settle.h"

static const char SQL_SETTLE_DEL[] = "DELETE FROM settlement WHERE day BETWEEN ?1 AND ?2";
static const char SQL_SETTLE_SUM[] =
    "INSERT INTO settlement(operator, day, purchases, purchase_amount, loads, load_amount, "
    "computed) "
    "SELECT operator, day, sum(kind = 0), sum(CASE WHEN kind = 0 THEN amount ELSE 0 END), "
    "sum(kind = 1), sum(CASE WHEN kind = 1 THEN amount ELSE 0 END), ?3 "
    "FROM txn WHERE day BETWEEN ?1 AND ?2 GROUP BY day, operator";
static const char SQL_SETTLE_GET[] =
    "SELECT operator, day, purchases, purchase_amount, loads, load_amount FROM settlement "
    "WHERE day BETWEEN ?1 AND ?2 ORDER BY day, operator";

static const char SQL_GAP_DEL[] = "DELETE FROM counter_gap";
/* A gap is a counter missing between 0 (a new card's first counter) and the highest
 * one received: LAG gives each counter its predecessor (-1 before the first). */
static const char SQL_GAP_FIND[] =
    "INSERT INTO counter_gap(serial, kind, first_missing, last_missing, detected) "
    "SELECT serial, kind, prev + 1, counter - 1, ?1 FROM ("
    "  SELECT serial, kind, counter,"
    "         lag(counter, 1, -1) OVER (PARTITION BY serial, kind ORDER BY counter) AS prev"
    "  FROM txn) WHERE counter > prev + 1";
static const char SQL_GAP_GET[] = "SELECT serial, kind, first_missing, last_missing FROM "
                                  "counter_gap ORDER BY serial, kind, first_missing";

/* Per card: initial balance, sums of loads and purchases, and the balance after the
 * latest transaction (SQLite takes the bare column last_bal from the row holding the
 * max() — documented behaviour for a single min/max aggregate). */
#define RECON_SELECT                                                                               \
    "SELECT c.serial, c.initial_balance, coalesce(t.loads, 0), coalesce(t.purchases, 0), "         \
    "coalesce(t.n, 0), coalesce(t.last_ts, 0), coalesce(t.last_bal, c.initial_balance) "           \
    "FROM card c LEFT JOIN ("                                                                      \
    "  SELECT serial, sum(CASE WHEN kind = 1 THEN amount ELSE 0 END) AS loads,"                    \
    "         sum(CASE WHEN kind = 0 THEN amount ELSE 0 END) AS purchases, count(*) AS n,"         \
    "         max(day * 1000000 + time) AS last_ts, balance_after AS last_bal"                     \
    "  FROM txn "
static const char SQL_RECON_ALL[] = RECON_SELECT "GROUP BY serial) t ON t.serial = c.serial "
                                                 "ORDER BY c.serial";
static const char SQL_RECON_ONE[] =
    RECON_SELECT "WHERE serial = ?1 GROUP BY serial) t ON t.serial = c.serial WHERE c.serial = ?1";
static const char SQL_UNCONFIRMED[] =
    "SELECT count(*) FROM load_auth a WHERE a.status = 0 AND NOT EXISTS ("
    "  SELECT 1 FROM txn t WHERE t.serial = a.serial AND t.kind = 1 "
    "  AND t.counter = a.online_counter)";

int host_settle_run(host_db *db, uint32_t from, uint32_t to, host_settlement *out, size_t cap,
                    size_t *n)
{
    sqlite3_stmt *st;
    size_t k = 0;
    int rc;

    if (db == NULL || n == NULL || (cap > 0 && out == NULL) || from > to)
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host__db_stmt(db, SQL_SETTLE_DEL, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    if ((rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_stmt(db, SQL_SETTLE_SUM, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int64(st, 3, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_stmt(db, SQL_SETTLE_GET, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    while ((rc = host__db_step(db, st)) == 1) {
        if (k < cap) {
            host_settlement *s = &out[k];
            s->operator_id = (uint32_t)sqlite3_column_int64(st, 0);
            s->day = (uint32_t)sqlite3_column_int64(st, 1);
            s->purchases = sqlite3_column_int64(st, 2);
            s->purchase_amount = sqlite3_column_int64(st, 3);
            s->loads = sqlite3_column_int64(st, 4);
            s->load_amount = sqlite3_column_int64(st, 5);
        }
        k++;
    }
    if (rc != 0)
        goto fail;
    if ((rc = host__db_commit(db)) != 0)
        return rc;
    *n = k;
    return 0;
fail:
    host__db_rollback(db);
    return rc;
}

int host_settle_gaps(host_db *db, host_gap *out, size_t cap, size_t *n)
{
    sqlite3_stmt *st;
    size_t k = 0;
    int rc;

    if (db == NULL || n == NULL || (cap > 0 && out == NULL))
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host__db_stmt(db, SQL_GAP_DEL, &st)) != 0 || (rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_stmt(db, SQL_GAP_FIND, &st)) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        goto fail;
    if ((rc = host__db_stmt(db, SQL_GAP_GET, &st)) != 0)
        goto fail;
    while ((rc = host__db_step(db, st)) == 1) {
        if (k < cap) {
            out[k].serial = host__u64(sqlite3_column_int64(st, 0));
            out[k].kind = sqlite3_column_int(st, 1);
            out[k].first_missing = (uint32_t)sqlite3_column_int64(st, 2);
            out[k].last_missing = (uint32_t)sqlite3_column_int64(st, 3);
        }
        k++;
    }
    if (rc != 0)
        goto fail;
    if ((rc = host__db_commit(db)) != 0)
        return rc;
    *n = k;
    return 0;
fail:
    host__db_rollback(db);
    return rc;
}

static void recon_row(sqlite3_stmt *st, host_recon_card *c)
{
    int64_t ts;

    memset(c, 0, sizeof *c);
    c->serial = host__u64(sqlite3_column_int64(st, 0));
    c->initial = sqlite3_column_int64(st, 1);
    c->loads = sqlite3_column_int64(st, 2);
    c->purchases = sqlite3_column_int64(st, 3);
    c->seen = sqlite3_column_int64(st, 4) > 0;
    ts = sqlite3_column_int64(st, 5);
    c->last_day = (uint32_t)(ts / 1000000);
    c->last_time = (uint32_t)(ts % 1000000);
    c->reported = sqlite3_column_int64(st, 6);
    c->implied = c->initial + c->loads - c->purchases;
    c->diff = c->reported - c->implied;
}

int host_settle_reconcile(host_db *db, host_recon *summary, host_recon_card *out, size_t cap,
                          size_t *n)
{
    host_recon sum;
    host_recon_card c;
    sqlite3_stmt *st;
    size_t k = 0;
    int rc;

    if (db == NULL || (cap > 0 && out == NULL))
        return HOST_ERR_ARG;
    memset(&sum, 0, sizeof sum);
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    if ((rc = host__db_stmt(db, SQL_RECON_ALL, &st)) != 0)
        goto done;
    while ((rc = host__db_step(db, st)) == 1) {
        recon_row(st, &c);
        sum.cards++;
        sum.cards_seen += c.seen;
        sum.sum_initial += c.initial;
        sum.sum_loads += c.loads;
        sum.sum_purchases += c.purchases;
        sum.sum_implied += c.implied;
        sum.sum_reported += c.reported;
        if (c.diff != 0) {
            sum.mismatches++;
            if (k < cap)
                out[k] = c;
            k++;
        }
    }
    if (rc != 0)
        goto done;
    if ((rc = host__db_stmt(db, SQL_UNCONFIRMED, &st)) != 0)
        goto done;
    if ((rc = host__db_step(db, st)) == 1) {
        sum.loads_unconfirmed = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        rc = 0;
    }
done:
    if (rc == 0)
        rc = host__db_commit(db);
    else
        host__db_rollback(db);
    if (rc != 0)
        return rc;
    if (summary != NULL)
        *summary = sum;
    if (n != NULL)
        *n = k;
    return 0;
}

int host_recon_card_get(host_db *db, uint64_t serial, host_recon_card *out)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_RECON_ONE, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(serial));
    rc = host__db_step(db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    recon_row(st, out);
    sqlite3_reset(st);
    return 0;
}
