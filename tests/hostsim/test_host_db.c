/*
 * obol tests: the platform store (host_db.h) — schema creation and checks, the storage
 * key check, and failure paths injected through SQLite: a failing or full disk under
 * the fault VFS (host_faultvfs.h) and a read-only database must give a clean HOST_ERR_IO,
 * keep the database consistent (all of a batch or nothing), and work again afterwards.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "host_fixture.h"
#include "obol/host_faultvfs.h"
#include "obol/host_settle.h"

enum { DAY = 20261122 };

Test(host_db, schema_created_versioned_and_reopened)
{
    host_card c;
    fx f, g;
    fx_card card;

    fx_open(&f, NULL);
    cr_assert_eq(host_db_schema_version(f.db), HOST_DB_SCHEMA_VERSION);
    fx_card_issue(&f, &card, 0, 100);
    fx_close_handles(&f);
    memcpy(&g, &f, sizeof g);
    fx_open_bare(&g, NULL);
    cr_assert_eq(host_db_schema_version(g.db), 1);
    cr_assert_eq(host_card_get(g.db, card.p.serial, &c), 0);
    cr_assert_eq(c.state, HOST_CARD_ACTIVE);
    cr_assert_eq(host_issuer_add(g.db, FX_ISSUER, "again", 1), HOST_ERR_DUPLICATE);
    cr_assert_str_neq(host_db_errmsg(g.db), "");
    cr_assert_eq(host_db_sqlite_code(g.db), SQLITE_CONSTRAINT_PRIMARYKEY);
    fx_close(&g);
}

static void sql(const char *path, const char *stmt)
{
    sqlite3 *db;

    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

Test(host_db, foreign_newer_and_garbage_files_refused)
{
    char path[200];
    host_db *db = NULL;
    FILE *fp;
    fx f;

    fx_open(&f, NULL);
    fx_close_handles(&f);
    /* A newer schema than this code knows. */
    sql(f.path, "PRAGMA user_version = 2");
    cr_assert_eq(host_db_open(f.path, NULL, &db), HOST_ERR_SCHEMA);
    cr_assert_null(db);
    /* Somebody else's database. */
    snprintf(path, sizeof path, "%s/other.db", f.dir);
    sql(path, "CREATE TABLE t(x)");
    cr_assert_eq(host_db_open(path, NULL, &db), HOST_ERR_CORRUPT);
    unlink(path);
    /* Not a database at all. */
    fp = fopen(path, "w");
    cr_assert_not_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite database file. ", fp);
    fclose(fp);
    cr_assert_eq(host_db_open(path, NULL, &db), HOST_ERR_CORRUPT);
    unlink(path);
    /* A directory that does not exist. */
    cr_assert_eq(host_db_open("/nonexistent-obol-dir/x.db", NULL, &db), HOST_ERR_IO);
    sql(f.path, "PRAGMA user_version = 1");
    fx_close(&f);
}

Test(host_db, wrong_storage_key_refused)
{
    uint8_t other[32];
    host_hsm *hsm = NULL;
    host_db *db;
    fx f;

    fx_open(&f, NULL);
    fx_close_handles(&f);
    cr_assert_eq(host_db_open(f.path, NULL, &db), 0);
    memcpy(other, FX_STORAGE_KEY, 32);
    other[31] ^= 1;
    cr_assert_eq(host_hsm_open(db, other, &hsm), HOST_ERR_KEY);
    cr_assert_null(hsm);
    cr_assert_eq(host_hsm_open(db, FX_STORAGE_KEY, &hsm), 0);
    host_hsm_close(hsm);
    host_db_close(db);
    fx_close(&f);
}

Test(host_db, read_only_database_gives_io_error)
{
    host_db_options ro = {NULL, 1, 0, 0};
    host_card c;
    fx_card card;
    fx f;

    fx_open(&f, NULL);
    fx_card_issue(&f, &card, 0, 100);
    cr_assert_eq(host_db_checkpoint(f.db), 0);
    fx_close_handles(&f);
    fx_open_bare(&f, &ro);
    cr_assert_eq(host_card_get(f.db, card.p.serial, &c), 0, "reads work");
    cr_assert_eq(host_issuer_add(f.db, 42, "x", 42), HOST_ERR_IO);
    cr_assert_eq(host_card_set_state(f.db, card.p.serial, HOST_CARD_LOST, 1), HOST_ERR_IO);
    cr_assert_eq(host_card_get(f.db, card.p.serial, &c), 0);
    cr_assert_eq(c.state, HOST_CARD_ACTIVE, "nothing changed");
    fx_close(&f);
}

/* Purchases of one card on gate A, for the fault tests. */
static void purchases(fx_card *card, host_txn *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fx_card_purchase(card, FX_GATE_A, FX_METRO, (uint32_t)(100 + i), 10, HOST_PBOC_EP_PURCHASE,
                         DAY, 90000 + (uint32_t)i, &t[i]);
}

static int64_t purchases_settled(fx *f)
{
    host_settlement s[4];
    size_t n;

    cr_assert_eq(host_settle_run(f->db, DAY, DAY, s, 4, &n), 0);
    return n == 0 ? 0 : s[0].purchases;
}

Test(host_db, io_error_mid_batch_keeps_nothing_then_counts_once)
{
    host_db_options opt = {"obol-fault-a", 0, 0, 0};
    host_faultvfs *vfs;
    host_ingest_result r;
    fx_card card;
    host_txn t[5];
    int64_t exc;
    uint8_t *frame;
    size_t len;
    fx f;
    int rc;

    cr_assert_eq(host_faultvfs_new("obol-fault-a", &vfs), 0);
    fx_open(&f, &opt);
    fx_card_issue(&f, &card, 0, 1000);
    purchases(&card, t, 5);
    frame = fx_batch_frame(FX_GATE_A, 1, t, 5, &len);

    host_faultvfs_arm(vfs, HOST_FAULT_IOERR, 0, 1);
    rc = host_settle_ingest(f.db, f.hsm, frame, len, &r);
    cr_assert_eq(rc, HOST_ERR_IO, "got %s", host_strerror(rc));
    cr_assert_gt(host_faultvfs_faults(vfs), 0);
    cr_assert_eq(host_db_sqlite_code(f.db) & 0xFF, SQLITE_IOERR, "%s", host_db_errmsg(f.db));
    cr_assert_eq(r.status, 0);
    cr_assert_null(r.notes);

    host_faultvfs_disarm(vfs);
    cr_assert_eq(purchases_settled(&f), 0, "nothing of the failed batch was kept");
    cr_assert_eq(host_exception_count(f.db, -1, -1, &exc), 0);
    cr_assert_eq(exc, 0);
    cr_assert_eq(host_settle_ingest(f.db, f.hsm, frame, len, &r), 0);
    cr_assert_eq(r.status, HOST_ACK_ACCEPTED);
    cr_assert_eq(r.accepted, 5);
    host_ingest_result_free(&r);
    cr_assert_eq(host_settle_ingest(f.db, f.hsm, frame, len, &r), 0);
    cr_assert_eq(r.status, HOST_ACK_REPEATED);
    host_ingest_result_free(&r);
    cr_assert_eq(purchases_settled(&f), 5);
    free(frame);
    fx_close(&f);
    host_faultvfs_free(vfs);
}

/* A fault after every possible number of writes during one batch: each run either
 * commits the whole batch or nothing, and the batch then counts exactly once. */
Test(host_db, fault_sweep_all_or_nothing)
{
    host_db_options opt = {"obol-fault-b", 0, 0, 0};
    host_faultvfs *vfs;
    host_ingest_result r;
    fx_card card;
    host_txn t[4];
    uint8_t *frame;
    size_t len;
    long after;
    int failures = 0, successes = 0;
    fx f;

    cr_assert_eq(host_faultvfs_new("obol-fault-b", &vfs), 0);
    /* From a fault on the first write up to the first run that has room to finish. */
    for (after = 0; after < 64 && successes == 0; after++) {
        int rc;
        fx_open(&f, &opt);
        fx_card_issue(&f, &card, 0, 1000);
        purchases(&card, t, 4);
        frame = fx_batch_frame(FX_GATE_A, 7, t, 4, &len);
        host_faultvfs_arm(vfs, after % 2 ? HOST_FAULT_FULL : HOST_FAULT_IOERR, after, 0);
        rc = host_settle_ingest(f.db, f.hsm, frame, len, &r);
        host_faultvfs_disarm(vfs);
        cr_assert(rc == 0 || rc == HOST_ERR_IO, "after %ld writes: %s", after, host_strerror(rc));
        if (rc == 0) {
            successes++;
            cr_assert_eq(r.accepted, 4);
            cr_assert_eq(purchases_settled(&f), 4);
        } else {
            failures++;
            cr_assert_eq(purchases_settled(&f), 0, "after %ld writes: partial batch", after);
        }
        host_ingest_result_free(&r);
        cr_assert_eq(host_settle_ingest(f.db, f.hsm, frame, len, &r), 0);
        cr_assert_eq(r.status, rc == 0 ? HOST_ACK_REPEATED : HOST_ACK_ACCEPTED);
        host_ingest_result_free(&r);
        cr_assert_eq(purchases_settled(&f), 4);
        free(frame);
        fx_close(&f);
    }
    cr_assert_gt(failures, 2, "the sweep never hit a write");
    cr_assert_eq(successes, 1, "the sweep never got past the batch's writes");
    host_faultvfs_free(vfs);
}

Test(host_db, disk_full_while_issuing)
{
    host_db_options opt = {"obol-fault-c", 0, 0, 0};
    host_faultvfs *vfs;
    host_issue_req req;
    host_perso p;
    host_card c;
    fx f;

    cr_assert_eq(host_faultvfs_new("obol-fault-c", &vfs), 0);
    fx_open(&f, &opt);
    memset(&req, 0, sizeof req);
    req.issuer = FX_ISSUER;
    req.industry = HOST_INDUSTRY_TRANSIT;
    req.key_version = 1;
    host_faultvfs_arm(vfs, HOST_FAULT_FULL, 0, 1);
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &p), HOST_ERR_IO);
    host_faultvfs_disarm(vfs);
    cr_assert_eq(host_issue_card(f.db, f.hsm, &req, &p), 0);
    /* The failed issue allocated nothing: the first serial is the issuer's first. */
    cr_assert_eq(p.serial, ((uint64_t)FX_PREFIX << 32) | 1u);
    cr_assert_eq(host_card_get(f.db, p.serial, &c), 0);
    fx_close(&f);
    host_faultvfs_free(vfs);
}

Test(host_db, size_and_checkpoint)
{
    uint64_t a, b;
    fx f;

    fx_open(&f, NULL);
    cr_assert_eq(host_db_size(f.db, &a), 0);
    cr_assert_gt(a, 4096u);
    cr_assert_eq(host_db_checkpoint(f.db), 0);
    cr_assert_eq(host_db_size(f.db, &b), 0);
    cr_assert_leq(b, a, "the WAL was folded into the file");
    fx_close(&f);
}

Test(host_db, platform_error_codes_are_named)
{
    static const int codes[] = {HOST_ERR_DB,     HOST_ERR_DUPLICATE, HOST_ERR_NOTFOUND,
                                HOST_ERR_IO,     HOST_ERR_BUSY,      HOST_ERR_CORRUPT,
                                HOST_ERR_SCHEMA, HOST_ERR_KEY,       HOST_ERR_BADMSG};

    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        cr_assert_eq(codes[i], -14 - (int)i, "codes are stable");
        cr_assert_str_neq(host_strerror(codes[i]), "unknown error");
        cr_assert_not_null(host_err_name(codes[i]));
    }
    cr_assert_str_eq(host_err_name(HOST_ERR_NOTFOUND), "NOTFOUND");
}
